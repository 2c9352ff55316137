//! Fault targets (`hub`, `3`, `role:risk_manager`, `fraction(0.3)`) and partition cuts.
//!
//! | written | meaning |
//! |---|---|
//! | `hub` | the star's hub (star topologies only) |
//! | `leader` | the elected leader |
//! | `coordinator` | the hierarchical root (hierarchical topologies only) |
//! | `random` | one agent drawn from the seeded RNG |
//! | `all` | every agent |
//! | `3` | the agent with index 3 (must be below `agents`) |
//! | `role:NAME` | every agent with that role (must be in the roster when `roles` is given) |
//! | `fraction(0.3)` | this fraction of the agents, `0 < f <= 1`, drawn from the seeded RNG |

use std::fmt;

use crate::args::Atom;
use crate::choice::did_you_mean;
use crate::error::{excerpt, SpecError};
use crate::lex::{lex, Cursor};
use crate::types::{Partition, Role, Target};

/// The targets written as a single word.
const WORDS: &[&str] = &["hub", "leader", "coordinator", "random", "all"];

/// What a target may be, for error messages.
const CHOICES: &str =
    "expected `hub`, `leader`, `coordinator`, `random`, `all`, an agent index like `3`, `role:NAME` or `fraction(0.3)`";

impl Target {
    /// Parses a target as written in a fault spec: `hub`, `leader`, `coordinator`, `random`,
    /// `all`, an agent index (`3`), `role:NAME` or `fraction(F)` with `0 < F <= 1`.
    ///
    /// ```
    /// use swarm_test_spec::{Role, Target};
    ///
    /// assert_eq!(Target::parse("hub"), Ok(Target::Hub));
    /// assert_eq!(Target::parse("role:risk_manager"), Ok(Target::Role(Role::RiskManager)));
    /// assert_eq!(Target::parse("fraction(0.3)"), Ok(Target::Fraction(0.3)));
    /// assert!(Target::parse("hubb").unwrap_err().to_string().contains("did you mean `hub`?"));
    /// ```
    pub fn parse(text: &str) -> Result<Target, SpecError> {
        let mut cur = Cursor::new(lex(text)?);
        let atom = match cur.peek() {
            None => return Err(SpecError::new(format!("missing target: {CHOICES}"))),
            Some(_) => crate::args::parse_atom(&mut cur, "target", false)?,
        };
        if !cur.at_end() {
            return Err(SpecError::new(format!(
                "unexpected text after the target in `{}`: {CHOICES}",
                excerpt(text.trim())
            )));
        }
        Target::from_atom(&atom)
    }

    /// Converts an argument value into a target.
    pub(crate) fn from_atom(atom: &Atom<'_>) -> Result<Target, SpecError> {
        match atom {
            Atom::Word("hub") => Ok(Target::Hub),
            Atom::Word("leader") => Ok(Target::Leader),
            Atom::Word("coordinator") => Ok(Target::Coordinator),
            Atom::Word("random") => Ok(Target::Random),
            Atom::Word("all") => Ok(Target::All),
            Atom::Word(w) => {
                let hint = if let Some(name) = did_you_mean(w, WORDS.iter().copied()) {
                    format!("; did you mean `{name}`?")
                } else if Role::parse(w).is_ok() {
                    format!("; did you mean `role:{w}`?")
                } else {
                    ";".to_owned()
                };
                Err(SpecError::new(format!(
                    "unknown target `{}`{hint} {CHOICES}",
                    excerpt(w)
                )))
            }
            Atom::Number(n) => match n.parse::<usize>() {
                Ok(index) => Ok(Target::Index(index)),
                Err(_) => Err(SpecError::new(format!(
                    "bad target `{}`: an agent index is a whole number like `3`; {CHOICES}",
                    excerpt(n)
                ))),
            },
            Atom::Tagged("role", name) => Role::parse(name).map(Target::Role),
            Atom::Tagged(tag, _) => {
                let hint = match did_you_mean(tag, ["role"]) {
                    Some(_) => "; did you mean `role:`?",
                    None => ";",
                };
                Err(SpecError::new(format!(
                    "unknown target `{atom}`{hint} {CHOICES}"
                )))
            }
            Atom::Call("fraction", args) => match args.as_slice() {
                [Atom::Number(n)] => match n.parse::<f64>() {
                    Ok(f) if f > 0.0 && f <= 1.0 => Ok(Target::Fraction(f)),
                    Ok(_) => Err(SpecError::new(format!(
                        "`fraction` must be greater than 0 and at most 1, found `{}`",
                        excerpt(n)
                    ))),
                    Err(_) => Err(SpecError::new(format!(
                        "`fraction` expects a number like `fraction(0.3)`, found `{}`",
                        excerpt(n)
                    ))),
                },
                _ => Err(SpecError::new(format!(
                    "`fraction` takes one number, like `fraction(0.3)`, found `{atom}`"
                ))),
            },
            Atom::Call(name, _) => {
                let hint = match did_you_mean(name, ["fraction"]) {
                    Some(_) => "; did you mean `fraction(…)`?",
                    None => ";",
                };
                Err(SpecError::new(format!(
                    "unknown target `{atom}`{hint} {CHOICES}"
                )))
            }
        }
    }

