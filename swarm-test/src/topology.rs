//! The swarm's communication graph: who may talk to whom.
//!
//! Messages travel only along these edges; the driver checks every hop. The graph also answers
//! the questions a reviewer asks of a deployment: how far apart are agents (diameter), and which
//! single agents would cut the swarm in two if lost (articulation points).
//!
//! The graph is built from its kind, and changes only by [`Topology::promote`]: when a star's
//! hub or a hierarchy's coordinator (or any inner node of the tree) is detected failed, one
//! of its children takes its place and its edges. "Messages only along edges" is checked
//! against the graph in force when the message is sent.

use std::collections::{BTreeSet, VecDeque};
use std::sync::OnceLock;

use swarm_test_spec::TopologyKind;

mod membership;

/// An agent's index in the swarm, `0..agents`.
///
/// ```
/// use swarm_test::{AgentId, Topology, TopologyKind};
///
/// let star = Topology::new(TopologyKind::Star, 5);
/// let hub: AgentId = 0;
/// assert_eq!(star.degree(hub), 4);
/// ```
pub type AgentId = usize;

/// Children per node in a hierarchical swarm. The default value is 4.
pub const HIERARCHY_FANOUT: usize = 4;

/// An undirected graph over agents `0..n`, built from a [`TopologyKind`].
///
/// ```
/// use swarm_test::{Topology, TopologyKind};
///
/// let star = Topology::new(TopologyKind::Star, 7);
/// assert_eq!(star.degree(0), 6);
/// assert_eq!(star.articulation_points(), vec![0]);
/// ```
#[derive(Clone)]
pub struct Topology {
    kind: TopologyKind,
    adjacency: Vec<BTreeSet<AgentId>>,
    /// Agents taken out of the swarm (no edges left); see `membership.rs`.
    retired: BTreeSet<AgentId>,
    /// The graph as rooted trees, if it is a forest (star, hierarchy), built on first use and
    /// dropped by every change of edges: a path in a tree is a walk up to the common
    /// ancestor, not a search of the swarm.
    forest: OnceLock<Option<Forest>>,
}

/// A forest rooted at the lowest id of each component: parent and depth of every agent.
#[derive(Debug, Clone)]
struct Forest {
    /// `usize::MAX` for a root.
    parent: Vec<AgentId>,
    depth: Vec<u32>,
}

impl Forest {
    /// The one path from `from` to `to`, if they share a tree and every agent on it but
    /// `from` is `usable`: what a breadth-first search finds in a tree, without the search.
    fn path(
        &self,
        from: AgentId,
        to: AgentId,
        usable: impl Fn(AgentId) -> bool,
    ) -> Option<Vec<AgentId>> {
        let (mut a, mut b) = (from, to);
        let mut up = Vec::new();
        let mut down = Vec::new();
        while self.depth[a] > self.depth[b] {
            up.push(a);
            a = self.parent[a];
        }
        while self.depth[b] > self.depth[a] {
            down.push(b);
            b = self.parent[b];
        }
        while a != b {
            if self.parent[a] == usize::MAX {
                return None; // Two trees.
            }
            up.push(a);
            down.push(b);
            a = self.parent[a];
            b = self.parent[b];
        }
        up.push(a);
        up.extend(down.into_iter().rev());
        up[1..].iter().all(|&x| usable(x)).then_some(up)
    }
}

impl PartialEq for Topology {
    fn eq(&self, other: &Self) -> bool {
        (self.kind, &self.adjacency, &self.retired)
            == (other.kind, &other.adjacency, &other.retired)
    }
}

impl Eq for Topology {}

impl std::fmt::Debug for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topology")
            .field("kind", &self.kind)
            .field("adjacency", &self.adjacency)
            .field("retired", &self.retired)
            .finish()
    }
}

impl Topology {
    /// Builds the graph for `kind` over `agents` agents.
    ///
    /// Mesh: every pair connected. Star: agent 0 is the hub. Ring: `i` ↔ `i+1 mod n`.
    /// Hierarchical: a tree in breadth-first order with [`HIERARCHY_FANOUT`] children per node;
    /// agent 0 is the coordinator.
    pub fn new(kind: TopologyKind, agents: usize) -> Self {
        let mut topology = Topology {
            kind,
            adjacency: vec![BTreeSet::new(); agents],
            retired: BTreeSet::new(),
            forest: OnceLock::new(),
        };
        match kind {
            TopologyKind::Mesh => {
                for a in 0..agents {
                    for b in a + 1..agents {
                        topology.connect(a, b);
                    }
                }
            }
            TopologyKind::Star => {
                for spoke in 1..agents {
                    topology.connect(0, spoke);
                }
            }
            TopologyKind::Ring => {
                for a in 0..agents {
                    let b = (a + 1) % agents;
                    if a != b {
                        topology.connect(a, b);
                    }
                }
            }
            TopologyKind::Hierarchical => {
                for child in 1..agents {
                    topology.connect((child - 1) / HIERARCHY_FANOUT, child);
                }
            }
        }
        topology
    }

