//! The coordination state machine: routing, forwarding along edges, exactly-once accounting.
//!
//! [`Core`] is sans-IO, in the manner of quinn-proto: it never reads a clock, sleeps, spawns or
//! touches a socket. A driver feeds it inputs with the current time (`dispatch`,
//! `handle_delivery`, `handle_work_done`, `agent_ready`) and then drains [`Core::poll_output`]
//! for what to do: messages to transmit and work to execute. Time only moves forward. The
//! simulation driver runs it in virtual time; a live driver runs the same code in real time.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use swarm_test_spec::{Role, Strategy, TopologyKind};

use super::agent::{Agent, AgentState};
use super::ledger::{Ending, Ledger};
use super::routing::{router_for, Router};
use super::task::{Task, TaskId, TaskKind};
use crate::topology::{AgentId, Topology};

mod membership;

/// How many agents a task is tried on before it fails. The default value is 3.
pub const MAX_ATTEMPTS: usize = 3;

/// How long the client waits for a task's result before it reroutes the task to another
/// agent, in microseconds: this much, plus [`TIMEOUT_PER_HOP_US`] per agent on its plan.
/// The default value is 1 s.
pub const TASK_TIMEOUT_US: u64 = 1_000_000;

/// Extra wait per agent on a task's plan (a slow link, 20 ms, plus forwarding). The default
/// value is 25 ms.
pub const TIMEOUT_PER_HOP_US: u64 = 25_000;

/// One end of a message: the client that submits tasks (the test harness) or an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// The harness, outside the topology.
    Client,
    /// An agent.
    Agent(AgentId),
}

/// What an agent does with a task when it reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Pass it on to the next agent of the plan.
    Forward,
    /// Do one pipeline stage of work, then pass it on.
    Stage,
    /// Execute the task and send the result back.
    Execute,
}

/// One agent on a task's plan and what it does there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// The agent.
    pub agent: AgentId,
    /// Its part.
    pub step: Step,
}

/// What travels between endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// A task on its way along its plan; `hop` indexes the receiving agent in `plan`.
    Task {
        /// Which task.
        task: TaskId,
        /// The agents it visits, ingress first, executor last.
        plan: Arc<[Hop]>,
        /// The receiver's position in `plan`.
        hop: usize,
    },
    /// A result on its way back to the client along `route` (executor first, ingress last).
    Result {
        /// Which task.
        task: TaskId,
        /// The agent that executed it.
        by: AgentId,
        /// The agents it travels through.
        route: Arc<[AgentId]>,
        /// The receiver's position in `route`.
        hop: usize,
    },
}

/// A message with its endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Sender.
    pub from: Endpoint,
    /// Receiver.
    pub to: Endpoint,
    /// Payload.
    pub msg: Message,
}

/// What an agent's work on a task came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkResult {
    /// Done.
    Done,
    /// The agent answered with an error; the task will be retried elsewhere.
    Error(String),
}

/// What the core asks its driver to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Deliver this message (after the link's latency, or never if the network drops it).
    Transmit(Envelope),
    /// Let `agent` do its `step` of `task`, then call [`Core::handle_work_done`].
    Execute {
        /// Who works.
        agent: AgentId,
        /// On what.
        task: TaskId,
        /// Which part.
        step: Step,
        /// The plan, to continue it afterwards.
        plan: Arc<[Hop]>,
        /// Position of `agent` in `plan`.
        hop: usize,
    },
    /// Call [`Core::handle_timeout`] for `task` at `at_us` (if it has not ended by then).
    Timer {
        /// Which task.
        task: TaskId,
        /// When, in microseconds.
        at_us: u64,
    },
    /// The task ended (completed or failed); drivers wake whoever waits on it.
    Ended(TaskId),
}

/// The coordination core of one swarm. See the module docs for the calling protocol.
#[derive(Debug)]
pub struct Core {
    topology: Topology,
    agents: Vec<Agent>,
    router: Box<dyn Router + Send>,
    ledger: Ledger,
    tasks: BTreeMap<TaskId, Task>,
    tried: BTreeMap<TaskId, BTreeSet<AgentId>>,
    effects: BTreeSet<TaskId>,
    latencies_us: Vec<u64>,
    latency_of: BTreeMap<TaskId, u64>,
    last_completion_us: Option<u64>,
    attempt_deadline_us: BTreeMap<TaskId, u64>,
    timeouts: u64,
    next_task: u64,
    messages: u64,
    edge_violations: Vec<String>,
    outputs: VecDeque<Output>,
    /// Agents joining, draining and leaving; tasks pinned to a pool (see `membership.rs`).
    membership: membership::Membership,
}

