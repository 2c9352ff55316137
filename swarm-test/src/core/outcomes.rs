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
        self.agents[agent].refresh_state();
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
        self.agents[by].refresh_state();
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
