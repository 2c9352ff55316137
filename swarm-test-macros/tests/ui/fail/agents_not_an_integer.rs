//! Wrong value type: a string for `agents`.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = "five")]
fn t() {}

fn main() {}
