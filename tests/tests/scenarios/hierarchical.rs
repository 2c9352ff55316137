//! Hierarchical: a coordinator at the root, workers below.

use swarm_test::prelude::*;

/// Scenario 4: one coordinator and four workers; all work flows through the coordinator.
#[swarm_test(
    topology = "hierarchical",
    agents = 5,
    roles = "portfolio_optimizer, momentum_trader, mean_reversion_trader, neural_forecaster, risk_manager",
    trades = 20
)]
fn leader_and_workers(report: &Report) {
    let coordinator = &report.agents[0];
    assert_eq!(coordinator.role, Role::PortfolioOptimizer);
    assert_eq!(
        coordinator.degree, 4,
        "the coordinator connects to every worker"
    );
    assert!(
        report.agents[1..].iter().all(|w| w.degree == 1),
        "each worker has one connection"
    );
    assert_eq!(
        coordinator.executed, 0,
        "the coordinator routes, workers execute"
    );
    assert!(report.agents[1..].iter().all(|w| w.executed == 5));
    assert_eq!(report.tasks.completed, 20);
    // Coordinator → worker and back for every task. Heartbeats travel the same edges (every
    // agent to each neighbour, every 100 ms) and are counted apart.
    if report.mode == swarm_test::Mode::Mock {
        assert!(report.messages.heartbeats > 0); // the live controller sends none yet
    }
    assert_eq!(report.messages.sent - report.messages.heartbeats, 40);
    let spof: Vec<_> = report
        .topology
        .single_points_of_failure
        .iter()
        .map(|s| s.agent)
        .collect();
    assert_eq!(
        spof,
        vec![0],
        "the coordinator is the single point of failure"
    );
}
