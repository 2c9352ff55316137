//! The envd client: process streams (split, slow, cut, failing), stdin, signals, files.

use std::collections::BTreeMap;
use std::time::Duration;

use fixtures::e2b::{e2b_stand_in, Fault, FaultKind, Route, StandIn};
use rstest::rstest;
use swarm_test::internals::backend::e2b::envd::{Envd, ProcessEvent, ProcessSpec, Signal};
use swarm_test::internals::backend::e2b::{block, E2bError};

use super::contract::{new_sandbox, rest};

fn envd(stand_in: &StandIn) -> Envd {
    let r = rest(stand_in);
    block(async move {
        let created = r.create(&new_sandbox("k", &[])).await.unwrap();
        r.envd(&created)
    })
}

fn sh(line: &str) -> ProcessSpec {
    ProcessSpec {
        cmd: "/bin/sh".into(),
        args: vec!["-c".into(), line.into()],
        envs: BTreeMap::from([("X".to_owned(), "y".to_owned())]),
        ..ProcessSpec::default()
    }
}

fn run(envd: &Envd, line: &str) -> Result<(String, String, i32, String), E2bError> {
    let (envd, spec) = (envd.clone(), sh(line));
    block(async move {
        let (out, err, exit) = envd.start(&spec).await?.wait().await?;
        Ok((
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
            exit.code,
            exit.status,
        ))
    })
}

#[rstest]
fn a_command_runs_with_its_env_and_its_exit_code(e2b_stand_in: StandIn) {
    let envd = envd(&e2b_stand_in);
    let (out, err, code, status) = run(&envd, "echo $X $FOO; echo e >&2").unwrap();
    assert_eq!((out.as_str(), err.as_str(), code), ("y bar\n", "e\n", 0));
    assert_eq!(
        status, "exit status 0",
        "exit 0 has no exitCode on the wire"
    );
    let (_, _, code, _) = run(&envd, "exit 3").unwrap();
    assert_eq!(code, 3);
}

#[rstest]
#[case::split(FaultKind::SplitFrames)]
#[case::slow(FaultKind::SlowFrames { ms: 30 })]
fn split_and_slow_frames_decode_alike(e2b_stand_in: StandIn, #[case] kind: FaultKind) {
    let envd = envd(&e2b_stand_in);
    e2b_stand_in.inject(Fault::once(Route::Start, kind));
    let (out, _, code, _) = run(&envd, "printf 'one\\n'; sleep 0.05; printf 'two\\n'").unwrap();
    assert_eq!((out.as_str(), code), ("one\ntwo\n", 0));
}

#[rstest]
fn a_dropped_stream_is_an_error_not_an_exit(e2b_stand_in: StandIn) {
    let envd = envd(&e2b_stand_in);
    e2b_stand_in.inject(Fault::once(
        Route::Start,
        FaultKind::DropStream { after_frames: 1 },
    ));
    let err = run(&envd, "echo a; sleep 0.2; echo b").unwrap_err();
    assert!(matches!(err, E2bError::StreamEnded { .. }), "{err:?}");
}

#[rstest]
fn an_error_in_the_end_frame_is_reported(e2b_stand_in: StandIn) {
    let envd = envd(&e2b_stand_in);
    e2b_stand_in.inject(Fault::once(
        Route::Start,
        FaultKind::EndError {
            code: "unavailable".into(),
        },
    ));
    let err = run(&envd, "true").unwrap_err();
    let E2bError::Envd { code, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(code, "unavailable");
}

#[rstest]
fn stdin_reaches_the_process_and_close_ends_it(e2b_stand_in: StandIn) {
    let envd = envd(&e2b_stand_in);
    let spec = ProcessSpec {
        stdin: true,
        ..sh("cat")
    };
    let (first, rest_out, code) = block(async move {
        let mut stream = envd.start(&spec).await.unwrap();
        let pid = stream.pid();
        envd.send_input(pid, b"hello\n").await.unwrap();
        let first = stream.next().await.unwrap();
        envd.send_input(pid, b"more").await.unwrap();
        envd.close_stdin(pid).await.unwrap();
        let (out, _, exit) = stream.wait().await.unwrap();
        (first, out, exit.code)
    });
    assert_eq!(first, Some(ProcessEvent::Stdout(b"hello\n".to_vec())));
    assert_eq!((rest_out, code), (b"more".to_vec(), 0));
}

#[rstest]
fn sigkill_ends_a_process_and_an_unknown_pid_is_not_found(e2b_stand_in: StandIn) {
    let envd = envd(&e2b_stand_in);
    let (exit, unknown) = block(async move {
        let stream = envd.start(&sh("sleep 30")).await.unwrap();
        envd.send_signal(stream.pid(), Signal::Kill).await.unwrap();
        let (_, _, exit) = stream.wait().await.unwrap();
        (exit, envd.send_signal(999_999, Signal::Kill).await)
    });
    assert_eq!((exit.code, exit.status.as_str()), (-1, "signal: killed"));
    let Err(E2bError::Envd { code, .. }) = unknown else {
        panic!("{unknown:?}")
    };
    assert_eq!(code, "not_found");
}

#[rstest]
fn files_round_trip_and_a_missing_file_is_an_error(e2b_stand_in: StandIn) {
    let envd = envd(&e2b_stand_in);
    let (back, missing, health) = block(async move {
        envd.upload("dir/blob.bin", vec![0u8, 1, 2, 255])
            .await
            .unwrap();
        let back = envd.download("/home/user/dir/blob.bin").await.unwrap();
        (
            back,
            envd.download("/nope").await,
            envd.health().await.unwrap(),
        )
    });
    assert_eq!(back, vec![0u8, 1, 2, 255]);
    assert!(matches!(missing, Err(E2bError::Envd { .. })), "{missing:?}");
    assert!(health);
}

#[rstest]
fn a_deleted_or_expired_sandbox_kills_its_processes_and_fails_health(e2b_stand_in: StandIn) {
    let envd = envd(&e2b_stand_in);
    let id = envd.sandbox().to_owned();
    let e = envd.clone();
    let stream = block(async move { e.start(&sh("sleep 30")).await.unwrap() });
    let pid = stream.pid();
    assert_eq!(e2b_stand_in.processes(&id), vec![pid]);
    e2b_stand_in.expire_in(Some(&id), Duration::ZERO);
    let e = envd.clone();
    let (exit, health) = block(async move {
        let exit = stream.wait().await;
        (exit, e.health().await)
    });
    assert_eq!(
        exit.unwrap().2.code,
        -1,
        "the process was killed with its sandbox"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}/cmdline")).exists()
            || std::fs::read(format!("/proc/{pid}/cmdline"))
                .unwrap()
                .is_empty()
    );
    assert!(!health.unwrap(), "envd of a gone sandbox is not healthy");
    let err = run(&envd, "true").unwrap_err();
    assert!(
        err.to_string().contains("The sandbox was not found"),
        "{err}"
    );
}

#[rstest]
fn a_wrong_access_token_is_refused(e2b_stand_in: StandIn) {
    let good = envd(&e2b_stand_in);
    let bad = good.with_token(swarm_test::internals::backend::e2b::Secret::new(
        "not-the-token",
    ));
    let err = run(&bad, "true").unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
}
