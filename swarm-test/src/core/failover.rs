//! Heartbeats in the core, failure detection, failover and promotion.
//!
//! The detector's rules are in [`health`](super::health); this file wires them to the swarm:
//! who are an agent's peers, what happens when one is declared failed (its open tasks are
//! rerouted; a failed hub, coordinator or parent is replaced by its lowest-id live child,
//! which takes its edges), and what happens when it is heard from again.

use swarm_test_spec::TopologyKind;

use super::agent::AgentState;
use super::coordinator::{Core, Endpoint, Message, Output};
use super::health::{HealthEvent, Heard};
use super::task::TaskId;
use crate::topology::AgentId;

impl Core {
    /// `agent`'s heartbeat timer fired at `now_us` (call it every
    /// [`HEARTBEAT_INTERVAL_US`](super::HEARTBEAT_INTERVAL_US) for each agent whose process
    /// runs; not for a dead or paused one). It sends a heartbeat carrying `incarnation` (the
    /// process's restart count) and `cpu` (its load, 0..=1) to each peer, then checks its
    /// peers for silence; a peer condemned by a majority of its monitors is declared failed.
    pub fn handle_tick(&mut self, now_us: u64, agent: AgentId, incarnation: u32, cpu: f64) {
        if matches!(
            self.agents[agent].state,
            AgentState::Starting | AgentState::Removed
        ) {
            return;
        }
        if incarnation > self.ticked_incarnation[agent] {
            // A new process: it remembers nothing of its peers.
            self.ticked_incarnation[agent] = incarnation;
            self.detector.reset(agent);
        }
        let peers = self.peers(agent);
        for &peer in &peers {
            self.heartbeats_sent += 1;
            let msg = Message::Heartbeat { incarnation, cpu };
            self.transmit(Endpoint::Agent(agent), Endpoint::Agent(peer), msg);
        }
        for suspect in self.detector.check(now_us, agent, &peers) {
            self.evaluate(now_us, suspect);
        }
    }

    /// Health bookkeeping for an agent that just joined (see `Core::add_agent`): a detector
    /// slot, a closed breaker, and, in a star whose hub was replaced, its edge to the hub in
    /// force rather than to the original one.
    pub(super) fn joined(&mut self, agent: AgentId) {
        self.detector.grow();
        self.ticked_incarnation.push(0);
        self.breakers.push(Default::default());
        if let (TopologyKind::Star, Some(hub)) = (self.topology.kind(), self.root()) {
            if !self.topology.is_edge(hub, agent) {
                let wrong: Vec<AgentId> = self.topology.neighbours(agent).collect();
                self.topology.promote_edges_of_newcomer(agent, &wrong, hub);
            }
        }
    }

    /// The agents `agent` exchanges heartbeats with: its neighbours in the topology in force
    /// (not starting or removed), or in a mesh the nearest available agents before and after
    /// it by id (a monitoring ring over the mesh's edges).
    pub fn peers(&self, agent: AgentId) -> Vec<AgentId> {
        let member = |a: AgentId| {
            !matches!(
                self.agents[a].state,
                AgentState::Starting | AgentState::Removed
            )
        };
        if self.topology.kind() != TopologyKind::Mesh {
            return self
                .topology
                .neighbours(agent)
                .filter(|&a| member(a))
                .collect();
        }
        let n = self.agents.len();
        let live = |a: AgentId| a != agent && self.agents[a].state.is_available();
        let next = (1..n).map(|i| (agent + i) % n).find(|&a| live(a));
        let prev = (1..n).map(|i| (agent + n - i) % n).find(|&a| live(a));
        let mut peers: Vec<AgentId> = next.into_iter().chain(prev).collect();
        peers.sort_unstable();
        peers.dedup();
        peers
    }

    /// A heartbeat from `sender` reached `monitor`.
    pub(super) fn heartbeat_from(
        &mut self,
        now_us: u64,
        monitor: AgentId,
        sender: AgentId,
        incarnation: u32,
        cpu: f64,
    ) {
        let heard = self.detector.heard(now_us, monitor, sender, incarnation);
        self.agents[sender].cpu = cpu;
        match self.agents[sender].state {
            AgentState::Failed => self.revive(now_us, sender, heard == Heard::Restarted),
            AgentState::Removed | AgentState::Starting => {}
            _ => {
                if heard == Heard::Restarted {
                    self.lose_work(now_us, sender);
                    self.agents[sender].in_flight = 0;
                    self.log(HealthEvent::Restarted {
                        agent: sender,
                        at_us: now_us,
                    });
                }
                self.touch(sender);
            }
        }
    }

