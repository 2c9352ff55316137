//! Misspelt argument name: did-you-mean and the arguments.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "latency(50ms, jiter = 10ms)")]
fn t() {}

fn main() {}
