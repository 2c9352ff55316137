//! The trades report: what the desk did, in counts and money, overall and per strategy.
//!
//! [`TradeBook`] counts decisions as they happen; [`TradeBook::report`] adds the money from the
//! [`Portfolio`] (at its last marks) and returns a [`TradesReport`]. Maps are ordered, so the
//! serialised report is stable; [`TradesReport::rounded`] fixes the precision for snapshots.
//!
//! Every order ends in exactly one of: filled, unfilled, rejected, so
//! `orders == fills + unfilled + rejected`. Holds are decisions without an order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use swarm_test_spec::Role;

use super::order::{Fill, HoldReason, OrderIntent, UnfilledReason};
use super::risk::Rejection;
use super::Portfolio;

/// The snake_case name of a role, as in the attribute grammar (`"momentum_trader"`).
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::NeuralForecaster => "neural_forecaster",
        Role::MomentumTrader => "momentum_trader",
        Role::MeanReversionTrader => "mean_reversion_trader",
        Role::RiskManager => "risk_manager",
        Role::PortfolioOptimizer => "portfolio_optimizer",
        Role::PairsTrader => "pairs_trader",
        Role::ArbitrageTrader => "arbitrage_trader",
        Role::DataCollector => "data_collector",
        Role::GenericTrader => "generic_trader",
    }
}

/// Counts and money of one strategy (one role).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StrategyStats {
    /// Orders decided (filled + unfilled + rejected).
    pub orders: u64,
    /// Orders filled.
    pub fills: u64,
    /// Orders sent that did not fill.
    pub unfilled: u64,
    /// Orders rejected by the risk check.
    pub rejected: u64,
    /// Decisions to hold.
    pub holds: u64,
    /// Rejections by reason (`max_order_notional`, `max_position`, `max_drawdown`).
    pub rejections: BTreeMap<String, u64>,
    /// Unfilled orders by reason (`limit_not_reached`, …).
    pub unfilled_reasons: BTreeMap<String, u64>,
    /// Holds by reason (`no_signal`, `at_target`, `not_enough_history`, …).
    pub hold_reasons: BTreeMap<String, u64>,
    /// Traded notional.
    pub notional: f64,
    /// Fees paid.
    pub fees: f64,
    /// Realised PnL, gross of fees.
    pub realised_pnl: f64,
    /// Unrealised PnL at the last marks.
    pub unrealised_pnl: f64,
    /// Realised + unrealised − fees.
    pub net_pnl: f64,
    /// Largest drawdown of net PnL, in money.
    pub max_drawdown: f64,
}

/// The desk's trades report, overall and per strategy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TradesReport {
    /// Orders decided (filled + unfilled + rejected).
    pub orders: u64,
    /// Orders filled.
    pub fills: u64,
    /// Orders sent that did not fill.
    pub unfilled: u64,
    /// Orders rejected by the risk check.
    pub rejected: u64,
    /// Decisions to hold.
    pub holds: u64,
    /// Rejections by reason (`max_order_notional`, `max_position`, `max_drawdown`).
    pub rejections: BTreeMap<String, u64>,
    /// Unfilled orders by reason (`limit_not_reached`, …).
    pub unfilled_reasons: BTreeMap<String, u64>,
    /// Holds by reason (`no_signal`, `at_target`, `not_enough_history`, …).
    pub hold_reasons: BTreeMap<String, u64>,
    /// Traded notional.
    pub notional: f64,
    /// Fees paid.
    pub fees: f64,
    /// Realised PnL, gross of fees.
    pub realised_pnl: f64,
    /// Unrealised PnL at the last marks.
    pub unrealised_pnl: f64,
    /// Realised + unrealised − fees.
    pub net_pnl: f64,
    /// Largest drawdown of equity, in money.
    pub max_drawdown: f64,
    /// Largest drawdown of equity, as a fraction of the peak it fell from.
    pub max_drawdown_pct: f64,
    /// The same per strategy, keyed by [`role_name`].
    pub per_strategy: BTreeMap<String, StrategyStats>,
}

/// Money precision: 2 decimals.
const MONEY: f64 = 100.0;
/// Rate precision: 4 decimals.
const RATE: f64 = 10_000.0;

