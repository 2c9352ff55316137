//! Agents joining and leaving a live swarm, pinned dispatch, and the measurements the
//! deployment patterns read, as `sim/membership.rs` does in mock mode.
//!
//! A joining agent gets the core's next id, a new slot and a process of its own (the test
//! binary re-executed, as at setup, told its role through [`ROLE_VAR`](super::agent::ROLE_VAR)
//! since the test's roster does not list it); it becomes ready through the handshake. A
//! leaving agent drains first; once it holds nothing it is retired and its process killed on
//! purpose (reaped by the reader's close, never reported as an error). Load is measured: CPU
//! from the process's CPU time over [`CPU_WINDOW_US`](super::CPU_WINDOW_US), memory from its
//! resident set against [`MEMORY_LIMIT_MB`].

use swarm_test_spec::{FaultSpec, Role};

use super::state::State;
use crate::core::{Proposal, RoundId, Task, TaskId, Vote};
use crate::market::TradesReport;
use crate::topology::AgentId;
use crate::world::MEMORY_LIMIT_MB;

impl State {
    /// A new agent with `role` joins now: its process starts and it becomes ready through the
    /// handshake (see `Effects::spawn`).
    pub(crate) fn add_agent(&mut self, role: Role) -> AgentId {
        let agent = self.world.add_agent(&mut self.io, role);
        self.drain();
        agent
    }

    /// `agent` takes no new work; see [`State::retire_drained`].
    pub(crate) fn drain_agent(&mut self, agent: AgentId) {
        let now = self.now_us();
        self.world.drain_agent(now, agent);
        self.drain();
    }

    /// Retires every draining agent that holds nothing any more and kills its process (on
    /// purpose: its exit is no error); returns them.
    pub(crate) fn retire_drained(&mut self) -> Vec<AgentId> {
        let done = self.world.retire_drained(&mut self.io);
        self.drain();
        done
    }

    /// Whether some agent is still draining.
    pub(crate) fn draining(&self) -> bool {
        self.world.draining()
    }

    /// Hands a task to the swarm now, to be executed by an agent of `pool` only.
    pub(crate) fn dispatch_to(&mut self, task: Task, pool: &[AgentId]) -> TaskId {
        let id = self.world.dispatch_to(&mut self.io, task, pool);
        self.drain();
        id
    }

    /// Puts `proposal` to a vote now. Errors: an invalid proposal.
    pub(crate) fn propose(&mut self, proposal: Proposal) -> Result<RoundId, String> {
        let round = self.world.propose(&mut self.io, proposal);
        self.drain();
        round
    }

    /// `agent` answered a vote request (a late answer to a closed round is kept out by the
    /// core).
    pub(crate) fn voted(&mut self, agent: AgentId, round: RoundId, vote: Vote) {
        let now = self.now_us();
        if self.io.vote_requests.remove(&(round, agent)).is_none() {
            return self.protocol_error(
                agent,
                format!(
                    "agent {agent} voted in round {}, where it was not asked to",
                    round.0
                ),
            );
        }
        self.world.trace.record(
            now,
            format_args!("agent {agent} votes {} in round {}", vote.as_str(), round.0),
        );
        self.world.core.handle_vote_cast(now, agent, round, vote);
    }

    /// Adds a fault at run time (see `World::inject`).
    pub(crate) fn inject(&mut self, spec: FaultSpec) -> Result<usize, String> {
        let index = self.world.inject(&mut self.io, spec);
        self.drain();
        index
    }

    /// Heals fault `index` now (see `World::heal`).
    pub(crate) fn heal(&mut self, index: usize) {
        self.world.heal(&mut self.io, index);
        self.drain();
    }

    /// `agent`'s measured CPU load over the last window, 0..=1 (one core).
    pub(crate) fn cpu_load_of(&self, agent: AgentId) -> f64 {
        self.io
            .slots
            .get(agent)
            .map_or(0.0, |s| s.cpu_load.clamp(0.0, 1.0))
    }

