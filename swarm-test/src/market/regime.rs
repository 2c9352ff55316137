//! Market regimes: the drift, volatility and jumps that drive the seeded price paths.
//!
//! # Time scale
//!
//! One bar is [`BAR_MS`] = 10 ms of virtual time and stands for **one trading minute**, so a
//! test that runs one virtual second sees 100 trading minutes: the intraday scale on which
//! momentum and mean-reversion signals live, and on which a few milliseconds of order latency
//! visibly move a fill (prices are interpolated within a bar). The simulator starts each run
//! [`WARMUP_BARS`] bars into the path, so strategies have history from the first trade. A
//! trading year has 252 days of 390 minutes, so annualised drift μ and volatility σ are converted
//! with Δt = 1 / (252 · 390) = 1 / [`BARS_PER_YEAR`] per bar. Over one bar a symbol's log-return
//! has mean (μ − σ²/2)·Δt and variance σ²·Δt (plus jumps in a crash).
//!
//! # Regimes
//!
//! | regime     | μ (annual) | σ (annual, index) | jumps                                             |
//! |------------|-----------:|------------------:|---------------------------------------------------|
//! | `calm`     | +5 %       | 10 %              | none                                              |
//! | `trending` | +40 %      | 15 %              | none                                              |
//! | `volatile` | 0 %        | 45 %              | none                                              |
//! | `crash`    | −60 %      | 70 %              | λ = 0.02 per bar, log-size ~ N(−2 %, 1 %²) × beta |
//!
//! A symbol's own volatility is σ times its volatility multiplier (see
//! [`SymbolSpec`](super::SymbolSpec)); its drift is μ. Crash jumps hit every symbol in the same
//! bar (they are market-wide), each scaled by the symbol's CAPM beta.
//!
//! # The `volatility(level)` fault
//!
//! [`volatility_regime`] maps a level in `0..=1` to a regime and a σ multiplier:
//! level < 0.3 → `calm`, level < 0.8 → `volatile`, otherwise `crash`; σ is multiplied by
//! 1 + level. So `volatility(0.5)` is the `volatile` regime at σ = 45 % × 1.5 = 67.5 %.

use std::collections::BTreeMap;

use swarm_test_spec::Regime;

/// Virtual milliseconds in one bar (one trading minute). The default value is 10.
pub const BAR_MS: u64 = 10;

/// Bars of price history before a simulated run starts. The default value is 64 (more than
/// the longest signal window).
pub const WARMUP_BARS: u64 = 64;

/// Bars in a trading year: 252 days × 390 minutes, one bar per trading minute.
pub const BARS_PER_YEAR: f64 = 252.0 * 390.0;

/// Δt of one bar in years, used to convert annualised μ and σ.
pub const DT: f64 = 1.0 / BARS_PER_YEAR;

/// The numbers behind a regime, annualised except for the per-bar jump intensity.
///
/// Kept separate from [`Regime`] so a shock can scale σ without inventing new regimes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeParams {
    /// Annual drift μ of every symbol.
    pub drift: f64,
    /// Annual volatility σ of a symbol with volatility multiplier 1 (the index).
    pub volatility: f64,
    /// Expected number of market-wide jumps per bar (Poisson intensity λ); 0 for no jumps.
    pub jump_intensity: f64,
    /// Mean of one jump's log-size on the market (before the symbol's beta).
    pub jump_mean: f64,
    /// Standard deviation of one jump's log-size on the market.
    pub jump_std: f64,
}

impl RegimeParams {
    /// The documented parameters of `regime` (see the module table).
    pub fn of(regime: Regime) -> Self {
        let (drift, volatility) = match regime {
            Regime::Calm => (0.05, 0.10),
            Regime::Trending => (0.40, 0.15),
            Regime::Volatile => (0.0, 0.45),
            Regime::Crash => (-0.60, 0.70),
        };
        let (jump_intensity, jump_mean, jump_std) = match regime {
            Regime::Crash => (0.02, -0.02, 0.01),
            _ => (0.0, 0.0, 0.0),
        };
        RegimeParams {
            drift,
            volatility,
            jump_intensity,
            jump_mean,
            jump_std,
        }
    }

    /// The same parameters with σ multiplied by `factor` (clamped to be non-negative).
    pub fn with_volatility_multiplier(mut self, factor: f64) -> Self {
        self.volatility *= factor.max(0.0);
        self
    }
}

/// A regime in force from some bar on: the named regime and the σ multiplier applied to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeSegment {
    /// The named regime.
    pub regime: Regime,
    /// Multiplier on the regime's σ. The default value is 1.
    pub volatility_multiplier: f64,
}

