//! Scenario 11: the hub crashes; the lowest live spoke is promoted and takes over.

use swarm_test::prelude::*;

/// A hub and six spokes, 24 trades; the hub crashes at 200 ms. The spokes miss its
/// heartbeats, a majority of them declare it failed, spoke 1 (the lowest live id) becomes the
/// hub, the other spokes' edges move to it, and every trade still completes.
#[swarm_test(
    topology = "star",
    agents = 7,
    roles = "portfolio_optimizer, momentum_trader*6",
    trades = 24,
    inject = "crash(hub) @ 200ms"
)]
fn hub_failover_promotes_a_spoke(report: &Report) {
    assert_eq!(report.tasks.completed, 24, "{:?}", report.failures);
    let spof: Vec<_> = report
        .topology
        .single_points_of_failure
        .iter()
        .map(|s| s.agent)
        .collect();
    assert_eq!(
        spof,
        vec![1],
        "the topology in force names its single point of failure: the new hub"
    );
    let promotion = &report.health.promotions[0];
    assert_eq!((promotion.failed, promotion.promoted), (0, 1));
    assert_eq!(promotion.role, "hub");
    assert_eq!(promotion.moved, vec![2, 3, 4, 5, 6]);
    assert_eq!(report.health.root, Some(1));
    let live: Vec<_> = report
        .health
        .live_single_points_of_failure
        .iter()
        .map(|s| s.agent)
        .collect();
    assert_eq!(
        live,
        vec![1],
        "the new hub is the new single point of failure"
    );
    assert!(report.health.detections[0].detected_after_ms.is_some());
    assert_eq!(report.agents[0].state, AgentState::Failed);
}

/// With every spoke already dead, nobody but the client can notice the hub die, and no spoke
/// can take over: the task fails saying no hub is available and why.
#[swarm_test(
    topology = "star",
    agents = 3,
    inject = ["crash(1)", "crash(2)", "crash(hub) @ 1s"],
    snapshot = false
)]
async fn no_hub_left_is_an_error_that_says_so(swarm: &mut Swarm) -> Result<(), SwarmError> {
    swarm.sleep(std::time::Duration::from_secs(2)).await?;
    let err = swarm.dispatch(Task::trade("SPY")).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no hub is available: hub 0 failed at"),
        "{text}"
    );
    assert!(text.contains("no spoke is alive"), "{text}");
    Ok(())
}
