//! `swarm-test gc [--yes]`: the E2B sandboxes that earlier runs left behind, found by their
//! `swarm-test-*` metadata tags (CONTRACT §9, §11).

/// Why `gc` could not list or delete the sandboxes.
#[derive(Debug, thiserror::Error)]
pub enum GcError {
    /// The E2B API refused or failed (no key, a bad key, …).
    #[cfg(feature = "e2b")]
    #[error(transparent)]
    E2b(#[from] swarm_test::internals::backend::e2b::E2bError),
    /// This build has no E2B client.
    #[cfg(not(feature = "e2b"))]
    #[error(
        "swarm-test was built without the `e2b` feature; rebuild with `--features e2b` \
         (e.g. `cargo run -p swarm-test --features e2b -- gc`), with E2B_API_KEY set"
    )]
    NoE2b,
}

/// Lists the sandboxes tagged by earlier runs (deletes them too with `yes`) and returns the
/// listing to print.
#[cfg(feature = "e2b")]
pub fn gc(yes: bool) -> Result<String, GcError> {
    Ok(swarm_test::internals::backend::e2b::gc(yes)?.to_string())
}

/// Without the `e2b` cargo feature there is no E2B client, so this fails saying how to get one.
#[cfg(not(feature = "e2b"))]
pub fn gc(yes: bool) -> Result<String, GcError> {
    let _ = yes;
    Err(GcError::NoE2b)
}
