//! A program's command cannot be empty; the error is on its literal, in `program = …` and in a
//! roster entry alike.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 3, program = "  ")]
fn t() {}

#[swarm_test(topology = "mesh", agents = 3, roles = [program("node 'arb.js") * 2, "risk_manager"])]
fn u() {}

fn main() {}
