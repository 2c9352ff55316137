//! Enums chosen by name: `"ring"` → [`TopologyKind::Ring`], with "did you mean" on a typo.
//!
//! Each enum of the attribute ([`TopologyKind`], [`Strategy`], [`Regime`], [`Role`]) gets the same
//! small surface: `ALL` (in documentation order), `as_str()` (its snake_case name), `parse()`
//! (the inverse, with an error listing the valid names), `Display` and `FromStr`.
//!
//! Suggestions follow darling's rule: the most similar valid name by Jaro–Winkler similarity,
//! if that similarity is above 0.8.

use std::fmt;
use std::str::FromStr;

use crate::error::{backticked, excerpt, SpecError};
use crate::types::{Regime, Role, Strategy, TopologyKind};

/// The candidate most similar to `input`, if it is similar enough to be a likely typo.
///
/// Similarity is Jaro–Winkler (crate `strsim`) on the lowercased input; a candidate must score
/// above 0.8. An exact match is never "suggested" (the caller should have accepted it).
///
/// ```
/// use swarm_test_spec::did_you_mean;
///
/// assert_eq!(did_you_mean("rign", ["mesh", "ring", "star"]), Some("ring"));
/// assert_eq!(did_you_mean("banana", ["mesh", "ring", "star"]), None);
/// ```
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lowered = input.to_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        if candidate == input {
            continue;
        }
        let score = strsim::jaro_winkler(&lowered, candidate);
        if score > 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, name)| name)
}

/// The error for a name that is not one of `valid`: what was expected, a suggestion, the choices.
///
/// `what` is the singular noun for the thing being chosen (`"topology"`, `"fault"`, …).
pub(crate) fn unknown(what: &str, input: &str, valid: &[&str]) -> SpecError {
    let choices = backticked(valid.iter().copied());
    if input.trim().is_empty() {
        return SpecError::new(format!("expected a {what}, one of {choices}"));
    }
    let hint = match did_you_mean(input, valid.iter().copied()) {
        Some(name) => format!("; did you mean `{name}`?"),
        None => String::from(";"),
    };
    SpecError::new(format!(
        "unknown {what} `{}`{hint} expected one of {choices}",
        excerpt(input)
    ))
}

