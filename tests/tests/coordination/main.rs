//! The coordination scenarios (SCENARIOS.md 2, 3, 5, 6, 8, 9, 11) and every routing strategy
//! on every topology (`strategy_matrix`). Each run is checked by the harness (nothing lost,
//! nothing done twice, hops along the edges in force) and snapshotted under `snapshots/`.
//!
//! They run in both modes: `SWARM_TEST_MODE=live cargo test -p tests --test coordination`
//! runs the agents as real processes and compares against the `@live` snapshots, where what
//! real timing decides (who executed which task once load-aware routing makes it a race, the
//! voters' choices; with a crash or error fault, everything but the spec, the roles, tasks
//! dispatched and the exactly-once invariants) reads `"[live]"` (the README's section on
//! live snapshots gives the rule). Assertions on virtual-time figures are mode-aware (`report.mode`).

mod hierarchical_routing;
mod mesh_consensus;
mod mesh_failover;
mod planted;
mod ring_resilience;
mod star_failover;
mod strategy_matrix;

/// The same tests again with every agent a real OS process (see [`tests::passes_live`]), so
/// `cargo test` (and CI) runs these reference scenarios in live mode too.
#[test]
fn every_test_also_passes_live() {
    tests::passes_live("every_test_also_passes_live", 32);
}
