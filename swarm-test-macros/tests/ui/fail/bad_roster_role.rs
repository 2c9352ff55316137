//! A roster with an unknown role.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 3, roles = "momentum*3")]
fn t() {}

fn main() {}
