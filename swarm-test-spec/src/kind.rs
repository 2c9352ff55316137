//! The fault catalogue: each fault's name, parameters and defaults, and [`FaultKind`] built
//! from parsed arguments.
//!
//! | fault | arguments (default) | meaning |
//! |---|---|---|
//! | `cpu_spike` | `load` (0.9, in 0..=1), `target =` (random) | slower service |
//! | `memory_leak` | `rate` in MB/s (20, in 0..=10000), `target =` (random) | memory grows until the agent is killed |
//! | `latency` | `delay` (100ms), `jitter` (0s) | extra one-way delay on every link |
//! | `packet_loss` | `rate` (0.1, in 0..=1) | messages dropped with this probability |
//! | `network_issue` | `delay` (200ms), `loss` (0.05, in 0..=1), `jitter` (0s) | latency and loss together |
//! | `partition` | `halves` (the default) or `isolate = TARGET` | a network partition |
//! | `crash` | `target` (random), `restart =` (never) | the agent dies; with `restart = 5s` it comes back after 5 s |
//! | `hang` | `target` (random) | the agent is paused (no heartbeats, no progress) |
//! | `error_rate` | `rate` (0.2, in 0..=1), `target =` (random) | the agent answers this fraction of tasks with errors |
//! | `volatility` | `level` (0.85, in 0..=1) | a market shock |
//!
//! `target =` marks an argument that can only be named (`cpu_spike(0.95, target = hub)`);
//! `crash` and `hang` also take their target by position (`crash(hub)`).

use std::fmt;

use crate::args::{Atom, Param};
use crate::choice::unknown;
use crate::duration::{format_duration, parse_duration};
use crate::error::SpecError;
use crate::types::{FaultKind, Millis, Partition, Target};

/// Every fault name, in documentation order.
pub const FAULT_NAMES: &[&str] = &[
    "cpu_spike",
    "memory_leak",
    "latency",
    "packet_loss",
    "network_issue",
    "partition",
    "crash",
    "hang",
    "error_rate",
    "volatility",
];

const fn pos(name: &'static str) -> Param {
    Param {
        name,
        positional: true,
    }
}

const fn named(name: &'static str) -> Param {
    Param {
        name,
        positional: false,
    }
}

/// Each fault's parameters, in positional order.
pub(crate) const PARAMS: &[(&str, &[Param])] = &[
    ("cpu_spike", &[pos("load"), named("target")]),
    ("memory_leak", &[pos("rate"), named("target")]),
    ("latency", &[pos("delay"), pos("jitter")]),
    ("packet_loss", &[pos("rate")]),
    ("network_issue", &[pos("delay"), pos("loss"), pos("jitter")]),
    ("partition", &[pos("cut"), named("isolate")]),
    ("crash", &[pos("target"), named("restart")]),
    ("hang", &[pos("target")]),
    ("error_rate", &[pos("rate"), named("target")]),
    ("volatility", &[pos("level")]),
];

/// The parameters of a fault, in positional order.
pub(crate) fn params(fault: &str) -> Option<&'static [Param]> {
    PARAMS
        .iter()
        .find(|(name, _)| *name == fault)
        .map(|(_, params)| *params)
}

