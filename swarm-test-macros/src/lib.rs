//! The `#[swarm_test]` attribute. Use it through the `swarm-test` crate:
//! `use swarm_test::prelude::*;`.
//!
//! This crate only checks the attribute and the function at compile time and hands both to the
//! runtime; everything a test does happens in `swarm-test`.

#![warn(missing_docs, unreachable_pub)]

mod agents;
mod attr;
mod emit;
mod entry;
mod errors;
mod program;
mod sig;

use proc_macro::TokenStream;

/// Turns a function into a swarm test.
///
/// ```ignore
/// use swarm_test::prelude::*;
///
/// // Declarative: the harness runs the scenario, checks the invariants and snapshots the summary.
/// #[swarm_test(topology = "ring", agents = 5, inject = "cpu_spike")]
/// fn ring_survives_cpu_spike() {}
///
/// // Outcome assertions on the finished run's report (sync or async).
/// #[swarm_test(topology = "star", agents = 7, trades = 24, inject = "crash(hub) @ 2s")]
/// fn star_hub_failover(report: &Report) {
///     assert_eq!(report.tasks.lost, 0);
/// }
///
/// // Imperative: drive the swarm yourself.
/// #[swarm_test(topology = "mesh", agents = 3, strategy = "consensus")]
/// async fn consensus(swarm: &mut Swarm) -> Result<(), SwarmError> {
///     swarm.run_trades(10).await?;
///     Ok(())
/// }
/// ```
///
/// # Keys
///
/// | key | value | default |
/// |---|---|---|
/// | `topology` | `"mesh"`, `"hierarchical"`, `"ring"`, `"star"`, or a list of them | required |
/// | `agents` | integer (ring ≥ 3, others ≥ 2; mesh ≤ 2,000, others ≤ 100,000), or a list | required |
/// | `roles` | roster, `"momentum_trader*2, pairs_trader*2, arbitrage_trader"`, or a list mixing your own agent types with role names, `[Breakout * 2, "risk_manager"]` (size = `agents`) | per topology |
/// | `agent` | your own agent for every agent: a type implementing `Agent` and `Default` (`Breakout`), or an expression evaluated once per agent (`Breakout::new(20)`); not with `roles` | the built-in roles |
/// | `strategy` | `"round_robin"`, `"least_loaded"`, `"specialized"`, `"consensus"`, `"adaptive"` | `"round_robin"` |
/// | `inject` | a fault spec, or a list of them: `"crash(hub) @ 2s"`, `"latency(50ms, jitter = 10ms) @ 1s for 5s"` | none |
/// | `trades` | integer | 20 |
/// | `market` | `"calm"`, `"trending"`, `"volatile"`, `"crash"`, `"file:PATH"` | `"calm"` |
/// | `seed` | integer | derived from the test's path (and its case: a list value or an rstest case) |
/// | `timeout` | duration, `"30s"` (units `ms`, `s`, `m`; at most a week, `"10080m"`) | `"60s"` |
/// | `snapshot` | `true`, `false` or a snapshot name | `true` |
///
/// The fault-spec grammar, targets and defaults are documented in `swarm_test_spec`
/// (re-exported as `swarm_test::FaultSpec::parse`). Every key and value is checked at compile
/// time with the runtime's own parser; a mistake is a compile error on the offending token that
/// names the valid choices (and suggests the closest one).
///
/// # Function forms
///
/// - `fn name()`: declarative (also `async fn name()`);
/// - `fn name(report: &Report)` or `async fn name(report: &Report)`: runs after the scenario;
/// - `async fn name(swarm: &mut Swarm)`: imperative.
///
/// Any form may return `Result<(), E>` with `E: Debug`. `#[ignore]`, `#[should_panic]`, doc
/// comments and `#[cfg]` go on the generated test; other attributes stay on your function.
/// Do not add `#[test]`: the macro generates it.
///
/// # Lists
///
/// `topology = ["ring", "star"]` and/or `agents = [3, 5]` generate one test per combination in
/// a module named after the function. Case names: `ring_3` when both are lists, `ring` when only
/// `topology` is, `agents_3` when only `agents` is; so `cargo test sizes::ring_3` runs one case.
/// Each case snapshots under its own suffix.
///
/// # rstest
///
/// Put `#[rstest]` *below* `#[swarm_test(…)]`. The macro then leaves `#[test]` to rstest, keeps
/// `#[case]`/`#[values]` and fixture parameters for rstest to supply, and passes them on to
/// your function (cloned, since the body may run once per seed: they must be `Clone`). Lists
/// cannot be combined with `#[rstest]`. Each case gets its own snapshot (`name@case_1_calm`)
/// and its own seed, derived from the test's path and the case; the case is read at run time
/// from the test thread's name, which libtest and nextest set to the case's path
/// (`module::name::case_1_calm`).
///
/// # What it expands to
///
/// The attribute is checked at compile time with the runtime's own parser; the expansion then
/// hands the runtime the checked spec as typed Rust values (only the keys that differ from
/// their defaults) and the test's site as plain data, in one call of a non-generic function,
/// so nothing is parsed at run time and a test costs little to compile:
///
/// ```ignore
/// #[test]
/// fn ring_survives_cpu_spike() {
///     fn ring_survives_cpu_spike() {}
///     ::swarm_test::__private::run(
///         ::swarm_test::__private::Spec {
///             inject: ::std::vec![::swarm_test::__private::spec::FaultSpec {
///                 kind: ::swarm_test::__private::spec::FaultKind::CpuSpike {
///                     load: 0.9f64,
///                     target: ::swarm_test::__private::spec::Target::Random,
///                 },
///                 at_ms: 0u64,
///                 for_ms: ::core::option::Option::None,
///                 text: ::std::string::String::from("cpu_spike(0.9, target = random)"),
///             }],
///             ..::swarm_test::__private::Spec::new(
///                 "ring_survives_cpu_spike",
///                 ::core::module_path!(),
///                 ::swarm_test::__private::spec::TopologyKind::Ring,
///                 5usize,
///             )
///         },
///         ::swarm_test::__private::declarative(ring_survives_cpu_spike),
///         ::swarm_test::__private::Site {
///             package: ::core::env!("CARGO_PKG_NAME"),
///             manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
///             file: ::core::file!(),
///             line: ::core::line!(),
///             workspace_root: ::core::option_env!("INSTA_WORKSPACE_ROOT"),
///             rstest: false,
///         },
///     );
/// }
/// ```
///
/// `scripts/compile-cost.sh` measures what one more test costs to compile against one more
/// `#[tokio::test]`.
#[proc_macro_attribute]
pub fn swarm_test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::swarm_test(args.into(), item.into()).into()
}

/// The spec that `#[swarm_test(ARGS)]` hands to the runtime, as an expression of type
/// `swarm_test::Spec` (named `checked_spec`): lets the runtime's tests compare the typed
/// expansion with what `SpecBuilder` makes of the same keys. Not an API; use it through
/// `swarm_test::__private::checked_spec!`.
#[doc(hidden)]
#[proc_macro]
pub fn __checked_spec(args: TokenStream) -> TokenStream {
    entry::checked_spec(args.into()).into()
}
