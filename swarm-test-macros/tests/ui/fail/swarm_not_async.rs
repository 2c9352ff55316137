//! `&mut Swarm` needs an async fn.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
fn t(swarm: &mut Swarm) {}

fn main() {}
