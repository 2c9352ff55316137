//! `snapshot` takes true, false or a name.
use swarm_test::prelude::*;

#[swarm_test(topology = "mesh", agents = 3, snapshot = 3)]
fn t() {}

fn main() {}
