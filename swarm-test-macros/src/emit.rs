//! The checked [`Spec`] as Rust code: the typed value the expansion hands to the runtime.
//!
//! The macro builds the spec with `swarm_test_spec::SpecBuilder` at compile time (that is
//! the check); this module writes that value back out as an expression of the same types,
//! so the runtime gets typed data and parses nothing. Only the fields that differ from
//! [`Spec::new`]'s defaults are written:
//!
//! ```text
//! ::swarm_test::__private::Spec {
//!     inject: ::std::vec![FaultSpec { kind: FaultKind::CpuSpike { .. }, .. }],
//!     ..::swarm_test::__private::Spec::new("ring_survives", ::core::module_path!(), TopologyKind::Ring, 5usize)
//! }
//! ```
//!
//! Every struct and enum variant is destructured exhaustively, so a field added to the spec
//! types fails to compile here until it is written out.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, ToTokens};

use swarm_test_spec::{
    Analysis, DeploySpec, FaultKind, FaultSpec, MarketSpec, Partition, Roster, ScaleSpec,
    SnapshotSetting, Spec, Target,
};

/// The spec as an expression; `module_path!()` is filled in where the test is.
pub(crate) fn spec(spec: &Spec) -> TokenStream {
    let Spec {
        name,
        module_path: _,
        case,
        topology,
        agents,
        roles,
        strategy,
        inject,
        trades,
        market,
        seed,
        timeout_ms,
        snapshot,
        scale,
        deploy,
        // Written by the entry from the attribute's `agent` / `roles` tokens, not from data.
        agent_factory: _,
    } = spec;
    let defaults = Spec::new(name, &spec.module_path, *topology, *agents);
    let mut fields = TokenStream::new();
    let mut field = |differs: bool, name: &str, value: TokenStream| {
        if differs {
            let name = Ident::new(name, Span::call_site());
            fields.extend(quote!(#name: #value,));
        }
    };
    field(*case != defaults.case, "case", option(case, |c| string(c)));
    field(*roles != defaults.roles, "roles", option(roles, roster));
    field(
        *strategy != defaults.strategy,
        "strategy",
        unit_variant("Strategy", strategy),
    );
    field(*inject != defaults.inject, "inject", vec(inject, fault));
    field(*trades != defaults.trades, "trades", u64_lit(*trades));
    field(*market != defaults.market, "market", market_spec(market));
    field(
        *seed != defaults.seed,
        "seed",
        option(seed, |s| u64_lit(*s)),
    );
    field(
        *timeout_ms != defaults.timeout_ms,
        "timeout_ms",
        u64_lit(*timeout_ms),
    );
    field(
        *snapshot != defaults.snapshot,
        "snapshot",
        snapshot_setting(snapshot),
    );
    field(*scale != defaults.scale, "scale", option(scale, scale_spec));
    field(
        *deploy != defaults.deploy,
        "deploy",
        option(deploy, deploy_spec),
    );
    let name = Literal::string(name);
    let topology = unit_variant("TopologyKind", topology);
    let agents = Literal::usize_suffixed(*agents);
    quote! {
        ::swarm_test::__private::Spec {
            #fields
            ..::swarm_test::__private::Spec::new(#name, ::core::module_path!(), #topology, #agents)
        }
    }
}

/// `::swarm_test::__private::spec::NAME`: the spec crate's types, through the runtime.
fn path(name: &str) -> TokenStream {
    let name = Ident::new(name, Span::call_site());
    quote!(::swarm_test::__private::spec::#name)
}

/// A fieldless enum's variant, by its `Debug` name (`Strategy::RoundRobin`).
fn unit_variant(ty: &str, value: &impl std::fmt::Debug) -> TokenStream {
    let ty = path(ty);
    let variant = Ident::new(&format!("{value:?}"), Span::call_site());
    quote!(#ty::#variant)
}

fn string(s: &str) -> TokenStream {
    let s = Literal::string(s);
    quote!(::std::string::String::from(#s))
}

fn u64_lit(n: u64) -> TokenStream {
    Literal::u64_suffixed(n).into_token_stream()
}

fn usize_lit(n: usize) -> TokenStream {
    Literal::usize_suffixed(n).into_token_stream()
}

/// An `f64` written so that it reads back as the same value (Rust prints the shortest
/// decimal that round-trips). The spec's floats are finite: the parser rejects the rest.
fn f64_lit(x: f64) -> TokenStream {
    Literal::f64_suffixed(x).into_token_stream()
}

fn option<T>(value: &Option<T>, some: impl Fn(&T) -> TokenStream) -> TokenStream {
    match value {
        Some(value) => {
            let value = some(value);
            quote!(::core::option::Option::Some(#value))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn vec<T>(items: &[T], item: impl Fn(&T) -> TokenStream) -> TokenStream {
    let items = items.iter().map(item);
    quote!(::std::vec![#(#items),*])
}

fn roster(roster: &Roster) -> TokenStream {
    let ty = path("Roster");
    let entries = vec(&roster.0, |(role, count)| {
        let role = unit_variant("Role", role);
        let count = usize_lit(*count);
        quote!((#role, #count))
    });
    quote!(#ty(#entries))
}

fn market_spec(market: &MarketSpec) -> TokenStream {
    let ty = path("MarketSpec");
    match market {
        MarketSpec::Regime(regime) => {
            let regime = unit_variant("Regime", regime);
            quote!(#ty::Regime(#regime))
        }
        MarketSpec::File(file) => {
            let file = string(file);
            quote!(#ty::File(#file))
        }
    }
}

fn snapshot_setting(setting: &SnapshotSetting) -> TokenStream {
    let ty = path("SnapshotSetting");
    match setting {
        SnapshotSetting::Auto => quote!(#ty::Auto),
        SnapshotSetting::Off => quote!(#ty::Off),
        SnapshotSetting::Bands => quote!(#ty::Bands),
        SnapshotSetting::Named(name) => {
            let name = string(name);
            quote!(#ty::Named(#name))
        }
    }
}

fn target(target: &Target) -> TokenStream {
    let ty = path("Target");
    match target {
        Target::Hub => quote!(#ty::Hub),
        Target::Leader => quote!(#ty::Leader),
        Target::Coordinator => quote!(#ty::Coordinator),
        Target::Random => quote!(#ty::Random),
        Target::All => quote!(#ty::All),
        Target::Index(i) => {
            let i = usize_lit(*i);
            quote!(#ty::Index(#i))
        }
        Target::Role(role) => {
            let role = unit_variant("Role", role);
            quote!(#ty::Role(#role))
        }
        Target::Fraction(f) => {
            let f = f64_lit(*f);
            quote!(#ty::Fraction(#f))
        }
    }
}

fn fault(fault: &FaultSpec) -> TokenStream {
    let FaultSpec {
        kind,
        at_ms,
        for_ms,
        text,
    } = fault;
    let ty = path("FaultSpec");
    let kind = fault_kind(kind);
    let at_ms = u64_lit(*at_ms);
    let for_ms = option(for_ms, |ms| u64_lit(*ms));
    let text = string(text);
    quote!(#ty { kind: #kind, at_ms: #at_ms, for_ms: #for_ms, text: #text })
}

fn fault_kind(kind: &FaultKind) -> TokenStream {
    let ty = path("FaultKind");
    match kind {
        FaultKind::CpuSpike { load, target: t } => {
            let (load, t) = (f64_lit(*load), target(t));
            quote!(#ty::CpuSpike { load: #load, target: #t })
        }
        FaultKind::MemoryLeak {
            rate_mb_per_s,
            target: t,
        } => {
            let (rate, t) = (f64_lit(*rate_mb_per_s), target(t));
            quote!(#ty::MemoryLeak { rate_mb_per_s: #rate, target: #t })
        }
        FaultKind::Latency {
            delay_ms,
            jitter_ms,
        } => {
            let (delay, jitter) = (u64_lit(*delay_ms), u64_lit(*jitter_ms));
            quote!(#ty::Latency { delay_ms: #delay, jitter_ms: #jitter })
        }
        FaultKind::PacketLoss { rate } => {
            let rate = f64_lit(*rate);
            quote!(#ty::PacketLoss { rate: #rate })
        }
        FaultKind::NetworkIssue {
            delay_ms,
            jitter_ms,
            loss,
        } => {
            let (delay, jitter, loss) = (u64_lit(*delay_ms), u64_lit(*jitter_ms), f64_lit(*loss));
            quote!(#ty::NetworkIssue { delay_ms: #delay, jitter_ms: #jitter, loss: #loss })
        }
        FaultKind::Partition { cut } => {
            let partition = path("Partition");
            let cut = match cut {
                Partition::Halves => quote!(#partition::Halves),
                Partition::Isolate(t) => {
                    let t = target(t);
                    quote!(#partition::Isolate(#t))
                }
            };
            quote!(#ty::Partition { cut: #cut })
        }
        FaultKind::Crash {
            target: t,
            restart_after_ms,
        } => {
            let t = target(t);
            let restart = option(restart_after_ms, |ms| u64_lit(*ms));
            quote!(#ty::Crash { target: #t, restart_after_ms: #restart })
        }
        FaultKind::Hang { target: t } => {
            let t = target(t);
            quote!(#ty::Hang { target: #t })
        }
        FaultKind::ErrorRate { rate, target: t } => {
            let (rate, t) = (f64_lit(*rate), target(t));
            quote!(#ty::ErrorRate { rate: #rate, target: #t })
        }
        FaultKind::Volatility { level } => {
            let level = f64_lit(*level);
            quote!(#ty::Volatility { level: #level })
        }
    }
}

fn scale_spec(scale: &ScaleSpec) -> TokenStream {
    let ScaleSpec {
        min_agents,
        max_agents,
        target_cpu,
        target_memory,
        tolerance,
        interval_ms,
        scale_down_window_ms,
        cooldown_ms,
        scale_up_percent,
        scale_up_agents,
        scale_up_period_ms,
    } = scale;
    let ty = path("ScaleSpec");
    let (min_agents, max_agents) = (usize_lit(*min_agents), usize_lit(*max_agents));
    let (target_cpu, tolerance) = (f64_lit(*target_cpu), f64_lit(*tolerance));
    let target_memory = option(target_memory, |x| f64_lit(*x));
    let (interval_ms, scale_down_window_ms, cooldown_ms) = (
        u64_lit(*interval_ms),
        u64_lit(*scale_down_window_ms),
        u64_lit(*cooldown_ms),
    );
    let (scale_up_percent, scale_up_agents, scale_up_period_ms) = (
        u64_lit(*scale_up_percent),
        u64_lit(*scale_up_agents),
        u64_lit(*scale_up_period_ms),
    );
    quote! {
        #ty {
            min_agents: #min_agents,
            max_agents: #max_agents,
            target_cpu: #target_cpu,
            target_memory: #target_memory,
            tolerance: #tolerance,
            interval_ms: #interval_ms,
            scale_down_window_ms: #scale_down_window_ms,
            cooldown_ms: #cooldown_ms,
            scale_up_percent: #scale_up_percent,
            scale_up_agents: #scale_up_agents,
            scale_up_period_ms: #scale_up_period_ms,
        }
    }
}

fn deploy_spec(deploy: &DeploySpec) -> TokenStream {
    let DeploySpec {
        kind,
        weights,
        canary_steps,
        step_requests,
        max_error_rate,
        min_requests,
        max_p99_ms,
        success_ratio,
        analysis,
        canary_agents,
        rollout_agents,
        scale_down_delay_ms,
        new_version_fault,
    } = deploy;
    let ty = path("DeploySpec");
    let kind = unit_variant("DeployKind", kind);
    let weights = vec(weights, |[blue, green]| {
        let (blue, green) = (u64_lit(*blue), u64_lit(*green));
        quote!([#blue, #green])
    });
    let canary_steps = vec(canary_steps, |step| u64_lit(*step));
    let (step_requests, min_requests) = (u64_lit(*step_requests), u64_lit(*min_requests));
    let (max_error_rate, success_ratio) = (f64_lit(*max_error_rate), f64_lit(*success_ratio));
    let max_p99_ms = option(max_p99_ms, |ms| u64_lit(*ms));
    let analysis = {
        let ty = path("Analysis");
        match analysis {
            Analysis::Argo {
                failure_limit,
                consecutive_error_limit,
            } => {
                let (failures, errors) =
                    (u64_lit(*failure_limit), u64_lit(*consecutive_error_limit));
                quote!(#ty::Argo { failure_limit: #failures, consecutive_error_limit: #errors })
            }
            Analysis::Flagger { threshold } => {
                let threshold = u64_lit(*threshold);
                quote!(#ty::Flagger { threshold: #threshold })
            }
        }
    };
    let (canary_agents, rollout_agents) = (usize_lit(*canary_agents), usize_lit(*rollout_agents));
    let scale_down_delay_ms = u64_lit(*scale_down_delay_ms);
    let new_version_fault = option(new_version_fault, fault);
    quote! {
        #ty {
            kind: #kind,
            weights: #weights,
            canary_steps: #canary_steps,
            step_requests: #step_requests,
            max_error_rate: #max_error_rate,
            min_requests: #min_requests,
            max_p99_ms: #max_p99_ms,
            success_ratio: #success_ratio,
            analysis: #analysis,
            canary_agents: #canary_agents,
            rollout_agents: #rollout_agents,
            scale_down_delay_ms: #scale_down_delay_ms,
            new_version_fault: #new_version_fault,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_test_spec::SpecBuilder;

    fn emitted(builder: SpecBuilder) -> String {
        let out = spec(&builder.build().unwrap());
        syn::parse2::<syn::Expr>(out.clone()).expect("an expression");
        out.to_string()
    }

    #[test]
    fn defaults_are_left_to_spec_new() {
        let out = emitted(
            SpecBuilder::new("ring_runs", "")
                .with("topology", "ring")
                .with("agents", 5u64),
        );
        assert_eq!(
            out,
            quote!(::swarm_test::__private::Spec {
                ..::swarm_test::__private::Spec::new(
                    "ring_runs",
                    ::core::module_path!(),
                    ::swarm_test::__private::spec::TopologyKind::Ring,
                    5usize
                )
            })
            .to_string()
        );
    }

    #[test]
    fn written_keys_become_fields() {
        let out = emitted(
            SpecBuilder::new("t", "")
                .with("topology", "star")
                .with("agents", 7u64)
                .with("strategy", "least_loaded")
                .with("inject", "crash(hub, restart = 5s) @ 2s for 1s")
                .with("seed", 42u64),
        );
        for part in [
            "strategy : :: swarm_test :: __private :: spec :: Strategy :: LeastLoaded ,",
            "restart_after_ms : :: core :: option :: Option :: Some (5000u64)",
            "at_ms : 2000u64 , for_ms : :: core :: option :: Option :: Some (1000u64)",
            "seed : :: core :: option :: Option :: Some (42u64) ,",
        ] {
            assert!(out.contains(part), "{part} in {out}");
        }
        assert!(!out.contains("trades"), "a default is not written: {out}");
    }

    #[test]
    fn floats_read_back_exactly() {
        for x in [0.1, 0.9, 0.85, 1.0 / 3.0, 1e-7, 0.0, 1.0, 10_000.0] {
            let text = f64_lit(x).to_string();
            let parsed: f64 = text.trim_end_matches("f64").parse().unwrap();
            assert_eq!(parsed.to_bits(), x.to_bits(), "{text}");
        }
    }
}
