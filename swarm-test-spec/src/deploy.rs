//! Progressive-delivery keys: blue-green weights, canary steps and analysis, strategy rotation.
//!
//! `deploy` picks the pattern; the other keys of [`DEPLOY_KEYS`] tune it and are rejected where
//! the pattern does not use them. Defaults follow Argo Rollouts (failure limit 0, consecutive
//! error limit 4, scale-down delay 30 s) and the original suite (blue-green steps
//! 100/0 → 75/25 → 50/50 → 25/75 → 0/100, rollback above a 10 % error rate after 5 requests;
//! canary 5 % of 100 requests to 1 agent, promoted at ≥ 0.95 × stable's success rate, then 4
//! more agents).
//!
//! ```
//! use swarm_test_spec::{DeployKind, SpecBuilder};
//!
//! let spec = SpecBuilder::new("shift", "m")
//!     .with("topology", "mesh")
//!     .with("agents", 4u64)
//!     .with("deploy", "blue_green")
//!     .with("weights", "100/0, 50/50, 0/100")
//!     .build()?;
//! let deploy = spec.deploy.unwrap();
//! assert_eq!(deploy.kind, DeployKind::BlueGreen);
//! assert_eq!(deploy.weights, vec![[100, 0], [50, 50], [0, 100]]);
//!
//! let err = SpecBuilder::new("t", "m")
//!     .with("topology", "mesh")
//!     .with("agents", 4u64)
//!     .with("deploy", "blue_green")
//!     .with("weights", "100/0, 60/50")
//!     .build()
//!     .unwrap_err();
//! assert_eq!(err.key(), Some("weights"));
//! # Ok::<(), swarm_test_spec::SpecError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::choice::unknown;
use crate::error::{backticked, excerpt, SpecError};
use crate::scale::{count, duration, fraction};
use crate::types::{FaultKind, FaultSpec, Millis, Roster, TopologyKind};
use crate::value::{int, string, Value};

/// The attribute keys of progressive delivery, in documentation order.
pub const DEPLOY_KEYS: &[&str] = &[
    "deploy",
    "weights",
    "canary_steps",
    "step_requests",
    "max_error_rate",
    "min_requests",
    "max_p99",
    "success_ratio",
    "analysis",
    "canary_agents",
    "rollout_agents",
    "scale_down_delay",
    "new_version_fault",
];

/// Which deployment pattern a test runs (`deploy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployKind {
    /// Two versions; traffic moves from blue to green in weighted steps.
    BlueGreen,
    /// A few agents of the new version take a small share of traffic, analysed, then promoted.
    Canary,
    /// Several strategies (roles) share the traffic with fixed, equal weights, routed by
    /// capability.
    StrategyMix,
    /// Like `strategy_mix`, but the weights adapt toward the strategies with the lowest error
    /// rate and the best recent PnL.
    Rotation,
}

impl DeployKind {
    /// Every pattern, in documentation order.
    pub const ALL: &'static [DeployKind] = &[
        DeployKind::BlueGreen,
        DeployKind::Canary,
        DeployKind::StrategyMix,
        DeployKind::Rotation,
    ];

    /// The snake_case names of [`Self::ALL`].
    pub const NAMES: &'static [&'static str] =
        &["blue_green", "canary", "strategy_mix", "rotation"];

    /// The name as written in the attribute.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeployKind::BlueGreen => "blue_green",
            DeployKind::Canary => "canary",
            DeployKind::StrategyMix => "strategy_mix",
            DeployKind::Rotation => "rotation",
        }
    }

    /// Parses a pattern name; the error lists the valid names and suggests the closest.
    pub fn parse(name: &str) -> Result<Self, SpecError> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| unknown("deployment pattern", name, Self::NAMES))
    }

    /// The keys besides `deploy` this pattern uses.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            DeployKind::BlueGreen => &[
                "weights",
                "step_requests",
                "max_error_rate",
                "min_requests",
                "max_p99",
                "scale_down_delay",
                "new_version_fault",
            ],
            DeployKind::Canary => &[
                "canary_steps",
                "step_requests",
                "min_requests",
                "max_p99",
                "success_ratio",
                "analysis",
                "canary_agents",
                "rollout_agents",
                "scale_down_delay",
                "new_version_fault",
            ],
            DeployKind::StrategyMix | DeployKind::Rotation => &["step_requests"],
        }
    }
}

