//! Heartbeats and failure detection: how the swarm learns that an agent is gone.
//!
//! Nobody tells the coordination core that an agent crashed, hung or was cut off: it finds
//! out the way a real swarm does.
//!
//! - **Heartbeats.** Every [`HEARTBEAT_INTERVAL_US`] each live agent sends a heartbeat to each
//!   of its *peers*: its neighbours in the topology in force (ring, star, hierarchical), or, in
//!   a mesh, the nearest agents before and after it by id that are not known to be failed (a
//!   monitoring ring laid over the mesh's edges, so a mesh costs two heartbeats per agent per
//!   interval, not n − 1). Heartbeats are ordinary messages: they travel along edges, count in
//!   `messages.sent`, and are delayed, dropped or partitioned like any other. A heartbeat
//!   carries the sender's *incarnation* (bumped when its process restarts) and its CPU load.
//! - **Suspicion.** At each of its own ticks, an agent checks its peers: one not heard from
//!   for more than [`FAILURE_TIMEOUT_US`] is suspected by it. Hearing from it again withdraws
//!   the suspicion.
//! - **Detection.** An agent is declared *failed* when a strict majority of its peers that are
//!   not failed themselves suspect it (all of them if it has one or two). The majority keeps
//!   one cut-off peer (an isolated spoke, a partitioned neighbour) from condemning a healthy
//!   agent that everyone else still hears.
//! - **Recovery.** A heartbeat from an agent marked failed revives it (it restarted, its hang
//!   ended, or the partition healed). A heartbeat with a higher incarnation than known means
//!   the process restarted: whatever it held is gone, even if nobody had noticed it was down.
//!
//! Detection time is therefore roughly the timeout plus up to one interval, plus the spread
//! of the monitors' ticks. The defaults suit agents on one LAN (link latency ≤ 20 ms).
//!
//! ```
//! use swarm_test::internals::core::{Detector, FAILURE_TIMEOUT_US, HEARTBEAT_INTERVAL_US};
//!
//! let mut d = Detector::new(3);
//! d.heard(0, 1, 0, 0); // monitor 1 heard agent 0 at t = 0
//! assert!(d.check(HEARTBEAT_INTERVAL_US, 1, &[0]).is_empty());
//! assert_eq!(d.check(FAILURE_TIMEOUT_US + 1, 1, &[0]), vec![0]);
//! assert_eq!(d.suspected_by(0), vec![1]);
//! ```

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::breaker::Transition;
use crate::topology::AgentId;

/// How often each agent sends heartbeats, µs. The default value is 100 ms.
pub const HEARTBEAT_INTERVAL_US: u64 = 100_000;

/// Silence after which a peer suspects an agent, µs: three missed heartbeats. The default
/// value is 300 ms.
pub const FAILURE_TIMEOUT_US: u64 = 300_000;

/// A change in the swarm's health, as the core saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthEvent {
    /// Failure detection declared `agent` failed.
    Failed {
        /// The agent.
        agent: AgentId,
        /// When, µs.
        at_us: u64,
        /// The peers whose suspicion condemned it.
        by: Vec<AgentId>,
    },
    /// `agent` was heard from again after being declared failed.
    Recovered {
        /// The agent.
        agent: AgentId,
        /// When, µs.
        at_us: u64,
        /// Whether it came back as a new incarnation (its process restarted).
        restarted: bool,
    },
    /// `agent` restarted (a new incarnation) before anyone declared it failed: its work was
    /// lost all the same.
    Restarted {
        /// The agent.
        agent: AgentId,
        /// When, µs.
        at_us: u64,
    },
    /// `successor` took `failed`'s place as hub, coordinator or parent, with its edges.
    Promoted {
        /// The failed agent.
        failed: AgentId,
        /// The agent promoted.
        successor: AgentId,
        /// `"hub"`, `"coordinator"` or `"parent"`.
        role: String,
        /// The agents whose edge moved from `failed` to `successor`.
        moved: Vec<AgentId>,
        /// When, µs.
        at_us: u64,
    },
    /// The hub or coordinator failed and no child was alive to take its place.
    RootLost {
        /// The failed root.
        failed: AgentId,
        /// When, µs.
        at_us: u64,
    },
    /// A circuit breaker changed state.
    Breaker(Transition),
}

/// What a heartbeat told its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// The same process as before.
    Alive,
    /// A new incarnation: the sender restarted since it was last heard.
    Restarted,
}

/// A monitor's clocks on its peers.
type Clocks = HashMap<AgentId, u64, BuildHasherDefault<IdHasher>>;

/// Hashes an agent id by one multiplication (ids are small and dense; nothing here faces
/// untrusted keys), where the default hasher would spend a SipHash per heartbeat.
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_usize(&mut self, id: usize) {
        self.0 = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Heartbeat bookkeeping: who heard whom when, and who suspects whom.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    /// Per monitor: peer → when last heard (or when watching started), µs. Only ever looked
    /// up, never iterated, so a hash map (a hub hears every spoke) cannot reach the output;
    /// its hasher is a fixed function all the same.
    heard: Vec<Clocks>,
    /// Per agent: the monitors that suspect it.
    suspects: Vec<BTreeSet<AgentId>>,
    /// Per agent: the highest incarnation heard.
    incarnation: Vec<u32>,
    heartbeats: u64,
}

