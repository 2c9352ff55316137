//! Lists of topologies and sizes: one test per combination, in a module named after the test.
#![allow(dead_code)]

use swarm_test::prelude::*;

#[swarm_test(topology = ["ring", "star"], agents = [3, 5], snapshot = false)]
fn every_combination(report: &Report) {
    assert_eq!(report.tasks.lost, 0);
}

#[swarm_test(topology = ["mesh", "hierarchical"], agents = 4, snapshot = false)]
fn topologies() {}

#[swarm_test(topology = "ring", agents = [3, 6], inject = ["latency(50ms)", "crash(1) @ 1s"], snapshot = false)]
fn sizes_with_faults() {}

fn main() {}
