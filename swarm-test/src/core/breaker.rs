//! Circuit breakers: stop sending work to an agent that keeps failing it, then probe it.
//!
//! One breaker per agent, on the agents that do work (executors and ring stages; forwarders
//! such as a star's hub are watched by failure detection instead). The state machine:
//!
//! ```text
//!            N consecutive failures                 cool-down elapsed
//!  Closed ───────────────────────────▶ Open ─────────────────────────────▶ HalfOpen
//!    ▲                                   ▲        (at the first routing         │
//!    │                                   │         decision after it)           │
//!    │            trial task failed      │                                      │
//!    │         ◀─────────────────────────┴──────────────────────────────────────┤
//!    │                    trial task succeeded                                  │
//!    └──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! - **Closed**: work flows; each failure (the agent answered with an error, or a task timed
//!   out while the agent held it) counts, each success resets the count. After
//!   [`BreakerConfig::failure_threshold`] consecutive failures it opens.
//! - **Open**: no work is routed to the agent (a ring routes around the stage) until
//!   [`BreakerConfig::cool_down_us`] has passed.
//! - **HalfOpen**: one trial task may go through. Its success closes the breaker, its failure
//!   opens it again for another cool-down. If the trial has no verdict within a cool-down
//!   (e.g. it was rerouted elsewhere), another trial may go.
//!
//! ```
//! use swarm_test::internals::core::{Breaker, BreakerConfig, BreakerState, Admit};
//!
//! let config = BreakerConfig::default(); // 3 failures, 500 ms cool-down
//! let mut b = Breaker::default();
//! for t in 0..3 {
//!     b.on_failure(&config, t);
//! }
//! assert_eq!(b.state(), BreakerState::Open);
//! assert_eq!(b.admit(&config, 100_000), Admit::No);
//! assert_eq!(b.admit(&config, 600_000), Admit::Trial); // cool-down over
//! b.start_trial(600_000);
//! assert_eq!(b.state(), BreakerState::HalfOpen);
//! b.on_success();
//! assert_eq!(b.state(), BreakerState::Closed);
//! ```

use serde::{Deserialize, Serialize};

use crate::topology::AgentId;

/// Consecutive failures that open a breaker. The default value is 3.
pub const BREAKER_FAILURES: u32 = 3;

/// How long an open breaker waits before it lets a trial through, µs. The default value is
/// 500 ms.
pub const BREAKER_COOL_DOWN_US: u64 = 500_000;

/// The breaker's tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker. The default value is [`BREAKER_FAILURES`].
    pub failure_threshold: u32,
    /// Time an open breaker waits before a trial, µs. The default value is
    /// [`BREAKER_COOL_DOWN_US`].
    pub cool_down_us: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: BREAKER_FAILURES,
            cool_down_us: BREAKER_COOL_DOWN_US,
        }
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Work flows.
    Closed,
    /// No work until the cool-down ends.
    Open,
    /// One trial task at a time.
    HalfOpen,
}

/// Whether a breaker lets a task through now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Closed: yes.
    Yes,
    /// Cool-down over (or a trial went without verdict): yes, as the trial.
    Trial,
    /// Open, or a trial is under way: no.
    No,
}

/// One state change, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The agent whose breaker changed.
    pub agent: AgentId,
    /// When, µs.
    pub at_us: u64,
    /// Before.
    pub from: BreakerState,
    /// After.
    pub to: BreakerState,
    /// Why, in words.
    pub reason: String,
}

/// One agent's breaker. See the module docs for the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaker {
    state: BreakerState,
    failures: u32,
    /// Open: when the cool-down ends. HalfOpen: when the trial started.
    since_us: u64,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: BreakerState::Closed,
            failures: 0,
            since_us: 0,
        }
    }
}

