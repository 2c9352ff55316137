//! Blue-green and canary against a [`Driver`] (either driver): the new version's agents join (carrying the
//! `new_version_fault`, if any), requests are split between the versions' agents as the
//! controller routes them, outcomes go back to the controller, and its decisions are carried
//! out: more agents on promotion, the losing version drained and removed after the delay.

use swarm_test_spec::{DeployKind, DeploySpec};

use super::{
    after_setup, executors, finish_draining, outcome, role_of, version_fault, wait_ready, Driver,
    PatternLog, REQUEST_GAP_US,
};
use crate::core::{Task, TaskId};
use crate::deploy::{Action, BlueGreen, Canary, Phase, StepRecord, Tally, Version};
use crate::report::{ms, round, DeployStep};
use crate::rng::SimRng;
use crate::topology::AgentId;
use crate::world::SYMBOLS;

/// The two controllers behind one face.
enum Controller {
    BlueGreen(BlueGreen),
    Canary(Canary),
}

impl Controller {
    fn route(&mut self, u: f64) -> Option<(usize, Version)> {
        match self {
            Controller::BlueGreen(c) => c.route(u),
            Controller::Canary(c) => c.route(u),
        }
    }

    fn record(&mut self, step: usize, version: Version, outcome: crate::deploy::RequestOutcome) {
        match self {
            Controller::BlueGreen(c) => c.record(step, version, outcome),
            Controller::Canary(c) => c.record(step, version, outcome),
        }
    }

    fn poll(&mut self, now_us: u64) -> Option<Action> {
        match self {
            Controller::BlueGreen(c) => c.poll(now_us),
            Controller::Canary(c) => c.poll(now_us),
        }
    }

    fn phase(&self) -> Phase {
        match self {
            Controller::BlueGreen(c) => c.phase(),
            Controller::Canary(c) => c.phase(),
        }
    }

    fn scale_down_at_us(&self) -> Option<u64> {
        match self {
            Controller::BlueGreen(c) => c.scale_down_at_us(),
            Controller::Canary(c) => c.scale_down_at_us(),
        }
    }

    fn records(&self) -> &[StepRecord] {
        match self {
            Controller::BlueGreen(c) => c.records(),
            Controller::Canary(c) => c.records(),
        }
    }
}

