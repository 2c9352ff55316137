//! Shrinking a failing run: a greedy search, within a budget of runs, for a smaller run of
//! the same seed that fails the same way, printed as attribute keys that override the
//! test's own (`SWARM_TEST_SHRUNK`, the attribute's syntax, parsed by the spec crate).
//!
//! "The same way" is the failure's first line with every number masked, so `the test body
//! panicked: a seed divisible by 5` and `coordination assertion failed (1 problem)` match
//! themselves at any size. The candidates, tried in this order and each kept when it still
//! fails the same way (then the search starts over from the smaller run): fewer agents (the
//! topology's minimum, half-way there, one fewer; not with a fixed `roles` roster or a
//! scaling or deployment pattern, which size the swarm themselves), each fault removed, fewer
//! trades (1, half, one fewer; not for a `&mut Swarm` body, which dispatches what it
//! dispatches), each fault started at 0 or at half its start, each bounded fault made half as
//! long, and half the timeout (while after every fault's start). A candidate the spec crate
//! rejects (a fault targeting an agent that no longer exists) is skipped without a run.

use std::cell::Cell;
use std::sync::Once;

use swarm_test_spec::{format_duration, parse_keys, Spec, SpecBuilder, SpecError, Value};

use crate::config::SHRUNK_VAR;

