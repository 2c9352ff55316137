//! What each trading role decides to do, from prices alone.
//!
//! Every trading rule sets a **target position** for its strategy in the symbol (long one unit,
//! short one unit, flat, or "keep what you have"); the decision is the order that moves the
//! strategy's current position (see [`Portfolio::strategy_position`]) to the target, or a hold.
//! One unit is `floor(target_notional / mid)` shares, at least 1. Closes come from
//! [`Market::history`] (bars at or before the decision time), the current price from
//! [`Market::mid`].
//!
//! A strategy is a role: all agents of one role share its positions, so a second momentum
//! agent asked about a symbol the momentum strategy already holds at target holds too, instead
//! of doubling the position.
//!
//! | role                  | rule (defaults in [`SignalParams`])                                    | orders |
//! |-----------------------|-------------------------------------------------------------------------|--------|
//! | momentum_trader       | 5-bar vs 20-bar moving average of closes: fast above slow by > 1 bp → long, below → short | market |
//! | mean_reversion_trader | z = (mid − mean) / std over 20 closes: z > 2 → short, z < −2 → long, abs(z) < 0.5 → flat | limit at mid ± 5 bps |
//! | pairs_trader          | z-score of the log-spread ln(symbol) − ln(partner) over the last 30 closes of each (paired by position), same thresholds; trades only the symbol's leg (the partner's leg is the partner's own decision, with the opposite z) | market |
//! | arbitrage_trader      | gap = second venue's quote / mid − 1: > 10 bps → long, < −10 bps → short, abs(gap) < 5 bps → flat | entries limit at the other venue's price ∓ 5 bps, exits market |
//! | neural_forecaster     | Holt's linear exponential smoothing (α 0.3, β 0.1) over 30 closes, forecast 5 bars ahead: > +2 bps → long, < −2 bps → short, else flat. A plain statistical forecast: no model is trained | market |
//! | portfolio_optimizer   | equal weight: one unit long in every symbol; rebalances when off by more than 10 % | market |
//! | generic_trader        | last bar's return > +1 bp → long, < −1 bp → short | market |
//! | data_collector        | never trades: it records prices | — |
//! | risk_manager          | never originates orders: it vetoes them (see [`veto`](super::veto)) | — |

use swarm_test_spec::Role;

use super::order::{HoldReason, Intent, OrderIntent, OrderKind, Side};
use super::{Market, Portfolio};

/// Tunables of the trading rules.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalParams {
    /// Money per unit position. The default value is 10,000.
    pub target_notional: f64,
    /// Momentum's fast moving-average window, in bars. The default value is 5.
    pub fast_window: usize,
    /// Momentum's slow moving-average window, in bars. The default value is 20.
    pub slow_window: usize,
    /// Momentum's dead band between the averages, in bps. The default value is 1.
    pub momentum_band_bps: f64,
    /// Mean reversion's rolling window, in bars. The default value is 20.
    pub z_window: usize,
    /// Pairs' rolling window, in bars. The default value is 30.
    pub pairs_window: usize,
    /// |z| above which mean reversion and pairs enter. The default value is 2.
    pub z_entry: f64,
    /// |z| below which mean reversion and pairs go flat. The default value is 0.5.
    pub z_exit: f64,
    /// How far beyond the mid a mean-reversion limit may fill, in bps. The default value is 5.
    pub limit_tolerance_bps: f64,
    /// Venue gap above which arbitrage enters, in bps (exits below half). The default value is 10.
    pub arb_entry_bps: f64,
    /// Edge an arbitrage limit keeps against the other venue's price, in bps. The default value is 5.
    pub arb_edge_bps: f64,
    /// Forecaster's window, in bars. The default value is 30.
    pub forecast_window: usize,
    /// Forecaster's level smoothing α. The default value is 0.3.
    pub forecast_alpha: f64,
    /// Forecaster's trend smoothing β. The default value is 0.1.
    pub forecast_beta: f64,
    /// Forecaster's horizon, in bars. The default value is 5.
    pub forecast_horizon: usize,
    /// Forecast return beyond which the forecaster takes a position, in bps. The default value is 2.
    pub forecast_threshold_bps: f64,
    /// Relative deviation from target that triggers a rebalance. The default value is 0.1.
    pub rebalance_band: f64,
    /// Last-bar return beyond which the generic trader trades, in bps. The default value is 1.
    pub generic_threshold_bps: f64,
}

