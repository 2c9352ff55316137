//! Routing: which agent executes a task.
//!
//! A [`Router`] sees the candidates and picks one. The core decides who is a candidate before
//! any strategy runs: agents that are available (not starting, failed or removed), whose
//! circuit breaker admits work, that have the task's required capability (if it names one),
//! that were not already tried for this task, and, in a star or hierarchy, not the hub or
//! coordinator (they route; they execute only when no one else can). Candidates come in id
//! order. Every strategy is deterministic. The load-aware ones break ties in favour of the
//! candidate picked least recently ([`Agent::last_routed`]), then by id: equally loaded agents
//! take turns, as under nginx's `least_conn`, so a sequential flow (each task done before the
//! next arrives) spreads as evenly as a burst.
//!
//! | strategy | picks |
//! |---|---|
//! | `round_robin` | each candidate in turn, by id, continuing after the last one picked |
//! | `least_loaded` | the fewest tasks in flight ([`Agent::in_flight`]); ties to the one picked least recently, then by id |
//! | `specialized` | like `least_loaded`, among agents with the task's capability (the core filters them; if none has it, the task fails with an error naming the capability). In the built-in trade flow every trade requires `trade_execution` under this strategy |
//! | `consensus` | like `least_loaded`; in the built-in trade flow each trade is first put to a vote (see [`consensus`](super::consensus)) and dispatched only if the vote is reached |
//! | `adaptive` | the lowest [`adaptive_score`]: load, recent failure rate, recent latency and capability match |
//!
//! ```
//! use swarm_test::internals::core::{router_for, AgentRecord as Agent};
//! use swarm_test::{Role, Strategy, Task};
//!
//! let mut agents: Vec<Agent> = (0..3).map(|i| Agent::new(i, Role::MomentumTrader)).collect();
//! agents[0].in_flight = 2;
//! agents[1].in_flight = 1;
//! let candidates: Vec<&Agent> = agents.iter().collect();
//! let mut router = router_for(Strategy::LeastLoaded);
//! assert_eq!(router.pick_for(&Task::trade("SPY"), &candidates), Some(2));
//! ```

use swarm_test_spec::Strategy;

use super::agent::AgentRecord as Agent;
use super::task::{Task, TaskKind};
use crate::topology::AgentId;

/// Picks the executor of a task among candidates.
pub trait Router: std::fmt::Debug {
    /// The chosen agent, or `None` when there is no candidate.
    fn pick(&mut self, candidates: &[&Agent]) -> Option<AgentId>;

    /// The chosen agent for `task`. The default ignores the task and calls [`Router::pick`];
    /// strategies that weigh the task (adaptive) override it.
    fn pick_for(&mut self, task: &Task, candidates: &[&Agent]) -> Option<AgentId> {
        let _ = task;
        self.pick(candidates)
    }
}

/// Each candidate in turn, by id, continuing after the last one picked.
///
/// ```
/// use swarm_test::internals::core::{AgentRecord as Agent, RoundRobin, Router};
/// use swarm_test::Role;
///
/// let agents: Vec<Agent> = (0..3).map(|i| Agent::new(i, Role::MomentumTrader)).collect();
/// let candidates: Vec<&Agent> = agents.iter().collect();
/// let mut rr = RoundRobin::default();
/// let picks: Vec<_> = (0..4).filter_map(|_| rr.pick(&candidates)).collect();
/// assert_eq!(picks, vec![0, 1, 2, 0]);
/// ```
#[derive(Debug, Default, Clone)]
pub struct RoundRobin {
    last: Option<AgentId>,
}

impl RoundRobin {
    /// A round robin whose last pick was `last`: it continues with the next id after it.
    pub fn after(last: Option<AgentId>) -> RoundRobin {
        RoundRobin { last }
    }
}

impl Router for RoundRobin {
    fn pick(&mut self, candidates: &[&Agent]) -> Option<AgentId> {
        let next = match self.last {
            Some(last) => candidates
                .iter()
                .find(|a| a.id > last)
                .or(candidates.first()),
            None => candidates.first(),
        }?
        .id;
        self.last = Some(next);
        Some(next)
    }
}

