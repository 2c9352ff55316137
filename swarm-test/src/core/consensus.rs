//! Consensus: the swarm votes on a proposal, and a quorum decides.
//!
//! A round is run by a *proposer*: the hub (star) or the coordinator (hierarchical), else the
//! live agent with the lowest id (mesh, ring). Its *voters* are the proposer itself and its
//! live topology neighbours (everyone in a mesh or star; the coordinator and its children in
//! a hierarchy; the proposer and its two neighbours in a ring), so every vote request and
//! reply travels one edge. Each voter answers with its own view of the trade: its role's
//! signal on the symbol, `buy`, `sell` or `hold`.
//!
//! - **Quorum**: `ceil(live voters × threshold)` votes for the same choice, where *live
//!   voters* are the voters not known to be failed when the round starts. With the default
//!   threshold 0.66 and 3 voters the quorum is 2.
//! - **Minimum**: a round needs at least [`MIN_VOTERS`] live voters (as in the original
//!   suite); with fewer it is not reached, and the decision says why.
//! - **Agreement** = winning votes / votes cast (0 when none was cast).
//! - **Timeout**: votes not back within [`VOTE_TIMEOUT_US`] are not counted. A crashed or
//!   partitioned voter never answers, so it can never count as agreeing: a minority of failed
//!   voters can lower the agreement but cannot produce a false "reached".
//!
//! ```
//! use swarm_test::internals::core::{tally, Proposal, Vote};
//! use std::collections::BTreeMap;
//!
//! let proposal = Proposal::trade("SPY").threshold(0.66);
//! let votes = BTreeMap::from([(0, Vote::Buy), (1, Vote::Buy)]); // voter 2 never answered
//! let d = tally(&proposal, Some(0), &[0, 1, 2], &votes, 0);
//! assert!(d.reached);
//! assert_eq!((d.quorum, d.votes, d.agreement), (2, 2, 1.0));
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::topology::AgentId;

/// Live voters a round needs at least. The default value is 3.
pub const MIN_VOTERS: usize = 3;

/// How long the proposer waits for votes, µs. The default value is 200 ms.
pub const VOTE_TIMEOUT_US: u64 = 200_000;

/// The default share of live voters that must agree. The default value is 0.66.
pub const DEFAULT_THRESHOLD: f64 = 0.66;

/// A round's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RoundId(pub u64);

/// One voter's answer.
///
/// ```
/// use swarm_test::Vote;
///
/// assert_eq!(Vote::Buy.as_str(), "buy");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    /// Its signal says buy.
    Buy,
    /// Its signal says sell.
    Sell,
    /// Its signal says do nothing.
    Hold,
}

impl Vote {
    /// `"buy"`, `"sell"` or `"hold"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Vote::Buy => "buy",
            Vote::Sell => "sell",
            Vote::Hold => "hold",
        }
    }
}

/// Something to vote on: for now, what to do about a symbol.
///
/// ```
/// use swarm_test::Proposal;
///
/// let p = Proposal::trade("SPY").threshold(0.66);
/// assert_eq!(p.symbol(), "SPY");
/// assert_eq!(p.quorum(3), 2);
/// assert_eq!(p.quorum(5), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    symbol: String,
    threshold: f64,
    min_voters: usize,
    timeout_us: u64,
}

impl Proposal {
    /// A vote on trading `symbol`, with the default threshold ([`DEFAULT_THRESHOLD`]),
    /// minimum voters ([`MIN_VOTERS`]) and timeout ([`VOTE_TIMEOUT_US`]).
    pub fn trade(symbol: impl Into<String>) -> Self {
        Proposal {
            symbol: symbol.into(),
            threshold: DEFAULT_THRESHOLD,
            min_voters: MIN_VOTERS,
            timeout_us: VOTE_TIMEOUT_US,
        }
    }

    /// The share of live voters that must agree, in `(0, 1]`. The default value is 0.66.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// The fewest live voters a round may have. The default value is 3.
    pub fn min_voters(mut self, n: usize) -> Self {
        self.min_voters = n;
        self
    }

    /// How long the proposer waits for votes. The default value is 200 ms.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_us = timeout.as_micros() as u64;
        self
    }

    /// The symbol.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The vote timeout, µs.
    pub fn timeout_us(&self) -> u64 {
        self.timeout_us
    }

    /// The fewest live voters.
    pub fn required_voters(&self) -> usize {
        self.min_voters
    }

    /// Agreeing votes needed with `live_voters` live voters: `ceil(live_voters × threshold)`,
    /// at least 1.
    pub fn quorum(&self, live_voters: usize) -> u64 {
        (libm::ceil(live_voters as f64 * self.threshold - 1e-9) as u64).max(1)
    }

    /// Checks the threshold; the error names the bad value and the valid range.
    pub fn validate(&self) -> Result<(), crate::error::ProposalError> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(crate::error::ProposalError::Threshold {
                threshold: self.threshold,
            });
        }
        Ok(())
    }

    /// `"trade SPY"`.
    pub fn describe(&self) -> String {
        format!("trade {}", self.symbol)
    }
}

