//! Positions, average cost, realised and unrealised PnL, fees and drawdown.
//!
//! Accounting conventions (the usual average-cost method):
//!
//! - Adding to a position (or opening one) moves the average cost to the size-weighted mean of
//!   the old cost and the fill price.
//! - Reducing a position realises `closed qty × (fill price − average cost)` (with the sign of
//!   the position: a short gains when the price falls); the average cost of what is left is
//!   unchanged. Crossing through zero closes the old position and opens the rest at the fill
//!   price.
//! - Unrealised PnL is `qty × (mark − average cost)`, marked to the mid at the last
//!   [`Portfolio::mark`] (or at the fill's arrival mid, right after a fill).
//! - `realised_pnl` is gross of fees; fees are counted separately. Equity is
//!   initial capital + realised + unrealised − fees.
//! - Drawdown is peak equity minus current equity, observed after every fill and every mark;
//!   the maximum is kept in money and as a fraction of the peak.
//!
//! Positions are kept per symbol (the whole desk) and per strategy (per [`Role`]).

use std::collections::BTreeMap;

use swarm_test_spec::Role;

use super::order::{Fill, Side};
use super::Market;

/// Starting equity of a portfolio. The default value is 1,000,000.
pub const DEFAULT_INITIAL_CAPITAL: f64 = 1_000_000.0;

/// One position: shares, average cost, and what it has made and paid so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Position {
    /// Shares held; negative when short.
    pub qty: i64,
    /// Average cost per share of the open position; 0 when flat.
    pub avg_cost: f64,
    /// PnL realised by reducing the position, gross of fees.
    pub realised_pnl: f64,
    /// Fees paid on this position's fills.
    pub fees: f64,
    /// Total traded notional (sum of `qty × price` over fills).
    pub traded_notional: f64,
    /// The last mid the position was marked at, if any.
    pub mark: Option<f64>,
}

impl Position {
    /// Applies a fill of `qty` shares on `side` at `price`, paying `fee`.
    pub fn apply(&mut self, side: Side, qty: u64, price: f64, fee: f64) {
        if qty == 0 {
            return;
        }
        let signed = i64::try_from(qty).unwrap_or(i64::MAX) * side.sign();
        self.fees += fee;
        self.traded_notional += qty as f64 * price;
        if self.qty == 0 || self.qty.signum() == signed.signum() {
            let held = self.qty.unsigned_abs() as f64;
            self.avg_cost = (self.avg_cost * held + price * qty as f64) / (held + qty as f64);
            self.qty = self.qty.saturating_add(signed);
            return;
        }
        let closing = self.qty.unsigned_abs().min(qty) as f64;
        self.realised_pnl += closing * (price - self.avg_cost) * self.qty.signum() as f64;
        let before = self.qty;
        self.qty = self.qty.saturating_add(signed);
        if self.qty == 0 {
            self.avg_cost = 0.0;
        } else if self.qty.signum() != before.signum() {
            self.avg_cost = price;
        }
    }

    /// `qty × (mark − average cost)`; 0 when flat or never marked.
    pub fn unrealised_pnl(&self) -> f64 {
        match self.mark {
            Some(m) if self.qty != 0 => self.qty as f64 * (m - self.avg_cost),
            _ => 0.0,
        }
    }

    /// Realised + unrealised − fees.
    pub fn net_pnl(&self) -> f64 {
        self.realised_pnl + self.unrealised_pnl() - self.fees
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Peak {
    peak: f64,
    max_drawdown: f64,
}

impl Peak {
    fn observe(&mut self, value: f64) {
        self.peak = self.peak.max(value);
        self.max_drawdown = self.max_drawdown.max(self.peak - value);
    }
}

/// The desk's positions, per symbol and per strategy, with equity and drawdown tracking.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    initial_capital: f64,
    by_symbol: BTreeMap<String, Position>,
    by_strategy: BTreeMap<Role, BTreeMap<String, Position>>,
    equity: Peak,
    max_drawdown_pct: f64,
    strategy_peaks: BTreeMap<Role, Peak>,
}

impl Default for Portfolio {
    fn default() -> Self {
        Portfolio::new(DEFAULT_INITIAL_CAPITAL)
    }
}

impl Portfolio {
    /// An empty portfolio with `initial_capital` of equity.
    pub fn new(initial_capital: f64) -> Self {
        Portfolio {
            initial_capital,
            by_symbol: BTreeMap::new(),
            by_strategy: BTreeMap::new(),
            equity: Peak {
                peak: initial_capital,
                max_drawdown: 0.0,
            },
            max_drawdown_pct: 0.0,
            strategy_peaks: BTreeMap::new(),
        }
    }

    /// Books a fill and marks its symbol at the fill's arrival mid.
    pub fn apply_fill(&mut self, fill: &Fill) {
        self.apply(
            fill.role,
            &fill.symbol,
            fill.side,
            fill.qty,
            fill.price,
            fill.fee,
            fill.mid_at_arrival,
        );
    }

