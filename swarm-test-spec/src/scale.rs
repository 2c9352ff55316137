//! Autoscaling keys: bounds, targets and timing of the HPA-like autoscaler.
//!
//! Any of [`SCALE_KEYS`] turns autoscaling on for the test; the others keep their defaults,
//! which follow the Kubernetes Horizontal Pod Autoscaler (tolerance 0.1, scale-up policies
//! "100 % or 4 agents per 15 s, whichever is larger", a 300 s scale-down stabilisation window)
//! plus the original suite's bounds and cooldown (60 s). The bounds default to a valid range
//! for every topology: `min_agents` to the fewest agents the topology can scale down to (1 for
//! a mesh, 2 for a star or a hierarchy, whose hub or coordinator only routes), `max_agents` to
//! 10, or to `agents` (or `min_agents`) where that is larger. So a key you did not write is
//! never the cause of an error.
//!
//! ```
//! use swarm_test_spec::SpecBuilder;
//!
//! let spec = SpecBuilder::new("scales_up", "m")
//!     .with("topology", "mesh")
//!     .with("agents", 2u64)
//!     .with("max_agents", 8u64)
//!     .with("target_cpu", "50%")
//!     .build()?;
//! let scale = spec.scale.expect("a scale key turns autoscaling on");
//! assert_eq!((scale.min_agents, scale.max_agents, scale.target_cpu), (1, 8, 0.5));
//!
//! // On a star, `min_agents` defaults to 2: the hub routes, a spoke executes.
//! let star = SpecBuilder::new("t", "m")
//!     .with("topology", "star")
//!     .with("agents", 4u64)
//!     .with("max_agents", 8u64)
//!     .build()?;
//! assert_eq!(star.scale.map(|s| (s.min_agents, s.max_agents)), Some((2, 8)));
//!
//! let err = SpecBuilder::new("t", "m")
//!     .with("topology", "mesh")
//!     .with("agents", 2u64)
//!     .with("min_agents", 5u64)
//!     .with("max_agents", 3u64)
//!     .build()
//!     .unwrap_err();
//! assert_eq!(err.key(), Some("min_agents"));
//! # Ok::<(), swarm_test_spec::SpecError>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::duration::parse_duration;
use crate::error::SpecError;
use crate::types::{Millis, TopologyKind};
use crate::value::{int, string, Value};

/// The attribute keys of autoscaling, in documentation order.
pub const SCALE_KEYS: &[&str] = &[
    "min_agents",
    "max_agents",
    "target_cpu",
    "target_memory",
    "scale_interval",
    "scale_down_window",
    "cooldown",
];

/// How the autoscaler sizes the swarm. Built from the scale keys by [`crate::SpecBuilder`], or
/// by hand (then check it with [`ScaleSpec::validate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleSpec {
    /// Never fewer agents than this (`min_agents`). The default value is
    /// [`ScaleSpec::floor`] of the topology: 1 for a mesh, 2 for a star or a hierarchy.
    pub min_agents: usize,
    /// Never more agents than this (`max_agents`). The default value is 10, or `agents` or
    /// `min_agents` where larger.
    pub max_agents: usize,
    /// Target mean CPU utilisation of ready agents, in `(0, 1]` (`target_cpu`). The default
    /// value is 0.5, the target of the Kubernetes HPA walkthrough.
    pub target_cpu: f64,
    /// Target mean memory utilisation (memory / limit), in `(0, 1]` (`target_memory`);
    /// `None` means memory is not watched. The default value is `None`.
    pub target_memory: Option<f64>,
    /// No change while `|1 − ratio| ≤ tolerance`. The default value is 0.1 (as the HPA).
    pub tolerance: f64,
    /// Time between two evaluations (`scale_interval`). The default value is 15 s (the HPA's
    /// sync period).
    pub interval_ms: Millis,
    /// Scale-down stabilisation window (`scale_down_window`): a scale-down goes to the largest
    /// recommendation made within it. The default value is 300 s (as the HPA).
    pub scale_down_window_ms: Millis,
    /// No scale event within this long after the previous one (`cooldown`). The default value
    /// is 60 s (the original suite).
    pub cooldown_ms: Millis,
    /// Scale-up policy: at most this percentage more agents per period. The default value is
    /// 100.
    pub scale_up_percent: u64,
    /// Scale-up policy: at most this many more agents per period. The default value is 4. The
    /// larger of the two policies wins.
    pub scale_up_agents: u64,
    /// The period of the scale-up policies. The default value is 15 s.
    pub scale_up_period_ms: Millis,
}