impl Default for SignalParams {
    fn default() -> Self {
        SignalParams {
            target_notional: 10_000.0,
            fast_window: 5,
            slow_window: 20,
            momentum_band_bps: 1.0,
            z_window: 20,
            pairs_window: 30,
            z_entry: 2.0,
            z_exit: 0.5,
            limit_tolerance_bps: 5.0,
            arb_entry_bps: 10.0,
            arb_edge_bps: 5.0,
            forecast_window: 30,
            forecast_alpha: 0.3,
            forecast_beta: 0.1,
            forecast_horizon: 5,
            forecast_threshold_bps: 2.0,
            rebalance_band: 0.1,
            generic_threshold_bps: 1.0,
        }
    }
}

/// A rule's verdict on the position it wants.
enum Target {
    Keep,
    Shares(i64),
}

/// What an agent of `role` decides about `symbol` at `t_ms` (see the module table for the rules).
pub fn decide(
    role: Role,
    market: &mut Market,
    symbol: &str,
    t_ms: u64,
    portfolio: &Portfolio,
    params: &SignalParams,
) -> Intent {
    match role {
        Role::RiskManager => return Intent::Hold(HoldReason::RiskManager),
        Role::DataCollector => return Intent::Hold(HoldReason::DataCollector),
        _ => {}
    }
    let Some(mid) = market.try_mid(symbol, t_ms) else {
        return Intent::Hold(HoldReason::UnknownSymbol);
    };
    let unit = ((params.target_notional / mid).floor() as i64).max(1);
    let signal = |x: f64, up: f64, down: f64, flat: Option<f64>| {
        if x > up {
            Target::Shares(unit)
        } else if x < down {
            Target::Shares(-unit)
        } else if flat.is_some_and(|band| x.abs() < band) {
            Target::Shares(0)
        } else {
            Target::Keep
        }
    };
    let tol = params.limit_tolerance_bps / 10_000.0;
    let mut limit = None;
    let target = match role {
        Role::MomentumTrader => {
            let closes = market.history(symbol, t_ms, params.slow_window);
            if let Some(hold) = too_short(&closes, params.slow_window.max(params.fast_window)) {
                return hold;
            }
            let fast = mean(&closes[closes.len() - params.fast_window..]);
            let gap = (fast / mean(&closes) - 1.0) * 10_000.0;
            let band = params.momentum_band_bps;
            signal(gap, band, -band, None)
        }
        Role::MeanReversionTrader => {
            let closes = market.history(symbol, t_ms, params.z_window);
            if let Some(hold) = too_short(&closes, params.z_window.max(2)) {
                return hold;
            }
            limit = Some((mid * (1.0 + tol), mid * (1.0 - tol)));
            match z_score(mid, &closes) {
                Some(z) => signal(-z, params.z_entry, -params.z_entry, Some(params.z_exit)),
                None => Target::Keep,
            }
        }
        Role::PairsTrader => {
            let Some(partner) = market.partner(symbol) else {
                return Intent::Hold(HoldReason::NoPartner);
            };
            let a = market.history(symbol, t_ms, params.pairs_window);
            let b = market.history(&partner, t_ms, params.pairs_window);
            let need = params.pairs_window.max(2);
            if let Some(hold) = too_short(&a, need).or_else(|| too_short(&b, need)) {
                return hold;
            }
            let spreads: Vec<f64> = a
                .iter()
                .zip(&b)
                .map(|(x, y)| libm::log(*x) - libm::log(*y))
                .collect();
            let now = libm::log(mid) - libm::log(market.mid(&partner, t_ms));
            match z_score(now, &spreads) {
                Some(z) => signal(-z, params.z_entry, -params.z_entry, Some(params.z_exit)),
                None => Target::Keep,
            }
        }
        Role::ArbitrageTrader => {
            let venue = market.venue_quote(symbol, t_ms).unwrap_or(mid);
            let gap = (venue / mid - 1.0) * 10_000.0;
            let edge = params.arb_edge_bps / 10_000.0;
            limit = Some((venue * (1.0 - edge), venue * (1.0 + edge)));
            let entry = params.arb_entry_bps;
            signal(gap, entry, -entry, Some(entry / 2.0))
        }
        Role::NeuralForecaster => {
            let closes = market.history(symbol, t_ms, params.forecast_window);
            if let Some(hold) = too_short(&closes, params.forecast_window.max(2)) {
                return hold;
            }
            let f = holt_forecast(&closes, params);
            let t = params.forecast_threshold_bps;
            // No conviction inside the thresholds means flat, never "keep".
            signal((f / mid - 1.0) * 10_000.0, t, -t, Some(f64::INFINITY))
        }
        Role::PortfolioOptimizer => {
            let current = portfolio.strategy_position(role, symbol);
            let off = (current - unit).unsigned_abs() as f64;
            if off > params.rebalance_band * unit as f64 {
                Target::Shares(unit)
            } else {
                Target::Keep
            }
        }
        Role::GenericTrader => {
            let closes = market.history(symbol, t_ms, 2);
            if let Some(hold) = too_short(&closes, 2) {
                return hold;
            }
            let r = (closes[1] / closes[0] - 1.0) * 10_000.0;
            let t = params.generic_threshold_bps;
            signal(r, t, -t, None)
        }
        Role::RiskManager => return Intent::Hold(HoldReason::RiskManager),
        Role::DataCollector => return Intent::Hold(HoldReason::DataCollector),
    };
    let Target::Shares(target) = target else {
        return Intent::Hold(if role == Role::PortfolioOptimizer {
            HoldReason::AtTarget
        } else {
            HoldReason::NoSignal
        });
    };
    let delta = target - portfolio.strategy_position(role, symbol);
    if delta == 0 {
        return Intent::Hold(HoldReason::AtTarget);
    }
    let side = if delta > 0 { Side::Buy } else { Side::Sell };
    let kind = match (limit, side) {
        (Some(_), _) if role == Role::ArbitrageTrader && target == 0 => OrderKind::Market,
        (Some((buy, _)), Side::Buy) => OrderKind::Limit { price: buy },
        (Some((_, sell)), Side::Sell) => OrderKind::Limit { price: sell },
        (None, _) => OrderKind::Market,
    };
    Intent::Order(OrderIntent {
        role,
        symbol: symbol.to_string(),
        side,
        qty: delta.unsigned_abs(),
        kind,
        decided_at_ms: t_ms,
        reference_price: mid,
    })
}