    /// The index the target names, if it is [`Target::Index`].
    pub fn index(&self) -> Option<usize> {
        match self {
            Target::Index(i) => Some(*i),
            _ => None,
        }
    }
}

impl Default for Target {
    /// [`Target::Random`].
    fn default() -> Self {
        Target::Random
    }
}

impl fmt::Display for Target {
    /// The target as written in a fault spec; [`Target::parse`] reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Hub => f.write_str("hub"),
            Target::Leader => f.write_str("leader"),
            Target::Coordinator => f.write_str("coordinator"),
            Target::Random => f.write_str("random"),
            Target::All => f.write_str("all"),
            Target::Index(i) => write!(f, "{i}"),
            Target::Role(role) => write!(f, "role:{role}"),
            Target::Fraction(x) => write!(f, "fraction({x})"),
        }
    }
}

impl Default for Partition {
    /// [`Partition::Halves`].
    fn default() -> Self {
        Partition::Halves
    }
}

impl fmt::Display for Partition {
    /// `halves` or `isolate = TARGET`, as written inside `partition(…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Halves => f.write_str("halves"),
            Partition::Isolate(target) => write!(f, "isolate = {target}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(Target::parse("hub"), Ok(Target::Hub));
        assert_eq!(Target::parse("leader"), Ok(Target::Leader));
        assert_eq!(Target::parse("coordinator"), Ok(Target::Coordinator));
        assert_eq!(Target::parse(" random "), Ok(Target::Random));
        assert_eq!(Target::parse("all"), Ok(Target::All));
    }

    #[test]
    fn index_role_fraction() {
        assert_eq!(Target::parse("3"), Ok(Target::Index(3)));
        assert_eq!(Target::parse("3").unwrap().index(), Some(3));
        assert_eq!(
            Target::parse("role:pairs_trader"),
            Ok(Target::Role(Role::PairsTrader))
        );
        assert_eq!(Target::parse("fraction(1)"), Ok(Target::Fraction(1.0)));
    }

    #[test]
    fn display_round_trips() {
        for t in [
            Target::Hub,
            Target::Leader,
            Target::Coordinator,
            Target::Random,
            Target::All,
            Target::Index(7),
            Target::Role(Role::DataCollector),
            Target::Fraction(0.25),
        ] {
            assert_eq!(Target::parse(&t.to_string()), Ok(t.clone()), "{t}");
        }
        assert_eq!(Partition::Isolate(Target::Hub).to_string(), "isolate = hub");
        assert_eq!(Partition::default().to_string(), "halves");
    }

    #[test]
    fn errors_name_the_choices() {
        let err = Target::parse("hubb").unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown target `hubb`; did you mean `hub`? expected `hub`, `leader`, `coordinator`, \
             `random`, `all`, an agent index like `3`, `role:NAME` or `fraction(0.3)`"
        );
        let err = Target::parse("risk_manager").unwrap_err().to_string();
        assert!(err.contains("did you mean `role:risk_manager`?"), "{err}");
        let err = Target::parse("role:risk").unwrap_err().to_string();
        assert!(
            err.starts_with("unknown role `risk`; did you mean `risk_manager`?"),
            "{err}"
        );
        let err = Target::parse("rol:risk_manager").unwrap_err().to_string();
        assert!(err.contains("did you mean `role:`?"), "{err}");
        let err = Target::parse("1.5").unwrap_err().to_string();
        assert!(err.contains("whole number"), "{err}");
        let err = Target::parse("-1").unwrap_err().to_string();
        assert!(err.contains("whole number"), "{err}");
        let err = Target::parse("fraction(0)").unwrap_err().to_string();
        assert!(err.contains("greater than 0 and at most 1"), "{err}");
        let err = Target::parse("fraction(hub)").unwrap_err().to_string();
        assert!(err.contains("takes one number"), "{err}");
        let err = Target::parse("fracton(0.3)").unwrap_err().to_string();
        assert!(err.contains("did you mean `fraction(…)`?"), "{err}");
        assert!(Target::parse("")
            .unwrap_err()
            .to_string()
            .starts_with("missing target"));
        assert!(Target::parse("hub leader")
            .unwrap_err()
            .to_string()
            .contains("unexpected text"));
    }
}
