//! Running consensus rounds in the core: proposer, voters, messages, timeout, decision.
//!
//! The rules (quorum, minimum voters, agreement) are in [`consensus`](super::consensus).
//! Vote requests and replies are ordinary messages along one edge each, so a partition or a
//! crash silences a voter exactly as it would in a real swarm.

use std::collections::BTreeMap;

use swarm_test_spec::TopologyKind;

use super::consensus::{tally, Proposal, Round, RoundId, RoundOutcome, Vote};
use super::coordinator::{Core, Endpoint, Message, Output};
use crate::topology::AgentId;

impl Core {
    /// The agent that would run a round now: the hub or coordinator, else the available agent
    /// with the lowest id.
    pub fn proposer(&self) -> Option<AgentId> {
        match self.topology.kind() {
            TopologyKind::Star | TopologyKind::Hierarchical => {
                self.root().filter(|&r| self.agents[r].state.is_available())
            }
            TopologyKind::Mesh | TopologyKind::Ring => self
                .agents
                .iter()
                .find(|a| a.state.is_available())
                .map(|a| a.id),
        }
    }

    /// Puts `proposal` to a vote at `now_us` and returns the round's id. The round ends with
    /// [`Output::Decided`]; read it with [`Core::decision`]. A round that cannot be held (no
    /// proposer, too few live voters) is decided at once as not reached, with the reason.
    ///
    /// Errors: an invalid proposal (threshold outside `(0, 1]`).
    pub fn propose(
        &mut self,
        now_us: u64,
        proposal: Proposal,
    ) -> Result<RoundId, crate::error::ProposalError> {
        proposal.validate()?;
        let id = RoundId(self.next_round);
        self.next_round += 1;
        let Some(proposer) = self.proposer() else {
            let mut d = tally(&proposal, None, &[], &BTreeMap::new(), now_us);
            d.reason = match self.root_lost {
                Some((failed, at)) => format!(
                    "not reached: no proposer is available: the {} (agent {failed}) failed at {:.3} s and nobody could take its place",
                    if self.topology.kind() == TopologyKind::Star { "hub" } else { "coordinator" },
                    at as f64 / 1e6
                ),
                None => "not reached: no proposer is available: every agent is failed".into(),
            };
            self.decided(id, d);
            return Ok(id);
        };
        let mut voters: Vec<AgentId> = std::iter::once(proposer)
            .chain(self.topology.neighbours(proposer))
            .filter(|&a| self.agents[a].state.is_available())
            .collect();
        voters.sort_unstable();
        if voters.len() < proposal.required_voters() {
            let d = tally(&proposal, Some(proposer), &voters, &BTreeMap::new(), now_us);
            self.decided(id, d);
            return Ok(id);
        }
        let timeout = proposal.timeout_us();
        let symbol = proposal.symbol().to_owned();
        self.rounds.insert(
            id,
            Round {
                proposal,
                proposer,
                voters: voters.clone(),
                votes: BTreeMap::new(),
            },
        );
        for voter in voters {
            if voter == proposer {
                self.outputs.push_back(Output::CastVote {
                    agent: voter,
                    round: id,
                    symbol: symbol.clone(),
                });
            } else {
                let msg = Message::VoteRequest {
                    round: id,
                    symbol: symbol.clone(),
                };
                self.transmit(Endpoint::Agent(proposer), Endpoint::Agent(voter), msg);
            }
        }
        self.outputs.push_back(Output::RoundTimer {
            round: id,
            at_us: now_us + timeout,
        });
        Ok(id)
    }

    /// `agent` decided its `vote` in `round`: the proposer counts its own vote, any other
    /// voter sends its reply to the proposer.
    pub fn handle_vote_cast(&mut self, now_us: u64, agent: AgentId, round: RoundId, vote: Vote) {
        let Some(r) = self.rounds.get(&round) else {
            return; // Decided already: the vote came too late.
        };
        let proposer = r.proposer;
        if agent == proposer {
            self.record_vote(now_us, round, agent, vote);
        } else {
            let msg = Message::VoteReply { round, vote };
            self.transmit(Endpoint::Agent(agent), Endpoint::Agent(proposer), msg);
        }
    }

    /// The round's votes are due: it is decided with the votes received.
    pub fn handle_round_timeout(&mut self, now_us: u64, round: RoundId) {
        if let Some(r) = self.rounds.remove(&round) {
            let d = tally(&r.proposal, Some(r.proposer), &r.voters, &r.votes, now_us);
            self.decided(round, d);
        }
    }

