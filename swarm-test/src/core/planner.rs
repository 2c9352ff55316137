//! Planning a task's path: who executes it, and which agents it passes on the way.
//!
//! - **Mesh**: the client hands the task straight to the executor the strategy picked.
//! - **Star / hierarchical**: the task enters at the hub or coordinator (the *root*), which
//!   forwards it down the tree to the executor; the root executes only when no one else can.
//!   When the root has failed and no child could replace it, the task fails with a message
//!   that says so.
//! - **Ring**: a pipeline. Every trade passes the live stages in id order (collection →
//!   analysis → risk → execution) and is executed by the last one. A stage that is failed or
//!   whose circuit breaker is open is *skipped*: its work for that task is not done, the task
//!   travels from the stage before it to the stage after it the other way round the ring
//!   (the ring is bidirectional), and the skip is counted ([`Core::stages_skipped`]). If the
//!   live stages cannot reach each other (two stages down cut the ring in two), the task
//!   fails with a message naming the stages.
//! - **Relay** (ring only): `hops` hops forward from the ingress, or backward if a failed
//!   agent blocks the way forward.
//!
//! Every message goes along an edge of the topology in force; failed agents are never on a
//! path.

use std::collections::BTreeSet;

use swarm_test_spec::{Strategy, TopologyKind};

use super::agent::{AgentRecord, AgentState};
use super::breaker::{Admit, BreakerState};
use super::coordinator::{Core, Hop, Step};
use super::routing::{Adaptive, LeastLoaded, RoundRobin, Router};
use super::task::{TaskId, TaskKind};
use crate::topology::AgentId;

/// Lists at most this many agents in an error message.
const LISTED: usize = 8;

impl Core {
    fn available(&self, agent: AgentId) -> bool {
        self.agents[agent].state.is_available()
    }

    fn admits(&self, now_us: u64, agent: AgentId) -> bool {
        self.breakers[agent].admit(&self.breaker_config, now_us) != Admit::No
    }

    /// Takes the half-open trial of `agent`'s breaker if its cool-down is over.
    fn claim_trial(&mut self, now_us: u64, task: TaskId, agent: AgentId) {
        if self.breakers[agent].admit(&self.breaker_config, now_us) == Admit::Trial {
            if let Some(from) = self.breakers[agent].start_trial(now_us) {
                let reason = format!("cool-down over: trial {task}");
                self.breaker_moved(agent, now_us, from, BreakerState::HalfOpen, reason);
            }
        }
    }

    /// Whether `agent` can take `task` now: the fast test, run for every agent on every
    /// routing decision ([`Core::why_not`] explains a `false`).
    fn eligible(&self, now_us: u64, avoid: Option<&BTreeSet<AgentId>>, agent: AgentId) -> bool {
        self.agents[agent].state.is_available()
            && (self.breakers_tripped == 0
                || self.breakers[agent].admit(&self.breaker_config, now_us) != Admit::No)
            && avoid.is_none_or(|s| !s.contains(&agent))
    }

    /// Why `agent` cannot take `task` now, or `None` if it can.
    fn why_not(&self, now_us: u64, task: TaskId, agent: AgentId) -> Option<String> {
        let a = &self.agents[agent];
        match a.state {
            AgentState::Failed => Some(format!("agent {agent} failed")),
            AgentState::Removed => Some(format!("agent {agent} was removed")),
            AgentState::Starting => Some(format!("agent {agent} is still starting")),
            _ if !self.admits(now_us, agent) => {
                Some(format!("agent {agent} has its circuit breaker open"))
            }
            _ if self.membership.is_draining(agent) => Some(format!("agent {agent} is draining")),
            _ if !self.membership.eligible(task, agent) => Some(format!(
                "agent {agent} is outside the pool {task} is pinned to"
            )),
            _ if self.avoid.get(&task).is_some_and(|s| s.contains(&agent)) => Some(format!(
                "agent {agent} already failed or was tried for {task}"
            )),
            _ => None,
        }
    }

    /// Records that the router picked `agent`: the round-robin cursor, and the load-aware
    /// strategies' tie-break ([`AgentRecord::last_routed`](super::AgentRecord::last_routed)).
    fn note_routed(&mut self, agent: AgentId) {
        self.round_robin_last = Some(agent);
        self.routed += 1;
        self.agents[agent].last_routed = self.routed;
        self.touch(agent);
    }

