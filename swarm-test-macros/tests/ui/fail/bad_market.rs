//! Unknown market regime.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 3, market = "bull")]
fn t() {}

fn main() {}