impl Default for ScaleSpec {
    /// The defaults for a mesh of at most 10 agents; [`crate::SpecBuilder`] adapts the bounds
    /// to the topology and the agents (see [`ScaleSpec::min_agents`]).
    fn default() -> Self {
        ScaleSpec {
            min_agents: 1,
            max_agents: 10,
            target_cpu: 0.5,
            target_memory: None,
            tolerance: 0.1,
            interval_ms: 15_000,
            scale_down_window_ms: 300_000,
            cooldown_ms: 60_000,
            scale_up_percent: 100,
            scale_up_agents: 4,
            scale_up_period_ms: 15_000,
        }
    }
}

impl ScaleSpec {
    /// The fewest agents a `topology` can scale down to: 1 for a mesh (any agent executes),
    /// 2 for a star or a hierarchy (the hub or coordinator routes; at least one worker
    /// executes). A ring does not scale.
    pub const fn floor(topology: TopologyKind) -> usize {
        match topology {
            TopologyKind::Mesh => 1,
            _ => 2,
        }
    }

    /// Checks the bounds and targets against each other and against the swarm they will
    /// scale: `min_agents ≤ agents ≤ max_agents`, targets and tolerance in range, a topology
    /// that can grow and shrink (not a ring, whose pipeline has a fixed number of stages).
    ///
    /// The error's key is the attribute key to change.
    pub fn validate(&self, topology: TopologyKind, agents: usize) -> Result<(), SpecError> {
        if topology == TopologyKind::Ring {
            return Err(SpecError::new(
                "autoscaling adds and removes agents, but a ring is a pipeline with one stage per \
                 agent; use `topology = \"mesh\"`, `\"star\"` or `\"hierarchical\"`",
            )
            .with_key("topology"));
        }
        let floor = ScaleSpec::floor(topology);
        if self.max_agents < floor {
            return Err(SpecError::new(format!(
                "`max_agents` must be at least {floor} for a {topology} topology, found `{}`",
                self.max_agents
            ))
            .with_key("max_agents"));
        }
        let most = topology.max_agents();
        if self.max_agents > most {
            return Err(SpecError::new(format!(
                "`max_agents` may be at most {most} for a {topology} topology (its maximum), \
                 found `{}`",
                self.max_agents
            ))
            .with_key("max_agents"));
        }
        if self.min_agents < floor {
            return Err(SpecError::new(format!(
                "`min_agents` must be at least {floor} for a {topology} topology, found `{}`",
                self.min_agents
            ))
            .with_key("min_agents"));
        }
        if self.min_agents > self.max_agents {
            return Err(SpecError::new(format!(
                "`min_agents = {}` is above `max_agents = {}`; make `min_agents` at most `max_agents`",
                self.min_agents, self.max_agents
            ))
            .with_key("min_agents"));
        }
        if agents < self.min_agents || agents > self.max_agents {
            return Err(SpecError::new(format!(
                "`agents = {agents}` is outside the autoscaling bounds {}..={}; start within \
                 `min_agents` and `max_agents`",
                self.min_agents, self.max_agents
            ))
            .with_key("agents"));
        }
        check_fraction("target_cpu", self.target_cpu, false)?;
        if let Some(memory) = self.target_memory {
            check_fraction("target_memory", memory, false)?;
        }
        if !(0.0..1.0).contains(&self.tolerance) {
            return Err(SpecError::new(format!(
                "the autoscaler's tolerance must be in 0..1, found `{}`",
                self.tolerance
            )));
        }
        for (key, ms) in [
            ("scale_interval", self.interval_ms),
            ("scale_up_period", self.scale_up_period_ms),
        ] {
            if ms == 0 {
                return Err(SpecError::new(format!(
                    "`{key}` must be above zero, like `{key} = \"15s\"`"
                ))
                .with_key(key));
            }
        }
        if self.scale_up_percent == 0 && self.scale_up_agents == 0 {
            return Err(SpecError::new(
                "the scale-up policies allow no growth: set a percentage or a number of agents above zero",
            ));
        }
        Ok(())
    }
}

