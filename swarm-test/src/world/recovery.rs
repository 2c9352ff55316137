//! Recovery metrics: which fault a reroute or a failure is owed to, when the swarm noticed a
//! fault, and when it recovered from it.
//!
//! Attribution is by *blame*, not by time alone. While a task's attempt is under way, every
//! time a fault acts on it, the fault is blamed on that attempt: a partition or packet loss
//! dropped one of its messages, a latency fault delayed one, a hang held one or held its work,
//! a crash (or a leak at the memory limit) killed the agent its message or work was on, a CPU
//! spike slowed its work, an error-rate fault answered it with an error. When the coordination
//! layer then gives up on that attempt (the client's timeout, or an error answer) and reroutes
//! or fails the task, the faults blamed on the attempt are credited with it:
//!
//! - `detected`: the first such moment is when the swarm *noticed* the fault;
//! - `tasks_affected`: tasks that had at least one attempt given up because of it;
//! - `tasks_rerouted`: of those, tasks moved to another agent because of it;
//! - `tasks_failed`: of those, tasks that ended failed (with a reason) because of it;
//! - `recovered`: the first moment a task it had caused to be rerouted completed.
//!
//! A fault that acted on nothing the swarm gave up on (a volatility shock, a spike too small to
//! cause a timeout) is never detected and credits nothing; a reroute can be credited to several
//! faults when several acted on the abandoned attempt. A failure detector in the coordination
//! layer (heartbeats) is another way for the swarm to notice a fault: the first of all ways
//! counts.

use std::collections::{BTreeMap, BTreeSet};

use crate::core::{Ending, Ledger, TaskId};
use crate::topology::AgentId;

use super::FaultOutcome;

/// What the ledger said about a task just before the coordination layer handled trouble.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Before {
    task: TaskId,
    attempts: usize,
    ended: bool,
}

/// Per-run bookkeeping behind the recovery metrics. See the module docs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recovery {
    /// Faults that acted on each open task since its current attempt started.
    blame: BTreeMap<TaskId, BTreeSet<usize>>,
    /// Faults that caused at least one reroute of each open task.
    rerouted_by: BTreeMap<TaskId, BTreeSet<usize>>,
    /// The fault that killed each dead agent.
    killed_by: BTreeMap<AgentId, usize>,
    /// Per fault: tasks affected, rerouted and failed because of it.
    affected: Vec<BTreeSet<TaskId>>,
    rerouted: Vec<BTreeSet<TaskId>>,
    failed: Vec<BTreeSet<TaskId>>,
}

impl Recovery {
    /// Bookkeeping for `faults` faults (more can be added with [`Recovery::add_fault`]).
    pub(crate) fn new(faults: usize) -> Recovery {
        let mut recovery = Recovery::default();
        for _ in 0..faults {
            recovery.add_fault();
        }
        recovery
    }

    /// Makes room for one more fault (injected at run time).
    pub(crate) fn add_fault(&mut self) {
        self.affected.push(BTreeSet::new());
        self.rerouted.push(BTreeSet::new());
        self.failed.push(BTreeSet::new());
    }

    /// A new attempt of `task` starts: nothing is blamed on it yet.
    pub(crate) fn attempt_started(&mut self, task: TaskId) {
        self.blame.remove(&task);
    }

    /// `faults` acted on `task`'s current attempt.
    pub(crate) fn blame(&mut self, task: TaskId, faults: impl IntoIterator<Item = usize>) {
        let mut faults = faults.into_iter().peekable();
        if faults.peek().is_some() {
            self.blame.entry(task).or_default().extend(faults);
        }
    }

    /// Fault `fault` killed `agent`.
    pub(crate) fn killed(&mut self, agent: AgentId, fault: usize) {
        self.killed_by.insert(agent, fault);
    }

    /// The fault that killed `agent`, if a fault did.
    pub(crate) fn killer(&self, agent: AgentId) -> Option<usize> {
        self.killed_by.get(&agent).copied()
    }

