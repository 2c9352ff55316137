//! Strategy rotation: several strategies share the traffic; adaptive weights move work toward
//! the strategies with the lowest error rate and the best recent PnL.

use serde::{Deserialize, Serialize};

/// How far the weights move toward their target at each window, 0..=1. The default value is
/// 0.5: half the way, so one bad window does not starve a strategy.
pub const ADAPT_RATE: f64 = 0.5;

/// No strategy's weight falls below this before renormalising, so every strategy keeps
/// getting some traffic and can recover. The default value is 0.05.
pub const MIN_WEIGHT: f64 = 0.05;

/// How much recent PnL can tilt a weight: a strategy with the best PnL of the window gets up
/// to 25 % more than its error rate alone gives it, the worst up to 25 % less. The default
/// value is 0.25.
pub const PNL_TILT: f64 = 0.25;

/// The weights after one window, with the figures they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotationSample {
    /// End of the window, µs.
    pub at_us: u64,
    /// Each strategy's share of traffic for the next window, summing to 1.
    pub weights: Vec<f64>,
    /// Requests each strategy served in the window.
    pub requests: Vec<u64>,
    /// Each strategy's error rate in the window (the last known one if it served nothing).
    pub error_rates: Vec<f64>,
    /// Each strategy's PnL over the window.
    pub pnl: Vec<f64>,
}

/// The rotation controller. Pick a strategy per request with [`Rotation::pick`], record its
/// outcome, and close each window with [`Rotation::end_window`], which moves the weights (if
/// adaptive) and keeps a [`RotationSample`].
///
/// Adaptive rule, per window: `score = (1 − error rate)² × (1 + 0.25 × pnl / max |pnl|)`;
/// `target = score / Σ score`; `weight ← (1 − 0.5) × weight + 0.5 × target`; then at least
/// [`MIN_WEIGHT`] each and renormalised.
///
/// ```
/// use swarm_test::internals::deploy::Rotation;
///
/// let mut r = Rotation::new(vec!["momentum".into(), "pairs".into()], true);
/// assert_eq!(r.weights(), &[0.5, 0.5]);
/// for i in 0..10 {
///     r.record(0, true);
///     r.record(1, i % 2 == 0); // pairs fails half the time
/// }
/// r.end_window(1_000_000, &[0.0, 0.0]);
/// assert!(r.weights()[0] > 0.6, "{:?}", r.weights());
/// ```
#[derive(Debug, Clone)]
pub struct Rotation {
    names: Vec<String>,
    weights: Vec<f64>,
    adaptive: bool,
    requests: Vec<u64>,
    errors: Vec<u64>,
    last_error: Vec<f64>,
    samples: Vec<RotationSample>,
}

impl Rotation {
    /// Equal weights over `names`; `adaptive` false keeps them equal (a fixed strategy mix).
    pub fn new(names: Vec<String>, adaptive: bool) -> Self {
        let n = names.len().max(1);
        Rotation {
            weights: vec![1.0 / n as f64; names.len()],
            requests: vec![0; names.len()],
            errors: vec![0; names.len()],
            last_error: vec![0.0; names.len()],
            names,
            adaptive,
            samples: Vec::new(),
        }
    }

    /// The strategies, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The current weights, summing to 1.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The samples so far, one per window.
    pub fn samples(&self) -> &[RotationSample] {
        &self.samples
    }

