//! The coordination scenarios (SCENARIOS.md 2, 3, 5, 6, 8, 9, 11) and every routing strategy
//! on every topology (`strategy_matrix`). Each run is checked by the harness (nothing lost,
//! nothing done twice, hops along the edges in force) and snapshotted under `snapshots/`.
//!
//! Mock mode only for now: these scenarios rely on the core's heartbeats, failure detection,
//! promotion and votes, which the live controller does not drive yet (so they are not part of
//! the `SWARM_TEST_MODE=live` run of `scenarios` in `.ci/run`).

mod hierarchical_routing;
mod mesh_consensus;
mod mesh_failover;
mod ring_resilience;
mod star_failover;
mod strategy_matrix;
