//! No sandbox outlives its run: after a panic, SIGINT or SIGTERM the run deletes its own;
//! after a SIGKILL they remain until `gc --yes` deletes them, or until their lease runs out.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fixtures::e2b::{e2b_stand_in, StandIn};
use rstest::rstest;
use swarm_test::internals::backend::e2b::gc_with;

use super::contract::settings;

/// The subject, live on E2B at the stand-in, with a lease of `lease_s`.
fn start(stand_in: &StandIn, name: &str, lease_s: u64) -> Child {
    tests::subject(name)
        .env("SWARM_TEST_MODE", "live")
        .env("SWARM_TEST_BACKEND", "e2b")
        .env("E2B_API_URL", stand_in.url())
        .env("E2B_SANDBOX_URL", stand_in.url())
        .env("E2B_API_KEY", "e2b_cleanup_key")
        .env("SWARM_TEST_E2B_CREATE_RATE", "1000")
        .env("SWARM_TEST_E2B_LEASE", lease_s.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary runs")
}

/// Waits for the subject to say its agents run; returns the sandboxes then.
fn running(child: &mut Child, stand_in: &StandIn) -> Vec<String> {
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        if line.expect("utf-8").contains("AGENTS RUNNING") {
            return stand_in.sandboxes();
        }
    }
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    panic!("the subject ended before its agents ran:\n{err}");
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

fn no_processes_left(stand_in: &StandIn, sandboxes: &[String]) {
    for id in sandboxes {
        assert!(
            stand_in.processes(id).is_empty(),
            "sandbox {id} still has processes"
        );
    }
}

#[rstest]
#[case::sigint(libc::SIGINT)]
#[case::sigterm(libc::SIGTERM)]
fn a_signalled_run_deletes_its_sandboxes(e2b_stand_in: StandIn, #[case] sig: i32) {
    let mut child = start(&e2b_stand_in, "sleeps_until_stopped", 60);
    let before = running(&mut child, &e2b_stand_in);
    assert_eq!(before.len(), 3, "one sandbox per agent");
    signal(&child, sig);
    let status = child.wait().unwrap();
    assert!(!status.success());
    // The lease is 60 s: only the run's own cleanup can have deleted them by now.
    assert_eq!(
        e2b_stand_in.sandboxes(),
        Vec::<String>::new(),
        "0 sandboxes left after signal {sig}"
    );
    no_processes_left(&e2b_stand_in, &before);
}

#[rstest]
fn a_panicking_run_deletes_its_sandboxes(e2b_stand_in: StandIn) {
    let child = start(&e2b_stand_in, "panics_after_the_run", 60);
    let out = child.wait_with_output().unwrap();
    let all = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(all.contains("a planted panic after the run"), "{all}");
    assert_eq!(e2b_stand_in.created(), 3, "its agents ran in sandboxes");
    assert_eq!(
        e2b_stand_in.sandboxes(),
        Vec::<String>::new(),
        "0 sandboxes left after a panic"
    );
}

#[rstest]
fn a_sigkilled_runs_sandboxes_are_found_and_deleted_by_gc(e2b_stand_in: StandIn) {
    let mut child = start(&e2b_stand_in, "sleeps_until_stopped", 60);
    let before = running(&mut child, &e2b_stand_in);
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    assert_eq!(
        e2b_stand_in.sandboxes(),
        before,
        "nothing of the run could clean up"
    );
    let dry = gc_with(settings(&e2b_stand_in, "k"), false).unwrap();
    assert_eq!(dry.found.len(), 3, "{dry}");
    assert_eq!(dry.deleted, 0);
    assert_eq!(
        e2b_stand_in.sandboxes(),
        before,
        "a dry run deletes nothing"
    );
    let done = gc_with(settings(&e2b_stand_in, "k"), true).unwrap();
    assert_eq!((done.found.len(), done.deleted), (3, 3), "{done}");
    assert_eq!(
        e2b_stand_in.sandboxes(),
        Vec::<String>::new(),
        "0 sandboxes left after gc --yes"
    );
    no_processes_left(&e2b_stand_in, &before);
    let again = gc_with(settings(&e2b_stand_in, "k"), true).unwrap();
    assert_eq!(again.found.len(), 0);
}

#[rstest]
fn a_sigkilled_runs_sandboxes_end_with_their_lease(e2b_stand_in: StandIn) {
    let mut child = start(&e2b_stand_in, "sleeps_until_stopped", 3);
    let before = running(&mut child, &e2b_stand_in);
    assert_eq!(before.len(), 3);
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !e2b_stand_in.sandboxes().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the sandboxes outlived their 3 s lease by far"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    no_processes_left(&e2b_stand_in, &before);
}
