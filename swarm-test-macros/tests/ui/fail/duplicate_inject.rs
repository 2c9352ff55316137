//! `inject` twice: use a list.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "latency", inject = "crash(1)")]
fn t() {}

fn main() {}
