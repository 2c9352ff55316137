//! The original suite's four failure kinds on the deployment patterns: an autoscaled swarm, a
//! blue-green and a canary rollout, each hit on agent 1 while it runs. Whatever the pattern
//! decides, the harness's invariants hold (nothing lost, nothing done twice), the fault is
//! measured, and the pattern still reaches an outcome. The autoscaled swarm's CPU target is
//! set low (2 %) so that it scales up during every run, fault or not.

use swarm_test::prelude::*;

use super::check;

/// The pattern reached an outcome: a scale event or a final deployment step.
fn pattern_finished(report: &Report) {
    let decided = !report.scaling.is_empty()
        || report
            .deploy
            .last()
            .is_some_and(|step| step.outcome != "in_progress");
    assert!(
        decided,
        "scaling: {:?}\ndeploy: {:?}",
        report.scaling, report.deploy
    );
}

/// A fault on agent 1: it was measured on agent 1, and exactly-once held.
fn hit_agent_1(report: &Report) {
    check(report);
    assert_eq!(report.faults[0].targets, vec![1], "{:?}", report.faults[0]);
    assert!(report.faults[0].at_ms.is_some());
    pattern_finished(report);
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
    hit_agent_1(report);
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
    hit_agent_1(report);
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
    check(report);
    assert!(report.messages.dropped > 0, "{:?}", report.messages);
    pattern_finished(report);
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
    hit_agent_1(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "cpu_spike(0.95, target = 1) @ 300ms for 3s"
)]
fn blue_green_cpu_spike(report: &Report) {
    hit_agent_1(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "memory_leak(2000, target = 1) @ 300ms"
)]
fn blue_green_memory_leak(report: &Report) {
    hit_agent_1(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "network_issue(300ms, loss = 0.2) @ 300ms for 1s"
)]
fn blue_green_network_issue(report: &Report) {
    check(report);
    assert!(report.messages.dropped > 0, "{:?}", report.messages);
    pattern_finished(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "blue_green",
    inject = "crash(1) @ 300ms"
)]
fn blue_green_crash(report: &Report) {
    hit_agent_1(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "cpu_spike(0.95, target = 1) @ 300ms for 3s"
)]
fn canary_cpu_spike(report: &Report) {
    hit_agent_1(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "memory_leak(2000, target = 1) @ 300ms"
)]
fn canary_memory_leak(report: &Report) {
    hit_agent_1(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "network_issue(300ms, loss = 0.2) @ 300ms for 1s"
)]
fn canary_network_issue(report: &Report) {
    check(report);
    assert!(report.messages.dropped > 0, "{:?}", report.messages);
    pattern_finished(report);
}

#[swarm_test(
    topology = "mesh",
    agents = 4,
    deploy = "canary",
    inject = "crash(1) @ 300ms"
)]
fn canary_crash(report: &Report) {
    hit_agent_1(report);
}
