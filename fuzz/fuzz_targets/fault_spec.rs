//! The text parsers (fault specs, rosters, durations, targets) on arbitrary text: they never
//! panic, an error is a readable message, and a parsed fault's normalised text parses back to
//! the same fault with every duration within the documented maximum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swarm_test_spec::{
    format_duration, parse_duration, FaultKind, FaultSpec, Roster, Target, MAX_DURATION_MS,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match FaultSpec::parse(text) {
        Ok(fault) => {
            assert_eq!(FaultSpec::parse(&fault.text).as_ref(), Ok(&fault), "{text:?}");
            for ms in durations(&fault) {
                assert!(ms <= MAX_DURATION_MS, "{text:?}: {ms} ms");
            }
        }
        Err(e) => assert!(!e.to_string().trim().is_empty()),
    }
    if let Ok(ms) = parse_duration(text) {
        assert!(ms <= MAX_DURATION_MS, "{text:?}");
        assert_eq!(parse_duration(&format_duration(ms)), Ok(ms));
    }
    if let Ok(roster) = Roster::parse(text) {
        assert_eq!(Roster::parse(&roster.to_string()), Ok(roster));
    }
    let _ = Target::parse(text);
});

/// Every duration a fault carries, in milliseconds.
fn durations(fault: &FaultSpec) -> Vec<u64> {
    let mut out = vec![fault.at_ms];
    out.extend(fault.for_ms);
    match &fault.kind {
        FaultKind::Latency {
            delay_ms,
            jitter_ms,
        }
        | FaultKind::NetworkIssue {
            delay_ms,
            jitter_ms,
            ..
        } => out.extend([*delay_ms, *jitter_ms]),
        FaultKind::Crash {
            restart_after_ms, ..
        } => out.extend(*restart_after_ms),
        _ => {}
    }
    out
}
