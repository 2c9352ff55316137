//! Every routing strategy on every topology, with one agent crashing mid-run (and, for
//! `adaptive`, one agent failing most tasks from the start, for the work to shift away from).
//!
//! The harness checks the coordination invariants of each case (every task ended exactly
//! once, every hop along an edge of the topology in force); the bodies check the
//! distribution each strategy promises, and each case is snapshotted. `planted` re-runs each
//! strategy's cases with that strategy broken and sees them fail. A ring has one execution
//! stage whatever the strategy (its last live stage executes every trade): its cases check
//! that instead.

use swarm_test::prelude::*;
use swarm_test::TopologyKind;

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "round_robin",
    trades = 30,
    inject = "crash(random) @ 150ms"
)]
fn round_robin(report: &Report) {
    // Turns: on a mesh or a star every surviving executor gets its turn in order, so their
    // shares differ by at most one trade, plus one for a trade rerouted off the crashed agent.
    match report.topology.kind {
        TopologyKind::Ring => return one_execution_stage(report),
        // In a tree a crashed leader cuts its workers off until it is detected and replaced,
        // so their turns come late: each surviving worker still gets turns, none more than a
        // third of the trades (an even share is a quarter).
        TopologyKind::Hierarchical => {
            let counts = survivors_counts(report);
            assert!(
                counts.iter().all(|&n| n > 0 && 3 * n <= 30),
                "turns are taken by every surviving worker: {counts:?}"
            );
            return;
        }
        TopologyKind::Mesh | TopologyKind::Star => {}
    }
    // Every executor that did not crash, including one that got nothing (a star's agent 0 is
    // the hub, which routes).
    let counts = survivors_counts(report);
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(max - min <= 2, "turns are even: {counts:?}");
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "least_loaded",
    trades = 30,
    inject = "crash(random) @ 150ms"
)]
fn least_loaded(report: &Report) {
    // Scenario 6's bound: no executor takes more than 35% of the trades, even from a
    // sequential flow (ties rotate among the equally loaded). A ring has one execution stage.
    if report.topology.kind == TopologyKind::Ring {
        return one_execution_stage(report);
    }
    assert!(
        report.tasks.max_share <= 0.35,
        "max share {} > 0.35, one executor took more than its load allows: {:?}",
        report.tasks.max_share,
        executed(report)
    );
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "specialized",
    trades = 30,
    inject = "crash(random) @ 150ms"
)]
fn specialized(report: &Report) {
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
    inject = "crash(random) @ 150ms"
)]
fn consensus(report: &Report) {
    assert_eq!(report.consensus.len(), 30, "one vote per trade");
    let reached = report.consensus.iter().filter(|r| r.reached).count() as u64;
    assert_eq!(
        report.tasks.dispatched, reached,
        "only agreed trades go out"
    );
    for round in &report.consensus {
        if round.reached {
            assert!(
                round.agreeing.len() as u64 >= round.quorum && round.voters.len() >= 3,
                "reached without a quorum of live voters: {round:?}"
            );
        }
    }
}

#[swarm_test(
    topology = ["mesh", "hierarchical", "ring", "star"],
    agents = 6,
    strategy = "adaptive",
    trades = 30,
    inject = ["crash(random) @ 150ms", "error_rate(0.8, target = 2)"]
)]
fn adaptive(report: &Report) {
    if report.topology.kind == TopologyKind::Ring {
        return one_execution_stage(report);
    }
    // Work shifts away from the agent that fails: agent 2, answering 80% of its tasks with an
    // error from the start, is given (executed or erred) less than half an even share of the trades among
    // the executors that survived. If the crash hit agent 2, there is nothing to compare; if
    // it hit the hub or coordinator, its successor's promotion reshuffles the routing and
    // everything it held is rerouted at once, so the shares say little either.
    let crashed = &report.faults[0].targets;
    if crashed.contains(&2) || crashed.iter().any(|&c| root(report) == Some(c)) {
        return;
    }
    let given = |a: &swarm_test::AgentReport| a.executed + a.errors;
    let executors: Vec<u64> = report
        .agents
        .iter()
        .filter(|a| !crashed.contains(&a.id) && root(report) != Some(a.id))
        .map(given)
        .collect();
    let even = executors.iter().sum::<u64>() as f64 / executors.len() as f64;
    let slow = given(&report.agents[2]);
    assert!(
        (slow as f64) < even / 2.0,
        "work did not shift away from the failing agent 2: it was given {slow}, an even share \
         is {even}: {executors:?}"
    );
}

/// A star's hub or a tree's coordinator (agent 0): it routes.
fn root(report: &Report) -> Option<usize> {
    match report.topology.kind {
        TopologyKind::Star | TopologyKind::Hierarchical => Some(0),
        TopologyKind::Mesh | TopologyKind::Ring => None,
    }
}

/// A ring is a pipeline: its last live stage executes every trade that completed, whatever
/// the strategy.
fn one_execution_stage(report: &Report) {
    let counts = executed(report);
    let last = (0..counts.len())
        .rev()
        .find(|&a| !report.faults[0].targets.contains(&a))
        .expect("a live stage");
    assert_eq!(
        counts[last], report.tasks.completed,
        "the last live stage executes every trade: {counts:?}"
    );
}

/// Trades executed by each agent that did not crash and does not route (the root).
fn survivors_counts(report: &Report) -> Vec<u64> {
    let crashed = &report.faults[0].targets;
    report
        .agents
        .iter()
        .filter(|a| !crashed.contains(&a.id) && root(report) != Some(a.id))
        .map(|a| a.executed)
        .collect()
}

/// Trades executed per agent, by id.
fn executed(report: &Report) -> Vec<u64> {
    report.agents.iter().map(|a| a.executed).collect()
}