/// The failure's first line with every run of digits written `#`: what "fails the same way"
/// compares.
pub(super) fn signature(message: &str) -> String {
    let line = message.lines().next().unwrap_or("");
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `spec` with the keys of `text` (`agents = 3, inject = ["crash(1)"]`) in place of its own,
/// checked by the spec crate as the attribute is.
pub(super) fn apply(spec: &Spec, text: &str) -> Result<Spec, SpecError> {
    let mut agents = Value::Int(spec.agents as u64);
    let mut trades = Value::Int(spec.trades);
    let mut timeout = Value::Str(format_duration(spec.timeout_ms));
    let mut inject: Vec<Value> = spec
        .inject
        .iter()
        .map(|f| Value::Str(f.text.clone()))
        .collect();
    for (key, mut values) in parse_keys(text)? {
        let one = |values: &mut Vec<Value>| match values.len() {
            1 => Ok(values.remove(0)),
            _ => Err(SpecError::new(format!("`{key}` takes one value, not a list")).with_key(&key)),
        };
        match key.as_str() {
            "agents" => agents = one(&mut values)?,
            "trades" => trades = one(&mut values)?,
            "timeout" => timeout = one(&mut values)?,
            "inject" => inject = values,
            other => {
                return Err(SpecError::new(format!(
                    "`{other}` cannot be overridden by {SHRUNK_VAR}, which sets only `agents`, \
                     `trades`, `inject` and `timeout`"
                ))
                .with_key(other))
            }
        }
    }
    let mut builder = SpecBuilder::new(&spec.name, &spec.module_path)
        .with("topology", spec.topology.as_str())
        .with("agents", agents)
        .with("trades", trades)
        .with("timeout", timeout);
    if let Some(roles) = &spec.roles {
        builder = builder.with("roles", roles.to_string());
    }
    for fault in inject {
        builder = builder.with("inject", fault);
    }
    let checked = builder.build()?;
    Ok(Spec {
        agents: checked.agents,
        trades: checked.trades,
        inject: checked.inject,
        timeout_ms: checked.timeout_ms,
        ..spec.clone()
    })
}

/// The keys on which `smaller` differs from `attribute`, as `SWARM_TEST_SHRUNK` takes them.
pub(super) fn override_text(attribute: &Spec, smaller: &Spec) -> String {
    let mut keys = Vec::new();
    if smaller.agents != attribute.agents {
        keys.push(format!("agents = {}", smaller.agents));
    }
    if smaller.trades != attribute.trades {
        keys.push(format!("trades = {}", smaller.trades));
    }
    if smaller.inject != attribute.inject {
        keys.push(format!("inject = [{}]", faults(smaller).join(", ")));
    }
    if smaller.timeout_ms != attribute.timeout_ms {
        keys.push(format!(
            "timeout = \"{}\"",
            format_duration(smaller.timeout_ms)
        ));
    }
    keys.join(", ")
}

/// The run as the attribute's keys to paste: the topology and the shrunk keys.
pub(super) fn attribute_text(spec: &Spec, swarm_body: bool) -> String {
    let mut keys = vec![
        format!("topology = \"{}\"", spec.topology.as_str()),
        format!("agents = {}", spec.agents),
    ];
    if !swarm_body {
        keys.push(format!("trades = {}", spec.trades));
    }
    match faults(spec).as_slice() {
        [] => {}
        [one] => keys.push(format!("inject = {one}")),
        many => keys.push(format!("inject = [{}]", many.join(", "))),
    }
    keys.push(format!(
        "timeout = \"{}\"",
        format_duration(spec.timeout_ms)
    ));
    keys.join(", ")
}

fn faults(spec: &Spec) -> Vec<String> {
    spec.inject
        .iter()
        .map(|f| format!("{:?}", f.text))
        .collect()
}

/// The smaller runs to try after `spec`, most promising first (see the module docs).
pub(super) fn candidates(spec: &Spec, swarm_body: bool) -> Vec<Spec> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut Spec)| {
        let mut s = spec.clone();
        f(&mut s);
        s
    };
    let fixed_size = spec.roles.is_some() || spec.scale.is_some() || spec.deploy.is_some();
    if !fixed_size {
        let min = spec.topology.min_agents();
        for n in [min, (spec.agents + min) / 2, spec.agents.saturating_sub(1)] {
            if n >= min && n < spec.agents {
                out.push(with(&|s| s.agents = n));
            }
        }
    }
    for i in 0..spec.inject.len() {
        out.push(with(&|s| {
            s.inject.remove(i);
        }));
    }
    if !swarm_body && spec.deploy.is_none() {
        for n in [1, spec.trades / 2, spec.trades.saturating_sub(1)] {
            if n >= 1 && n < spec.trades {
                out.push(with(&|s| s.trades = n));
            }
        }
    }
    for (i, fault) in spec.inject.iter().enumerate() {
        for at in [0, fault.at_ms / 2] {
            if at < fault.at_ms {
                out.push(with(&|s| s.inject[i] = s.inject[i].clone().at(at)));
            }
        }
        if let Some(d) = fault.for_ms.filter(|d| *d > 1) {
            out.push(with(&|s| {
                s.inject[i] = s.inject[i].clone().lasting(Some(d / 2));
            }));
        }
    }
    let latest_start = spec.inject.iter().map(|f| f.at_ms).max().unwrap_or(0);
    let half = spec.timeout_ms / 2;
    if half >= 100 && half > latest_start {
        out.push(with(&|s| s.timeout_ms = half));
    }
    let mut seen = Vec::new();
    out.retain(|s| {
        let new = !seen.contains(s) && s != spec;
        seen.push(s.clone());
        new
    });
    out
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the panic hook silent on this thread: a shrink's candidate runs panic by
/// design (that is how they fail), and their messages would bury the one that matters.
/// Other threads' panics print as before.
pub(super) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let out = f();
    QUIET.with(|q| q.set(false));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        SpecBuilder::new("t", "m")
            .with("topology", "mesh")
            .with("agents", 6u64)
            .with("trades", 40u64)
            .with("inject", "crash(4) @ 300ms")
            .with("inject", "latency(50ms) @ 1s for 2s")
            .build()
            .unwrap()
    }

    #[test]
    fn signatures_mask_numbers_and_keep_the_first_line() {
        assert_eq!(
            signature("coordination assertion failed (12 problems):\n  - task#3 was lost"),
            "coordination assertion failed (# problems):"
        );
        assert_eq!(signature("a 1.5 b"), "a #.# b");
    }

    #[test]
    fn overrides_round_trip_through_the_spec_parser() {
        let attribute = spec();
        let mut smaller = attribute.clone();
        smaller.agents = 5;
        smaller.inject.remove(1);
        smaller.inject[0] = smaller.inject[0].clone().at(0);
        smaller.timeout_ms = 2_000;
        let text = override_text(&attribute, &smaller);
        assert_eq!(text, r#"agents = 5, inject = ["crash(4)"], timeout = "2s""#);
        assert_eq!(apply(&attribute, &text), Ok(smaller.clone()));
        assert_eq!(override_text(&attribute, &attribute), "");
        assert_eq!(
            attribute_text(&smaller, false),
            r#"topology = "mesh", agents = 5, trades = 40, inject = "crash(4)", timeout = "2s""#
        );
        let none = apply(&attribute, "inject = []").unwrap();
        assert!(none.inject.is_empty());
        let e = apply(&attribute, "agents = 3").unwrap_err().to_string();
        assert!(e.contains("agent index 4 is out of range"), "{e}");
        let e = apply(&attribute, "roles = \"x\"").unwrap_err().to_string();
        assert!(
            e.contains("cannot be overridden by SWARM_TEST_SHRUNK"),
            "{e}"
        );
        let e = apply(&attribute, "agents = [2, 3]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("takes one value"), "{e}");
    }

    #[test]
    fn candidates_are_smaller_and_distinct() {
        let attribute = spec();
        let all = candidates(&attribute, false);
        assert_eq!(all[0].agents, 2, "the topology's minimum first");
        assert!(all.iter().any(|s| s.inject.len() == 1));
        assert!(all.iter().any(|s| s.trades == 1));
        assert!(all
            .iter()
            .any(|s| s.inject[0].at_ms == 0 && s.inject.len() == 2));
        assert!(all
            .iter()
            .any(|s| s.inject.get(1).and_then(|f| f.for_ms) == Some(1_000)));
        assert!(all.iter().any(|s| s.timeout_ms == 30_000));
        assert!(!all.contains(&attribute));
        assert!(
            candidates(&attribute, true).iter().all(|s| s.trades == 40),
            "a swarm body's dispatches stay as written"
        );
    }
}
