//! Consensus in live mode: the core's vote requests go to the voters' processes as `Vote`
//! frames; each agent decides its vote from its role's signal on its own copy of the market,
//! with the same logic as a mock-mode voter (`sim/voting.rs`), and answers with `Voted`. A
//! killed voter never answers and a paused one answers only once it runs again (too late if
//! the round's timer fired first), so neither counts as agreeing, as in mock mode.

use tokio::sync::oneshot;

use super::state::{market_ms, State};
use crate::core::{Proposal, RoundId, Task, Vote};
use crate::topology::AgentId;
use crate::wire::{ToAgent, TradeRequest};

impl State {
    /// Puts `proposal` to a vote now. Errors: an invalid proposal.
    pub(crate) fn propose(&mut self, proposal: Proposal) -> Result<RoundId, String> {
        let now = self.now_us();
        let label = proposal.describe();
        let round = self.core.propose(now, proposal)?;
        self.trace
            .record(now, format_args!("propose {label} (round {})", round.0));
        self.drain();
        Ok(round)
    }

    /// The receiver hears when `round` is decided.
    pub(crate) fn wait_decided(&mut self, round: RoundId) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        if self.core.decision(round).is_some() {
            let _ = tx.send(());
        } else {
            self.decided_waiters.entry(round).or_default().push(tx);
        }
        rx
    }

    /// The core asks `agent` for its vote on a trade in `symbol`.
    pub(crate) fn ask_vote(&mut self, agent: AgentId, round: RoundId, symbol: String) {
        let now = self.now_us();
        let role = self.core.agents()[agent].role;
        // One market moment per round: voters asked a few ms apart in wall time would
        // otherwise straddle a bar boundary (bars are 10 ms) and judge different prices.
        let at_ms = *self.round_market_ms.entry(round).or_insert(market_ms(now));
        let trade = TradeRequest {
            position: self.desk.portfolio.strategy_position(role, &symbol),
            symbol,
            at_ms,
        };
        if self.send(agent, &ToAgent::Vote { round, trade }) {
            let epoch = self.slots[agent].epoch;
            self.vote_requests.insert((round, agent), epoch);
        }
        // A dead voter never answers: the round's timer closes the round without it.
    }

    /// `agent` answered a vote request (a late answer to a closed round is kept out by the
    /// core).
    pub(crate) fn voted(&mut self, agent: AgentId, round: RoundId, vote: Vote) {
        let now = self.now_us();
        if self.vote_requests.remove(&(round, agent)).is_none() {
            return self.protocol_error(
                agent,
                format!(
                    "agent {agent} voted in round {}, where it was not asked to",
                    round.0
                ),
            );
        }
        self.trace.record(
            now,
            format_args!("agent {agent} votes {} in round {}", vote.as_str(), round.0),
        );
        self.core.handle_vote_cast(now, agent, round, vote);
    }

    /// A round ended: its waiters wake; if the trade flow proposed it and it was reached,
    /// the trade goes out (as in mock mode).
    pub(crate) fn round_decided(&mut self, round: RoundId) {
        let now = self.now_us();
        if let Some(decision) = self.core.decision(round) {
            self.trace.record(
                now,
                format_args!(
                    "round {} on {}: {}",
                    round.0, decision.proposal, decision.reason
                ),
            );
        }
        self.round_market_ms.remove(&round);
        let reached = self.core.decision(round).is_some_and(|d| d.reached);
        if let Some(symbol) = self.flow.rounds.remove(&round) {
            if reached {
                let id = self.dispatch(Task::trade(symbol));
                self.flow.tasks.push(id);
            }
        }
        for tx in self.decided_waiters.remove(&round).unwrap_or_default() {
            let _ = tx.send(());
        }
    }
}
