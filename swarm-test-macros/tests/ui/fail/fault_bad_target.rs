//! Misspelt target: did-you-mean and every kind of target.
use swarm_test::prelude::*;

#[swarm_test(topology = "star", agents = 3, inject = "crash(hubb)")]
fn t() {}

fn main() {}
