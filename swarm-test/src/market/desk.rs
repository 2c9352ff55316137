//! The trading desk: one synchronous call per trade task, from decision to report.
//!
//! [`TradingDesk::trade`] runs, in order:
//!
//! 1. mark the portfolio at the decision time (so the drawdown check sees current prices);
//! 2. [`decide`] what the role wants at `decided_at_ms`; a hold ends here;
//! 3. the risk check ([`RiskLimits::check`], the risk manager's [`veto`](super::veto)) against
//!    the portfolio as it is at the decision; a rejection ends here;
//! 4. [`FillModel::fill`] at `arrives_at_ms`, the time the order reaches the venue (the
//!    simulator adds the network's latency); an unfilled order ends here;
//! 5. book the fill in the portfolio and mark it at the arrival time.
//!
//! Every step is recorded in the [`TradeBook`]. Call `trade` in nondecreasing decision-time
//! order (as a discrete-event simulator does). A fill is booked when `trade` returns, even if
//! its arrival time is later than the next call's decision time: in-flight orders count toward
//! positions, as a real pre-trade check counts open orders. Portfolio marks never move
//! backwards in time: a mark earlier than the last one is skipped.

use swarm_test_spec::Role;

use crate::rng::SimRng;

use super::execution::FillModel;
use super::order::{Execution, Fill, HoldReason, Intent, UnfilledReason};
use super::report::{TradeBook, TradesReport};
use super::risk::{Rejection, RiskLimits};
use super::signals::{decide, SignalParams};
use super::{Market, Portfolio};

/// What one trade task came to.
#[derive(Debug, Clone, PartialEq)]
pub enum TradeOutcome {
    /// The agent decided not to trade.
    Hold(HoldReason),
    /// The risk check rejected the order.
    Rejected(Rejection),
    /// The order reached the venue and did not fill.
    Unfilled(UnfilledReason),
    /// The order filled.
    Filled(Fill),
}

/// A market, a fill model, a portfolio, risk limits and a trade book: the whole desk.
///
/// Fields are public so a simulator can shock the market (`desk.market.volatility_shock(..)`)
/// or tune the models before the run.
#[derive(Debug, Clone)]
pub struct TradingDesk {
    /// Prices.
    pub market: Market,
    /// How orders fill. The default value is [`FillModel::default`].
    pub execution: FillModel,
    /// Positions and PnL. The default value is an empty portfolio with 1,000,000 of capital.
    pub portfolio: Portfolio,
    /// Pre-trade limits. The default value is [`RiskLimits::default`].
    pub limits: RiskLimits,
    /// What happened so far.
    pub book: TradeBook,
    /// The trading rules' tunables. The default value is [`SignalParams::default`].
    pub params: SignalParams,
    last_mark_ms: Option<u64>,
}

impl TradingDesk {
    /// A desk over `market` with default models, limits and capital.
    pub fn new(market: Market) -> Self {
        TradingDesk {
            market,
            execution: FillModel::default(),
            portfolio: Portfolio::default(),
            limits: RiskLimits::default(),
            book: TradeBook::new(),
            params: SignalParams::default(),
            last_mark_ms: None,
        }
    }

    /// One trade task: `role` decides about `symbol` at `decided_at_ms`; an order arrives at
    /// the venue at `arrives_at_ms` (taken as `decided_at_ms` if earlier). `rng` drives the
    /// fill model's probabilistic slippage and touch fills (two draws per order that is priced).
    pub fn trade(
        &mut self,
        role: Role,
        symbol: &str,
        decided_at_ms: u64,
        arrives_at_ms: u64,
        rng: &mut SimRng,
    ) -> TradeOutcome {
        self.mark(decided_at_ms);
        let decision = decide(
            role,
            &mut self.market,
            symbol,
            decided_at_ms,
            &self.portfolio,
            &self.params,
        );
        self.book_decision(role, decision, decided_at_ms, arrives_at_ms, rng)
    }

    /// [`TradingDesk::trade`] with the decision (step 2) made by `decide`, given the market and
    /// the portfolio as marked at `decided_at_ms`; an `Err` from it books nothing.
    pub fn trade_with<E>(
        &mut self,
        role: Role,
        decided_at_ms: u64,
        arrives_at_ms: u64,
        rng: &mut SimRng,
        decide: impl FnOnce(&mut Market, &Portfolio) -> Result<Intent, E>,
    ) -> Result<TradeOutcome, E> {
        self.mark(decided_at_ms);
        let decision = decide(&mut self.market, &self.portfolio)?;
        Ok(self.book_decision(role, decision, decided_at_ms, arrives_at_ms, rng))
    }

    /// Steps 3 to 5 for a decision an agent made elsewhere (a live agent process, which keeps
    /// its own copy of the market): the desk checks risk, fills and books it. Marks the
    /// portfolio at `decided_at_ms` first, as [`TradingDesk::trade`] does.
    pub fn settle(
        &mut self,
        role: Role,
        decision: Intent,
        decided_at_ms: u64,
        arrives_at_ms: u64,
        rng: &mut SimRng,
    ) -> TradeOutcome {
        self.mark(decided_at_ms);
        self.book_decision(role, decision, decided_at_ms, arrives_at_ms, rng)
    }

