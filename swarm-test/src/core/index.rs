//! The routing index: the available agents kept in the orders the strategies pick in, so a
//! routing decision walks from the front of an ordered set instead of scanning the swarm.
//!
//! The core updates an agent's entry whenever its state, load or turn changes
//! ([`RoutingIndex::update`], O(log n) per set it belongs to), and the planner walks the
//! order of its strategy, skipping the few agents that cannot take this task (breaker open,
//! already tried, draining, the root): a decision costs O(log n) plus the agents skipped, and
//! picks exactly what a scan of all agents in id order would (a property test checks it).
//!
//! | order | used by | key |
//! |---|---|---|
//! | by load | `least_loaded`, `specialized`, `consensus` | (tasks in flight, last routed, id) |
//! | by id | `round_robin` (a cursor continuing after the last pick) | id |
//!
//! Each order exists once over all available agents and once per capability, so a task that
//! requires a capability walks only the agents that have it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use super::agent::AgentRecord as Agent;
use crate::topology::AgentId;

/// Least-loaded order: fewest tasks in flight, then picked least recently, then lowest id.
type LoadKey = (u32, u64, AgentId);

/// The available agents in both routing orders, overall and per capability.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct RoutingIndex {
    /// Per agent: its key while it is available (and so indexed).
    keys: Vec<Option<LoadKey>>,
    by_load: Orders,
    by_capability: BTreeMap<&'static str, Orders>,
}

/// One population of agents in both orders.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Orders {
    load: BTreeSet<LoadKey>,
    id: BTreeSet<AgentId>,
}

impl Orders {
    fn insert(&mut self, key: LoadKey) {
        self.load.insert(key);
        self.id.insert(key.2);
    }

    fn remove(&mut self, key: LoadKey) {
        self.load.remove(&key);
        self.id.remove(&key.2);
    }
}

/// What the index holds for `agent`: its key if it can take work, else nothing.
fn key_of(agent: &Agent) -> Option<LoadKey> {
    agent
        .state
        .is_available()
        .then_some((agent.in_flight, agent.last_routed, agent.id))
}

impl RoutingIndex {
    /// Brings `agent`'s entry up to date with its state, load and turn.
    pub(super) fn update(&mut self, agent: &Agent) {
        if self.keys.len() <= agent.id {
            self.keys.resize(agent.id + 1, None);
        }
        let new = key_of(agent);
        let old = self.keys[agent.id];
        if old == new {
            return;
        }
        if let Some(key) = old {
            self.by_load.remove(key);
            for c in agent.capabilities() {
                if let Some(orders) = self.by_capability.get_mut(c) {
                    orders.remove(key);
                }
            }
        }
        if let Some(key) = new {
            self.by_load.insert(key);
            for c in agent.capabilities() {
                self.by_capability.entry(c).or_default().insert(key);
            }
        }
        self.keys[agent.id] = new;
    }

    /// The index's contents without empty per-capability sets (to compare two indexes).
    #[cfg(test)]
    fn canonical(&self) -> (Vec<LoadKey>, BTreeMap<&'static str, Vec<LoadKey>>) {
        let caps = self
            .by_capability
            .iter()
            .filter(|(_, o)| !o.load.is_empty())
            .map(|(&c, o)| (c, o.load.iter().copied().collect()))
            .collect();
        (self.by_load.load.iter().copied().collect(), caps)
    }

    /// How many agents are available.
    pub(super) fn available(&self) -> usize {
        self.by_load.load.len()
    }

    /// Whether `agent`'s entry matches it (a debug check on the agents a walk visits).
    pub(super) fn is_current(&self, agent: &Agent) -> bool {
        self.keys.get(agent.id).copied().flatten() == key_of(agent)
    }

    fn orders(&self, capability: Option<&str>) -> Option<&Orders> {
        match capability {
            None => Some(&self.by_load),
            Some(c) => self.by_capability.get(c),
        }
    }

