//! Faults in live mode: real effects on real processes and on the controller's switch.
//!
//! | fault | effect in live mode (process backend) |
//! |---|---|
//! | `cpu_spike(load)` | a thread in the target burns CPU `load` of every 10 ms; measured CPU rises |
//! | `memory_leak(rate)` | the target allocates and writes `rate` MB/s; at 1024 MB resident the controller kills it |
//! | `latency(delay, jitter)` | the switch holds every message `delay + U(0, jitter)` before delivering it |
//! | `packet_loss(rate)` | the switch drops each message with probability `rate` |
//! | `network_issue` | latency and loss together |
//! | `partition(halves \| isolate = T)` | the switch drops messages between the two sides |
//! | `crash(T)` | SIGKILL; `restart = D` starts a new process after `D`, empty-handed |
//! | `hang(T)` | SIGSTOP, and SIGCONT when the fault heals: what it holds waits, then moves |
//! | `error_rate(rate)` | the target answers each execution with an error with probability `rate` |
//! | `volatility(level)` | the controller's and every agent's market take the shock |
//!
//! Targets are resolved as in mock mode (same rules, the run's seeded RNG), so `crash(random)`
//! hits the same agent in both modes for a given seed. Detection and recovery are measured the
//! same way too: a task on a target times out or errors; a rerouted task completes.

use swarm_test_spec::{FaultKind, FaultSpec};

use crate::sim::{check, targets_when_due, Applied, FaultOutcome, MEMORY_LIMIT_MB};
use crate::topology::AgentId;
use crate::wire::{AgentFault, MarketEvent, ToAgent};

use super::state::{market_ms, State, Timer};

impl State {
    /// Adds a fault at run time, `spec.at_ms` from now, lasting `spec.for_ms`, as
    /// `Sim::inject` does in mock mode. Returns its index in `faults` and `outcomes`; an
    /// error if its target cannot exist in this swarm (e.g. `hub` outside a star).
    pub(crate) fn inject(&mut self, spec: FaultSpec) -> Result<usize, String> {
        if let Some(target) = spec.kind.target() {
            check(target, self.core.topology().kind(), self.core.agents())?;
        }
        Ok(self.add_fault(spec, None))
    }

    /// Adds a fault; `targets`, if given, are its agents instead of the ones its spec names
    /// (a deployment's new version, say).
    pub(crate) fn add_fault(&mut self, spec: FaultSpec, targets: Option<Vec<AgentId>>) -> usize {
        let now = self.now_us();
        let index = self.faults.len();
        let start = now + spec.at_ms * 1_000;
        if let Some(d) = spec.for_ms {
            self.schedule_at(start + d * 1_000, Timer::FaultEnd(index));
        }
        self.faults.push(spec);
        self.outcomes.push(FaultOutcome::default());
        self.pinned.push(targets);
        if start == now {
            self.start_fault(index);
        } else {
            self.schedule_at(start, Timer::FaultStart(index));
        }
        index
    }

    /// Heals fault `index` now (see [`State::inject`]); one that has not started yet never
    /// will. Healing a fault that already healed, or no fault, does nothing.
    pub(crate) fn heal(&mut self, index: usize) {
        let now = self.now_us();
        if self
            .outcomes
            .get(index)
            .is_none_or(|o| o.healed_us.is_some())
        {
            return;
        }
        self.heal_fault(index);
        // Not started yet: mark it healed so its start is skipped.
        self.outcomes[index].healed_us.get_or_insert(now);
    }

