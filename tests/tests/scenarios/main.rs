//! The reference scenarios (SCENARIOS.md) as `#[swarm_test]` tests, one module per pattern.
//! Each run is checked by the harness (nothing lost, nothing done twice, hops along edges)
//! and snapshotted under `snapshots/`.

mod hierarchical;
mod hierarchical_routing;
mod mesh;
mod mesh_consensus;
mod mesh_failover;
mod ring;
mod ring_resilience;
mod star;
mod star_failover;
mod strategy_matrix;
