//! A program that breaks the protocol fails its test, in mock and in live mode, naming the
//! agent, the offending line and what was expected, and leaves no process behind. And a mock
//! run with the example programs is deterministic: two runs, the same report, byte for byte.

use std::process::Output;

/// The `broken.py` processes on the machine that descend from the subject run tagged `tag`
/// (each run's environment carries its own tag down to its programs, so tests that run at
/// the same time, as under `cargo nextest`, do not see each other's programs).
fn broken_programs(tag: &str) -> Vec<String> {
    let tag = format!("{LEAK_TAG}={tag}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if !cmdline.contains("examples/agents/broken.py") {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|var| var == tag.as_bytes()) {
            found.push(format!(
                "{}: {cmdline}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

/// The variable that tags one subject run's processes.
const LEAK_TAG: &str = "SWARM_TEST_PROGRAMS_LEAK_TAG";

/// Runs subject `name` in `mode`; checks that it failed and left no program running;
/// returns what it printed.
fn fails(name: &str, mode: &str, env: &[(&str, &str)]) -> String {
    let tag = format!("{}-{name}-{mode}", std::process::id());
    let out: Output = tests::subject(name)
        .env("SWARM_TEST_MODE", mode)
        .env(LEAK_TAG, &tag)
        .envs(env.iter().copied())
        .output()
        .expect("the test binary runs");
    let all = tests::printed(&out);
    assert!(
        !out.status.success(),
        "{name} passed in {mode} mode:\n{all}"
    );
    assert!(all.contains("running 1 test"), "{all}");
    let left = broken_programs(&tag);
    assert!(
        left.is_empty(),
        "{name} ({mode}) left programs behind: {left:?}\n{all}"
    );
    all
}

/// The live rerun of this binary (`every_program_test_also_passes_live`) skips these: they
/// start their own children in each mode.
fn in_live_rerun() -> bool {
    std::env::var("SWARM_TEST_MODE").as_deref() == Ok("live")
}

fn says(all: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            all.contains(part),
            "the failure does not say {part:?}:\n{all}"
        );
    }
}

#[test]
fn bad_json_fails_naming_the_agent_the_line_and_what_was_expected() {
    if in_live_rerun() {
        return;
    }
    for mode in ["mock", "live"] {
        let all = fails("bad_json", mode, &[]);
        says(
            &all,
            &[
                "agent program `python3 ../examples/agents/broken.py bad-json` broke the agent protocol",
                "line 2 `{\"type\":\"decision\",\"id\":",
                "bad JSON",
                "expected `decision` or `error` with \"id\":",
                "(trade ",
            ],
        );
    }
}

#[test]
fn a_wrong_protocol_version_fails_the_test() {
    if in_live_rerun() {
        return;
    }
    for mode in ["mock", "live"] {
        let all = fails("wrong_version", mode, &[]);
        says(
            &all,
            &[
                "line 1 `{\"type\":\"ready\",\"id\":1,\"protocol\":99",
                "wrong protocol version 99 (this framework speaks 1)",
                "expected `ready` with \"id\":1 answering request 1 (hello) with \"protocol\":1",
            ],
        );
    }
}

#[test]
fn silence_past_the_deadline_fails_the_test() {
    if in_live_rerun() {
        return;
    }
    for mode in ["mock", "live"] {
        let all = fails(
            "silent",
            mode,
            &[("SWARM_TEST_PROGRAM_DEADLINE_MS", "1500")],
        );
        says(
            &all,
            &[
                "no answer within 1500 ms; expected `decision` or `error`",
                "broken.py: going quiet",
            ],
        );
    }
}

#[test]
fn a_program_that_exits_early_fails_the_test() {
    if in_live_rerun() {
        return;
    }
    for mode in ["mock", "live"] {
        let all = fails("exits_early", mode, &[]);
        says(
            &all,
            &[
                "the program ended (exited with status 3)",
                "broken.py: exiting on purpose",
            ],
        );
    }
}

/// Two mock runs of the same seed with both example programs print the same report.
#[test]
fn a_mock_run_with_the_example_programs_is_deterministic() {
    if in_live_rerun() {
        return;
    }
    let run = |env: &[(&str, &str)]| {
        let out = tests::subject("both_examples")
            .envs(env.iter().copied())
            .output()
            .expect("the test binary runs");
        let all = tests::printed(&out);
        assert!(out.status.success(), "{all}");
        all.lines()
            .find_map(|l| l.find("REPORT ").map(|at| l[at + 7..].to_owned()))
            .unwrap_or_else(|| panic!("no report:\n{all}"))
    };
    let first = run(&[]);
    assert_eq!(first, run(&[]), "two runs of one seed differ");
    assert!(
        first.contains("arb.js") && first.contains("momentum.py"),
        "{first}"
    );
    // The harness's own check (each seed run twice in one process) agrees.
    run(&[("SWARM_TEST_CHECK_DETERMINISM", "1")]);
}
