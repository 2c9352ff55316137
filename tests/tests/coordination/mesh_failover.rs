//! Scenario 3: a mesh peer crashes mid-run; its tasks are rerouted to its peers.

use swarm_test::prelude::*;
use swarm_test::Mode;

/// Five peers, 40 trades; agent 2 crashes at 300 ms. Its peers miss its heartbeats, declare
/// it failed, and every task it held is rerouted: none lost, none done twice.
#[swarm_test(
    topology = "mesh",
    agents = 5,
    roles = "momentum_trader*5",
    trades = 40,
    inject = "crash(2) @ 300ms"
)]
fn crashed_peer_fails_over(report: &Report) {
    assert_eq!(report.tasks.completed, 40);
    assert!(report.tasks.rerouted > 0, "the crashed peer's tasks moved");
    let detection = &report.health.detections[0];
    assert_eq!(detection.agent, 2);
    let after = detection.detected_after_ms.expect("the crash was timed");
    // The monitors time the 300 ms silence from the last heartbeat they heard (sent up to one
    // 100 ms interval before the crash) and notice at their next ticks (100 ms apart), both
    // monitors needed.
    // In live mode heartbeats and ticks run on a loaded machine's scheduler: one may come a
    // further interval late on either side, and still well under the 1 s client timeout
    // (the heartbeat detector noticed, not a task's timeout).
    let window = match report.mode {
        Mode::Mock => 300.0 - 100.0..=300.0 + 2.0 * 100.0 + 20.0,
        Mode::Live => 300.0 - 2.0 * 100.0..=300.0 + 3.0 * 100.0 + 150.0,
    };
    assert!(window.contains(&after), "{after} outside {window:?}");
    assert_eq!(detection.by, vec![1, 3], "its two monitoring neighbours");
    let fault = &report.faults[0];
    assert!(fault.detected_after_ms.is_some() && fault.recovered_after_ms.is_some());
    assert_eq!(report.agents[2].state, AgentState::Failed);
    assert!(report.agents[2].executed < 8, "it stopped taking work");
}
