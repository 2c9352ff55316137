//! The coordination state machine: routing, forwarding along edges, exactly-once accounting.
//!
//! [`Core`] is sans-IO, in the manner of quinn-proto: it never reads a clock, sleeps, spawns or
//! touches a socket. A driver feeds it inputs with the current time and then drains
//! [`Core::poll_output`] for what to do: messages to transmit, work to execute, votes to cast,
//! timers to set. Time only moves forward. The simulation driver runs it in virtual time; a
//! live driver runs the same code in real time.
//!
//! Inputs: [`Core::agent_ready`] once per agent; [`Core::handle_tick`] every
//! [`HEARTBEAT_INTERVAL_US`](super::HEARTBEAT_INTERVAL_US) for each agent whose process runs
//! (heartbeats and failure detection, see [`health`](super::health)); [`Core::dispatch`] and
//! [`Core::propose`] for work and votes; [`Core::handle_delivery`],
//! [`Core::handle_work_done`], [`Core::handle_vote_cast`], [`Core::handle_timeout`] and
//! [`Core::handle_round_timeout`] as the driver carries out outputs. Nothing else tells the
//! core that an agent died: it finds out from missed heartbeats, timeouts and errors.
//!
//! Failover: when an agent is detected failed, every open task that still had to pass
//! through it is rerouted at once (client timeouts remain the backstop for lost messages);
//! a failed star hub or tree node is replaced by its lowest-id live child, which takes its
//! edges ([`Topology::promote`]). Results carry the task id, so a late duplicate is dropped,
//! and an order is placed at most once per task ([`Core::begin_effect`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use swarm_test_spec::{Role, Strategy, TopologyKind};

use super::agent::{AgentRecord, AgentState};
use super::breaker::{Breaker, BreakerConfig};
use super::consensus::{Round, RoundId, RoundOutcome};
use super::health::{Detector, HealthEvent};
use super::index::RoutingIndex;
use super::ledger::{Ending, Ledger};
use super::task::{Task, TaskId, TaskKind, TaskTable};
use crate::topology::{AgentId, Topology};

mod churn;
mod messages;

pub use messages::{Endpoint, Envelope, Hop, Message, Output, Step, WorkResult};

/// How many agents a task is tried on before it fails. The default value is 3.
pub const MAX_ATTEMPTS: usize = 3;

/// How long the client waits for a task's result before it reroutes the task to another
/// agent, in microseconds: this much, plus [`TIMEOUT_PER_HOP_US`] per agent on its plan.
/// The default value is 1 s.
pub const TASK_TIMEOUT_US: u64 = 1_000_000;

/// Extra wait per agent on a task's plan (a slow link, 20 ms, plus forwarding). The default
/// value is 25 ms.
pub const TIMEOUT_PER_HOP_US: u64 = 25_000;

/// Where a task stands: the agent expected to act on it next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Holder {
    /// The agent holding (or about to receive) the task or its result.
    pub(super) agent: AgentId,
    /// Its position in the plan (task phase) or in the result route (result phase).
    pub(super) hop: usize,
    /// Whether the result is on its way back.
    pub(super) result: bool,
}

