//! Agents as the coordination layer sees them: a role, capabilities, a health state and a load.

use serde::{Deserialize, Serialize};
use swarm_test_spec::{Role, Roster, TopologyKind};

use crate::topology::AgentId;

/// An agent's lifecycle state, as the coordination layer sees it.
///
/// `Starting` → `Ready` when the agent reports ready; `Ready` ⇄ `Busy` with work in flight;
/// `Degraded` while impaired (see [`AgentRecord::impaired`]); `Failed` when failure detection
/// declares it (missed heartbeats), back to `Ready` when it is heard from again; `Removed`
/// when taken out on purpose ([`Core::remove_agent`](super::Core::remove_agent)).
///
/// ```
/// use swarm_test::AgentState;
///
/// assert!(AgentState::Busy.is_available());
/// assert!(!AgentState::Failed.is_available());
/// ```
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
pub struct AgentRecord {
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
    /// Recent failure rate, 0..=1: an exponentially weighted average of its task outcomes
    /// (1 for an error or a timeout while it held the task, 0 for a success), weight
    /// [`EWMA_WEIGHT`] on the newest. Used by the adaptive strategy and for `Degraded`.
    pub error_rate: f64,
    /// Recent execution latency, ms: an exponentially weighted average (weight
    /// [`EWMA_WEIGHT`]) of the time from assigning it a task to the task's result; 0 before
    /// its first one.
    pub latency_ms: f64,
    /// The CPU load it reported in its last heartbeat, 0..=1.
    pub cpu: f64,
    /// When the router last picked it, as the core's count of routing decisions (0: never).
    /// Load-aware strategies break ties in favour of the agent picked least recently, so
    /// equally loaded agents take turns (as nginx's `least_conn` does) instead of the lowest
    /// id taking every task of a sequential flow.
    pub last_routed: u64,
    /// What it can do, when not its role's (a user's agent states its own).
    #[serde(skip)]
    capabilities: Option<&'static [&'static str]>,
}

/// Weight of the newest sample in the agents' moving averages. The default value is 0.3.
pub const EWMA_WEIGHT: f64 = 0.3;

/// An agent is `Degraded` while its reported CPU load is at least this. The default value is
/// 0.85.
pub const DEGRADED_CPU: f64 = 0.85;

/// An agent is `Degraded` while its recent failure rate is at least this. The default value
/// is 0.5.
pub const DEGRADED_ERROR_RATE: f64 = 0.5;

impl AgentRecord {
    /// A new agent in the `Starting` state.
    pub fn new(id: AgentId, role: Role) -> Self {
        AgentRecord {
            id,
            role,
            state: AgentState::Starting,
            in_flight: 0,
            executed: 0,
            errors: 0,
            error_rate: 0.0,
            latency_ms: 0.0,
            cpu: 0.0,
            last_routed: 0,
            capabilities: None,
        }
    }

    /// The same agent with its own `capabilities` instead of its role's.
    pub fn with_capabilities(mut self, capabilities: &'static [&'static str]) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// Folds one task outcome into [`AgentRecord::error_rate`].
    pub fn record_outcome(&mut self, failed: bool) {
        let x = if failed { 1.0 } else { 0.0 };
        self.error_rate += EWMA_WEIGHT * (x - self.error_rate);
    }

    /// Folds one latency sample into [`AgentRecord::latency_ms`].
    pub fn record_latency(&mut self, ms: f64) {
        self.latency_ms = if self.latency_ms == 0.0 {
            ms
        } else {
            self.latency_ms + EWMA_WEIGHT * (ms - self.latency_ms)
        };
    }

    /// Whether it is impaired: CPU at or above [`DEGRADED_CPU`], or failure rate at or above
    /// [`DEGRADED_ERROR_RATE`].
    pub fn impaired(&self) -> bool {
        self.cpu >= DEGRADED_CPU || self.error_rate >= DEGRADED_ERROR_RATE
    }

    /// Recomputes a live agent's state from its load and health (`Starting`, `Failed` and
    /// `Removed` are left alone: only startup, failure detection and removal change them).
    pub fn refresh_state(&mut self) {
        if !self.state.is_available() {
            return;
        }
        self.state = if self.impaired() {
            AgentState::Degraded
        } else if self.in_flight > 0 {
            AgentState::Busy
        } else {
            AgentState::Ready
        };
    }

    /// What this agent can do: its own list (a user's agent), else its role's.
    pub fn capabilities(&self) -> &'static [&'static str] {
        self.capabilities
            .unwrap_or_else(|| self.role.capabilities())
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