    fn book_decision(
        &mut self,
        role: Role,
        decision: Intent,
        decided_at_ms: u64,
        arrives_at_ms: u64,
        rng: &mut SimRng,
    ) -> TradeOutcome {
        let order = match decision {
            Intent::Hold(reason) => {
                self.book.record_hold(role, &reason);
                return TradeOutcome::Hold(reason);
            }
            Intent::Order(order) => order,
        };
        if let Err(reason) = self.limits.check(&order, &self.portfolio) {
            self.book.record_rejection(&order, &reason);
            return TradeOutcome::Rejected(reason);
        }
        let arrival = arrives_at_ms.max(decided_at_ms);
        match self.execution.fill(&order, arrival, &mut self.market, rng) {
            Execution::Unfilled(reason) => {
                self.book.record_unfilled(&order, &reason);
                TradeOutcome::Unfilled(reason)
            }
            Execution::Filled(fill) => {
                self.portfolio.apply_fill(&fill);
                self.book.record_fill(&fill);
                self.mark(arrival);
                TradeOutcome::Filled(fill)
            }
        }
    }

    /// The report as of `now_ms`: positions marked to the mids at `now_ms` (if it is not
    /// earlier than the last mark).
    pub fn report(&mut self, now_ms: u64) -> TradesReport {
        self.mark(now_ms);
        self.book.report(&self.portfolio)
    }

    /// Marks the portfolio at `t_ms` unless a later mark was already taken.
    fn mark(&mut self, t_ms: u64) {
        if self.last_mark_ms.is_some_and(|last| t_ms < last) {
            return;
        }
        self.last_mark_ms = Some(t_ms);
        self.portfolio.mark(&mut self.market, t_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_test_spec::{MarketSpec, Regime};

    const ROLES: [Role; 9] = [
        Role::NeuralForecaster,
        Role::MomentumTrader,
        Role::MeanReversionTrader,
        Role::RiskManager,
        Role::PortfolioOptimizer,
        Role::PairsTrader,
        Role::ArbitrageTrader,
        Role::DataCollector,
        Role::GenericTrader,
    ];

    /// A scripted run: every role trades every symbol once per virtual second for two
    /// minutes, with seeded latencies of 0–400 ms.
    fn run(seed: u64, regime: Regime) -> (TradesReport, Vec<Fill>) {
        let mut rng = SimRng::new(seed);
        let market = Market::new(&MarketSpec::Regime(regime), rng.split("market")).unwrap();
        let mut desk = TradingDesk::new(market);
        let mut exec = rng.split("execution");
        let mut latency = rng.split("latency");
        let symbols = desk.market.symbols();
        for t in (0..120_000).step_by(1_000) {
            for role in ROLES {
                for symbol in &symbols {
                    let arrival = t + latency.below(400);
                    desk.trade(role, symbol, t, arrival, &mut exec);
                }
            }
        }
        (desk.report(120_000), desk.book.fills().to_vec())
    }

    #[test]
    fn same_seed_identical_trades_different_regime_different_outcome() {
        let (a, fills_a) = run(17, Regime::Volatile);
        let (b, fills_b) = run(17, Regime::Volatile);
        assert_eq!(fills_a, fills_b);
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_string(&a.rounded()).unwrap(),
            serde_json::to_string(&b.rounded()).unwrap()
        );
        assert!(a.fills > 0, "{a:#?}");
        assert_eq!(a.orders, a.fills + a.unfilled + a.rejected);

        let (c, fills_c) = run(17, Regime::Crash);
        assert_ne!(fills_a, fills_c);
        assert_ne!(a.rounded(), c.rounded());
        let (d, _) = run(18, Regime::Volatile);
        assert_ne!(a.rounded(), d.rounded());
    }

    #[test]
    fn every_outcome_is_booked() {
        let market = Market::new(&MarketSpec::Regime(Regime::Calm), SimRng::new(2)).unwrap();
        let mut desk = TradingDesk::new(market);
        let mut rng = SimRng::new(0);
        let hold = desk.trade(Role::DataCollector, "SPY", 0, 0, &mut rng);
        assert_eq!(hold, TradeOutcome::Hold(HoldReason::DataCollector));
        desk.limits.max_order_notional = 1_000.0;
        let rejected = desk.trade(Role::PortfolioOptimizer, "SPY", 0, 10, &mut rng);
        assert!(matches!(
            rejected,
            TradeOutcome::Rejected(Rejection::MaxOrderNotional { .. })
        ));
        desk.limits = RiskLimits::default();
        let filled = desk.trade(Role::PortfolioOptimizer, "SPY", 1_000, 1_250, &mut rng);
        let TradeOutcome::Filled(fill) = filled else {
            panic!("{filled:?}")
        };
        assert_eq!(fill.arrived_at_ms, 1_250);
        assert_eq!(
            fill.price,
            desk.execution
                .price_at(fill.side, fill.qty, desk.market.mid("SPY", 1_250))
        );
        let unit = (10_000.0 / desk.market.mid("SPY", 1_000)).floor() as u64;
        assert_eq!((fill.side, fill.qty), (super::super::Side::Buy, unit));
        assert_eq!(
            desk.portfolio
                .strategy_position(Role::PortfolioOptimizer, "SPY"),
            unit as i64
        );
        desk.execution.spread_bps = 1_000.0; // a limit can no longer be met
        let mut unfilled = None;
        for t in (2_000..600_000).step_by(1_000) {
            if let TradeOutcome::Unfilled(r) =
                desk.trade(Role::MeanReversionTrader, "TSLA", t, t + 100, &mut rng)
            {
                unfilled = Some(r);
                break;
            }
        }
        assert_eq!(unfilled.map(|r| r.kind()), Some("limit_not_reached"));
        let r = desk.report(600_000);
        assert_eq!(
            (r.holds >= 1, r.rejected, r.fills, r.unfilled),
            (true, 1, 1, 1)
        );
        assert_eq!(r.rejections["max_order_notional"], 1);
        assert_eq!(r.per_strategy["portfolio_optimizer"].orders, 2);
    }
}
