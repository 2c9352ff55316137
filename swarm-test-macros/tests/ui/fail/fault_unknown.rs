//! Misspelt fault: did-you-mean and every fault.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "cpu_spik")]
fn t() {}

fn main() {}