    /// The strategy for a uniform draw `u` in `[0, 1)`: by cumulative weight.
    pub fn pick(&self, u: f64) -> usize {
        let mut acc = 0.0;
        for (i, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                return i;
            }
        }
        self.weights.len().saturating_sub(1)
    }

    /// Records one request's outcome for `strategy`.
    pub fn record(&mut self, strategy: usize, ok: bool) {
        self.requests[strategy] += 1;
        if !ok {
            self.errors[strategy] += 1;
        }
    }

    /// Closes a window at `now_us` with each strategy's PnL over it; moves the weights if
    /// adaptive; returns the sample.
    pub fn end_window(&mut self, now_us: u64, pnl: &[f64]) -> &RotationSample {
        let n = self.names.len();
        let error_rates: Vec<f64> = (0..n)
            .map(|i| match self.requests[i] {
                0 => self.last_error[i],
                r => self.errors[i] as f64 / r as f64,
            })
            .collect();
        if self.adaptive && n > 0 {
            let scale = pnl.iter().fold(0.0f64, |m, p| m.max(p.abs()));
            let scores: Vec<f64> = (0..n)
                .map(|i| {
                    let tilt = if scale > 0.0 { pnl[i] / scale } else { 0.0 };
                    let success = 1.0 - error_rates[i];
                    success * success * (1.0 + PNL_TILT * tilt)
                })
                .collect();
            let total: f64 = scores.iter().sum();
            let moved: Vec<f64> = (0..n)
                .map(|i| {
                    let target = if total > 0.0 {
                        scores[i] / total
                    } else {
                        1.0 / n as f64
                    };
                    ((1.0 - ADAPT_RATE) * self.weights[i] + ADAPT_RATE * target).max(MIN_WEIGHT)
                })
                .collect();
            let sum: f64 = moved.iter().sum();
            self.weights = moved.iter().map(|w| w / sum).collect();
        }
        self.samples.push(RotationSample {
            at_us: now_us,
            weights: self.weights.clone(),
            requests: self.requests.clone(),
            error_rates: error_rates.clone(),
            pnl: pnl.to_vec(),
        });
        self.last_error = error_rates;
        self.requests.iter_mut().for_each(|r| *r = 0);
        self.errors.iter_mut().for_each(|e| *e = 0);
        self.samples.last().expect("just pushed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three(adaptive: bool) -> Rotation {
        Rotation::new(
            vec!["momentum".into(), "pairs".into(), "arbitrage".into()],
            adaptive,
        )
    }

    fn window(r: &mut Rotation, error_every: [u64; 3], t: u64, pnl: [f64; 3]) {
        for i in 0..30 {
            for (s, every) in error_every.iter().enumerate() {
                r.record(s, *every == 0 || i % every != 0);
            }
        }
        r.end_window(t, &pnl);
    }

    #[test]
    fn picks_follow_cumulative_weights() {
        let r = three(false);
        assert_eq!(r.pick(0.0), 0);
        assert_eq!(r.pick(0.34), 1);
        assert_eq!(r.pick(0.99), 2);
        assert_eq!(r.pick(1.0), 2, "rounding past the end picks the last");
    }

    #[test]
    fn weights_move_toward_the_lowest_error_rate() {
        let mut r = three(true);
        // pairs fails every other request, arbitrage every 10th, momentum never.
        for t in 1..=6 {
            window(&mut r, [0, 2, 10], t, [0.0; 3]);
            let w = r.weights();
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(w[0] > w[2] && w[2] > w[1], "window {t}: {w:?}");
        }
        let first = &r.samples()[0];
        let last = r.samples().last().unwrap();
        assert!(last.weights[0] > first.weights[0], "momentum keeps gaining");
        assert!(last.weights[1] < first.weights[1], "pairs keeps losing");
        assert!(
            last.weights[1] >= MIN_WEIGHT * 0.9,
            "but never starves: {:?}",
            last.weights
        );
        assert_eq!(first.error_rates, vec![0.0, 0.5, 0.1]);
        assert_eq!(first.requests, vec![30, 30, 30]);
    }

    #[test]
    fn pnl_tilts_equal_error_rates() {
        let mut r = three(true);
        window(&mut r, [0, 0, 0], 1, [100.0, -50.0, 0.0]);
        let w = r.weights();
        assert!(w[0] > w[2] && w[2] > w[1], "{w:?}");
        // Hand-computed: scores 1.25, 0.875, 1 → targets /3.125 = 0.4, 0.28, 0.32;
        // halfway from 1/3: 0.36667, 0.30667, 0.32667.
        assert!((w[0] - 0.366_666_7).abs() < 1e-6, "{w:?}");
        assert!((w[1] - 0.306_666_7).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn a_fixed_mix_keeps_its_weights_but_records_samples() {
        let mut r = three(false);
        window(&mut r, [0, 2, 0], 1, [0.0; 3]);
        assert_eq!(r.weights(), &[1.0 / 3.0; 3]);
        assert_eq!(r.samples().len(), 1);
        assert_eq!(r.samples()[0].error_rates[1], 0.5);
    }

    #[test]
    fn a_silent_strategy_keeps_its_last_error_rate() {
        let mut r = three(true);
        window(&mut r, [0, 2, 0], 1, [0.0; 3]);
        r.record(0, true);
        r.end_window(2, &[0.0; 3]);
        assert_eq!(r.samples()[1].error_rates, vec![0.0, 0.5, 0.0]);
    }
}
