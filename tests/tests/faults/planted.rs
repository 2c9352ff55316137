//! Each fault kind's matrix test fails when that fault does nothing: the same four cases
//! re-run in a child process with `inert_<kind>` planted (`tests::fails_with_bug`), each
//! failure saying which promise broke. The fault still starts and is reported; only its
//! effect is gone, so a test that passed here would be checking the report's bookkeeping,
//! not the fault.

use tests::fails_with_bug;

#[test]
fn an_inert_cpu_spike_fails_cpu_spike() {
    fails_with_bug(
        "matrix::cpu_spike::",
        "inert_cpu_spike",
        "every agent reports the spike's load",
    );
}

/// The mid-run spikes of `seed_failures` and the spikes on the deployment patterns.
#[test]
fn an_inert_cpu_spike_fails_every_mid_run_spike() {
    for prefix in [
        "seed_failures::cpu_spike_mid_run::",
        "seed_failures::multi_strategy_cpu_spike",
        "on_deployments::autoscaling_cpu_spike",
        "on_deployments::blue_green_cpu_spike",
        "on_deployments::canary_cpu_spike",
    ] {
        fails_with_bug(prefix, "inert_cpu_spike", "the spike slowed no task");
    }
}

#[test]
fn an_inert_memory_leak_fails_memory_leak() {
    fails_with_bug(
        "matrix::memory_leak::",
        "inert_memory_leak",
        "the leak grew",
    );
}

#[test]
fn an_inert_latency_fails_latency() {
    fails_with_bug("matrix::latency::", "inert_latency", "links × 50 ms more");
}

#[test]
fn an_inert_packet_loss_fails_packet_loss() {
    fails_with_bug(
        "matrix::packet_loss::",
        "inert_packet_loss",
        "dropped no message",
    );
}

#[test]
fn an_inert_network_issue_fails_network_issue() {
    fails_with_bug(
        "matrix::network_issue::",
        "inert_network_issue",
        "200 ms late",
    );
}

#[test]
fn an_inert_partition_fails_partition() {
    fails_with_bug(
        "matrix::partition::",
        "inert_partition",
        "nothing was dropped across the cut",
    );
}

#[test]
fn an_inert_crash_fails_crash() {
    fails_with_bug("matrix::crash::", "inert_crash", "never detected");
}

#[test]
fn an_inert_hang_fails_hang() {
    fails_with_bug("matrix::hang::", "inert_hang", "never detected");
}

#[test]
fn an_inert_error_rate_fails_error_rate() {
    fails_with_bug("matrix::error_rate::", "inert_error_rate", "0 errors");
}

/// A shock moves only the market: the exactly snapshotted `trades` are where it shows.
#[test]
fn an_inert_volatility_fails_volatility() {
    fails_with_bug(
        "matrix::volatility::",
        "inert_volatility",
        "the snapshot panicked: snapshot assertion for 'faults__matrix__volatility@",
    );
}