    fn connect(&mut self, a: AgentId, b: AgentId) {
        self.forest = OnceLock::new();
        self.adjacency[a].insert(b);
        self.adjacency[b].insert(a);
    }

    fn disconnect(&mut self, a: AgentId, b: AgentId) {
        self.forest = OnceLock::new();
        self.adjacency[a].remove(&b);
        self.adjacency[b].remove(&a);
    }

    /// The graph as a rooted forest, or `None` if it has a cycle.
    fn forest(&self) -> Option<&Forest> {
        self.forest
            .get_or_init(|| {
                let n = self.len();
                let edges: usize = self.adjacency.iter().map(BTreeSet::len).sum::<usize>() / 2;
                let mut parent = vec![usize::MAX; n];
                let mut depth = vec![u32::MAX; n];
                let mut components = 0;
                let mut queue = VecDeque::new();
                for root in 0..n {
                    if depth[root] != u32::MAX {
                        continue;
                    }
                    components += 1;
                    depth[root] = 0;
                    queue.push_back(root);
                    while let Some(node) = queue.pop_front() {
                        for next in self.neighbours(node) {
                            if depth[next] == u32::MAX {
                                depth[next] = depth[node] + 1;
                                parent[next] = node;
                                queue.push_back(next);
                            }
                        }
                    }
                }
                (edges + components == n).then_some(Forest { parent, depth })
            })
            .as_ref()
    }

    /// `successor` takes `failed`'s place: every edge of `failed` except the one between them
    /// moves to `successor`, and `failed` keeps a single edge, to `successor` (so if it comes
    /// back it is a spoke or child of its successor). A star stays a star around the new hub;
    /// a tree stays a tree. Returns the agents whose edge moved, in ascending order.
    ///
    /// ```
    /// use swarm_test::{Topology, TopologyKind};
    ///
    /// let mut star = Topology::new(TopologyKind::Star, 4);
    /// assert_eq!(star.promote(0, 1), vec![2, 3]);
    /// assert_eq!(star.degree(1), 3);
    /// assert_eq!(star.neighbours(0).collect::<Vec<_>>(), vec![1]);
    /// assert_eq!(star.articulation_points(), vec![1]);
    /// ```
    pub fn promote(&mut self, failed: AgentId, successor: AgentId) -> Vec<AgentId> {
        let moved: Vec<AgentId> = self
            .neighbours(failed)
            .filter(|&x| x != successor)
            .collect();
        for &x in &moved {
            self.disconnect(failed, x);
            self.connect(successor, x);
        }
        self.connect(failed, successor);
        moved
    }

    /// Moves a newcomer's edges (to `from`) onto `to`: a star whose hub was replaced
    /// connects joiners to the hub in force.
    pub(crate) fn promote_edges_of_newcomer(
        &mut self,
        agent: AgentId,
        from: &[AgentId],
        to: AgentId,
    ) {
        for &x in from {
            self.disconnect(agent, x);
        }
        self.connect(agent, to);
    }

    /// The parent of every agent in the tree rooted at `root` (`None` for the root and for
    /// agents not reachable from it), by breadth-first search.
    pub fn parents_from(&self, root: AgentId) -> Vec<Option<AgentId>> {
        let mut parent = vec![None; self.len()];
        let mut seen = vec![false; self.len()];
        seen[root] = true;
        let mut queue = VecDeque::from([root]);
        while let Some(node) = queue.pop_front() {
            for next in self.neighbours(node) {
                if !seen[next] {
                    seen[next] = true;
                    parent[next] = Some(node);
                    queue.push_back(next);
                }
            }
        }
        parent
    }

    /// The same graph with every edge that touches an agent outside `live` removed (the
    /// agents keep their ids): the live graph, whose articulation points are the single points
    /// of failure that remain.
    pub fn restricted(&self, live: impl Fn(AgentId) -> bool) -> Topology {
        let adjacency = self
            .adjacency
            .iter()
            .enumerate()
            .map(|(a, n)| match live(a) {
                true => n.iter().copied().filter(|&b| live(b)).collect(),
                false => BTreeSet::new(),
            })
            .collect();
        Topology {
            kind: self.kind,
            adjacency,
            retired: self.retired.clone(),
            forest: OnceLock::new(),
        }
    }

