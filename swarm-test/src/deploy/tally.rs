//! Per-version request counts and latencies: what a step's analysis reads.

use serde::{Deserialize, Serialize};

use super::{RequestOutcome, Version};

/// The nearest-rank 99th percentile of `samples` (µs); 0 for none.
///
/// ```
/// use swarm_test::internals::deploy::p99_us;
///
/// let samples: Vec<u64> = (1..=200).collect();
/// assert_eq!(p99_us(&samples), 198); // rank ceil(0.99 × 200) = 198
/// assert_eq!(p99_us(&[]), 0);
/// ```
pub fn p99_us(samples: &[u64]) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    // Nearest rank: ceil(0.99 × n), computed in integers to avoid float noise.
    let rank = (99 * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// Requests routed to each version, their outcomes and latencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Requests routed, `[old, new]`.
    pub routed: [u64; 2],
    /// Outcomes recorded, `[old, new]`.
    pub answered: [u64; 2],
    /// Outcomes that were errors, `[old, new]`.
    pub errors: [u64; 2],
    /// Latencies of completed requests, µs, `[old, new]`.
    pub latencies_us: [Vec<u64>; 2],
}

impl Tally {
    /// Counts one routed request.
    pub fn routed(&mut self, version: Version) {
        self.routed[version.index()] += 1;
    }

    /// Counts one outcome.
    pub fn record(&mut self, version: Version, outcome: RequestOutcome) {
        let v = version.index();
        self.answered[v] += 1;
        if !outcome.ok {
            self.errors[v] += 1;
        }
        if let Some(us) = outcome.latency_us {
            self.latencies_us[v].push(us);
        }
    }

    /// Every routed request has an outcome.
    pub fn settled(&self) -> bool {
        self.routed == self.answered
    }

    /// Error rate of `version` over its answered requests (0 for none).
    pub fn error_rate(&self, version: Version) -> f64 {
        let v = version.index();
        match self.answered[v] {
            0 => 0.0,
            n => self.errors[v] as f64 / n as f64,
        }
    }

    /// Success rate of `version`, or `None` if it answered nothing.
    pub fn success_rate(&self, version: Version) -> Option<f64> {
        let v = version.index();
        (self.answered[v] > 0).then(|| 1.0 - self.error_rate(version))
    }

    /// p99 latency of `version`, µs.
    pub fn p99_us(&self, version: Version) -> u64 {
        p99_us(&self.latencies_us[version.index()])
    }

    /// Error rates of both versions.
    pub fn error_rates(&self) -> [f64; 2] {
        [self.error_rate(Version::Old), self.error_rate(Version::New)]
    }

    /// p99 latencies of both versions, µs.
    pub fn p99s_us(&self) -> [u64; 2] {
        [self.p99_us(Version::Old), self.p99_us(Version::New)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentile() {
        assert_eq!(p99_us(&[7]), 7);
        let hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(p99_us(&hundred), 99);
        let ten: Vec<u64> = (1..=10).collect();
        assert_eq!(p99_us(&ten), 10, "ceil(9.9) = 10th of 10");
    }

    #[test]
    fn rates_per_version() {
        let mut t = Tally::default();
        for i in 0..10 {
            t.routed(Version::New);
            t.record(
                Version::New,
                RequestOutcome {
                    ok: i % 5 != 0,
                    latency_us: Some(1_000 + i),
                },
            );
        }
        t.routed(Version::Old);
        assert!(!t.settled());
        assert_eq!(t.error_rate(Version::New), 0.2);
        assert_eq!(t.success_rate(Version::New), Some(0.8));
        assert_eq!(t.success_rate(Version::Old), None);
        assert_eq!(t.p99_us(Version::New), 1_009);
        assert_eq!(t.error_rates(), [0.0, 0.2]);
    }
}