    pub(super) fn record_vote(&mut self, now_us: u64, round: RoundId, voter: AgentId, vote: Vote) {
        let Some(r) = self.rounds.get_mut(&round) else {
            return;
        };
        if !r.voters.contains(&voter) {
            return;
        }
        r.votes.insert(voter, vote);
        if r.votes.len() == r.voters.len() {
            self.handle_round_timeout(now_us, round); // Every vote is in: no need to wait.
        }
    }

    fn decided(&mut self, round: RoundId, decision: RoundOutcome) {
        let decision = self.planted_decision(decision);
        self.decisions.insert(round, decision);
        self.outputs.push_back(Output::Decided(round));
    }

    /// The decision of `round`, once decided.
    pub fn decision(&self, round: RoundId) -> Option<&RoundOutcome> {
        self.decisions.get(&round)
    }

    /// Every decided round, by id.
    pub fn decisions(&self) -> impl Iterator<Item = (RoundId, &RoundOutcome)> {
        self.decisions.iter().map(|(&id, d)| (id, d))
    }

    /// Rounds still waiting for votes.
    pub fn open_rounds(&self) -> usize {
        self.rounds.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::coordinator::Envelope;
    use super::*;
    use crate::topology::Topology;
    use swarm_test_spec::{Role, Strategy};

    fn core(kind: TopologyKind, n: usize) -> Core {
        let mut core = Core::new(
            Topology::new(kind, n),
            &vec![Role::MomentumTrader; n],
            Strategy::Consensus,
        )
        .unwrap();
        for a in 0..n {
            core.agent_ready(0, a);
        }
        core
    }

    /// Delivers everything at once; voters in `silent` never answer; others vote `vote`.
    fn settle(core: &mut Core, silent: &[AgentId], vote: Vote) -> Vec<RoundId> {
        let mut decided = Vec::new();
        let mut timers = Vec::new();
        loop {
            let Some(out) = core.poll_output() else {
                // Votes first, then the timers, as time would have it.
                let Some((round, at_us)) = timers.pop() else {
                    break;
                };
                core.handle_round_timeout(at_us, round);
                continue;
            };
            match out {
                Output::Transmit(Envelope {
                    to: Endpoint::Agent(b),
                    ..
                }) if silent.contains(&b) => {}
                Output::Transmit(env) => core.handle_delivery(1, env),
                Output::CastVote { agent, round, .. } if !silent.contains(&agent) => {
                    core.handle_vote_cast(1, agent, round, vote)
                }
                Output::RoundTimer { round, at_us } => timers.push((round, at_us)),
                Output::Decided(r) => decided.push(r),
                _ => {}
            }
        }
        decided
    }

    #[test]
    fn three_agreeing_peers_reach_it_along_edges() {
        let mut c = core(TopologyKind::Mesh, 3);
        let id = c
            .propose(0, Proposal::trade("SPY").threshold(0.66))
            .unwrap();
        assert_eq!(settle(&mut c, &[], Vote::Buy), vec![id]);
        let d = c.decision(id).unwrap();
        assert!(d.reached, "{}", d.reason);
        assert_eq!((d.votes, d.quorum, d.agreement), (3, 2, 1.0));
        assert_eq!(c.messages(), 4, "two requests and two replies");
        assert!(c.edge_violations().is_empty());
    }

    #[test]
    fn silent_voters_never_count() {
        let mut c = core(TopologyKind::Star, 4);
        let id = c
            .propose(0, Proposal::trade("SPY").threshold(0.66))
            .unwrap();
        settle(&mut c, &[1, 2], Vote::Buy);
        let d = c.decision(id).unwrap();
        assert_eq!(d.voters, vec![0, 1, 2, 3]);
        assert_eq!((d.votes, d.quorum), (2, 3));
        assert!(!d.reached, "{}", d.reason);
    }

    #[test]
    fn a_ring_votes_with_the_proposer_and_its_two_neighbours() {
        let mut c = core(TopologyKind::Ring, 6);
        let id = c.propose(0, Proposal::trade("QQQ")).unwrap();
        settle(&mut c, &[], Vote::Hold);
        let d = c.decision(id).unwrap();
        assert_eq!(d.voters, vec![0, 1, 5]);
        assert!(d.reached);
        assert_eq!(d.choice, Some(Vote::Hold));
        assert!(c.propose(0, Proposal::trade("QQQ").threshold(2.0)).is_err());
    }

    #[test]
    fn too_small_a_swarm_is_refused_with_the_reason() {
        let mut c = core(TopologyKind::Mesh, 2);
        let id = c.propose(0, Proposal::trade("SPY")).unwrap();
        let d = c.decision(id).unwrap();
        assert!(!d.reached);
        assert!(d.reason.contains("at least 3 live voters"), "{}", d.reason);
    }
}
