//! Wrong value type: an integer for `topology`; the error names the choices.
use swarm_test::prelude::*;

#[swarm_test(topology = 3, agents = 3)]
fn t() {}

fn main() {}
