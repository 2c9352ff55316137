//! The official E2B Python SDK (PyPI `e2b` 2.63.0) against the stand-in, unchanged, pointed at
//! it only by `E2B_API_URL` / `E2B_SANDBOX_URL`: create, info, files, commands in the
//! foreground and the background with stdin, kill by pid, list by metadata with paging, set
//! timeout, kill. The venv comes from `scripts/e2b-venv.sh` (run by `.ci/run`).

use std::path::PathBuf;
use std::process::Command;

use fixtures::e2b::{e2b_stand_in, StandIn};
use rstest::rstest;
use serde_json::Value;

/// The venv's python, or a failure that says how to create it.
fn sdk_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join("target/e2b-venv/bin/python");
    assert!(
        python.exists(),
        "the official E2B Python SDK is not installed: {} is missing. Run `scripts/e2b-venv.sh` \
         (CI's `.ci/run` does) to create the venv with e2b==2.63.0.",
        python.display()
    );
    python
}

#[rstest]
fn the_official_python_sdk_works_against_the_stand_in(e2b_stand_in: StandIn) {
    let python = sdk_python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2b_sdk/probe.py");
    let out = Command::new(python)
        .arg(script)
        .arg("run-1")
        .env("E2B_API_URL", e2b_stand_in.url())
        .env("E2B_SANDBOX_URL", e2b_stand_in.url())
        .env("E2B_API_KEY", "e2b_dummy_key_for_the_stand_in")
        .env_remove("E2B_DOMAIN")
        .output()
        .expect("python runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the SDK probe failed:\n{printed}");
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the probe prints JSON");
    let id = seen["id"].as_str().expect("a sandbox id");
    assert_eq!(seen["info_metadata"]["swarm-probe"], "run-1");
    assert_eq!(seen["running"], true);
    assert_eq!(seen["read"], "hello file\n");
    assert_eq!(seen["read_rel"], "relative bytes");
    assert_eq!(
        seen["fg"]["stdout"], "bar\nhello file\n",
        "envVars and files reach the process"
    );
    assert_eq!(seen["fg"]["stderr"], "err\n");
    assert_eq!(seen["fg"]["exit_code"], 0);
    assert_eq!(seen["exit3"], 3);
    assert_eq!(
        seen["bg_echo"], "hello stdin\n",
        "stdin reaches a background command"
    );
    assert_eq!(seen["kill_pid"], true);
    assert_eq!(seen["bg_exit"], -1);
    assert_eq!(seen["bg_error"], "signal: killed");
    assert_eq!(seen["kill_unknown_pid"], false);
    assert_eq!(
        seen["pages"],
        serde_json::json!([["1", "2"], ["0"]]),
        "paging follows X-Next-Token"
    );
    assert_eq!(seen["kill"], true);
    assert_eq!(seen["kill_again"], false);
    assert_eq!(seen["info_after_kill"], "SandboxNotFoundException");
    assert_eq!(seen["left"], 0);
    assert!(
        e2b_stand_in.sandboxes().is_empty(),
        "every sandbox was deleted"
    );
    // The killed background process is really gone from this machine.
    let pids = seen["listed_pids"].as_array().expect("pids");
    for pid in pids {
        let pid = pid.as_u64().unwrap();
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z ")),
            "process {pid} of sandbox {id} still runs"
        );
    }
    let creates = e2b_stand_in
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.uri == "/v2/sandboxes")
        .count();
    assert_eq!(creates, 3, "the SDK creates with POST /v2/sandboxes");
}
