//! The built-in roles, as implementations of the public [`Agent`] trait: the trait is proven
//! sufficient by the project's own agents. Each role's trading rule is in
//! [`market::signals`](crate::internals::market) (see the table there); these types hand it
//! the context's market and positions.
//!
//! ```
//! use swarm_test::prelude::*;
//! use swarm_test::roles::{builtin, MomentumTrader};
//!
//! assert_eq!(MomentumTrader::default().type_name(), "momentum_trader");
//! let hub = builtin(Role::PortfolioOptimizer);
//! assert_eq!(hub.type_name(), "portfolio_optimizer");
//! ```

use swarm_test_spec::Role;

use crate::agent::{Agent, AgentCtx, AgentError, Capability, Decision};
use crate::market::{decide, SignalParams};

macro_rules! roles {
    ($($(#[$doc:meta])* $name:ident => $role:ident,)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Default)]
            pub struct $name {
                /// The rule's tunables. The default value is [`SignalParams::default`].
                pub params: SignalParams,
            }

            impl Agent for $name {
                fn capabilities(&self) -> Vec<Capability> {
                    capabilities(Role::$role)
                }

                fn on_trade(
                    &mut self,
                    ctx: &mut AgentCtx<'_>,
                    symbol: &str,
                ) -> Result<Decision, AgentError> {
                    Ok(rule(Role::$role, ctx, symbol, &self.params))
                }

                fn type_name(&self) -> &'static str {
                    Role::$role.as_str()
                }
            }
        )*

        /// The built-in agent of `role`, with default tunables.
        pub fn builtin(role: Role) -> Box<dyn Agent> {
            match role {
                $(Role::$role => Box::new($name::default()),)*
            }
        }
    };
}

roles! {
    /// `momentum_trader`: 5-bar vs 20-bar moving averages; market orders.
    MomentumTrader => MomentumTrader,
    /// `mean_reversion_trader`: z-score of the mid over 20 closes; limit orders.
    MeanReversionTrader => MeanReversionTrader,
    /// `pairs_trader`: z-score of the log-spread against the partner symbol.
    PairsTrader => PairsTrader,
    /// `arbitrage_trader`: the gap to the second venue's quote.
    ArbitrageTrader => ArbitrageTrader,
    /// `neural_forecaster`: Holt's linear exponential smoothing, 5 bars ahead.
    NeuralForecaster => NeuralForecaster,
    /// `portfolio_optimizer`: equal weight, rebalanced past a band.
    PortfolioOptimizer => PortfolioOptimizer,
    /// `generic_trader`: the last bar's return.
    GenericTrader => GenericTrader,
    /// `data_collector`: records prices, never trades.
    DataCollector => DataCollector,
    /// `risk_manager`: vetoes orders, never originates them.
    RiskManager => RiskManager,
}

fn capabilities(role: Role) -> Vec<Capability> {
    role.capabilities()
        .iter()
        .map(|c| Capability::new(*c))
        .collect()
}

/// `role`'s rule on the context's market and its strategy's positions.
fn rule(role: Role, ctx: &mut AgentCtx<'_>, symbol: &str, params: &SignalParams) -> Decision {
    let (market, portfolio, t_ms) = ctx.desk();
    Decision::from_intent(decide(role, market, symbol, t_ms, portfolio, params))
}
