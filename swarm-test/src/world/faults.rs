//! Faults in mock mode: modelled effects on agents, links and the market.
//!
//! | fault | effect in mock mode |
//! |---|---|
//! | `cpu_spike(load)` | target's service time × `1 / (1 − load)` (at most × 10); reported CPU = load |
//! | `memory_leak(rate)` | target's memory grows at `rate` MB/s from 128 MB; at 1024 MB it is killed (crash) |
//! | `latency(delay, jitter)` | every link gets `delay + U(0, jitter)` more one-way latency |
//! | `packet_loss(rate)` | every message is dropped with probability `rate` |
//! | `network_issue` | latency and packet loss together |
//! | `partition(halves \| isolate = T)` | messages between the two sides are dropped |
//! | `crash(T)` | target is dead: drops messages, loses work in progress; `restart = D`, or the end of `for D`, brings it back empty |
//! | `hang(T)` | target is paused: messages and work wait until the fault heals, then resume |
//! | `error_rate(rate)` | target answers each task (or its pipeline stage of a task) with an error with probability `rate` |
//! | `volatility(level)` | market shock: the price model's volatility follows `level` |
//!
//! Faults heal at the end of their duration (`for D`), or never if none is given; a test body
//! can also inject and heal them at run time (`Swarm::inject`, `Swarm::heal`), through the same
//! code. Healing undoes what is still undoable: a crashed target restarts (empty), a hung one
//! resumes, the network and the market go back to normal; memory already leaked stays, and an
//! agent a leak killed stays dead.

use std::collections::BTreeSet;

use swarm_test_spec::{FaultKind, FaultSpec, Partition, Target, TopologyKind};

use super::{FaultOutcome, Trace};
use crate::core::AgentRecord;
use crate::error::InjectError;
use crate::rng::SimRng;
use crate::topology::AgentId;

/// Memory an agent starts with, in MB.
pub const BASE_MEMORY_MB: f64 = 128.0;
/// Memory at which a leaking agent is killed, in MB.
pub const MEMORY_LIMIT_MB: f64 = 1_024.0;
/// Largest service slowdown a CPU spike causes.
pub const MAX_SLOWDOWN: f64 = 10.0;

/// A fault that has started, with the agents it hit.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Index in the run's fault list.
    pub index: usize,
    /// The fault.
    pub spec: FaultSpec,
    /// The agents it hit (empty for network-wide and market faults).
    pub targets: Vec<AgentId>,
    /// When it started.
    pub at_us: u64,
}

/// Resolves a fault target to agent ids, in ascending order.
pub(crate) fn resolve(
    target: &Target,
    kind: TopologyKind,
    agents: &[AgentRecord],
    rng: &mut SimRng,
) -> Result<Vec<AgentId>, InjectError> {
    let n = agents.len();
    let root = |what: &'static str, want: TopologyKind| -> Result<Vec<AgentId>, InjectError> {
        if kind == want {
            Ok(vec![0])
        } else {
            Err(InjectError::NeedsTopology {
                target: what,
                needs: want.as_str(),
                found: kind.as_str(),
            })
        }
    };
    let mut picked: Vec<AgentId> = match target {
        Target::Hub => root("hub", TopologyKind::Star)?,
        Target::Coordinator => root("coordinator", TopologyKind::Hierarchical)?,
        Target::Leader => agents
            .iter()
            .find(|a| a.state.is_available())
            .map(|a| vec![a.id])
            .unwrap_or_default(),
        Target::Random => vec![rng.below(n as u64) as usize],
        Target::All => (0..n).collect(),
        Target::Index(i) if *i < n => vec![*i],
        Target::Index(i) => {
            return Err(InjectError::NoSuchAgent {
                index: *i,
                last: n - 1,
            })
        }
        Target::Role(role) => {
            let ids: Vec<_> = agents
                .iter()
                .filter(|a| a.role == *role)
                .map(|a| a.id)
                .collect();
            if ids.is_empty() {
                return Err(InjectError::NoRole {
                    role: role.as_str(),
                });
            }
            ids
        }
        Target::Fraction(f) => {
            let count = ((f * n as f64).ceil() as usize).clamp(1, n);
            let mut pool: Vec<AgentId> = (0..n).collect();
            (0..count)
                .map(|_| pool.remove(rng.below(pool.len() as u64) as usize))
                .collect()
        }
    };
    picked.sort_unstable();
    Ok(picked)
}