/// Builds the fault from its bound arguments (in [`params`] order), applying defaults.
pub(crate) fn build(fault: &str, args: Vec<Option<Atom<'_>>>) -> Result<FaultKind, SpecError> {
    let mut args = args.into_iter();
    let mut next = || args.next().flatten();
    let arg = Arg { fault };
    Ok(match fault {
        "cpu_spike" => FaultKind::CpuSpike {
            load: arg.number("load", next(), 0.9, 1.0, "")?,
            target: arg.target("target", next())?,
        },
        "memory_leak" => FaultKind::MemoryLeak {
            rate_mb_per_s: arg.number("rate", next(), 20.0, 10_000.0, " (MB/s)")?,
            target: arg.target("target", next())?,
        },
        "latency" => FaultKind::Latency {
            delay_ms: arg.duration("delay", next(), 100)?,
            jitter_ms: arg.duration("jitter", next(), 0)?,
        },
        "packet_loss" => FaultKind::PacketLoss {
            rate: arg.number("rate", next(), 0.1, 1.0, "")?,
        },
        "network_issue" => FaultKind::NetworkIssue {
            delay_ms: arg.duration("delay", next(), 200)?,
            loss: arg.number("loss", next(), 0.05, 1.0, "")?,
            jitter_ms: arg.duration("jitter", next(), 0)?,
        },
        "partition" => {
            let cut = match (next(), next()) {
                (Some(_), Some(_)) => {
                    return Err(SpecError::new(
                        "`partition`: give either `halves` or `isolate = TARGET`, not both",
                    ))
                }
                (None, Some(target)) => Partition::Isolate(arg.target("isolate", Some(target))?),
                (None, None) | (Some(Atom::Word("halves")), None) => Partition::Halves,
                (Some(Atom::Word("isolate")), None) => {
                    return Err(SpecError::new(
                        "`partition`: write `isolate = TARGET`, like `partition(isolate = hub)`",
                    ))
                }
                (Some(other), None) => {
                    return Err(SpecError::new(format!(
                    "`partition`: unknown cut `{other}`; expected `halves` or `isolate = TARGET`"
                )))
                }
            };
            FaultKind::Partition { cut }
        }
        "crash" => FaultKind::Crash {
            target: arg.target("target", next())?,
            restart_after_ms: match next() {
                Some(atom) => Some(arg.duration("restart", Some(atom), 0)?),
                None => None,
            },
        },
        "hang" => FaultKind::Hang {
            target: arg.target("target", next())?,
        },
        "error_rate" => FaultKind::ErrorRate {
            rate: arg.number("rate", next(), 0.2, 1.0, "")?,
            target: arg.target("target", next())?,
        },
        "volatility" => FaultKind::Volatility {
            level: arg.number("level", next(), 0.85, 1.0, "")?,
        },
        other => return Err(unknown("fault", other, FAULT_NAMES)),
    })
}

/// Converts argument values of one fault, with errors that name the fault and the argument.
struct Arg<'f> {
    fault: &'f str,
}

impl Arg<'_> {
    /// A number in `0..=max` (the unit, if any, is shown in errors).
    fn number(
        &self,
        param: &str,
        atom: Option<Atom<'_>>,
        default: f64,
        max: f64,
        unit: &str,
    ) -> Result<f64, SpecError> {
        let Some(atom) = atom else { return Ok(default) };
        let fault = self.fault;
        let value = match &atom {
            Atom::Number(n) => n.parse::<f64>().ok().filter(|v| v.is_finite()),
            _ => None,
        };
        match value {
            Some(v) if (0.0..=max).contains(&v) => Ok(v),
            Some(_) => Err(SpecError::new(format!(
                "`{fault}`: `{param}`{unit} must be in 0..={max}, found `{atom}`"
            ))),
            None => Err(SpecError::new(format!(
                "`{fault}`: `{param}` expects a number like `{default}`, found `{atom}`"
            ))),
        }
    }

    fn duration(
        &self,
        param: &str,
        atom: Option<Atom<'_>>,
        default: Millis,
    ) -> Result<Millis, SpecError> {
        let fault = self.fault;
        match atom {
            None => Ok(default),
            Some(Atom::Number(n)) => parse_duration(n).map_err(|e| e.context(format!("`{fault}`: `{param}`"))),
            Some(other) => Err(SpecError::new(format!(
                "`{fault}`: `{param}` expects a duration like `500ms`, `2s` or `1m`, found `{other}`"
            ))),
        }
    }

    fn target(&self, param: &str, atom: Option<Atom<'_>>) -> Result<Target, SpecError> {
        match atom {
            None => Ok(Target::Random),
            Some(atom) => Target::from_atom(&atom)
                .map_err(|e| e.context(format!("`{}`: `{param}`", self.fault))),
        }
    }
}

