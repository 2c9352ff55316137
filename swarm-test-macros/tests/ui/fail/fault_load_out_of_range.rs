//! CPU load above 1.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "cpu_spike(1.5)")]
fn t() {}

fn main() {}
