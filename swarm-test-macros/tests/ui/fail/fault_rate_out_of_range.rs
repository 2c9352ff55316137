//! Loss rate above 1.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "packet_loss(2)")]
fn t() {}

fn main() {}
