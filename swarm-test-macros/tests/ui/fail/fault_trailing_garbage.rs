//! Text after the schedule.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "crash(1) @ 2s now")]
fn t() {}

fn main() {}
