//! `hub` only exists in a star.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 5, inject = "crash(hub) @ 2s")]
fn t() {}

fn main() {}
