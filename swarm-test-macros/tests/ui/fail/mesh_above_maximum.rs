//! A mesh links every pair of agents: it has a maximum of 2,000 (issue 13.7).
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 100000)]
fn t() {}

fn main() {}