impl Core {
    /// A core for `topology` with one agent per role (in order), routing with `strategy`.
    pub fn new(topology: Topology, roles: &[Role], strategy: Strategy) -> Result<Core, String> {
        if roles.len() != topology.len() {
            return Err(format!(
                "the roster has {} agents but the topology has {}",
                roles.len(),
                topology.len()
            ));
        }
        Ok(Core {
            agents: roles
                .iter()
                .enumerate()
                .map(|(id, &role)| Agent::new(id, role))
                .collect(),
            topology,
            router: router_for(strategy)?,
            ledger: Ledger::default(),
            tasks: BTreeMap::new(),
            tried: BTreeMap::new(),
            effects: BTreeSet::new(),
            latencies_us: Vec::new(),
            latency_of: BTreeMap::new(),
            last_completion_us: None,
            attempt_deadline_us: BTreeMap::new(),
            timeouts: 0,
            next_task: 0,
            messages: 0,
            edge_violations: Vec::new(),
            outputs: VecDeque::new(),
            membership: Default::default(),
        })
    }

    /// The communication graph.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// All agents, by id.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// The task ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The task with this id.
    pub fn task(&self, id: TaskId) -> Option<&Task> {
        self.tasks.get(&id)
    }

    /// End-to-end latencies of completed tasks, in microseconds, in completion order.
    pub fn latencies_us(&self) -> &[u64] {
        &self.latencies_us
    }

    /// End-to-end latency of a completed task, in microseconds.
    pub fn latency_of(&self, task: TaskId) -> Option<u64> {
        self.latency_of.get(&task).copied()
    }

    /// When the last task completed, in microseconds.
    pub fn last_completion_us(&self) -> Option<u64> {
        self.last_completion_us
    }

    /// Messages sent between agents so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Messages that were sent between agents without an edge between them.
    pub fn edge_violations(&self) -> &[String] {
        &self.edge_violations
    }

    /// The next thing the driver must do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// `agent` finished starting up.
    pub fn agent_ready(&mut self, _now_us: u64, agent: AgentId) {
        if self.agents[agent].state == AgentState::Starting {
            self.agents[agent].state = AgentState::Ready;
        }
    }

    /// `agent` is dead: it takes no more work. (Rerouting its tasks arrives with failure
    /// detection in the coordination layer.)
    pub fn agent_failed(&mut self, _now_us: u64, agent: AgentId) {
        self.agents[agent].state = AgentState::Failed;
    }

    /// `agent` came back after a crash, empty-handed: whatever it held is gone.
    pub fn agent_restarted(&mut self, _now_us: u64, agent: AgentId) {
        let a = &mut self.agents[agent];
        a.in_flight = 0;
        a.state = AgentState::Ready;
    }

    /// Hands a task to the swarm and returns its id. The task ends (see [`Output::Ended`]) with
    /// a completion, or with a failure whose reason says why no agent could take it.
    pub fn dispatch(&mut self, now_us: u64, task: Task) -> TaskId {
        let id = TaskId(self.next_task);
        self.next_task += 1;
        self.ledger.dispatched(id, now_us);
        self.tasks.insert(id, task);
        self.route(now_us, id);
        id
    }

    /// Whether the driver may apply `task`'s effect (send its order). True once per task: the
    /// exchange's idempotency key, so a task executed twice never trades twice.
    pub fn begin_effect(&mut self, task: TaskId) -> bool {
        let first = self.effects.insert(task);
        if first {
            self.ledger.effect_applied(task);
        }
        first
    }

    /// A message arrived at its receiver.
    pub fn handle_delivery(&mut self, now_us: u64, envelope: Envelope) {
        match (envelope.to, envelope.msg) {
            (Endpoint::Client, Message::Result { task, by, .. }) => self.complete(now_us, task, by),
            (Endpoint::Client, Message::Task { task, .. }) => self
                .edge_violations
                .push(format!("{task} was sent to the client as a task")),
            (Endpoint::Agent(agent), msg) => {
                if !self.agents[agent].state.is_available() {
                    return; // A dead agent drops what reaches it; detection reroutes.
                }
                match msg {
                    Message::Task { task, plan, hop } => self.arrive(agent, task, plan, hop),
                    Message::Result {
                        task,
                        by,
                        route,
                        hop,
                    } => self.send_result(task, by, route, hop),
                }
            }
        }
    }

