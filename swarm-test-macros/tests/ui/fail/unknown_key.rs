//! Misspelt key: did-you-mean and the list of keys.
use swarm_test::prelude::*;

#[swarm_test(topolgy = "ring", agents = 3)]
fn t() {}

fn main() {}
