//! Every routing strategy on every topology, with one agent crashing mid-run.
//!
//! The harness checks the coordination invariants of each case (every task ended exactly
//! once, every hop along an edge of the topology in force); the bodies check what each
//! strategy promises.

use swarm_test::prelude::*;
use swarm_test::TopologyKind;

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
    // Turns: on a mesh or a star every surviving executor gets its turn in order, so their
    // shares differ by at most one trade, plus one for a trade rerouted off the crashed agent.
    // (A ring has one execution stage; a tree's turns are taken level by level.)
    if matches!(
        report.topology.kind,
        TopologyKind::Mesh | TopologyKind::Star
    ) {
        // Every executor that did not crash, including one that got nothing (a star's
        // agent 0 is the hub, which routes).
        let hub = report.topology.kind == TopologyKind::Star;
        let crashed = &report.faults[0].targets;
        let counts: Vec<u64> = report
            .agents
            .iter()
            .filter(|a| !crashed.contains(&a.id) && (!hub || a.id != 0))
            .map(|a| a.executed)
            .collect();
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(max - min <= 2, "turns are even: {counts:?}");
    }
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
    // Scenario 6's bound: no executor takes more than 35% of the trades, even from a
    // sequential flow (ties rotate among the equally loaded). A ring has one execution stage.
    if report.topology.kind != TopologyKind::Ring {
        assert!(
            report.tasks.max_share <= 0.35,
            "max share {} > 0.35: {:?}",
            report.tasks.max_share,
            executed(report)
        );
    }
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
    // Work shifts away from the agent that fails: the crashed executor ends with fewer trades
    // than the survivors' mean (a ring has one execution stage; a crashed coordinator or hub
    // executes nothing anyway).
    let crashed = report.faults[0].targets[0];
    let counts = survivors(report);
    if counts.len() > 1 && report.agents[crashed].executed > 0 {
        let mean = counts.iter().sum::<u64>() as f64 / counts.len() as f64;
        assert!(
            (report.agents[crashed].executed as f64) < mean,
            "agent {crashed} crashed, yet kept its share: {:?}",
            executed(report)
        );
    }
}

/// Trades executed per agent, by id.
fn executed(report: &Report) -> Vec<u64> {
    report.agents.iter().map(|a| a.executed).collect()
}

/// Trades executed by each agent that executed any and was not the crash's target.
fn survivors(report: &Report) -> Vec<u64> {
    let crashed = &report.faults[0].targets;
    report
        .agents
        .iter()
        .filter(|a| a.executed > 0 && !crashed.contains(&a.id))
        .map(|a| a.executed)
        .collect()
}

/// Every task ended once, as completed or failed with a reason.
fn accounted(report: &Report) {
    let t = &report.tasks;
    assert_eq!((t.lost, t.duplicated), (0, 0));
    assert_eq!(t.completed + t.failed, t.dispatched);
    assert_eq!(report.failures.len() as u64, t.failed);
    assert!(t.completed > 0, "{:?}", report.failures);
}
