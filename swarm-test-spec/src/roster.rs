//! Rosters (`"momentum_trader*2, pairs_trader*2, arbitrage_trader"`) and role capabilities.
//!
//! A roster is a comma-separated list of roles, each optionally followed by `*COUNT`
//! (`COUNT` ≥ 1, default 1). Agents are numbered in roster order: the example gives agents
//! 0 and 1 the `momentum_trader` role, 2 and 3 `pairs_trader`, and 4 `arbitrage_trader`.

use std::fmt;

use crate::error::{excerpt, SpecError};
use crate::types::{Role, Roster};

/// The largest count one roster entry may have.
const MAX_COUNT: usize = 100_000;

impl Roster {
    /// Parses a roster such as `"momentum_trader*2, pairs_trader*2, arbitrage_trader"`.
    ///
    /// ```
    /// use swarm_test_spec::{Role, Roster};
    ///
    /// let roster = Roster::parse("momentum_trader*2, risk_manager").unwrap();
    /// assert_eq!(roster.len(), 3);
    /// assert_eq!(roster.roles(), vec![Role::MomentumTrader, Role::MomentumTrader, Role::RiskManager]);
    /// assert!(Roster::parse("momentum*2").unwrap_err().to_string().contains("did you mean `momentum_trader`?"));
    /// ```
    pub fn parse(text: &str) -> Result<Roster, SpecError> {
        if text.trim().is_empty() {
            return Err(SpecError::new(
                "empty roster: list roles like `momentum_trader*2, risk_manager`",
            ));
        }
        let mut entries = Vec::new();
        let mut total: usize = 0;
        for entry in text.split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(SpecError::new(format!(
                    "empty entry in roster `{}`: list roles like `momentum_trader*2, risk_manager`",
                    excerpt(text.trim())
                )));
            }
            let (name, count) = match entry.split_once('*') {
                Some((name, count)) => (name.trim(), parse_count(name.trim(), count.trim())?),
                None => (entry, 1),
            };
            let role = Role::parse(name)?;
            total = total.saturating_add(count);
            if total > MAX_COUNT {
                return Err(SpecError::new(format!(
                    "a roster may have at most {MAX_COUNT} agents"
                )));
            }
            entries.push((role, count));
        }
        Ok(Roster(entries))
    }

    /// The number of agents: the sum of the counts.
    pub fn len(&self) -> usize {
        self.0.iter().map(|(_, count)| count).sum()
    }

    /// True when the roster has no agents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each agent's role, by agent index.
    pub fn roles(&self) -> Vec<Role> {
        self.0
            .iter()
            .flat_map(|(role, count)| std::iter::repeat_n(*role, *count))
            .collect()
    }

    /// The role of agent `index`, if the roster has that many agents.
    pub fn role_of(&self, index: usize) -> Option<Role> {
        let mut first = 0;
        for (role, count) in &self.0 {
            if index < first + count {
                return Some(*role);
            }
            first += count;
        }
        None
    }

    /// True when at least one agent has `role`.
    pub fn contains(&self, role: Role) -> bool {
        self.0.iter().any(|(r, count)| *r == role && *count > 0)
    }
}

fn parse_count(name: &str, count: &str) -> Result<usize, SpecError> {
    match count.parse::<usize>() {
        Ok(0) => Err(SpecError::new(format!(
            "`{name}*0`: a roster count must be at least 1"
        ))),
        Ok(n) if n <= MAX_COUNT => Ok(n),
        Ok(_) => Err(SpecError::new(format!(
            "a roster may have at most {MAX_COUNT} agents"
        ))),
        Err(_) => Err(SpecError::new(format!(
            "expected a count after `{name}*`, like `{name}*2`, found `{}`",
            excerpt(count)
        ))),
    }
}

