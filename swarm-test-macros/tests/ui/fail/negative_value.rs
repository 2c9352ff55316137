//! A negative integer.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = -3)]
fn t() {}

fn main() {}