    /// The kind this graph was built from.
    pub fn kind(&self) -> TopologyKind {
        self.kind
    }

    /// Number of agents (nodes).
    pub fn len(&self) -> usize {
        self.adjacency.len()
    }

    /// Whether the graph has no agents.
    pub fn is_empty(&self) -> bool {
        self.adjacency.is_empty()
    }

    /// The agents `agent` is connected to, in ascending order.
    pub fn neighbours(&self, agent: AgentId) -> impl Iterator<Item = AgentId> + '_ {
        self.adjacency[agent].iter().copied()
    }

    /// Number of connections of `agent`.
    pub fn degree(&self, agent: AgentId) -> usize {
        self.adjacency[agent].len()
    }

    /// Whether `a` and `b` are directly connected.
    pub fn is_edge(&self, a: AgentId, b: AgentId) -> bool {
        self.adjacency.get(a).is_some_and(|n| n.contains(&b))
    }

    /// Every edge once, as `(low, high)` pairs in ascending order.
    pub fn edges(&self) -> Vec<(AgentId, AgentId)> {
        let mut edges = Vec::new();
        for (a, neighbours) in self.adjacency.iter().enumerate() {
            edges.extend(neighbours.range(a + 1..).map(|&b| (a, b)));
        }
        edges
    }

    /// The shortest path from `from` to `to` (both included) through agents for which `usable`
    /// holds, preferring lower ids on ties; `None` if `to` cannot be reached.
    pub fn path(
        &self,
        from: AgentId,
        to: AgentId,
        usable: impl Fn(AgentId) -> bool,
    ) -> Option<Vec<AgentId>> {
        if from == to {
            return Some(vec![from]);
        }
        if self.is_edge(from, to) {
            // The breadth-first search below would find it first, as the only path of one hop;
            // a hub reaches its spoke (and a spoke its hub) without a walk over the swarm.
            return usable(to).then(|| vec![from, to]);
        }
        if let Some(forest) = self.forest() {
            return forest.path(from, to, usable);
        }
        let mut previous = vec![usize::MAX; self.len()];
        previous[from] = from;
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            for next in self.neighbours(node) {
                if previous[next] != usize::MAX || !usable(next) {
                    continue;
                }
                previous[next] = node;
                if next == to {
                    let mut path = vec![to];
                    let mut at = to;
                    while at != from {
                        at = previous[at];
                        path.push(at);
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(next);
            }
        }
        None
    }

    /// Hop distances from `from` to every agent (`None` where unreachable).
    fn distances(&self, from: AgentId) -> Vec<Option<usize>> {
        let mut distance = vec![None; self.len()];
        distance[from] = Some(0);
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            let d = distance[node].unwrap_or(0);
            for next in self.neighbours(node) {
                if distance[next].is_none() {
                    distance[next] = Some(d + 1);
                    queue.push_back(next);
                }
            }
        }
        distance
    }

    /// The longest shortest path between two agents, in hops; `None` if the graph is
    /// disconnected. Retired agents do not count.
    ///
    /// Linear in the graph's size for the shapes swarms have (a complete graph, a tree, a
    /// cycle); quadratic only for other graphs.
    pub fn diameter(&self) -> Option<usize> {
        let live: Vec<AgentId> = self.live().collect();
        let Some(&first) = live.first() else {
            return Some(0);
        };
        let m = live.len();
        let reach = self.distances(first);
        if live.iter().any(|&a| reach[a].is_none()) {
            return None;
        }
        // Retired agents have no edges, so these are the live graph's edges.
        let edges = self.adjacency.iter().map(BTreeSet::len).sum::<usize>() / 2;
        if edges == m * (m - 1) / 2 {
            return Some(usize::from(m > 1));
        }
        if edges == m - 1 {
            // A tree: the farthest agent from any agent is an end of a longest path.
            let far = live
                .iter()
                .copied()
                .max_by_key(|&a| (reach[a], std::cmp::Reverse(a)))
                .unwrap_or(first);
            return self.distances(far).into_iter().flatten().max();
        }
        if edges == m && live.iter().all(|&a| self.degree(a) == 2) {
            return Some(m / 2); // A cycle.
        }
        let mut diameter = 0;
        for from in (0..self.len()).filter(|a| !self.retired.contains(a)) {
            for (to, d) in self.distances(from).into_iter().enumerate() {
                if !self.retired.contains(&to) {
                    diameter = diameter.max(d?);
                }
            }
        }
        Some(diameter)
    }

    /// Agents whose loss disconnects the remaining swarm: its single points of failure,
    /// in ascending order (Tarjan's low-link algorithm, iterative).
    pub fn articulation_points(&self) -> Vec<AgentId> {
        let n = self.len();
        let mut order = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut is_cut = vec![false; n];
        let mut counter = 0;
        for root in 0..n {
            if order[root] != usize::MAX {
                continue;
            }
            let mut root_children = 0;
            order[root] = counter;
            low[root] = counter;
            counter += 1;
            // (node, parent, neighbours still to visit)
            let mut stack: Vec<(AgentId, AgentId, Vec<AgentId>)> =
                vec![(root, usize::MAX, self.neighbours(root).collect())];
            while let Some((node, parent, pending)) = stack.last_mut() {
                let (node, parent) = (*node, *parent);
                if let Some(next) = pending.pop() {
                    if order[next] == usize::MAX {
                        order[next] = counter;
                        low[next] = counter;
                        counter += 1;
                        if node == root {
                            root_children += 1;
                        }
                        stack.push((next, node, self.neighbours(next).collect()));
                    } else if next != parent {
                        low[node] = low[node].min(order[next]);
                    }
                } else {
                    stack.pop();
                    if let Some((up, _, _)) = stack.last() {
                        let up = *up;
                        low[up] = low[up].min(low[node]);
                        if up != root && low[node] >= order[up] {
                            is_cut[up] = true;
                        }
                    }
                }
            }
            if root_children > 1 {
                is_cut[root] = true;
            }
        }
        (0..n).filter(|&a| is_cut[a]).collect()
    }

    /// The groups the rest of the swarm would split into if `agent` were lost, each in
    /// ascending order, ordered by their lowest agent. One group means nothing is cut off.
    /// Retired agents are in no group.
    pub fn components_without(&self, agent: AgentId) -> Vec<Vec<AgentId>> {
        let mut seen = vec![false; self.len()];
        let mut groups = Vec::new();
        for start in (0..self.len()).filter(|&a| a != agent && !self.retired.contains(&a)) {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut group = vec![start];
            let mut queue = VecDeque::from([start]);
            while let Some(node) = queue.pop_front() {
                for next in self.neighbours(node).filter(|&b| b != agent) {
                    if !seen[next] {
                        seen[next] = true;
                        group.push(next);
                        queue.push_back(next);
                    }
                }
            }
            group.sort_unstable();
            groups.push(group);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesh_connects_everyone() {
        let t = Topology::new(TopologyKind::Mesh, 5);
        assert!((0..5).all(|a| t.degree(a) == 4));
        assert_eq!(t.edges().len(), 10);
        assert_eq!(t.diameter(), Some(1));
        assert!(t.articulation_points().is_empty());
    }

    #[test]
    fn hierarchy_is_a_tree_with_fanout_four() {
        let t = Topology::new(TopologyKind::Hierarchical, 5);
        assert_eq!(t.degree(0), 4);
        assert!((1..5).all(|a| t.degree(a) == 1));
        assert_eq!(t.articulation_points(), vec![0]);
        let big = Topology::new(TopologyKind::Hierarchical, 21);
        assert_eq!(big.edges().len(), 20);
        assert_eq!(big.neighbours(1).collect::<Vec<_>>(), vec![0, 5, 6, 7, 8]);
        assert_eq!(big.diameter(), Some(4));
        assert_eq!(big.articulation_points(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn ring_has_two_neighbours_and_no_cut_vertex() {
        let t = Topology::new(TopologyKind::Ring, 4);
        assert!((0..4).all(|a| t.degree(a) == 2));
        assert_eq!(t.diameter(), Some(2));
        assert!(t.articulation_points().is_empty());
        assert_eq!(t.path(0, 2, |_| true), Some(vec![0, 1, 2]));
        assert_eq!(t.path(0, 2, |a| a != 1), Some(vec![0, 3, 2]));
    }

    #[test]
    fn star_hub_is_the_single_point_of_failure() {
        let t = Topology::new(TopologyKind::Star, 7);
        assert_eq!(t.articulation_points(), vec![0]);
        assert_eq!(t.components_without(0).len(), 6);
        assert_eq!(t.components_without(3), vec![vec![0, 1, 2, 4, 5, 6]]);
        assert_eq!(t.path(1, 2, |a| a != 0), None);
        assert_eq!(
            t.path(0, 5, |_| true),
            Some(vec![0, 5]),
            "hub to spoke: one hop"
        );
        assert_eq!(t.path(5, 0, |_| true), Some(vec![5, 0]));
        assert_eq!(
            t.path(0, 5, |a| a != 5),
            None,
            "an unusable end is not reached"
        );
        assert_eq!(t.path(1, 2, |_| true), Some(vec![1, 0, 2]));
    }

    #[test]
    fn promotion_keeps_a_tree_a_tree() {
        let mut t = Topology::new(TopologyKind::Hierarchical, 9);
        // 0 → 1..=4, 1 → 5..=8. Agent 1 fails: its first child takes over.
        assert_eq!(t.promote(1, 5), vec![0, 6, 7, 8]);
        assert_eq!(t.edges().len(), 8);
        assert_eq!(t.neighbours(5).collect::<Vec<_>>(), vec![0, 1, 6, 7, 8]);
        assert_eq!(t.parents_from(0)[6], Some(5));
        assert_eq!(t.parents_from(0)[1], Some(5));
        assert!(t.diameter().is_some());
    }

    #[test]
    fn the_live_graph_drops_dead_agents_edges() {
        let ring = Topology::new(TopologyKind::Ring, 5);
        let live = ring.restricted(|a| a != 2);
        assert_eq!(live.degree(2), 0);
        assert_eq!(live.edges().len(), 3);
        // Without agent 2 the ring is a line 3-4-0-1: its inner agents are cut points.
        let cuts: Vec<_> = live
            .articulation_points()
            .into_iter()
            .filter(|&a| a != 2)
            .collect();
        assert_eq!(cuts, vec![0, 4]);
    }

    #[test]
    fn articulation_points_match_brute_force() {
        // Brute force: a vertex is a cut vertex if removing it splits the rest.
        for kind in [
            TopologyKind::Mesh,
            TopologyKind::Star,
            TopologyKind::Ring,
            TopologyKind::Hierarchical,
        ] {
            for n in 2..30 {
                let t = Topology::new(kind, n);
                let brute: Vec<_> = (0..n)
                    .filter(|&a| t.components_without(a).len() > 1)
                    .collect();
                assert_eq!(t.articulation_points(), brute, "{kind:?} with {n} agents");
            }
        }
    }

    /// The breadth-first search every answer must agree with: shortest path, lower ids first.
    fn searched_path(
        t: &Topology,
        from: AgentId,
        to: AgentId,
        usable: impl Fn(AgentId) -> bool,
    ) -> Option<Vec<AgentId>> {
        if from == to {
            return Some(vec![from]);
        }
        let mut previous = vec![usize::MAX; t.len()];
        previous[from] = from;
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            for next in t.neighbours(node) {
                if previous[next] != usize::MAX || !usable(next) {
                    continue;
                }
                previous[next] = node;
                if next == to {
                    let mut path = vec![to];
                    while *path.last().unwrap() != from {
                        path.push(previous[*path.last().unwrap()]);
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(next);
            }
        }
        None
    }

    /// Every pair's distance, the longest wins.
    fn searched_diameter(t: &Topology) -> Option<usize> {
        let live: Vec<AgentId> = t.live().collect();
        let mut diameter = 0;
        for &a in &live {
            let d = t.distances(a);
            for &b in &live {
                diameter = diameter.max(d[b]?);
            }
        }
        Some(diameter)
    }

    proptest::proptest! {
        /// Paths and diameters by shape (a tree's walk to the common ancestor, a cycle's
        /// half) agree with a search of the whole graph, through promotions, joins and
        /// retirements and with agents unusable.
        #[test]
        fn shortcuts_agree_with_a_search(
            kind in 0..4usize,
            n in 1..40usize,
            changes in proptest::collection::vec((0..3u8, 0..64usize, 0..64usize), 0..6),
            down in proptest::collection::vec(0..64usize, 0..4),
        ) {
            let kind = [
                TopologyKind::Mesh,
                TopologyKind::Star,
                TopologyKind::Ring,
                TopologyKind::Hierarchical,
            ][kind];
            let mut t = Topology::new(kind, n);
            for (what, a, b) in changes {
                let (a, b) = (a % t.len(), b % t.len());
                match what {
                    0 if t.is_edge(a, b) => {
                        t.promote(a, b);
                    }
                    1 => {
                        t.add_agent();
                    }
                    2 if t.live_len() > 1 => t.retire(a),
                    _ => {}
                }
            }
            proptest::prop_assert_eq!(t.diameter(), searched_diameter(&t));
            let down: Vec<AgentId> = down.into_iter().map(|d| d % t.len()).collect();
            let usable = |a: AgentId| !down.contains(&a);
            for from in 0..t.len() {
                for to in 0..t.len() {
                    proptest::prop_assert_eq!(
                        t.path(from, to, usable),
                        searched_path(&t, from, to, usable),
                        "{} to {}", from, to
                    );
                }
            }
        }
    }
}
