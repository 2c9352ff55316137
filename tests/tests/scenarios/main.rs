//! The reference scenarios (SCENARIOS.md) as `#[swarm_test]` tests, one module per pattern.
//! Each run is checked by the harness (nothing lost, nothing done twice, hops along edges)
//! and snapshotted under `snapshots/`.

mod hierarchical;
mod mesh;
mod ring;
mod star;
mod summary;

/// The same scenarios again with every agent a real OS process (live mode, process backend),
/// so `cargo test` covers both modes: this test binary runs itself once more with
/// `SWARM_TEST_MODE=live`, and every scenario must pass there against its `@live` snapshot.
#[test]
fn every_scenario_also_passes_live() {
    tests::passes_live("every_scenario_also_passes_live", 4);
}
