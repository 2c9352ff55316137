//! A second #[test].
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
#[test]
fn t() {}

fn main() {}
