//! The trading simulation: prices, agent signals, execution, positions and the trades report.
//!
//! Everything here is deterministic: randomness comes from [`SimRng`], transcendental functions
//! from `libm`, maps are ordered, and there is no clock. Time is virtual milliseconds since the
//! start of the run; one bar is [`BAR_MS`] (10 ms) of virtual time and stands for one trading
//! minute (see [`regime`] for the time scale and the regimes).
//!
//! The pieces, in the order a trade goes through them:
//!
//! 1. [`Market`]: a price source, seeded GBM paths ([`path`]) or replayed bars ([`bars`]).
//! 2. [`decide`]: what an agent of a [`Role`](swarm_test_spec::Role) wants to do ([`signals`]),
//!    an [`OrderIntent`] or a hold ([`order`]).
//! 3. [`veto`] / [`RiskLimits`]: pre-trade risk checks ([`risk`]).
//! 4. [`FillModel::fill`]: execution at the order's arrival time ([`execution`]).
//! 5. [`Portfolio`]: positions, PnL, fees, drawdown ([`portfolio`]).
//! 6. [`TradeBook`] / [`TradesReport`]: counts and totals for snapshots ([`report`]).
//!
//! [`TradingDesk`] strings them together: one [`TradingDesk::trade`] call per trade task.

pub mod bars;
pub mod desk;
pub mod execution;
pub mod order;
pub mod path;
pub mod portfolio;
pub mod regime;
pub mod report;
pub mod risk;
pub mod signals;

use std::path::Path;

use swarm_test_spec::{MarketSpec, Regime};

use crate::rng::{fnv1a, SimRng};

pub use bars::{Bar, BarSeries, BarsError, BARS_HEADER};
pub use desk::{TradeOutcome, TradingDesk};
pub use execution::{FillModel, SlippageTier};
pub use order::{
    Execution, Fill, HoldReason, Intent, OrderIntent, OrderKind, Side, UnfilledReason,
};
pub use path::{default_universe, SymbolSpec};
pub use portfolio::{Portfolio, Position, DEFAULT_INITIAL_CAPITAL};
pub use regime::{
    volatility_regime, RegimeParams, RegimeSegment, BARS_PER_YEAR, BAR_MS, DT, WARMUP_BARS,
};
pub use report::{role_name, StrategyStats, TradeBook, TradesReport};
pub use risk::{veto, Rejection, RiskLimits};
pub use signals::{decide, SignalParams};

use path::{mix64, validate_universe, GbmPaths};

/// Standard deviation, in basis points, of the second venue's quote around the mid. The
/// deviation is drawn once per symbol and bar, so a gap lasts for the rest of that bar.
/// The default value is 8 bps.
pub const VENUE_NOISE_BPS: f64 = 8.0;