/// The candidate with the fewest tasks in flight; ties go to the one picked least recently
/// ([`Agent::last_routed`]), then to the lowest id.
///
/// Used as is by `least_loaded`, and after the core's capability filter by `specialized` and
/// `consensus`. Load counts tasks assigned to the agent whose work it has not finished, so a
/// burst dispatched at one instant spreads evenly; the tie-break spreads a sequential flow,
/// where every agent is idle when the next task arrives.
///
/// ```
/// use swarm_test::internals::core::{AgentRecord as Agent, LeastLoaded, Router};
/// use swarm_test::Role;
///
/// let mut agents: Vec<Agent> = (0..3).map(|i| Agent::new(i, Role::MomentumTrader)).collect();
/// agents[0].last_routed = 2; // agent 0 was picked last, agent 1 before it
/// agents[1].last_routed = 1;
/// let candidates: Vec<&Agent> = agents.iter().collect();
/// assert_eq!(LeastLoaded.pick(&candidates), Some(2), "never picked: its turn");
/// ```
#[derive(Debug, Default, Clone)]
pub struct LeastLoaded;

impl Router for LeastLoaded {
    fn pick(&mut self, candidates: &[&Agent]) -> Option<AgentId> {
        candidates
            .iter()
            .min_by_key(|a| (a.in_flight, a.last_routed, a.id))
            .map(|a| a.id)
    }
}

/// The candidate with the lowest [`adaptive_score`]; ties go to the one picked least recently
/// ([`Agent::last_routed`]), then to the lowest id.
///
/// Work shifts away from agents that fail tasks or answer slowly and toward idle, healthy,
/// fast agents whose role fits the task; an agent never tried yet scores as fast, so new or
/// recovered agents get a share and are measured.
#[derive(Debug, Default, Clone)]
pub struct Adaptive;

/// The capability that suits a task when it names none: trades suit `trade_execution`,
/// work named after a capability suits that capability.
fn natural_capability(task: &Task) -> Option<&str> {
    match task.kind() {
        TaskKind::Trade { .. } => Some("trade_execution"),
        TaskKind::Work { name } => Some(name.as_str()),
        TaskKind::Relay { .. } => None,
    }
}

/// The adaptive strategy's score of `agent` for `task` (lower is better):
///
/// `score = in_flight + 4 × error_rate + latency_ms / 10 + (1 − match)`
///
/// - `in_flight`: tasks it holds now ([`Agent::in_flight`]);
/// - `error_rate`: its recent failure rate, 0..=1 ([`Agent::error_rate`]): a agent failing
///   every task weighs like four queued tasks;
/// - `latency_ms`: its recent latency from assignment to result ([`Agent::latency_ms`]):
///   10 ms weigh like one queued task;
/// - `match`: 1 if the agent has the task's required capability, or, if the task names none,
///   the capability that suits it (`trade_execution` for trades); else 0.
///
/// ```
/// use swarm_test::internals::core::{adaptive_score, AgentRecord as Agent};
/// use swarm_test::{Role, Task};
///
/// let mut fast = Agent::new(0, Role::MomentumTrader);
/// fast.latency_ms = 5.0;
/// let mut flaky = Agent::new(1, Role::MomentumTrader);
/// flaky.latency_ms = 5.0;
/// flaky.error_rate = 0.5;
/// let trade = Task::trade("SPY");
/// assert!(adaptive_score(&fast, &trade) < adaptive_score(&flaky, &trade));
/// ```
pub fn adaptive_score(agent: &Agent, task: &Task) -> f64 {
    let capable = task
        .capability()
        .or_else(|| natural_capability(task))
        .is_none_or(|c| agent.can(c));
    agent.in_flight as f64
        + 4.0 * agent.error_rate
        + agent.latency_ms / 10.0
        + if capable { 0.0 } else { 1.0 }
}

impl Router for Adaptive {
    fn pick(&mut self, candidates: &[&Agent]) -> Option<AgentId> {
        self.pick_for(&Task::work("any"), candidates)
    }

