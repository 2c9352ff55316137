//! The run's event trace for the timeline: task attempts per agent and a sample of the
//! messages, recorded from the core's outputs with the driver's clock, capped in size.
//!
//! Why here and not in the [`Report`]: the report is what a snapshot shows, and a trace of
//! every message would drown it. The trace goes into the JSON report file only (see
//! [`ReportFile`](super::file::ReportFile)), beside what the report already times: faults,
//! detections, promotions, breaker moves, scaling and rollout steps.
//!
//! Both drivers hand each output the core emits to [`Core::observe`] with their own clock
//! (virtual in mock mode, so the trace is deterministic there); that is the only place
//! events are recorded. Each list keeps its first [`TRACE_CAP`] entries and counts the rest.

use serde::{Deserialize, Serialize};

use crate::core::{Core, Ending, Endpoint, Message, Output, TaskId};
use crate::report::{ms, Report};
use crate::topology::AgentId;

/// Entries kept per list (task attempts, task endings, messages, latencies). The default
/// value is 5,000: a 200-trade run with heartbeats stays well under it, and a page with that
/// many marks still draws at once.
pub const TRACE_CAP: usize = 5_000;

/// What one driver saw of the core's outputs, in order. Cheap on the per-event path: one
/// match and at most one push per output, nothing that scans the swarm.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    attempts: Vec<(TaskId, AgentId, u64)>,
    attempts_left_out: u64,
    ended: Vec<(TaskId, u64)>,
    messages: Vec<(u64, Endpoint, Endpoint, &'static str, Option<TaskId>)>,
    messages_left_out: u64,
    sent: Vec<u64>,
    heartbeats: Vec<u64>,
}

impl Recorder {
    /// Records `output`, which the core emitted at `now_us` (the driver's clock, µs).
    pub fn observe(&mut self, now_us: u64, output: &Output) {
        match output {
            Output::Transmit(envelope) => {
                let (from, to) = (envelope.from, envelope.to);
                // Between agents only, as `report.messages` counts them.
                if let (Endpoint::Agent(a), Endpoint::Agent(_)) = (from, to) {
                    let counts = match envelope.msg.is_heartbeat() {
                        true => &mut self.heartbeats,
                        false => &mut self.sent,
                    };
                    if counts.len() <= a {
                        counts.resize(a + 1, 0);
                    }
                    counts[a] += 1;
                }
                let (kind, task) = match &envelope.msg {
                    Message::Heartbeat { .. } => return,
                    Message::Task { task, plan, hop } => {
                        if from == Endpoint::Client && *hop == 0 {
                            // A new attempt: the client sends the task to its plan's ingress.
                            let executor = plan[plan.len() - 1].agent;
                            push(
                                &mut self.attempts,
                                &mut self.attempts_left_out,
                                (*task, executor, now_us),
                            );
                        }
                        ("task", Some(*task))
                    }
                    Message::Result { task, .. } => ("result", Some(*task)),
                    Message::VoteRequest { .. } => ("vote_request", None),
                    Message::VoteReply { .. } => ("vote_reply", None),
                };
                push(
                    &mut self.messages,
                    &mut self.messages_left_out,
                    (now_us, from, to, kind, task),
                );
            }
            Output::Ended(task) if self.ended.len() < TRACE_CAP => {
                self.ended.push((*task, now_us));
            }
            _ => {}
        }
    }
}

fn push<T>(list: &mut Vec<T>, left_out: &mut u64, item: T) {
    if list.len() < TRACE_CAP {
        list.push(item);
    } else {
        *left_out += 1;
    }
}

