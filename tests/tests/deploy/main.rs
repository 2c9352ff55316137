//! The deployment patterns (SCENARIOS.md 12–19): autoscaling, strategy mix and rotation,
//! blue-green, canary, plus a bad green and a bad canary that must roll back. Each run is
//! checked by the harness (nothing lost, nothing done twice, hops along edges, joiners and
//! leavers included) and snapshotted under `snapshots/`.

mod blue_green;
mod canary;
mod scaling;
mod strategies;
