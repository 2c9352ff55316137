//! Two #[swarm_test] attributes on one function.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
#[swarm_test(topology = "star", agents = 3)]
fn t() {}

fn main() {}
