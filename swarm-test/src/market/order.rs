//! What agents send: order intents, holds, fills and the reasons an order went nowhere.
//!
//! An [`OrderIntent`] is decided by [`decide`](super::decide) at one virtual time; the
//! [`FillModel`](super::FillModel) turns it into a [`Fill`] or an [`UnfilledReason`] at its
//! arrival time. Reasons have a lowercase `Display` for people and a stable snake_case `kind()`
//! for counting in reports.

use std::fmt;

use serde::{Deserialize, Serialize};
use swarm_test_spec::Role;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Buy: increases the position.
    Buy,
    /// Sell: decreases the position (sells short below zero).
    Sell,
}

impl Side {
    /// +1 for a buy, −1 for a sell.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// How an order is priced.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Fill at whatever the market gives at arrival.
    Market,
    /// Fill only at `price` or better, at arrival; otherwise unfilled.
    Limit {
        /// The worst acceptable price.
        price: f64,
    },
}

/// What an agent wants to trade, as decided at `decided_at_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderIntent {
    /// The strategy that decided it.
    pub role: Role,
    /// What to trade.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Shares, at least 1.
    pub qty: u64,
    /// Market or limit.
    pub kind: OrderKind,
    /// Virtual time of the decision.
    pub decided_at_ms: u64,
    /// The mid when decided; risk checks value the order at this price.
    pub reference_price: f64,
}

impl OrderIntent {
    /// The order's value at its reference price, for risk checks.
    pub fn notional(&self) -> f64 {
        self.qty as f64 * self.reference_price
    }
}

/// An executed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// The strategy that decided it.
    pub role: Role,
    /// What was traded.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Shares.
    pub qty: u64,
    /// Price per share, on the tick grid.
    pub price: f64,
    /// `qty · price`.
    pub notional: f64,
    /// Fee charged, in money, rounded to the cent.
    pub fee: f64,
    /// The mid when the order arrived.
    pub mid_at_arrival: f64,
    /// When the order was decided.
    pub decided_at_ms: u64,
    /// When the order arrived and filled.
    pub arrived_at_ms: u64,
}

/// Why an order did not fill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnfilledReason {
    /// The market has no such symbol.
    UnknownSymbol,
    /// The order was for zero shares.
    ZeroQuantity,
    /// The limit price is not a positive finite number.
    InvalidLimit,
    /// The price at arrival was worse than the limit.
    LimitNotReached {
        /// The order's limit.
        limit: f64,
        /// The price it would have filled at.
        price: f64,
    },
    /// The price touched the limit but the `prob_fill_on_limit` draw said no.
    NotFilledAtTouch,
}

impl UnfilledReason {
    /// A stable snake_case name, for counting in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            UnfilledReason::UnknownSymbol => "unknown_symbol",
            UnfilledReason::ZeroQuantity => "zero_quantity",
            UnfilledReason::InvalidLimit => "invalid_limit",
            UnfilledReason::LimitNotReached { .. } => "limit_not_reached",
            UnfilledReason::NotFilledAtTouch => "not_filled_at_touch",
        }
    }
}

impl fmt::Display for UnfilledReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnfilledReason::UnknownSymbol => write!(f, "unknown symbol"),
            UnfilledReason::ZeroQuantity => write!(f, "zero quantity"),
            UnfilledReason::InvalidLimit => write!(f, "invalid limit price"),
            UnfilledReason::LimitNotReached { limit, price } => {
                write!(f, "limit {limit:.2} not reached (market {price:.2})")
            }
            UnfilledReason::NotFilledAtTouch => write!(f, "limit touched but not filled"),
        }
    }
}

/// The result of sending an order.
#[derive(Debug, Clone, PartialEq)]
pub enum Execution {
    /// It filled completely.
    Filled(Fill),
    /// It did not fill at all (orders are immediate-or-cancel).
    Unfilled(UnfilledReason),
}

/// Why an agent sent no order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// The market has no such symbol.
    UnknownSymbol,
    /// Fewer closes than the rule's window.
    NotEnoughHistory {
        /// Closes available.
        have: usize,
        /// Closes needed.
        need: usize,
    },
    /// The rule sees nothing to act on.
    NoSignal,
    /// The strategy already holds its target position.
    AtTarget,
    /// A pairs trader found no partner symbol.
    NoPartner,
    /// Risk managers veto orders and never originate them.
    RiskManager,
    /// Data collectors record prices and never trade.
    DataCollector,
}

impl HoldReason {
    /// A stable snake_case name, for counting in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            HoldReason::UnknownSymbol => "unknown_symbol",
            HoldReason::NotEnoughHistory { .. } => "not_enough_history",
            HoldReason::NoSignal => "no_signal",
            HoldReason::AtTarget => "at_target",
            HoldReason::NoPartner => "no_partner",
            HoldReason::RiskManager => "risk_manager",
            HoldReason::DataCollector => "data_collector",
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldReason::UnknownSymbol => write!(f, "unknown symbol"),
            HoldReason::NotEnoughHistory { have, need } => {
                write!(f, "not enough history ({have} of {need} bars)")
            }
            HoldReason::NoSignal => write!(f, "no signal"),
            HoldReason::AtTarget => write!(f, "already at target position"),
            HoldReason::NoPartner => write!(f, "no partner symbol for the pair"),
            HoldReason::RiskManager => write!(f, "risk managers do not originate orders"),
            HoldReason::DataCollector => write!(f, "data collectors do not trade"),
        }
    }
}

/// What the desk books for an agent's [`Decision`](crate::Decision): a priced, timed order
/// intent or a hold with its reason. Live agents send it to the controller over the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Send this order.
    Order(OrderIntent),
    /// Do nothing, for this reason.
    Hold(HoldReason),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_value_at_the_reference_price() {
        let o = OrderIntent {
            role: Role::PairsTrader,
            symbol: "SPY".into(),
            side: Side::Sell,
            qty: 3,
            kind: OrderKind::Limit { price: 99.5 },
            decided_at_ms: 5,
            reference_price: 100.0,
        };
        assert_eq!(o.notional(), 300.0);
        assert_eq!((Side::Buy.sign(), Side::Sell.sign()), (1, -1));
        let json = serde_json::to_string(&o).unwrap();
        assert!(
            json.contains(r#""kind":{"limit":{"price":99.5}}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<OrderIntent>(&json).unwrap(), o);
    }

    #[test]
    fn reasons_read_lowercase_and_count_by_kind() {
        let miss = UnfilledReason::LimitNotReached {
            limit: 100.0,
            price: 100.014,
        };
        assert_eq!(miss.to_string(), "limit 100.00 not reached (market 100.01)");
        assert_eq!(miss.kind(), "limit_not_reached");
        let short = HoldReason::NotEnoughHistory { have: 3, need: 20 };
        assert_eq!(short.to_string(), "not enough history (3 of 20 bars)");
        assert_eq!(short.kind(), "not_enough_history");
        for text in [
            UnfilledReason::UnknownSymbol.to_string(),
            UnfilledReason::NotFilledAtTouch.to_string(),
            HoldReason::RiskManager.to_string(),
            HoldReason::DataCollector.to_string(),
        ] {
            assert_eq!(text, text.to_lowercase());
        }
    }
}
