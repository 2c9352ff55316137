//! Pre-trade risk limits: what a risk manager vetoes.
//!
//! Three limits, checked in this order; an order exactly at a limit passes:
//!
//! 1. **max order notional**: `qty × reference price` (the mid when decided) must not exceed
//!    [`RiskLimits::max_order_notional`].
//! 2. **max position**: the desk's position in the symbol after the order must not exceed
//!    [`RiskLimits::max_position`] shares in absolute value, unless the order reduces it
//!    (moves it toward zero without crossing zero).
//! 3. **max drawdown**: while the current drawdown (as of the last fill or mark) exceeds
//!    [`RiskLimits::max_drawdown`] of peak equity, only orders that reduce the desk's position
//!    in the symbol (toward zero, without crossing it) pass.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::order::OrderIntent;
use super::Portfolio;

/// The desk's risk limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskLimits {
    /// Largest notional of one order, in money. The default value is 100,000.
    pub max_order_notional: f64,
    /// Largest absolute position per symbol, in shares. The default value is 1,000.
    pub max_position: u64,
    /// Largest drawdown, as a fraction of peak equity, before only risk-reducing orders are
    /// allowed. The default value is 0.05 (5 %).
    pub max_drawdown: f64,
}

impl Default for RiskLimits {
    fn default() -> Self {
        RiskLimits {
            max_order_notional: 100_000.0,
            max_position: 1_000,
            max_drawdown: 0.05,
        }
    }
}

/// Why the risk check rejected an order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// The order is too large.
    MaxOrderNotional {
        /// The order's notional at its reference price.
        notional: f64,
        /// The limit.
        limit: f64,
    },
    /// The position after the order would be too large.
    MaxPosition {
        /// The desk's position after the order, in shares.
        after: i64,
        /// The limit, in shares.
        limit: u64,
    },
    /// The desk is in too deep a drawdown to add risk.
    MaxDrawdown {
        /// The current drawdown, as a fraction of peak equity.
        drawdown: f64,
        /// The limit.
        limit: f64,
    },
}

impl Rejection {
    /// A stable snake_case name, used as the key in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::MaxOrderNotional { .. } => "max_order_notional",
            Rejection::MaxPosition { .. } => "max_position",
            Rejection::MaxDrawdown { .. } => "max_drawdown",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::MaxOrderNotional { notional, limit } => write!(
                f,
                "order notional {notional:.2} exceeds the limit of {limit:.2}"
            ),
            Rejection::MaxPosition { after, limit } => write!(
                f,
                "position of {after} shares would exceed the limit of {limit}"
            ),
            Rejection::MaxDrawdown { drawdown, limit } => write!(
                f,
                "drawdown of {:.2}% exceeds the limit of {:.2}%: only risk-reducing orders pass",
                drawdown * 100.0,
                limit * 100.0
            ),
        }
    }
}

impl RiskLimits {
    /// `Ok` if `order` passes every limit given `portfolio`, else the first limit it breaks.
    pub fn check(&self, order: &OrderIntent, portfolio: &Portfolio) -> Result<(), Rejection> {
        let notional = order.notional();
        if notional > self.max_order_notional || notional.is_nan() {
            return Err(Rejection::MaxOrderNotional {
                notional,
                limit: self.max_order_notional,
            });
        }
        let before = portfolio.position(&order.symbol);
        let after = before.saturating_add(order.side.sign().saturating_mul(order.qty as i64));
        // Reducing: toward zero without crossing it. Anything else adds risk.
        let reduces = before != 0
            && after.unsigned_abs() <= before.unsigned_abs()
            && (after == 0 || after.signum() == before.signum());
        if !reduces && after.unsigned_abs() > self.max_position {
            return Err(Rejection::MaxPosition {
                after,
                limit: self.max_position,
            });
        }
        let drawdown = portfolio.drawdown_pct();
        if !reduces && drawdown > self.max_drawdown {
            return Err(Rejection::MaxDrawdown {
                drawdown,
                limit: self.max_drawdown,
            });
        }
        Ok(())
    }
}

