//! A ring needs 3 agents.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 2)]
fn t() {}

fn main() {}
