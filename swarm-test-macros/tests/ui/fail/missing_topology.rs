//! `topology` is required.
use swarm_test::prelude::*;

#[swarm_test(agents = 3)]
fn t() {}

fn main() {}
