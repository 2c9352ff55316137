//! Agents joining and leaving a running swarm: edges per topology kind.
//!
//! A new agent gets the next id and the edges its kind gives a newcomer; a retired agent keeps
//! its id (so reports and ledgers stay readable) but loses every edge, and the graph is mended
//! where its kind needs it (a ring closes the gap; a tree hands the agent's children to its
//! parent). Diameter and single points of failure ignore retired agents.

use swarm_test_spec::TopologyKind;

use super::{AgentId, Topology, HIERARCHY_FANOUT};

impl Topology {
    /// Adds an agent and connects it as its topology kind does: to every live agent (mesh), to
    /// the hub 0 (star), into the ring between the last and the first live agents (ring), or
    /// under the lowest-id live agent with fewer than [`HIERARCHY_FANOUT`] children
    /// (hierarchical). Returns its id.
    ///
    /// ```
    /// use swarm_test::{Topology, TopologyKind};
    ///
    /// let mut star = Topology::new(TopologyKind::Star, 3);
    /// let new = star.add_agent();
    /// assert_eq!(new, 3);
    /// assert!(star.is_edge(0, 3));
    /// assert_eq!(star.degree(0), 3);
    /// ```
    pub fn add_agent(&mut self) -> AgentId {
        let id = self.adjacency.len();
        self.adjacency.push(Default::default());
        self.forest = Default::default();
        let live: Vec<AgentId> = self.live().filter(|&a| a != id).collect();
        match self.kind {
            TopologyKind::Mesh => {
                for a in live {
                    self.connect(id, a);
                }
            }
            TopologyKind::Star => {
                if let Some(&hub) = live.first() {
                    self.connect(hub, id);
                }
            }
            TopologyKind::Ring => match (live.first(), live.last()) {
                (Some(&first), Some(&last)) if first != last => {
                    if live.len() > 2 {
                        self.disconnect(last, first);
                    }
                    self.connect(last, id);
                    self.connect(id, first);
                }
                (Some(&only), _) => self.connect(only, id),
                _ => {}
            },
            TopologyKind::Hierarchical => {
                let parent = live
                    .iter()
                    .copied()
                    .find(|&p| self.neighbours(p).filter(|&c| c > p).count() < HIERARCHY_FANOUT);
                if let Some(parent) = parent {
                    self.connect(parent, id);
                }
            }
        }
        id
    }

    /// Takes `agent` out: removes its edges and mends the graph (a ring joins the agent's two
    /// neighbours; a tree moves its children to its parent). Retiring twice does nothing.
    pub fn retire(&mut self, agent: AgentId) {
        if agent >= self.len() || !self.retired.insert(agent) {
            return;
        }
        let neighbours: Vec<AgentId> = self.neighbours(agent).collect();
        for &n in &neighbours {
            self.disconnect(agent, n);
        }
        match self.kind {
            TopologyKind::Ring if neighbours.len() == 2 => {
                self.connect(neighbours[0], neighbours[1])
            }
            TopologyKind::Hierarchical => {
                let parent = neighbours.iter().copied().find(|&n| n < agent);
                if let Some(parent) = parent {
                    for &child in neighbours.iter().filter(|&&c| c > agent) {
                        self.connect(parent, child);
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether `agent` was retired.
    pub fn is_retired(&self, agent: AgentId) -> bool {
        self.retired.contains(&agent)
    }

    /// Agents not retired, ascending.
    pub fn live(&self) -> impl Iterator<Item = AgentId> + '_ {
        (0..self.len()).filter(|a| !self.retired.contains(a))
    }

    /// Number of agents not retired.
    pub fn live_len(&self) -> usize {
        self.len() - self.retired.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesh_newcomers_meet_everyone_alive() {
        let mut t = Topology::new(TopologyKind::Mesh, 3);
        t.retire(1);
        assert_eq!(t.degree(1), 0);
        let new = t.add_agent();
        assert_eq!(new, 3);
        assert_eq!(t.neighbours(3).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(t.edges().len(), 3);
        assert_eq!(
            t.diameter(),
            Some(1),
            "the retired agent does not disconnect the graph"
        );
        assert_eq!(t.live_len(), 3);
        assert!(t.articulation_points().is_empty());
    }

    #[test]
    fn ring_opens_and_closes() {
        let mut t = Topology::new(TopologyKind::Ring, 4);
        let new = t.add_agent();
        assert!(t.is_edge(3, new) && t.is_edge(new, 0) && !t.is_edge(3, 0));
        assert!((0..5).all(|a| t.degree(a) == 2));
        t.retire(2);
        assert!(t.is_edge(1, 3));
        assert_eq!(t.live().collect::<Vec<_>>(), vec![0, 1, 3, 4]);
        assert!(t.live().all(|a| t.degree(a) == 2));
        assert_eq!(t.diameter(), Some(2));
    }

    #[test]
    fn tree_newcomers_fill_the_lowest_parent() {
        let mut t = Topology::new(TopologyKind::Hierarchical, 5);
        let new = t.add_agent();
        assert!(t.is_edge(1, new), "agent 0 has four children; 1 is next");
        t.retire(1);
        assert!(t.is_edge(0, new), "the orphan moves to the root");
        assert_eq!(t.components_without(0).len(), 4);
        assert_eq!(t.articulation_points(), vec![0]);
    }

    #[test]
    fn star_spokes_come_and_go() {
        let mut t = Topology::new(TopologyKind::Star, 3);
        let a = t.add_agent();
        let b = t.add_agent();
        t.retire(a);
        t.retire(a);
        assert_eq!(t.degree(0), 3);
        assert!(t.is_edge(0, b));
        assert!(t.is_retired(a) && !t.is_retired(b));
        assert_eq!(t.components_without(0).len(), 3);
    }
}
