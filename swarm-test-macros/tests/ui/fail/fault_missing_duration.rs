//! `for` without a duration.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "latency(50ms) @ 1s for")]
fn t() {}

fn main() {}
