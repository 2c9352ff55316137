//! Scenarios 8 and 9: data flow around the ring, and a circuit breaker on a failing stage.

use swarm_test::internals::core::{BreakerState, TASK_TIMEOUT_US};
use swarm_test::prelude::*;
use swarm_test::Mode;

/// Mean end-to-end latency budget for a 3-hop relay, ms (virtual): 3 links of at most 20 ms
/// would be 60 ms; a LAN-like ring should stay far below.
const RELAY_BUDGET_MS: f64 = 25.0;

/// Scenario 8: 10 iterations of a message relayed 3 hops around a 4-stage ring.
#[swarm_test(
    topology = "ring",
    agents = 4,
    roles = "data_collector, neural_forecaster, risk_manager, momentum_trader"
)]
async fn data_flows_around_the_ring(swarm: &mut Swarm) -> Result<(), SwarmError> {
    for _ in 0..10 {
        let done = swarm.dispatch(Task::relay(3)).await?;
        assert!(!done.rerouted);
    }
    let report = swarm.report();
    assert_eq!(report.tasks.completed, 10);
    assert_eq!(
        report.messages.sent - report.messages.heartbeats,
        10 * 3,
        "3 agent-to-agent hops per iteration"
    );
    // Virtual time checks the model's budget; real time checks only that no relay waited
    // for a client timeout (a hop lost and retried), since tests never assert machine speed.
    let budget_ms = match report.mode {
        Mode::Mock => RELAY_BUDGET_MS,
        Mode::Live => TASK_TIMEOUT_US as f64 / 1_000.0,
    };
    assert!(
        report.latency.mean_ms < budget_ms,
        "mean {} ms over budget {budget_ms} ms",
        report.latency.mean_ms
    );
    Ok(())
}

/// Scenario 9: the analysis stage answers every task with an error for 1 s. Retries route
/// around it (the stage's work is skipped), its breaker opens after 3 failures, half-opens
/// after the 500 ms cool-down for a trial, and closes once a trial succeeds after the fault.
#[swarm_test(
    topology = "ring",
    agents = 4,
    roles = "data_collector, neural_forecaster, risk_manager, momentum_trader",
    trades = 80,
    inject = "error_rate(1.0, target = 1) @ 200ms for 1s"
)]
fn a_failing_stage_trips_its_breaker(report: &Report) {
    assert_eq!(report.tasks.completed, 80, "{:?}", report.failures);
    assert!(
        report.health.stages_skipped > 0,
        "traffic routed around stage 1"
    );
    let moves: Vec<(BreakerState, BreakerState)> = report
        .health
        .breakers
        .iter()
        .filter(|b| b.agent == 1)
        .map(|b| (b.from, b.to))
        .collect();
    use BreakerState::*;
    assert_eq!(moves.first(), Some(&(Closed, Open)), "{moves:?}");
    assert!(moves.contains(&(Open, HalfOpen)), "{moves:?}");
    assert_eq!(moves.last(), Some(&(HalfOpen, Closed)), "{moves:?}");
    // The same clock in both modes: 1 200 ms in virtual time, just after it in live mode.
    let closed_at = report.health.breakers.last().unwrap().at_ms;
    let healed_at = report.faults[0].healed_at_ms.expect("the fault healed");
    assert!(
        closed_at >= healed_at,
        "closed only after the fault healed at {healed_at}: {closed_at}"
    );
    assert!(
        report.health.detections.is_empty(),
        "an erroring stage is alive: heartbeats keep it"
    );
}

/// Scenario 9, the other outcome: two stages down cut a 5-stage ring in two, so the live
/// stages cannot reach each other either way round and the trades fail saying why.
#[swarm_test(
    topology = "ring",
    agents = 5,
    trades = 6,
    inject = ["crash(1) @ 0ms", "crash(3) @ 0ms"],
    snapshot = false
)]
fn a_cut_ring_says_no_agent_is_available(report: &Report) {
    // Every trade fails, each naming the stages that cut the ring.
    assert_eq!(report.tasks.failed, 6, "{:?}", report.failures);
    assert!(
        report
            .failures
            .iter()
            .all(|f| f.contains("no agent is available")
                && f.contains("round the ring")
                && f.contains("stages [1, 3]")),
        "{:?}",
        report.failures
    );
}
