//! The same value twice in a list would make two tests with one name.
use swarm_test::prelude::*;

#[swarm_test(topology = ["ring", "ring"], agents = 3)]
fn t() {}

fn main() {}