    /// The strategy's pick for `task` among the available agents (with `capability`, if
    /// given) for which `fits` holds: what its [`Router`] would pick from the list of all of
    /// them in id order, found by walking the routing index (see `index.rs`) instead of
    /// building that list. A task pinned to a pool picks from the pool; `adaptive` weighs
    /// every candidate (its score is not an order the index keeps).
    fn pick(
        &self,
        task: TaskId,
        capability: Option<&str>,
        fits: impl Fn(AgentId) -> bool,
    ) -> Option<AgentId> {
        let fits = |a: AgentId| {
            debug_assert!(
                self.index.is_current(&self.agents[a]),
                "agent {a}'s routing-index entry is stale: a change missed Core::touch"
            );
            fits(a)
        };
        if let Some(planted) = self.planted_pick(capability, &fits) {
            return planted;
        }
        let scan = |among: &mut dyn Iterator<Item = AgentId>| {
            let candidates: Vec<&AgentRecord> = among
                .filter(|&a| self.agents[a].state.is_available())
                .filter(|&a| capability.is_none_or(|c| self.agents[a].can(c)))
                .filter(|&a| fits(a))
                .map(|a| &self.agents[a])
                .collect();
            match self.strategy {
                Strategy::Adaptive => Adaptive.pick_for(&self.tasks[&task], &candidates),
                Strategy::RoundRobin => RoundRobin::after(self.round_robin_last).pick(&candidates),
                _ => LeastLoaded.pick(&candidates),
            }
        };
        if let Some(pool) = self.membership.pool(task) {
            let n = self.agents.len();
            let mut pool: Vec<AgentId> = pool.iter().copied().filter(|&a| a < n).collect();
            pool.sort_unstable();
            pool.dedup();
            return scan(&mut pool.into_iter());
        }
        match self.strategy {
            Strategy::Adaptive => scan(&mut (0..self.agents.len())),
            Strategy::RoundRobin => self
                .index
                .round_robin(capability, self.round_robin_last)
                .find(|&a| fits(a)),
            _ => self.index.least_loaded(capability).find(|&a| fits(a)),
        }
    }

    fn list(reasons: Vec<String>) -> String {
        let more = reasons.len().saturating_sub(LISTED);
        let mut text = reasons
            .into_iter()
            .take(LISTED)
            .collect::<Vec<_>>()
            .join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text
    }

    /// The path of `task`: ingress first, executor last.
    pub(super) fn plan(&mut self, now_us: u64, task: TaskId) -> Result<Vec<Hop>, String> {
        let kind = self.topology.kind();
        match (self.tasks[&task].kind(), kind) {
            (&TaskKind::Relay { hops }, TopologyKind::Ring) => self.plan_relay(now_us, task, hops),
            (TaskKind::Relay { .. }, _) => Err(format!(
                "relay tasks travel around a ring, but this swarm is a {}",
                kind.as_str()
            )),
            (_, TopologyKind::Ring) => self.plan_pipeline(now_us, task),
            _ => self.plan_direct(now_us, task),
        }
    }

    fn plan_relay(&mut self, now_us: u64, task: TaskId, hops: u32) -> Result<Vec<Hop>, String> {
        let n = self.agents.len();
        let avoid = self.avoid.get(&task);
        let ingress = self
            .pick(task, None, |a| self.eligible(now_us, avoid, a))
            .ok_or("no agent is available to start the relay: every agent is failed, breaker-open or already tried")?;
        self.note_routed(ingress);
        let hops = hops as usize;
        let forward: Vec<AgentId> = (0..=hops).map(|i| (ingress + i) % n).collect();
        let backward: Vec<AgentId> = (0..=hops)
            .map(|i| (ingress + n * (hops / n + 1) - i) % n)
            .collect();
        let blocked = |way: &[AgentId]| way.iter().copied().find(|&a| !self.available(a));
        let way = match (blocked(&forward), blocked(&backward)) {
            (None, _) => forward,
            (_, None) => backward,
            (Some(f), Some(b)) => {
                return Err(format!(
                    "no agent is available: the relay of {hops} hops from agent {ingress} meets failed agent {f} going one way round the ring and failed agent {b} going the other"
                ))
            }
        };
        Ok(way
            .into_iter()
            .enumerate()
            .map(|(i, agent)| Hop {
                agent,
                step: if i == hops {
                    Step::Execute
                } else {
                    Step::Forward
                },
            })
            .collect())
    }