/// The event trace of one run, as written into the JSON report file under `timeline`.
/// Times are ms after setup, like the report's. Faults, detections, promotions, breaker
/// moves, scale and rollout steps are in the report itself; this adds what happened to each
/// task and message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Timeline {
    /// Entries kept per list ([`TRACE_CAP`]); the `*_left_out` counts say what was not kept.
    pub cap: u64,
    /// Each attempt of each task on its executor, in the order the attempts started.
    pub tasks: Vec<TaskSpan>,
    /// Attempts past the cap.
    pub tasks_left_out: u64,
    /// Messages other than heartbeats, in the order they were sent.
    pub messages: Vec<MessageMark>,
    /// Messages past the cap.
    pub messages_left_out: u64,
    /// Messages each agent sent, heartbeats apart, by agent id.
    pub sent_by_agent: Vec<u64>,
    /// Heartbeats each agent sent, by agent id.
    pub heartbeats_by_agent: Vec<u64>,
    /// End-to-end latency of each completed task, ms, in completion order (the samples
    /// behind `report.latency`, for distributions).
    pub latencies_ms: Vec<f64>,
}

/// One attempt of a task on the agent chosen to execute it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpan {
    /// The task's id.
    pub task: u64,
    /// 1 for the first attempt, 2 after the first reroute, ...
    pub attempt: u64,
    /// The executor.
    pub agent: AgentId,
    /// When the client sent it, ms after setup.
    pub start_ms: f64,
    /// When the attempt ended (the task ended, or its next attempt started), ms after setup;
    /// `null` if it never did.
    pub end_ms: Option<f64>,
    /// `completed`, `failed`, `rerouted` (a later attempt took over) or `open`.
    pub outcome: String,
    /// Why it failed, for `failed`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// One message, from sender to receiver (`null`: the client, outside the topology).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageMark {
    /// When it was sent, ms after setup.
    pub at_ms: f64,
    /// Sender.
    pub from: Option<AgentId>,
    /// Receiver.
    pub to: Option<AgentId>,
    /// `task`, `result`, `vote_request` or `vote_reply`.
    pub kind: String,
    /// The task it carries, if any.
    pub task: Option<u64>,
}

