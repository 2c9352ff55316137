//! A fault's life in the world: it starts on its targets when due, acts (a kill, a load, a
//! pause, a market shock; network faults act in the switch, through the fault book), heals
//! (what is undoable is undone), and is blamed for the tasks it touched.

use swarm_test_spec::FaultKind;

use super::faults::{self, hangs, slows};
use super::{market_ms, Applied, Effects, Timer, World, MS};
use crate::core::TaskId;
use crate::topology::AgentId;
use crate::wire::MarketEvent;

impl World {
    /// `faults` acted on the task `task` is about, if it is about one.
    pub(crate) fn blame(&mut self, task: Option<TaskId>, faults: impl IntoIterator<Item = usize>) {
        if let Some(task) = task {
            self.recovery.blame(task, faults);
        }
    }

    /// `task`'s message or work went to `agent` dead, or died with it: the fault that killed
    /// it (as recorded when it died) is blamed, if a fault did.
    pub(crate) fn blame_killed(&mut self, task: Option<TaskId>, agent: AgentId) {
        let killer = self.recovery.killer(agent);
        self.blame(task, killer);
    }

    /// `task`'s message or work waits at `agent`, paused: its hangs are blamed.
    pub(crate) fn blame_held(&mut self, task: Option<TaskId>, agent: AgentId) {
        let hangs = self.active.blame(Some(agent), hangs);
        self.blame(task, hangs);
    }

    /// `task`'s work runs on `agent`: its CPU spikes, which slow it, are blamed.
    pub(crate) fn blame_slowed(&mut self, task: TaskId, agent: AgentId) {
        let spikes = self.active.blame(Some(agent), slows);
        self.recovery.blame(task, spikes);
    }

    /// Starts fault `index`, due now, on its targets (unless healed before it started, or
    /// its target cannot be hit in this swarm: then the trace says why).
    pub(crate) fn start_fault(&mut self, fx: &mut (impl Effects + ?Sized), index: usize) {
        let now = fx.now_us();
        if self.outcomes[index].healed_us.is_some() {
            return; // Healed by the test body before it started.
        }
        let Some(targets) = faults::targets_when_due(
            &self.faults[index],
            self.core.topology().kind(),
            self.core.agents(),
            &mut self.fault_rng,
            &mut self.trace,
            &mut self.outcomes[index],
            now,
        ) else {
            return;
        };
        self.apply_fault(fx, index, targets);
    }

    /// Starts fault `index` now on `targets`: its effects, its report entry, its trace line.
    pub(crate) fn apply_fault(
        &mut self,
        fx: &mut (impl Effects + ?Sized),
        index: usize,
        targets: Vec<AgentId>,
    ) {
        let now = fx.now_us();
        let spec = self.faults[index].clone();
        self.trace.record(
            now,
            format_args!("fault `{}` starts on agents {targets:?}", spec.text),
        );
        self.outcomes[index].targets = targets.clone();
        self.outcomes[index].at_us = Some(now);
        let mut applied = Applied {
            index,
            spec,
            targets,
            at_us: now,
        };
        if self.bug_inert(now, &mut applied) {
            self.active.start(applied);
            return;
        }
        match &applied.spec.kind {
            FaultKind::Crash {
                restart_after_ms, ..
            } => {
                for &agent in &applied.targets {
                    if fx.is_alive(agent) {
                        self.recovery.killed(agent, index);
                    }
                    self.kill(fx, agent, "crashed");
                    if let Some(d) = restart_after_ms {
                        fx.schedule(now + d * MS, Timer::Restart(agent));
                    }
                }
            }
            FaultKind::CpuSpike { .. }
            | FaultKind::MemoryLeak { .. }
            | FaultKind::ErrorRate { .. } => {
                for &agent in &applied.targets {
                    fx.agent_fault(self, agent, &applied, true);
                }
            }
            FaultKind::Hang { .. } => {
                for &agent in &applied.targets {
                    self.went_silent[agent].push(now);
                    fx.pause(self, agent);
                }
            }
            FaultKind::Volatility { level } => {
                let at_ms = market_ms(now);
                if let Some(before) = self.desk.market.segment_at(at_ms) {
                    self.calm_before.insert(index, before);
                }
                self.desk.market.volatility_shock(at_ms, *level);
                fx.market(MarketEvent::Shock {
                    id: index as u32,
                    at_ms,
                    level: *level,
                });
            }
            // Network faults act in the switch, through `active`.
            FaultKind::Latency { .. }
            | FaultKind::PacketLoss { .. }
            | FaultKind::NetworkIssue { .. }
            | FaultKind::Partition { .. } => {}
        }
        self.active.start(applied);
    }

    /// Heals fault `index` now, if it is in force: what is still undoable is undone. A crash's
    /// targets restart, empty-handed, if a crash killed them and no other crash holds them; an
    /// agent a leak killed stays dead.
    pub(crate) fn heal_fault(&mut self, fx: &mut (impl Effects + ?Sized), index: usize) {
        let now = fx.now_us();
        let Some(applied) = self.active.heal(index) else {
            return;
        };
        self.outcomes[index].healed_us = Some(now);
        self.trace
            .record(now, format_args!("fault `{}` heals", applied.spec.text));
        match applied.spec.kind {
            FaultKind::CpuSpike { .. }
            | FaultKind::MemoryLeak { .. }
            | FaultKind::ErrorRate { .. } => {
                for &agent in &applied.targets {
                    fx.agent_fault(self, agent, &applied, false);
                }
            }
            FaultKind::Hang { .. } => {
                for &agent in &applied.targets {
                    fx.resume(self, agent);
                }
            }
            FaultKind::Crash { .. } => {
                let crash = |k: &FaultKind| matches!(k, FaultKind::Crash { .. });
                for &agent in &applied.targets {
                    let by_crash = self
                        .recovery
                        .killer(agent)
                        .is_some_and(|k| crash(&self.faults[k].kind));
                    let held = !self.active.blame(Some(agent), crash).is_empty();
                    if !fx.is_alive(agent) && by_crash && !held {
                        fx.schedule(now, Timer::Restart(agent));
                    }
                }
            }
            FaultKind::Volatility { .. } => {
                let at_ms = market_ms(now);
                if let Some(before) = self.calm_before.remove(&index) {
                    self.desk.market.set_segment(at_ms, before);
                }
                fx.market(MarketEvent::Calm {
                    id: index as u32,
                    at_ms,
                });
            }
            FaultKind::Latency { .. }
            | FaultKind::PacketLoss { .. }
            | FaultKind::NetworkIssue { .. }
            | FaultKind::Partition { .. } => {}
        }
    }
}
