//! The deployment patterns (SCENARIOS.md 12–19): autoscaling, strategy mix and rotation,
//! blue-green, canary, plus a bad green and a bad canary that must roll back. Each run is
//! checked by the harness (nothing lost, nothing done twice, hops along edges, joiners and
//! leavers included) and snapshotted under `snapshots/`; in live mode (`SWARM_TEST_MODE=live`)
//! against the `@live` snapshots.

mod blue_green;
mod canary;
mod scaling;
mod strategies;

/// The same scenarios again with every agent a real OS process (see [`tests::passes_live`]):
/// agents join as new processes and leave by being drained and killed, on the real clock
/// (the longest re-run of the suite: the scaling scenarios run 40–60 s of trades, and each
/// rollout waits its 30 s `scale_down_delay`; libtest's `finished in` line says how long).
#[test]
fn every_scenario_also_passes_live() {
    tests::passes_live("every_scenario_also_passes_live", 9);
}
