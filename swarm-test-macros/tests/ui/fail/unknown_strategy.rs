//! Unknown strategy: the choices.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 3, strategy = "fastest")]
fn t() {}

fn main() {}
