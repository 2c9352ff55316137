//! At most one of the report and the swarm.
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3)]
async fn t(report: &Report, swarm: &mut Swarm) {}

fn main() {}
