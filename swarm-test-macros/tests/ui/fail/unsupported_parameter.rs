//! A parameter the macro cannot supply.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
fn t(count: u32) {}

fn main() {}
