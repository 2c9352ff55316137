//! Misspelt topology: did-you-mean and the choices.
use swarm_test::prelude::*;

#[swarm_test(topology = "rign", agents = 3)]
fn t() {}

fn main() {}
