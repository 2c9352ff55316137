//! Seeded, correlated geometric Brownian motion paths, generated lazily bar by bar.
//!
//! # The step
//!
//! Point `k` is the price at `k · BAR_MS` virtual milliseconds; point 0 is the start price. Bar
//! `k` takes every symbol from point `k` to point `k + 1` with the exact GBM step
//!
//! ```text
//! S' = S · exp((μ − σᵢ²/2)·Δt + σᵢ·√Δt·Zᵢ + βᵢ·J)
//! ```
//!
//! where σᵢ = σ · (volatility multiplier of symbol i), Δt = [`DT`] and J is the sum of
//! the bar's market-wide jump log-sizes (0 outside a crash; see [`super::regime`]).
//!
//! # Correlation
//!
//! One market factor M ~ N(0, 1) per bar is shared by all symbols:
//! Zᵢ = ℓᵢ·M + √(1 − ℓᵢ²)·εᵢ with εᵢ ~ N(0, 1) independent, so corr(Zᵢ, Zⱼ) = ℓᵢ·ℓⱼ, where ℓᵢ is
//! the symbol's factor loading. With the default loadings SPY–QQQ have ρ = 0.855 (a natural
//! pair), SPY–AAPL 0.665, AAPL–TSLA 0.35. Jumps are scaled by the CAPM beta
//! βᵢ = ℓᵢ · (volatility multiplier), the regression slope of the symbol on the index.
//!
//! # Determinism
//!
//! Bar `k` draws from its own [`SimRng`] seeded from (path seed, k), in a fixed order (M, then
//! each εᵢ in symbol-name order, then the jump count and sizes). Bars are generated in order
//! and cached, so a price depends only on the seed, the symbols and the regime schedule, never on
//! the order in which prices are asked for.

use std::collections::BTreeMap;

use crate::rng::SimRng;

use super::regime::{first_bar_at_or_after, RegimeSchedule, RegimeSegment, BAR_MS, DT};

/// One symbol of a synthetic universe.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolSpec {
    /// Ticker, e.g. `"SPY"`.
    pub name: String,
    /// Price at virtual time 0.
    pub start_price: f64,
    /// The symbol's σ relative to the regime's index σ. The default value is 1.
    pub volatility_multiplier: f64,
    /// Loading ℓ on the common market factor, in `-1..=1`; sets correlations (ρᵢⱼ = ℓᵢℓⱼ).
    pub factor_loading: f64,
}

impl SymbolSpec {
    /// A symbol with the given start price, volatility multiplier and factor loading.
    pub fn new(name: &str, start_price: f64, volatility_multiplier: f64, loading: f64) -> Self {
        SymbolSpec {
            name: name.to_string(),
            start_price,
            volatility_multiplier,
            factor_loading: loading,
        }
    }

    /// CAPM beta on the index, ℓ · volatility multiplier; scales crash jumps.
    pub fn beta(&self) -> f64 {
        self.factor_loading * self.volatility_multiplier
    }
}

/// The default synthetic universe.
///
/// | symbol | start | σ multiplier | loading ℓ | beta |
/// |--------|------:|-------------:|----------:|-----:|
/// | SPY    | 500   | 1.0          | 0.95      | 0.95 |
/// | QQQ    | 430   | 1.25         | 0.90      | 1.125|
/// | AAPL   | 190   | 1.6          | 0.70      | 1.12 |
/// | TSLA   | 250   | 2.5          | 0.50      | 1.25 |
pub fn default_universe() -> Vec<SymbolSpec> {
    vec![
        SymbolSpec::new("SPY", 500.0, 1.0, 0.95),
        SymbolSpec::new("QQQ", 430.0, 1.25, 0.90),
        SymbolSpec::new("AAPL", 190.0, 1.6, 0.70),
        SymbolSpec::new("TSLA", 250.0, 2.5, 0.50),
    ]
}

