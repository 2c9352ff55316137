//! The reference scenarios live in `tests/scenarios/`; tests of the harness itself in
//! `tests/harness/`. This crate is written as a downstream user's crate would be.
