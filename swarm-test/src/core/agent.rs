//! Agents as the coordination layer sees them: a role, capabilities, a health state and a load.

use serde::{Deserialize, Serialize};
use swarm_test_spec::{Role, Roster, TopologyKind};

use crate::topology::AgentId;

/// An agent's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Started, not ready yet.
    Starting,
    /// Ready and idle.
    Ready,
    /// Ready and executing at least one task.
    Busy,
    /// Alive but impaired (e.g. under a CPU spike or answering with errors).
    Degraded,
    /// Dead or unreachable.
    Failed,
    /// Taken out of the swarm on purpose.
    Removed,
}

impl AgentState {
    /// Whether the agent can take work.
    pub fn is_available(self) -> bool {
        matches!(
            self,
            AgentState::Ready | AgentState::Busy | AgentState::Degraded
        )
    }
}

/// One agent: what it is and how it is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// Index in the swarm.
    pub id: AgentId,
    /// Its trading role.
    pub role: Role,
    /// Its health state.
    pub state: AgentState,
    /// Tasks currently assigned and not finished.
    pub in_flight: u32,
    /// Tasks it executed to completion.
    pub executed: u64,
    /// Tasks it answered with an error.
    pub errors: u64,
}

impl Agent {
    /// A new agent in the `Starting` state.
    pub fn new(id: AgentId, role: Role) -> Self {
        Agent {
            id,
            role,
            state: AgentState::Starting,
            in_flight: 0,
            executed: 0,
            errors: 0,
        }
    }

    /// What this agent can do (from its role).
    pub fn capabilities(&self) -> &'static [&'static str] {
        self.role.capabilities()
    }

    /// Whether this agent has `capability`.
    pub fn can(&self, capability: &str) -> bool {
        self.capabilities().contains(&capability)
    }
}

/// The roles of `agents` agents: the roster expanded in order, or the topology's default.
///
/// Defaults: mesh, all momentum traders (equal peers); star, a portfolio optimizer hub and
/// momentum trader spokes; hierarchical, a portfolio optimizer coordinator and workers cycling
/// momentum, mean reversion, neural forecaster, risk manager; ring, a pipeline: a data collector,
/// neural forecasters (analysis), a risk manager, and a momentum trader that executes.
pub fn roles_for(kind: TopologyKind, agents: usize, roster: Option<&Roster>) -> Vec<Role> {
    if let Some(roster) = roster {
        return roster.roles();
    }
    (0..agents)
        .map(|i| match kind {
            TopologyKind::Mesh => Role::MomentumTrader,
            TopologyKind::Star if i == 0 => Role::PortfolioOptimizer,
            TopologyKind::Star => Role::MomentumTrader,
            TopologyKind::Hierarchical if i == 0 => Role::PortfolioOptimizer,
            TopologyKind::Hierarchical => [
                Role::MomentumTrader,
                Role::MeanReversionTrader,
                Role::NeuralForecaster,
                Role::RiskManager,
            ][(i - 1) % 4],
            TopologyKind::Ring if i == 0 => Role::DataCollector,
            TopologyKind::Ring if i + 1 == agents => Role::MomentumTrader,
            TopologyKind::Ring if i + 2 == agents => Role::RiskManager,
            TopologyKind::Ring => Role::NeuralForecaster,
        })
        .collect()
}
