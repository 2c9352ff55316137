//! The grammar of the `#[swarm_test(...)]` attribute: keys, values, fault specs and rosters.
//!
//! This crate is shared by the proc-macro (which checks an attribute at compile time and puts
//! errors on the offending token) and the runtime (which builds the same [`Spec`] from the same
//! key/value pairs). There is one parser, here, so both report the same messages.
//!
//! The entry points are [`SpecBuilder`] (the attribute as a whole), [`FaultSpec::parse`]
//! (one `inject` value), [`Roster::parse`] (a `roles` value), [`parse_duration`] (a `timeout`),
//! and `parse` on each named choice ([`TopologyKind`], [`Strategy`], [`Regime`], [`Role`],
//! [`Target`]). Every error is a [`SpecError`]: a lowercase message naming the valid choices,
//! with "did you mean" for near misses, and the attribute key at fault.
//!
//! ```
//! use swarm_test_spec::{SpecBuilder, Strategy, TopologyKind};
//!
//! let spec = SpecBuilder::new("consensus_reaches_two_thirds", "my_crate::tests")
//!     .with("topology", "mesh")
//!     .with("agents", 3u64)
//!     .with("strategy", "consensus")
//!     .build()?;
//! assert_eq!((spec.topology, spec.agents, spec.strategy), (TopologyKind::Mesh, 3, Strategy::Consensus));
//! # Ok::<(), swarm_test_spec::SpecError>(())
//! ```
//!
//! # Keys
//!
//! | key | value | default |
//! |---|---|---|
//! | `topology` | `"mesh"`, `"hierarchical"`, `"ring"`, `"star"` | required |
//! | `agents` | integer; at least 2 (ring: 3), at most 2,000 for a mesh and 100,000 otherwise ([`TopologyKind::max_agents`]) | required |
//! | `roles` | roster, `"momentum_trader*2, pairs_trader*2, arbitrage_trader"`; its size must be `agents` | the runtime's default roster |
//! | `strategy` | `"round_robin"`, `"least_loaded"`, `"specialized"`, `"consensus"`, `"adaptive"` | `"round_robin"` |
//! | `inject` | a fault spec (below); set several times to add several faults | none |
//! | `trades` | integer | 20 |
//! | `market` | `"calm"`, `"trending"`, `"volatile"`, `"crash"` or `"file:PATH"` | `"calm"` |
//! | `seed` | integer | derived by the runtime from the test's path and case |
//! | `timeout` | duration, `"30s"` | `"60s"` |
//! | `snapshot` | `true`, `false`, `"bands"` (each metric's distribution over the seeds) or a name (letters, digits, `_`, `-`) | `true` |
//!
//! Autoscaling ([`ScaleSpec`]; any of these turns it on; not on a ring):
//!
//! | key | value | default |
//! |---|---|---|
//! | `min_agents`, `max_agents` | integers, `min_agents ≤ agents ≤ max_agents` | 1 (mesh) or 2 (star, hierarchical); 10, or `agents` if larger |
//! | `target_cpu` | fraction as a string, `"0.5"` or `"50%"`, above 0 and at most 1 | `"0.5"` |
//! | `target_memory` | fraction (memory / limit) | not watched |
//! | `scale_interval` | duration between evaluations | `"15s"` |
//! | `scale_down_window` | duration: scale-down stabilisation window | `"300s"` |
//! | `cooldown` | duration with no scale event after one | `"60s"` |
//!
//! Deployment patterns ([`DeploySpec`]; each key only with the patterns that use it; not on a
//! ring; not together with autoscaling):
//!
//! | key | value | default |
//! |---|---|---|
//! | `deploy` | `"blue_green"`, `"canary"`, `"strategy_mix"`, `"rotation"` | none |
//! | `weights` | blue-green steps `"100/0, 75/25, 50/50, 25/75, 0/100"`; each sums to 100, the last is `0/100` | that |
//! | `canary_steps` | canary percentages, increasing, `"5, 25, 50"` | `"5"` |
//! | `step_requests` | requests per step (per window for a rotation) | 40 blue-green, 100 canary, 50 rotation |
//! | `max_error_rate` | blue-green: roll back above this error rate of green (fraction, 0..=1) | `"0.1"` |
//! | `min_requests` | requests before an error rate is judged | 5 |
//! | `max_p99` | duration: a step fails above this p99 of the new version | not checked |
//! | `success_ratio` | canary passes at ≥ this × stable's success rate (fraction) | `"0.95"` |
//! | `analysis` | `"argo"`, `"argo(failure_limit = N, consecutive_error_limit = N)"`, `"flagger(threshold = N)"` | `"argo"` (0, 4) |
//! | `canary_agents`, `rollout_agents` | canary size, agents added on promotion | 1, 4 |
//! | `scale_down_delay` | duration before the old version is removed | `"30s"` |
//! | `new_version_fault` | a fault spec the new version carries, `"error_rate(0.3)"` | none |
//!
//! # Fault specs
//!
//! `NAME[(ARGS)] [@ START] [for DURATION]`, for example `"cpu_spike"`, `"crash(hub) @ 2s"`,
//! `"latency(50ms, jitter = 10ms) @ 1s for 5s"`, `"partition(isolate = role:risk_manager)"`,
//! `"crash(3, restart = 5s)"`, `"cpu_spike(0.95, target = fraction(0.5))"`.
//!
//! | fault | arguments (default) |
//! |---|---|
//! | `cpu_spike` | `load` (0.9, in 0..=1), `target =` (random) |
//! | `memory_leak` | `rate` in MB/s (20, in 0..=10000), `target =` (random) |
//! | `latency` | `delay` (100ms), `jitter` (0s) |
//! | `packet_loss` | `rate` (0.1, in 0..=1) |
//! | `network_issue` | `delay` (200ms), `loss` (0.05, in 0..=1), `jitter` (0s) |
//! | `partition` | `halves` (default) or `isolate = TARGET` |
//! | `crash` | `target` (random), `restart =` duration (never) |
//! | `hang` | `target` (random) |
//! | `error_rate` | `rate` (0.2, in 0..=1), `target =` (random) |
//! | `volatility` | `level` (0.85, in 0..=1) |
//!
//! Arguments are positional in the order shown, or named (`name = value`); positional ones
//! come first. Those marked `name =` can only be named. Targets: `hub` (star only), `leader`,
//! `coordinator` (hierarchical only), `random`, `all`, an agent index (`3`), `role:NAME`, and
//! `fraction(F)` with `0 < F <= 1`. Durations: `ms`, `s`, `m` (`"1.5s"` is 1500 ms), at most
//! [`MAX_DURATION_MS`] (one week, `"10080m"`), so that the runtime's time arithmetic cannot
//! overflow.
//! `@ START` defaults to the start of the run, `for DURATION` to the rest of the run.

#![warn(missing_docs, unreachable_pub)]

mod args;
mod choice;
mod command;
mod deploy;
mod duration;
mod error;
mod factory;
mod fault;
mod keys;
mod kind;
mod lex;
mod roster;
mod scale;
mod spec;
mod target;
#[cfg(test)]
mod testing;
mod types;
mod value;

pub use choice::did_you_mean;
pub use command::{split_command, CommandError};
pub use deploy::{Analysis, DeployKind, DeploySpec, DEPLOY_KEYS};
pub use duration::{format_duration, parse_duration, MAX_DURATION_MS};
pub use error::SpecError;
pub use factory::{AgentFactory, BuildAgent};
pub use keys::parse_keys;
pub use kind::FAULT_NAMES;
pub use scale::{ScaleSpec, SCALE_KEYS};
pub use spec::{
    Spec, SpecBuilder, DEFAULT_TIMEOUT_MS, DEFAULT_TRADES, KEYS, LIST_KEYS, MAX_AGENTS,
};
pub use types::{
    FaultKind, FaultSpec, MarketSpec, Millis, Partition, Regime, Role, Roster, SnapshotSetting,
    Strategy, Target, TopologyKind,
};
pub use value::Value;