impl Detector {
    /// A detector for `agents` agents, no heartbeat heard yet.
    pub fn new(agents: usize) -> Self {
        Detector {
            heard: vec![Clocks::default(); agents],
            suspects: vec![BTreeSet::new(); agents],
            incarnation: vec![0; agents],
            heartbeats: 0,
        }
    }

    /// Makes room for one more agent (it joined the running swarm).
    pub fn grow(&mut self) {
        self.heard.push(Clocks::default());
        self.suspects.push(BTreeSet::new());
        self.incarnation.push(0);
    }

    /// Heartbeats received so far.
    pub fn heartbeats(&self) -> u64 {
        self.heartbeats
    }

    /// `monitor` received a heartbeat from `peer` (incarnation `incarnation`) at `now_us`.
    pub fn heard(
        &mut self,
        now_us: u64,
        monitor: AgentId,
        peer: AgentId,
        incarnation: u32,
    ) -> Heard {
        self.heartbeats += 1;
        self.heard[monitor].insert(peer, now_us);
        self.suspects[peer].remove(&monitor);
        if incarnation > self.incarnation[peer] {
            self.incarnation[peer] = incarnation;
            Heard::Restarted
        } else {
            Heard::Alive
        }
    }

    /// `monitor` checks `peers` at `now_us`; returns the peers it newly suspects. A peer it
    /// never heard from is timed from this first check.
    pub fn check(&mut self, now_us: u64, monitor: AgentId, peers: &[AgentId]) -> Vec<AgentId> {
        let mut newly = Vec::new();
        for &peer in peers {
            let last = *self.heard[monitor].entry(peer).or_insert(now_us);
            if now_us.saturating_sub(last) > FAILURE_TIMEOUT_US
                && self.suspects[peer].insert(monitor)
            {
                newly.push(peer);
            }
        }
        newly
    }

    /// The monitors that suspect `agent`, in ascending order.
    pub fn suspected_by(&self, agent: AgentId) -> Vec<AgentId> {
        self.suspects[agent].iter().copied().collect()
    }

    /// Whether a strict majority of `monitors` (the agent's live peers) suspect `agent`
    /// (all of them when there are one or two; never when there are none).
    pub fn condemned(&self, agent: AgentId, monitors: &[AgentId]) -> bool {
        let suspecting = monitors
            .iter()
            .filter(|m| self.suspects[agent].contains(m))
            .count();
        let needed = match monitors.len() {
            0 => return false,
            1 | 2 => monitors.len(),
            n => n / 2 + 1,
        };
        suspecting >= needed
    }

    /// `agent` came back (or restarted): its old suspicions of others are stale, as are its
    /// clocks on its peers, and nobody suspects it any more.
    pub fn reset(&mut self, agent: AgentId) {
        self.heard[agent].clear();
        self.suspects[agent].clear();
        for set in &mut self.suspects {
            set.remove(&agent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_beyond_the_timeout_is_suspected_once() {
        let mut d = Detector::new(3);
        assert!(
            d.check(0, 0, &[1, 2]).is_empty(),
            "first check starts the clocks"
        );
        d.heard(250_000, 0, 1, 0);
        assert_eq!(d.check(FAILURE_TIMEOUT_US + 1, 0, &[1, 2]), vec![2]);
        assert!(d.check(FAILURE_TIMEOUT_US + 2, 0, &[1, 2]).is_empty());
        d.heard(400_000, 0, 2, 0);
        assert!(d.suspected_by(2).is_empty(), "hearing again withdraws it");
    }

    #[test]
    fn a_majority_of_live_peers_condemns() {
        let mut d = Detector::new(6);
        for m in [1, 2, 3] {
            d.check(0, m, &[0]);
        }
        let late = FAILURE_TIMEOUT_US + 1;
        d.check(late, 1, &[0]);
        assert!(!d.condemned(0, &[1, 2, 3, 4]), "1 of 4 is no majority");
        d.check(late, 2, &[0]);
        assert!(!d.condemned(0, &[1, 2, 3, 4]), "2 of 4 is no majority");
        d.check(late, 3, &[0]);
        assert!(d.condemned(0, &[1, 2, 3, 4]));
        assert!(!d.condemned(0, &[]));
        assert!(d.condemned(0, &[1]), "a lone monitor decides");
        assert!(!d.condemned(0, &[1, 5]), "two monitors must agree");
    }

    #[test]
    fn a_higher_incarnation_is_a_restart() {
        let mut d = Detector::new(2);
        assert_eq!(d.heard(0, 0, 1, 0), Heard::Alive);
        assert_eq!(d.heard(1, 0, 1, 1), Heard::Restarted);
        assert_eq!(d.heard(2, 0, 1, 1), Heard::Alive);
        assert_eq!(d.heartbeats(), 3);
    }

    #[test]
    fn reset_forgets_stale_suspicions() {
        let mut d = Detector::new(3);
        d.check(0, 0, &[1]);
        d.check(0, 2, &[0]);
        d.check(FAILURE_TIMEOUT_US + 1, 0, &[1]);
        d.check(FAILURE_TIMEOUT_US + 1, 2, &[0]);
        d.reset(0);
        assert!(d.suspected_by(1).is_empty());
        assert!(d.suspected_by(0).is_empty());
    }
}
