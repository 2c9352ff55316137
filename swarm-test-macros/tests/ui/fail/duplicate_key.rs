//! A key given twice.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, agents = 4)]
fn t() {}

fn main() {}
