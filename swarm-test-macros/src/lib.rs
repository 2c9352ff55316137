//! The `#[swarm_test]` attribute. Use it through the `swarm-test` crate:
//! `use swarm_test::prelude::*;`.
//!
//! This crate only checks the attribute and the function at compile time and hands both to the
//! runtime; everything a test does happens in `swarm-test`.

#![warn(missing_docs, unreachable_pub)]

mod attr;
mod entry;
mod errors;
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
/// | `agents` | integer (ring ≥ 3, others ≥ 2), or a list | required |
/// | `roles` | roster, `"momentum_trader*2, pairs_trader*2, arbitrage_trader"` (size = `agents`) | per topology |
/// | `strategy` | `"round_robin"`, `"least_loaded"`, `"specialized"`, `"consensus"`, `"adaptive"` | `"round_robin"` |
/// | `inject` | a fault spec, or a list of them: `"crash(hub) @ 2s"`, `"latency(50ms, jitter = 10ms) @ 1s for 5s"` | none |
/// | `trades` | integer | 20 |
/// | `market` | `"calm"`, `"trending"`, `"volatile"`, `"crash"`, `"file:PATH"` | `"calm"` |
/// | `seed` | integer | derived from the test's path |
/// | `timeout` | duration, `"30s"` (units `ms`, `s`, `m`) | `"60s"` |
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
/// cannot be combined with `#[rstest]`.
///
/// # What it expands to
///
/// ```ignore
/// #[test]
/// fn ring_survives_cpu_spike() {
///     fn ring_survives_cpu_spike() {}
///     ::swarm_test::__private::run(
///         ::swarm_test::__private::SpecBuilder::new("ring_survives_cpu_spike", ::core::module_path!())
///             .with("topology", "ring")
///             .with("agents", 5u64)
///             .with("inject", "cpu_spike"),
///         ::swarm_test::__private::declarative(ring_survives_cpu_spike),
///         ::swarm_test::__private::snapshot_fn!(),
///     );
/// }
/// ```
#[proc_macro_attribute]
pub fn swarm_test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::swarm_test(args.into(), item.into()).into()
}
