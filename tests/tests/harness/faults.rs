//! The harness catches a broken invariant and prints a replay command that works; it catches
//! a test that is not deterministic; it keeps the seeds that failed and replays them first.

use super::{run_subject, temp_dir, text};

/// The `replay:` line of a failure: its `VAR=value` assignments and the test after `--exact`.
fn replay_command(all: &str) -> (Vec<(String, String)>, String) {
    let line = all
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("the failure prints a replay command:\n{all}"));
    let (env, command) = line
        .split_once("cargo test ")
        .unwrap_or_else(|| panic!("a cargo command: {line}"));
    let env = env
        .split_whitespace()
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("VAR=value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let test = command
        .split_once("--exact ")
        .map(|(_, t)| t.trim().to_owned())
        .unwrap_or_else(|| panic!("an exact test name: {line}"));
    assert_eq!(
        command.split_whitespace().take(2).collect::<Vec<_>>(),
        ["-p", "tests"]
    );
    (env, test)
}

/// The failure's message up to the trace, and the trace's event lines.
fn message_and_events(all: &str) -> (String, String) {
    let start = all.find("swarm_test `").expect("a swarm_test failure");
    let rest = &all[start..];
    let (message, events) = rest.split_once("events:\n").expect("a trace tail");
    let message = message.split("\n\n").next().unwrap_or(message).to_owned();
    let events = events
        .lines()
        .take_while(|l| l.starts_with("  "))
        .collect::<Vec<_>>()
        .join("\n");
    (message, events)
}

#[test]
fn a_dropped_rerouted_task_is_caught_and_the_replay_command_reproduces_it() {
    // Without the planted bug the subject passes: the crash is survived by rerouting.
    let clean = run_subject("reroutes_around_a_crashed_spoke", &[]);
    assert!(clean.status.success(), "{}", text(&clean));

    let bug = [("SWARM_TEST_FAULT_INJECT_BUG", "drop_rerouted")];
    let out = run_subject("reroutes_around_a_crashed_spoke", &bug);
    let all = text(&out);
    assert!(
        !out.status.success(),
        "the lost task fails the test:\n{all}"
    );
    assert!(
        all.contains("coordination assertion failed (1 problem)"),
        "{all}"
    );
    let lost = all
        .split("  - ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the problem names a task");
    assert!(lost.starts_with("task#"), "{all}");
    assert!(
        all.contains(&format!("{lost} was lost: dispatched, assigned to")),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "(injected bug drop_rerouted) {lost} dropped while rerouting"
        )),
        "the trace shows where it went:\n{all}"
    );

    // The replay command carries everything that shaped the run, the bug included.
    let (env, test) = replay_command(&all);
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["SWARM_TEST_FAULT_INJECT_BUG", "SWARM_TEST_SEED"],
        "{all}"
    );
    assert_eq!(test, "subjects::reroutes_around_a_crashed_spoke");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let again = text(&run_subject("reroutes_around_a_crashed_spoke", &env));
    assert_eq!(
        message_and_events(&again),
        message_and_events(&all),
        "the replay fails the same way, with the same events"
    );
}

#[test]
fn the_determinism_check_catches_state_leaking_between_runs() {
    let check = [("SWARM_TEST_CHECK_DETERMINISM", "1")];
    // Run alone, each run of the subject is fine.
    let alone = run_subject("leaks_state_between_runs", &[]);
    assert!(alone.status.success(), "{}", text(&alone));
    let out = run_subject("leaks_state_between_runs", &check);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("not deterministic (SWARM_TEST_CHECK_DETERMINISM): the same seed gave two different runs"),
        "{all}"
    );
    assert!(
        all.contains("  run 1: ") && all.contains("  run 2: "),
        "{all}"
    );
    assert!(
        all.contains("\"dispatched\": 4") && all.contains("\"dispatched\": 5"),
        "the report lines that differ are shown:\n{all}"
    );
    assert!(
        all.contains("replay: SWARM_TEST_CHECK_DETERMINISM=1 SWARM_TEST_SEED="),
        "{all}"
    );
    // A deterministic test passes the check.
    let out = run_subject("plain_mesh", &check);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_seed_that_fails_while_exploring_is_kept_and_replayed_first() {
    let dir = temp_dir("regressions");
    let file = dir.join("subjects__fails_for_some_seeds.txt");
    let dir_var = format!("{}/", dir.display());
    let keep = ("SWARM_TEST_REGRESSIONS", dir_var.as_str());

    // The test's own seed passes.
    let out = run_subject("fails_for_some_seeds", &[keep]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!file.exists(), "nothing failed, nothing kept");

    // Exploring finds a failing seed, names it, and keeps it (unshrunk here: shrinking is
    // `explore.rs`'s to test).
    let out = run_subject(
        "fails_for_some_seeds",
        &[keep, ("SWARM_TEST_SEEDS", "50"), ("SWARM_TEST_SHRINK", "0")],
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(" of 50): ") && all.contains("a seed divisible by 5"),
        "{all}"
    );
    let seed = all
        .split("  seed: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the failure names its seed")
        .to_owned();
    assert!(
        all.contains(&format!(
            "saved: seed {seed} was added to {}",
            file.display()
        )),
        "{all}"
    );
    let kept = std::fs::read_to_string(&file).expect("the regressions file was written");
    assert!(
        kept.starts_with("# Seeds that failed `subjects::fails_for_some_seeds`"),
        "{kept}"
    );
    assert!(kept.contains(&format!("\nseed {seed} # ")), "{kept}");

    // The next plain run replays the kept seed first, before its own.
    let out = run_subject("fails_for_some_seeds", &[keep]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("(a seed from the regressions file"), "{all}");
    assert!(all.contains(&format!("  seed: {seed}\n")), "{all}");
    assert!(
        !all.contains("saved:"),
        "a replayed seed is not saved again:\n{all}"
    );

    // Replaying one seed, or turning regressions off, skips the file.
    let out = run_subject("fails_for_some_seeds", &[keep, ("SWARM_TEST_SEED", "1")]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run_subject("fails_for_some_seeds", &[("SWARM_TEST_REGRESSIONS", "off")]);
    assert!(out.status.success(), "{}", text(&out));

    // A damaged file stops the run and says where.
    std::fs::write(&file, "seed x\n").unwrap();
    let all = text(&run_subject("fails_for_some_seeds", &[keep]));
    assert!(
        all.contains("subjects__fails_for_some_seeds.txt:1: expected `seed N`"),
        "{all}"
    );
    assert!(all.contains("Nothing ran"), "{all}");
    let _ = std::fs::remove_dir_all(dir);
}