/// How a canary's checks turn into a rollback (`analysis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "style")]
pub enum Analysis {
    /// Argo Rollouts: roll back when failed checks exceed `failure_limit`, or inconclusive
    /// checks (too few canary requests to judge) exceed `consecutive_error_limit` in a row.
    Argo {
        /// Failed checks tolerated. The default value is 0 (Argo's default).
        failure_limit: u64,
        /// Consecutive inconclusive checks tolerated. The default value is 4 (Argo's default).
        consecutive_error_limit: u64,
    },
    /// Flagger: roll back when failed checks (inconclusive ones included) reach `threshold`.
    Flagger {
        /// Failed checks that trigger a rollback. The default value is 5.
        threshold: u64,
    },
}

impl Default for Analysis {
    fn default() -> Self {
        Analysis::Argo {
            failure_limit: 0,
            consecutive_error_limit: 4,
        }
    }
}

impl Analysis {
    /// Parses `"argo"`, `"argo(failure_limit = 1, consecutive_error_limit = 2)"`, `"flagger"`
    /// or `"flagger(threshold = 2)"`.
    pub fn parse(text: &str) -> Result<Analysis, SpecError> {
        let text = text.trim();
        let (name, args) = match text.split_once('(') {
            Some((name, rest)) => {
                let Some(args) = rest.trim_end().strip_suffix(')') else {
                    return Err(SpecError::new(format!(
                        "missing `)` in `analysis = \"{}\"`",
                        excerpt(text)
                    )));
                };
                (name.trim(), args)
            }
            None => (text, ""),
        };
        let mut analysis = match name {
            "argo" => Analysis::default(),
            "flagger" => Analysis::Flagger { threshold: 5 },
            other => return Err(unknown("analysis style", other, &["argo", "flagger"])),
        };
        for arg in args.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(SpecError::new(format!(
                    "analysis arguments are named, like `failure_limit = 1`, found `{}`",
                    excerpt(arg)
                )));
            };
            let (key, value) = (key.trim(), value.trim());
            let n: u64 = value.parse().map_err(|_| {
                SpecError::new(format!(
                    "`{key}` expects a whole number, found `{}`",
                    excerpt(value)
                ))
            })?;
            match (&mut analysis, key) {
                (Analysis::Argo { failure_limit, .. }, "failure_limit") => *failure_limit = n,
                (
                    Analysis::Argo {
                        consecutive_error_limit,
                        ..
                    },
                    "consecutive_error_limit",
                ) => *consecutive_error_limit = n,
                (Analysis::Flagger { threshold }, "threshold") if n > 0 => *threshold = n,
                (Analysis::Flagger { .. }, "threshold") => {
                    return Err(SpecError::new("`threshold` must be at least 1"))
                }
                (Analysis::Argo { .. }, other) => {
                    return Err(unknown(
                        "argo analysis argument",
                        other,
                        &["failure_limit", "consecutive_error_limit"],
                    ))
                }
                (Analysis::Flagger { .. }, other) => {
                    return Err(unknown("flagger analysis argument", other, &["threshold"]))
                }
            }
        }
        Ok(analysis)
    }
}

/// A deployment pattern and its parameters. Built from the deploy keys by
/// [`crate::SpecBuilder`]; fields not used by [`DeploySpec::kind`] keep their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploySpec {
    /// The pattern (`deploy`).
    pub kind: DeployKind,
    /// Blue-green steps, `[blue, green]` percent, each summing to 100, the last `[0, 100]`
    /// (`weights = "100/0, 75/25, 50/50, 25/75, 0/100"`, the default).
    pub weights: Vec<[u64; 2]>,
    /// Canary steps: percent of traffic to the canary, strictly increasing, in 1..=100
    /// (`canary_steps = "5, 25, 50"`). The default value is `[5]`.
    pub canary_steps: Vec<u64>,
    /// Requests per step (blue-green, canary) or per rotation window (`step_requests`). The
    /// default value is 40 for blue-green, 100 for a canary, 50 for a rotation.
    pub step_requests: u64,
    /// Blue-green rolls back when green's error rate exceeds this (`max_error_rate`), in
    /// 0..=1. The default value is 0.1.
    pub max_error_rate: f64,
    /// Requests a version must have served before its error rate is judged (`min_requests`).
    /// The default value is 5.
    pub min_requests: u64,
    /// A step fails when the new version's p99 latency is above this (`max_p99`); `None`
    /// (the default) does not check latency.
    pub max_p99_ms: Option<Millis>,
    /// A canary passes a check when its success rate is at least this × the stable's
    /// (`success_ratio`), in 0..=1. The default value is 0.95.
    pub success_ratio: f64,
    /// How failed checks lead to a rollback (`analysis`). The default value is Argo's.
    pub analysis: Analysis,
    /// Agents of the new version a canary starts with (`canary_agents`). The default value
    /// is 1.
    pub canary_agents: usize,
    /// Agents of the new version added on promotion (`rollout_agents`). The default value
    /// is 4.
    pub rollout_agents: usize,
    /// The old version is scaled down this long after promotion or rollback
    /// (`scale_down_delay`). The default value is 30 s (Argo's `scaleDownDelaySeconds`).
    pub scale_down_delay_ms: Millis,
    /// A fault the new version (green, canary) carries, e.g. `"error_rate(0.3)"`; its target
    /// is ignored: it hits the new version's agents, from when they start plus its `@` time
    /// (`new_version_fault`). The default is none.
    pub new_version_fault: Option<FaultSpec>,
}