/// Why a market could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// The bar file could not be read.
    #[error("cannot read market file {path}: {source}")]
    Read {
        /// The path as given in the spec.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bar file is malformed; the error names the file, line and column.
    #[error(transparent)]
    Bars(#[from] BarsError),
    /// A synthetic universe is unusable (no symbols, duplicates, bad prices or loadings).
    #[error("invalid universe: {0}")]
    Universe(String),
}

#[derive(Debug, Clone)]
enum Source {
    Gbm(GbmPaths),
    Replay(BarSeries),
}

/// A price source for one run: seeded GBM paths in a regime, or bars replayed from a file.
///
/// Prices are a pure function of the seed, the universe (or file) and the regime changes, so
/// [`Market::mid`] returns the same value whatever order prices are asked for in. Methods take
/// `&mut self` only because paths are generated lazily, bar by bar.
#[derive(Debug, Clone)]
pub struct Market {
    source: Source,
    venue_seed: u64,
}

impl Market {
    /// The market a spec describes: `Regime(r)` → the [`default_universe`] in `r`;
    /// `File(path)` → bars read from `path` (relative to the current directory, which is the
    /// package root under `cargo test`), in the format of [`bars`].
    pub fn new(spec: &MarketSpec, rng: SimRng) -> Result<Market, MarketError> {
        match spec {
            MarketSpec::Regime(regime) => Market::synthetic(default_universe(), *regime, rng),
            MarketSpec::File(file) => {
                let bytes = std::fs::read(Path::new(file)).map_err(|source| MarketError::Read {
                    path: file.clone(),
                    source,
                })?;
                Ok(Market::replay(BarSeries::parse(file, &bytes)?, rng))
            }
        }
    }

    /// Seeded GBM paths for `symbols`, starting in `regime`.
    pub fn synthetic(
        symbols: Vec<SymbolSpec>,
        regime: Regime,
        mut rng: SimRng,
    ) -> Result<Market, MarketError> {
        validate_universe(&symbols).map_err(MarketError::Universe)?;
        let seed = rng.split("market.paths").next_u64();
        let venue_seed = rng.split("market.venue").next_u64();
        Ok(Market {
            source: Source::Gbm(GbmPaths::new(symbols, seed, RegimeSegment::plain(regime))),
            venue_seed,
        })
    }

    /// Replays `series`; `rng` only seeds the second venue's quotes.
    pub fn replay(series: BarSeries, mut rng: SimRng) -> Market {
        let _ = rng.split("market.paths");
        let venue_seed = rng.split("market.venue").next_u64();
        Market {
            source: Source::Replay(series),
            venue_seed,
        }
    }

    /// The tradable symbols, sorted.
    pub fn symbols(&self) -> Vec<String> {
        match &self.source {
            Source::Gbm(g) => g.symbols().iter().map(|s| s.name.clone()).collect(),
            Source::Replay(b) => b.symbols(),
        }
    }

    /// Whether `symbol` is tradable here.
    pub fn has_symbol(&self, symbol: &str) -> bool {
        match &self.source {
            Source::Gbm(g) => g.column(symbol).is_some(),
            Source::Replay(b) => b.bars(symbol).is_some(),
        }
    }

    /// Whether prices are replayed from a file (regime changes then have no effect).
    pub fn is_replay(&self) -> bool {
        matches!(self.source, Source::Replay(_))
    }

    /// The mid price of `symbol` at `t_ms`, or NaN for an unknown symbol (see [`Market::try_mid`]).
    ///
    /// GBM: the path point on a bar boundary, log-linear between points inside a bar.
    /// Replay: the close of the last bar closed at or before `t_ms` (the first bar's open
    /// before that).
    pub fn mid(&mut self, symbol: &str, t_ms: u64) -> f64 {
        self.try_mid(symbol, t_ms).unwrap_or(f64::NAN)
    }

    /// The mid price of `symbol` at `t_ms`, or `None` for an unknown symbol.
    pub fn try_mid(&mut self, symbol: &str, t_ms: u64) -> Option<f64> {
        match &mut self.source {
            Source::Gbm(g) => {
                let i = g.column(symbol)?;
                Some(g.price(i, t_ms))
            }
            Source::Replay(b) => b.price(symbol, t_ms),
        }
    }

    /// The last `n` (or fewer) bar closes of `symbol` at or before `t_ms`, oldest first; empty
    /// for an unknown symbol. GBM closes are the path points (point 0 is the start price).
    pub fn history(&mut self, symbol: &str, t_ms: u64, n: usize) -> Vec<f64> {
        match &mut self.source {
            Source::Gbm(g) => match g.column(symbol) {
                Some(i) => g.history(i, t_ms, n),
                None => Vec::new(),
            },
            Source::Replay(b) => b.history(symbol, t_ms, n),
        }
    }

    /// `regime`, at its documented σ, governs every bar that starts at or after `from_t_ms`
    /// (until a later change). No effect on replayed bars.
    pub fn set_regime(&mut self, from_t_ms: u64, regime: Regime) {
        self.set_segment(from_t_ms, RegimeSegment::plain(regime));
    }

    /// A `volatility(level)` shock from `t_ms` on: the regime and σ multiplier of
    /// [`volatility_regime`] (`level` in `0..=1`). Undo it with [`Market::set_segment`] and the
    /// segment [`Market::segment_at`] returned before the shock. No effect on replayed bars.
    pub fn volatility_shock(&mut self, t_ms: u64, level: f64) {
        self.set_segment(t_ms, volatility_regime(level));
    }

    /// `segment` governs every bar that starts at or after `from_t_ms`. Prices already read
    /// after that boundary are regenerated, so set changes before reading past them.
    pub fn set_segment(&mut self, from_t_ms: u64, segment: RegimeSegment) {
        if let Source::Gbm(g) = &mut self.source {
            g.set_segment(from_t_ms, segment);
        }
    }

    /// The regime segment in force at `t_ms`; `None` for replayed bars.
    pub fn segment_at(&self, t_ms: u64) -> Option<RegimeSegment> {
        match &self.source {
            Source::Gbm(g) => Some(g.segment_at(t_ms)),
            Source::Replay(_) => None,
        }
    }

    /// The symbol a pairs trader trades `symbol` against. GBM: the other symbol with the
    /// highest factor loading, i.e. the highest correlation (ties: first by name). Replay: the
    /// next symbol in name order, wrapping around. `None` with fewer than two symbols.
    pub fn partner(&self, symbol: &str) -> Option<String> {
        match &self.source {
            Source::Gbm(g) => {
                g.column(symbol)?;
                let mut best: Option<&SymbolSpec> = None;
                for s in g.symbols().iter().filter(|s| s.name != symbol) {
                    if best.is_none_or(|b| s.factor_loading > b.factor_loading) {
                        best = Some(s);
                    }
                }
                best.map(|s| s.name.clone())
            }
            Source::Replay(b) => {
                let names = b.symbols();
                let at = names.iter().position(|n| n == symbol)?;
                (names.len() > 1).then(|| names[(at + 1) % names.len()].clone())
            }
        }
    }

    /// The mid of `symbol` on a second venue at `t_ms`: this venue's mid times
    /// exp(d), d ~ N(0, ([`VENUE_NOISE_BPS`] / 10⁴)²), drawn from the market seed once per symbol
    /// and bar. Arbitrage traders compare the two.
    pub fn venue_quote(&mut self, symbol: &str, t_ms: u64) -> Option<f64> {
        let mid = self.try_mid(symbol, t_ms)?;
        let bar = t_ms / BAR_MS;
        let mut rng = SimRng::new(mix64(
            self.venue_seed ^ fnv1a(symbol.as_bytes()) ^ mix64(bar),
        ));
        let d = rng.normal() * VENUE_NOISE_BPS / 10_000.0;
        Some(mid * libm::exp(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(seed: u64, regime: Regime) -> Market {
        Market::new(&MarketSpec::Regime(regime), SimRng::new(seed)).unwrap()
    }

    #[test]
    fn default_universe_starts_at_documented_prices() {
        let mut m = market(1, Regime::Calm);
        assert_eq!(m.symbols(), vec!["AAPL", "QQQ", "SPY", "TSLA"]);
        assert_eq!(m.mid("SPY", 0), 500.0);
        assert_eq!(m.mid("QQQ", 0), 430.0);
        assert_eq!(m.mid("AAPL", 0), 190.0);
        assert_eq!(m.mid("TSLA", 0), 250.0);
        assert!(m.mid("IBM", 0).is_nan());
        assert_eq!(m.try_mid("IBM", 0), None);
        assert!(m.history("IBM", 0, 3).is_empty());
    }

    #[test]
    fn same_seed_same_prices_different_seed_different_prices() {
        let (mut a, mut b, mut c) = (
            market(7, Regime::Volatile),
            market(7, Regime::Volatile),
            market(8, Regime::Volatile),
        );
        assert_eq!(a.mid("SPY", 12_345), b.mid("SPY", 12_345));
        assert_ne!(a.mid("SPY", 12_345), c.mid("SPY", 12_345));
        assert_eq!(a.history("TSLA", 30_000, 10), b.history("TSLA", 30_000, 10));
    }

    #[test]
    fn regime_changes_apply_from_the_next_bar() {
        let mut a = market(3, Regime::Calm);
        let mut b = market(3, Regime::Calm);
        b.set_regime(5 * BAR_MS + BAR_MS / 2, Regime::Crash);
        assert_eq!(a.mid("SPY", 6 * BAR_MS), b.mid("SPY", 6 * BAR_MS));
        assert_ne!(a.mid("SPY", 7 * BAR_MS), b.mid("SPY", 7 * BAR_MS));
        assert_eq!(b.segment_at(6 * BAR_MS - 1).unwrap().regime, Regime::Calm);
        assert_eq!(b.segment_at(6 * BAR_MS).unwrap().regime, Regime::Crash);
        b.volatility_shock(10 * BAR_MS, 0.5);
        let s = b.segment_at(10 * BAR_MS).unwrap();
        assert_eq!((s.regime, s.volatility_multiplier), (Regime::Volatile, 1.5));
    }

    #[test]
    fn partners_and_venue_quotes() {
        let mut m = market(4, Regime::Calm);
        assert_eq!(m.partner("SPY").as_deref(), Some("QQQ"));
        assert_eq!(m.partner("QQQ").as_deref(), Some("SPY"));
        assert_eq!(m.partner("TSLA").as_deref(), Some("SPY"));
        assert_eq!(m.partner("IBM"), None);
        let q1 = m.venue_quote("SPY", 2_100).unwrap();
        let q2 = m.venue_quote("SPY", 2_100).unwrap();
        assert_eq!(q1, q2);
        let mid = m.mid("SPY", 2_100);
        assert!((q1 / mid - 1.0).abs() < 10.0 * VENUE_NOISE_BPS / 10_000.0);
        assert_ne!(
            q1 / mid,
            m.venue_quote("SPY", 3_100).unwrap() / m.mid("SPY", 3_100)
        );
    }

    #[test]
    fn file_markets_replay_and_report_errors() {
        let dir = std::env::temp_dir().join(format!("market-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.csv");
        std::fs::write(
            &good,
            "time_ms,symbol,open,high,low,close,volume\n1000,A,10,11,9,10.5,1\n1000,B,20,21,19,20.5,1\n",
        )
        .unwrap();
        let spec = MarketSpec::File(good.display().to_string());
        let mut m = Market::new(&spec, SimRng::new(1)).unwrap();
        assert!(m.is_replay());
        assert_eq!(m.mid("A", 1_000), 10.5);
        assert_eq!(m.partner("B").as_deref(), Some("A"));
        m.set_regime(0, Regime::Crash);
        assert_eq!(m.mid("A", 1_000), 10.5);
        let bad = dir.join("bad.csv");
        std::fs::write(
            &bad,
            "time_ms,symbol,open,high,low,close,volume\n1,A,x,1,1,1,1\n",
        )
        .unwrap();
        let e =
            Market::new(&MarketSpec::File(bad.display().to_string()), SimRng::new(1)).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("bad.csv:2:5: open: expected a positive number, found `x`"),
            "{e}"
        );
        let e = Market::new(
            &MarketSpec::File("/nonexistent/x.csv".into()),
            SimRng::new(1),
        )
        .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("cannot read market file /nonexistent/x.csv"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
