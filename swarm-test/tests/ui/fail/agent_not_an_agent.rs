//! `agent = Type` with a type that does not implement `Agent`: the error is on the type.
use swarm_test::prelude::*;

#[derive(Default)]
struct NotAnAgent;

#[swarm_test(topology = "ring", agents = 3, agent = NotAnAgent)]
fn t() {}

fn main() {}
