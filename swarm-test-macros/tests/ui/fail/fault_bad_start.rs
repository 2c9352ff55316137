//! A bad duration after `@`.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "crash @ 2x")]
fn t() {}

fn main() {}