    /// Notes the ledger's view of `task` before the core handles a timeout or an error.
    pub(crate) fn before(ledger: &Ledger, task: TaskId) -> Before {
        Before {
            task,
            attempts: ledger.assignments(task).len(),
            ended: ledger.has_ended(task),
        }
    }

    /// Failover moved `task` (which had `attempts` attempts) off an agent the failure
    /// detector declared failed: like [`Recovery::gave_up`], the faults blamed on the attempt
    /// are credited, and the detector noticing them is when they were detected.
    pub(crate) fn failed_over(
        &mut self,
        task: TaskId,
        attempts: usize,
        ledger: &Ledger,
        now_us: u64,
        outcomes: &mut [FaultOutcome],
    ) {
        let before = Before {
            task,
            attempts,
            ended: false,
        };
        self.gave_up(before, ledger, now_us, outcomes);
    }

    /// The core handled a timeout or an error of `before.task`: if it gave up on the attempt
    /// (rerouted or failed the task), credits the faults blamed on the attempt.
    pub(crate) fn gave_up(
        &mut self,
        before: Before,
        ledger: &Ledger,
        now_us: u64,
        outcomes: &mut [FaultOutcome],
    ) {
        let task = before.task;
        if before.ended {
            return; // A late timer or answer for a task that had already ended.
        }
        let rerouted = ledger.assignments(task).len() > before.attempts;
        let failed = matches!(ledger.ending(task), Some(Ending::Failed { .. }));
        if !rerouted && !failed {
            return; // The core ignored it (a newer attempt owns the clock).
        }
        let Some(blamed) = self.blame.get(&task).cloned() else {
            return;
        };
        for fault in blamed {
            let outcome = &mut outcomes[fault];
            outcome.detected_us.get_or_insert(now_us);
            self.affected[fault].insert(task);
            outcome.tasks_affected = self.affected[fault].len() as u64;
            if rerouted {
                self.rerouted[fault].insert(task);
                outcome.tasks_rerouted = self.rerouted[fault].len() as u64;
                self.rerouted_by.entry(task).or_default().insert(fault);
            }
            if failed {
                self.failed[fault].insert(task);
                outcome.tasks_failed = self.failed[fault].len() as u64;
            }
        }
    }