/// Checks that `target` can hit something in this swarm, without drawing from the run's RNG
/// (the checks never depend on a draw: `random` and fractions always find agents).
pub(crate) fn check(
    target: &Target,
    kind: TopologyKind,
    agents: &[AgentRecord],
) -> Result<(), InjectError> {
    resolve(target, kind, agents, &mut SimRng::new(0)).map(|_| ())
}

/// The agents a fault of this kind hits, in ascending order: its target resolved (drawing from
/// `rng` for `random` and fractions), or none for swarm-wide faults. Both modes resolve through
/// here, so a seed picks the same agents in mock and live mode. An error says why the target
/// cannot be hit in this swarm.
pub(crate) fn fault_targets(
    kind: &FaultKind,
    topology: TopologyKind,
    agents: &[AgentRecord],
    rng: &mut SimRng,
) -> Result<Vec<AgentId>, InjectError> {
    match kind.target() {
        Some(target) => resolve(target, topology, agents, rng),
        None => Ok(Vec::new()),
    }
}

/// The agents fault `spec`, due at `now_us`, starts on ([`fault_targets`]), or `None` when its
/// target cannot be hit in this swarm: then the fault is not applied, the trace says why and
/// its report entry `outcome` shows when it was due, with no targets.
pub(crate) fn targets_when_due(
    spec: &FaultSpec,
    topology: TopologyKind,
    agents: &[AgentRecord],
    rng: &mut SimRng,
    trace: &mut Trace,
    outcome: &mut FaultOutcome,
    now_us: u64,
) -> Option<Vec<AgentId>> {
    match fault_targets(&spec.kind, topology, agents, rng) {
        Ok(targets) => Some(targets),
        Err(reason) => {
            trace.record(
                now_us,
                format_args!("fault `{}` not applied: {reason}", spec.text),
            );
            outcome.at_us = Some(now_us);
            None
        }
    }
}

/// The faults in force and their combined effects.
#[derive(Debug, Clone, Default)]
pub(crate) struct Active {
    faults: Vec<Applied>,
}

impl Active {
    /// Starts a fault.
    pub(crate) fn start(&mut self, applied: Applied) {
        self.faults.push(applied);
    }

    /// Heals fault `index`; returns it if it was active.
    pub(crate) fn heal(&mut self, index: usize) -> Option<Applied> {
        let at = self.faults.iter().position(|f| f.index == index)?;
        Some(self.faults.remove(at))
    }

    /// Whether fault `index` is in force.
    pub(crate) fn holds(&self, index: usize) -> bool {
        self.faults.iter().any(|f| f.index == index)
    }