    /// Books a fill given by its parts and marks `symbol` at `mid`.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        role: Role,
        symbol: &str,
        side: Side,
        qty: u64,
        price: f64,
        fee: f64,
        mid: f64,
    ) {
        let desk = self.by_symbol.entry(symbol.to_string()).or_default();
        desk.apply(side, qty, price, fee);
        let strat = self
            .by_strategy
            .entry(role)
            .or_default()
            .entry(symbol.to_string())
            .or_default();
        strat.apply(side, qty, price, fee);
        self.strategy_peaks.entry(role).or_default();
        self.mark_with(|s| (s == symbol).then_some(mid));
    }

    /// Marks every position whose symbol `prices` knows, then updates the drawdowns.
    pub fn mark_with(&mut self, mut prices: impl FnMut(&str) -> Option<f64>) {
        for (symbol, pos) in &mut self.by_symbol {
            if let Some(m) = prices(symbol) {
                pos.mark = Some(m);
                for positions in self.by_strategy.values_mut() {
                    if let Some(p) = positions.get_mut(symbol) {
                        p.mark = Some(m);
                    }
                }
            }
        }
        let equity = self.equity();
        self.equity.observe(equity);
        if self.equity.peak > 0.0 {
            self.max_drawdown_pct = self
                .max_drawdown_pct
                .max(self.drawdown() / self.equity.peak);
        }
        for (role, peak) in &mut self.strategy_peaks {
            let net = self
                .by_strategy
                .get(role)
                .map_or(0.0, |p| sum(p, Position::net_pnl));
            peak.observe(net);
        }
    }

    /// Marks every position to the market's mid at `t_ms`.
    pub fn mark(&mut self, market: &mut Market, t_ms: u64) {
        self.mark_with(|s| market.try_mid(s, t_ms));
    }

    /// Shares of `symbol` held by the whole desk.
    pub fn position(&self, symbol: &str) -> i64 {
        self.by_symbol.get(symbol).map_or(0, |p| p.qty)
    }

    /// Shares of `symbol` held by the strategy `role`.
    pub fn strategy_position(&self, role: Role, symbol: &str) -> i64 {
        self.by_strategy
            .get(&role)
            .and_then(|p| p.get(symbol))
            .map_or(0, |p| p.qty)
    }

    /// The desk's positions by symbol.
    pub fn positions(&self) -> &BTreeMap<String, Position> {
        &self.by_symbol
    }

    /// The positions of strategy `role` by symbol (empty if it never traded).
    pub fn strategy_positions(&self, role: Role) -> BTreeMap<String, Position> {
        self.by_strategy.get(&role).cloned().unwrap_or_default()
    }

    /// Strategies that have traded, in role order.
    pub fn strategies(&self) -> Vec<Role> {
        self.by_strategy.keys().copied().collect()
    }

    /// Starting equity.
    pub fn initial_capital(&self) -> f64 {
        self.initial_capital
    }

    /// Realised PnL of the desk, gross of fees.
    pub fn realised_pnl(&self) -> f64 {
        sum(&self.by_symbol, |p| p.realised_pnl)
    }

    /// Unrealised PnL of the desk at the last marks.
    pub fn unrealised_pnl(&self) -> f64 {
        sum(&self.by_symbol, Position::unrealised_pnl)
    }

    /// Fees paid by the desk.
    pub fn fees(&self) -> f64 {
        sum(&self.by_symbol, |p| p.fees)
    }

    /// Notional traded by the desk.
    pub fn traded_notional(&self) -> f64 {
        sum(&self.by_symbol, |p| p.traded_notional)
    }

    /// Initial capital + realised + unrealised − fees.
    pub fn equity(&self) -> f64 {
        self.initial_capital + self.realised_pnl() + self.unrealised_pnl() - self.fees()
    }

    /// Current drawdown in money: peak equity minus equity (as of the last fill or mark).
    pub fn drawdown(&self) -> f64 {
        (self.equity.peak - self.equity()).max(0.0)
    }

    /// Current drawdown as a fraction of peak equity; 0 when the peak is not positive.
    pub fn drawdown_pct(&self) -> f64 {
        if self.equity.peak > 0.0 {
            self.drawdown() / self.equity.peak
        } else {
            0.0
        }
    }

    /// Largest drawdown seen so far, in money.
    pub fn max_drawdown(&self) -> f64 {
        self.equity.max_drawdown
    }

    /// Largest drawdown seen so far, as a fraction of the peak it fell from.
    pub fn max_drawdown_pct(&self) -> f64 {
        self.max_drawdown_pct
    }

    /// Largest drawdown of strategy `role`'s net PnL, in money.
    pub fn strategy_max_drawdown(&self, role: Role) -> f64 {
        self.strategy_peaks
            .get(&role)
            .map_or(0.0, |p| p.max_drawdown)
    }
}

fn sum(positions: &BTreeMap<String, Position>, f: impl Fn(&Position) -> f64) -> f64 {
    positions.values().map(f).sum()
}

