//! The autoscaler against a [`Driver`] (either driver): the trade flow runs, the autoscaler syncs every
//! `scale_interval` on the agents' reported load, and its decisions add or drain agents.

use swarm_test_spec::{ScaleSpec, Spec, TopologyKind};

use super::{after_setup, finish_draining, ready, role_of, Driver, PatternLog};
use crate::report::{round, ScaleEvent};
use crate::scale::{Autoscaler, Observation};
use crate::topology::AgentId;

/// CPU samples per sync interval; the autoscaler sees their mean, as a metrics pipeline
/// averages a scrape window. The default value is 10.
const SAMPLES_PER_INTERVAL: u64 = 10;

/// Mean CPU load of `agents` now, 0 for none.
fn mean_cpu<H: Driver>(sim: &H, agents: &[AgentId]) -> f64 {
    if agents.is_empty() {
        return 0.0;
    }
    agents.iter().map(|&a| sim.cpu_load(a)).sum::<f64>() / agents.len() as f64
}

/// Runs the trade flow of `spec.trades` trades with the autoscaler in the loop, until the
/// flow is done and every leaving agent has drained.
///
/// New agents take the role of the roster's last agent. A scale-down drains the
/// highest-numbered agents (never a star's hub or a hierarchy's coordinator).
pub(super) fn run<H: Driver>(
    sim: &mut H,
    spec: &Spec,
    scale: &ScaleSpec,
    log: &mut PatternLog,
) -> Result<(), String> {
    let (agents, active) = sim.with_core(|core| (core.agents().len(), core.active_agents().len()));
    let role = match agents {
        0 => swarm_test_spec::Role::MomentumTrader,
        n => role_of(sim, n - 1),
    };
    let keep_root = sim.with_core(|core| {
        matches!(
            core.topology().kind(),
            TopologyKind::Star | TopologyKind::Hierarchical
        )
    });
    let mut hpa = Autoscaler::new(scale.clone(), active);
    sim.start_trades(spec.trades);
    let interval = scale.interval_ms * 1_000;
    let mut t = sim.now_us();
    loop {
        let mut cpu = 0.0;
        for k in 1..=SAMPLES_PER_INTERVAL {
            sim.run_until(t + interval * k / SAMPLES_PER_INTERVAL)?;
            cpu += mean_cpu(sim, &ready(sim));
        }
        t += interval;
        sim.retire_drained();
        let serving = ready(sim);
        let observation = Observation {
            ready: serving.len(),
            cpu: cpu / SAMPLES_PER_INTERVAL as f64,
            memory: sim.memory_utilisation(&serving),
            volatility: sim.market_volatility(),
        };
        // When the sync read the signals: `t` in mock mode, a little after it live (so a
        // fault that started just before the reading shows as before the decision).
        let now = sim.now_us();
        if let Some(decision) = hpa.observe(now, &observation) {
            if decision.to > decision.from {
                for _ in decision.from..decision.to {
                    sim.add_agent(role);
                }
            } else {
                let mut active = sim.with_core(|core| core.active_agents());
                active.retain(|&a| !(keep_root && a == 0));
                for &agent in active.iter().rev().take(decision.from - decision.to) {
                    sim.drain_agent(agent);
                }
            }
            log.scaling.push(ScaleEvent {
                at_ms: after_setup(sim, now),
                from: decision.from as u64,
                to: decision.to as u64,
                reason: format!(
                    "{} (mean cpu {:.2}, memory {:.2}, volatility {:.2} over {} ready)",
                    decision.reason,
                    round(observation.cpu, 2),
                    round(observation.memory, 2),
                    observation.volatility,
                    observation.ready
                ),
            });
        }
        let flow_done = sim.flow_dispatched() as u64 >= spec.trades;
        if flow_done && sim.with_core(|core| core.ledger().open()) == 0 {
            break;
        }
    }
    finish_draining(sim)
}
