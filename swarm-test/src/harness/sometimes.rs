//! Sometimes-assertions (Antithesis' idea, in a test framework): conditions a test expects to
//! be true in *some* run, counted over the explored seeds.
//!
//! A body declares one with [`sometimes`](crate::sometimes), [`Swarm::sometimes`](crate::Swarm::sometimes)
//! or [`Report::sometimes`](crate::Report::sometimes); each run's conditions are collected on
//! the test's thread (the harness runs every body there) and tallied per seed. After the seeds,
//! the harness prints a table of how many seeds reached each condition, and under
//! `SWARM_TEST_REQUIRE_REACHED=1` fails when one was never reached.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::config::{REQUIRE_REACHED_VAR, SEEDS_VAR};

thread_local! {
    /// The current run's conditions: name → reached in this run. `None` outside a run.
    static CURRENT: RefCell<Option<BTreeMap<String, bool>>> = const { RefCell::new(None) };
}

/// Records that `cond` held (or not) for the condition `name` in this run, and returns `cond`.
///
/// Outside a `#[swarm_test]` run it records nothing. After the test's seeds, the harness prints
/// how many seeds reached each condition (shown with `--nocapture`, or in a failure);
/// `SWARM_TEST_REQUIRE_REACHED=1` fails the test when one was never reached; each run's
/// conditions are in its JSON report (`SWARM_TEST_REPORT`) under `sometimes`. They are not
/// part of the snapshot.
///
/// ```
/// use swarm_test::prelude::*;
///
/// #[swarm_test(topology = "star", agents = 4, inject = "crash(random) @ 200ms", snapshot = false)]
/// fn hub_loss_is_explored(report: &Report) {
///     swarm_test::sometimes("the hub itself crashed", report.faults[0].targets == [0]);
/// }
/// ```
pub fn sometimes(name: &str, cond: bool) -> bool {
    CURRENT.with(|current| {
        if let Some(conditions) = current.borrow_mut().as_mut() {
            *conditions.entry(name.to_owned()).or_insert(false) |= cond;
        }
    });
    cond
}

/// Starts collecting one run's conditions (dropping any left over).
pub(super) fn begin() {
    CURRENT.with(|current| *current.borrow_mut() = Some(BTreeMap::new()));
}

/// The current run's conditions so far.
pub(super) fn current() -> BTreeMap<String, bool> {
    CURRENT.with(|current| current.borrow().clone().unwrap_or_default())
}

/// Stops collecting and returns the run's conditions.
pub(super) fn finish() -> BTreeMap<String, bool> {
    CURRENT.with(|current| current.borrow_mut().take().unwrap_or_default())
}

/// The conditions over many seeds: for each, how many seeds reached it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Tally {
    pub(super) seeds: u64,
    pub(super) reached: BTreeMap<String, u64>,
}

impl Tally {
    /// Adds one seed's run.
    pub(super) fn add(&mut self, run: &BTreeMap<String, bool>) {
        self.seeds += 1;
        for (name, &hit) in run {
            *self.reached.entry(name.clone()).or_insert(0) += u64::from(hit);
        }
    }

    /// The conditions no seed reached.
    pub(super) fn never(&self) -> Vec<&str> {
        self.reached
            .iter()
            .filter(|(_, &n)| n == 0)
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// The table: one line per condition, the seeds that reached it first.
    pub(super) fn table(&self, test: &str) -> String {
        let mut out = format!(
            "swarm_test `{test}`: sometimes-conditions over {} seed{} ({SEEDS_VAR}):\n",
            self.seeds,
            if self.seeds == 1 { "" } else { "s" }
        );
        let width = self.seeds.to_string().len();
        for (name, &n) in &self.reached {
            let never = if n == 0 { "  NEVER REACHED" } else { "" };
            let _ = writeln!(out, "  {n:>width$}/{} {name}{never}", self.seeds);
        }
        out
    }

    /// The failure under `SWARM_TEST_REQUIRE_REACHED=1`, if a condition was never reached.
    pub(super) fn require_reached(&self, test: &str) -> Option<String> {
        let never = self.never();
        if never.is_empty() {
            return None;
        }
        Some(format!(
            "swarm_test `{test}`: {} sometimes-condition{} never reached in {} seed{} \
             ({REQUIRE_REACHED_VAR}=1): {}\n\n{}\nexplore more seeds ({SEEDS_VAR}=N), or \
             change the scenario so the condition can happen",
            never.len(),
            if never.len() == 1 { " was" } else { "s were" },
            self.seeds,
            if self.seeds == 1 { "" } else { "s" },
            never
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            self.table(test)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_collected_per_run_and_tallied_per_seed() {
        assert!(sometimes("outside a run", true), "returns its condition");
        begin();
        sometimes("rerouted", false);
        sometimes("rerouted", true);
        sometimes("never", false);
        let first = finish();
        assert_eq!(first.get("rerouted"), Some(&true));
        assert_eq!(first.get("never"), Some(&false));
        assert!(finish().is_empty(), "collection stopped");
        begin();
        sometimes("rerouted", false);
        let second = finish();
        let mut tally = Tally::default();
        tally.add(&first);
        tally.add(&second);
        assert_eq!(tally.reached.get("rerouted"), Some(&1));
        assert_eq!(tally.never(), vec!["never"]);
        let table = tally.table("m::t");
        assert!(table.contains("  0/2 never  NEVER REACHED\n"), "{table}");
        assert!(table.contains("  1/2 rerouted\n"), "{table}");
        let failure = tally
            .require_reached("m::t")
            .expect("one was never reached");
        assert!(
            failure.starts_with(
                "swarm_test `m::t`: 1 sometimes-condition was never reached in 2 seeds \
                 (SWARM_TEST_REQUIRE_REACHED=1): `never`"
            ),
            "{failure}"
        );
        tally.reached.remove("never");
        assert_eq!(tally.require_reached("m::t"), None);
    }
}
