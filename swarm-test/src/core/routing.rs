//! Routing: which agent executes a task.
//!
//! A [`Router`] sees the candidates (available agents that may execute the task, in id order)
//! and picks one. Strategies are deterministic: ties break by id, and any randomness would come
//! from the run's seeded RNG.

use swarm_test_spec::Strategy;

use super::agent::Agent;
use crate::topology::AgentId;

/// Picks the executor of a task among candidates.
pub trait Router: std::fmt::Debug {
    /// The chosen agent, or `None` when there is no candidate.
    fn pick(&mut self, candidates: &[&Agent]) -> Option<AgentId>;
}

/// Each candidate in turn, by id, continuing after the last one picked.
///
/// ```
/// use swarm_test::core::{Agent, RoundRobin, Router};
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

/// The router for a strategy.
///
/// Returns an error for strategies this build does not route yet, so a test never silently
/// runs with a different strategy than it asked for.
pub fn router_for(strategy: Strategy) -> Result<Box<dyn Router + Send>, String> {
    match strategy {
        Strategy::RoundRobin => Ok(Box::new(RoundRobin::default())),
        other => Err(format!(
            "strategy `{}` is not available yet in this version of swarm-test; use `round_robin`",
            other.as_str()
        )),
    }
}
