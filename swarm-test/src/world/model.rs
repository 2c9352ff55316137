//! The timing model of mock mode: link latencies, service times, start-up times.
//!
//! Every figure is drawn from the run's seeded RNG, so it varies like a real swarm and replays
//! exactly. The defaults describe agents on one LAN: sub-millisecond to a few milliseconds per
//! hop, a few milliseconds of work per task.

use swarm_test_spec::Role;

use crate::core::Step;
use crate::rng::SimRng;

/// Microseconds per millisecond.
pub(crate) const MS: u64 = 1_000;

/// Timing parameters of a simulated swarm, in microseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// One-way agent↔agent latency: `link_base_us + Exp(link_mean_us)`, capped at
    /// `link_cap_us`. The default values are 500 µs, 1 ms and 20 ms.
    pub link_base_us: f64,
    /// Mean of the exponential part of a link's latency.
    pub link_mean_us: f64,
    /// Latency cap (a slow link, not an infinite one).
    pub link_cap_us: f64,
    /// One-way client↔ingress latency: `client_base_us + Exp(client_mean_us)`. The default
    /// values are 200 µs and 300 µs.
    pub client_base_us: f64,
    /// Mean of the exponential part of the client link's latency.
    pub client_mean_us: f64,
    /// Time to forward a message: uniform in `[forward_us, 2 × forward_us)`. The default
    /// value is 100 µs.
    pub forward_us: f64,
    /// Order → exchange latency: `exchange_base_us + Exp(exchange_mean_us)`. The default
    /// values are 500 µs and 500 µs.
    pub exchange_base_us: f64,
    /// Mean of the exponential part of the exchange latency.
    pub exchange_mean_us: f64,
    /// Mean gap between trades of the built-in trade flow (exponential). The default value is
    /// 25 ms (40 trades per second offered).
    pub trade_gap_us: f64,
    /// Agent start-up time: uniform in `[startup_us, 5 × startup_us)`. The default value is
    /// 20 ms.
    pub startup_us: f64,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            link_base_us: 500.0,
            link_mean_us: 1_000.0,
            link_cap_us: 20_000.0,
            client_base_us: 200.0,
            client_mean_us: 300.0,
            forward_us: 100.0,
            exchange_base_us: 500.0,
            exchange_mean_us: 500.0,
            trade_gap_us: 25_000.0,
            startup_us: 20_000.0,
        }
    }
}

impl Model {
    /// One agent↔agent hop.
    pub fn link_us(&self, rng: &mut SimRng) -> u64 {
        (self.link_base_us + rng.exponential(self.link_mean_us)).min(self.link_cap_us) as u64
    }

    /// One client↔ingress hop.
    pub fn client_link_us(&self, rng: &mut SimRng) -> u64 {
        (self.client_base_us + rng.exponential(self.client_mean_us)) as u64
    }

    /// Order → exchange.
    pub fn exchange_us(&self, rng: &mut SimRng) -> u64 {
        (self.exchange_base_us + rng.exponential(self.exchange_mean_us)) as u64
    }

    /// Gap before the next trade of the built-in flow.
    pub fn trade_gap_us(&self, rng: &mut SimRng) -> u64 {
        rng.exponential(self.trade_gap_us) as u64
    }

    /// Start-up time of one agent.
    pub fn startup_us(&self, rng: &mut SimRng) -> u64 {
        rng.range_f64(self.startup_us, 5.0 * self.startup_us) as u64
    }

    /// Time for `role` to do `step` with no fault: a base by role plus exponential jitter.
    ///
    /// Bases (mean jitter) in ms: execution 5 (2); analysis stages: data collector 2 (1),
    /// neural forecaster 4 (2), risk manager 3 (1), others 3 (1); forwarding as
    /// [`Model::forward_us`].
    pub fn service_us(&self, role: Role, step: Step, rng: &mut SimRng) -> u64 {
        let (base, jitter) = match step {
            Step::Forward => return rng.range_f64(self.forward_us, 2.0 * self.forward_us) as u64,
            Step::Execute => (5_000.0, 2_000.0),
            Step::Stage => match role {
                Role::DataCollector => (2_000.0, 1_000.0),
                Role::NeuralForecaster => (4_000.0, 2_000.0),
                _ => (3_000.0, 1_000.0),
            },
        };
        (base + rng.exponential(jitter)) as u64
    }
}
