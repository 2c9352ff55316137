//! A star needs 2 agents.
use swarm_test::prelude::*;

#[swarm_test(topology = "star", agents = 1)]
fn t() {}

fn main() {}
