//! A missing `)`.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "cpu_spike(0.9")]
fn t() {}

fn main() {}