    /// Mean measured memory utilisation (resident memory / limit) of `agents`, 0 for none.
    pub(crate) fn memory_utilisation(&self, agents: &[AgentId]) -> f64 {
        if agents.is_empty() {
            return 0.0;
        }
        let total: f64 = agents
            .iter()
            .map(|&a| self.io.slots.get(a).map_or(0.0, |s| s.rss_mb))
            .map(|mb| mb.min(MEMORY_LIMIT_MB))
            .sum();
        total / agents.len() as f64 / MEMORY_LIMIT_MB
    }

    /// The highest `volatility(level)` fault in force, 0 without one (as in mock mode).
    pub(crate) fn market_volatility(&self) -> f64 {
        self.world.market_volatility()
    }

    /// Starts `fault` now on exactly `targets` (its own target is ignored), for its duration
    /// if it has one; reported with the run's other faults.
    pub(crate) fn apply_fault_to(&mut self, fault: &FaultSpec, targets: &[AgentId]) {
        self.world.apply_fault_to(&mut self.io, fault, targets);
        self.drain();
    }

    /// The trades report, positions marked to market now.
    pub(crate) fn trades_now(&mut self) -> TradesReport {
        let now = self.now_us();
        self.world.trades_report(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::process::ProcessBackend;
    use crate::backend::Launch;
    use crate::core::AgentState;
    use crate::driver::live::AgentEnv;
    use swarm_test_spec::SpecBuilder;

    /// A controller state for a 3-agent mesh whose agent program is `sleep 30` (started, never
    /// ready: enough to see membership without the handshake).
    fn state() -> State {
        let spec = SpecBuilder::new("t", "live::membership")
            .with("topology", "mesh")
            .with("agents", 3u64)
            .build()
            .unwrap();
        let launch = Launch {
            program: "sleep".into(),
            args: vec!["30".into()],
            env: Vec::new(),
        };
        let env = AgentEnv {
            run: "r".into(),
            agent: 0,
            seed: 1,
            test: "t".into(),
        };
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let backend = Box::new(ProcessBackend::new().unwrap());
        State::new(&spec, 1, backend, launch, env, tx).unwrap()
    }

    #[test]
    fn a_joiner_gets_a_slot_and_a_process_and_a_retired_one_loses_it() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _context = runtime.enter();
        let mut s = state();
        let joined = s.add_agent(Role::PairsTrader);
        assert_eq!(joined, 3);
        assert_eq!(s.io.slots.len(), 4);
        assert_eq!(s.world.core.agents()[joined].state, AgentState::Starting);
        assert_eq!(s.world.core.agents()[joined].role, Role::PairsTrader);
        let pid = s.pids()[joined].expect("its process runs");
        assert!(s.io.errors.is_empty(), "{:?}", s.io.errors);

        s.drain_agent(joined);
        assert!(s.draining());
        assert_eq!(s.retire_drained(), vec![joined], "it holds nothing");
        assert!(!s.draining());
        assert_eq!(s.world.core.agents()[joined].state, AgentState::Removed);
        assert!(s.io.slots[joined].killed, "killed on purpose: no error");
        assert_eq!(s.pids()[joined], None);
        s.kill_all();
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn load_is_read_from_the_measured_slots() {
        let mut s = state();
        s.io.slots[0].rss_mb = MEMORY_LIMIT_MB / 2.0;
        s.io.slots[1].cpu_load = 1.6; // two threads busy: one core's worth is the most
        assert_eq!(s.memory_utilisation(&[0]), 0.5);
        assert_eq!(s.memory_utilisation(&[0, 2]), 0.25);
        assert_eq!(s.memory_utilisation(&[]), 0.0);
        assert_eq!(s.cpu_load_of(1), 1.0);
        assert_eq!(s.cpu_load_of(9), 0.0, "no such agent");
        assert_eq!(s.market_volatility(), 0.0, "no volatility fault");
    }
}
