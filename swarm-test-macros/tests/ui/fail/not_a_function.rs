//! The attribute goes on functions.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
struct NotATest;

fn main() {}
