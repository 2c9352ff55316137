//! A roster whose size is not `agents`.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 5, roles = "momentum_trader*2, pairs_trader*2")]
fn t() {}

fn main() {}
