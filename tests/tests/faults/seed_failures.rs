//! The original suite's four failure scenarios (CPU spike, memory leak, network issue, crash),
//! each striking mid-run on every pattern that exists today: the four topologies (agent 1 is
//! a mesh peer, a hierarchy's first leader, the ring's analysis stage, a star's spoke), and
//! the multi-strategy swarm (a mesh of momentum, pairs and arbitrage traders, hit by role).
//! 60 trades arrive over about 1.5 s; the faults start at 300 ms.

use swarm_test::prelude::*;

use super::check;

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    trades = 60,
    inject = "cpu_spike(0.95, target = 1) @ 300ms for 1s"
)]
fn cpu_spike_mid_run(report: &Report) {
    check(report);
    // Agent 1's work takes 10× longer (at least 40 ms) while it lasts; nothing times out.
    assert!(report.latency.max_ms >= 40.0, "{:?}", report.latency);
    assert_eq!(report.tasks.completed, 60);
    assert_eq!(report.faults[0].tasks_affected, 0);
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    trades = 60,
    inject = "memory_leak(2000, target = 1) @ 300ms"
)]
fn memory_leak_mid_run(report: &Report) {
    check(report);
    assert_eq!(
        report.agents[1].memory_mb, 1024.0,
        "killed at the limit, 448 ms in"
    );
    after_losing_agent_1(report);
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    trades = 60,
    inject = "network_issue(300ms, loss = 0.2) @ 300ms for 1s"
)]
fn network_issue_mid_run(report: &Report) {
    check(report);
    let fault = &report.faults[0];
    assert!(report.latency.max_ms >= 600.0, "{:?}", report.latency);
    assert!(
        report.messages.dropped > 0 && fault.tasks_affected > 0,
        "{fault:?}"
    );
    assert_eq!(fault.healed_at_ms, Some(1300.0));
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    trades = 60,
    inject = "crash(1) @ 300ms"
)]
fn crash_mid_run(report: &Report) {
    check(report);
    after_losing_agent_1(report);
}

/// Agent 1 died mid-run: failure detection notices (missed heartbeats) and its work is
/// rerouted and completes; in the ring, the pipeline routes around the dead stage (its work is
/// skipped and counted in `health.stages_skipped`).
fn after_losing_agent_1(report: &Report) {
    let fault = &report.faults[0];
    assert_eq!(fault.targets, vec![1]);
    assert!(fault.detected_after_ms.is_some(), "{fault:?}");
    // Tasks it held (if it held any when it died, which depends on the seed) were rerouted
    // and one of them completed: that is the recovery.
    if fault.tasks_rerouted > 0 {
        assert!(fault.recovered_after_ms.is_some(), "{fault:?}");
    }
    assert_eq!(report.tasks.completed, 60, "every task got around agent 1");
    if report.topology.kind == TopologyKind::Ring {
        assert!(report.health.stages_skipped > 0, "{:?}", report.health);
    }
}

#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*2, pairs_trader*2, arbitrage_trader",
    trades = 60,
    inject = "cpu_spike(0.95, target = role:momentum_trader) @ 300ms for 1s"
)]
fn multi_strategy_cpu_spike(report: &Report) {
    check(report);
    assert_eq!(report.faults[0].targets, vec![0, 1]);
    assert_eq!(report.tasks.completed, 60);
}

#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*2, pairs_trader*2, arbitrage_trader",
    trades = 60,
    inject = "memory_leak(2000, target = role:arbitrage_trader) @ 300ms"
)]
fn multi_strategy_memory_leak(report: &Report) {
    check(report);
    let leak = &report.faults[0];
    assert_eq!(leak.targets, vec![4]);
    assert_eq!(report.agents[4].memory_mb, 1024.0);
    assert!(leak.detected_after_ms.is_some(), "{leak:?}");
    if leak.tasks_rerouted > 0 {
        assert!(leak.recovered_after_ms.is_some(), "{leak:?}");
    }
    assert_eq!(report.tasks.completed, 60);
}

#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*2, pairs_trader*2, arbitrage_trader",
    trades = 60,
    inject = "network_issue(300ms, loss = 0.2) @ 300ms for 1s"
)]
fn multi_strategy_network_issue(report: &Report) {
    check(report);
    assert!(report.latency.max_ms >= 600.0, "{:?}", report.latency);
}

#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*2, pairs_trader*2, arbitrage_trader",
    trades = 60,
    inject = "crash(role:pairs_trader) @ 300ms"
)]
fn multi_strategy_crash(report: &Report) {
    check(report);
    let crash = &report.faults[0];
    assert_eq!(crash.targets, vec![2, 3], "both pairs traders");
    assert!(
        crash.tasks_rerouted > 0 && crash.recovered_after_ms.is_some(),
        "{crash:?}"
    );
    assert_eq!(
        report.tasks.completed, 60,
        "the other three strategies take the work"
    );
}