impl DeploySpec {
    /// The defaults of pattern `kind`.
    pub fn new(kind: DeployKind) -> Self {
        DeploySpec {
            kind,
            weights: vec![[100, 0], [75, 25], [50, 50], [25, 75], [0, 100]],
            canary_steps: vec![5],
            step_requests: match kind {
                DeployKind::BlueGreen => 40,
                DeployKind::Canary => 100,
                DeployKind::StrategyMix | DeployKind::Rotation => 50,
            },
            max_error_rate: 0.1,
            min_requests: 5,
            max_p99_ms: None,
            success_ratio: 0.95,
            analysis: Analysis::default(),
            canary_agents: 1,
            rollout_agents: 4,
            scale_down_delay_ms: 30_000,
            new_version_fault: None,
        }
    }

    /// Checks the pattern against the swarm: not a ring (its pipeline uses every agent), a
    /// strategy mix or rotation needs at least two roles among the executing agents.
    pub fn validate(
        &self,
        topology: TopologyKind,
        agents: usize,
        roles: Option<&Roster>,
    ) -> Result<(), SpecError> {
        if topology == TopologyKind::Ring {
            return Err(SpecError::new(format!(
                "`deploy = \"{}\"` splits traffic between agents, but a ring sends every task \
                 through every agent; use `topology = \"mesh\"`, `\"star\"` or `\"hierarchical\"`",
                self.kind.as_str()
            ))
            .with_key("topology"));
        }
        if let Some(last) = self.weights.last() {
            if *last != [0, 100] {
                return Err(SpecError::new(format!(
                    "the last step of `weights` is `{}/{}`; it must be `0/100` so green ends with all traffic",
                    last[0], last[1]
                ))
                .with_key("weights"));
            }
        }
        if self.weights.is_empty() || self.canary_steps.is_empty() {
            return Err(SpecError::new("a deployment needs at least one step"));
        }
        if self.step_requests == 0 || self.min_requests == 0 {
            return Err(SpecError::new(
                "`step_requests` and `min_requests` must be at least 1",
            ));
        }
        if self.canary_agents == 0 {
            return Err(
                SpecError::new("`canary_agents` must be at least 1").with_key("canary_agents")
            );
        }
        let extra = match self.kind {
            DeployKind::BlueGreen => agents,
            DeployKind::Canary => self.canary_agents + self.rollout_agents,
            _ => 0,
        };
        if agents + extra > topology.max_agents() {
            return Err(SpecError::new(format!(
                "the new version would bring the swarm to {} agents, above the {topology} \
                 topology's maximum of {}",
                agents + extra,
                topology.max_agents()
            ))
            .with_key("agents"));
        }
        if matches!(self.kind, DeployKind::StrategyMix | DeployKind::Rotation) {
            let skip = usize::from(topology != TopologyKind::Mesh); // the hub/coordinator routes
            let mut distinct: Vec<_> = roles
                .map(|r| r.roles().into_iter().skip(skip).collect())
                .unwrap_or_default();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() < 2 {
                return Err(SpecError::new(format!(
                    "`deploy = \"{}\"` needs at least two strategies among the executing agents, \
                     like `roles = \"momentum_trader*2, pairs_trader*2, arbitrage_trader\"`",
                    self.kind.as_str()
                ))
                .with_key("roles"));
            }
        }
        Ok(())
    }
}

/// The deploy keys as set so far; [`DeployKeys::finish`] applies defaults and checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeployKeys {
    kind: Option<DeployKind>,
    set: Vec<(&'static str, Value)>,
}