    /// Declares `agent` failed if a majority of its live monitors suspect it.
    fn evaluate(&mut self, now_us: u64, agent: AgentId) {
        if !self.agents[agent].state.is_available() {
            return;
        }
        let monitors: Vec<AgentId> = self
            .peers(agent)
            .into_iter()
            .filter(|&m| self.agents[m].state.is_available())
            .collect();
        if self.detector.condemned(agent, &monitors) {
            let by = self.detector.suspected_by(agent);
            self.mark_failed(now_us, agent, by);
        }
    }

    /// The client timed out on a task `agent` held. If no live peer is left to watch
    /// `agent` (a hub whose spokes all failed), the client's timeout is the only detector
    /// there is: it declares `agent` failed itself (`by` is empty).
    pub(super) fn client_detects(&mut self, now_us: u64, agent: AgentId) {
        if !self.agents[agent].state.is_available() {
            return;
        }
        let watched = self
            .peers(agent)
            .into_iter()
            .any(|m| self.agents[m].state.is_available());
        if !watched {
            self.mark_failed(now_us, agent, Vec::new());
        }
    }

    pub(super) fn log(&mut self, event: HealthEvent) {
        self.health_log.push(event.clone());
        self.outputs.push_back(Output::Health(event));
    }

    /// `agent` is failed: replace it if it led others, then reroute what it held.
    pub(super) fn mark_failed(&mut self, now_us: u64, agent: AgentId, by: Vec<AgentId>) {
        self.agents[agent].state = AgentState::Failed;
        self.agents[agent].in_flight = 0;
        self.touch(agent);
        self.log(HealthEvent::Failed {
            agent,
            at_us: now_us,
            by,
        });
        self.replace_if_leader(now_us, agent);
        self.lose_work(now_us, agent);
    }

    /// If `failed` is the root, or a parent in a hierarchy, its lowest-id live child takes its
    /// place and its edges.
    fn replace_if_leader(&mut self, now_us: u64, failed: AgentId) {
        let Some(root) = self.root else { return };
        if self.root_lost.is_some() {
            return;
        }
        let children: Vec<AgentId> = if failed == root {
            self.topology.neighbours(failed).collect()
        } else if self.topology.kind() == TopologyKind::Hierarchical {
            let parents = self.topology.parents_from(root);
            self.topology
                .neighbours(failed)
                .filter(|&c| parents[c] == Some(failed))
                .collect()
        } else {
            return;
        };
        if children.is_empty() {
            return;
        }
        let role = match (failed == root, self.topology.kind()) {
            (true, TopologyKind::Star) => "hub",
            (true, _) => "coordinator",
            (false, _) => "parent",
        };
        let Some(successor) = children
            .into_iter()
            .find(|&c| self.agents[c].state.is_available())
        else {
            if failed == root {
                self.root_lost = Some((failed, now_us));
                self.log(HealthEvent::RootLost {
                    failed,
                    at_us: now_us,
                });
            }
            return;
        };
        let moved = self.topology.promote(failed, successor);
        self.note_moved(failed, &moved);
        if failed == root {
            self.root = Some(successor);
        }
        self.log(HealthEvent::Promoted {
            failed,
            successor,
            role: role.to_owned(),
            moved,
            at_us: now_us,
        });
    }

    /// Remembers the links a promotion took from `failed` (a message planned along one of
    /// them before the promotion is not sent: see `transmit`).
    fn note_moved(&mut self, failed: AgentId, moved: &[AgentId]) {
        for &x in moved {
            self.moved_edges.insert((failed.min(x), failed.max(x)));
        }
    }

    /// `agent` was declared failed and is heard from again.
    fn revive(&mut self, now_us: u64, agent: AgentId, restarted: bool) {
        self.detector.reset(agent);
        self.agents[agent].state = AgentState::Ready;
        self.agents[agent].in_flight = 0;
        self.touch(agent);
        self.log(HealthEvent::Recovered {
            agent,
            at_us: now_us,
            restarted,
        });
        if let Some((lost, _)) = self.root_lost {
            // The swarm had no root: the first agent back that can lead becomes it.
            if lost == agent {
                self.root_lost = None;
            } else if self.topology.is_edge(lost, agent) {
                let moved = self.topology.promote(lost, agent);
                self.note_moved(lost, &moved);
                self.root = Some(agent);
                self.root_lost = None;
                self.log(HealthEvent::Promoted {
                    failed: lost,
                    successor: agent,
                    role: if self.topology.kind() == TopologyKind::Star {
                        "hub"
                    } else {
                        "coordinator"
                    }
                    .to_owned(),
                    moved,
                    at_us: now_us,
                });
            }
        }
    }