impl Timeline {
    /// The trace `core` recorded, timed after setup as `report` is.
    pub fn build(core: &Core, report: &Report) -> Timeline {
        let rec = core.recorder();
        let setup_us = (report.setup_ms * 1_000.0).round() as u64;
        let at = |t: u64| ms(t.saturating_sub(setup_us));
        let ledger = core.ledger();
        let ended: std::collections::BTreeMap<TaskId, u64> = rec.ended.iter().copied().collect();
        // Attempts of one task follow each other: group them, keeping start order.
        let mut order: Vec<usize> = (0..rec.attempts.len()).collect();
        order.sort_by_key(|&i| (rec.attempts[i].0, rec.attempts[i].2, i));
        let mut spans = vec![None; rec.attempts.len()];
        for (k, &i) in order.iter().enumerate() {
            let (task, agent, start) = rec.attempts[i];
            let next = order
                .get(k + 1)
                .map(|&j| rec.attempts[j])
                .filter(|next| next.0 == task);
            let attempt = order[..k]
                .iter()
                .rev()
                .take_while(|&&j| rec.attempts[j].0 == task)
                .count() as u64
                + 1;
            let (end, outcome, reason) = match next {
                Some((_, _, next_start)) => (Some(next_start), "rerouted", String::new()),
                None => match (ended.get(&task), ledger.ending(task)) {
                    (Some(&t), Some(Ending::Completed { .. })) => {
                        (Some(t), "completed", String::new())
                    }
                    (Some(&t), Some(Ending::Failed { reason })) => {
                        (Some(t), "failed", reason.clone())
                    }
                    _ => (None, "open", String::new()),
                },
            };
            spans[i] = Some(TaskSpan {
                task: task.0,
                attempt,
                agent,
                start_ms: at(start),
                end_ms: end.map(at),
                outcome: outcome.to_owned(),
                reason,
            });
        }
        let endpoint = |e: Endpoint| match e {
            Endpoint::Client => None,
            Endpoint::Agent(a) => Some(a),
        };
        Timeline {
            cap: TRACE_CAP as u64,
            tasks: spans.into_iter().flatten().collect(),
            tasks_left_out: rec.attempts_left_out,
            messages: rec
                .messages
                .iter()
                .map(|&(t, from, to, kind, task)| MessageMark {
                    at_ms: at(t),
                    from: endpoint(from),
                    to: endpoint(to),
                    kind: kind.to_owned(),
                    task: task.map(|t| t.0),
                })
                .collect(),
            messages_left_out: rec.messages_left_out,
            sent_by_agent: rec.sent.clone(),
            heartbeats_by_agent: rec.heartbeats.clone(),
            latencies_ms: core
                .latencies_us()
                .iter()
                .take(TRACE_CAP)
                .map(|&us| ms(us))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crashed_star() -> (crate::sim::Sim, Report) {
        let spec = swarm_test_spec::SpecBuilder::new("trace", "review::trace::tests")
            .with("topology", "star")
            .with("agents", 4u64)
            .with("trades", 30u64)
            .with("inject", "crash(1) @ 200ms")
            .build()
            .unwrap();
        let mut sim = crate::sim::Sim::new(&spec, 3).unwrap();
        sim.setup().unwrap();
        sim.start_trades(30);
        sim.run_until_idle().unwrap();
        let report = crate::metrics::capture(&mut sim, "trace", 3);
        (sim, report)
    }

    #[test]
    fn every_task_ends_on_its_last_attempt_and_reroutes_chain() {
        let (sim, report) = crashed_star();
        let t = Timeline::build(sim.core(), &report);
        assert_eq!(t.tasks_left_out, 0);
        let last: std::collections::BTreeMap<u64, &TaskSpan> =
            t.tasks.iter().map(|s| (s.task, s)).collect();
        assert_eq!(last.len() as u64, report.tasks.dispatched);
        let completed = last.values().filter(|s| s.outcome == "completed").count() as u64;
        assert_eq!(completed, report.tasks.completed);
        let rerouted = t.tasks.iter().filter(|s| s.outcome == "rerouted").count() as u64;
        assert_eq!(rerouted, report.tasks.rerouted);
        assert!(rerouted > 0, "the crash of agent 1 rerouted nothing: {t:?}");
        // A rerouted attempt was on the crashed agent and ends when the next one starts.
        for s in t.tasks.iter().filter(|s| s.outcome == "rerouted") {
            let next = t
                .tasks
                .iter()
                .find(|n| n.task == s.task && n.attempt == s.attempt + 1)
                .unwrap();
            assert_eq!(s.end_ms, Some(next.start_ms));
            assert!(s.start_ms <= next.start_ms);
        }
        assert_eq!(t.latencies_ms.len() as u64, report.tasks.completed);
        let sent: u64 =
            t.sent_by_agent.iter().sum::<u64>() + t.heartbeats_by_agent.iter().sum::<u64>();
        assert!(sent <= report.messages.sent && sent > 0);
        assert_eq!(
            t.heartbeats_by_agent.iter().sum::<u64>(),
            report.messages.heartbeats
        );
        assert!(t
            .messages
            .iter()
            .any(|m| m.from.is_none() && m.kind == "task"));
    }

    #[test]
    fn the_trace_is_deterministic() {
        let (a, ra) = crashed_star();
        let (b, rb) = crashed_star();
        assert_eq!(
            Timeline::build(a.core(), &ra),
            Timeline::build(b.core(), &rb)
        );
    }

    #[test]
    fn lists_stop_at_the_cap_and_count_the_rest() {
        let mut rec = Recorder::default();
        for i in 0..(TRACE_CAP as u64 + 7) {
            let plan: std::sync::Arc<[crate::core::Hop]> = vec![crate::core::Hop {
                agent: 0,
                step: crate::core::Step::Execute,
            }]
            .into();
            let msg = Message::Task {
                task: TaskId(i),
                plan,
                hop: 0,
            };
            rec.observe(
                i,
                &Output::Transmit(crate::core::Envelope {
                    from: Endpoint::Client,
                    to: Endpoint::Agent(0),
                    msg,
                }),
            );
        }
        assert_eq!(rec.attempts.len(), TRACE_CAP);
        assert_eq!(rec.attempts_left_out, 7);
        assert_eq!(rec.messages_left_out, 7);
    }
}
