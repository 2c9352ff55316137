//! Attributes on the test keep working: docs, `#[ignore]`, `#[should_panic]`, `#[cfg]`, lints.
#![allow(dead_code)]

use swarm_test::prelude::*;

/// A documented test.
#[swarm_test(topology = "ring", agents = 3, snapshot = false)]
#[ignore = "shows that #[ignore] reaches the generated test"]
fn ignored() {}

#[swarm_test(topology = "ring", agents = 3, snapshot = false)]
#[should_panic(expected = "boom")]
fn panics(_report: &Report) {
    panic!("boom");
}

#[swarm_test(topology = "ring", agents = 3, snapshot = false)]
#[cfg(not(any()))]
#[allow(clippy::no_effect)]
fn configured() {
    1;
}

#[swarm_test(topology = "star", agents = [2, 3], snapshot = false)]
#[should_panic(expected = "always")]
fn panics_in_every_case() {
    panic!("always");
}

/// Autoscaling keys alone: the bounds they leave out default to a valid range for the
/// topology (issue 13.6: `max_agents = 8` alone on a star used to fail on `min_agents`).
#[swarm_test(
    topology = "star",
    agents = 4,
    max_agents = 8,
    trades = 4,
    snapshot = false
)]
fn star_scales_with_max_agents_alone(report: &Report) {
    assert!(report.scaling.iter().all(|e| (2..=8).contains(&e.to)));
}

#[swarm_test(
    topology = "hierarchical",
    agents = 12,
    target_cpu = "50%",
    trades = 4,
    snapshot = false
)]
fn hierarchy_of_twelve_scales_with_target_cpu_alone() {}

fn main() {}