impl DeployKeys {
    /// Records one deploy key (one of [`DEPLOY_KEYS`]), checking its value on its own.
    pub(crate) fn set(&mut self, key: &'static str, value: Value) -> Result<(), SpecError> {
        if key == "deploy" {
            self.kind = Some(DeployKind::parse(&string(key, value)?)?);
            return Ok(());
        }
        // Check the value now, so the macro points at it; apply it in `finish`.
        apply(&mut DeploySpec::new(DeployKind::Canary), key, value.clone())?;
        self.set.push((key, value));
        Ok(())
    }

    /// The deploy spec, if `deploy` was set, with every other key applied and checked.
    pub(crate) fn finish(
        self,
        topology: TopologyKind,
        agents: usize,
        roles: Option<&Roster>,
    ) -> Result<Option<DeploySpec>, SpecError> {
        let Some(kind) = self.kind else {
            if let Some((key, _)) = self.set.first() {
                let patterns: Vec<&str> = DeployKind::ALL
                    .iter()
                    .filter(|k| k.keys().contains(key))
                    .map(|k| k.as_str())
                    .collect();
                return Err(SpecError::new(format!(
                    "`{key}` tunes a deployment, but `deploy` is not set; add `deploy = \"{}\"`",
                    patterns[0]
                ))
                .with_key(key));
            }
            return Ok(None);
        };
        let mut spec = DeploySpec::new(kind);
        for (key, value) in self.set {
            if !kind.keys().contains(&key) {
                return Err(SpecError::new(format!(
                    "`{key}` does not apply to `deploy = \"{}\"`, which takes {}",
                    kind.as_str(),
                    backticked(kind.keys().iter().copied())
                ))
                .with_key(key));
            }
            apply(&mut spec, key, value).map_err(|e| e.with_key(key))?;
        }
        spec.validate(topology, agents, roles)?;
        Ok(Some(spec))
    }
}

fn apply(spec: &mut DeploySpec, key: &'static str, value: Value) -> Result<(), SpecError> {
    match key {
        "weights" => spec.weights = parse_weights(&string(key, value)?)?,
        "canary_steps" => spec.canary_steps = parse_canary_steps(&string(key, value)?)?,
        "step_requests" => spec.step_requests = at_least_one(key, value)?,
        "max_error_rate" => spec.max_error_rate = fraction(key, value, true)?,
        "min_requests" => spec.min_requests = at_least_one(key, value)?,
        "max_p99" => spec.max_p99_ms = Some(duration(key, value, false)?),
        "success_ratio" => spec.success_ratio = fraction(key, value, false)?,
        "analysis" => spec.analysis = Analysis::parse(&string(key, value)?)?,
        "canary_agents" => spec.canary_agents = count(key, value)?,
        "rollout_agents" => spec.rollout_agents = count(key, value)?,
        "scale_down_delay" => spec.scale_down_delay_ms = duration(key, value, true)?,
        "new_version_fault" => spec.new_version_fault = Some(version_fault(&string(key, value)?)?),
        _ => unreachable!("every key in DEPLOY_KEYS is handled"),
    }
    Ok(())
}

fn at_least_one(key: &str, value: Value) -> Result<u64, SpecError> {
    match int(key, value)? {
        0 => Err(SpecError::new(format!("`{key}` must be at least 1"))),
        n => Ok(n),
    }
}

/// `"100/0, 75/25, …"`: blue/green percentages, each step summing to 100.
pub(crate) fn parse_weights(text: &str) -> Result<Vec<[u64; 2]>, SpecError> {
    let mut steps = Vec::new();
    for step in text.split(',').map(str::trim) {
        let parsed = step.split_once('/').and_then(|(b, g)| {
            Some([b.trim().parse::<u64>().ok()?, g.trim().parse::<u64>().ok()?])
        });
        let Some([blue, green]) = parsed else {
            return Err(SpecError::new(format!(
                "`weights` steps are `BLUE/GREEN` percentages like `\"100/0, 50/50, 0/100\"`, found `{}`",
                excerpt(step)
            )));
        };
        if blue.checked_add(green) != Some(100) {
            return Err(SpecError::new(format!(
                "`weights` step `{blue}/{green}` sums to {}; each step's blue and green weights must sum to 100",
                u128::from(blue) + u128::from(green)
            )));
        }
        steps.push([blue, green]);
    }
    Ok(steps)
}

