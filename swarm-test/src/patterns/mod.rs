//! Deployment patterns in both modes: the sans-IO controllers of [`crate::scale`] and
//! [`crate::deploy`] driven against a [`Driver`] (the simulator in mock mode, the live
//! controller and its agent processes in live mode), with what they did logged for the report.
//!
//! The harness calls [`run`] in place of the built-in trade flow: with autoscaling keys it
//! runs the trade flow while the autoscaler syncs; with `deploy` it sends the pattern's own
//! requests (blue-green and canary steps, strategy rotation windows). Measurements come from
//! the host (agents' CPU and memory: modelled in mock mode, sampled from the OS live; the
//! volatility fault in force; each task's ledger entry); decisions come from the controllers;
//! the driver only carries them out. The patterns' code is the same for both drivers: mock
//! mode runs it in virtual time, live mode in wall time.

mod autoscale;
mod progressive;
mod rotation;

pub(crate) use crate::driver::Driver;

use swarm_test_spec::{DeployKind, Spec, TopologyKind};

use crate::core::{Ending, TaskId};
use crate::deploy::RequestOutcome;
use crate::report::{ms, DeployStep, Report, RotationWindow, ScaleEvent};
use crate::rng::SimRng;
use crate::topology::AgentId;

/// Mean gap between two requests of a deployment's traffic, µs (exponential): the trade
/// flow's 25 ms. The default value is 25 ms.
pub(crate) const REQUEST_GAP_US: f64 = 25_000.0;

/// What a pattern did, for the report.
#[derive(Debug, Default)]
pub(crate) struct PatternLog {
    scaling: Vec<ScaleEvent>,
    deploy: Vec<DeployStep>,
    rotation: Vec<RotationWindow>,
}

impl PatternLog {
    /// Puts the log into the report's `scaling`, `deploy` and `rotation` sections.
    pub(crate) fn fill(self, report: &mut Report) {
        report.scaling = self.scaling;
        report.deploy = self.deploy;
        report.rotation = self.rotation;
    }
}

/// Runs the spec's pattern on a set-up `sim` (either driver), or the built-in trade flow
/// without one.
pub(crate) fn run<H: Driver>(spec: &Spec, seed: u64, sim: &mut H) -> Result<PatternLog, String> {
    let mut log = PatternLog::default();
    let mut rng = SimRng::new(seed).split("patterns");
    let result = if let Some(scale) = &spec.scale {
        autoscale::run(sim, spec, scale, &mut log)
    } else if let Some(deploy) = &spec.deploy {
        match deploy.kind {
            DeployKind::BlueGreen | DeployKind::Canary => {
                progressive::run(sim, deploy, &mut rng, &mut log)
            }
            DeployKind::StrategyMix | DeployKind::Rotation => {
                rotation::run(sim, spec, deploy, &mut rng, &mut log)
            }
        }
    } else {
        sim.start_trades(spec.trades);
        sim.run_until_idle()
    };
    result?;
    sim.run_until_faults_played_out()?;
    Ok(log)
}

/// The pattern in words, for the snapshot header: `autoscaling 2..=10 agents, target cpu
/// 0.50` or `deploy blue_green`; `None` without one.
pub(crate) fn describe(spec: &Spec) -> Option<String> {
    if let Some(scale) = &spec.scale {
        let memory = scale
            .target_memory
            .map_or(String::new(), |m| format!(", memory {m:.2}"));
        return Some(format!(
            "autoscaling {}..={} agents, target cpu {:.2}{memory}",
            scale.min_agents, scale.max_agents, scale.target_cpu
        ));
    }
    let deploy = spec.deploy.as_ref()?;
    let fault = deploy
        .new_version_fault
        .as_ref()
        .map_or(String::new(), |f| {
            format!(", new version with `{}`", version_fault(&f.text))
        });
    Some(format!("deploy {}{fault}", deploy.kind.as_str()))
}

/// A new version's fault as written, without the target it ignores (it hits the new
/// version's agents): `error_rate(0.3)`.
fn version_fault(text: &str) -> String {
    text.replace(", target = random)", ")")
        .replace("(target = random)", "")
}

/// Agents that execute tasks: every active agent but a star's hub or a hierarchy's
/// coordinator (agent 0, which routes).
fn executors<H: Driver>(sim: &H) -> Vec<AgentId> {
    sim.with_core(|core| {
        let routes = matches!(
            core.topology().kind(),
            TopologyKind::Star | TopologyKind::Hierarchical
        );
        core.active_agents()
            .into_iter()
            .filter(|&a| !(routes && a == 0))
            .collect()
    })
}

/// Ready agents that are not leaving.
fn ready<H: Driver>(sim: &H) -> Vec<AgentId> {
    sim.with_core(|core| {
        core.active_agents()
            .into_iter()
            .filter(|&a| core.agents()[a].state.is_available())
            .collect()
    })
}

/// The role of `agent`.
fn role_of<H: Driver>(sim: &H, agent: AgentId) -> swarm_test_spec::Role {
    sim.with_core(|core| core.agents()[agent].role)
}

/// Runs until no agent of `agents` is still starting. One that failed (a crash on the old
/// version, say) will never become ready: its work is failover's to reroute, not a reason to
/// wait until the test's timeout.
fn wait_ready<H: Driver>(sim: &mut H, agents: &[AgentId]) -> Result<(), String> {
    let starting = |sim: &H| {
        sim.with_core(|core| {
            agents
                .iter()
                .any(|&a| core.agents()[a].state == crate::core::AgentState::Starting)
        })
    };
    while starting(sim) {
        sim.run_until(sim.now_us() + 5_000)?;
    }
    Ok(())
}

/// Runs until no agent is draining, retiring each once it holds nothing.
fn finish_draining<H: Driver>(sim: &mut H) -> Result<(), String> {
    sim.retire_drained();
    while sim.draining() {
        sim.run_until(sim.now_us() + 5_000)?;
        sim.retire_drained();
    }
    Ok(())
}

/// How a finished task looks to a deployment's analysis: an error when its first attempt
/// failed or timed out (it was rerouted) or when it failed; `None` while it runs.
fn outcome<H: Driver>(sim: &H, task: TaskId) -> Option<RequestOutcome> {
    sim.with_core(|core| {
        let ledger = core.ledger();
        let ending = ledger.ending(task)?;
        let completed = matches!(ending, Ending::Completed { .. });
        Some(RequestOutcome {
            ok: completed && ledger.assignments(task).len() == 1,
            latency_us: core.latency_of(task),
        })
    })
}

/// Milliseconds from the end of setup to `t_us`.
fn after_setup<H: Driver>(sim: &H, t_us: u64) -> f64 {
    ms(t_us.saturating_sub(sim.ready_at_us().unwrap_or(0)))
}
