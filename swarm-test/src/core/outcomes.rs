//! How a task's attempt comes out: completion (deduplicated), blame for a failure, and what
//! both do to the agents' failure rates, latencies and circuit breakers.

use super::breaker::{BreakerState, Transition};
use super::coordinator::{Core, Output, Step};
use super::health::HealthEvent;
use super::ledger::Ending;
use super::task::TaskId;
use crate::topology::AgentId;

impl Core {
    /// `agent` failed `task` at its `step`: the task avoids it from now on, and if it was
    /// doing work (a stage or the execution) its failure rate and breaker count it.
    pub(super) fn blame(&mut self, now_us: u64, task: TaskId, agent: AgentId, step: Step) {
        super::coordinator::avoid_insert(&mut self.avoid, task, agent);
        if step == Step::Forward {
            return;
        }
        self.agents[agent].record_outcome(true);
        self.touch(agent);
        let config = self.breaker_config;
        if let Some(from) = self.breakers[agent].on_failure(&config, now_us) {
            let reason = match from {
                BreakerState::HalfOpen => format!("trial {task} failed"),
                _ => format!("{} consecutive failures", config.failure_threshold),
            };
            self.breaker_moved(agent, now_us, from, BreakerState::Open, reason);
        }
    }

    pub(super) fn breaker_moved(
        &mut self,
        agent: AgentId,
        at_us: u64,
        from: BreakerState,
        to: BreakerState,
        reason: String,
    ) {
        if from == BreakerState::Closed {
            self.breakers_tripped += 1;
        }
        if to == BreakerState::Closed {
            self.breakers_tripped -= 1;
        }
        let event = HealthEvent::Breaker(Transition {
            agent,
            at_us,
            from,
            to,
            reason,
        });
        self.health_log.push(event.clone());
        self.outputs.push_back(Output::Health(event));
    }

    pub(super) fn complete(&mut self, now_us: u64, task: TaskId, by: AgentId) {
        if self.ledger.has_ended(task) {
            return; // A late duplicate result: deduplicated by task id.
        }
        if let Some(at) = self.ledger.dispatched_at_us(task) {
            let latency = now_us.saturating_sub(at);
            self.latencies_us.push(latency);
            self.latency_of.insert(task, latency);
        }
        if let Some(&at) = self.attempt_started_us.get(&task) {
            self.agents[by].record_latency(now_us.saturating_sub(at) as f64 / 1_000.0);
        }
        self.agents[by].record_outcome(false);
        self.touch(by);
        if let Some(plan) = self.plans.get(&task).cloned() {
            for hop in plan.iter().filter(|h| h.step != Step::Forward) {
                if self.breakers[hop.agent].on_success() {
                    let reason = format!("trial {task} succeeded");
                    let (from, to) = (BreakerState::HalfOpen, BreakerState::Closed);
                    self.breaker_moved(hop.agent, now_us, from, to, reason);
                }
            }
        }
        self.last_completion_us = Some(now_us);
        self.ledger.ended(task, Ending::Completed { by });
        self.forget(task);
        self.outputs.push_back(Output::Ended(task));
    }
}

#[cfg(test)]
mod tests {
    use super::super::coordinator::{Envelope, WorkResult};
    use super::super::task::Task;
    use super::*;
    use crate::topology::Topology;
    use swarm_test_spec::{Role, Strategy, TopologyKind};

    fn core() -> Core {
        let mut core = Core::new(
            Topology::new(TopologyKind::Mesh, 3),
            &[Role::MomentumTrader; 3],
            Strategy::RoundRobin,
        )
        .unwrap();
        for a in 0..3 {
            core.agent_ready(0, a);
        }
        core
    }

    /// Delivers instantly; agent `bad` answers every task with an error.
    fn settle(core: &mut Core, now: u64, bad: AgentId) {
        while let Some(out) = core.poll_output() {
            match out {
                Output::Transmit(env @ Envelope { .. }) => core.handle_delivery(now, env),
                Output::Execute {
                    agent,
                    task,
                    plan,
                    hop,
                    ..
                } => {
                    let result = match agent == bad {
                        true => WorkResult::Error("injected".into()),
                        false => WorkResult::Done,
                    };
                    core.handle_work_done(now, agent, task, plan, hop, result);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn an_error_is_counted_and_the_retry_avoids_the_agent() {
        let mut c = core();
        let id = c.dispatch(0, Task::trade("SPY"));
        settle(&mut c, 0, 0);
        assert_eq!(
            c.ledger().assignments(id),
            &[0, 1],
            "retried on another agent"
        );
        assert!(matches!(
            c.ledger().ending(id),
            Some(super::super::ledger::Ending::Completed { by: 1 })
        ));
        assert_eq!(c.agents()[0].errors, 1);
        assert!(c.agents()[0].error_rate > 0.0);
        assert_eq!(c.breakers()[0].failures(), 1);
        assert_eq!(
            c.breakers()[0].state(),
            BreakerState::Closed,
            "one failure of three"
        );
        assert_eq!(c.agents()[1].error_rate, 0.0);
    }

    #[test]
    fn three_failures_open_it_and_a_successful_trial_closes_it() {
        let mut c = core();
        for t in 0..9 {
            c.dispatch(t, Task::trade("SPY"));
            settle(&mut c, t, 0);
        }
        assert_eq!(c.breakers()[0].state(), BreakerState::Open, "3 errors");
        let cool = c.breaker_config().cool_down_us;
        for t in 0..6 {
            c.dispatch(cool + 100 + t, Task::trade("QQQ"));
            settle(&mut c, cool + 100 + t, usize::MAX);
        }
        assert_eq!(c.breakers()[0].state(), BreakerState::Closed);
        let moves: Vec<_> = c
            .health_log()
            .iter()
            .filter_map(|e| match e {
                HealthEvent::Breaker(t) => Some((t.from, t.to)),
                _ => None,
            })
            .collect();
        use BreakerState::*;
        assert_eq!(
            moves,
            vec![(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed)]
        );
        assert!(c.ledger().violations().is_empty());
    }
}