impl fmt::Display for Roster {
    /// The roster as written: `momentum_trader*2, arbitrage_trader` (a count of 1 is left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (role, count)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{role}")?;
            if *count != 1 {
                write!(f, "*{count}")?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Roster {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, SpecError> {
        Roster::parse(text)
    }
}

impl Role {
    /// What an agent in this role can do; specialised routing matches tasks on these.
    ///
    /// ```
    /// use swarm_test_spec::Role;
    ///
    /// assert_eq!(Role::ArbitrageTrader.capabilities(), ["arbitrage", "trade_execution"]);
    /// ```
    pub const fn capabilities(self) -> &'static [&'static str] {
        match self {
            Role::NeuralForecaster => &["forecast", "trend_analysis", "pattern_recognition"],
            Role::MomentumTrader => &["momentum_detection", "breakout_analysis", "trade_execution"],
            Role::MeanReversionTrader => {
                &["statistical_analysis", "mean_reversion", "pair_trading"]
            }
            Role::RiskManager => &["risk_assessment", "position_sizing", "stop_loss_management"],
            Role::PortfolioOptimizer => &["optimization", "allocation", "rebalancing"],
            Role::PairsTrader => &["pair_trading", "statistical_analysis", "trade_execution"],
            Role::ArbitrageTrader => &["arbitrage", "trade_execution"],
            Role::DataCollector => &["data_collection", "market_data"],
            Role::GenericTrader => &["generic_trading"],
        }
    }

    /// True when this role has `capability`.
    pub fn can(self, capability: &str) -> bool {
        self.capabilities().contains(&capability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counts_and_order() {
        let roster = Roster::parse("momentum_trader*2, pairs_trader * 2,arbitrage_trader").unwrap();
        assert_eq!(
            roster,
            Roster(vec![
                (Role::MomentumTrader, 2),
                (Role::PairsTrader, 2),
                (Role::ArbitrageTrader, 1)
            ])
        );
        assert_eq!(roster.len(), 5);
        assert!(!roster.is_empty());
        assert_eq!(roster.role_of(0), Some(Role::MomentumTrader));
        assert_eq!(roster.role_of(3), Some(Role::PairsTrader));
        assert_eq!(roster.role_of(4), Some(Role::ArbitrageTrader));
        assert_eq!(roster.role_of(5), None);
        assert!(roster.contains(Role::PairsTrader));
        assert!(!roster.contains(Role::RiskManager));
    }

    #[test]
    fn display_round_trips() {
        let roster = Roster::parse("momentum_trader*2,  risk_manager*1").unwrap();
        assert_eq!(roster.to_string(), "momentum_trader*2, risk_manager");
        assert_eq!(roster.to_string().parse::<Roster>(), Ok(roster));
    }

    #[test]
    fn bad_rosters() {
        let msg = |t: &str| Roster::parse(t).unwrap_err().to_string();
        assert!(msg("").starts_with("empty roster"));
        assert!(msg("momentum_trader,,risk_manager").starts_with("empty entry in roster"));
        assert!(msg("momentum_trader,").starts_with("empty entry in roster"));
        assert_eq!(
            msg("momentum*2"),
            "unknown role `momentum`; did you mean `momentum_trader`? expected one of \
             `neural_forecaster`, `momentum_trader`, `mean_reversion_trader`, `risk_manager`, \
             `portfolio_optimizer`, `pairs_trader`, `arbitrage_trader`, `data_collector`, `generic_trader`"
        );
        assert_eq!(
            msg("risk_manager*0"),
            "`risk_manager*0`: a roster count must be at least 1"
        );
        assert_eq!(
            msg("risk_manager*two"),
            "expected a count after `risk_manager*`, like `risk_manager*2`, found `two`"
        );
        assert!(msg("risk_manager*").contains("expected a count"));
        assert!(msg("risk_manager*2*3").contains("expected a count"));
        assert!(msg("risk_manager*99999999999999999999999").contains("expected a count"));
        assert!(msg("risk_manager*60000, pairs_trader*60000").contains("at most 100000"));
    }

    #[test]
    fn capabilities() {
        assert_eq!(
            Role::NeuralForecaster.capabilities(),
            ["forecast", "trend_analysis", "pattern_recognition"]
        );
        assert_eq!(Role::GenericTrader.capabilities(), ["generic_trading"]);
        assert!(Role::PairsTrader.can("pair_trading"));
        assert!(!Role::DataCollector.can("trade_execution"));
        for role in Role::ALL {
            assert!(!role.capabilities().is_empty());
        }
    }
}