/// The outcome of a round.
///
/// ```
/// use swarm_test::prelude::*;
///
/// #[swarm_test(topology = "mesh", agents = 3, snapshot = false)]
/// async fn vote(swarm: &mut Swarm) -> Result<(), SwarmError> {
///     let d: RoundOutcome = swarm.propose(Proposal::trade("SPY")).await?;
///     assert_eq!(d.votes, 3);
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundOutcome {
    /// What was proposed (`"trade SPY"`).
    pub proposal: String,
    /// Whether a quorum of live voters agreed.
    pub reached: bool,
    /// The choice with the most votes (ties: buy, then sell, then hold), if any vote was cast.
    pub choice: Option<Vote>,
    /// The agent that ran the round, if one was available.
    pub proposer: Option<AgentId>,
    /// The live voters asked, in ascending order.
    pub voters: Vec<AgentId>,
    /// Votes cast (received before the timeout).
    pub votes: u64,
    /// The voters who voted for `choice`, in ascending order.
    pub agreeing: Vec<AgentId>,
    /// Agreeing votes needed.
    pub quorum: u64,
    /// Winning votes / votes cast, rounded to 4 decimals; 0 when no vote was cast.
    pub agreement: f64,
    /// Why it was or was not reached, in words.
    pub reason: String,
    /// When it was decided, µs.
    pub decided_at_us: u64,
}

/// Counts `votes` from `voters` on `proposal`, as decided at `now_us`.
pub fn tally(
    proposal: &Proposal,
    proposer: Option<AgentId>,
    voters: &[AgentId],
    votes: &BTreeMap<AgentId, Vote>,
    now_us: u64,
) -> RoundOutcome {
    let quorum = proposal.quorum(voters.len());
    let counted: Vec<(AgentId, Vote)> = votes
        .iter()
        .filter(|(a, _)| voters.contains(a))
        .map(|(&a, &v)| (a, v))
        .collect();
    let count = |v: Vote| counted.iter().filter(|(_, c)| *c == v).count();
    let choice = [Vote::Buy, Vote::Sell, Vote::Hold]
        .into_iter()
        .filter(|&v| count(v) > 0)
        .max_by_key(|&v| (count(v), std::cmp::Reverse(v)));
    let agreeing: Vec<AgentId> = counted
        .iter()
        .filter(|(_, v)| Some(*v) == choice)
        .map(|(a, _)| *a)
        .collect();
    let cast = counted.len() as u64;
    let agreement = if cast == 0 {
        0.0
    } else {
        crate::report::round(agreeing.len() as f64 / cast as f64, 4)
    };
    let enough_voters = voters.len() >= proposal.min_voters;
    let reached = enough_voters && agreeing.len() as u64 >= quorum;
    let choice_text = choice.map_or("none", Vote::as_str);
    let reason = if !enough_voters {
        format!(
            "not reached: needs at least {} live voters, found {} ({voters:?})",
            proposal.min_voters,
            voters.len()
        )
    } else if reached {
        format!(
            "reached: {} of {} live voters chose {choice_text} (quorum {quorum})",
            agreeing.len(),
            voters.len()
        )
    } else {
        format!(
            "not reached: {} of {} live voters chose {choice_text}, {} vote{} cast, quorum {quorum}",
            agreeing.len(),
            voters.len(),
            cast,
            if cast == 1 { "" } else { "s" }
        )
    };
    RoundOutcome {
        proposal: proposal.describe(),
        reached,
        choice,
        proposer,
        voters: voters.to_vec(),
        votes: cast,
        agreeing,
        quorum,
        agreement,
        reason,
        decided_at_us: now_us,
    }
}

/// A round in progress.
#[derive(Debug, Clone)]
pub(crate) struct Round {
    pub(crate) proposal: Proposal,
    pub(crate) proposer: AgentId,
    pub(crate) voters: Vec<AgentId>,
    pub(crate) votes: BTreeMap<AgentId, Vote>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_is_the_ceiling_of_live_voters_times_threshold() {
        let p = Proposal::trade("SPY").threshold(0.66);
        assert_eq!(p.quorum(3), 2);
        assert_eq!(p.quorum(4), 3);
        assert_eq!(p.quorum(10), 7);
        assert_eq!(Proposal::trade("SPY").threshold(1.0).quorum(3), 3);
        assert_eq!(Proposal::trade("SPY").threshold(0.5).quorum(4), 2);
        assert!(Proposal::trade("SPY").threshold(1.5).validate().is_err());
        assert!(Proposal::trade("SPY").threshold(0.0).validate().is_err());
    }

    #[test]
    fn a_minority_of_silent_voters_cannot_fake_a_quorum() {
        let p = Proposal::trade("QQQ");
        let votes = BTreeMap::from([(0, Vote::Sell)]);
        let d = tally(&p, Some(0), &[0, 1, 2], &votes, 5);
        assert!(!d.reached, "{}", d.reason);
        assert_eq!((d.votes, d.agreement), (1, 1.0));
        assert!(d.reason.contains("quorum 2"), "{}", d.reason);
    }

    #[test]
    fn too_few_voters_is_never_reached() {
        let p = Proposal::trade("SPY");
        let votes = BTreeMap::from([(0, Vote::Buy), (1, Vote::Buy)]);
        let d = tally(&p, Some(0), &[0, 1], &votes, 0);
        assert!(!d.reached);
        assert!(d.reason.contains("at least 3 live voters"), "{}", d.reason);
        let d = tally(&p.clone().min_voters(2), Some(0), &[0, 1], &votes, 0);
        assert!(d.reached);
    }

    #[test]
    fn agreement_is_winning_over_cast_and_votes_from_strangers_do_not_count() {
        let p = Proposal::trade("SPY");
        let votes = BTreeMap::from([
            (0, Vote::Buy),
            (1, Vote::Hold),
            (2, Vote::Buy),
            (3, Vote::Hold),
            (9, Vote::Hold),
        ]);
        let d = tally(&p, Some(0), &[0, 1, 2, 3], &votes, 0);
        assert_eq!(d.choice, Some(Vote::Buy), "ties go to buy");
        assert_eq!(d.agreeing, vec![0, 2]);
        assert_eq!((d.votes, d.agreement, d.quorum), (4, 0.5, 3));
        assert!(!d.reached);
    }
}