    /// `task` ended: if it completed after a fault had it rerouted, the swarm recovered from
    /// that fault (the first such completion counts).
    pub(crate) fn ended(
        &mut self,
        task: TaskId,
        ledger: &Ledger,
        now_us: u64,
        outcomes: &mut [FaultOutcome],
    ) {
        self.blame.remove(&task);
        let Some(faults) = self.rerouted_by.remove(&task) else {
            return;
        };
        if matches!(ledger.ending(task), Some(Ending::Completed { .. })) {
            for fault in faults {
                outcomes[fault].recovered_us.get_or_insert(now_us);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger_with(task: TaskId, agents: &[AgentId]) -> Ledger {
        let mut ledger = Ledger::default();
        ledger.dispatched(task, 0);
        for &a in agents {
            ledger.assigned(task, a);
        }
        ledger
    }

    #[test]
    fn a_reroute_credits_the_blamed_faults_only() {
        let t = TaskId(0);
        let mut r = Recovery::new(3);
        let mut outcomes = vec![FaultOutcome::default(); 3];
        r.blame(t, [0]);
        r.blame(t, [2, 0]);
        let mut ledger = ledger_with(t, &[1]);
        let before = Recovery::before(&ledger, t);
        ledger.assigned(t, 2);
        r.gave_up(before, &ledger, 500, &mut outcomes);
        for f in [0, 2] {
            assert_eq!(outcomes[f].detected_us, Some(500));
            assert_eq!(
                (outcomes[f].tasks_affected, outcomes[f].tasks_rerouted),
                (1, 1)
            );
            assert_eq!(outcomes[f].tasks_failed, 0);
        }
        assert_eq!(outcomes[1], FaultOutcome::default(), "fault 1 did nothing");
        // The new attempt starts clean and completes: the swarm recovered from 0 and 2.
        r.attempt_started(t);
        ledger.ended(t, Ending::Completed { by: 2 });
        r.ended(t, &ledger, 900, &mut outcomes);
        assert_eq!(outcomes[0].recovered_us, Some(900));
        assert_eq!(outcomes[2].recovered_us, Some(900));
        assert_eq!(outcomes[1].recovered_us, None);
    }

    #[test]
    fn ignored_timeouts_and_unblamed_trouble_credit_nothing() {
        let t = TaskId(3);
        let mut r = Recovery::new(1);
        let mut outcomes = vec![FaultOutcome::default()];
        let mut ledger = ledger_with(t, &[1]);
        r.blame(t, [0]);
        // The core ignored the timer: no new attempt, no ending.
        r.gave_up(Recovery::before(&ledger, t), &ledger, 10, &mut outcomes);
        assert_eq!(outcomes[0].detected_us, None);
        // A new attempt, nothing blamed on it, then a reroute: still nothing.
        r.attempt_started(t);
        let before = Recovery::before(&ledger, t);
        ledger.assigned(t, 2);
        r.gave_up(before, &ledger, 20, &mut outcomes);
        assert_eq!(outcomes[0], FaultOutcome::default());
    }

    #[test]
    fn a_failure_is_credited_and_is_not_a_recovery() {
        let t = TaskId(1);
        let mut r = Recovery::new(1);
        let mut outcomes = vec![FaultOutcome::default()];
        let mut ledger = ledger_with(t, &[0]);
        r.blame(t, [0]);
        let before = Recovery::before(&ledger, t);
        ledger.assigned(t, 1);
        r.gave_up(before, &ledger, 5, &mut outcomes);
        r.blame(t, [0]);
        let before = Recovery::before(&ledger, t);
        ledger.ended(
            t,
            Ending::Failed {
                reason: "no agent".into(),
            },
        );
        r.gave_up(before, &ledger, 8, &mut outcomes);
        r.ended(t, &ledger, 8, &mut outcomes);
        let o = &outcomes[0];
        assert_eq!(
            (o.tasks_affected, o.tasks_rerouted, o.tasks_failed),
            (1, 1, 1)
        );
        assert_eq!((o.detected_us, o.recovered_us), (Some(5), None));
        // Late trouble on an ended task changes nothing.
        r.blame(t, [0]);
        r.gave_up(Recovery::before(&ledger, t), &ledger, 9, &mut outcomes);
        assert_eq!(outcomes[0].tasks_affected, 1);
    }

    /// The attribution end to end, through the simulator.
    mod in_the_sim {
        use crate::driver::sim::testing::{run, spec};
        use crate::driver::sim::Sim;

        /// What must hold of every fault's numbers, whatever happened.
        fn consistent(sim: &Sim, what: &str) {
            let audit = sim.core().ledger().audit();
            let ever_rerouted = (0..audit.dispatched)
                .filter(|&i| sim.core().ledger().assignments(crate::TaskId(i)).len() > 1)
                .count() as u64;
            for (spec, o) in sim.fault_specs().iter().zip(sim.fault_outcomes()) {
                let at = format!("{what}, `{}`: {o:?}", spec.text);
                assert!(o.tasks_rerouted <= o.tasks_affected, "{at}");
                assert!(o.tasks_failed <= o.tasks_affected, "{at}");
                assert!(o.tasks_failed <= audit.failed, "{at}");
                assert!(o.tasks_rerouted <= ever_rerouted, "{at}");
                // Noticed whenever a task was affected; heartbeats may notice it sooner.
                if o.tasks_affected > 0 {
                    assert!(o.detected_us.is_some(), "{at}");
                }
                if let Some(recovered) = o.recovered_us {
                    assert!(o.tasks_rerouted > 0, "{at}");
                    assert!(o.detected_us.is_some_and(|d| d <= recovered), "{at}");
                }
                if let (Some(at_us), Some(d)) = (o.at_us, o.detected_us) {
                    assert!(at_us <= d, "{at}");
                }
            }
        }

        #[test]
        fn a_crashed_spoke_is_credited_with_its_reroutes() {
            let sim = run(
                &spec(&[
                    ("topology", "star"),
                    ("agents", "5"),
                    ("trades", "40"),
                    ("inject", "crash(2) @ 200ms"),
                    ("inject", "volatility(0.9) @ 100ms"),
                ]),
                3,
            );
            consistent(&sim, "star");
            let (crash, shock) = (&sim.fault_outcomes()[0], &sim.fault_outcomes()[1]);
            assert!(crash.tasks_rerouted > 0, "{crash:?}");
            assert_eq!(crash.tasks_failed, 0, "{crash:?}");
            let (at, detected) = (crash.at_us.unwrap(), crash.detected_us.unwrap());
            // Noticed by the failure detector (missed heartbeats), before any client timeout:
            // the silence is timed from the last heartbeat, up to one interval before the crash.
            use crate::core::{FAILURE_TIMEOUT_US, HEARTBEAT_INTERVAL_US, TASK_TIMEOUT_US};
            let window = FAILURE_TIMEOUT_US - HEARTBEAT_INTERVAL_US..TASK_TIMEOUT_US;
            assert!(window.contains(&(detected - at)), "{crash:?}");
            assert!(crash.recovered_us.unwrap() > detected);
            assert_eq!(
                (shock.detected_us, shock.tasks_affected),
                (None, 0),
                "a market shock delays and drops nothing: {shock:?}"
            );
        }

        #[test]
        fn a_dead_hub_is_credited_with_the_failover() {
            let sim = run(
                &spec(&[
                    ("topology", "star"),
                    ("agents", "4"),
                    ("inject", "crash(hub)"),
                ]),
                3,
            );
            consistent(&sim, "star");
            // The spokes declare the hub failed and spoke 1 takes over: every trade completes,
            // and the tasks lost at the dead hub are credited to the crash as reroutes.
            let o = &sim.fault_outcomes()[0];
            let audit = sim.core().ledger().audit();
            assert_eq!((audit.completed, audit.failed), (20, 0));
            assert!(o.tasks_rerouted > 0, "{o:?}");
            assert_eq!(o.tasks_failed, 0, "{o:?}");
            assert!(o.recovered_us.is_some(), "{o:?}");
        }

        #[test]
        fn every_fault_on_every_topology_has_consistent_numbers() {
            let faults = [
                "cpu_spike(0.95, target = all)",
                "memory_leak(2000)",
                "latency(600ms, jitter = 100ms) @ 100ms for 1s",
                "packet_loss(0.2)",
                "network_issue",
                "partition(halves) @ 100ms for 2s",
                "partition(isolate = 1) @ 100ms for 2s",
                "crash(random, restart = 1s) @ 50ms",
                "crash(1) @ 50ms for 500ms",
                "hang(random) @ 100ms for 2s",
                "error_rate(0.3, target = all)",
                "volatility(0.9) @ 100ms for 1s",
            ];
            let mut detected = 0;
            for topology in ["mesh", "hierarchical", "ring", "star"] {
                for fault in faults {
                    for seed in 0..3 {
                        let pairs = [("topology", topology), ("agents", "6"), ("inject", fault)];
                        let sim = run(&spec(&pairs), seed);
                        consistent(&sim, &format!("{topology} seed {seed}"));
                        detected += usize::from(sim.fault_outcomes()[0].detected_us.is_some());
                    }
                }
            }
            assert!(
                detected > 30,
                "most faults are noticed somewhere: {detected}"
            );
        }
    }
}