/// Why a synthetic universe is unusable.
pub(crate) fn validate_universe(symbols: &[SymbolSpec]) -> Result<(), String> {
    if symbols.is_empty() {
        return Err("the universe has no symbols".to_string());
    }
    let mut seen = BTreeMap::new();
    for s in symbols {
        if s.name.is_empty() {
            return Err("a symbol has an empty name".to_string());
        }
        if seen.insert(s.name.as_str(), ()).is_some() {
            return Err(format!("symbol {} appears twice", s.name));
        }
        if !(s.start_price.is_finite() && s.start_price > 0.0) {
            return Err(format!("symbol {}: start price must be positive", s.name));
        }
        if !(s.volatility_multiplier.is_finite() && s.volatility_multiplier >= 0.0) {
            return Err(format!(
                "symbol {}: volatility multiplier must be non-negative",
                s.name
            ));
        }
        if !(-1.0..=1.0).contains(&s.factor_loading) {
            return Err(format!(
                "symbol {}: factor loading must be in -1..=1",
                s.name
            ));
        }
    }
    Ok(())
}

/// SplitMix64 finaliser: spreads nearby integers over all 64 bits (for per-bar seeds).
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The lazily generated price points of a synthetic universe.
#[derive(Debug, Clone)]
pub(crate) struct GbmPaths {
    /// Symbols sorted by name; index i is column i of `points`.
    symbols: Vec<SymbolSpec>,
    index: BTreeMap<String, usize>,
    seed: u64,
    schedule: RegimeSchedule,
    /// Row-major: point k of symbol i is `points[k * n + i]`.
    points: Vec<f64>,
}

impl GbmPaths {
    /// Paths for `symbols` (validated by the caller) from `seed`, in `initial` from bar 0.
    pub(crate) fn new(mut symbols: Vec<SymbolSpec>, seed: u64, initial: RegimeSegment) -> Self {
        symbols.sort_by(|a, b| a.name.cmp(&b.name));
        let index = symbols
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let points = symbols.iter().map(|s| s.start_price).collect();
        GbmPaths {
            symbols,
            index,
            seed,
            schedule: RegimeSchedule::new(initial),
            points,
        }
    }

    /// Symbols, sorted by name.
    pub(crate) fn symbols(&self) -> &[SymbolSpec] {
        &self.symbols
    }

    /// The column of `symbol`, if it is in the universe.
    pub(crate) fn column(&self, symbol: &str) -> Option<usize> {
        self.index.get(symbol).copied()
    }

    fn generated(&self) -> u64 {
        (self.points.len() / self.symbols.len()) as u64
    }

    /// Point `k` of column `i`, generating bars up to it.
    pub(crate) fn point(&mut self, k: u64, i: usize) -> f64 {
        while self.generated() <= k {
            self.step();
        }
        self.points[k as usize * self.symbols.len() + i]
    }

    /// The price of column `i` at `t_ms`: the point itself on a bar boundary, otherwise the
    /// log-linear interpolation between the two surrounding points.
    pub(crate) fn price(&mut self, i: usize, t_ms: u64) -> f64 {
        let k = t_ms / BAR_MS;
        let within = t_ms % BAR_MS;
        let a = self.point(k, i);
        if within == 0 {
            return a;
        }
        let b = self.point(k + 1, i);
        let f = within as f64 / BAR_MS as f64;
        libm::exp(libm::log(a) + f * (libm::log(b) - libm::log(a)))
    }

    /// Up to `n` points of column `i` at or before `t_ms`, oldest first.
    pub(crate) fn history(&mut self, i: usize, t_ms: u64, n: usize) -> Vec<f64> {
        let last = t_ms / BAR_MS;
        let first = (last + 1).saturating_sub(n as u64);
        (first..=last).map(|k| self.point(k, i)).collect()
    }

    /// The regime segment in force at `t_ms`.
    pub(crate) fn segment_at(&self, t_ms: u64) -> RegimeSegment {
        self.schedule.at(t_ms / BAR_MS)
    }

    /// `segment` governs every bar that starts at or after `from_t_ms`. Cached points after
    /// that boundary are dropped and regenerated, so the path stays a pure function of the seed
    /// and the schedule.
    pub(crate) fn set_segment(&mut self, from_t_ms: u64, segment: RegimeSegment) {
        let bar = first_bar_at_or_after(from_t_ms);
        self.schedule.set(bar, segment);
        let keep = (bar as usize + 1).saturating_mul(self.symbols.len());
        if self.points.len() > keep {
            self.points.truncate(keep);
        }
    }