#[cfg(test)]
mod tests {
    use super::super::execution::{round_cents, FillModel};
    use super::super::order::Side;
    use super::*;

    fn cents(x: f64) -> f64 {
        round_cents(x)
    }

    /// Buy 10 @ 100, buy 10 @ 110, sell 15 @ 120, sell 10 @ 100 (through zero), buy 5 @ 90
    /// (flat), with fees from a 10 bps / 1.00 minimum model, checked to the cent.
    #[test]
    fn pnl_and_fees_add_up_on_a_hand_worked_sequence() {
        let fees = FillModel {
            fee_bps: 10.0,
            min_fee: 1.0,
            ..FillModel::default()
        };
        let mut p = Portfolio::new(10_000.0);
        let r = Role::MomentumTrader;
        let fill = |p: &mut Portfolio, side, qty: u64, price: f64, mid: f64| {
            let fee = fees.fee(qty as f64 * price);
            p.apply(r, "SPY", side, qty, price, fee, mid);
            fee
        };

        assert_eq!(fill(&mut p, Side::Buy, 10, 100.0, 100.0), 1.00); // 1,000 notional → min fee
        assert_eq!(fill(&mut p, Side::Buy, 10, 110.0, 110.0), 1.10);
        let pos = p.positions()["SPY"];
        assert_eq!((pos.qty, pos.avg_cost), (20, 105.0));
        assert_eq!(p.unrealised_pnl(), 100.0); // 20 × (110 − 105)

        assert_eq!(fill(&mut p, Side::Sell, 15, 120.0, 121.0), 1.80);
        let pos = p.positions()["SPY"];
        assert_eq!((pos.qty, pos.avg_cost), (5, 105.0));
        assert_eq!(p.realised_pnl(), 225.0); // 15 × (120 − 105)
        assert_eq!(p.unrealised_pnl(), 80.0); // 5 × (121 − 105)

        assert_eq!(fill(&mut p, Side::Sell, 10, 100.0, 100.0), 1.00);
        let pos = p.positions()["SPY"];
        assert_eq!((pos.qty, pos.avg_cost), (-5, 100.0)); // closed 5, opened 5 short at 100
        assert_eq!(p.realised_pnl(), 200.0); // 225 + 5 × (100 − 105)
        p.mark_with(|_| Some(90.0));
        assert_eq!(p.unrealised_pnl(), 50.0); // −5 × (90 − 100)

        assert_eq!(fill(&mut p, Side::Buy, 5, 90.0, 90.0), 1.00);
        let pos = p.positions()["SPY"];
        assert_eq!((pos.qty, pos.avg_cost), (0, 0.0));
        assert_eq!(p.realised_pnl(), 250.0);
        assert_eq!(p.unrealised_pnl(), 0.0);
        assert_eq!(cents(p.fees()), 5.90);
        assert_eq!(cents(p.equity()), 10_244.10); // 10,000 + 250 − 5.90
        assert_eq!(cents(p.traded_notional()), 5_350.0);
        assert_eq!(p.strategy_position(r, "SPY"), 0);
        assert_eq!(cents(p.strategy_positions(r)["SPY"].net_pnl()), 244.10);
    }

    #[test]
    fn drawdown_tracks_the_peak() {
        let mut p = Portfolio::new(1_000.0);
        p.apply(Role::GenericTrader, "A", Side::Buy, 10, 10.0, 0.0, 10.0);
        p.mark_with(|_| Some(15.0)); // equity 1,050: new peak
        p.mark_with(|_| Some(5.0)); // equity 950: drawdown 100
        assert_eq!(p.drawdown(), 100.0);
        assert_eq!(p.max_drawdown(), 100.0);
        assert!((p.max_drawdown_pct() - 100.0 / 1_050.0).abs() < 1e-12);
        p.mark_with(|_| Some(12.0)); // equity 1,020: recovering
        assert_eq!(p.drawdown(), 30.0);
        assert_eq!(p.max_drawdown(), 100.0);
        assert_eq!(p.strategy_max_drawdown(Role::GenericTrader), 100.0);
        assert_eq!(p.strategy_max_drawdown(Role::PairsTrader), 0.0);
    }

    #[test]
    fn positions_are_kept_per_strategy() {
        let mut p = Portfolio::default();
        p.apply(Role::MomentumTrader, "A", Side::Buy, 10, 10.0, 1.0, 10.0);
        p.apply(Role::PairsTrader, "A", Side::Sell, 4, 10.0, 1.0, 10.0);
        assert_eq!(p.position("A"), 6);
        assert_eq!(p.strategy_position(Role::MomentumTrader, "A"), 10);
        assert_eq!(p.strategy_position(Role::PairsTrader, "A"), -4);
        assert_eq!(
            p.strategies(),
            vec![Role::MomentumTrader, Role::PairsTrader]
        );
        assert_eq!(p.position("B"), 0);
    }
}