    pub(crate) fn start_fault(&mut self, index: usize) {
        let now = self.now_us();
        if self.outcomes[index].healed_us.is_some() {
            return; // Healed by the test body before it started.
        }
        let spec = self.faults[index].clone();
        let pinned = self.pinned.get(index).cloned().flatten();
        let Some(targets) = pinned.or_else(|| {
            targets_when_due(
                &spec,
                self.core.topology().kind(),
                self.core.agents(),
                &mut self.fault_rng,
                &mut self.trace,
                &mut self.outcomes[index],
                now,
            )
        }) else {
            return;
        };
        self.trace.record(
            now,
            format_args!("fault `{}` starts on agents {targets:?}", spec.text),
        );
        self.outcomes[index].targets = targets.clone();
        self.outcomes[index].at_us = Some(now);
        let id = index as u32;
        match &spec.kind {
            FaultKind::CpuSpike { load, .. } => {
                for &agent in &targets {
                    self.send(
                        agent,
                        &ToAgent::Fault(AgentFault::CpuSpike { id, load: *load }),
                    );
                }
            }
            FaultKind::MemoryLeak { rate_mb_per_s, .. } => {
                let fault = AgentFault::MemoryLeak {
                    id,
                    rate_mb_per_s: *rate_mb_per_s,
                    limit_mb: MEMORY_LIMIT_MB,
                };
                for &agent in &targets {
                    self.send(agent, &ToAgent::Fault(fault.clone()));
                }
            }
            FaultKind::ErrorRate { rate, .. } => {
                for &agent in &targets {
                    self.send(
                        agent,
                        &ToAgent::Fault(AgentFault::ErrorRate { id, rate: *rate }),
                    );
                }
            }
            FaultKind::Crash {
                restart_after_ms, ..
            } => {
                for &agent in &targets {
                    self.kill(agent, "crashed (SIGKILL)");
                    if let Some(d) = restart_after_ms {
                        self.schedule_at(now + d * 1_000, Timer::Restart(agent));
                    }
                }
            }
            FaultKind::Hang { .. } => {
                for &agent in &targets {
                    self.signal(agent, true);
                }
            }
            FaultKind::Volatility { level } => {
                let at_ms = market_ms(now);
                if let Some(before) = self.desk.market.segment_at(at_ms) {
                    self.calm_before.insert(index, before);
                }
                self.desk.market.volatility_shock(at_ms, *level);
                self.broadcast_market(MarketEvent::Shock {
                    id,
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
        self.active.start(Applied {
            index,
            spec,
            targets,
            at_us: now,
        });
    }

    pub(crate) fn heal_fault(&mut self, index: usize) {
        let now = self.now_us();
        let Some(applied) = self.active.heal(index) else {
            return;
        };
        self.outcomes[index].healed_us = Some(now);
        self.trace
            .record(now, format_args!("fault `{}` heals", applied.spec.text));
        let id = index as u32;
        match applied.spec.kind {
            FaultKind::CpuSpike { .. }
            | FaultKind::MemoryLeak { .. }
            | FaultKind::ErrorRate { .. } => {
                for &agent in &applied.targets {
                    self.send(agent, &ToAgent::Fault(AgentFault::Heal { id }));
                }
            }
            FaultKind::Hang { .. } => {
                for &agent in &applied.targets {
                    self.signal(agent, false);
                }
            }
            FaultKind::Crash { .. } => {
                // The crash is over: its targets restart, empty-handed, unless another crash
                // still holds them.
                let crash = |k: &FaultKind| matches!(k, FaultKind::Crash { .. });
                for &agent in &applied.targets {
                    let held = !self.active.blame(Some(agent), crash).is_empty();
                    if !self.slots[agent].alive && !held {
                        self.schedule_at(now, Timer::Restart(agent));
                    }
                }
            }
            FaultKind::Volatility { .. } => {
                let at_ms = market_ms(now);
                if let Some(before) = self.calm_before.remove(&index) {
                    self.desk.market.set_segment(at_ms, before);
                }
                self.broadcast_market(MarketEvent::Calm { id, at_ms });
            }
            _ => {}
        }
    }

    /// SIGSTOP (`pause`) or SIGCONT an agent's process.
    fn signal(&mut self, agent: usize, pause: bool) {
        let now = self.now_us();
        let Some(link) = self.slots[agent].link.as_mut() else {
            return;
        };
        let result = if pause {
            link.control.pause()
        } else {
            link.control.resume()
        };
        let what = if pause {
            "paused (SIGSTOP)"
        } else {
            "resumed (SIGCONT)"
        };
        match result {
            Ok(()) => self.trace.record(now, format_args!("agent {agent} {what}")),
            Err(e) => self
                .trace
                .record(now, format_args!("agent {agent} not {what}: {e}")),
        }
    }
}
