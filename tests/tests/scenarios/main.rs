//! The reference scenarios (SCENARIOS.md) as `#[swarm_test]` tests, one module per pattern.
//! Each run is checked by the harness (nothing lost, nothing done twice, hops along edges)
//! and snapshotted under `snapshots/`.

mod hierarchical;
mod mesh;
mod ring;
mod star;
