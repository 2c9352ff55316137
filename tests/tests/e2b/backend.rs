//! The E2B backend's hold on an agent, as the live driver uses it: the pipes carry bytes both
//! ways, pause and resume stop and continue the real process, usage is measured, a kill ends
//! it, and a restart reuses the agent's sandbox.

use std::time::{Duration, Instant};

use fixtures::e2b::{e2b_stand_in, StandIn};
use rstest::rstest;
use swarm_test::internals::backend::e2b::E2bBackend;
use swarm_test::internals::backend::{Backend, Launch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::contract::settings;

fn launch(program: &str, args: &[&str]) -> Launch {
    Launch {
        program: program.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
        env: vec![("SWARM_TEST_PROBE".into(), "1".into())],
    }
}

/// The process state letter (`S`, `T`, ...) of `pid` on this machine (the stand-in runs
/// sandbox processes here).
fn state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .and_then(|r| r.trim().chars().next())
        .unwrap_or('?')
}

fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[rstest]
fn an_agent_in_a_sandbox_is_driven_like_a_local_process(e2b_stand_in: StandIn) {
    let mut backend = E2bBackend::with_settings(settings(&e2b_stand_in, "k"), "t::probe").unwrap();
    let mut started = backend.start(0, &launch("/bin/cat", &[])).unwrap();
    let sandboxes = e2b_stand_in.sandboxes();
    assert_eq!(sandboxes.len(), 1);
    let tags = e2b_stand_in.metadata(&sandboxes[0]).unwrap();
    assert_eq!(tags["swarm-test-run"], backend.run_id());
    assert_eq!(tags["swarm-test-test"], "t::probe");
    assert!(tags.contains_key("swarm-test-owner"));
    // The wire: bytes in through SendInput, out through the Start stream.
    let echoed = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            started
                .input
                .write_all(b"frame bytes\x00\x01")
                .await
                .unwrap();
            started.input.flush().await.unwrap();
            let mut buf = vec![0u8; 13];
            started.output.read_exact(&mut buf).await.unwrap();
            buf
        });
    assert_eq!(echoed, b"frame bytes\x00\x01");
    let pid = e2b_stand_in.processes(&sandboxes[0])[0];
    started.control.pause().unwrap();
    eventually("paused (T)", || state(pid) == 'T');
    started.control.resume().unwrap();
    eventually("resumed", || state(pid) != 'T');
    eventually("usage measured", || {
        started.control.usage().is_some_and(|u| u.rss_mb > 0.0)
    });
    started.control.kill();
    assert_eq!(started.control.reap(), "killed (SIGKILL)");
    assert!(started.control.usage().is_none());
    // A restart is a new process in the same sandbox.
    let mut again = backend.start(0, &launch("/bin/cat", &[])).unwrap();
    assert_eq!(e2b_stand_in.sandboxes(), sandboxes, "the sandbox is reused");
    drop(again.input); // Stdin closes: cat exits by itself.
    eventually("cat exited", || {
        e2b_stand_in.processes(&sandboxes[0]).is_empty()
    });
    assert_eq!(again.control.reap(), "exited with status 0");
    drop(backend);
    assert!(
        e2b_stand_in.sandboxes().is_empty(),
        "the backend's drop deletes the run's sandboxes"
    );
}

#[rstest]
fn a_failed_create_is_a_start_error_that_names_the_agent(e2b_stand_in: StandIn) {
    use fixtures::e2b::{Fault, FaultKind, Route};
    e2b_stand_in.inject(Fault::once(Route::Create, FaultKind::Unauthorized));
    let mut backend = E2bBackend::with_settings(settings(&e2b_stand_in, "k"), "t").unwrap();
    let err = backend.start(3, &launch("/bin/cat", &[])).unwrap_err();
    let err = swarm_test::internals::chain(&err);
    assert!(
        err.contains("agent 3") && err.contains("E2B_API_KEY"),
        "{err}"
    );
}
