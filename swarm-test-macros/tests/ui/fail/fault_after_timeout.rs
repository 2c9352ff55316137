//! A fault that would start after the run timed out.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, timeout = "10s", inject = "crash @ 15s")]
fn t() {}

fn main() {}