    /// The available agents (with `capability`, if given), least loaded first.
    pub(super) fn least_loaded(
        &self,
        capability: Option<&str>,
    ) -> impl Iterator<Item = AgentId> + '_ {
        self.orders(capability)
            .into_iter()
            .flat_map(|o| o.load.iter().map(|k| k.2))
    }

    /// The available agents (with `capability`, if given) in round-robin order: by id, from
    /// the first after `last` round to `last` itself.
    pub(super) fn round_robin(
        &self,
        capability: Option<&str>,
        last: Option<AgentId>,
    ) -> impl Iterator<Item = AgentId> + '_ {
        let (after, upto) = match last {
            Some(l) => (Bound::Excluded(l), Bound::Included(l)),
            None => (Bound::Unbounded, Bound::Excluded(0)),
        };
        self.orders(capability).into_iter().flat_map(move |o| {
            o.id.range((after, Bound::Unbounded))
                .chain(o.id.range((Bound::Unbounded, upto)))
                .copied()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{
        Admit, AgentState, Core, Envelope, LeastLoaded, Output, RoundRobin, Router, Step, Task,
        TaskId, WorkResult,
    };
    use crate::topology::Topology;
    use proptest::prelude::*;
    use proptest::strategy::Strategy as _;
    use std::sync::Arc;
    use swarm_test_spec::{Role, Strategy, TopologyKind};

    fn ready(id: AgentId, role: Role) -> Agent {
        let mut a = Agent::new(id, role);
        a.state = AgentState::Ready;
        a
    }

    #[test]
    fn orders_follow_load_turn_and_id() {
        let mut agents = vec![
            ready(0, Role::MomentumTrader),
            ready(1, Role::RiskManager),
            ready(2, Role::MomentumTrader),
        ];
        agents[0].in_flight = 1;
        agents[2].last_routed = 5;
        let mut index = RoutingIndex::default();
        for a in &agents {
            index.update(a);
        }
        let order: Vec<_> = index.least_loaded(None).collect();
        assert_eq!(order, vec![1, 2, 0]);
        let capable: Vec<_> = index.least_loaded(Some("trade_execution")).collect();
        assert_eq!(capable, vec![2, 0]);
        assert_eq!(index.least_loaded(Some("nobody")).count(), 0);
        let rr: Vec<_> = index.round_robin(None, Some(1)).collect();
        assert_eq!(rr, vec![2, 0, 1]);
        let rr: Vec<_> = index.round_robin(None, None).collect();
        assert_eq!(rr, vec![0, 1, 2]);

        agents[1].state = AgentState::Failed;
        index.update(&agents[1]);
        assert_eq!(index.least_loaded(None).collect::<Vec<_>>(), vec![2, 0]);
        assert!(index.is_current(&agents[1]));
        agents[0].in_flight = 0;
        assert!(!index.is_current(&agents[0]), "a stale entry is visible");
    }

    /// One input to the core, chosen at random; indexes pick among what is pending.
    #[derive(Debug, Clone)]
    enum Op {
        Dispatch { capable_only: bool },
        Deliver(usize),
        Work(usize, bool),
        Timeout(usize),
        Fail(usize),
        Restart(usize),
        Ready(usize),
        Drain(usize),
        Wait(u64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        prop_oneof![
            4 => any::<bool>().prop_map(|capable_only| Op::Dispatch { capable_only }),
            6 => any::<usize>().prop_map(Op::Deliver),
            4 => (any::<usize>(), prop::bool::weighted(0.8)).prop_map(|(i, ok)| Op::Work(i, ok)),
            1 => any::<usize>().prop_map(Op::Timeout),
            1 => any::<usize>().prop_map(Op::Fail),
            1 => any::<usize>().prop_map(Op::Restart),
            1 => any::<usize>().prop_map(Op::Ready),
            1 => any::<usize>().prop_map(Op::Drain),
            1 => (0..2_000_000u64).prop_map(Op::Wait),
        ]
    }

    type Work = (AgentId, TaskId, Step, Arc<[crate::core::Hop]>, usize);

    /// What the reference scan picks for a new task: the strategy's router over every agent
    /// that may take it, in id order (the root only when nobody else can).
    fn reference(core: &Core, now: u64, capable_only: bool) -> Option<AgentId> {
        let root = core.root();
        let rooted = matches!(
            core.topology().kind(),
            TopologyKind::Star | TopologyKind::Hierarchical
        );
        if rooted && root.is_none_or(|r| !core.agents()[r].state.is_available()) {
            return None; // No hub or coordinator to route through.
        }
        let fits = |a: &Agent| {
            a.state.is_available()
                && !core.is_draining(a.id)
                && core.breakers()[a.id].admit(&core.breaker_config(), now) != Admit::No
                && (!capable_only || a.can("trade_execution"))
        };
        let mut candidates: Vec<&Agent> = core
            .agents()
            .iter()
            .filter(|a| Some(a.id) != root && fits(a))
            .collect();
        if candidates.is_empty() {
            candidates.extend(root.map(|r| &core.agents()[r]).filter(|a| fits(a)));
        }
        match core.strategy() {
            Strategy::RoundRobin => RoundRobin::after(core.round_robin_last).pick(&candidates),
            _ => LeastLoaded.pick(&candidates),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Over random sequences of dispatches, deliveries, results, errors, timeouts,
        /// failures, restarts and drains, the indexed router picks exactly the agent a scan of
        /// all agents picks, and the index always equals one rebuilt from scratch.
        #[test]
        fn the_index_picks_what_a_scan_picks(
            kind in prop::sample::select(vec![TopologyKind::Mesh, TopologyKind::Star, TopologyKind::Hierarchical]),
            strategy in prop::sample::select(vec![Strategy::RoundRobin, Strategy::LeastLoaded, Strategy::Specialized]),
            roles in prop::collection::vec(
                prop::sample::select(vec![Role::MomentumTrader, Role::RiskManager, Role::ArbitrageTrader, Role::NeuralForecaster]),
                3..10,
            ),
            ops in prop::collection::vec(op(), 1..120),
        ) {
            let n = roles.len();
            let mut core = Core::new(Topology::new(kind, n), &roles, strategy).unwrap();
            for a in 0..n.saturating_sub(1) {
                core.agent_ready(0, a); // The last one is still starting.
            }
            let (mut now, mut sends, mut work, mut timers) = (0u64, Vec::<Envelope>::new(), Vec::<Work>::new(), Vec::<(TaskId, u64)>::new());
            for op in ops {
                now += 1;
                match op {
                    Op::Dispatch { capable_only } => {
                        let expected = reference(&core, now, capable_only);
                        let task = match capable_only {
                            true => Task::trade("SPY").requires("trade_execution"),
                            false => Task::trade("SPY"),
                        };
                        let before = core.routed;
                        let id = core.dispatch(now, task);
                        // The routing decision (even if the path to the pick then fails).
                        let got = (core.routed > before).then(|| {
                            core.agents().iter().position(|a| a.last_routed == core.routed).unwrap()
                        });
                        prop_assert_eq!(got, expected, "task {} under {:?}", id, strategy);
                    }
                    Op::Deliver(i) if !sends.is_empty() => {
                        let env = sends.remove(i % sends.len());
                        core.handle_delivery(now, env);
                    }
                    Op::Work(i, ok) if !work.is_empty() => {
                        let (agent, task, _, plan, hop) = work.remove(i % work.len());
                        let result = if ok { WorkResult::Done } else { WorkResult::Error("no".into()) };
                        core.handle_work_done(now, agent, task, plan, hop, result);
                    }
                    Op::Timeout(i) if !timers.is_empty() => {
                        let (task, at) = timers.remove(i % timers.len());
                        now = now.max(at);
                        core.handle_timeout(now, task);
                    }
                    Op::Fail(a) => core.agent_failed(now, a % n),
                    Op::Restart(a) => core.agent_restarted(now, a % n),
                    Op::Ready(a) => core.agent_ready(now, a % n),
                    Op::Drain(a) => core.drain_agent(now, a % n),
                    Op::Wait(us) => now += us,
                    _ => {}
                }
                while let Some(out) = core.poll_output() {
                    match out {
                        Output::Transmit(env) => sends.push(env),
                        Output::Execute { agent, task, step, plan, hop } => work.push((agent, task, step, plan, hop)),
                        Output::Timer { task, at_us } => timers.push((task, at_us)),
                        _ => {}
                    }
                }
                let mut rebuilt = RoutingIndex::default();
                for a in core.agents() {
                    rebuilt.update(a);
                }
                prop_assert_eq!(core.index.canonical(), rebuilt.canonical());
                let available = core.agents().iter().filter(|a| a.state.is_available()).count();
                prop_assert_eq!(core.available_agents(), available);
            }
        }
    }
}
