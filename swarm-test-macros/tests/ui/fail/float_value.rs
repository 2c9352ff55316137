//! A float where an integer is expected.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 2.5)]
fn t() {}

fn main() {}
