//! Strategy mix and rotation against a [`Driver`] (either driver): each request picks a strategy by weight
//! and is routed by capability to an agent of that strategy; at the end of each window the
//! weights move (rotation) from each strategy's error rate and PnL over the window.

use std::collections::BTreeMap;

use swarm_test_spec::{DeployKind, DeploySpec, Role, Spec};

use super::{after_setup, executors, outcome, role_of, Driver, PatternLog, REQUEST_GAP_US};
use crate::core::{Task, TaskId};
use crate::deploy::Rotation;
use crate::market::role_name;
use crate::report::{round, RotationWindow};
use crate::rng::SimRng;
use crate::world::SYMBOLS;

/// The capability that routes a strategy's tasks: its role's first one (momentum_detection,
/// pair_trading, arbitrage, …).
fn capability(role: Role) -> &'static str {
    role.capabilities()[0]
}

/// Runs `spec.trades` requests in windows of `step_requests`.
pub(super) fn run<H: Driver>(
    sim: &mut H,
    spec: &Spec,
    deploy: &DeploySpec,
    rng: &mut SimRng,
    log: &mut PatternLog,
) -> Result<(), String> {
    let mut strategies: Vec<Role> = Vec::new();
    for agent in executors(sim) {
        let role = role_of(sim, agent);
        if !strategies.contains(&role) {
            strategies.push(role);
        }
    }
    let names: Vec<String> = strategies.iter().map(|r| r.as_str().to_owned()).collect();
    let mut rotation = Rotation::new(names.clone(), deploy.kind == DeployKind::Rotation);
    let pnl_of = |sim: &mut H| -> Vec<f64> {
        let report = sim.trades_report();
        strategies
            .iter()
            .map(|&r| {
                report
                    .per_strategy
                    .get(role_name(r))
                    .map_or(0.0, |s| s.net_pnl)
            })
            .collect()
    };
    let mut pnl_before = pnl_of(sim);
    let mut sent = 0u64;
    while sent < spec.trades {
        let batch = deploy.step_requests.min(spec.trades - sent);
        let mut pending: Vec<(TaskId, usize)> = Vec::new();
        for _ in 0..batch {
            let pick = rotation.pick(rng.uniform());
            let symbol = SYMBOLS[(sent % SYMBOLS.len() as u64) as usize];
            sent += 1;
            let task = Task::trade(symbol).requires(capability(strategies[pick]));
            pending.push((sim.dispatch(task), pick));
            let gap = rng.exponential(REQUEST_GAP_US) as u64;
            sim.run_until(sim.now_us() + gap.max(1))?;
        }
        sim.run_until_settled()?;
        for (task, pick) in pending {
            let ok = outcome(sim, task).is_some_and(|o| o.ok);
            rotation.record(pick, ok);
        }
        let pnl_now = pnl_of(sim);
        let delta: Vec<f64> = pnl_now
            .iter()
            .zip(&pnl_before)
            .map(|(now, before)| round(now - before, 2))
            .collect();
        pnl_before = pnl_now;
        rotation.end_window(sim.now_us(), &delta);
    }
    for sample in rotation.samples() {
        let by_name = |values: &[f64], decimals| -> BTreeMap<String, f64> {
            names
                .iter()
                .cloned()
                .zip(values.iter().map(|v| round(*v, decimals)))
                .collect()
        };
        log.rotation.push(RotationWindow {
            at_ms: after_setup(sim, sample.at_us),
            weights: by_name(&sample.weights, 4),
            requests: names.iter().cloned().zip(sample.requests.clone()).collect(),
            error_rates: by_name(&sample.error_rates, 4),
            pnl: by_name(&sample.pnl, 2),
        });
    }
    Ok(())
}