fn too_short(closes: &[f64], need: usize) -> Option<Intent> {
    (closes.len() < need).then_some(Intent::Hold(HoldReason::NotEnoughHistory {
        have: closes.len(),
        need,
    }))
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// (x − mean) / std over `xs` (population std); `None` when the std is 0.
fn z_score(x: f64, xs: &[f64]) -> Option<f64> {
    let m = mean(xs);
    let var = xs.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / xs.len() as f64;
    let sd = libm::sqrt(var);
    (sd > 0.0 && sd.is_finite()).then(|| (x - m) / sd)
}

/// Holt's linear exponential smoothing over `closes`, forecast `forecast_horizon` bars ahead.
fn holt_forecast(closes: &[f64], p: &SignalParams) -> f64 {
    let mut level = closes[0];
    let mut trend = closes[1] - closes[0];
    for &x in &closes[1..] {
        let prev = level;
        level = p.forecast_alpha * x + (1.0 - p.forecast_alpha) * (level + trend);
        trend = p.forecast_beta * (level - prev) + (1.0 - p.forecast_beta) * trend;
    }
    level + p.forecast_horizon as f64 * trend
}

#[cfg(test)]
mod tests {
    use super::super::{BarSeries, Market};
    use super::*;
    use crate::rng::SimRng;

    /// A replay market with one close per second for each symbol.
    fn replay(series: &[(&str, &[f64])]) -> Market {
        let mut csv = String::from("time_ms,symbol,open,high,low,close,volume\n");
        for (symbol, closes) in series {
            for (i, c) in closes.iter().enumerate() {
                csv += &format!("{},{symbol},{c},{c},{c},{c},1\n", i * 1000);
            }
        }
        Market::replay(
            BarSeries::parse("t", csv.as_bytes()).unwrap(),
            SimRng::new(0),
        )
    }

    fn run(role: Role, m: &mut Market, t: u64, p: &Portfolio) -> Intent {
        decide(role, m, "A", t, p, &SignalParams::default())
    }

    fn order(d: Intent) -> OrderIntent {
        match d {
            Intent::Order(o) => o,
            Intent::Hold(h) => panic!("held: {h}"),
        }
    }

    #[test]
    fn momentum_follows_the_trend() {
        let up: Vec<f64> = (0..30).map(|i| 100.0 + i as f64).collect();
        let mut m = replay(&[("A", &up)]);
        let p = Portfolio::default();
        let o = order(run(Role::MomentumTrader, &mut m, 29_000, &p));
        assert_eq!((o.side, o.qty, o.kind), (Side::Buy, 77, OrderKind::Market)); // 10,000 / 129
        assert_eq!(
            run(Role::MomentumTrader, &mut m, 3_000, &p),
            Intent::Hold(HoldReason::NotEnoughHistory { have: 4, need: 20 })
        );
    }

    #[test]
    fn mean_reversion_fades_a_spike_with_a_limit() {
        let mut xs = [100.0, 101.0].repeat(10);
        xs.push(110.0);
        let mut m = replay(&[("A", &xs)]);
        let o = order(run(
            Role::MeanReversionTrader,
            &mut m,
            20_000,
            &Portfolio::default(),
        ));
        assert_eq!(o.side, Side::Sell);
        assert_eq!(
            o.kind,
            OrderKind::Limit {
                price: 110.0 * (1.0 - 0.0005)
            }
        );
    }

    #[test]
    fn strategies_trade_toward_a_target_not_repeatedly() {
        let up: Vec<f64> = (0..30).map(|i| 100.0 + i as f64).collect();
        let mut m = replay(&[("A", &up)]);
        let mut p = Portfolio::default();
        p.apply(Role::MomentumTrader, "A", Side::Buy, 77, 129.0, 0.0, 129.0);
        assert_eq!(
            run(Role::MomentumTrader, &mut m, 29_000, &p),
            Intent::Hold(HoldReason::AtTarget)
        );
        p.apply(Role::GenericTrader, "A", Side::Sell, 10, 129.0, 0.0, 129.0);
        let o = order(run(Role::GenericTrader, &mut m, 29_000, &p));
        assert_eq!((o.side, o.qty), (Side::Buy, 87)); // from −10 to +77
    }

    #[test]
    fn pairs_trade_the_spread() {
        let a: Vec<f64> = (0..31)
            .map(|i| {
                if i == 30 {
                    110.0
                } else {
                    100.0 + (i % 2) as f64
                }
            })
            .collect();
        let b: Vec<f64> = vec![50.0; 31];
        let mut m = replay(&[("A", &a), ("B", &b)]);
        let o = order(run(
            Role::PairsTrader,
            &mut m,
            30_000,
            &Portfolio::default(),
        ));
        assert_eq!(o.side, Side::Sell); // A rich against B
        let mut lone = replay(&[("A", &a)]);
        assert_eq!(
            run(Role::PairsTrader, &mut lone, 30_000, &Portfolio::default()),
            Intent::Hold(HoldReason::NoPartner)
        );
    }

    #[test]
    fn forecaster_extrapolates_and_optimizer_equal_weights() {
        let up: Vec<f64> = (0..40).map(|i| 100.0 + 0.5 * i as f64).collect();
        let mut m = replay(&[("A", &up)]);
        let p = Portfolio::default();
        assert_eq!(
            order(run(Role::NeuralForecaster, &mut m, 39_000, &p)).side,
            Side::Buy
        );
        let o = order(run(Role::PortfolioOptimizer, &mut m, 39_000, &p));
        assert_eq!((o.side, o.qty), (Side::Buy, 83)); // 10,000 / 119.5
        let mut held = Portfolio::default();
        held.apply(
            Role::PortfolioOptimizer,
            "A",
            Side::Buy,
            80,
            119.5,
            0.0,
            119.5,
        );
        assert_eq!(
            run(Role::PortfolioOptimizer, &mut m, 39_000, &held),
            Intent::Hold(HoldReason::AtTarget)
        );
    }

    #[test]
    fn arbitrage_uses_the_second_venue() {
        let mut m = Market::new(
            &swarm_test_spec::MarketSpec::Regime(swarm_test_spec::Regime::Calm),
            SimRng::new(3),
        )
        .unwrap();
        let params = SignalParams::default();
        let mut entries = 0;
        for t in (0..200_000).step_by(1_000) {
            let gap = m.venue_quote("SPY", t).unwrap() / m.mid("SPY", t) - 1.0;
            match decide(
                Role::ArbitrageTrader,
                &mut m,
                "SPY",
                t,
                &Portfolio::default(),
                &params,
            ) {
                Intent::Order(o) => {
                    entries += 1;
                    assert!(gap.abs() > 0.001);
                    assert_eq!(o.side == Side::Buy, gap > 0.0);
                    assert!(matches!(o.kind, OrderKind::Limit { .. }));
                }
                Intent::Hold(h) => assert!(gap.abs() <= 0.001, "{h} at gap {gap}"),
            }
        }
        assert!(entries > 0);
    }

    #[test]
    fn non_traders_hold() {
        let mut m = replay(&[("A", &[1.0, 2.0])]);
        let p = Portfolio::default();
        assert_eq!(
            run(Role::RiskManager, &mut m, 1_000, &p),
            Intent::Hold(HoldReason::RiskManager)
        );
        assert_eq!(
            run(Role::DataCollector, &mut m, 1_000, &p),
            Intent::Hold(HoldReason::DataCollector)
        );
        assert_eq!(
            decide(
                Role::GenericTrader,
                &mut m,
                "ZZZ",
                0,
                &p,
                &SignalParams::default()
            ),
            Intent::Hold(HoldReason::UnknownSymbol)
        );
        assert_eq!(
            HoldReason::AtTarget.to_string(),
            "already at target position"
        );
    }
}