    /// The faults in force.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Applied> {
        self.faults.iter()
    }

    fn on_agent(&self, agent: AgentId) -> impl Iterator<Item = &FaultKind> {
        self.faults
            .iter()
            .filter(move |f| f.targets.contains(&agent))
            .map(|f| &f.spec.kind)
    }

    /// Service-time multiplier for `agent` (1.0 without a CPU spike).
    pub(crate) fn slowdown(&self, agent: AgentId) -> f64 {
        self.cpu_load(agent)
            .map_or(1.0, |load| (1.0 / (1.0 - load)).min(MAX_SLOWDOWN))
    }

    /// The CPU load a spike imposes on `agent`, if any (the highest of overlapping spikes).
    pub(crate) fn cpu_load(&self, agent: AgentId) -> Option<f64> {
        self.on_agent(agent)
            .filter_map(|k| match k {
                FaultKind::CpuSpike { load, .. } => Some(*load),
                _ => None,
            })
            .reduce(f64::max)
    }

    /// Probability that `agent` answers a task with an error.
    pub(crate) fn error_rate(&self, agent: AgentId) -> f64 {
        self.on_agent(agent)
            .filter_map(|k| match k {
                FaultKind::ErrorRate { rate, .. } => Some(*rate),
                _ => None,
            })
            .fold(0.0, |acc, r| 1.0 - (1.0 - acc) * (1.0 - r))
    }

    /// Whether `agent` is paused by a hang.
    pub(crate) fn is_hung(&self, agent: AgentId) -> bool {
        self.on_agent(agent)
            .any(|k| matches!(k, FaultKind::Hang { .. }))
    }

    /// Extra one-way delay on a link: `(delay_us, jitter_us)` summed over latency faults.
    pub(crate) fn extra_delay_us(&self) -> (u64, u64) {
        self.faults
            .iter()
            .fold((0, 0), |(d, j), f| match f.spec.kind {
                FaultKind::Latency {
                    delay_ms,
                    jitter_ms,
                }
                | FaultKind::NetworkIssue {
                    delay_ms,
                    jitter_ms,
                    ..
                } => (d + delay_ms * 1_000, j + jitter_ms * 1_000),
                _ => (d, j),
            })
    }

    /// Probability that a message is dropped.
    pub(crate) fn loss(&self) -> f64 {
        self.faults
            .iter()
            .filter_map(|f| match f.spec.kind {
                FaultKind::PacketLoss { rate } => Some(rate),
                FaultKind::NetworkIssue { loss, .. } => Some(loss),
                _ => None,
            })
            .fold(0.0, |acc, r| 1.0 - (1.0 - acc) * (1.0 - r))
    }

    /// The faults in force that match `pick` and, with `agent` given, target that agent: the
    /// faults to blame for what happened to a message or a piece of work.
    pub(crate) fn blame(
        &self,
        agent: Option<AgentId>,
        pick: impl Fn(&FaultKind) -> bool,
    ) -> Vec<usize> {
        self.faults
            .iter()
            .filter(|f| agent.is_none_or(|a| f.targets.contains(&a)) && pick(&f.spec.kind))
            .map(|f| f.index)
            .collect()
    }

    /// The highest `volatility(level)` in force, 0 without one: the market volatility the
    /// autoscaler sees, in both drivers.
    pub(crate) fn volatility(&self) -> f64 {
        self.faults
            .iter()
            .filter_map(|f| match f.spec.kind {
                FaultKind::Volatility { level } => Some(level),
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// The partitions in force that separate agents `a` and `b` (empty: they can talk).
    pub(crate) fn separating(&self, a: AgentId, b: AgentId, agents: usize) -> Vec<usize> {
        self.faults
            .iter()
            .filter(|f| match &f.spec.kind {
                FaultKind::Partition {
                    cut: Partition::Halves,
                } => (a < agents / 2) != (b < agents / 2),
                FaultKind::Partition { .. } => {
                    let side: BTreeSet<_> = f.targets.iter().collect();
                    side.contains(&a) != side.contains(&b)
                }
                _ => false,
            })
            .map(|f| f.index)
            .collect()
    }
}

/// Whether a fault of this kind slows `agent`'s work (for [`Active::blame`]).
pub(crate) fn slows(kind: &FaultKind) -> bool {
    matches!(kind, FaultKind::CpuSpike { load, .. } if *load > 0.0)
}

/// Whether a fault of this kind makes an agent answer with errors.
pub(crate) fn errs(kind: &FaultKind) -> bool {
    matches!(kind, FaultKind::ErrorRate { rate, .. } if *rate > 0.0)
}

/// Whether a fault of this kind pauses an agent.
pub(crate) fn hangs(kind: &FaultKind) -> bool {
    matches!(kind, FaultKind::Hang { .. })
}

/// Whether a fault of this kind kills an agent (a crash, or a leak at the memory limit).
pub(crate) fn kills(kind: &FaultKind) -> bool {
    matches!(kind, FaultKind::Crash { .. } | FaultKind::MemoryLeak { .. })
}

/// Whether a fault of this kind delays messages.
pub(crate) fn delays(kind: &FaultKind) -> bool {
    match *kind {
        FaultKind::Latency {
            delay_ms,
            jitter_ms,
        }
        | FaultKind::NetworkIssue {
            delay_ms,
            jitter_ms,
            ..
        } => delay_ms + jitter_ms > 0,
        _ => false,
    }
}

/// Whether a fault of this kind drops messages at random.
pub(crate) fn loses(kind: &FaultKind) -> bool {
    match *kind {
        FaultKind::PacketLoss { rate } | FaultKind::NetworkIssue { loss: rate, .. } => rate > 0.0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use swarm_test_spec::Role;

    use super::*;
    use crate::driver::sim::testing::started;

    fn applied(index: usize, text: &str, targets: Vec<AgentId>) -> Applied {
        Applied {
            index,
            spec: FaultSpec::parse(text).unwrap(),
            targets,
            at_us: 0,
        }
    }

    #[test]
    fn partitions_separate_the_right_pairs() {
        let mut active = Active::default();
        active.start(applied(0, "partition(halves)", vec![]));
        active.start(applied(3, "partition(isolate = 5)", vec![5]));
        assert_eq!(active.separating(0, 1, 6), Vec::<usize>::new());
        assert_eq!(active.separating(2, 3, 6), vec![0]);
        assert_eq!(active.separating(4, 5, 6), vec![3]);
        assert_eq!(active.separating(0, 5, 6), vec![0, 3]);
        active.heal(0);
        assert_eq!(active.separating(2, 3, 6), Vec::<usize>::new());
    }

    #[test]
    fn blame_picks_faults_by_kind_and_target() {
        let mut active = Active::default();
        active.start(applied(0, "hang(1)", vec![1]));
        active.start(applied(1, "error_rate(0.5, target = all)", vec![0, 1, 2]));
        active.start(applied(2, "latency(10ms)", vec![]));
        active.start(applied(3, "network_issue(0ms, loss = 0.1)", vec![]));
        active.start(applied(4, "cpu_spike(0, target = 1)", vec![1]));
        assert_eq!(active.blame(Some(1), hangs), vec![0]);
        assert_eq!(active.blame(Some(2), hangs), Vec::<usize>::new());
        assert_eq!(active.blame(Some(2), errs), vec![1]);
        assert_eq!(
            active.blame(None, delays),
            vec![2],
            "a 0 ms delay delays nothing"
        );
        assert_eq!(active.blame(None, loses), vec![3]);
        assert_eq!(active.blame(Some(1), slows), Vec::<usize>::new(), "load 0");
    }

    #[test]
    fn impossible_targets_are_named_without_drawing() {
        let agents: Vec<AgentRecord> = (0..4)
            .map(|i| AgentRecord::new(i, Role::MomentumTrader))
            .collect();
        let e = check(&Target::Hub, TopologyKind::Mesh, &agents)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "target `hub` needs a star topology, but this swarm is a mesh"
        );
        let e = check(&Target::Index(4), TopologyKind::Mesh, &agents)
            .unwrap_err()
            .to_string();
        assert!(e.contains("agents 0..=3"), "{e}");
        let e = check(
            &Target::Role(Role::RiskManager),
            TopologyKind::Mesh,
            &agents,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("matches no agent"), "{e}");
        assert!(check(&Target::Random, TopologyKind::Mesh, &agents).is_ok());
        assert!(check(&Target::Fraction(0.5), TopologyKind::Mesh, &agents).is_ok());
    }

    #[test]
    fn a_crash_heals_at_the_end_of_its_duration() {
        let mut s = started(
            &[
                ("topology", "mesh"),
                ("agents", "4"),
                ("inject", "crash(1) @ 10ms for 500ms"),
            ],
            1,
        );
        let start = s.now_us();
        s.run_until(start + 200_000).unwrap();
        assert!(!s.is_alive(1));
        s.run_until(start + 600_000).unwrap();
        assert!(s.is_alive(1), "healed: restarted");
        assert_eq!(s.fault_outcomes()[0].healed_us, Some(start + 510_000));
    }
}