macro_rules! choices {
    ($ty:ident, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $ty {
            /// Every value, in documentation order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The snake_case names of [`Self::ALL`], in the same order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The snake_case name, as written in the attribute.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }

            #[doc = concat!("Parses a ", $what, " from its snake_case name.")]
            ///
            /// The error lists the valid names and suggests the closest one.
            pub fn parse(name: &str) -> Result<Self, SpecError> {
                match name {
                    $($name => Ok($ty::$variant),)+
                    other => Err(unknown($what, other, Self::NAMES)),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = SpecError;

            fn from_str(name: &str) -> Result<Self, SpecError> {
                Self::parse(name)
            }
        }
    };
}

choices!(TopologyKind, "topology", [
    Mesh => "mesh",
    Hierarchical => "hierarchical",
    Ring => "ring",
    Star => "star",
]);

choices!(Strategy, "strategy", [
    RoundRobin => "round_robin",
    LeastLoaded => "least_loaded",
    Specialized => "specialized",
    Consensus => "consensus",
    Adaptive => "adaptive",
]);

choices!(Regime, "market regime", [
    Calm => "calm",
    Trending => "trending",
    Volatile => "volatile",
    Crash => "crash",
]);

choices!(Role, "role", [
    NeuralForecaster => "neural_forecaster",
    MomentumTrader => "momentum_trader",
    MeanReversionTrader => "mean_reversion_trader",
    RiskManager => "risk_manager",
    PortfolioOptimizer => "portfolio_optimizer",
    PairsTrader => "pairs_trader",
    ArbitrageTrader => "arbitrage_trader",
    DataCollector => "data_collector",
    GenericTrader => "generic_trader",
]);

impl TopologyKind {
    /// The fewest agents this topology can be built with.
    ///
    /// A ring needs 3 (with 2 it is just a link); mesh, star and hierarchical need 2.
    pub const fn min_agents(self) -> usize {
        match self {
            TopologyKind::Ring => 3,
            TopologyKind::Mesh | TopologyKind::Hierarchical | TopologyKind::Star => 2,
        }
    }

    /// The most agents this topology can be built with; more is a compile error.
    ///
    /// Ring, star and hierarchical: [`crate::MAX_AGENTS`] (100,000). Their links grow with
    /// the agents (a ring of n has n links, a star or tree n − 1), and the runtime keeps work
    /// per event independent of the swarm's size, so 100,000 agents run in mock mode.
    ///
    /// Mesh: 2,000. Every pair of agents is linked, so a mesh of n agents has n(n − 1)/2
    /// links: 2,000 agents make 1,999,000 links (each kept at both ends), 20 times the links
    /// of the largest ring; 100,000 agents would make about 5·10⁹ and exhaust the memory of
    /// any test machine before the run starts.
    pub const fn max_agents(self) -> usize {
        match self {
            TopologyKind::Mesh => 2_000,
            TopologyKind::Hierarchical | TopologyKind::Ring | TopologyKind::Star => {
                crate::MAX_AGENTS
            }
        }
    }
}

impl Default for Strategy {
    /// [`Strategy::RoundRobin`].
    fn default() -> Self {
        Strategy::RoundRobin
    }
}

impl Default for Regime {
    /// [`Regime::Calm`].
    fn default() -> Self {
        Regime::Calm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in TopologyKind::ALL {
            assert_eq!(TopologyKind::parse(kind.as_str()), Ok(*kind));
            assert_eq!(kind.to_string().parse::<TopologyKind>(), Ok(*kind));
        }
        for s in Strategy::ALL {
            assert_eq!(Strategy::parse(s.as_str()), Ok(*s));
        }
        for r in Regime::ALL {
            assert_eq!(Regime::parse(r.as_str()), Ok(*r));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(*r));
        }
    }

    #[test]
    fn names_match_serde() {
        // The names the attribute accepts are the names the report serialises.
        assert_eq!(Role::MeanReversionTrader.as_str(), "mean_reversion_trader");
        assert_eq!(Strategy::LeastLoaded.as_str(), "least_loaded");
    }

    #[test]
    fn typo_gets_a_suggestion_and_the_choices() {
        let err = TopologyKind::parse("rign").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown topology `rign`; did you mean `ring`? \
             expected one of `mesh`, `hierarchical`, `ring`, `star`"
        );
        let err = Strategy::parse("round-robin").unwrap_err();
        assert!(
            err.to_string().contains("did you mean `round_robin`?"),
            "{err}"
        );
        let err = Role::parse("momentum").unwrap_err();
        assert!(
            err.to_string().contains("did you mean `momentum_trader`?"),
            "{err}"
        );
    }

    #[test]
    fn wrong_case_is_rejected_with_a_hint() {
        let err = TopologyKind::parse("Ring").unwrap_err();
        assert!(err.to_string().contains("did you mean `ring`?"), "{err}");
    }

    #[test]
    fn far_off_names_get_no_suggestion() {
        let err = Regime::parse("sideways").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown market regime `sideways`; expected one of `calm`, `trending`, `volatile`, `crash`"
        );
    }

    #[test]
    fn empty_name() {
        let err = Strategy::parse("").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("expected a strategy, one of `round_robin`"),
            "{err}"
        );
    }

    #[test]
    fn minimums() {
        assert_eq!(TopologyKind::Ring.min_agents(), 3);
        assert_eq!(TopologyKind::Star.min_agents(), 2);
        assert_eq!(TopologyKind::Mesh.min_agents(), 2);
        assert_eq!(TopologyKind::Hierarchical.min_agents(), 2);
        assert_eq!(TopologyKind::Mesh.max_agents(), 2_000);
        for kind in TopologyKind::ALL {
            assert!(kind.max_agents() <= crate::MAX_AGENTS);
            assert!(kind.min_agents() < kind.max_agents());
        }
    }

    #[test]
    fn suggestion_prefers_the_closest() {
        assert_eq!(did_you_mean("star", ["star"]), None);
        assert_eq!(did_you_mean("stat", ["star", "state"]), Some("state"));
        assert_eq!(did_you_mean("x", Vec::<&str>::new()), None);
    }
}