/// `"5, 25, 50"`: canary percentages, strictly increasing, in 1..=100.
pub(crate) fn parse_canary_steps(text: &str) -> Result<Vec<u64>, SpecError> {
    let mut steps: Vec<u64> = Vec::new();
    for step in text.split(',').map(str::trim) {
        let weight = step
            .strip_suffix('%')
            .unwrap_or(step)
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|w| (1..=100).contains(w))
            .ok_or_else(|| {
                SpecError::new(format!(
                    "`canary_steps` are percentages of traffic in 1..=100 like `\"5, 25, 50\"`, found `{}`",
                    excerpt(step)
                ))
            })?;
        if steps.last().is_some_and(|&last| weight <= last) {
            return Err(SpecError::new(format!(
                "`canary_steps` must increase, but `{weight}` follows `{}`",
                steps[steps.len() - 1]
            )));
        }
        steps.push(weight);
    }
    Ok(steps)
}

/// A fault the new version can carry: one that hits agents.
fn version_fault(text: &str) -> Result<FaultSpec, SpecError> {
    let fault = FaultSpec::parse(text)?;
    match fault.kind {
        FaultKind::ErrorRate { .. }
        | FaultKind::CpuSpike { .. }
        | FaultKind::Crash { .. }
        | FaultKind::Hang { .. }
        | FaultKind::MemoryLeak { .. } => Ok(fault),
        _ => Err(SpecError::new(format!(
            "`new_version_fault` must hit agents (`error_rate`, `cpu_spike`, `crash`, `hang`, \
             `memory_leak`); `{}` acts on the network or market, so give it with `inject`; to \
             slow the new version use `cpu_spike(LOAD)`",
            fault.text
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::SpecBuilder;
    use crate::testing::{err, mesh};

    #[test]
    fn defaults_per_pattern() {
        let bg = mesh(4)
            .with("deploy", "blue_green")
            .build()
            .unwrap()
            .deploy
            .unwrap();
        assert_eq!(bg.weights.len(), 5);
        assert_eq!(
            (bg.step_requests, bg.max_error_rate, bg.min_requests),
            (40, 0.1, 5)
        );
        let canary = mesh(4)
            .with("deploy", "canary")
            .build()
            .unwrap()
            .deploy
            .unwrap();
        assert_eq!(canary.canary_steps, vec![5]);
        assert_eq!(
            (
                canary.step_requests,
                canary.canary_agents,
                canary.rollout_agents
            ),
            (100, 1, 4)
        );
        assert_eq!(canary.success_ratio, 0.95);
        assert_eq!(
            canary.analysis,
            Analysis::Argo {
                failure_limit: 0,
                consecutive_error_limit: 4
            }
        );
        assert_eq!(mesh(4).build().unwrap().deploy, None);
    }

    #[test]
    fn weights_must_sum_to_100() {
        let e = err(mesh(4)
            .with("deploy", "blue_green")
            .with("weights", "100/0, 60/50, 0/100"));
        assert_eq!(e.key(), Some("weights"));
        assert_eq!(
            e.to_string(),
            "`weights` step `60/50` sums to 110; each step's blue and green weights must sum to 100"
        );
        let e = err(mesh(4)
            .with("deploy", "blue_green")
            .with("weights", "100-0"));
        assert!(e.to_string().contains("`BLUE/GREEN` percentages"), "{e}");
        let e = err(mesh(4)
            .with("deploy", "blue_green")
            .with("weights", "100/0, 50/50"));
        assert_eq!(e.key(), Some("weights"));
        assert!(e.to_string().contains("must be `0/100`"), "{e}");
    }

    #[test]
    fn thresholds_outside_zero_one() {
        let e = err(mesh(4)
            .with("deploy", "blue_green")
            .with("max_error_rate", "1.2"));
        assert_eq!(e.key(), Some("max_error_rate"));
        let e = err(mesh(4).with("deploy", "canary").with("success_ratio", "0"));
        assert_eq!(e.key(), Some("success_ratio"));
        assert!(
            mesh(4)
                .with("deploy", "blue_green")
                .with("max_error_rate", "0%")
                .build()
                .is_ok(),
            "zero tolerance of errors is allowed"
        );
    }

    #[test]
    fn canary_steps_increase_within_percent() {
        let d = mesh(4)
            .with("deploy", "canary")
            .with("canary_steps", "5%, 20, 50")
            .build()
            .unwrap()
            .deploy
            .unwrap();
        assert_eq!(d.canary_steps, vec![5, 20, 50]);
        let e = err(mesh(4)
            .with("deploy", "canary")
            .with("canary_steps", "20, 10"));
        assert_eq!(
            e.to_string(),
            "`canary_steps` must increase, but `10` follows `20`"
        );
        let e = err(mesh(4).with("deploy", "canary").with("canary_steps", "0"));
        assert_eq!(e.key(), Some("canary_steps"));
    }

    #[test]
    fn keys_need_their_pattern() {
        let e = err(mesh(4).with("weights", "0/100"));
        assert_eq!(e.key(), Some("weights"));
        assert_eq!(
            e.to_string(),
            "`weights` tunes a deployment, but `deploy` is not set; add `deploy = \"blue_green\"`"
        );
        let e = err(mesh(4).with("deploy", "canary").with("weights", "0/100"));
        assert_eq!(e.key(), Some("weights"));
        assert!(
            e.to_string()
                .starts_with("`weights` does not apply to `deploy = \"canary\"`"),
            "{e}"
        );
        let e = err(mesh(4).with("deploy", "bluegreen"));
        assert!(e.to_string().contains("did you mean `blue_green`?"), "{e}");
    }

    #[test]
    fn analysis_styles() {
        assert_eq!(
            Analysis::parse("argo(failure_limit = 1, consecutive_error_limit = 2)"),
            Ok(Analysis::Argo {
                failure_limit: 1,
                consecutive_error_limit: 2
            })
        );
        assert_eq!(
            Analysis::parse("flagger(threshold = 2)"),
            Ok(Analysis::Flagger { threshold: 2 })
        );
        assert_eq!(
            Analysis::parse("flagger"),
            Ok(Analysis::Flagger { threshold: 5 })
        );
        assert!(Analysis::parse("flagger(threshold = 0)").is_err());
        assert!(Analysis::parse("argo(threshold = 2)")
            .unwrap_err()
            .to_string()
            .contains("failure_limit"));
        assert!(Analysis::parse("argo(failure_limit = x)").is_err());
        assert!(Analysis::parse("argo(failure_limit = 1").is_err());
        assert!(Analysis::parse("flager")
            .unwrap_err()
            .to_string()
            .contains("did you mean `flagger`?"));
    }

    #[test]
    fn new_version_faults_hit_agents() {
        let d = mesh(4)
            .with("deploy", "blue_green")
            .with("new_version_fault", "error_rate(0.3)")
            .build()
            .unwrap()
            .deploy
            .unwrap();
        assert!(
            matches!(d.new_version_fault.unwrap().kind, FaultKind::ErrorRate { rate, .. } if rate == 0.3)
        );
        let e = err(mesh(4)
            .with("deploy", "canary")
            .with("new_version_fault", "latency(50ms)"));
        assert_eq!(e.key(), Some("new_version_fault"));
        assert!(e.to_string().contains("use `cpu_spike(LOAD)`"), "{e}");
    }

    #[test]
    fn rings_and_single_strategies_are_rejected() {
        let e = err(SpecBuilder::new("t", "m")
            .with("topology", "ring")
            .with("agents", 4u64)
            .with("deploy", "canary"));
        assert_eq!(e.key(), Some("topology"));
        let e = err(mesh(4)
            .with("deploy", "rotation")
            .with("roles", "momentum_trader*4"));
        assert_eq!(e.key(), Some("roles"));
        assert!(e.to_string().contains("at least two strategies"), "{e}");
        assert!(mesh(4)
            .with("deploy", "rotation")
            .with("roles", "momentum_trader*2, pairs_trader*2")
            .build()
            .is_ok());
    }

    #[test]
    fn scaling_and_deploying_together_is_an_error() {
        let e = err(mesh(4).with("deploy", "canary").with("max_agents", 8u64));
        assert_eq!(e.key(), Some("deploy"));
        assert!(e.to_string().contains("not both"), "{e}");
    }

    #[test]
    fn the_new_version_stays_within_the_topology_maximum() {
        // A blue-green deployment doubles the swarm: a mesh of 1,500 would reach 3,000.
        let e = err(mesh(1_500).with("deploy", "blue_green"));
        assert_eq!(e.key(), Some("agents"));
        assert_eq!(
            e.to_string(),
            "the new version would bring the swarm to 3000 agents, above the mesh topology's \
             maximum of 2000"
        );
        assert!(mesh(1_000).with("deploy", "blue_green").build().is_ok());
    }
}
