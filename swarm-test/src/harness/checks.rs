//! What the harness asserts of every run: the topology's shape, exactly-once coordination
//! along edges, and (under `SWARM_TEST_CHECK_DETERMINISM`) that two runs of one seed agree.

use crate::config::CHECK_DETERMINISM_VAR;
use crate::core::Core;
use crate::topology::Topology;

use super::failure::Failure;

/// What a passing run came to, compared by the determinism check.
pub(super) struct Digest {
    /// The run's report.
    pub(super) captured: crate::report::Report,
    /// The sometimes-conditions the run declared: name → reached.
    pub(super) conditions: std::collections::BTreeMap<String, bool>,
    pub(super) events: u64,
    pub(super) now_us: u64,
    pub(super) trace_hash: u64,
    pub(super) report: String,
    /// Every agent's type and answers: (run time µs, hash) per hook call.
    pub(super) answers: Vec<(String, Vec<(u64, u64)>)>,
}

/// The determinism check: two runs of one seed must agree on the trace and the report.
pub(super) fn compare(first: &Digest, second: &Digest) -> Option<Failure> {
    if first.events == second.events
        && first.trace_hash == second.trace_hash
        && first.report == second.report
        && first.answers == second.answers
    {
        return None;
    }
    let mut message = format!(
        "not deterministic ({CHECK_DETERMINISM_VAR}): the same seed gave two different runs\n  \
         run 1: {} trace events, trace hash {:#018x}\n  run 2: {} trace events, trace hash {:#018x}",
        first.events, first.trace_hash, second.events, second.trace_hash
    );
    if let Some((agent, type_name, at_us)) =
        crate::world::first_divergent(&first.answers, &second.answers)
    {
        message.push_str(&format!(
            "\n  the first agent whose answers differ: agent {agent} ({type_name}), at {:.3} ms \
             (does it read the wall clock or OS randomness? use `ctx.now()` and `ctx.rng()`)",
            at_us as f64 / 1_000.0
        ));
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (
        first.report.lines().collect(),
        second.report.lines().collect(),
    );
    let differing: Vec<usize> = (0..a.len().max(b.len()))
        .filter(|&i| a.get(i) != b.get(i))
        .take(5)
        .collect();
    if differing.is_empty() {
        message.push_str("\n  the reports are identical; only the event traces differ");
    } else {
        message.push_str("\n  first differences in the report (JSON):");
        for i in differing {
            let line = |l: Option<&&str>| l.map_or("(none)".to_owned(), |l| l.trim().to_owned());
            message.push_str(&format!(
                "\n    line {}: run 1 `{}`, run 2 `{}`",
                i + 1,
                line(a.get(i)),
                line(b.get(i))
            ));
        }
    }
    Some(Failure {
        message,
        trace: Vec::new(),
        events: second.events,
        now_us: second.now_us,
    })
}

/// Checks that the graph has the shape its kind promises.
pub(super) fn check_shape(t: &Topology) -> Result<(), String> {
    use swarm_test_spec::TopologyKind::*;
    let n = t.len();
    let expected_edges = match t.kind() {
        Mesh => n * (n - 1) / 2,
        Star | Hierarchical => n - 1,
        Ring => n,
    };
    let degrees_ok = (0..n).all(|a| match t.kind() {
        Mesh => t.degree(a) == n - 1,
        Ring => t.degree(a) == 2,
        Star => t.degree(a) == if a == 0 { n - 1 } else { 1 },
        Hierarchical => t.degree(a) >= 1,
    });
    if t.edges().len() != expected_edges || !degrees_ok || t.diameter().is_none() {
        return Err(format!(
            "topology assertion failed: a {} of {n} agents should have {expected_edges} edges \
             and be connected, but has {} edges",
            t.kind().as_str(),
            t.edges().len()
        ));
    }
    Ok(())
}

/// Every task ended exactly once, and every message travelled along an edge.
pub(super) fn check_coordination(core: &Core) -> Result<(), String> {
    let mut problems = core.ledger().violations();
    problems.extend(core.edge_violations().iter().cloned());
    if problems.is_empty() {
        return Ok(());
    }
    let shown = problems.len().min(20);
    Err(format!(
        "coordination assertion failed ({} problem{}):\n  - {}{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems[..shown].join("\n  - "),
        if problems.len() > shown {
            "\n  - …"
        } else {
            ""
        }
    ))
}
