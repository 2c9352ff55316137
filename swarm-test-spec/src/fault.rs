//! Fault specs: `NAME[(ARGS)] [@ START] [for DURATION]`.
//!
//! Arguments are positional (in the order below) and/or `name = value`, positional first.
//! `@ START` is when the fault begins (default: at the start of the run); `for DURATION` is how
//! long it lasts (default: until the end of the run). Durations are written `500ms`, `2s`, `1m`.
//!
//!
//! `target =` marks an argument that can only be named (`cpu_spike(0.95, target = hub)`);
//! `crash` and `hang` also take their target by position (`crash(hub)`). Targets are described
//! in [`Target::parse`]: `hub`, `leader`, `coordinator`, `random`, `all`, an index, `role:NAME`,
//! `fraction(0.3)`.

use std::fmt;

use crate::args::{bind, found, parse_args};
use crate::choice::unknown;
use crate::duration::{format_duration, parse_duration};
use crate::error::{excerpt, SpecError};
use crate::kind::{build, params, FAULT_NAMES};
use crate::lex::{lex, Cursor, Tok};
use crate::types::{FaultKind, FaultSpec, Millis};

const GRAMMAR: &str = "a fault spec is `NAME[(ARGS)] [@ START] [for DURATION]`";

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
    use crate::kind::PARAMS;
    use crate::testing::fault::{err, ok};
    use crate::types::Target;

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
