//! Ring: a pipeline of stages, each connected to the next.

use fixtures::{pipeline_stages, RosterFixture};
use rstest::rstest;
use swarm_test::prelude::*;

/// Scenario 7: collection → analysis → risk → execution; every trade passes every stage.
#[swarm_test(
    topology = "ring",
    agents = 4,
    roles = "data_collector, neural_forecaster, risk_manager, momentum_trader",
    trades = 20
)]
fn pipeline_passes_every_stage(report: &Report) {
    assert!(
        report.agents.iter().all(|a| a.degree == 2),
        "each stage has 2 connections"
    );
    assert_eq!(report.tasks.completed, 20);
    // Three hops down the pipeline, one hop from execution back to collection; heartbeats
    // (each stage to its two neighbours every 100 ms) are counted apart.
    assert_eq!(report.messages.sent - report.messages.heartbeats, 20 * 4);
    // Only the execution stage executes the trade.
    let executed: Vec<u64> = report.agents.iter().map(|a| a.executed).collect();
    assert_eq!(executed, vec![0, 0, 0, 20]);
    assert!(report.topology.single_points_of_failure.is_empty());
    assert_eq!(report.topology.diameter, 2);
}

#[rstest]
fn pipeline_roster_matches_the_scenario(pipeline_stages: RosterFixture) {
    assert_eq!(
        pipeline_stages.roles(),
        vec![
            Role::DataCollector,
            Role::NeuralForecaster,
            Role::RiskManager,
            Role::MomentumTrader
        ]
    );
}
