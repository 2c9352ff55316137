//! Faults injected while the simulation runs (`Swarm::inject`, `Swarm::heal`), through the
//! same effects as the attribute's faults; and the deliberate bug the harness's own tests
//! plant to prove it catches one.

use swarm_test_spec::{FaultKind, FaultSpec, Partition, Target};

use super::faults::Applied;
use super::{faults, Effects, FaultOutcome, Timer, World, MS};
use crate::config::InjectedBug;
use crate::core::TaskId;
use crate::error::InjectError;
use crate::topology::AgentId;

impl World {
    /// Adds a fault at run time, `spec.at_ms` from now (at once for 0), lasting `spec.for_ms`,
    /// through the same effects as the faults of the attribute. Returns its index in the run's
    /// faults and outcomes; an error if its target cannot exist in this swarm (e.g. `hub`
    /// outside a star).
    pub(crate) fn inject(
        &mut self,
        fx: &mut (impl Effects + ?Sized),
        spec: FaultSpec,
    ) -> Result<usize, InjectError> {
        if let Some(target) = spec.kind.target() {
            faults::check(target, self.core.topology().kind(), self.core.agents())?;
        }
        let now = fx.now_us();
        let index = self.faults.len();
        let start = now + spec.at_ms * MS;
        if let Some(d) = spec.for_ms {
            fx.schedule(start + d * MS, Timer::FaultEnd(index));
        }
        self.add(spec);
        if start == now {
            self.start_fault(fx, index);
        } else {
            fx.schedule(start, Timer::FaultStart(index));
        }
        Ok(index)
    }

    /// Heals fault `index` now (see [`World::inject`]); one that has not started yet never
    /// will. Healing a fault that already healed, or no fault, does nothing.
    pub(crate) fn heal(&mut self, fx: &mut (impl Effects + ?Sized), index: usize) {
        if self
            .outcomes
            .get(index)
            .is_none_or(|o| o.healed_us.is_some())
        {
            return;
        }
        self.heal_fault(fx, index);
        // Not started yet: mark it healed so its start is skipped.
        self.outcomes[index].healed_us.get_or_insert(fx.now_us());
    }

    /// Starts `fault` now on exactly `targets` (its own target and start are ignored), for its
    /// duration if it has one. Agent faults only (`error_rate`, `cpu_spike`, `hang`, `crash`,
    /// `memory_leak`); it is reported with the run's other faults.
    pub(crate) fn apply_fault_to(
        &mut self,
        fx: &mut (impl Effects + ?Sized),
        fault: &FaultSpec,
        targets: &[AgentId],
    ) {
        let index = self.faults.len();
        self.add(fault.clone());
        self.pinned[index] = true;
        self.apply_fault(fx, index, targets.to_vec());
        if let Some(d) = fault.for_ms {
            fx.schedule(fx.now_us() + d * MS, Timer::FaultEnd(index));
        }
    }

    fn add(&mut self, spec: FaultSpec) {
        self.faults.push(spec);
        self.pinned.push(false);
        self.outcomes.push(FaultOutcome::default());
        self.recovery.add_fault();
    }

    /// Plants a deliberate bug, so tests can prove the harness catches it. Not for users.
    pub(crate) fn inject_bug(&mut self, bug: InjectedBug) {
        self.bug = Some(bug);
        self.core.plant(bug);
    }