impl Breaker {
    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Consecutive failures counted while closed.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Whether a task may go to the agent at `now_us` (no state change: call
    /// [`Breaker::start_trial`] when a [`Admit::Trial`] is used).
    pub fn admit(&self, config: &BreakerConfig, now_us: u64) -> Admit {
        match self.state {
            BreakerState::Closed => Admit::Yes,
            BreakerState::Open if now_us >= self.since_us => Admit::Trial,
            BreakerState::Open => Admit::No,
            BreakerState::HalfOpen if now_us >= self.since_us + config.cool_down_us => Admit::Trial,
            BreakerState::HalfOpen => Admit::No,
        }
    }

    /// A trial task is sent now: the breaker is half-open. Returns the transition's `from`
    /// if the state changed.
    pub fn start_trial(&mut self, now_us: u64) -> Option<BreakerState> {
        let from = self.state;
        self.state = BreakerState::HalfOpen;
        self.since_us = now_us;
        (from != BreakerState::HalfOpen).then_some(from)
    }

    /// A task through the agent succeeded. Closes a half-open breaker (returns `true` then);
    /// resets the failure count of a closed one; an open breaker waits out its cool-down.
    pub fn on_success(&mut self) -> bool {
        match self.state {
            BreakerState::Closed => {
                self.failures = 0;
                false
            }
            BreakerState::HalfOpen => {
                self.state = BreakerState::Closed;
                self.failures = 0;
                true
            }
            BreakerState::Open => false,
        }
    }

    /// A task failed on the agent at `now_us`. Returns the state it left if it opened.
    pub fn on_failure(&mut self, config: &BreakerConfig, now_us: u64) -> Option<BreakerState> {
        match self.state {
            BreakerState::Closed => {
                self.failures += 1;
                if self.failures < config.failure_threshold {
                    return None;
                }
            }
            BreakerState::HalfOpen => {}
            BreakerState::Open => return None,
        }
        let from = self.state;
        self.state = BreakerState::Open;
        self.since_us = now_us + config.cool_down_us;
        Some(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: BreakerConfig = BreakerConfig {
        failure_threshold: 3,
        cool_down_us: 1_000,
    };

    #[test]
    fn opens_after_consecutive_failures_only() {
        let mut b = Breaker::default();
        b.on_failure(&C, 1);
        b.on_failure(&C, 2);
        b.on_success();
        b.on_failure(&C, 3);
        b.on_failure(&C, 4);
        assert_eq!(b.state(), BreakerState::Closed, "a success reset the count");
        assert_eq!(b.on_failure(&C, 5), Some(BreakerState::Closed));
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.on_failure(&C, 6), None, "already open");
    }

    #[test]
    fn half_open_admits_one_trial_and_reopens_on_failure() {
        let mut b = Breaker::default();
        for t in 0..3 {
            b.on_failure(&C, t);
        }
        assert_eq!(b.admit(&C, 2 + 999), Admit::No);
        assert_eq!(b.admit(&C, 2 + 1_000), Admit::Trial);
        assert_eq!(b.start_trial(1_002), Some(BreakerState::Open));
        assert_eq!(b.admit(&C, 1_500), Admit::No, "one trial at a time");
        assert_eq!(
            b.admit(&C, 2_002),
            Admit::Trial,
            "a trial without verdict expires"
        );
        assert_eq!(b.on_failure(&C, 1_600), Some(BreakerState::HalfOpen));
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.admit(&C, 2_599), Admit::No, "a new cool-down");
        assert_eq!(b.admit(&C, 2_600), Admit::Trial);
    }

    #[test]
    fn a_successful_trial_closes() {
        let mut b = Breaker::default();
        for t in 0..3 {
            b.on_failure(&C, t);
        }
        b.start_trial(5_000);
        assert!(b.on_success());
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.failures(), 0);
        assert!(!b.on_success(), "closed stays closed");
    }

    #[test]
    fn an_open_breaker_ignores_late_successes() {
        let mut b = Breaker::default();
        for t in 0..3 {
            b.on_failure(&C, t);
        }
        assert!(!b.on_success());
        assert_eq!(b.state(), BreakerState::Open);
    }
}