/// The scale keys as set so far; [`ScaleKeys::finish`] applies the defaults and validates.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScaleKeys {
    spec: Option<ScaleSpec>,
    /// Whether `min_agents` / `max_agents` were written (else their defaults depend on the
    /// topology and the agents, known only in `finish`).
    min_written: bool,
    max_written: bool,
}

impl ScaleKeys {
    /// Sets one scale key (one of [`SCALE_KEYS`]).
    pub(crate) fn set(&mut self, key: &'static str, value: Value) -> Result<(), SpecError> {
        let spec = self.spec.get_or_insert_with(ScaleSpec::default);
        match key {
            "min_agents" => {
                spec.min_agents = count(key, value)?;
                self.min_written = true;
            }
            "max_agents" => {
                spec.max_agents = count(key, value)?;
                self.max_written = true;
            }
            "target_cpu" => spec.target_cpu = fraction(key, value, false)?,
            "target_memory" => spec.target_memory = Some(fraction(key, value, false)?),
            "scale_interval" => spec.interval_ms = duration(key, value, false)?,
            "scale_down_window" => spec.scale_down_window_ms = duration(key, value, true)?,
            "cooldown" => spec.cooldown_ms = duration(key, value, true)?,
            _ => unreachable!("every key in SCALE_KEYS is handled"),
        }
        Ok(())
    }

    /// The scale spec, if any scale key was set, checked against the swarm.
    pub(crate) fn finish(
        self,
        topology: TopologyKind,
        agents: usize,
    ) -> Result<Option<ScaleSpec>, SpecError> {
        let Some(mut spec) = self.spec else {
            return Ok(None);
        };
        if !self.min_written {
            spec.min_agents = ScaleSpec::floor(topology);
        }
        if !self.max_written {
            spec.max_agents = spec.max_agents.max(agents).max(spec.min_agents);
        }
        spec.validate(topology, agents)?;
        Ok(Some(spec))
    }
}

/// A count of agents (an integer that fits `usize`, at most [`crate::MAX_AGENTS`]).
pub(crate) fn count(key: &str, value: Value) -> Result<usize, SpecError> {
    let n = int(key, value)?;
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= crate::MAX_AGENTS)
        .ok_or_else(|| {
            SpecError::new(format!(
                "`{key}` may be at most {}, found `{n}`",
                crate::MAX_AGENTS
            ))
        })
}

/// A duration value; zero allowed only where `zero_ok`.
pub(crate) fn duration(key: &str, value: Value, zero_ok: bool) -> Result<Millis, SpecError> {
    let ms = parse_duration(&string(key, value)?).map_err(|e| e.context(format!("`{key}`")))?;
    if ms == 0 && !zero_ok {
        return Err(SpecError::new(format!(
            "`{key}` must be above zero, like `{key} = \"15s\"`"
        )));
    }
    Ok(ms)
}

