//! A bad fault in a list: the error points at that element.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = ["latency(50ms)", "crash(3)"])]
fn t() {}

fn main() {}
