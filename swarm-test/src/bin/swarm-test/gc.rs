//! `swarm-test gc [--yes]`: the E2B sandboxes that earlier runs left behind, found by their
//! `swarm-test-*` metadata tags (CONTRACT §9, §11).

/// Lists the sandboxes tagged by earlier runs (deletes them too with `yes`) and returns the
/// listing to print. This build has no E2B client (it comes with the `e2b` cargo feature),
/// so it fails saying how to get one.
pub fn gc(yes: bool) -> Result<String, String> {
    let _ = yes;
    Err(
        "swarm-test was built without the `e2b` feature; rebuild with `--features e2b` \
         (e.g. `cargo run -p swarm-test --features e2b -- gc`), with E2B_API_KEY set"
            .to_owned(),
    )
}
