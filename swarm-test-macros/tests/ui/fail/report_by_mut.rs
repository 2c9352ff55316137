//! The report is shared: `&Report`.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
fn t(report: &mut Report) {}

fn main() {}