    fn pick_for(&mut self, task: &Task, candidates: &[&Agent]) -> Option<AgentId> {
        let mut best: Option<(f64, u64, AgentId)> = None;
        for a in candidates {
            let score = adaptive_score(a, task);
            let better = best.is_none_or(|(s, turn, id)| {
                score < s || (score == s && (a.last_routed, a.id) < (turn, id))
            });
            if better {
                best = Some((score, a.last_routed, a.id));
            }
        }
        best.map(|(_, _, id)| id)
    }
}

/// The router for a strategy (see the module docs for what each picks). Every strategy has
/// one.
pub fn router_for(strategy: Strategy) -> Box<dyn Router + Send> {
    match strategy {
        Strategy::RoundRobin => Box::new(RoundRobin::default()),
        Strategy::LeastLoaded | Strategy::Specialized | Strategy::Consensus => {
            Box::new(LeastLoaded)
        }
        Strategy::Adaptive => Box::new(Adaptive),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_test_spec::Role;

    fn agents(n: usize) -> Vec<Agent> {
        (0..n)
            .map(|i| Agent::new(i, Role::MomentumTrader))
            .collect()
    }

    #[test]
    fn every_strategy_has_a_router() {
        for s in [
            Strategy::RoundRobin,
            Strategy::LeastLoaded,
            Strategy::Specialized,
            Strategy::Consensus,
            Strategy::Adaptive,
        ] {
            let a = agents(2);
            let c: Vec<&Agent> = a.iter().collect();
            let mut r = router_for(s);
            assert_eq!(r.pick_for(&Task::trade("SPY"), &c), Some(0), "{s:?}");
            assert_eq!(r.pick_for(&Task::trade("SPY"), &[]), None, "{s:?}");
        }
    }

    #[test]
    fn least_loaded_ties_take_turns() {
        let mut a = agents(3);
        let mut picks = Vec::new();
        for turn in 1..=6 {
            let c: Vec<&Agent> = a.iter().collect();
            let id = LeastLoaded.pick(&c).unwrap();
            a[id].last_routed = turn; // what the core records; the task then completes
            picks.push(id);
        }
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2], "a sequential flow rotates");
    }

    #[test]
    fn least_loaded_breaks_ties_by_id() {
        let mut a = agents(4);
        a[0].in_flight = 1;
        a[2].in_flight = 1;
        let c: Vec<&Agent> = a.iter().collect();
        assert_eq!(LeastLoaded.pick(&c), Some(1));
        a[1].in_flight = 1;
        a[3].in_flight = 1;
        let c: Vec<&Agent> = a.iter().collect();
        assert_eq!(LeastLoaded.pick(&c), Some(0));
    }

    #[test]
    fn adaptive_prefers_healthy_fast_capable_agents() {
        let mut a = [
            Agent::new(0, Role::RiskManager),
            Agent::new(1, Role::MomentumTrader),
            Agent::new(2, Role::MomentumTrader),
        ];
        let trade = Task::trade("SPY");
        let c: Vec<&Agent> = a.iter().collect();
        assert_eq!(Adaptive.pick_for(&trade, &c), Some(1), "capability match");
        a[1].error_rate = 0.6;
        let c: Vec<&Agent> = a.iter().collect();
        assert_eq!(Adaptive.pick_for(&trade, &c), Some(2), "lower error rate");
        a[1].error_rate = 0.0;
        a[1].latency_ms = 40.0;
        a[2].latency_ms = 8.0;
        let c: Vec<&Agent> = a.iter().collect();
        assert_eq!(Adaptive.pick_for(&trade, &c), Some(2), "lower latency");
        a[2].in_flight = 5;
        let c: Vec<&Agent> = a.iter().collect();
        assert_eq!(
            Adaptive.pick_for(&trade, &c),
            Some(0),
            "the loaded ones lose"
        );
    }

    #[test]
    fn round_robin_wraps_around() {
        let a = agents(3);
        let c: Vec<&Agent> = vec![&a[0], &a[2]];
        let mut rr = RoundRobin::default();
        let picks: Vec<_> = (0..3).filter_map(|_| rr.pick(&c)).collect();
        assert_eq!(picks, vec![0, 2, 0]);
    }
}
