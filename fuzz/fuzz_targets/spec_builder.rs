//! `SpecBuilder` on arbitrary key/value sequences: it never panics, and a spec it builds
//! keeps its documented bounds (agents within the topology's limits, durations within the
//! maximum, faults starting before the timeout).
//!
//! The input is lines of `key=value`; a value of digits is an integer, `true`/`false` a
//! bool, anything else a string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swarm_test_spec::{SpecBuilder, Value, MAX_DURATION_MS};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut builder = SpecBuilder::new("fuzz", "fuzz");
    for line in text.lines() {
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let value = match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            v => v.parse::<u64>().map_or_else(|_| Value::Str(v.to_owned()), Value::Int),
        };
        builder = builder.with(key.trim(), value);
    }
    match builder.build() {
        Ok(spec) => {
            assert!(spec.agents >= spec.topology.min_agents());
            assert!(spec.agents <= spec.topology.max_agents());
            assert!(spec.timeout_ms <= MAX_DURATION_MS);
            for fault in &spec.inject {
                assert!(fault.at_ms < spec.timeout_ms);
            }
            if let Some(scale) = &spec.scale {
                assert!(scale.min_agents <= spec.agents && spec.agents <= scale.max_agents);
                assert!(scale.max_agents <= spec.topology.max_agents());
            }
        }
        Err(e) => assert!(!e.to_string().trim().is_empty()),
    }
});