/// The risk manager's veto: the reason `order` must not be sent, if any.
///
/// Risk managers never originate orders (see [`decide`](super::decide)); they check everyone
/// else's against `limits`.
pub fn veto(order: &OrderIntent, portfolio: &Portfolio, limits: &RiskLimits) -> Option<Rejection> {
    limits.check(order, portfolio).err()
}

#[cfg(test)]
mod tests {
    use super::super::order::{OrderKind, Side};
    use super::*;
    use swarm_test_spec::Role;

    fn order(side: Side, qty: u64, price: f64) -> OrderIntent {
        OrderIntent {
            role: Role::MomentumTrader,
            symbol: "SPY".into(),
            side,
            qty,
            kind: OrderKind::Market,
            decided_at_ms: 0,
            reference_price: price,
        }
    }

    #[test]
    fn order_notional_exactly_at_the_limit_passes() {
        let limits = RiskLimits {
            max_order_notional: 10_000.0,
            ..RiskLimits::default()
        };
        let p = Portfolio::default();
        assert_eq!(veto(&order(Side::Buy, 20, 500.0), &p, &limits), None);
        assert_eq!(
            veto(&order(Side::Buy, 21, 500.0), &p, &limits),
            Some(Rejection::MaxOrderNotional {
                notional: 10_500.0,
                limit: 10_000.0
            })
        );
        assert_eq!(
            veto(&order(Side::Sell, 21, 500.0), &p, &limits)
                .map(|r| r.to_string())
                .as_deref(),
            Some("order notional 10500.00 exceeds the limit of 10000.00")
        );
        assert!(veto(&order(Side::Buy, 1, f64::NAN), &p, &limits).is_some());
    }

    #[test]
    fn position_exactly_at_the_limit_passes_and_reducing_always_passes() {
        let limits = RiskLimits {
            max_position: 100,
            ..RiskLimits::default()
        };
        let mut p = Portfolio::default();
        p.apply(
            Role::MomentumTrader,
            "SPY",
            Side::Buy,
            60,
            500.0,
            0.0,
            500.0,
        );
        assert_eq!(veto(&order(Side::Buy, 40, 500.0), &p, &limits), None);
        assert_eq!(
            veto(&order(Side::Buy, 41, 500.0), &p, &limits),
            Some(Rejection::MaxPosition {
                after: 101,
                limit: 100
            })
        );
        assert_eq!(veto(&order(Side::Sell, 160, 500.0), &p, &limits), None); // to −100
        assert_eq!(
            veto(&order(Side::Sell, 161, 500.0), &p, &limits).map(|r| r.kind()),
            Some("max_position")
        );
        // Over the limit already (limits changed): reducing passes, adding does not.
        let tight = RiskLimits {
            max_position: 10,
            ..limits
        };
        assert_eq!(veto(&order(Side::Sell, 5, 500.0), &p, &tight), None);
        assert!(veto(&order(Side::Buy, 1, 500.0), &p, &tight).is_some());
    }

    #[test]
    fn drawdown_exactly_at_the_limit_passes_beyond_it_only_reductions() {
        let limits = RiskLimits {
            max_drawdown: 0.05,
            ..RiskLimits::default()
        };
        let mut p = Portfolio::new(1_000.0);
        p.apply(
            Role::MomentumTrader,
            "SPY",
            Side::Buy,
            10,
            100.0,
            0.0,
            100.0,
        );
        p.mark_with(|_| Some(95.0)); // equity 950: drawdown exactly 5 %
        assert_eq!(p.drawdown_pct(), 0.05);
        assert_eq!(veto(&order(Side::Buy, 1, 95.0), &p, &limits), None);
        p.mark_with(|_| Some(94.0)); // 6 %
        let r = veto(&order(Side::Buy, 1, 94.0), &p, &limits).unwrap();
        assert_eq!(r.kind(), "max_drawdown");
        assert_eq!(
            r.to_string(),
            "drawdown of 6.00% exceeds the limit of 5.00%: only risk-reducing orders pass"
        );
        assert_eq!(veto(&order(Side::Sell, 10, 94.0), &p, &limits), None);
        assert!(veto(&order(Side::Sell, 11, 94.0), &p, &limits).is_some());
    }
}
