//! Compile-time checks of `#[swarm_test]`: `ui/fail/*.rs` must fail with the committed
//! `.stderr`, `ui/pass/*.rs` must compile.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p swarm-test-macros --test ui`,
//! then read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

// The pass cases again, compiled in test mode: trybuild builds them as binaries, where
// `#[test]` functions are left out, so only here is the generated code type-checked against
// `swarm_test::__private`, and run.
#[path = "ui/pass/attributes.rs"]
mod pass_attributes;
#[path = "ui/pass/forms.rs"]
mod pass_forms;
#[path = "ui/pass/lists.rs"]
mod pass_lists;
