//! The REST client: requests as E2B expects them, answers and errors as E2B sends them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fixtures::e2b::{e2b_stand_in, Fault, FaultKind, Route, StandIn};
use rstest::rstest;
use swarm_test::internals::backend::e2b::rest::{NewSandbox, Rest};
use swarm_test::internals::backend::e2b::{block, E2bError, Settings};

/// Settings that point at `stand_in` with `key`.
pub(crate) fn settings(stand_in: &StandIn, key: &str) -> Settings {
    let url = stand_in.url();
    Settings::from_lookup(|var| match var {
        "E2B_API_KEY" => Some(key.to_owned()),
        "E2B_API_URL" | "E2B_SANDBOX_URL" => Some(url.clone()),
        _ => None,
    })
    .expect("valid settings")
}

pub(crate) fn rest(stand_in: &StandIn) -> Rest {
    Rest::new(Arc::new(settings(stand_in, "e2b_test_key"))).unwrap()
}

pub(crate) fn new_sandbox(key: &str, tags: &[(&str, &str)]) -> NewSandbox {
    NewSandbox {
        template: "base".into(),
        timeout_s: 30,
        metadata: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        env_vars: BTreeMap::from([("FOO".to_owned(), "bar".to_owned())]),
        idempotency_key: key.into(),
    }
}

#[rstest]
fn create_get_delete_as_e2b_expects(e2b_stand_in: StandIn) {
    let rest = rest(&e2b_stand_in);
    let r = rest.clone();
    let (created, got, first, second) = block(async move {
        let created = r
            .create(&new_sandbox("k-1", &[("swarm-test-run", "r1")]))
            .await
            .unwrap();
        let got = r.get(&created.id).await.unwrap();
        let first = r.delete(&created.id).await.unwrap();
        let second = r.delete(&created.id).await.unwrap();
        (created, got, first, second)
    });
    assert!(
        created.envd_token.is_some(),
        "the create answer carries the envd token"
    );
    assert_eq!(created.envd_version, "0.6.13");
    assert_eq!(got.metadata["swarm-test-run"], "r1");
    assert_eq!((first, second), (true, false), "204 then 404");
    let seen = e2b_stand_in.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].uri, "/v2/sandboxes");
    assert_eq!(seen[0].idempotency_key.as_deref(), Some("k-1"));
    assert_eq!(seen[0].api_key.as_deref(), Some("e2b_test_key"));
    assert!(e2b_stand_in.sandboxes().is_empty());
}

#[rstest]
fn a_wrong_key_is_401_and_says_to_set_e2b_api_key() {
    let stand_in = StandIn::start_with_key(Some("the-right-key".into())).unwrap();
    let rest = Rest::new(Arc::new(settings(&stand_in, "a-wrong-key"))).unwrap();
    let err = block(async move { rest.create(&new_sandbox("k", &[])).await }).unwrap_err();
    assert!(matches!(err, E2bError::Unauthorized { .. }), "{err:?}");
    assert!(err.to_string().contains("set E2B_API_KEY"), "{err}");
    assert_eq!(stand_in.created(), 0);
}

#[rstest]
fn a_429_waits_for_retry_after_and_reuses_the_idempotency_key(e2b_stand_in: StandIn) {
    e2b_stand_in.inject(Fault::once(
        Route::Create,
        FaultKind::RateLimit {
            retry_after_s: Some(1),
        },
    ));
    let rest = rest(&e2b_stand_in);
    let created = block(async move { rest.create(&new_sandbox("k-429", &[])).await }).unwrap();
    let creates: Vec<_> = e2b_stand_in
        .seen()
        .into_iter()
        .filter(|s| s.uri == "/v2/sandboxes")
        .collect();
    assert_eq!(creates.len(), 2, "one 429, one retry");
    assert!(creates
        .iter()
        .all(|s| s.idempotency_key.as_deref() == Some("k-429")));
    assert_eq!(e2b_stand_in.sandboxes(), vec![created.id]);
}

