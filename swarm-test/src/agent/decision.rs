//! What an agent decides about a trade task: buy, sell or hold, optionally at a limit price.
//!
//! The swarm turns a [`Decision`] into an order at the decision's virtual time: it values it
//! at the mid (for the risk checks), runs it through the fill model and books it under the
//! agent's role.

use serde::{Deserialize, Serialize};

use crate::market::Market;
use crate::market::{HoldReason, OrderIntent, OrderKind, Side};
use swarm_test_spec::Role;

/// An agent's answer to a trade task.
///
/// ```
/// use swarm_test::prelude::*;
///
/// let d = Decision::buy("SPY", 10).limit(501.25);
/// assert_eq!(d.qty(), Some(10));
/// assert_eq!(d.limit_price(), Some(501.25));
/// assert!(Decision::hold().is_hold());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Send an order.
    Order {
        /// What to trade.
        symbol: String,
        /// Buy or sell.
        side: Side,
        /// Shares.
        qty: u64,
        /// The worst acceptable price; `None` for a market order.
        limit: Option<f64>,
    },
    /// Do nothing, for this reason.
    Hold(HoldReason),
}

impl Decision {
    /// Buy `qty` shares of `symbol` at the market (see [`Decision::limit`]).
    pub fn buy(symbol: impl Into<String>, qty: u64) -> Self {
        Decision::order(symbol, Side::Buy, qty)
    }

    /// Sell `qty` shares of `symbol` at the market (short below zero).
    pub fn sell(symbol: impl Into<String>, qty: u64) -> Self {
        Decision::order(symbol, Side::Sell, qty)
    }

    /// An order on `side`.
    pub fn order(symbol: impl Into<String>, side: Side, qty: u64) -> Self {
        Decision::Order {
            symbol: symbol.into(),
            side,
            qty,
            limit: None,
        }
    }

    /// Do nothing: the agent sees no signal.
    pub fn hold() -> Self {
        Decision::Hold(HoldReason::NoSignal)
    }

    /// Do nothing, for `reason` (the report counts holds by reason).
    pub fn hold_because(reason: HoldReason) -> Self {
        Decision::Hold(reason)
    }

    /// The same order, filled only at `price` or better. No effect on a hold.
    pub fn limit(mut self, price: f64) -> Self {
        if let Decision::Order { limit, .. } = &mut self {
            *limit = Some(price);
        }
        self
    }

    /// Whether this is a hold.
    pub fn is_hold(&self) -> bool {
        matches!(self, Decision::Hold(_))
    }

    /// The order's side, if it is one.
    pub fn side(&self) -> Option<Side> {
        match self {
            Decision::Order { side, .. } => Some(*side),
            Decision::Hold(_) => None,
        }
    }

    /// The order's shares, if it is one.
    pub fn qty(&self) -> Option<u64> {
        match self {
            Decision::Order { qty, .. } => Some(*qty),
            Decision::Hold(_) => None,
        }
    }

    /// The order's limit price, if it has one.
    pub fn limit_price(&self) -> Option<f64> {
        match self {
            Decision::Order { limit, .. } => *limit,
            Decision::Hold(_) => None,
        }
    }

    /// The order the desk books for this decision, taken by `role` at `t_ms`: valued at the
    /// mid then; an order on a symbol the market does not have is a hold.
    pub(crate) fn into_intent(
        self,
        role: Role,
        t_ms: u64,
        market: &mut Market,
    ) -> crate::market::Intent {
        match self {
            Decision::Hold(reason) => crate::market::Intent::Hold(reason),
            Decision::Order {
                symbol,
                side,
                qty,
                limit,
            } => {
                let Some(mid) = market.try_mid(&symbol, t_ms) else {
                    return crate::market::Intent::Hold(HoldReason::UnknownSymbol);
                };
                crate::market::Intent::Order(OrderIntent {
                    role,
                    symbol,
                    side,
                    qty,
                    kind: limit.map_or(OrderKind::Market, |price| OrderKind::Limit { price }),
                    decided_at_ms: t_ms,
                    reference_price: mid,
                })
            }
        }
    }

    /// The public form of a desk decision (what a built-in role decided).
    pub(crate) fn from_intent(d: crate::market::Intent) -> Self {
        match d {
            crate::market::Intent::Hold(reason) => Decision::Hold(reason),
            crate::market::Intent::Order(o) => Decision::Order {
                symbol: o.symbol,
                side: o.side,
                qty: o.qty,
                limit: match o.kind {
                    OrderKind::Market => None,
                    OrderKind::Limit { price } => Some(price),
                },
            },
        }
    }
}
