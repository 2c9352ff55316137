//! An agent index that does not exist.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 5, inject = "crash(7)")]
fn t() {}

fn main() {}
