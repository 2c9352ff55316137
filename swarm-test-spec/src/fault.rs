//! Fault specs: `NAME[(ARGS)] [@ START] [for DURATION]`.
//!
//! Arguments are positional (in the order below) and/or `name = value`, positional first.
//! `@ START` is when the fault begins (default: at the start of the run); `for DURATION` is how
//! long it lasts (default: until the end of the run). Durations are written `500ms`, `2s`, `1m`.
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
//! `crash` and `hang` also take their target by position (`crash(hub)`). Targets are described
//! in [`Target::parse`]: `hub`, `leader`, `coordinator`, `random`, `all`, an index, `role:NAME`,
//! `fraction(0.3)`.

use std::fmt;

use crate::args::{bind, found, parse_args, Atom, Param};
use crate::choice::unknown;
use crate::duration::{format_duration, parse_duration};
use crate::error::{excerpt, SpecError};
use crate::lex::{lex, Cursor, Tok};
use crate::types::{FaultKind, FaultSpec, Millis, Partition, Target};

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

const GRAMMAR: &str = "a fault spec is `NAME[(ARGS)] [@ START] [for DURATION]`";

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
const PARAMS: &[(&str, &[Param])] = &[
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
fn params(fault: &str) -> Option<&'static [Param]> {
    PARAMS
        .iter()
        .find(|(name, _)| *name == fault)
        .map(|(_, params)| *params)
}

impl FaultSpec {
    /// Parses a fault spec, `NAME[(ARGS)] [@ START] [for DURATION]` (see the [module docs]
    /// for every fault, its arguments and defaults).
    ///
    /// [`FaultSpec::text`] is set to the normalised text ([`Display`](fmt::Display)), which
    /// parses back to the same spec. The parser never panics; every error names the fault, the
    /// argument and the valid choices.
    ///
    /// [module docs]: crate#fault-specs
    ///
    /// ```
    /// use swarm_test_spec::{FaultKind, FaultSpec, Target};
    ///
    /// let spec = FaultSpec::parse("crash(hub) @ 2s").unwrap();
    /// assert_eq!(spec.kind, FaultKind::Crash { target: Target::Hub, restart_after_ms: None });
    /// assert_eq!((spec.at_ms, spec.for_ms), (2_000, None));
    ///
    /// let spec = FaultSpec::parse("latency(50ms, jitter = 10ms) @ 1s for 5s").unwrap();
    /// assert_eq!(spec.text, "latency(50ms, jitter = 10ms) @ 1s for 5s");
    ///
    /// let spec = FaultSpec::parse("cpu_spike").unwrap();
    /// assert_eq!(spec.text, "cpu_spike(0.9, target = random)");
    ///
    /// let err = FaultSpec::parse("cpu_spik").unwrap_err();
    /// assert!(err.to_string().contains("did you mean `cpu_spike`?"));
    /// ```
    pub fn parse(text: &str) -> Result<FaultSpec, SpecError> {
        let mut cur = Cursor::new(lex(text)?);
        let name = match cur.next() {
            Some(Tok::Word(w)) => w,
            None => return Err(unknown("fault", "", FAULT_NAMES)),
            Some(other) => {
                return Err(SpecError::new(format!(
                    "a fault spec starts with the fault's name, found `{}`; {GRAMMAR}",
                    other.text()
                )))
            }
        };
        let params = params(name).ok_or_else(|| unknown("fault", name, FAULT_NAMES))?;
        let args = parse_args(&mut cur, name)?;
        let bound = bind(name, params, args)?;
        let kind = build(name, bound)?;
        let at_ms = if cur.eat_punct('@') {
            schedule(&mut cur, "@", "@ 2s")?
        } else {
            0
        };
        let for_ms = if cur.eat_word("for") {
            let ms = schedule(&mut cur, "for", "for 5s")?;
            if ms == 0 {
                return Err(SpecError::new(
                    "`for` needs a duration above zero, like `for 5s`",
                ));
            }
            Some(ms)
        } else {
            None
        };
        if let Some(tok) = cur.next() {
            let hint = match tok {
                Tok::Punct('@') if for_ms.is_some() => {
                    "`@ START` must come before `for DURATION`".to_owned()
                }
                Tok::Punct('(') => {
                    format!("arguments come right after the name, like `{name}(…)`; {GRAMMAR}")
                }
                _ => GRAMMAR.to_owned(),
            };
            return Err(SpecError::new(format!(
                "unexpected `{}` in `{}`: {hint}",
                tok.text(),
                excerpt(text.trim())
            )));
        }
        Ok(FaultSpec::new(kind).at(at_ms).lasting(for_ms))
    }

