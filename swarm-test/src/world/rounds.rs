//! Consensus rounds of a run: proposing, a role's vote from its signal, and the trade flow
//! acting on decisions. How a voter is asked and answers is the driver's (a modelled think
//! time in mock mode, a `Vote` frame to the agent's process live, which decides with the same
//! [`World::vote_of`] logic on its own copy of the market).

use super::{market_ms, Effects, World};
use crate::core::{Proposal, RoundId, Task, Vote};
use crate::topology::AgentId;

impl World {
    /// Puts `proposal` to a vote now; the round ends with a decision
    /// ([`Core::decision`](crate::core::Core::decision)). Errors: an invalid proposal.
    pub(crate) fn propose(
        &mut self,
        fx: &mut (impl Effects + ?Sized),
        proposal: Proposal,
    ) -> Result<RoundId, crate::error::ProposalError> {
        let now = fx.now_us();
        let label = proposal.describe();
        let round = self.core.propose(now, proposal)?;
        self.trace
            .record(now, format_args!("propose {label} (round {})", round.0));
        self.drain(fx);
        Ok(round)
    }

    /// `agent`'s vote on trading `symbol` at `now_us` ([`Agent::on_vote`](crate::Agent::on_vote));
    /// a hold if it panics.
    pub(crate) fn vote_of(&mut self, now_us: u64, agent: AgentId, symbol: &str) -> Vote {
        let role = self.core.agents()[agent].role;
        let proposal = Proposal::trade(symbol);
        let desk = &mut self.desk;
        self.agents
            .call(
                agent,
                role,
                "on_vote",
                now_us,
                market_ms(now_us),
                &mut desk.market,
                &desk.portfolio,
                self.core.topology(),
                |a, ctx| a.on_vote(ctx, &proposal),
            )
            .unwrap_or(Vote::Hold)
    }

    /// A round ended: traced; if the trade flow proposed it and it was reached, the trade goes
    /// out; then the driver hears of it.
    pub(crate) fn round_decided(&mut self, fx: &mut (impl Effects + ?Sized), round: RoundId) {
        let now = fx.now_us();
        let Some(decision) = self.core.decision(round) else {
            return fx.decided(round);
        };
        self.trace.record(
            now,
            format_args!(
                "round {} on {}: {}",
                round.0, decision.proposal, decision.reason
            ),
        );
        let reached = decision.reached;
        if let Some(symbol) = self.flow.rounds.remove(&round) {
            if reached {
                let id = self.dispatch(fx, Task::trade(symbol));
                self.flow.tasks.push(id);
            }
        }
        fx.decided(round);
    }
}

#[cfg(test)]
mod tests {
    use swarm_test_spec::SpecBuilder;

    use crate::core::Proposal;
    use crate::driver::sim::Sim;
    use crate::topology::AgentId;

    fn sim(topology: &str, agents: u64, inject: &str) -> Sim {
        let mut b = SpecBuilder::new("t", "sim::voting")
            .with("topology", topology)
            .with("agents", agents);
        if !inject.is_empty() {
            b = b.with("inject", inject);
        }
        let mut sim = Sim::new(&b.build().unwrap(), 5).unwrap();
        sim.setup().unwrap();
        sim
    }

    #[test]
    fn peers_of_one_role_vote_alike() {
        let mut s = sim("mesh", 4, "");
        let round = s.propose(Proposal::trade("SPY")).unwrap();
        s.run_until_decided(round).unwrap();
        let d = s.core().decision(round).unwrap();
        assert_eq!(d.votes, 4);
        assert_eq!(d.agreement, 1.0, "{d:?}");
        assert!(d.reached);
        let cast: Vec<AgentId> = s.votes_cast().iter().map(|(_, a, _)| *a).collect();
        assert_eq!(cast.len(), 4);
    }

    #[test]
    fn a_hung_voter_answers_too_late() {
        let mut s = sim("star", 4, "hang(2) for 1s");
        let round = s.propose(Proposal::trade("QQQ").threshold(1.0)).unwrap();
        s.run_until_decided(round).unwrap();
        let d = s.core().decision(round).unwrap();
        assert_eq!(
            d.votes, 3,
            "the hung voter's vote waits for the hang to heal"
        );
        assert!(!d.reached, "unanimity needs the hung voter: {}", d.reason);
    }
}
