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

fn main() {}
