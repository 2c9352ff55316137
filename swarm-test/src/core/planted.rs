//! The routing and voting bugs the tests of each strategy plant
//! (`SWARM_TEST_FAULT_INJECT_BUG`, see [`InjectedBug`]), so they can prove they catch one.
//! Consulted at the one place each strategy decides; nothing here runs unless planted.

use swarm_test_spec::Strategy;

use super::consensus::RoundOutcome;
use super::coordinator::Core;
use super::task::TaskId;
use crate::config::InjectedBug;
use crate::topology::AgentId;

impl Core {
    /// Plants `bug`; the ones that are not the core's are ignored here.
    pub(crate) fn plant(&mut self, bug: InjectedBug) {
        self.planted = Some(bug);
    }

    /// The pick of a planted routing bug of this run's strategy among the available agents
    /// (with `capability`, if given) for which `fits` holds; `None` when no such bug is
    /// planted, so the strategy picks.
    pub(super) fn planted_pick(
        &self,
        capability: Option<&str>,
        fits: &dyn Fn(AgentId) -> bool,
    ) -> Option<Option<AgentId>> {
        let order: fn(&Core, AgentId) -> (u64, u64, AgentId) = match (self.planted?, self.strategy)
        {
            (InjectedBug::RoundRobinSticks, Strategy::RoundRobin) => |_, a| (0, 0, a),
            (InjectedBug::LeastLoadedLowestId, Strategy::LeastLoaded) => {
                |core, a| (core.agents[a].in_flight as u64, 0, a)
            }
            (InjectedBug::AdaptiveIgnoresHealth, Strategy::Adaptive) => |core, a| {
                let agent = &core.agents[a];
                (agent.in_flight as u64, agent.last_routed, a)
            },
            _ => return None,
        };
        Some(
            (0..self.agents.len())
                .filter(|&a| self.agents[a].state.is_available())
                .filter(|&a| capability.is_none_or(|c| self.agents[a].can(c)))
                .filter(|&a| fits(a))
                .min_by_key(|&a| order(self, a)),
        )
    }

    /// The capability `task` needs, as routing sees it: none under a planted
    /// `specialized_ignores_capability`.
    pub(super) fn needed_capability(&self, task: TaskId) -> Option<String> {
        if self.planted == Some(InjectedBug::SpecializedIgnoresCapability)
            && self.strategy == Strategy::Specialized
        {
            return None;
        }
        self.tasks[&task].capability().map(str::to_owned)
    }

    /// `decision` as a planted `consensus_ignores_quorum` makes it: reached.
    pub(super) fn planted_decision(&self, mut decision: RoundOutcome) -> RoundOutcome {
        if self.planted == Some(InjectedBug::ConsensusIgnoresQuorum) {
            decision.reached = true;
        }
        decision
    }
}
