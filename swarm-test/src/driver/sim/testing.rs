//! Helpers shared by the simulator's unit tests: a spec from attribute pairs, and a simulator
//! set up or run from it, so every test module builds its swarm the same way.

use swarm_test_spec::{Spec, SpecBuilder};

use super::Sim;

/// A spec from attribute `(key, value)` pairs, as the attribute would give them: a value that
/// parses as a whole number is given as a number, any other as a string.
pub(crate) fn spec(pairs: &[(&str, &str)]) -> Spec {
    let mut builder = SpecBuilder::new("t", "sim::testing");
    for (k, v) in pairs {
        builder = match v.parse::<u64>() {
            Ok(n) => builder.with(k, n),
            Err(_) => builder.with(k, *v),
        };
    }
    builder.build().expect("valid spec")
}

/// A simulator for the spec of `pairs` with `seed`, set up (its agents ready), nothing
/// dispatched yet.
pub(crate) fn started(pairs: &[(&str, &str)], seed: u64) -> Sim {
    let spec = spec(pairs);
    let mut sim = Sim::new(&spec, seed).unwrap();
    sim.setup().unwrap();
    sim
}

/// A simulator for `spec` with `seed` that ran the spec's trades until nothing was left to do.
pub(crate) fn run(spec: &Spec, seed: u64) -> Sim {
    let mut sim = Sim::new(spec, seed).unwrap();
    sim.setup().unwrap();
    sim.start_trades(spec.trades);
    sim.run_until_idle().unwrap();
    sim
}
