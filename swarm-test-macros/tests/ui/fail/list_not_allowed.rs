//! Only topology, agents and inject take lists.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 3, strategy = ["adaptive", "consensus"])]
fn t() {}

fn main() {}
