//! Unknown role in a target: did-you-mean and the roles.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "hang(role:momentum)")]
fn t() {}

fn main() {}
