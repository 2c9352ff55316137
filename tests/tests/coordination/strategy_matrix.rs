//! Every routing strategy on every topology, with one agent crashing mid-run.
//!
//! The harness checks the coordination invariants of each case (every task ended exactly
//! once, every hop along an edge of the topology in force); the bodies check what each
//! strategy promises.

use swarm_test::prelude::*;

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "round_robin",
    trades = 30,
    inject = "crash(random) @ 150ms",
    snapshot = false
)]
fn round_robin(report: &Report) {
    accounted(report);
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "least_loaded",
    trades = 30,
    inject = "crash(random) @ 150ms",
    snapshot = false
)]
fn least_loaded(report: &Report) {
    accounted(report);
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "specialized",
    trades = 30,
    inject = "crash(random) @ 150ms",
    snapshot = false
)]
fn specialized(report: &Report) {
    accounted(report);
    for agent in report.agents.iter().filter(|a| a.executed > 0) {
        assert!(
            agent.role.capabilities().contains(&"trade_execution"),
            "agent {} ({:?}) executed a trade without `trade_execution`",
            agent.id,
            agent.role
        );
    }
    for failure in &report.failures {
        assert!(
            failure.contains("trade_execution") || failure.contains("no result"),
            "{failure}"
        );
    }
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "consensus",
    trades = 30,
    inject = "crash(random) @ 150ms",
    snapshot = false
)]
fn consensus(report: &Report) {
    accounted(report);
    assert_eq!(report.consensus.len(), 30, "one vote per trade");
    let reached = report.consensus.iter().filter(|r| r.reached).count() as u64;
    assert_eq!(
        report.tasks.dispatched, reached,
        "only agreed trades go out"
    );
    for round in &report.consensus {
        if round.reached {
            assert!(round.agreeing.len() as u64 >= round.quorum, "{round:?}");
            assert!(round.voters.len() >= 3, "{round:?}");
        }
    }
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "adaptive",
    trades = 30,
    inject = "crash(random) @ 150ms",
    snapshot = false
)]
fn adaptive(report: &Report) {
    accounted(report);
}

/// Every task ended once, as completed or failed with a reason.
fn accounted(report: &Report) {
    let t = &report.tasks;
    assert_eq!((t.lost, t.duplicated), (0, 0));
    assert_eq!(t.completed + t.failed, t.dispatched);
    assert_eq!(report.failures.len() as u64, t.failed);
    assert!(t.completed > 0, "{:?}", report.failures);
}