    /// A fault starting at 0 and lasting until the end of the run.
    pub fn new(kind: FaultKind) -> FaultSpec {
        let mut spec = FaultSpec {
            kind,
            at_ms: 0,
            for_ms: None,
            text: String::new(),
        };
        spec.text = spec.to_string();
        spec
    }

    /// The same fault starting `at_ms` into the run.
    pub fn at(mut self, at_ms: Millis) -> FaultSpec {
        self.at_ms = at_ms;
        self.text = self.to_string();
        self
    }

    /// The same fault lasting `for_ms` (`None`: until the end of the run).
    pub fn lasting(mut self, for_ms: Option<Millis>) -> FaultSpec {
        self.for_ms = for_ms;
        self.text = self.to_string();
        self
    }
}

/// The duration after `@` or `for`.
fn schedule(cur: &mut Cursor<'_>, keyword: &str, example: &str) -> Result<Millis, SpecError> {
    match cur.next() {
        Some(Tok::Number(n)) => {
            parse_duration(n).map_err(|e| e.context(format!("after `{keyword}`")))
        }
        other => Err(SpecError::new(format!(
            "expected a duration after `{keyword}`, like `{example}`, found {}",
            found(other)
        ))),
    }
}

/// Builds the fault from its bound arguments (in [`params`] order), applying defaults.
fn build(fault: &str, args: Vec<Option<Atom<'_>>>) -> Result<FaultKind, SpecError> {
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
                (Some(other), None) => return Err(SpecError::new(format!(
                    "`partition`: unknown cut `{other}`; expected `halves` or `isolate = TARGET`"
                ))),
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
    /// name (`cpu_spike(0.9, target = random)`). [`FaultSpec::parse`] reads it back.
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

impl fmt::Display for FaultSpec {
    /// `KIND [@ START] [for DURATION]`, with `@` left out when the fault starts at 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if self.at_ms > 0 {
            write!(f, " @ {}", format_duration(self.at_ms))?;
        }
        if let Some(ms) = self.for_ms {
            write!(f, " for {}", format_duration(ms))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for FaultSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, SpecError> {
        FaultSpec::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Role;

    fn ok(text: &str) -> FaultSpec {
        FaultSpec::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn err(text: &str) -> String {
        match FaultSpec::parse(text) {
            Ok(spec) => panic!("{text:?} parsed as {spec:?}"),
            Err(e) => e.to_string(),
        }
    }

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
    fn schedule() {
        let spec = ok("crash(hub) @ 2s");
        assert_eq!((spec.at_ms, spec.for_ms), (2_000, None));
        let spec = ok("  partition(halves)@3s for 2s ");
        assert_eq!((spec.at_ms, spec.for_ms), (3_000, Some(2_000)));
        let spec = ok("hang for 500ms");
        assert_eq!((spec.at_ms, spec.for_ms), (0, Some(500)));
    }

    #[test]
    fn normalised_text() {
        assert_eq!(ok("cpu_spike").text, "cpu_spike(0.9, target = random)");
        assert_eq!(ok("crash( hub )@2000ms").text, "crash(hub) @ 2s");
        assert_eq!(
            ok("crash(hub, restart = 1.5s)").text,
            "crash(hub, restart = 1500ms)"
        );
        assert_eq!(
            ok("network_issue").text,
            "network_issue(200ms, loss = 0.05, jitter = 0s)"
        );
        assert_eq!(
            ok("partition(isolate = role:pairs_trader) @ 1m for 30s").text,
            "partition(isolate = role:pairs_trader) @ 1m for 30s"
        );
        assert_eq!(ok("latency @ 0s").text, "latency(100ms, jitter = 0s)");
        assert_eq!(
            PARAMS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            FAULT_NAMES
        );
        for name in FAULT_NAMES {
            let spec = ok(name);
            assert_eq!(spec.text, spec.to_string());
            assert_eq!(ok(&spec.text), spec, "{name}");
            assert_eq!(spec.kind.name(), *name);
        }
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
    fn unknown_fault() {
        assert_eq!(
            err("cpu_spik"),
            "unknown fault `cpu_spik`; did you mean `cpu_spike`? expected one of `cpu_spike`, \
             `memory_leak`, `latency`, `packet_loss`, `network_issue`, `partition`, `crash`, `hang`, \
             `error_rate`, `volatility`"
        );
        assert!(err("").starts_with("expected a fault, one of `cpu_spike`"));
        assert!(err("   ").starts_with("expected a fault, one of `cpu_spike`"));
        assert!(err("@ 2s").starts_with("a fault spec starts with the fault's name, found `@`"));
        assert!(err("3").starts_with("a fault spec starts with the fault's name"));
    }

    #[test]
    fn bad_targets() {
        assert!(err("crash(hubb)")
            .starts_with("`crash`: `target`: unknown target `hubb`; did you mean `hub`?"));
        assert!(err("cpu_spike(target = role:momentum)").starts_with(
            "`cpu_spike`: `target`: unknown role `momentum`; did you mean `momentum_trader`?"
        ));
        assert!(err("partition(isolate = everyone)").contains("unknown target `everyone`"));
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

    #[test]
    fn bad_durations() {
        assert!(err("crash @ 2x").starts_with("after `@`: unknown unit `x` in `2x`"));
        assert_eq!(
            err("crash @"),
            "expected a duration after `@`, like `@ 2s`, found the end"
        );
        assert_eq!(
            err("crash @ soon"),
            "expected a duration after `@`, like `@ 2s`, found `soon`"
        );
        assert_eq!(
            err("crash for"),
            "expected a duration after `for`, like `for 5s`, found the end"
        );
        assert!(err("crash for 5").starts_with("after `for`: missing unit in `5`"));
        assert_eq!(
            err("crash for 0s"),
            "`for` needs a duration above zero, like `for 5s`"
        );
        assert!(err("latency(50)").starts_with("`latency`: `delay`: missing unit in `50`"));
        assert!(err("latency(fast)").starts_with("`latency`: `delay` expects a duration like"));
        assert!(err("crash(hub, restart = soon)").contains("`restart` expects a duration"));
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            err("cpu_spike(0.9"),
            "unclosed `(` after `cpu_spike`, expected `)`"
        );
        assert!(err("cpu_spike(0.9))").starts_with("unexpected `)` in `cpu_spike(0.9))`"));
        assert_eq!(
            err("latency(jiter = 5ms)"),
            "`latency`: unknown argument `jiter`; did you mean `jitter`? expected one of `delay`, `jitter`"
        );
        assert!(err("crash(hub) now")
            .starts_with("unexpected `now` in `crash(hub) now`: a fault spec is"));
        assert!(err("crash for 1s @ 2s").contains("`@ START` must come before `for DURATION`"));
        assert!(err("crash @ 1s @ 2s").starts_with("unexpected `@`"));
        assert!(err("crash (hub) (hub)").contains("arguments come right after the name"));
        assert!(err("crash(hub) # x").starts_with("unexpected character `#`"));
        assert_eq!(
            err("partition(halves, isolate = hub)"),
            "`partition`: give either `halves` or `isolate = TARGET`, not both"
        );
        assert!(err("partition(isolate)").contains("write `isolate = TARGET`"));
        assert!(err("partition(thirds)").contains("unknown cut `thirds`"));
        assert!(err("crash(hub, leader)").contains("takes 1 positional argument"));
    }

    #[test]
    fn builders_keep_text_in_sync() {
        let spec = FaultSpec::new(FaultKind::Hang {
            target: Target::Index(1),
        })
        .at(1_000)
        .lasting(Some(2_000));
        assert_eq!(spec.text, "hang(1) @ 1s for 2s");
        assert_eq!(spec.text.parse::<FaultSpec>(), Ok(spec));
    }
}
