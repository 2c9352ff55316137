//! Nothing leaks: live runs ended at random points by a panic, a timeout, SIGINT, SIGTERM or
//! SIGKILL leave no agent process alive.
//!
//! `LIVE_LEAK_RUNS` sets the number of runs (the default value is 10; the figure in the README
//! is from 100: `LIVE_LEAK_RUNS=100 cargo test -p tests --test live leak:: -- --nocapture`),
//! `LIVE_LEAK_SEED` the seed of the random points.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::subject;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ending {
    Panic,
    Timeout,
    Sigint,
    Sigterm,
    Sigkill,
}

const ENDINGS: [Ending; 5] = [
    Ending::Panic,
    Ending::Timeout,
    Ending::Sigint,
    Ending::Sigterm,
    Ending::Sigkill,
];

/// A small deterministic generator for the random points (xorshift).
struct Points(u64);

impl Points {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Pids of processes whose environment holds `marker` (agents inherit it from the subject).
fn carrying(marker: &str) -> Vec<u32> {
    let needle = format!("LEAK_MARKER={marker}\0");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| String::from_utf8_lossy(&env).contains(&needle))
        })
        .filter(|&pid| super::alive(pid))
        .collect()
}

#[test]
fn no_agent_outlives_a_run_however_it_ends() {
    let _serial = super::heavy();
    let runs: u64 = std::env::var("LIVE_LEAK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("LIVE_LEAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let mut points = Points(seed | 1);
    let mut leaked = Vec::new();
    let mut with_agents = 0;
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..runs {
        let ending = ENDINGS[(i % 5) as usize];
        let at_ms = points.below(1_500);
        let marker = format!("{}-{i}", std::process::id());
        let name = if ending == Ending::Timeout {
            "churn_times_out"
        } else {
            "churn"
        };
        let mut cmd = subject(name);
        cmd.env("LEAK_MARKER", &marker)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if ending == Ending::Panic {
            cmd.env("LEAK_PANIC_AFTER_MS", at_ms.to_string());
        }
        let mut child = cmd.spawn().expect("the subject starts");
        let signal = match ending {
            Ending::Sigint => Some(libc_signal::SIGINT),
            Ending::Sigterm => Some(libc_signal::SIGTERM),
            Ending::Sigkill => Some(libc_signal::SIGKILL),
            Ending::Panic | Ending::Timeout => None,
        };
        if let Some(signal) = signal {
            std::thread::sleep(Duration::from_millis(at_ms));
            libc_signal::send(child.id(), signal);
        }
        let limit = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait works") {
                break status;
            }
            assert!(Instant::now() < limit, "run {i} ({ending:?}) did not end");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(
            !status.success(),
            "run {i} ({ending:?}) ended by failing: {status}"
        );
        let mut out = String::new();
        use std::io::Read;
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        if out.contains("AGENT PIDS") {
            with_agents += 1;
        }
        // Parent-death signals and closed pipes act at once; allow a moment for the kernel.
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut left = carrying(&marker);
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            left = carrying(&marker);
        }
        *counts.entry(ending).or_insert(0) += 1;
        leaked.extend(left.into_iter().map(|pid| (i, ending, pid)));
    }
    println!(
        "LEAK RESULT: {runs} runs {counts:?}, {with_agents} ended while their agents ran, {} agent processes leaked",
        leaked.len()
    );
    assert!(
        leaked.is_empty(),
        "agent processes outlived their runs: {leaked:?}"
    );
    assert!(
        with_agents * 2 >= runs,
        "most runs must end while agents run, or the test proves little: {with_agents} of {runs}"
    );
}

/// Sending signals without a libc dependency in this crate: `kill(1)`.
/// A test binary that the tests crate started (`tests::subject`) dies with its parent: SIGKILL
/// the parent while the child's live agents run, and neither the child nor an agent survives.
#[test]
fn a_sigkilled_parent_takes_its_child_test_binary_and_agents_with_it() {
    use std::io::BufRead;
    let _serial = super::heavy();
    let marker = format!("{}-parent", std::process::id());
    let mut parent = subject("runs_churn_in_a_child")
        .env("LEAK_MARKER", &marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the parent starts");
    let lines = std::io::BufReader::new(parent.stdout.take().unwrap());
    let mut seen = Vec::new();
    for line in lines.lines() {
        let line = line.expect("the parent's output reads");
        let agents = line.contains("AGENT PIDS");
        seen.push(line);
        if agents {
            break;
        }
    }
    let running = carrying(&marker);
    assert!(
        running.len() >= 2 + 4,
        "the parent, its child and 4 agents run: {running:?}\n{}",
        seen.join("\n")
    );
    libc_signal::send(parent.id(), libc_signal::SIGKILL);
    parent.wait().expect("the parent is reaped");
    // Parent-death signals act at once; allow a moment for the kernel.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut left = carrying(&marker);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        left = carrying(&marker);
    }
    for &pid in &left {
        libc_signal::send(pid, libc_signal::SIGKILL); // Do not leave them to the machine.
    }
    assert!(left.is_empty(), "outlived their SIGKILLed parent: {left:?}");
}

mod libc_signal {
    pub(super) const SIGINT: &str = "INT";
    pub(super) const SIGTERM: &str = "TERM";
    pub(super) const SIGKILL: &str = "KILL";

    pub(super) fn send(pid: u32, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .expect("kill(1) runs");
        assert!(
            status.success() || signal == "KILL",
            "kill -{signal} {pid} failed"
        );
    }
}
