//! The built-in trade flow, shared by the mock and live drivers so both send the same trades
//! in the same order and treat them the same way per strategy.

use std::collections::BTreeMap;

use swarm_test_spec::Strategy;

use crate::core::{RoundId, Task, TaskId};

/// Symbols the built-in trade flow cycles through.
pub const SYMBOLS: [&str; 4] = ["SPY", "QQQ", "AAPL", "TSLA"];

/// `remaining` trades still to arrive, and what the flow has sent so far.
#[derive(Debug, Default)]
pub(crate) struct Flow {
    pub(crate) remaining: u64,
    pub(crate) sent: u64,
    pub(crate) tasks: Vec<TaskId>,
    /// An arrival is scheduled (the live driver's timer; the simulator keeps it in its queue).
    pub(crate) scheduled: bool,
    /// Consensus rounds of the flow still open, with their symbol.
    pub(crate) rounds: BTreeMap<RoundId, String>,
}

/// What the driver does with the flow's next trade.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NextTrade {
    /// Under `consensus`: put the trade to a vote first; dispatch it if the vote is reached.
    Vote(&'static str),
    /// Dispatch this task (under `specialized` it requires `trade_execution`).
    Dispatch(Task),
}

impl Flow {
    /// The next trade, symbols in turn, or `None` when every trade has arrived.
    pub(crate) fn next(&mut self, strategy: Strategy) -> Option<NextTrade> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let symbol = SYMBOLS[(self.sent % SYMBOLS.len() as u64) as usize];
        self.sent += 1;
        Some(match strategy {
            Strategy::Consensus => NextTrade::Vote(symbol),
            Strategy::Specialized => {
                NextTrade::Dispatch(Task::trade(symbol).requires("trade_execution"))
            }
            _ => NextTrade::Dispatch(Task::trade(symbol)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trades_cycle_symbols_and_follow_the_strategy() {
        let mut flow = Flow {
            remaining: 5,
            ..Flow::default()
        };
        assert_eq!(
            flow.next(Strategy::RoundRobin),
            Some(NextTrade::Dispatch(Task::trade("SPY")))
        );
        assert_eq!(flow.next(Strategy::Consensus), Some(NextTrade::Vote("QQQ")));
        assert_eq!(
            flow.next(Strategy::Specialized),
            Some(NextTrade::Dispatch(
                Task::trade("AAPL").requires("trade_execution")
            ))
        );
        flow.next(Strategy::LeastLoaded);
        assert_eq!(
            flow.next(Strategy::Adaptive),
            Some(NextTrade::Dispatch(Task::trade("SPY")))
        );
        assert_eq!(flow.next(Strategy::RoundRobin), None);
        assert_eq!(flow.sent, 5);
    }
}
