//! Autoscaling, sans-IO: an HPA-like controller plus the market-volatility signal.
//!
//! [`Autoscaler`] takes a timestamped [`Observation`] of the swarm (ready agents, mean CPU and
//! memory utilisation, market volatility) at each sync and returns a [`ScaleDecision`] when
//! the swarm should grow or shrink. It never reads a clock and never touches an agent: the
//! driver (the simulator in mock mode) measures, asks, and carries the decision out (new agents
//! join the topology and become ready; removed agents drain their tasks first).
//!
//! The rules, in the order they apply (Kubernetes HPA semantics unless noted):
//!
//! 1. Per metric, `ratio = current / target`; inside the tolerance band (`|1 − ratio| ≤ 0.1`)
//!    the metric recommends no change, else `ceil(ratio × ready)`. The largest recommendation
//!    across metrics wins.
//! 2. Market volatility (the original suite): above 0.7 adds one agent, above 0.8 two, over the
//!    count the swarm had when the shock began (so a lasting shock does not add agents at every
//!    sync); see [`volatility_bonus`].
//! 3. Scale-down stabilisation: a scale-down goes only to the largest recommendation made in
//!    the window (300 s by default), so the swarm shrinks only after load stayed low that long.
//! 4. Scale-up policies: at most `max(ceil(base × (1 + percent / 100)), base + agents)`, where
//!    `base` is the count at the start of the policy period (100 % or 4 agents per 15 s).
//! 5. Bounds: clamp to `min_agents..=max_agents`.
//! 6. Cooldown (the original suite): no event within `cooldown` of the previous one.
//!
//! ```
//! use swarm_test::internals::scale::{Autoscaler, Observation};
//! use swarm_test::internals::ScaleSpec;
//!
//! let spec = ScaleSpec { min_agents: 2, max_agents: 10, ..ScaleSpec::default() };
//! let mut hpa = Autoscaler::new(spec, 2);
//! // Two agents at 85 % CPU against a 50 % target: ratio 1.7, ceil(1.7 × 2) = 4.
//! let up = hpa.observe(15_000_000, &Observation::cpu(2, 0.85)).unwrap();
//! assert_eq!((up.from, up.to), (2, 4));
//! assert!(up.reason.contains("cpu"));
//! ```

mod hpa;
mod volatility;

pub use hpa::{Autoscaler, Observation, ScaleDecision};
pub use volatility::{volatility_bonus, VOLATILITY_HIGH, VOLATILITY_SEVERE};
