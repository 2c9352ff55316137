//! Consensus in the simulator: proposing, voters deciding their votes from their role's
//! signal, and the trade flow acting on decisions.

use super::{market_ms, Sim, SimError};
use crate::core::{Proposal, RoundId, Task, Vote};
use crate::market::{decide, Decision, Side};
use crate::topology::AgentId;

impl Sim {
    /// Puts `proposal` to a vote now; the round ends with a decision
    /// ([`Core::decision`]). Errors: an invalid proposal.
    pub fn propose(&mut self, proposal: Proposal) -> Result<RoundId, String> {
        let label = proposal.describe();
        let round = self.core.propose(self.now_us, proposal)?;
        self.trace.record(
            self.now_us,
            format_args!("propose {label} (round {})", round.0),
        );
        self.drain();
        Ok(round)
    }

    /// Runs until `round` is decided.
    pub fn run_until_decided(&mut self, round: RoundId) -> Result<(), SimError> {
        while self.core.decision(round).is_none() {
            if !self.step()? {
                break;
            }
        }
        Ok(())
    }

    /// What `agent`'s role would do about `symbol` now, as a vote.
    pub(super) fn vote_of(&mut self, agent: AgentId, symbol: &str) -> Vote {
        let role = self.core.agents()[agent].role;
        let desk = &mut self.desk;
        match decide(
            role,
            &mut desk.market,
            symbol,
            market_ms(self.now_us),
            &desk.portfolio,
            &desk.params,
        ) {
            Decision::Order(o) if o.side == Side::Buy => Vote::Buy,
            Decision::Order(_) => Vote::Sell,
            Decision::Hold(_) => Vote::Hold,
        }
    }

    /// A round ended: if the trade flow proposed it and it was reached, the trade goes out.
    pub(super) fn round_decided(&mut self, round: RoundId) {
        let Some(decision) = self.core.decision(round).cloned() else {
            return;
        };
        self.trace.record(
            self.now_us,
            format_args!(
                "round {} on {}: {}",
                round.0, decision.proposal, decision.reason
            ),
        );
        if let Some(symbol) = self.flow.rounds.remove(&round) {
            if decision.reached {
                let id = self.dispatch(Task::trade(symbol));
                self.flow.tasks.push(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use swarm_test_spec::SpecBuilder;

    use super::*;

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