/// A fraction written as a string, `"0.5"` or `"50%"`: in `0..=1`, and above zero unless
/// `zero_ok`. (Attribute literals have no floats, so fractions are strings.)
pub(crate) fn fraction(key: &str, value: Value, zero_ok: bool) -> Result<f64, SpecError> {
    let example = format!("like `{key} = \"0.5\"` or `{key} = \"50%\"`");
    let text = match value {
        Value::Str(s) => s,
        other => {
            return Err(SpecError::new(format!(
                "`{key}` expects a fraction as a string, {example}, found {}",
                other.describe()
            )))
        }
    };
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix('%') {
        Some(percent) => (percent.trim(), 100.0),
        None => (trimmed, 1.0),
    };
    let parsed: f64 = number
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite())
        .ok_or_else(|| {
            SpecError::new(format!(
                "`{key}` expects a fraction {example}, found `{}`",
                crate::error::excerpt(trimmed)
            ))
        })?;
    let x = parsed / scale;
    check_fraction(key, x, zero_ok)?;
    Ok(x)
}

/// `x` in `0..=1` (above zero unless `zero_ok`), else an error naming `key`.
pub(crate) fn check_fraction(key: &str, x: f64, zero_ok: bool) -> Result<(), SpecError> {
    let ok = x <= 1.0 && if zero_ok { x >= 0.0 } else { x > 0.0 };
    if ok {
        return Ok(());
    }
    let range = if zero_ok {
        "0..=1"
    } else {
        "above 0 and at most 1"
    };
    Err(SpecError::new(format!(
        "`{key}` must be a fraction {range} (`\"0.5\"` or `\"50%\"`), found `{x}`"
    ))
    .with_key(key))
}

#[cfg(test)]
mod tests {
    use crate::spec::SpecBuilder;
    use crate::testing::{err, mesh};
    use crate::value::Value;

    #[test]
    fn no_scale_key_no_autoscaling() {
        assert_eq!(mesh(2).build().unwrap().scale, None);
    }

    #[test]
    fn every_scale_key() {
        let scale = mesh(3)
            .with("min_agents", 2u64)
            .with("max_agents", 6u64)
            .with("target_cpu", "0.6")
            .with("target_memory", "70%")
            .with("scale_interval", "5s")
            .with("scale_down_window", "30s")
            .with("cooldown", "0s")
            .build()
            .unwrap()
            .scale
            .unwrap();
        assert_eq!((scale.min_agents, scale.max_agents), (2, 6));
        assert_eq!(scale.target_cpu, 0.6);
        assert_eq!(scale.target_memory, Some(0.7));
        assert_eq!(scale.interval_ms, 5_000);
        assert_eq!(scale.scale_down_window_ms, 30_000);
        assert_eq!(scale.cooldown_ms, 0);
        // Untouched: HPA defaults.
        assert_eq!(
            (
                scale.tolerance,
                scale.scale_up_percent,
                scale.scale_up_agents
            ),
            (0.1, 100, 4)
        );
    }

    #[test]
    fn min_above_max_is_an_error() {
        let e = err(mesh(3).with("min_agents", 5u64).with("max_agents", 3u64));
        assert_eq!(e.key(), Some("min_agents"));
        assert_eq!(
            e.to_string(),
            "`min_agents = 5` is above `max_agents = 3`; make `min_agents` at most `max_agents`"
        );
    }

    #[test]
    fn agents_must_start_within_bounds() {
        let e = err(mesh(12).with("max_agents", 10u64));
        assert_eq!(e.key(), Some("agents"));
        assert!(
            e.to_string()
                .starts_with("`agents = 12` is outside the autoscaling bounds 1..=10"),
            "{e}"
        );
        let e = err(mesh(2).with("min_agents", 3u64));
        assert_eq!(e.key(), Some("agents"));
    }

    #[test]
    fn targets_outside_zero_one_are_errors() {
        for bad in ["1.5", "150%", "0", "-0.2", "nan"] {
            let e = err(mesh(2).with("target_cpu", bad));
            assert_eq!(e.key(), Some("target_cpu"), "{bad}");
        }
        let e = err(mesh(2).with("target_cpu", "1.5"));
        assert_eq!(
            e.to_string(),
            "`target_cpu` must be a fraction above 0 and at most 1 (`\"0.5\"` or `\"50%\"`), found `1.5`"
        );
        let e = err(mesh(2).with("target_memory", 80u64));
        assert!(
            e.to_string()
                .starts_with("`target_memory` expects a fraction as a string"),
            "{e}"
        );
        let e = err(mesh(2).with("target_cpu", "high"));
        assert!(e.to_string().contains("found `high`"), "{e}");
    }