/// Runs a blue-green or canary deployment to its end (the losing version removed).
pub(super) fn run<H: Driver>(
    sim: &mut H,
    deploy: &DeploySpec,
    rng: &mut SimRng,
    log: &mut PatternLog,
) -> Result<(), String> {
    let old = executors(sim);
    let roles: Vec<_> = old.iter().map(|&a| role_of(sim, a)).collect();
    let (names, joining, mut controller) = match deploy.kind {
        DeployKind::Canary => (
            ["stable", "canary"],
            deploy.canary_agents,
            Controller::Canary(Canary::new(deploy.clone())),
        ),
        _ => (
            ["blue", "green"],
            old.len(),
            Controller::BlueGreen(BlueGreen::new(deploy.clone())),
        ),
    };
    let mut new: Vec<AgentId> = (0..joining)
        .map(|i| sim.add_agent(roles[i % roles.len()]))
        .collect();
    wait_ready(sim, &new)?;
    if let Some(fault) = &deploy.new_version_fault {
        let mut fault = fault.clone();
        fault.text = format!("{} on {}", version_fault(&fault.text), names[1]);
        sim.apply_fault_to(&fault, &new);
    }
    let mut pending: Vec<(TaskId, usize, Version)> = Vec::new();
    let mut sent = 0usize;
    let mut served: Option<DeployStep> = None;
    loop {
        pending.retain(|&(task, step, version)| match outcome(sim, task) {
            Some(o) => {
                controller.record(step, version, o);
                false
            }
            None => true,
        });
        match controller.poll(sim.now_us()) {
            Some(Action::Promote { add_agents }) => {
                for i in 0..add_agents {
                    new.push(sim.add_agent(roles[(joining + i) % roles.len()]));
                }
            }
            Some(Action::ScaleDown(version)) => {
                let leaving = if version == Version::Old { &old } else { &new };
                for &agent in leaving {
                    sim.drain_agent(agent);
                }
                break;
            }
            Some(Action::Rollback | Action::NextStep | Action::RepeatStep) | None => {}
        }
        if controller.phase() != Phase::Progressing {
            // Decided: what is in flight finishes, the winner serves one step's worth of
            // requests alone, then the delay runs out.
            sim.run_until_settled()?;
            if served.is_none() {
                let promoted = controller.phase() == Phase::Promoted;
                let (winner, pool) = match promoted {
                    true => (Version::New, new.clone()),
                    false => (Version::Old, old.clone()),
                };
                wait_ready(sim, &pool)?;
                let tally = serve(sim, rng, &pool, winner, deploy.step_requests, &mut sent)?;
                let name = names[winner.index()];
                let weights = if promoted { vec![0, 100] } else { vec![100, 0] };
                served = Some(DeployStep {
                    at_ms: after_setup(sim, sim.now_us()),
                    phase: format!("after {}", if promoted { "promotion" } else { "rollback" }),
                    versions: names.iter().map(|n| n.to_string()).collect(),
                    weights,
                    observed: tally.routed.to_vec(),
                    error_rates: tally.error_rates().iter().map(|r| round(*r, 4)).collect(),
                    p99_ms: tally.p99s_us().iter().map(|&us| ms(us)).collect(),
                    outcome: "served".into(),
                    reason: format!(
                        "{name} alone on {} agents: success {:.2} over {}",
                        pool.len(),
                        tally.success_rate(winner).unwrap_or(0.0),
                        tally.answered[winner.index()]
                    ),
                });
            }
            if let Some(at) = controller.scale_down_at_us() {
                sim.run_until(at.max(sim.now_us()))?;
            }
            continue;
        }
        match controller.route(rng.uniform()) {
            Some((step, version)) => {
                let pool = if version == Version::Old { &old } else { &new };
                let symbol = SYMBOLS[sent % SYMBOLS.len()];
                sent += 1;
                let task = sim.dispatch_to(Task::trade(symbol), pool);
                pending.push((task, step, version));
                let gap = rng.exponential(REQUEST_GAP_US) as u64;
                sim.run_until(sim.now_us() + gap.max(1))?;
            }
            None => sim.run_until_settled()?, // the step waits for its outcomes
        }
    }
    sim.run_until_settled()?;
    finish_draining(sim)?;
    for record in controller.records() {
        if record.phase == "scale_down" {
            log.deploy.extend(served.take());
        }
        // Decisions carry weights and a reason; only analysed steps carry traffic figures.
        let step = record.phase.starts_with("step");
        let figures = |values: Vec<f64>| if step { values } else { Vec::new() };
        log.deploy.push(DeployStep {
            at_ms: after_setup(sim, record.at_us),
            phase: record.phase.clone(),
            versions: names.iter().map(|n| n.to_string()).collect(),
            weights: record.weights.to_vec(),
            observed: if step {
                record.routed.to_vec()
            } else {
                Vec::new()
            },
            error_rates: figures(record.error_rates.iter().map(|r| round(*r, 4)).collect()),
            p99_ms: figures(record.p99_us.iter().map(|&us| ms(us)).collect()),
            outcome: record.outcome.clone(),
            reason: record.reason.clone(),
        });
    }
    log.deploy.extend(served);
    Ok(())
}

/// Sends `n` requests to `pool` alone (the winner after a decision) and tallies them as
/// `version`.
fn serve<H: Driver>(
    sim: &mut H,
    rng: &mut SimRng,
    pool: &[AgentId],
    version: Version,
    n: u64,
    sent: &mut usize,
) -> Result<Tally, String> {
    let mut tally = Tally::default();
    let mut tasks = Vec::new();
    for _ in 0..n {
        let symbol = SYMBOLS[*sent % SYMBOLS.len()];
        *sent += 1;
        tasks.push(sim.dispatch_to(Task::trade(symbol), pool));
        tally.routed(version);
        let gap = rng.exponential(REQUEST_GAP_US) as u64;
        sim.run_until(sim.now_us() + gap.max(1))?;
    }
    sim.run_until_settled()?;
    for task in tasks {
        if let Some(o) = outcome(sim, task) {
            tally.record(version, o);
        }
    }
    Ok(tally)
}
