//! A timeout without a unit.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 3, timeout = "30")]
fn t() {}

fn main() {}