/// The coordination core of one swarm. See the module docs for the calling protocol.
#[derive(Debug)]
pub struct Core {
    pub(super) topology: Topology,
    pub(super) configured: Topology,
    pub(super) strategy: Strategy,
    pub(super) agents: Vec<AgentRecord>,
    /// Routing decisions so far (see [`AgentRecord::last_routed`]).
    pub(super) routed: u64,
    /// The available agents in routing order (see `index.rs`); kept current by [`Core::touch`].
    pub(super) index: RoutingIndex,
    /// The agent `round_robin` picked last: its cursor.
    pub(super) round_robin_last: Option<AgentId>,
    pub(super) ledger: Ledger,
    pub(super) tasks: BTreeMap<TaskId, Task>,
    /// Per task: agents it must not go to again (executors tried, agents that failed it).
    pub(super) avoid: TaskTable<BTreeSet<AgentId>>,
    effects: BTreeSet<TaskId>,
    pub(super) latencies_us: Vec<u64>,
    pub(super) latency_of: BTreeMap<TaskId, u64>,
    pub(super) last_completion_us: Option<u64>,
    attempt_deadline_us: TaskTable<u64>,
    pub(super) attempt_started_us: TaskTable<u64>,
    timeouts: u64,
    next_task: u64,
    messages: u64,
    pub(super) heartbeats_sent: u64,
    edge_violations: Vec<String>,
    pub(super) outputs: VecDeque<Output>,
    /// Open tasks: their current plan, result route and holder.
    pub(super) plans: TaskTable<Arc<[Hop]>>,
    pub(super) routes: TaskTable<Arc<[AgentId]>>,
    pub(super) holders: TaskTable<Holder>,
    /// Open tasks assigned and not executed yet: their executor.
    pub(super) assignee: TaskTable<AgentId>,
    /// The star's hub or the hierarchy's coordinator, if the topology has one.
    pub(super) root: Option<AgentId>,
    /// The root that failed with no child to replace it, and when.
    pub(super) root_lost: Option<(AgentId, u64)>,
    pub(super) detector: Detector,
    pub(super) ticked_incarnation: Vec<u32>,
    pub(super) breakers: Vec<Breaker>,
    pub(super) breaker_config: BreakerConfig,
    /// Breakers not closed: while none is, routing skips asking them.
    pub(super) breakers_tripped: usize,
    pub(super) health_log: Vec<HealthEvent>,
    pub(super) stages_skipped: u64,
    /// Edges a promotion took away (low, high), and sends refused because of it.
    pub(super) moved_edges: BTreeSet<(AgentId, AgentId)>,
    pub(super) stale_sends: u64,
    pub(super) rounds: BTreeMap<RoundId, Round>,
    pub(super) decisions: BTreeMap<RoundId, RoundOutcome>,
    pub(super) next_round: u64,
    /// Agents joining, draining and leaving; tasks pinned to a pool (see `membership.rs`).
    pub(super) membership: churn::Membership,
    /// The timeline's trace of the outputs, as the driver carried them out.
    recorder: crate::review::Recorder,
    /// A deliberate routing or voting bug (see `planted.rs`).
    pub(super) planted: Option<crate::config::InjectedBug>,
}

impl Core {
    /// A core for `topology` with one agent per role (in order), routing with `strategy`.
    pub fn new(
        topology: Topology,
        roles: &[Role],
        strategy: Strategy,
    ) -> Result<Core, crate::error::SetupError> {
        if roles.len() != topology.len() {
            return Err(crate::error::SetupError::Roster {
                roles: roles.len(),
                agents: topology.len(),
            });
        }
        let n = topology.len();
        let root = matches!(
            topology.kind(),
            TopologyKind::Star | TopologyKind::Hierarchical
        )
        .then_some(0);
        Ok(Core {
            agents: roles
                .iter()
                .enumerate()
                .map(|(id, &role)| AgentRecord::new(id, role))
                .collect(),
            configured: topology.clone(),
            topology,
            strategy,
            routed: 0,
            index: RoutingIndex::default(),
            round_robin_last: None,
            ledger: Ledger::default(),
            tasks: BTreeMap::new(),
            avoid: TaskTable::default(),
            effects: BTreeSet::new(),
            latencies_us: Vec::new(),
            latency_of: BTreeMap::new(),
            last_completion_us: None,
            attempt_deadline_us: TaskTable::default(),
            attempt_started_us: TaskTable::default(),
            timeouts: 0,
            next_task: 0,
            messages: 0,
            heartbeats_sent: 0,
            edge_violations: Vec::new(),
            outputs: VecDeque::new(),
            plans: TaskTable::default(),
            routes: TaskTable::default(),
            holders: TaskTable::default(),
            assignee: TaskTable::default(),
            root,
            root_lost: None,
            detector: Detector::new(n),
            ticked_incarnation: vec![0; n],
            breakers: vec![Breaker::default(); n],
            breaker_config: BreakerConfig::default(),
            breakers_tripped: 0,
            health_log: Vec::new(),
            stages_skipped: 0,
            moved_edges: BTreeSet::new(),
            stale_sends: 0,
            rounds: BTreeMap::new(),
            decisions: BTreeMap::new(),
            next_round: 0,
            membership: Default::default(),
            recorder: Default::default(),
            planted: None,
        })
    }

    /// The communication graph in force (it changes when a hub or coordinator is replaced).
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The communication graph as configured, before any promotion.
    pub fn configured_topology(&self) -> &Topology {
        &self.configured
    }

    /// The routing strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// All agents, by id.
    pub fn agents(&self) -> &[AgentRecord] {
        &self.agents
    }