#[rstest]
fn a_429_beyond_the_budget_is_an_error_that_says_what_to_lower(e2b_stand_in: StandIn) {
    e2b_stand_in.inject(Fault::times(
        Route::Create,
        FaultKind::RateLimit {
            retry_after_s: None,
        },
        100,
    ));
    let rest = rest(&e2b_stand_in).with_rate_limit_budget(Duration::from_millis(300));
    let err = block(async move { rest.create(&new_sandbox("k", &[])).await }).unwrap_err();
    let E2bError::RateLimited { attempts, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(*attempts >= 2, "it backed off and retried first: {err}");
    assert!(
        err.to_string().contains("SWARM_TEST_E2B_CREATE_RATE"),
        "{err}"
    );
    assert_eq!(e2b_stand_in.created(), 0);
}

#[rstest]
#[case::status_503(FaultKind::Status { code: 503 })]
#[case::status_504(FaultKind::Status { code: 504 })]
#[case::html_502(FaultKind::Html502)]
fn a_5xx_is_retried_a_bounded_number_of_times(e2b_stand_in: StandIn, #[case] kind: FaultKind) {
    // Two failures: the third attempt succeeds.
    e2b_stand_in.inject(Fault::times(Route::Create, kind.clone(), 2));
    let r = rest(&e2b_stand_in);
    block(async move { r.create(&new_sandbox("k-a", &[])).await }).unwrap();
    // Failing forever: 1 + RETRIES attempts, then a clear error.
    e2b_stand_in.inject(Fault::times(Route::Create, kind.clone(), 100));
    let r = rest(&e2b_stand_in);
    let err = block(async move { r.create(&new_sandbox("k-b", &[])).await }).unwrap_err();
    let E2bError::Unavailable { attempts, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        *attempts,
        1 + swarm_test::internals::backend::e2b::rest::RETRIES
    );
    if kind == FaultKind::Html502 {
        assert!(err.to_string().contains("HTML"), "{err}");
    }
    assert_eq!(e2b_stand_in.created(), 1);
}

#[rstest]
fn a_lost_create_answer_is_retried_without_a_second_sandbox(e2b_stand_in: StandIn) {
    e2b_stand_in.inject(Fault::once(Route::Create, FaultKind::LoseResponse));
    let rest = rest(&e2b_stand_in);
    let created = block(async move { rest.create(&new_sandbox("k-lost", &[])).await }).unwrap();
    assert_eq!(
        e2b_stand_in.created(),
        1,
        "the Idempotency-Key made the retry the same create"
    );
    assert_eq!(e2b_stand_in.sandboxes(), vec![created.id]);
}

#[rstest]
fn a_missing_sandbox_is_404_not_found(e2b_stand_in: StandIn) {
    let r = rest(&e2b_stand_in);
    let (get, timeout, delete) = block(async move {
        (
            r.get("inope").await,
            r.set_timeout("inope", 10).await,
            r.delete("inope").await,
        )
    });
    assert!(matches!(get, Err(E2bError::NotFound { .. })), "{get:?}");
    assert!(
        matches!(timeout, Err(E2bError::NotFound { .. })),
        "{timeout:?}"
    );
    assert!(!delete.unwrap(), "404 is false");
    // A 404 armed on an existing sandbox's get is the same error.
    let r = rest(&e2b_stand_in);
    let id = block(async move { r.create(&new_sandbox("k", &[])).await.unwrap().id });
    e2b_stand_in.inject(Fault::once(Route::Get, FaultKind::NotFound));
    let r = rest(&e2b_stand_in);
    let err = block(async move { r.get(&id).await }).unwrap_err();
    assert!(err.to_string().contains("not found (404"), "{err}");
}

#[rstest]
fn list_follows_every_page_and_filters_by_metadata_and_state(e2b_stand_in: StandIn) {
    let r = rest(&e2b_stand_in);
    let (tagged, paused) = block(async move {
        for i in 0..105 {
            r.create(&new_sandbox(
                &format!("k-{i}"),
                &[("swarm-test-run", "many")],
            ))
            .await
            .unwrap();
        }
        r.create(&new_sandbox("k-other", &[("swarm-test-run", "other")]))
            .await
            .unwrap();
        let filter = BTreeMap::from([("swarm-test-run".to_owned(), "many".to_owned())]);
        let tagged = r.list(&filter, &["running"]).await.unwrap();
        let paused = r.list(&filter, &["paused"]).await.unwrap();
        (tagged, paused)
    });
    assert_eq!(
        tagged.len(),
        105,
        "both pages (the server sends at most 100)"
    );
    assert!(tagged
        .iter()
        .all(|s| s.metadata["swarm-test-run"] == "many"));
    assert!(paused.is_empty());
    let lists: Vec<String> = e2b_stand_in
        .seen()
        .into_iter()
        .filter(|s| s.method == "GET")
        .map(|s| s.uri)
        .collect();
    assert_eq!(lists.len(), 3, "{lists:?}");
    assert!(lists[1].contains("nextToken="), "{lists:?}");
    assert!(
        lists[0].contains("metadata=swarm-test-run%3Dmany"),
        "{lists:?}"
    );
}

#[rstest]
fn set_timeout_moves_the_end_and_the_sandbox_expires_there(e2b_stand_in: StandIn) {
    let r = rest(&e2b_stand_in);
    let id = block(async move {
        let id = r.create(&new_sandbox("k", &[])).await.unwrap().id;
        r.set_timeout(&id, 1).await.unwrap();
        id
    });
    assert_eq!(e2b_stand_in.sandboxes(), vec![id.clone()]);
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        e2b_stand_in.sandboxes().is_empty()
    });
    assert!(gone, "sandbox {id} outlived its 1 s timeout by 5 s");
}
