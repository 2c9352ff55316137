//! One case of a list is below the minimum: the error points at its value.
use swarm_test::prelude::*;

#[swarm_test(topology = ["star", "ring"], agents = [2, 4])]
fn t() {}

fn main() {}