/// Rounds to `1 / scale` (half away from zero) and turns −0 into 0.
fn round_to(x: f64, scale: f64) -> f64 {
    let r = libm::round(x * scale) / scale;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

impl StrategyStats {
    /// A copy with money rounded to 2 decimals.
    pub fn rounded(&self) -> StrategyStats {
        StrategyStats {
            notional: round_to(self.notional, MONEY),
            fees: round_to(self.fees, MONEY),
            realised_pnl: round_to(self.realised_pnl, MONEY),
            unrealised_pnl: round_to(self.unrealised_pnl, MONEY),
            net_pnl: round_to(self.net_pnl, MONEY),
            max_drawdown: round_to(self.max_drawdown, MONEY),
            ..self.clone()
        }
    }
}

impl TradesReport {
    /// A copy with money rounded to 2 decimals and rates to 4, for snapshots that must not
    /// change with the last bits of floating point.
    pub fn rounded(&self) -> TradesReport {
        TradesReport {
            notional: round_to(self.notional, MONEY),
            fees: round_to(self.fees, MONEY),
            realised_pnl: round_to(self.realised_pnl, MONEY),
            unrealised_pnl: round_to(self.unrealised_pnl, MONEY),
            net_pnl: round_to(self.net_pnl, MONEY),
            max_drawdown: round_to(self.max_drawdown, MONEY),
            max_drawdown_pct: round_to(self.max_drawdown_pct, RATE),
            per_strategy: self
                .per_strategy
                .iter()
                .map(|(k, v)| (k.clone(), v.rounded()))
                .collect(),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Counts {
    fills: u64,
    unfilled: u64,
    rejected: u64,
    holds: u64,
    rejections: BTreeMap<String, u64>,
    unfilled_reasons: BTreeMap<String, u64>,
    hold_reasons: BTreeMap<String, u64>,
}

/// Accumulates what happened to every decision; the money comes from the portfolio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TradeBook {
    counts: BTreeMap<Role, Counts>,
    fills: Vec<Fill>,
}

impl TradeBook {
    /// An empty book.
    pub fn new() -> Self {
        TradeBook::default()
    }

    /// A decision of `role` to hold.
    pub fn record_hold(&mut self, role: Role, reason: &HoldReason) {
        let c = self.counts.entry(role).or_default();
        c.holds += 1;
        *c.hold_reasons.entry(reason.kind().to_string()).or_default() += 1;
    }

    /// An order the risk check rejected.
    pub fn record_rejection(&mut self, order: &OrderIntent, reason: &Rejection) {
        let c = self.counts.entry(order.role).or_default();
        c.rejected += 1;
        *c.rejections.entry(reason.kind().to_string()).or_default() += 1;
    }

    /// An order that was sent and did not fill.
    pub fn record_unfilled(&mut self, order: &OrderIntent, reason: &UnfilledReason) {
        let c = self.counts.entry(order.role).or_default();
        c.unfilled += 1;
        *c.unfilled_reasons
            .entry(reason.kind().to_string())
            .or_default() += 1;
    }

    /// An order that filled.
    pub fn record_fill(&mut self, fill: &Fill) {
        self.counts.entry(fill.role).or_default().fills += 1;
        self.fills.push(fill.clone());
    }

    /// Every fill so far, in the order they were recorded.
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }

    /// The report: these counts plus `portfolio`'s money at its last marks.
    pub fn report(&self, portfolio: &Portfolio) -> TradesReport {
        let mut roles: Vec<Role> = self.counts.keys().copied().collect();
        roles.extend(portfolio.strategies());
        roles.sort();
        roles.dedup();
        let mut r = TradesReport {
            notional: portfolio.traded_notional(),
            fees: portfolio.fees(),
            realised_pnl: portfolio.realised_pnl(),
            unrealised_pnl: portfolio.unrealised_pnl(),
            max_drawdown: portfolio.max_drawdown(),
            max_drawdown_pct: portfolio.max_drawdown_pct(),
            ..TradesReport::default()
        };
        r.net_pnl = r.realised_pnl + r.unrealised_pnl - r.fees;
        for role in roles {
            let c = self.counts.get(&role).cloned().unwrap_or_default();
            let positions = portfolio.strategy_positions(role);
            let total = |f: fn(&super::Position) -> f64| positions.values().map(f).sum::<f64>();
            let s = StrategyStats {
                orders: c.fills + c.unfilled + c.rejected,
                fills: c.fills,
                unfilled: c.unfilled,
                rejected: c.rejected,
                holds: c.holds,
                rejections: c.rejections,
                unfilled_reasons: c.unfilled_reasons,
                hold_reasons: c.hold_reasons,
                notional: total(|p| p.traded_notional),
                fees: total(|p| p.fees),
                realised_pnl: total(|p| p.realised_pnl),
                unrealised_pnl: total(|p| p.unrealised_pnl()),
                net_pnl: total(|p| p.net_pnl()),
                max_drawdown: portfolio.strategy_max_drawdown(role),
            };
            r.orders += s.orders;
            r.fills += s.fills;
            r.unfilled += s.unfilled;
            r.rejected += s.rejected;
            r.holds += s.holds;
            for (k, v) in &s.rejections {
                *r.rejections.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &s.unfilled_reasons {
                *r.unfilled_reasons.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &s.hold_reasons {
                *r.hold_reasons.entry(k.clone()).or_default() += v;
            }
            r.per_strategy.insert(role_name(role).to_string(), s);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::super::order::{OrderKind, Side};
    use super::*;

    fn intent(role: Role) -> OrderIntent {
        OrderIntent {
            role,
            symbol: "A".into(),
            side: Side::Buy,
            qty: 10,
            kind: OrderKind::Market,
            decided_at_ms: 0,
            reference_price: 10.0,
        }
    }

    fn fill(role: Role, side: Side, price: f64) -> Fill {
        Fill {
            role,
            symbol: "A".into(),
            side,
            qty: 10,
            price,
            notional: 10.0 * price,
            fee: 1.0,
            mid_at_arrival: price,
            decided_at_ms: 0,
            arrived_at_ms: 1,
        }
    }

    #[test]
    fn counts_and_money_add_up() {
        let mut book = TradeBook::new();
        let mut p = Portfolio::new(1_000.0);
        for f in [
            fill(Role::MomentumTrader, Side::Buy, 10.0),
            fill(Role::MomentumTrader, Side::Sell, 12.0),
        ] {
            p.apply_fill(&f);
            book.record_fill(&f);
        }
        let f = fill(Role::PairsTrader, Side::Buy, 12.0);
        p.apply_fill(&f);
        book.record_fill(&f);
        p.mark_with(|_| Some(11.0));
        book.record_rejection(
            &intent(Role::PairsTrader),
            &Rejection::MaxPosition { after: 5, limit: 1 },
        );
        book.record_unfilled(&intent(Role::PairsTrader), &UnfilledReason::ZeroQuantity);
        book.record_hold(Role::RiskManager, &HoldReason::RiskManager);

        let r = book.report(&p);
        assert_eq!(
            (r.orders, r.fills, r.unfilled, r.rejected, r.holds),
            (5, 3, 1, 1, 1)
        );
        assert_eq!(
            r.rejections,
            BTreeMap::from([("max_position".to_string(), 1)])
        );
        assert_eq!(r.unfilled_reasons["zero_quantity"], 1);
        assert_eq!(r.hold_reasons["risk_manager"], 1);
        assert_eq!(
            (r.notional, r.fees, r.realised_pnl, r.unrealised_pnl),
            (340.0, 3.0, 20.0, -10.0)
        );
        assert_eq!(r.net_pnl, 7.0);
        let names: Vec<&str> = r.per_strategy.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            vec!["momentum_trader", "pairs_trader", "risk_manager"]
        );
        let m = &r.per_strategy["momentum_trader"];
        assert_eq!(
            (m.orders, m.realised_pnl, m.fees, m.net_pnl),
            (2, 20.0, 2.0, 18.0)
        );
        let pairs = &r.per_strategy["pairs_trader"];
        assert_eq!(
            (pairs.orders, pairs.unrealised_pnl, pairs.net_pnl),
            (3, -10.0, -11.0)
        );
        assert_eq!(pairs.max_drawdown, 11.0); // from 0 to −1 after the fee, −11 after the mark
        assert_eq!(book.fills().len(), 3);
    }

    #[test]
    fn rounding_fixes_precision_and_round_trips_through_json() {
        let r = TradesReport {
            fees: 1.005_000_1,
            realised_pnl: -0.001,
            max_drawdown_pct: 0.123_456,
            per_strategy: BTreeMap::from([(
                "generic_trader".to_string(),
                StrategyStats {
                    net_pnl: 2.0 / 3.0,
                    ..StrategyStats::default()
                },
            )]),
            ..TradesReport::default()
        };
        let rounded = r.rounded();
        assert_eq!(rounded.fees, 1.01);
        assert_eq!(rounded.realised_pnl.to_bits(), 0.0f64.to_bits());
        assert_eq!(rounded.max_drawdown_pct, 0.1235);
        assert_eq!(rounded.per_strategy["generic_trader"].net_pnl, 0.67);
        let json = serde_json::to_string(&rounded).unwrap();
        let back: TradesReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rounded);
    }

    #[test]
    fn role_names_match_the_grammar() {
        for role in [
            Role::MomentumTrader,
            Role::NeuralForecaster,
            Role::ArbitrageTrader,
        ] {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role_name(role)));
        }
    }
}
