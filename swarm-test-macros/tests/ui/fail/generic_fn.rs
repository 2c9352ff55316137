//! Generic parameters cannot be supplied.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
fn t<T: Default>() {}

fn main() {}
