//! Every error is reported, not only the first.
use swarm_test::prelude::*;

#[swarm_test(topolgy = "ring", agents = "five", strategy = "fastest", inject = "cpu_spik")]
fn t(x: u32) {}

fn main() {}
