//! A key without `= value`.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents)]
fn t() {}

fn main() {}