    /// `agent` finished its step of a task.
    pub fn handle_work_done(
        &mut self,
        now_us: u64,
        agent: AgentId,
        task: TaskId,
        plan: Arc<[Hop]>,
        hop: usize,
        result: WorkResult,
    ) {
        let step = plan[hop].step;
        if step == Step::Execute {
            let a = &mut self.agents[agent];
            a.in_flight = a.in_flight.saturating_sub(1);
            if a.in_flight == 0 && a.state == AgentState::Busy {
                a.state = AgentState::Ready;
            }
        }
        if let WorkResult::Error(_) = result {
            self.agents[agent].errors += 1;
            if !self.ledger.has_ended(task) {
                self.route(now_us, task);
            }
            return;
        }
        match step {
            Step::Execute => {
                self.agents[agent].executed += 1;
                let ingress = plan[0].agent;
                let relay = matches!(self.tasks[&task].kind(), TaskKind::Relay { .. });
                let route = match relay {
                    true => vec![agent], // The relay's last agent answers the client.
                    false => self
                        .topology
                        .path(agent, ingress, |a| self.agents[a].state.is_available())
                        .unwrap_or_else(|| vec![agent]),
                };
                self.send_result(task, agent, route.into(), 0);
            }
            Step::Stage | Step::Forward => self.send_task(agent, task, plan, hop + 1),
        }
    }

    /// The client's wait for `task` ran out: if it has not ended, it is rerouted to an agent
    /// it was not tried on (the current assignee is presumed failed or unreachable).
    pub fn handle_timeout(&mut self, now_us: u64, task: TaskId) {
        if self.ledger.has_ended(task) {
            return;
        }
        if self
            .attempt_deadline_us
            .get(&task)
            .is_some_and(|&deadline| now_us < deadline)
        {
            return; // A newer attempt owns the clock.
        }
        self.timeouts += 1;
        self.route(now_us, task);
    }

    /// Tasks the client gave up waiting for and rerouted.
    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    fn arrive(&mut self, agent: AgentId, task: TaskId, plan: Arc<[Hop]>, hop: usize) {
        let step = plan[hop].step;
        if step == Step::Forward {
            return self.send_task(agent, task, plan, hop + 1);
        }
        if step == Step::Execute {
            let a = &mut self.agents[agent];
            a.in_flight += 1;
            if a.state == AgentState::Ready {
                a.state = AgentState::Busy;
            }
        }
        self.outputs.push_back(Output::Execute {
            agent,
            task,
            step,
            plan,
            hop,
        });
    }

    fn send_task(&mut self, from: AgentId, task: TaskId, plan: Arc<[Hop]>, hop: usize) {
        let to = plan[hop].agent;
        let msg = Message::Task { task, plan, hop };
        self.transmit(Endpoint::Agent(from), Endpoint::Agent(to), msg);
    }

    /// Sends a result from `route[at]` to the next agent on the route, or to the client.
    fn send_result(&mut self, task: TaskId, by: AgentId, route: Arc<[AgentId]>, at: usize) {
        let from = Endpoint::Agent(route[at]);
        let to = route
            .get(at + 1)
            .map_or(Endpoint::Client, |&a| Endpoint::Agent(a));
        let msg = Message::Result {
            task,
            by,
            route,
            hop: at + 1,
        };
        self.transmit(from, to, msg);
    }

    fn transmit(&mut self, from: Endpoint, to: Endpoint, msg: Message) {
        if let (Endpoint::Agent(a), Endpoint::Agent(b)) = (from, to) {
            self.messages += 1;
            if !self.topology.is_edge(a, b) {
                self.edge_violations.push(format!(
                    "a message went from agent {a} to agent {b}, which are not connected in the {} topology",
                    self.topology.kind().as_str()
                ));
            }
        }
        self.outputs
            .push_back(Output::Transmit(Envelope { from, to, msg }));
    }

    fn complete(&mut self, now_us: u64, task: TaskId, by: AgentId) {
        if self.ledger.has_ended(task) {
            return; // A late duplicate result: deduplicated by task id.
        }
        if let Some(at) = self.ledger.dispatched_at_us(task) {
            let latency = now_us.saturating_sub(at);
            self.latencies_us.push(latency);
            self.latency_of.insert(task, latency);
        }
        self.last_completion_us = Some(now_us);
        self.ledger.ended(task, Ending::Completed { by });
        self.outputs.push_back(Output::Ended(task));
    }

    fn fail(&mut self, task: TaskId, reason: String) {
        self.ledger.ended(task, Ending::Failed { reason });
        self.outputs.push_back(Output::Ended(task));
    }