impl FaultKind {
    /// The fault's name, as written in a spec (`"cpu_spike"`).
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::CpuSpike { .. } => "cpu_spike",
            FaultKind::MemoryLeak { .. } => "memory_leak",
            FaultKind::Latency { .. } => "latency",
            FaultKind::PacketLoss { .. } => "packet_loss",
            FaultKind::NetworkIssue { .. } => "network_issue",
            FaultKind::Partition { .. } => "partition",
            FaultKind::Crash { .. } => "crash",
            FaultKind::Hang { .. } => "hang",
            FaultKind::ErrorRate { .. } => "error_rate",
            FaultKind::Volatility { .. } => "volatility",
        }
    }

    /// The agents the fault hits, for agent faults and `partition(isolate = …)`; `None` for
    /// faults of the whole network or market.
    pub fn target(&self) -> Option<&Target> {
        match self {
            FaultKind::CpuSpike { target, .. }
            | FaultKind::MemoryLeak { target, .. }
            | FaultKind::Crash { target, .. }
            | FaultKind::Hang { target }
            | FaultKind::ErrorRate { target, .. } => Some(target),
            FaultKind::Partition {
                cut: Partition::Isolate(target),
            } => Some(target),
            FaultKind::Partition {
                cut: Partition::Halves,
            }
            | FaultKind::Latency { .. }
            | FaultKind::PacketLoss { .. }
            | FaultKind::NetworkIssue { .. }
            | FaultKind::Volatility { .. } => None,
        }
    }
}