    #[test]
    fn rings_do_not_scale() {
        let e = err(SpecBuilder::new("t", "m")
            .with("topology", "ring")
            .with("agents", 3u64)
            .with("max_agents", 5u64));
        assert_eq!(e.key(), Some("topology"));
        assert!(e.to_string().contains("a ring is a pipeline"), "{e}");
    }

    #[test]
    fn routed_topologies_keep_a_worker() {
        let e = err(SpecBuilder::new("t", "m")
            .with("topology", "star")
            .with("agents", 3u64)
            .with("min_agents", 1u64));
        assert_eq!(e.key(), Some("min_agents"));
        assert!(e.to_string().contains("at least 2 for a star"), "{e}");
    }

    #[test]
    fn zero_durations() {
        let e = err(mesh(2).with("scale_interval", "0s"));
        assert_eq!(e.key(), Some("scale_interval"));
        assert!(e.to_string().contains("must be above zero"), "{e}");
        let e = err(mesh(2).with("cooldown", "soon"));
        assert_eq!(e.key(), Some("cooldown"));
        assert!(e.to_string().starts_with("`cooldown`: "), "{e}");
    }

    #[test]
    fn defaults_are_valid_for_every_topology() {
        // Issue 13.6: `max_agents = 8` alone on a star used to fail on `min_agents`, a key
        // the user never wrote.
        for topology in ["mesh", "star", "hierarchical"] {
            for (key, value) in [
                ("max_agents", Value::Int(8)),
                ("target_cpu", Value::Str("50%".into())),
                ("cooldown", Value::Str("5s".into())),
            ] {
                for agents in [2u64, 5, 30] {
                    let built = SpecBuilder::new("t", "m")
                        .with("topology", topology)
                        .with("agents", agents)
                        .with(key, value.clone())
                        .build();
                    // Only a bound the user wrote may conflict with `agents`.
                    if key == "max_agents" && agents > 8 {
                        assert_eq!(built.unwrap_err().key(), Some("agents"));
                        continue;
                    }
                    let scale = built
                        .unwrap_or_else(|e| panic!("{topology}, {agents}, {key}: {e}"))
                        .scale
                        .unwrap();
                    let floor = if topology == "mesh" { 1 } else { 2 };
                    assert_eq!(scale.min_agents, floor, "{topology}");
                    let max = if key == "max_agents" {
                        8
                    } else {
                        10.max(agents as usize)
                    };
                    assert_eq!(scale.max_agents, max, "{topology} {agents} {key}");
                }
            }
        }
        // A large `min_agents` alone raises the default `max_agents` with it.
        let scale = mesh(20)
            .with("min_agents", 15u64)
            .build()
            .unwrap()
            .scale
            .unwrap();
        assert_eq!((scale.min_agents, scale.max_agents), (15, 20));
    }

    #[test]
    fn bounds_below_the_floor_or_above_the_topology_name_the_written_key() {
        let e = err(SpecBuilder::new("t", "m")
            .with("topology", "star")
            .with("agents", 2u64)
            .with("max_agents", 1u64));
        assert_eq!(e.key(), Some("max_agents"));
        assert_eq!(
            e.to_string(),
            "`max_agents` must be at least 2 for a star topology, found `1`"
        );
        let e = err(mesh(3).with("max_agents", 5_000u64));
        assert_eq!(e.key(), Some("max_agents"));
        assert!(
            e.to_string()
                .starts_with("`max_agents` may be at most 2000 for a mesh"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_scale_keys() {
        let e = err(mesh(2).with("max_agents", 4u64).with("max_agents", 5u64));
        assert_eq!(e.to_string(), "duplicate key `max_agents`");
    }
}