    /// Plans the task's path to a chosen executor and sends it to the ingress.
    fn route(&mut self, now_us: u64, task: TaskId) {
        let tried = self.tried.entry(task).or_default().clone();
        let attempts = self.ledger.assignments(task);
        if attempts.len() >= MAX_ATTEMPTS {
            let reason = format!(
                "no result after {MAX_ATTEMPTS} attempts on agents {attempts:?} (each answered with an error or timed out)"
            );
            return self.fail(task, reason);
        }
        let plan = match self.plan(task, &tried) {
            Ok(plan) => plan,
            Err(reason) => return self.fail(task, reason),
        };
        let executor = plan[plan.len() - 1].agent;
        self.tried.entry(task).or_default().insert(executor);
        self.ledger.assigned(task, executor);
        let ingress = plan[0].agent;
        let deadline = now_us + TASK_TIMEOUT_US + TIMEOUT_PER_HOP_US * plan.len() as u64;
        let msg = Message::Task {
            task,
            plan: plan.into(),
            hop: 0,
        };
        self.transmit(Endpoint::Client, Endpoint::Agent(ingress), msg);
        self.attempt_deadline_us.insert(task, deadline);
        self.outputs.push_back(Output::Timer {
            task,
            at_us: deadline,
        });
    }

    fn plan(&mut self, task: TaskId, tried: &BTreeSet<AgentId>) -> Result<Vec<Hop>, String> {
        let kind = self.topology.kind();
        let n = self.agents.len();
        let alive = |a: &Agent| a.state.is_available();
        if let TaskKind::Relay { hops } = *self.tasks[&task].kind() {
            if kind != TopologyKind::Ring {
                return Err(format!(
                    "relay tasks travel around a ring, but this swarm is a {}",
                    kind.as_str()
                ));
            }
            let candidates: Vec<&Agent> = self
                .agents
                .iter()
                .filter(|a| alive(a) && !tried.contains(&a.id))
                .collect();
            let ingress = self
                .router
                .pick(&candidates)
                .ok_or("no agent is available to start the relay")?;
            let hops = hops as usize;
            return Ok((0..=hops)
                .map(|i| Hop {
                    agent: (ingress + i) % n,
                    step: if i == hops {
                        Step::Execute
                    } else {
                        Step::Forward
                    },
                })
                .collect());
        }
        if kind == TopologyKind::Ring {
            if let Some(down) = self.agents.iter().find(|a| !alive(a)) {
                return Err(format!(
                    "no agent is available: pipeline stage {} is {:?}",
                    down.id, down.state
                ));
            }
            let hop = |agent| Hop {
                agent,
                step: if agent + 1 == n {
                    Step::Execute
                } else {
                    Step::Stage
                },
            };
            return Ok((0..n).map(hop).collect());
        }
        let root_routes = matches!(kind, TopologyKind::Star | TopologyKind::Hierarchical);
        let capability = self.tasks[&task].capability().map(str::to_owned);
        let candidates: Vec<&Agent> = self
            .agents
            .iter()
            .filter(|a| alive(a) && !(root_routes && a.id == 0 && n > 1))
            .filter(|a| capability.as_deref().is_none_or(|c| a.can(c)))
            .filter(|a| self.membership.eligible(task, a.id))
            .filter(|a| !tried.contains(&a.id))
            .collect();
        if candidates.is_empty() {
            return Err(match capability {
                Some(c) => format!("no agent is available with capability `{c}`"),
                None => "no agent is available: every agent is failed or already tried".into(),
            });
        }
        let executor = self
            .router
            .pick(&candidates)
            .ok_or("no agent is available: the router picked none")?;
        let ingress = if root_routes { 0 } else { executor };
        if !alive(&self.agents[ingress]) {
            return Err(format!(
                "no agent is available: the {} (agent {ingress}) is {:?}",
                if kind == TopologyKind::Star {
                    "hub"
                } else {
                    "coordinator"
                },
                self.agents[ingress].state
            ));
        }
        let path = self
            .topology
            .path(ingress, executor, |a| alive(&self.agents[a]))
            .ok_or_else(|| format!("no agent is available: agent {executor} cannot be reached from agent {ingress}"))?;
        let last = path.len() - 1;
        Ok(path
            .into_iter()
            .enumerate()
            .map(|(i, agent)| Hop {
                agent,
                step: if i == last {
                    Step::Execute
                } else {
                    Step::Forward
                },
            })
            .collect())
    }

    /// The symbol of a trade task, if it is one.
    pub fn trade_symbol(&self, task: TaskId) -> Option<&str> {
        match self.tasks.get(&task)?.kind() {
            TaskKind::Trade { symbol } => Some(symbol),
            TaskKind::Work { .. } | TaskKind::Relay { .. } => None,
        }
    }
}
