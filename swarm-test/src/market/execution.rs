//! The fill model: spread, size-tiered slippage, tick rounding, fees.
//!
//! An order is decided at one virtual time and **arrives** at the venue later (the network's
//! latency); [`FillModel::fill`] prices it with the mid at arrival, so latency costs or gains
//! exactly what the market moved in between. The fill price of an order of `qty` shares at
//! arrival mid `m`:
//!
//! 1. the touch: ask = m·(1 + s/2) for a buy, bid = m·(1 − s/2) for a sell, with s the spread
//!    ([`FillModel::spread_bps`], 2 bps by default);
//! 2. slippage: the touch moved against the order by the tier's bps for the order's notional
//!    `qty · m` ([`FillModel::slippage_tiers`]);
//! 3. rounding to the tick against the order (a buy rounds up, a sell down);
//! 4. as in NautilusTrader's `FillModel`, with probability `prob_slippage` one more tick against
//!    the order (0 by default).
//!
//! Orders are immediate-or-cancel: a limit order fills at that price if it is at or better than
//! its limit (a buy never above, a sell never below) and is otherwise reported unfilled; if the
//! price equals the limit exactly (the market touches it) it fills with probability
//! `prob_fill_on_limit` (1 by default). Nothing rests on a book. Each fill pays a fee of
//! `fee_bps` of its notional, at least `min_fee`, rounded to the cent.

use crate::rng::SimRng;

use super::order::{Execution, Fill, OrderIntent, OrderKind, Side, UnfilledReason};
use super::Market;

/// Slippage for orders up to a notional.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlippageTier {
    /// Orders with notional at most this (in money) use this tier.
    pub up_to_notional: f64,
    /// Price moved against the order, in basis points.
    pub bps: f64,
}

/// How orders fill: spread, slippage tiers, tick, NautilusTrader-style probabilities, fees.
#[derive(Debug, Clone, PartialEq)]
pub struct FillModel {
    /// Full bid/ask spread around the mid, in bps. The default value is 2.
    pub spread_bps: f64,
    /// Slippage by order notional, ascending; notionals above the last tier use the last.
    /// The default value is ≤ 10,000: 0 bps; ≤ 50,000: 1 bp; ≤ 250,000: 3 bps; above: 7 bps.
    pub slippage_tiers: Vec<SlippageTier>,
    /// Price increment; fill prices are whole ticks. The default value is 0.01.
    pub tick: f64,
    /// Probability of one extra tick of slippage per fill. The default value is 0 (as
    /// NautilusTrader's default fill model).
    pub prob_slippage: f64,
    /// Probability that a limit order whose price is exactly touched fills. The default value
    /// is 1 (as NautilusTrader's default fill model).
    pub prob_fill_on_limit: f64,
    /// Fee in bps of notional. The default value is 0.5.
    pub fee_bps: f64,
    /// Minimum fee per fill, in money. The default value is 1.00.
    pub min_fee: f64,
}

impl Default for FillModel {
    fn default() -> Self {
        FillModel {
            spread_bps: 2.0,
            slippage_tiers: vec![
                SlippageTier {
                    up_to_notional: 10_000.0,
                    bps: 0.0,
                },
                SlippageTier {
                    up_to_notional: 50_000.0,
                    bps: 1.0,
                },
                SlippageTier {
                    up_to_notional: 250_000.0,
                    bps: 3.0,
                },
                SlippageTier {
                    up_to_notional: f64::INFINITY,
                    bps: 7.0,
                },
            ],
            tick: 0.01,
            prob_slippage: 0.0,
            prob_fill_on_limit: 1.0,
            fee_bps: 0.5,
            min_fee: 1.0,
        }
    }
}

impl FillModel {
    /// Slippage in bps for an order of `notional`.
    pub fn slippage_bps(&self, notional: f64) -> f64 {
        self.slippage_tiers
            .iter()
            .find(|t| notional <= t.up_to_notional)
            .or(self.slippage_tiers.last())
            .map_or(0.0, |t| t.bps)
    }

    /// The fee on a fill of `notional`: `fee_bps` of it, at least `min_fee`, rounded to the cent.
    pub fn fee(&self, notional: f64) -> f64 {
        round_cents((notional.abs() * self.fee_bps / 10_000.0).max(self.min_fee))
    }

    /// The price a `side` order of `qty` would get at mid `mid`, before the random extra tick.
    pub fn price_at(&self, side: Side, qty: u64, mid: f64) -> f64 {
        self.price_of_ticks(self.ticks_at(side, qty, mid))
    }

    /// [`FillModel::price_at`] in whole ticks.
    fn ticks_at(&self, side: Side, qty: u64, mid: f64) -> f64 {
        let half = self.spread_bps / 2.0 / 10_000.0;
        let slip = self.slippage_bps(qty as f64 * mid) / 10_000.0;
        let raw = match side {
            Side::Buy => mid * (1.0 + half) * (1.0 + slip),
            Side::Sell => mid * (1.0 - half) * (1.0 - slip),
        };
        self.to_ticks(raw, side)
    }