    /// How many agents can take work now (ready, busy or degraded), counted as states
    /// change rather than by a scan.
    pub fn available_agents(&self) -> usize {
        self.index.available()
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

    /// Messages sent between agents so far (tasks, results, heartbeats and votes).
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Heartbeats sent so far (included in [`Core::messages`]).
    pub fn heartbeats(&self) -> u64 {
        self.heartbeats_sent
    }

    /// Messages that were sent between agents without an edge between them.
    pub fn edge_violations(&self) -> &[String] {
        &self.edge_violations
    }

    /// The star's hub or the hierarchy's coordinator now (`None` for mesh and ring, or when
    /// it failed and nobody could take its place).
    pub fn root(&self) -> Option<AgentId> {
        match self.root_lost {
            Some(_) => None,
            None => self.root,
        }
    }

    /// What happened to the swarm's health, in order: detections, recoveries, promotions,
    /// breaker transitions.
    pub fn health_log(&self) -> &[HealthEvent] {
        &self.health_log
    }

    /// Each agent's circuit breaker, by id.
    pub fn breakers(&self) -> &[Breaker] {
        &self.breakers
    }

    /// The breakers' tunables.
    pub fn breaker_config(&self) -> BreakerConfig {
        self.breaker_config
    }

    /// Ring stage visits skipped because the stage was failed or its breaker open.
    pub fn stages_skipped(&self) -> u64 {
        self.stages_skipped
    }

    /// Messages not sent because the link they were planned along was moved away from a
    /// failed agent by a promotion after they were planned (their work was rerouted).
    pub fn stale_sends(&self) -> u64 {
        self.stale_sends
    }

    /// The next thing the driver must do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Records `output`, polled at `now_us`, in the run's trace (for the timeline, see
    /// [`crate::review::trace`]). Drivers call it once per output they poll.
    pub fn observe(&mut self, now_us: u64, output: &Output) {
        self.recorder.observe(now_us, output);
    }

    /// The trace recorded by [`Core::observe`].
    pub fn recorder(&self) -> &crate::review::Recorder {
        &self.recorder
    }

    /// `agent` finished starting up.
    pub fn agent_ready(&mut self, _now_us: u64, agent: AgentId) {
        if self.agents[agent].state == AgentState::Starting {
            self.agents[agent].state = AgentState::Ready;
            self.touch(agent);
        }
    }

    /// `agent` is known dead for certain (e.g. a live backend saw its process exit): it takes
    /// no more work and its tasks are rerouted. The mock driver never calls this: there,
    /// failures are detected from missed heartbeats.
    pub fn agent_failed(&mut self, now_us: u64, agent: AgentId) {
        if self.agents[agent].state.is_available() {
            self.mark_failed(now_us, agent, Vec::new());
        }
    }

    /// `agent` came back after a crash, empty-handed, as the driver knows for certain (a live
    /// backend restarted it). The mock driver never calls this: a restart shows in the
    /// agent's heartbeats (a new incarnation).
    pub fn agent_restarted(&mut self, now_us: u64, agent: AgentId) {
        self.lose_work(now_us, agent);
        let a = &mut self.agents[agent];
        a.in_flight = 0;
        a.state = AgentState::Ready;
        self.touch(agent);
    }

    /// Takes `agent` out of the swarm at once, without draining (compare
    /// [`Core::drain_agent`] then [`Core::retire_agent`]): it gets no new work, its open tasks
    /// are rerouted, it loses its edges (the graph is mended as for a retirement) and it is
    /// no longer monitored.
    pub fn remove_agent(&mut self, now_us: u64, agent: AgentId) {
        self.agents[agent].state = AgentState::Removed;
        self.lose_work(now_us, agent);
        self.agents[agent].in_flight = 0;
        self.touch(agent);
        self.topology.retire(agent);
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

    /// Whether `task`'s effect was applied already (its order sent).
    pub fn effect_applied(&self, task: TaskId) -> bool {
        self.effects.contains(&task)
    }

    /// Agent `id` is a user's agent of `role` with its own `capabilities`; call before it
    /// becomes ready (the router indexes it then).
    pub fn set_own_agent(
        &mut self,
        id: AgentId,
        role: Role,
        capabilities: &'static [&'static str],
    ) {
        if let Some(a) = self.agents.get_mut(id) {
            a.role = role;
            *a = a.clone().with_capabilities(capabilities);
        }
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
        let Envelope { from, to, msg } = envelope;
        match (to, msg) {
            (Endpoint::Client, Message::Result { task, by, .. }) => self.complete(now_us, task, by),
            (Endpoint::Client, _) => self.edge_violations.push(format!(
                "a message from {from:?} other than a result was sent to the client"
            )),
            (Endpoint::Agent(agent), Message::Heartbeat { incarnation, cpu }) => {
                if let Endpoint::Agent(sender) = from {
                    self.heartbeat_from(now_us, agent, sender, incarnation, cpu);
                }
            }
            (Endpoint::Agent(agent), msg) => {
                if !self.agents[agent].state.is_available() {
                    return; // Declared failed: it drops the work, which was rerouted.
                }
                match msg {
                    Message::Task { task, plan, hop } => self.arrive(agent, task, plan, hop),
                    Message::Result {
                        task,
                        by,
                        route,
                        hop,
                    } => self.send_result(task, by, route, hop),
                    Message::VoteRequest { round, symbol } => {
                        self.outputs.push_back(Output::CastVote {
                            agent,
                            round,
                            symbol,
                        })
                    }
                    Message::VoteReply { round, vote } => {
                        if let Endpoint::Agent(voter) = from {
                            self.record_vote(now_us, round, voter, vote);
                        }
                    }
                    Message::Heartbeat { .. } => {}
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
        let current = self.plans.get(&task).is_some_and(|p| Arc::ptr_eq(p, &plan));
        if step == Step::Execute && current {
            self.unassign(task);
        }
        if let WorkResult::Error(_) = result {
            self.agents[agent].errors += 1;
            if current && !self.ledger.has_ended(task) {
                self.blame(now_us, task, agent, step);
                self.route(now_us, task);
            }
            return;
        }
        match step {
            Step::Execute => {
                self.agents[agent].executed += 1;
                let ingress = plan[0].agent;
                let relay = matches!(self.tasks[&task].kind(), TaskKind::Relay { .. });
                let route: Arc<[AgentId]> = match relay {
                    true => vec![agent], // The relay's last agent answers the client.
                    false => self
                        .topology
                        .path(agent, ingress, |a| self.agents[a].state.is_available())
                        .unwrap_or_else(|| vec![agent]),
                }
                .into();
                if current {
                    self.routes.insert(task, route.clone());
                }
                self.send_result(task, agent, route, 0);
            }
            Step::Stage | Step::Forward => self.send_task(agent, task, plan, hop + 1),
        }
    }

    /// The client's wait for `task` ran out: if it has not ended, it is rerouted, away from
    /// the agent that held it (presumed failed or unreachable).
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
        if let Some(h) = self.holders.get(&task).copied() {
            let step = match h.result {
                true => Step::Forward,
                false => self
                    .plans
                    .get(&task)
                    .map_or(Step::Forward, |p| p[h.hop].step),
            };
            self.blame(now_us, task, h.agent, step);
            self.client_detects(now_us, h.agent);
        }
        self.route(now_us, task);
    }

    /// Tasks the client gave up waiting for and rerouted.
    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    fn arrive(&mut self, agent: AgentId, task: TaskId, plan: Arc<[Hop]>, hop: usize) {
        // The holder is already `agent` at `hop`: set when the task was sent to it.
        let step = plan[hop].step;
        if step == Step::Forward {
            return self.send_task(agent, task, plan, hop + 1);
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
        if self.plans.get(&task).is_some_and(|p| Arc::ptr_eq(p, &plan)) {
            self.holders.insert(
                task,
                Holder {
                    agent: to,
                    hop,
                    result: false,
                },
            );
        }
        let msg = Message::Task { task, plan, hop };
        self.transmit(Endpoint::Agent(from), Endpoint::Agent(to), msg);
    }

    /// Sends a result from `route[at]` to the next agent on the route, or to the client.
    fn send_result(&mut self, task: TaskId, by: AgentId, route: Arc<[AgentId]>, at: usize) {
        let from = Endpoint::Agent(route[at]);
        let to = route
            .get(at + 1)
            .map_or(Endpoint::Client, |&a| Endpoint::Agent(a));
        if let (Endpoint::Agent(next), Some(current)) = (to, self.routes.get(&task)) {
            if Arc::ptr_eq(current, &route) {
                self.holders.insert(
                    task,
                    Holder {
                        agent: next,
                        hop: at + 1,
                        result: true,
                    },
                );
            }
        }
        let msg = Message::Result {
            task,
            by,
            route,
            hop: at + 1,
        };
        self.transmit(from, to, msg);
    }

    pub(super) fn transmit(&mut self, from: Endpoint, to: Endpoint, msg: Message) {
        if let (Endpoint::Agent(a), Endpoint::Agent(b)) = (from, to) {
            if !self.topology.is_edge(a, b) && self.moved_edges.contains(&(a.min(b), a.max(b))) {
                // Planned before a promotion moved this link away from a failed agent: the
                // link is gone, so nothing is sent. Failover has rerouted what it carried.
                self.stale_sends += 1;
                return;
            }
            self.messages += 1;
            if !self.topology.is_edge(a, b) {
                self.edge_violations.push(format!(
                    "a message went from agent {a} to agent {b}, which are not connected in the {} topology in force",
                    self.topology.kind().as_str()
                ));
            }
        }
        self.outputs
            .push_back(Output::Transmit(Envelope { from, to, msg }));
    }

    pub(super) fn fail(&mut self, task: TaskId, reason: String) {
        self.ledger.ended(task, Ending::Failed { reason });
        self.forget(task);
        self.outputs.push_back(Output::Ended(task));
    }

    /// Drops the bookkeeping of an ended task.
    pub(super) fn forget(&mut self, task: TaskId) {
        self.unassign(task);
        self.plans.remove(&task);
        self.routes.remove(&task);
        self.holders.remove(&task);
        self.attempt_started_us.remove(&task);
        self.attempt_deadline_us.remove(&task);
        self.avoid.remove(&task);
    }

    /// The task's executor no longer holds it as pending work.
    fn unassign(&mut self, task: TaskId) {
        if let Some(agent) = self.assignee.remove(&task) {
            let a = &mut self.agents[agent];
            a.in_flight = a.in_flight.saturating_sub(1);
            self.touch(agent);
        }
    }

    /// Recomputes `agent`'s state from its load and health and brings its routing-index
    /// entry up to date: called after every change to an agent's state, load or turn.
    pub(super) fn touch(&mut self, agent: AgentId) {
        self.agents[agent].refresh_state();
        self.index.update(&self.agents[agent]);
    }

    /// Plans the task's path to a chosen executor and sends it to the ingress.
    pub(super) fn route(&mut self, now_us: u64, task: TaskId) {
        if self.ledger.has_ended(task) {
            return; // Failover already settled it.
        }
        let attempts = self.ledger.assignments(task);
        if attempts.len() >= MAX_ATTEMPTS {
            let reason = format!(
                "no result after {MAX_ATTEMPTS} attempts on agents {attempts:?} (each answered with an error, timed out or was lost to a failure)"
            );
            return self.fail(task, reason);
        }
        self.unassign(task);
        let plan: Arc<[Hop]> = match self.plan(now_us, task) {
            Ok(plan) => plan.into(),
            Err(reason) => return self.fail(task, reason),
        };
        let executor = plan[plan.len() - 1].agent;
        if self.topology.kind() != TopologyKind::Ring {
            avoid_insert(&mut self.avoid, task, executor);
        }
        self.ledger.assigned(task, executor);
        self.assignee.insert(task, executor);
        self.attempt_started_us.insert(task, now_us);
        self.agents[executor].in_flight += 1;
        self.touch(executor);
        let ingress = plan[0].agent;
        let deadline = now_us + TASK_TIMEOUT_US + TIMEOUT_PER_HOP_US * plan.len() as u64;
        self.plans.insert(task, plan.clone());
        self.routes.remove(&task);
        self.holders.insert(
            task,
            Holder {
                agent: ingress,
                hop: 0,
                result: false,
            },
        );
        let msg = Message::Task { task, plan, hop: 0 };
        self.transmit(Endpoint::Client, Endpoint::Agent(ingress), msg);
        self.attempt_deadline_us.insert(task, deadline);
        self.outputs.push_back(Output::Timer {
            task,
            at_us: deadline,
        });
    }

    /// The symbol of a trade task, if it is one.
    pub fn trade_symbol(&self, task: TaskId) -> Option<&str> {
        match self.tasks.get(&task)?.kind() {
            TaskKind::Trade { symbol } => Some(symbol),
            TaskKind::Work { .. } | TaskKind::Relay { .. } => None,
        }
    }
}

/// Adds `agent` to the agents `task` must avoid.
pub(super) fn avoid_insert(avoid: &mut TaskTable<BTreeSet<AgentId>>, task: TaskId, agent: AgentId) {
    match avoid.remove(&task) {
        Some(mut set) => {
            set.insert(agent);
            avoid.insert(task, set);
        }
        None => {
            avoid.insert(task, BTreeSet::from([agent]));
        }
    }
}