impl fmt::Display for FaultKind {
    /// The normalised form: every argument spelled out, the first by position, the rest by
    /// name (`cpu_spike(0.9, target = random)`). [`FaultSpec::parse`](crate::FaultSpec::parse) reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = format_duration;
        let name = self.name();
        match self {
            FaultKind::CpuSpike { load: x, target } | FaultKind::ErrorRate { rate: x, target } => {
                write!(f, "{name}({x}, target = {target})")
            }
            FaultKind::MemoryLeak {
                rate_mb_per_s,
                target,
            } => {
                write!(f, "{name}({rate_mb_per_s}, target = {target})")
            }
            FaultKind::Latency {
                delay_ms,
                jitter_ms,
            } => {
                write!(f, "{name}({}, jitter = {})", d(*delay_ms), d(*jitter_ms))
            }
            FaultKind::PacketLoss { rate } => write!(f, "{name}({rate})"),
            FaultKind::NetworkIssue {
                delay_ms,
                jitter_ms,
                loss,
            } => {
                write!(
                    f,
                    "{name}({}, loss = {loss}, jitter = {})",
                    d(*delay_ms),
                    d(*jitter_ms)
                )
            }
            FaultKind::Partition { cut } => write!(f, "{name}({cut})"),
            FaultKind::Crash {
                target,
                restart_after_ms: None,
            }
            | FaultKind::Hang { target } => {
                write!(f, "{name}({target})")
            }
            FaultKind::Crash {
                target,
                restart_after_ms: Some(ms),
            } => {
                write!(f, "{name}({target}, restart = {})", d(*ms))
            }
            FaultKind::Volatility { level } => write!(f, "{name}({level})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fault::{err, ok};
    use crate::types::Role;

    #[test]
    fn defaults() {
        assert_eq!(
            ok("cpu_spike").kind,
            FaultKind::CpuSpike {
                load: 0.9,
                target: Target::Random
            }
        );
        assert_eq!(
            ok("memory_leak").kind,
            FaultKind::MemoryLeak {
                rate_mb_per_s: 20.0,
                target: Target::Random
            }
        );
        assert_eq!(
            ok("latency").kind,
            FaultKind::Latency {
                delay_ms: 100,
                jitter_ms: 0
            }
        );
        assert_eq!(ok("packet_loss").kind, FaultKind::PacketLoss { rate: 0.1 });
        assert_eq!(
            ok("network_issue").kind,
            FaultKind::NetworkIssue {
                delay_ms: 200,
                jitter_ms: 0,
                loss: 0.05
            }
        );
        assert_eq!(
            ok("partition").kind,
            FaultKind::Partition {
                cut: Partition::Halves
            }
        );
        assert_eq!(
            ok("crash").kind,
            FaultKind::Crash {
                target: Target::Random,
                restart_after_ms: None
            }
        );
        assert_eq!(
            ok("hang()").kind,
            FaultKind::Hang {
                target: Target::Random
            }
        );
        assert_eq!(
            ok("error_rate").kind,
            FaultKind::ErrorRate {
                rate: 0.2,
                target: Target::Random
            }
        );
        assert_eq!(ok("volatility").kind, FaultKind::Volatility { level: 0.85 });
        let spec = ok("crash");
        assert_eq!((spec.at_ms, spec.for_ms), (0, None));
    }

    #[test]
    fn arguments() {
        assert_eq!(
            ok("cpu_spike(0.95, target = role:risk_manager)").kind,
            FaultKind::CpuSpike {
                load: 0.95,
                target: Target::Role(Role::RiskManager)
            }
        );
        assert_eq!(
            ok("memory_leak(50)").kind,
            FaultKind::MemoryLeak {
                rate_mb_per_s: 50.0,
                target: Target::Random
            }
        );
        assert_eq!(
            ok("latency(50ms, 10ms)").kind,
            FaultKind::Latency {
                delay_ms: 50,
                jitter_ms: 10
            }
        );
        assert_eq!(
            ok("latency(jitter = 5ms)").kind,
            FaultKind::Latency {
                delay_ms: 100,
                jitter_ms: 5
            }
        );
        assert_eq!(
            ok("network_issue(1s, 0.2, jitter = 50ms)").kind,
            FaultKind::NetworkIssue {
                delay_ms: 1000,
                jitter_ms: 50,
                loss: 0.2
            }
        );
        assert_eq!(
            ok("partition(halves)").kind,
            FaultKind::Partition {
                cut: Partition::Halves
            }
        );
        assert_eq!(
            ok("partition(isolate = fraction(0.5))").kind,
            FaultKind::Partition {
                cut: Partition::Isolate(Target::Fraction(0.5))
            }
        );
        assert_eq!(
            ok("crash(hub, restart = 5s)").kind,
            FaultKind::Crash {
                target: Target::Hub,
                restart_after_ms: Some(5_000)
            }
        );
        assert_eq!(
            ok("crash(target = 3)").kind,
            FaultKind::Crash {
                target: Target::Index(3),
                restart_after_ms: None
            }
        );
        assert_eq!(
            ok("hang(leader)").kind,
            FaultKind::Hang {
                target: Target::Leader
            }
        );
        assert_eq!(
            ok("error_rate(0.5, target = all)").kind,
            FaultKind::ErrorRate {
                rate: 0.5,
                target: Target::All
            }
        );
        assert_eq!(
            ok("volatility(1)").kind,
            FaultKind::Volatility { level: 1.0 }
        );
    }

    #[test]
    fn targets_of_kinds() {
        assert_eq!(ok("crash(hub)").kind.target(), Some(&Target::Hub));
        assert_eq!(
            ok("partition(isolate = 2)").kind.target(),
            Some(&Target::Index(2))
        );
        assert_eq!(ok("partition").kind.target(), None);
        assert_eq!(ok("latency").kind.target(), None);
    }

    #[test]
    fn out_of_range() {
        assert_eq!(
            err("cpu_spike(1.5)"),
            "`cpu_spike`: `load` must be in 0..=1, found `1.5`"
        );
        assert_eq!(
            err("packet_loss(-0.1)"),
            "`packet_loss`: `rate` must be in 0..=1, found `-0.1`"
        );
        assert_eq!(
            err("memory_leak(20000)"),
            "`memory_leak`: `rate` (MB/s) must be in 0..=10000, found `20000`"
        );
        assert_eq!(
            err("volatility(2)"),
            "`volatility`: `level` must be in 0..=1, found `2`"
        );
        assert_eq!(
            err("network_issue(1s, 3)"),
            "`network_issue`: `loss` must be in 0..=1, found `3`"
        );
        assert_eq!(
            err("cpu_spike(hub)"),
            "`cpu_spike`: `load` expects a number like `0.9`, found `hub`"
        );
        assert_eq!(
            err("error_rate(50%)"),
            "`error_rate`: `rate` expects a number like `0.2`, found `50%`"
        );
    }
}