    /// Executes `order` at its arrival time `arrival_t_ms` against `market`.
    ///
    /// Draws exactly two uniforms from `rng` per order that reaches pricing (the extra-tick and
    /// the touch draws), whatever their outcome, so one order's luck never shifts the next's.
    pub fn fill(
        &self,
        order: &OrderIntent,
        arrival_t_ms: u64,
        market: &mut Market,
        rng: &mut SimRng,
    ) -> Execution {
        if order.qty == 0 {
            return Execution::Unfilled(UnfilledReason::ZeroQuantity);
        }
        if let OrderKind::Limit { price } = order.kind {
            if !(price.is_finite() && price > 0.0) {
                return Execution::Unfilled(UnfilledReason::InvalidLimit);
            }
        }
        let Some(mid) = market.try_mid(&order.symbol, arrival_t_ms) else {
            return Execution::Unfilled(UnfilledReason::UnknownSymbol);
        };
        let (slip_draw, touch_draw) = (rng.uniform(), rng.uniform());
        let mut ticks = self.ticks_at(order.side, order.qty, mid);
        if slip_draw < self.prob_slippage {
            ticks += order.side.sign() as f64;
        }
        let price = self.price_of_ticks(ticks.max(1.0));
        if let OrderKind::Limit { price: limit } = order.kind {
            let through = match order.side {
                Side::Buy => price > limit,
                Side::Sell => price < limit,
            };
            if through {
                return Execution::Unfilled(UnfilledReason::LimitNotReached { limit, price });
            }
            if price == limit && touch_draw >= self.prob_fill_on_limit {
                return Execution::Unfilled(UnfilledReason::NotFilledAtTouch);
            }
        }
        let notional = order.qty as f64 * price;
        Execution::Filled(Fill {
            role: order.role,
            symbol: order.symbol.clone(),
            side: order.side,
            qty: order.qty,
            price,
            notional,
            fee: self.fee(notional),
            mid_at_arrival: mid,
            decided_at_ms: order.decided_at_ms,
            arrived_at_ms: arrival_t_ms,
        })
    }

    fn ticks_per_unit(&self) -> f64 {
        if self.tick > 0.0 && self.tick.is_finite() {
            libm::round(1.0 / self.tick).max(1.0)
        } else {
            100.0
        }
    }

    /// Whole ticks for `raw`, rounded against a `side` order (1e-9 tolerance for float noise).
    fn to_ticks(&self, raw: f64, side: Side) -> f64 {
        let x = raw * self.ticks_per_unit();
        match side {
            Side::Buy => libm::ceil(x - 1e-9),
            Side::Sell => libm::floor(x + 1e-9),
        }
    }

    fn price_of_ticks(&self, ticks: f64) -> f64 {
        ticks / self.ticks_per_unit()
    }
}

/// Rounds money to the cent (half away from zero).
pub(crate) fn round_cents(x: f64) -> f64 {
    libm::round(x * 100.0) / 100.0
}

#[cfg(test)]
mod tests {
    use super::super::{BarSeries, Market};
    use super::*;
    use proptest::prelude::*;
    use swarm_test_spec::{MarketSpec, Regime, Role};

    fn order(side: Side, qty: u64, kind: OrderKind) -> OrderIntent {
        OrderIntent {
            role: Role::MomentumTrader,
            symbol: "SPY".into(),
            side,
            qty,
            kind,
            decided_at_ms: 0,
            reference_price: 500.0,
        }
    }

    fn flat_market(price: f64) -> Market {
        let csv = format!(
            "time_ms,symbol,open,high,low,close,volume\n0,SPY,{price},{price},{price},{price},1\n"
        );
        Market::replay(
            BarSeries::parse("t", csv.as_bytes()).unwrap(),
            SimRng::new(0),
        )
    }

    #[test]
    fn documented_defaults() {
        let m = FillModel::default();
        assert_eq!(m.slippage_bps(10_000.0), 0.0);
        assert_eq!(m.slippage_bps(10_000.01), 1.0);
        assert_eq!(m.slippage_bps(250_000.0), 3.0);
        assert_eq!(m.slippage_bps(1e12), 7.0);
        assert_eq!(m.fee(1_000.0), 1.00);
        assert_eq!(m.fee(100_000.0), 5.00);
        assert_eq!(m.fee(123_456.0), 6.17);
    }

    #[test]
    fn market_orders_pay_half_the_spread_rounded_against_them() {
        let (m, mut mk, mut rng) = (FillModel::default(), flat_market(100.0), SimRng::new(1));
        let Execution::Filled(buy) = m.fill(
            &order(Side::Buy, 10, OrderKind::Market),
            0,
            &mut mk,
            &mut rng,
        ) else {
            panic!()
        };
        assert_eq!(buy.price, 100.01);
        assert_eq!(buy.fee, 1.0);
        let Execution::Filled(sell) = m.fill(
            &order(Side::Sell, 10, OrderKind::Market),
            0,
            &mut mk,
            &mut rng,
        ) else {
            panic!()
        };
        assert_eq!(sell.price, 99.99);
        // 200 shares at 100 = 20,000 notional: 1 bp slippage on top of the half spread.
        let Execution::Filled(big) = m.fill(
            &order(Side::Buy, 200, OrderKind::Market),
            0,
            &mut mk,
            &mut rng,
        ) else {
            panic!()
        };
        assert_eq!(big.price, 100.03); // 100 · 1.0001 · 1.0001 = 100.020001 → up to 100.03
    }

