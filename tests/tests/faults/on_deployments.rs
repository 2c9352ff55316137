//! The original suite's four failure kinds on the deployment patterns: an autoscaled swarm, a
//! blue-green and a canary rollout, each hit on agent 1 while it runs. Whatever the pattern
//! decides, the harness's invariants hold (nothing lost, nothing done twice), the fault is
//! measured, the autoscaler stays within its bounds, and a rollout still reaches a decision.
//! (Whether the autoscaler scales at all depends on the sampled load, so it is not required.)

use swarm_test::prelude::*;
use swarm_test::Mode;

use super::{detected_in_time, leak_grew, spike_slowed};

/// The autoscaler kept to its bounds under the fault: every scale event lands in
/// `min_agents..=max_agents` (2..=6 here).
fn within_bounds(report: &Report) {
    for event in &report.scaling {
        assert!((2..=6).contains(&event.to), "{event:?}");
    }
}

/// The rollout reached a decision under the fault: its last step is final.
fn rolled_out(report: &Report) {
    let last = report.deploy.last().expect("a rollout records its steps");
    assert_ne!(last.outcome, "in_progress", "{:?}", report.deploy);
}

/// A fault on agent 1: it started, on agent 1.
fn hit_agent_1(report: &Report) {
    assert_eq!(report.faults[0].targets, vec![1], "{:?}", report.faults[0]);
    assert!(report.faults[0].at_ms.is_some());
}

/// Agent 1 crashed: it was declared failed within the detector's bound, and what it held was
/// rerouted.
fn crash_detected(report: &Report) {
    hit_agent_1(report);
    detected_in_time(report, &report.faults[0], 1, 0.0);
}

/// Agent 1's leak (2000 MB/s from 128 MB) reached the 1024 MB limit 448 ms after it started
/// and killed it (mock; live, if the machine wrote the pages in time), and the kill was
/// detected within the detector's bound.
fn leak_killed(report: &Report) {
    hit_agent_1(report);
    let killed = leak_grew(report, 1);
    assert!(
        killed || report.mode == Mode::Live,
        "the leak grew agent 1 to {} MB, short of its limit",
        report.agents[1].memory_mb
    );
    if killed {
        detected_in_time(report, &report.faults[0], 1, 448.0);
    }
}

#[swarm_test(
    topology = "mesh",
    agents = 3,
    min_agents = 2,
    max_agents = 6,
    target_cpu = "0.02",
    scale_interval = "1s",
    trades = 200,
    timeout = "120s",
    inject = "cpu_spike(0.95, target = 1) @ 300ms for 3s"
)]
fn autoscaling_cpu_spike(report: &Report) {
    spike_slowed(report, &[1], 300.0);
    within_bounds(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 3,
    min_agents = 2,
    max_agents = 6,
    target_cpu = "0.02",
    scale_interval = "1s",
    trades = 200,
    timeout = "120s",
    inject = "memory_leak(2000, target = 1) @ 300ms"
)]
fn autoscaling_memory_leak(report: &Report) {
    leak_killed(report);
    within_bounds(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 3,
    min_agents = 2,
    max_agents = 6,
    target_cpu = "0.02",
    scale_interval = "1s",
    trades = 200,
    timeout = "120s",
    inject = "network_issue(300ms, loss = 0.2) @ 300ms for 1s"
)]
fn autoscaling_network_issue(report: &Report) {
    assert!(report.messages.dropped > 0, "{:?}", report.messages);
    within_bounds(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 3,
    min_agents = 2,
    max_agents = 6,
    target_cpu = "0.02",
    scale_interval = "1s",
    trades = 200,
    timeout = "120s",
    inject = "crash(1) @ 300ms"
)]
fn autoscaling_crash(report: &Report) {
    crash_detected(report);
    within_bounds(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "cpu_spike(0.95, target = 1) @ 300ms for 3s"
)]
fn blue_green_cpu_spike(report: &Report) {
    spike_slowed(report, &[1], 300.0);
    rolled_out(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "memory_leak(2000, target = 1) @ 300ms"
)]
fn blue_green_memory_leak(report: &Report) {
    leak_killed(report);
    rolled_out(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "network_issue(300ms, loss = 0.2) @ 300ms for 1s"
)]
fn blue_green_network_issue(report: &Report) {
    assert!(report.messages.dropped > 0, "{:?}", report.messages);
    rolled_out(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "crash(1) @ 300ms"
)]
fn blue_green_crash(report: &Report) {
    crash_detected(report);
    rolled_out(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "cpu_spike(0.95, target = 1) @ 300ms for 3s"
)]
fn canary_cpu_spike(report: &Report) {
    spike_slowed(report, &[1], 300.0);
    rolled_out(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "memory_leak(2000, target = 1) @ 300ms"
)]
fn canary_memory_leak(report: &Report) {
    leak_killed(report);
    rolled_out(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "network_issue(300ms, loss = 0.2) @ 300ms for 1s"
)]
fn canary_network_issue(report: &Report) {
    assert!(report.messages.dropped > 0, "{:?}", report.messages);
    rolled_out(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "crash(1) @ 300ms"
)]
fn canary_crash(report: &Report) {
    crash_detected(report);
    rolled_out(report);
}
