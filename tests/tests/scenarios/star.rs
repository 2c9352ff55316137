//! Star: a hub connected to every spoke.

use swarm_test::prelude::*;

/// Scenario 10: a hub and six spokes, 24 trades, all through the hub.
#[swarm_test(
    topology = "star",
    agents = 7,
    roles = "portfolio_optimizer, momentum_trader*6",
    trades = 24
)]
fn hub_and_spokes(report: &Report) {
    assert_eq!(report.agents[0].degree, 6);
    assert!(report.agents[1..].iter().all(|s| s.degree == 1));
    assert_eq!(report.tasks.completed, 24);
    assert!(
        report.agents[1..].iter().all(|s| s.executed == 4),
        "round-robin over 6 spokes"
    );
    // Hub → spoke and spoke → hub for every trade: nothing bypasses the hub. Heartbeats
    // (hub ⇄ each spoke every 100 ms) are counted apart.
    assert_eq!(report.messages.sent - report.messages.heartbeats, 48);
    let spof = &report.topology.single_points_of_failure;
    assert_eq!(spof.len(), 1);
    assert_eq!(spof[0].agent, 0);
    assert_eq!(
        spof[0].splits_into.len(),
        6,
        "losing the hub strands every spoke"
    );
}

/// The imperative form: drive the star trade by trade.
#[swarm_test(topology = "star", agents = 4, snapshot = false)]
async fn hub_routes_each_dispatch(swarm: &mut Swarm) -> Result<(), SwarmError> {
    let first = swarm.dispatch(Task::trade("SPY")).await?;
    let second = swarm.dispatch(Task::trade("QQQ")).await?;
    assert_ne!(first.by, 0, "the hub routes, spokes execute");
    assert_ne!(first.by, second.by, "round-robin moves on");
    let before = swarm.now();
    tokio::time::sleep(std::time::Duration::from_secs(5)).await; // virtual: no wall time
    swarm.sleep(std::time::Duration::from_secs(1)).await?;
    assert!(swarm.now() >= before + std::time::Duration::from_secs(6));
    let ids = swarm.run_trades(6).await?;
    assert_eq!(ids.len(), 6);
    assert_eq!(swarm.report().tasks.completed, 8);
    Ok(())
}

/// In live mode every agent is its own OS process for the whole run; in mock mode none is.
#[swarm_test(topology = "star", agents = 4, snapshot = false)]
async fn agents_are_processes_in_live_mode(swarm: &mut Swarm) -> Result<(), SwarmError> {
    let before = swarm.pids();
    swarm.run_trades(6).await?;
    let during = swarm.pids();
    match swarm.mode() {
        swarm_test::Mode::Mock => assert!(before.iter().all(Option::is_none)),
        swarm_test::Mode::Live => {
            let pids: std::collections::BTreeSet<u32> = before.iter().flatten().copied().collect();
            assert_eq!(pids.len(), 4, "four distinct processes: {before:?}");
            assert!(!pids.contains(&std::process::id()));
            assert_eq!(before, during, "the same processes throughout the run");
            for pid in pids {
                assert!(
                    std::path::Path::new(&format!("/proc/{pid}")).exists(),
                    "agent process {pid} runs"
                );
            }
        }
    }
    Ok(())
}