    /// Whatever `agent` held is gone: reroute every open task that still had to pass through
    /// it (the rest of its plan, or the rest of its result's way back).
    pub(super) fn lose_work(&mut self, now_us: u64, agent: AgentId) {
        let hit: Vec<TaskId> = self
            .holders
            .iter()
            .filter(|(task, h)| {
                let ahead: Vec<AgentId> = match h.result {
                    true => self
                        .routes
                        .get(task)
                        .map(|r| r[h.hop..].to_vec())
                        .unwrap_or_default(),
                    false => self
                        .plans
                        .get(task)
                        .map(|p| p[h.hop..].iter().map(|x| x.agent).collect())
                        .unwrap_or_default(),
                };
                ahead.contains(&agent)
            })
            .map(|(task, _)| task)
            .collect();
        for task in hit {
            if !self.ledger.has_ended(task) {
                super::coordinator::avoid_insert(&mut self.avoid, task, agent);
                let attempts = self.ledger.assignments(task).len();
                self.outputs
                    .push_back(Output::FailedOver { task, attempts });
                self.route(now_us, task);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::coordinator::{Envelope, Output};
    use super::*;
    use crate::topology::Topology;
    use swarm_test_spec::{Role, Strategy};

    /// Runs ticks for the agents in `alive` every interval until `until_us`, delivering
    /// heartbeats instantly; returns the health events seen.
    fn run(core: &mut Core, alive: &[AgentId], until_us: u64) -> Vec<HealthEvent> {
        let mut events = Vec::new();
        let mut t = 0;
        while t <= until_us {
            for &a in alive {
                core.handle_tick(t, a, 0, 0.0);
            }
            while let Some(out) = core.poll_output() {
                match out {
                    Output::Transmit(Envelope {
                        to: Endpoint::Agent(b),
                        ..
                    }) if !alive.contains(&b) => {}
                    Output::Transmit(env) => core.handle_delivery(t, env),
                    Output::Health(e) => events.push(e),
                    _ => {}
                }
            }
            t += super::super::HEARTBEAT_INTERVAL_US;
        }
        events
    }

    fn core(kind: TopologyKind, n: usize) -> Core {
        let mut core = Core::new(
            Topology::new(kind, n),
            &vec![Role::MomentumTrader; n],
            Strategy::RoundRobin,
        )
        .unwrap();
        for a in 0..n {
            core.agent_ready(0, a);
        }
        core
    }

    #[test]
    fn a_silent_hub_is_detected_and_the_lowest_spoke_promoted() {
        let mut c = core(TopologyKind::Star, 5);
        let events = run(&mut c, &[1, 2, 3, 4], 1_000_000);
        assert!(
            matches!(events[0], HealthEvent::Failed { agent: 0, .. }),
            "{events:?}"
        );
        assert!(events.iter().any(|e| matches!(
            e,
            HealthEvent::Promoted {
                failed: 0,
                successor: 1,
                ..
            }
        )));
        assert_eq!(c.root(), Some(1));
        assert_eq!(c.topology().degree(1), 4);
        assert!(c.edge_violations().is_empty());
    }

    #[test]
    fn everyone_alive_means_no_detection() {
        for kind in [
            TopologyKind::Mesh,
            TopologyKind::Ring,
            TopologyKind::Star,
            TopologyKind::Hierarchical,
        ] {
            let mut c = core(kind, 7);
            let events = run(&mut c, &(0..7).collect::<Vec<_>>(), 2_000_000);
            assert!(events.is_empty(), "{kind:?}: {events:?}");
            assert!(c.heartbeats() > 0);
        }
    }

    #[test]
    fn a_mesh_costs_two_heartbeats_per_agent_per_interval() {
        let mut c = core(TopologyKind::Mesh, 10);
        run(&mut c, &(0..10).collect::<Vec<_>>(), 0);
        assert_eq!(c.heartbeats(), 20);
    }

    #[test]
    fn a_removed_agent_gets_no_work_and_no_heartbeats() {
        let mut c = core(TopologyKind::Mesh, 4);
        c.remove_agent(0, 2);
        assert_eq!(c.agents()[2].state, AgentState::Removed);
        assert_eq!(
            c.peers(1),
            vec![0, 3],
            "the monitoring ring closes over the gap"
        );
        let events = run(&mut c, &[0, 1, 3], 1_000_000);
        assert!(
            events.is_empty(),
            "a removed agent is not failed: {events:?}"
        );
        for t in 0..6 {
            let id = c.dispatch(t, super::super::task::Task::trade("SPY"));
            assert_ne!(c.ledger().assignments(id), &[2]);
        }
    }

    #[test]
    fn a_dead_stage_is_detected_by_both_neighbours() {
        let mut c = core(TopologyKind::Ring, 5);
        let events = run(&mut c, &[0, 1, 3, 4], 600_000);
        let HealthEvent::Failed { agent, by, .. } = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!((*agent, by.clone()), (2, vec![1, 3]));
        assert_eq!(c.root(), None);
    }
}
