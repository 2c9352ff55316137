//! `agents` is required.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh")]
fn t() {}

fn main() {}
