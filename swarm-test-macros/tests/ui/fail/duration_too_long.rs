//! Durations are at most one week, so the runtime's arithmetic in microseconds cannot
//! overflow (issue 13.14).
use swarm_test::prelude::*;

#[swarm_test(topology = "ring", agents = 3, inject = "latency(18446744073709551615ms)")]
fn latency() {}

#[swarm_test(topology = "ring", agents = 3, inject = "crash(1, restart = 18446744073709551615ms)")]
fn restart() {}

#[swarm_test(topology = "ring", agents = 3, inject = "hang(1) for 18446744073709551615ms")]
fn hang_for() {}

#[swarm_test(topology = "ring", agents = 3, timeout = "18446744073709551615ms", inject = "crash(1) @ 10081m")]
fn late_fault() {}

fn main() {}
