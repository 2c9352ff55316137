//! The API key and the envd tokens never show in Debug output or error messages.

use std::sync::Arc;

use fixtures::e2b::{e2b_stand_in, StandIn};
use rstest::rstest;
use swarm_test::internals::backend::e2b::block;
use swarm_test::internals::backend::e2b::rest::Rest;

use super::contract::{new_sandbox, settings};

/// A key planted to be looked for.
pub(crate) const PLANTED: &str = "e2b_planted_secret_7f3a9c";

#[rstest]
fn debug_and_errors_never_show_the_key_or_the_token(e2b_stand_in: StandIn) {
    let settings = settings(&e2b_stand_in, PLANTED);
    let rest = Rest::new(Arc::new(settings.clone())).unwrap();
    let r = rest.clone();
    let created = block(async move { r.create(&new_sandbox("k", &[])).await.unwrap() });
    let token = e2b_stand_in.envd_token(&created.id).expect("a token");
    let envd = rest.envd(&created);
    let mut shown = format!("{settings:?} {rest:?} {created:?} {envd:?}");
    // The errors of a refused key and of a refused token.
    let wrong = StandIn::start_with_key(Some("another".into())).unwrap();
    let bad = Rest::new(Arc::new(settings_for(&wrong))).unwrap();
    let err = block(async move { bad.create(&new_sandbox("k", &[])).await }).unwrap_err();
    shown.push_str(&format!("{err} {err:?}"));
    let bad_envd = envd.with_token(swarm_test::internals::backend::e2b::Secret::new(PLANTED));
    let err = block(async move { bad_envd.health().await.and(bad_envd.download("/x").await) });
    shown.push_str(&format!("{err:?}"));
    assert!(!shown.contains(PLANTED), "the API key leaked: {shown}");
    assert!(!shown.contains(&token), "the envd token leaked: {shown}");
    assert!(shown.contains("Secret(<redacted>)"), "{shown}");
}

fn settings_for(stand_in: &StandIn) -> swarm_test::internals::backend::e2b::Settings {
    settings(stand_in, PLANTED)
}