    /// The same order sent at two arrival times fills at each arrival's mid ± half spread and
    /// tier slippage, so latency changes the fill price by what the market moved.
    #[test]
    fn latency_changes_the_fill_price_as_documented() {
        let m = FillModel::default();
        let mut mk = Market::new(&MarketSpec::Regime(Regime::Volatile), SimRng::new(42)).unwrap();
        let o = order(Side::Buy, 10, OrderKind::Market);
        let mut rng = SimRng::new(0);
        let fast = m.fill(&o, 50, &mut mk, &mut rng);
        let slow = m.fill(&o, 2_750, &mut mk, &mut rng);
        let (Execution::Filled(fast), Execution::Filled(slow)) = (fast, slow) else {
            panic!()
        };
        for (f, t) in [(&fast, 50), (&slow, 2_750)] {
            let mid = mk.mid("SPY", t);
            assert_eq!(f.mid_at_arrival, mid);
            let want = libm::ceil(mid * 1.0001 * 100.0 - 1e-9) / 100.0;
            assert_eq!(f.price, want);
            assert_eq!(f.arrived_at_ms, t);
        }
        assert_ne!(fast.price, slow.price);
    }

    #[test]
    fn limits_fill_at_or_better_and_report_misses() {
        let (m, mut mk, mut rng) = (FillModel::default(), flat_market(100.0), SimRng::new(1));
        let at = m.fill(
            &order(Side::Buy, 1, OrderKind::Limit { price: 100.01 }),
            0,
            &mut mk,
            &mut rng,
        );
        assert!(matches!(at, Execution::Filled(ref f) if f.price == 100.01));
        let miss = m.fill(
            &order(Side::Buy, 1, OrderKind::Limit { price: 100.0 }),
            0,
            &mut mk,
            &mut rng,
        );
        assert_eq!(
            miss,
            Execution::Unfilled(UnfilledReason::LimitNotReached {
                limit: 100.0,
                price: 100.01
            })
        );
        let never = FillModel {
            prob_fill_on_limit: 0.0,
            ..FillModel::default()
        };
        let touch = never.fill(
            &order(Side::Sell, 1, OrderKind::Limit { price: 99.99 }),
            0,
            &mut mk,
            &mut rng,
        );
        assert_eq!(touch, Execution::Unfilled(UnfilledReason::NotFilledAtTouch));
        let bad = m.fill(
            &order(Side::Buy, 1, OrderKind::Limit { price: f64::NAN }),
            0,
            &mut mk,
            &mut rng,
        );
        assert_eq!(bad, Execution::Unfilled(UnfilledReason::InvalidLimit));
        let zero = m.fill(
            &order(Side::Buy, 0, OrderKind::Market),
            0,
            &mut mk,
            &mut rng,
        );
        assert_eq!(zero, Execution::Unfilled(UnfilledReason::ZeroQuantity));
        let mut o = order(Side::Buy, 1, OrderKind::Market);
        o.symbol = "IBM".into();
        assert_eq!(
            m.fill(&o, 0, &mut mk, &mut rng),
            Execution::Unfilled(UnfilledReason::UnknownSymbol)
        );
    }

    #[test]
    fn probabilistic_slippage_moves_one_tick_against_the_order() {
        let always = FillModel {
            prob_slippage: 1.0,
            ..FillModel::default()
        };
        let (mut mk, mut rng) = (flat_market(100.0), SimRng::new(1));
        let Execution::Filled(f) = always.fill(
            &order(Side::Sell, 1, OrderKind::Market),
            0,
            &mut mk,
            &mut rng,
        ) else {
            panic!()
        };
        assert_eq!(f.price, 99.98);
    }

    proptest! {
        /// Whatever the price, size, side, limit and slippage luck, a limit order never fills
        /// through its limit.
        #[test]
        fn a_limit_order_never_fills_through_its_limit(
            mid in 0.01f64..10_000.0,
            offset_bps in -50.0f64..50.0,
            qty in 1u64..100_000,
            buy in any::<bool>(),
            prob_slippage in 0.0f64..=1.0,
            seed in any::<u64>(),
        ) {
            let model = FillModel { prob_slippage, ..FillModel::default() };
            let limit = mid * (1.0 + offset_bps / 10_000.0);
            let side = if buy { Side::Buy } else { Side::Sell };
            let mut mk = flat_market(mid);
            let mut rng = SimRng::new(seed);
            match model.fill(&order(side, qty, OrderKind::Limit { price: limit }), 0, &mut mk, &mut rng) {
                Execution::Filled(f) => match side {
                    Side::Buy => prop_assert!(f.price <= limit, "bought at {} above {}", f.price, limit),
                    Side::Sell => prop_assert!(f.price >= limit, "sold at {} below {}", f.price, limit),
                },
                Execution::Unfilled(r) => prop_assert_eq!(r.kind(), "limit_not_reached"),
            }
        }
    }
}
