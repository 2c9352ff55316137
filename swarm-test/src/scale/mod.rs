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
//! 1. Per metric, `ratio = current / target` over the ready agents; inside the tolerance band
//!    (`|1 − ratio| ≤ 0.1`) the metric recommends no change, else `ceil(ratio × ready)`. On a
//!    scale-up while some agents are not ready (starting, failed), those count at 0 %: if
//!    that brings the ratio within the band or below 1, there is no scale-up (and never a
//!    scale-down). The largest recommendation across metrics wins. No agent ready: no metric,
//!    no change.
//! 2. Market volatility (the original suite): above 0.7 adds one agent, above 0.8 two, over the
//!    count the swarm had when the shock began (so a lasting shock does not add agents at every
//!    sync); see [`volatility_bonus`].
//! 3. Scale-down stabilisation: a scale-down goes only to the largest recommendation made in
//!    the window (300 s by default), so the swarm shrinks only after load stayed low that long.
//! 4. Scale-up policies: at most `max(ceil(base × (1 + percent / 100)), base + agents)`, where
//!    `base` is the count at the start of the policy period (the count now, less the agents
//!    added and plus those removed within the period; 100 % or 4 agents per 15 s), and never
//!    less than the count now.
//! 5. Bounds: clamp to `min_agents..=max_agents`.
//! 6. Cooldown (the original suite): no event within `cooldown` of the previous one.
//!
//! An autoscaler at zero agents makes no decision: as in Kubernetes, a target scaled to zero
//! on purpose has autoscaling turned off (a spec's `min_agents` cannot be 0, so only a caller
//! of [`Autoscaler::new`] can start there).
//!
//! ## Differences from Kubernetes, on purpose
//!
//! The unit tests in `scale/kubernetes_cases.rs` restate Kubernetes' own HPA tests
//! (`replica_calculator_test.go`, `horizontal_test.go` in `pkg/controller/podautoscaler`) case
//! by case, and agree. What swarm-test does differently:
//!
//! - **One pair of scale-up policies**, percent and agents over one period, the larger
//!   allowed (Kubernetes' default `selectPolicy: Max`); no `Min` or `Disabled` selection, no
//!   policies with different periods.
//! - **No scale-down rate policies**: a scale-down is held back by the stabilisation window
//!   only (Kubernetes' default scale-down policy, 100 % per 15 s, never binds either).
//! - **No scale-up stabilisation window** (Kubernetes' default for scale-ups is 0 s as well).
//! - **No missing metrics**: every ready agent reports its load, so Kubernetes' rules for
//!   pods without metrics (counted at 100 % on a scale-down, 0 % on a scale-up) have nothing
//!   to apply to; and no CPU initialisation period: an agent that is starting is simply not
//!   ready, which the rule for unready agents covers.
//! - **Mean utilisation**: agents have equal requests, so the ratio is the mean utilisation
//!   over the target, where Kubernetes divides summed usage by summed requests.
//! - **`ceil` forgives floating-point noise** (`2.0000000000000004` is 2), where Kubernetes
//!   takes `math.Ceil` of the float.
//! - **Additions from the original suite**: the market-volatility bonus (rule 2) and the
//!   cooldown (rule 6) have no Kubernetes counterpart.
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