    /// `inert_<fault>`: a fault of that kind, as it starts, loses its effect: it hits no
    /// agent, and its delay, loss, load, rate or level is zero; it is still reported, traced
    /// and healed. Returns whether it did (the fault's own effects are then skipped).
    pub(super) fn bug_inert(&mut self, now_us: u64, applied: &mut Applied) -> bool {
        let Some(InjectedBug::Inert(kind)) = self.bug else {
            return false;
        };
        if applied.spec.kind.name() != kind {
            return false;
        }
        self.trace.record(
            now_us,
            format_args!(
                "(injected bug inert_{kind}) fault `{}` does nothing",
                applied.spec.text
            ),
        );
        applied.targets.clear();
        applied.spec.kind = match applied.spec.kind.clone() {
            FaultKind::CpuSpike { target, .. } => FaultKind::CpuSpike { load: 0.0, target },
            FaultKind::MemoryLeak { target, .. } => FaultKind::MemoryLeak {
                rate_mb_per_s: 0.0,
                target,
            },
            FaultKind::Latency { .. } => FaultKind::Latency {
                delay_ms: 0,
                jitter_ms: 0,
            },
            FaultKind::PacketLoss { .. } => FaultKind::PacketLoss { rate: 0.0 },
            FaultKind::NetworkIssue { .. } => FaultKind::NetworkIssue {
                delay_ms: 0,
                jitter_ms: 0,
                loss: 0.0,
            },
            // An isolated side of no agents separates nobody.
            FaultKind::Partition { .. } => FaultKind::Partition {
                cut: Partition::Isolate(Target::Index(0)),
            },
            FaultKind::ErrorRate { target, .. } => FaultKind::ErrorRate { rate: 0.0, target },
            FaultKind::Volatility { .. } => FaultKind::Volatility { level: 0.0 },
            // No target left: nobody dies or pauses.
            kind @ (FaultKind::Crash { .. } | FaultKind::Hang { .. }) => kind,
        };
        true
    }

    /// `drop_rerouted`: the first rerouted attempt is dropped with its timer, as a coordinator
    /// that forgot a task while rerouting it would: the task is lost.
    pub(super) fn bug_drops(&mut self, now_us: u64, task: TaskId) -> bool {
        if self.bug != Some(InjectedBug::DropRerouted) {
            return false;
        }
        let rerouted = self.core.ledger().assignments(task).len() > 1;
        if !rerouted {
            return false;
        }
        if self.bug_dropped.is_none() {
            self.bug_dropped = Some(task);
            self.trace.record(
                now_us,
                format_args!("(injected bug drop_rerouted) {task} dropped while rerouting"),
            );
        }
        self.bug_dropped == Some(task)
    }
}

#[cfg(test)]
mod tests {
    use swarm_test_spec::FaultSpec;

    use crate::config::InjectedBug;
    use crate::driver::sim::testing::started;

    #[test]
    fn faults_injected_at_run_time_take_effect_and_heal() {
        let mut s = started(&[("topology", "star"), ("agents", "4")], 2);
        let now = s.now_us();
        let crash = s.inject(FaultSpec::parse("crash(2)").unwrap()).unwrap();
        assert!(!s.is_alive(2), "@ 0: at once");
        assert_eq!(s.fault_outcomes()[crash].at_us, Some(now));
        let later = s.inject(FaultSpec::parse("hang(3) @ 1s").unwrap()).unwrap();
        let net = s
            .inject(FaultSpec::parse("latency(50ms) for 100ms").unwrap())
            .unwrap();
        assert_eq!((crash, later, net), (0, 1, 2));
        s.heal(crash);
        s.heal(later); // before it started: it never will
        s.run_until(now + 2_000_000).unwrap();
        assert!(s.is_alive(2), "healing a crash restarts its target");
        let o = s.fault_outcomes();
        assert_eq!(o[later].at_us, None);
        assert_eq!(o[later].healed_us, Some(now));
        assert_eq!(o[net].healed_us, Some(now + 100_000), "`for` heals on time");
        let e = s.inject(FaultSpec::parse("crash(coordinator)").unwrap());
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err(
                "target `coordinator` needs a hierarchical topology, but this swarm is a star"
                    .into()
            )
        );
        assert_eq!(s.fault_specs().len(), 3, "a rejected fault is not added");
        s.heal(7); // no such fault: nothing happens
    }

    #[test]
    fn the_planted_bug_loses_exactly_one_rerouted_task() {
        let pairs = [
            ("topology", "star"),
            ("agents", "5"),
            ("trades", "40"),
            ("inject", "crash(2) @ 200ms"),
        ];
        let mut s = started(&pairs, 3);
        s.inject_bug(InjectedBug::DropRerouted);
        s.start_trades(40);
        s.run_until_idle().unwrap();
        let v = s.core().ledger().violations();
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("was lost"), "{v:?}");
        let mut clean = started(&pairs, 3);
        clean.start_trades(40);
        clean.run_until_idle().unwrap();
        assert!(clean.core().ledger().violations().is_empty());
        assert!(
            clean.core().ledger().audit().rerouted > 0,
            "the bug had a reroute to drop"
        );
    }
}