impl RegimeSegment {
    /// A segment of `regime` at its documented σ.
    pub fn plain(regime: Regime) -> Self {
        RegimeSegment {
            regime,
            volatility_multiplier: 1.0,
        }
    }

    /// The numbers this segment drives the paths with.
    pub fn params(&self) -> RegimeParams {
        RegimeParams::of(self.regime).with_volatility_multiplier(self.volatility_multiplier)
    }
}

/// The regime and σ multiplier a `volatility(level)` fault puts the market in.
///
/// `level` is clamped to `0..=1` (NaN counts as 0): below 0.3 → `calm`, below 0.8 →
/// `volatile`, otherwise `crash`; σ is multiplied by 1 + level.
pub fn volatility_regime(level: f64) -> RegimeSegment {
    let level = if level.is_nan() {
        0.0
    } else {
        level.clamp(0.0, 1.0)
    };
    let regime = if level < 0.3 {
        Regime::Calm
    } else if level < 0.8 {
        Regime::Volatile
    } else {
        Regime::Crash
    };
    RegimeSegment {
        regime,
        volatility_multiplier: 1.0 + level,
    }
}

/// The regime of each bar: a starting segment and changes keyed by the first bar they govern.
#[derive(Debug, Clone)]
pub(crate) struct RegimeSchedule {
    segments: BTreeMap<u64, RegimeSegment>,
}

impl RegimeSchedule {
    /// A schedule with `initial` from bar 0 on.
    pub(crate) fn new(initial: RegimeSegment) -> Self {
        let mut segments = BTreeMap::new();
        segments.insert(0, initial);
        RegimeSchedule { segments }
    }

    /// The segment governing bar `bar` (the step from point `bar` to point `bar + 1`).
    pub(crate) fn at(&self, bar: u64) -> RegimeSegment {
        self.segments
            .range(..=bar)
            .next_back()
            .map(|(_, s)| *s)
            .unwrap_or_else(|| RegimeSegment::plain(Regime::Calm))
    }

    /// `segment` governs bars from `from_bar` until the next later change.
    pub(crate) fn set(&mut self, from_bar: u64, segment: RegimeSegment) {
        self.segments.insert(from_bar, segment);
    }
}

/// The first bar a change at `t_ms` governs: the first bar that starts at or after `t_ms`, so a
/// change never rewrites a bar that had already begun.
pub(crate) fn first_bar_at_or_after(t_ms: u64) -> u64 {
    t_ms.div_ceil(BAR_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_parameters() {
        let calm = RegimeParams::of(Regime::Calm);
        assert_eq!((calm.drift, calm.volatility), (0.05, 0.10));
        assert_eq!(calm.jump_intensity, 0.0);
        let crash = RegimeParams::of(Regime::Crash);
        assert_eq!((crash.drift, crash.volatility), (-0.60, 0.70));
        assert_eq!(
            (crash.jump_intensity, crash.jump_mean, crash.jump_std),
            (0.02, -0.02, 0.01)
        );
        assert_eq!(BARS_PER_YEAR, 98_280.0);
    }

    #[test]
    fn volatility_levels_map_to_regimes() {
        assert_eq!(volatility_regime(0.0).regime, Regime::Calm);
        assert_eq!(volatility_regime(0.29).regime, Regime::Calm);
        assert_eq!(volatility_regime(0.3).regime, Regime::Volatile);
        assert_eq!(volatility_regime(0.79).regime, Regime::Volatile);
        assert_eq!(volatility_regime(0.8).regime, Regime::Crash);
        assert_eq!(volatility_regime(7.0).regime, Regime::Crash);
        assert_eq!(volatility_regime(f64::NAN).regime, Regime::Calm);
        let half = volatility_regime(0.5);
        assert!((half.params().volatility - 0.675).abs() < 1e-12);
    }

    #[test]
    fn schedule_picks_latest_change_at_or_before_bar() {
        let mut s = RegimeSchedule::new(RegimeSegment::plain(Regime::Calm));
        s.set(10, RegimeSegment::plain(Regime::Crash));
        s.set(20, RegimeSegment::plain(Regime::Trending));
        assert_eq!(s.at(0).regime, Regime::Calm);
        assert_eq!(s.at(9).regime, Regime::Calm);
        assert_eq!(s.at(10).regime, Regime::Crash);
        assert_eq!(s.at(19).regime, Regime::Crash);
        assert_eq!(s.at(1_000).regime, Regime::Trending);
    }

    #[test]
    fn changes_start_at_the_next_bar_boundary() {
        assert_eq!(first_bar_at_or_after(0), 0);
        assert_eq!(first_bar_at_or_after(1), 1);
        assert_eq!(first_bar_at_or_after(BAR_MS), 1);
        assert_eq!(first_bar_at_or_after(BAR_MS + 1), 2);
    }
}