    /// Generates bar k = `generated() − 1`, appending point k + 1.
    fn step(&mut self) {
        let n = self.symbols.len();
        let k = self.generated() - 1;
        let p = self.schedule.at(k).params();
        let mut rng = SimRng::new(mix64(self.seed ^ mix64(k)));
        let market = rng.normal();
        let eps: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let jumps = poisson(rng.uniform(), p.jump_intensity);
        let mut jump = 0.0;
        for _ in 0..jumps {
            jump += p.jump_mean + p.jump_std * rng.normal();
        }
        let sqrt_dt = libm::sqrt(DT);
        let base = k as usize * n;
        for (i, s) in self.symbols.iter().enumerate() {
            let l = s.factor_loading;
            let z = l * market + libm::sqrt((1.0 - l * l).max(0.0)) * eps[i];
            let sigma = p.volatility * s.volatility_multiplier;
            let log_return =
                (p.drift - 0.5 * sigma * sigma) * DT + sigma * sqrt_dt * z + s.beta() * jump;
            let next = self.points[base + i] * libm::exp(log_return);
            self.points.push(next);
        }
    }
}

/// A Poisson(λ) count by inversion of the uniform `u`; capped at 32 jumps per bar.
fn poisson(u: f64, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let mut p = libm::exp(-lambda);
    let mut cdf = p;
    let mut k = 0;
    while u > cdf && k < 32 {
        k += 1;
        p *= lambda / f64::from(k);
        cdf += p;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::super::regime::RegimeParams;
    use super::*;
    use swarm_test_spec::Regime;

    fn paths(seed: u64, regime: Regime) -> GbmPaths {
        GbmPaths::new(default_universe(), seed, RegimeSegment::plain(regime))
    }

    /// Per-bar log-returns of one symbol over many independent seeded paths: the sample mean
    /// and variance match (μ − σ²/2)Δt and σ²Δt within 4 standard errors (σ√(Δt/n) for the
    /// mean, σ²Δt·√(2/(n − 1)) for the variance of normal returns). The seeds are fixed, so
    /// the test is deterministic; 4 SE is the tolerance a fresh seed set would pass with
    /// probability ≈ 0.9999. The high-volatility case has σ²Δt/2 > 5 SE, so it would catch a
    /// step that forgot the Itô correction.
    #[test]
    fn gbm_log_returns_have_the_configured_moments() {
        let wild = vec![SymbolSpec::new("X", 100.0, 30.0, 0.5)];
        let cases = [
            (default_universe(), Regime::Trending, "SPY", false),
            (default_universe(), Regime::Volatile, "TSLA", false),
            (wild, Regime::Volatile, "X", true),
        ];
        for (universe, regime, symbol, check_power) in cases {
            let spec = universe.iter().find(|s| s.name == symbol).unwrap().clone();
            let p = RegimeParams::of(regime);
            let sigma = p.volatility * spec.volatility_multiplier;
            let want_mean = (p.drift - 0.5 * sigma * sigma) * DT;
            let want_var = sigma * sigma * DT;
            let mut xs = Vec::new();
            for seed in 0..100 {
                let mut g = GbmPaths::new(universe.clone(), seed, RegimeSegment::plain(regime));
                let i = g.column(symbol).unwrap();
                for k in 0..1_000 {
                    xs.push(libm::log(g.point(k + 1, i) / g.point(k, i)));
                }
            }
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
            let se_mean = libm::sqrt(want_var / n);
            let se_var = want_var * libm::sqrt(2.0 / (n - 1.0));
            if check_power {
                assert!(0.5 * sigma * sigma * DT > 5.0 * se_mean);
            }
            assert!(
                (mean - want_mean).abs() < 4.0 * se_mean,
                "{regime:?} {symbol}: mean {mean} vs {want_mean} (se {se_mean})"
            );
            assert!(
                (var - want_var).abs() < 4.0 * se_var,
                "{regime:?} {symbol}: var {var} vs {want_var} (se {se_var})"
            );
        }
    }

    /// Sample correlation of SPY and QQQ log-returns is ℓ_SPY·ℓ_QQQ within 4 standard errors
    /// ((1 − ρ²)/√n for a correlation estimate).
    #[test]
    fn factor_loadings_set_the_correlation() {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for seed in 0..20 {
            let mut g = paths(seed, Regime::Calm);
            let (a, b) = (g.column("SPY").unwrap(), g.column("QQQ").unwrap());
            for k in 0..1_000 {
                xs.push(libm::log(g.point(k + 1, a) / g.point(k, a)));
                ys.push(libm::log(g.point(k + 1, b) / g.point(k, b)));
            }
        }
        let n = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let vx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        let vy: f64 = ys.iter().map(|y| (y - my) * (y - my)).sum();
        let rho = cov / libm::sqrt(vx * vy);
        let want = 0.95 * 0.90;
        let se = (1.0 - want * want) / libm::sqrt(n);
        assert!((rho - want).abs() < 4.0 * se, "rho {rho} vs {want}");
    }

    /// In a crash the mean log-return also carries the jumps: λ·β·E[J] per bar.
    #[test]
    fn crash_jumps_pull_returns_down() {
        let p = RegimeParams::of(Regime::Crash);
        let spy = &default_universe()[0];
        let sigma = p.volatility;
        let jump_var = p.jump_intensity * (p.jump_std * p.jump_std + p.jump_mean * p.jump_mean);
        let want_mean =
            (p.drift - 0.5 * sigma * sigma) * DT + p.jump_intensity * spy.beta() * p.jump_mean;
        let want_var = sigma * sigma * DT + spy.beta() * spy.beta() * jump_var;
        let mut xs = Vec::new();
        for seed in 0..40 {
            let mut g = paths(seed, Regime::Crash);
            let i = g.column("SPY").unwrap();
            for k in 0..1_000 {
                xs.push(libm::log(g.point(k + 1, i) / g.point(k, i)));
            }
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let se = libm::sqrt(want_var / n);
        assert!(mean < 0.0);
        assert!((mean - want_mean).abs() < 4.0 * se, "{mean} vs {want_mean}");
    }

    #[test]
    fn query_order_does_not_change_prices() {
        let mut a = paths(9, Regime::Volatile);
        let mut b = paths(9, Regime::Volatile);
        let late = a.price(2, 50 * BAR_MS + BAR_MS / 2);
        let early = a.price(0, BAR_MS + BAR_MS / 4);
        assert_eq!(b.price(0, BAR_MS + BAR_MS / 4), early);
        assert_eq!(b.price(2, 50 * BAR_MS + BAR_MS / 2), late);
        assert_eq!(
            a.history(1, 10 * BAR_MS, 5),
            b.history(1, 11 * BAR_MS - 1, 5)
        );
        assert_eq!(a.history(1, 2 * BAR_MS, 10).len(), 3);
    }

    #[test]
    fn interpolation_passes_through_the_points() {
        let mut g = paths(1, Regime::Volatile);
        let (p3, p4) = (g.point(3, 0), g.point(4, 0));
        assert_eq!(g.price(0, 3 * BAR_MS), p3);
        assert_eq!(g.price(0, 4 * BAR_MS), p4);
        let mid = g.price(0, 3 * BAR_MS + BAR_MS / 2);
        assert!((mid - libm::sqrt(p3 * p4)).abs() < 1e-9);
    }

    #[test]
    fn late_regime_change_regenerates_from_the_boundary() {
        let mut a = paths(5, Regime::Calm);
        let before = a.point(20, 0);
        let kept = a.point(10, 0);
        a.set_segment(10 * BAR_MS, RegimeSegment::plain(Regime::Crash));
        assert_eq!(a.point(10, 0), kept);
        assert_ne!(a.point(20, 0), before);
        let mut b = paths(5, Regime::Calm);
        b.set_segment(10 * BAR_MS, RegimeSegment::plain(Regime::Crash));
        assert_eq!(a.point(20, 0), b.point(20, 0));
    }

    #[test]
    fn poisson_inversion() {
        assert_eq!(poisson(0.5, 0.0), 0);
        assert_eq!(poisson(0.0, 0.02), 0);
        assert_eq!(poisson(0.99, 0.02), 1);
        assert_eq!(poisson(0.999_999, 0.02), 3);
    }

    #[test]
    fn universe_validation() {
        assert!(validate_universe(&default_universe()).is_ok());
        assert!(validate_universe(&[]).is_err());
        let mut dup = default_universe();
        dup.push(SymbolSpec::new("SPY", 1.0, 1.0, 0.0));
        assert!(validate_universe(&dup).unwrap_err().contains("twice"));
        assert!(validate_universe(&[SymbolSpec::new("X", -1.0, 1.0, 0.0)]).is_err());
        assert!(validate_universe(&[SymbolSpec::new("X", 1.0, 1.0, 1.5)]).is_err());
    }
}
