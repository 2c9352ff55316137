//! Mesh: every agent connected to every other.

use fixtures::{equal_peers, RosterFixture};
use rstest::rstest;
use swarm_test::prelude::*;

/// Scenario 1: five equal peers share 20 trades round-robin; each handles exactly 4.
#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*5",
    trades = 20
)]
fn equal_peers_share_work(report: &Report) {
    assert!(
        report.agents.iter().all(|a| a.degree == 4),
        "every agent has n−1 connections"
    );
    assert!(
        report.agents.iter().all(|a| a.executed == 4),
        "each agent handles exactly 4 trades: {:?}",
        report.agents.iter().map(|a| a.executed).collect::<Vec<_>>()
    );
    assert_eq!(report.tasks.completed, 20);
    assert_eq!(report.success_rate, 1.0);
    assert_eq!(report.tasks.max_share, 0.2);
    assert!(report.topology.single_points_of_failure.is_empty());
    // Peers take orders directly: no agent-to-agent hop is needed. The only agent-to-agent
    // traffic is heartbeats (each peer to its two monitoring neighbours every 100 ms).
    if report.mode == swarm_test::Mode::Mock {
        assert!(report.messages.heartbeats > 0); // the live controller sends none yet
    }
    assert_eq!(report.messages.sent, report.messages.heartbeats);
}

#[rstest]
fn equal_peers_roster_is_the_fixture(equal_peers: RosterFixture) {
    assert_eq!(equal_peers.text, "momentum_trader*5");
    assert_eq!(equal_peers.len(), 5);
}