    fn plan_pipeline(&mut self, now_us: u64, task: TaskId) -> Result<Vec<Hop>, String> {
        let n = self.agents.len();
        let avoid = self.avoid.get(&task);
        let live: Vec<AgentId> = (0..n)
            .filter(|&s| self.eligible(now_us, avoid, s))
            .collect();
        if live.is_empty() {
            let why = (0..n)
                .filter_map(|s| self.why_not(now_us, task, s))
                .collect();
            return Err(format!(
                "no agent is available: no stage of the ring can take {task} ({})",
                Self::list(why)
            ));
        }
        let capability = self.needed_capability(task);
        let executor = match &capability {
            None => live[live.len() - 1],
            Some(c) => *live
                .iter()
                .rev()
                .find(|&&s| self.agents[s].can(c))
                .ok_or_else(|| self.missing_capability(now_us, task, c))?,
        };
        // Membership by index: the path search asks it for every hop of the ring.
        let mut is_live = vec![false; n];
        for &s in &live {
            is_live[s] = true;
        }
        let stages: Vec<AgentId> = live.iter().copied().filter(|&s| s <= executor).collect();
        self.stages_skipped += (executor + 1 - stages.len()) as u64;
        let step = |agent: AgentId| {
            if agent == executor {
                Step::Execute
            } else {
                Step::Stage
            }
        };
        let mut plan = vec![Hop {
            agent: stages[0],
            step: step(stages[0]),
        }];
        for pair in stages.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let path = self
                .topology
                .path(from, to, |a| is_live[a])
                .ok_or_else(|| {
                    let down: Vec<AgentId> = (0..n).filter(|&s| !is_live[s]).collect();
                    format!(
                        "no agent is available: stage {to} cannot be reached from stage {from} in either direction round the ring, because stages {down:?} are failed or have their circuit breakers open"
                    )
                })?;
            let last = path.len() - 1;
            for (i, &agent) in path.iter().enumerate().skip(1) {
                plan.push(Hop {
                    agent,
                    step: if i == last {
                        step(agent)
                    } else {
                        Step::Forward
                    },
                });
            }
        }
        for s in stages {
            self.claim_trial(now_us, task, s);
        }
        Ok(plan)
    }

    /// The error for a task whose capability no available agent has.
    fn missing_capability(&self, now_us: u64, task: TaskId, capability: &str) -> String {
        let holders: Vec<AgentId> = (0..self.agents.len())
            .filter(|&a| self.agents[a].can(capability))
            .collect();
        if holders.is_empty() {
            let mut roles: Vec<&str> = self.agents.iter().map(|a| a.role.as_str()).collect();
            roles.dedup();
            return format!(
                "no agent is available with capability `{capability}`: none of this swarm's agents has it (roles: {}); add a role that has it with `roles = \"…\"`",
                roles.join(", ")
            );
        }
        let why = holders
            .iter()
            .map(|&a| {
                self.why_not(now_us, task, a)
                    .unwrap_or_else(|| format!("agent {a} cannot be reached"))
            })
            .collect();
        format!(
            "no agent is available with capability `{capability}`: {}",
            Self::list(why)
        )
    }

    fn plan_direct(&mut self, now_us: u64, task: TaskId) -> Result<Vec<Hop>, String> {
        let kind = self.topology.kind();
        let title = if kind == TopologyKind::Star {
            "hub"
        } else {
            "coordinator"
        };
        if let Some((failed, at)) = self.root_lost {
            let others = if kind == TopologyKind::Star {
                "no spoke"
            } else {
                "none of its workers"
            };
            return Err(format!(
                "no {title} is available: {title} {failed} failed at {:.3} s and {others} is alive to take its place",
                at as f64 / 1e6
            ));
        }
        let root = self.root;
        if let Some(r) = root {
            if !self.available(r) {
                return Err(format!(
                    "no {title} is available: {title} {r} is {:?}",
                    self.agents[r].state
                ));
            }
        }
        let capability = self.needed_capability(task);
        let avoid = self.avoid.get(&task);
        let fits = |core: &Core, a: AgentId| {
            core.eligible(now_us, avoid, a)
                && core.membership.eligible(task, a)
                && capability.as_deref().is_none_or(|c| core.agents[a].can(c))
        };
        let executor = self
            .pick(task, capability.as_deref(), |a| {
                Some(a) != root && fits(self, a)
            })
            .or(root.filter(|&r| fits(self, r))); // The root executes as a last resort.
        let Some(executor) = executor else {
            return Err(match &capability {
                Some(c) => self.missing_capability(now_us, task, c),
                None => {
                    let pool = self.membership.pool(task);
                    let why = (0..self.agents.len())
                        .filter(|&a| Some(a) != root)
                        .filter(|a| pool.is_none_or(|p| p.contains(a)))
                        .filter_map(|a| self.why_not(now_us, task, a))
                        .collect();
                    let pinned = pool
                        .map(|p| format!(" (pinned to agents {p:?})"))
                        .unwrap_or_default();
                    format!(
                        "no agent is available to execute {task}{pinned}: {}",
                        Self::list(why)
                    )
                }
            });
        };
        self.note_routed(executor);
        let ingress = root.unwrap_or(executor);
        let path = self
            .topology
            .path(ingress, executor, |a| self.agents[a].state.is_available())
            .ok_or_else(|| {
                format!("no agent is available: agent {executor} cannot be reached from agent {ingress} through live agents")
            })?;
        self.claim_trial(now_us, task, executor);
        let last = path.len() - 1;
        Ok(path
            .into_iter()
            .enumerate()
            .map(|(i, agent)| Hop {
                agent,
                step: if i == last {
                    Step::Execute
                } else {
                    Step::Forward
                },
            })
            .collect())
    }
}
