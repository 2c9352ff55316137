//! `#[swarm_test(...)]`: parse, validate, expand.
//!
//! Validation collects every error it can find (unknown or duplicate keys, bad values, keys that
//! do not fit together, a function the macro cannot call) and puts each on the offending token.
//! On any error the output is the user's function, unchanged apart from its test attributes and
//! marked `#[allow(dead_code, unused_variables)]`, followed by the `compile_error!`s, so editors
//! keep working and no second error or warning appears. The macro never panics.
//!
//! Without lists the output is one `#[test]` with the user's name, containing the user's
//! function verbatim (same name, so insta's name detection inside the body sees it) and one
//! call into `::swarm_test::__private::run`, with the checked spec as typed Rust values
//! (`emit.rs`) and the test's site as plain data: no text for the runtime to parse, nothing
//! generic of the harness to instantiate. With `topology`/`agents` lists, it is a module with
//! the user's name holding the function once and one `#[test]` per case.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{parse_quote, Attribute, FnArg, Ident, ItemFn, ReturnType};

use swarm_test_spec::Spec;

use crate::agents;
use crate::attr::{self, Case};
use crate::emit;
use crate::errors::Errors;
use crate::sig::{self, Checked, Form, Param};

/// The attribute macro, at the `proc_macro2` level (unit-testable).
pub(crate) fn swarm_test(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "#[swarm_test] goes on a test function, like `fn ring_survives() {}`",
            );
            let mut out = item;
            out.extend(error.to_compile_error());
            return out;
        }
    };
    let test = item_fn.sig.ident.to_string();
    let mut errors = Errors::default();
    let (args, users) = agents::take(args, &mut errors);
    let entries = attr::parse(args, &mut errors);
    attr::check_keys(&test, &entries, &mut errors);
    let checked = sig::check(&item_fn, &mut errors);
    let cases = attr::cases(&entries);
    let mut specs = Vec::new();
    if errors.is_empty() {
        for case in &cases {
            specs.extend(case.check(&test, &entries, &mut errors));
        }
    }
    if checked.as_ref().is_some_and(|c| c.rstest) && cases.iter().any(|c| c.suffix.is_some()) {
        errors.push(
            Span::call_site(),
            "`topology`/`agents` lists cannot be combined with #[rstest]; give one value each, or \
             write one test per value",
        );
    }
    match checked {
        Some(checked) if errors.is_empty() && specs.len() == cases.len() => {
            expand(item_fn, &checked, &cases, &specs, users.as_ref())
        }
        _ => fallback(item_fn, &errors),
    }
}

/// `__checked_spec!(ARGS)`: the spec expression `#[swarm_test(ARGS)]` would emit for a test
/// named `checked_spec`, or the errors it would report. One case only (no lists).
pub(crate) fn checked_spec(args: TokenStream) -> TokenStream {
    let test = "checked_spec";
    let mut errors = Errors::default();
    let (args, _users) = agents::take(args, &mut errors);
    let entries = attr::parse(args, &mut errors);
    attr::check_keys(test, &entries, &mut errors);
    let cases = attr::cases(&entries);
    let spec = match cases.as_slice() {
        _ if !errors.is_empty() => None,
        [case] if case.suffix.is_none() => case.check(test, &entries, &mut errors),
        _ => {
            errors.push(Span::call_site(), "checked_spec! takes one case: no lists");
            None
        }
    };
    match spec {
        Some(spec) if errors.is_empty() => emit::spec(&spec),
        _ => errors.to_compile_errors(),
    }
}

/// The user's function as a plain function (no test attributes, no warnings about it being
/// unused), plus the errors.
fn fallback(mut item: ItemFn, errors: &Errors) -> TokenStream {
    let rstest = item.attrs.iter().any(sig::is_rstest_attr);
    item.attrs.retain(|a| {
        !(sig::is_test_attr(a)
            || sig::is_rstest_attr(a)
            || a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "swarm_test")
            || a.path().is_ident("ignore")
            || a.path().is_ident("should_panic")
            || (rstest && is_rstest_fn_attr(a)))
    });
    item.attrs
        .push(parse_quote!(#[allow(dead_code, unused_variables)]));
    strip_param_attrs(&mut item);
    let errors = errors.to_compile_errors();
    quote!(#item #errors)
}

/// rstest's attributes on the function itself (`#[case(..)]`, `#[case::name(..)]`, …).
fn is_rstest_fn_attr(attr: &Attribute) -> bool {
    let first = attr.path().segments.first().map(|s| s.ident.to_string());
    matches!(
        first.as_deref(),
        Some("case" | "timeout" | "awt" | "trace" | "notrace")
    )
}

/// Removes attributes from the parameters (`#[case]`, `#[values(..)]`): they are rstest's.
fn strip_param_attrs(item: &mut ItemFn) {
    for input in &mut item.sig.inputs {
        if let FnArg::Typed(pat_type) = input {
            pat_type.attrs.clear();
        }
    }
}

fn expand(
    item: ItemFn,
    checked: &Checked,
    cases: &[Case],
    specs: &[Spec],
    users: Option<&agents::UserAgents>,
) -> TokenStream {
    let name = item.sig.ident.clone();
    let vis = item.vis.clone();
    // Attributes for the generated test(s); the rest stay on the user's function.
    let (test_attrs, fn_attrs): (Vec<Attribute>, Vec<Attribute>) = if checked.rstest {
        (item.attrs.clone(), Vec::new())
    } else {
        item.attrs
            .iter()
            .cloned()
            .partition(sig::is_test_level_attr)
    };
    let outer_params = rstest_params(&item, checked);
    let mut inner = item;
    inner.attrs = fn_attrs;
    strip_param_attrs(&mut inner);
    let body = body(&inner, checked);
    let site = site(checked.rstest);
    let run = |spec: &Spec| {
        let spec = emit::spec(spec);
        match users {
            None => quote! {
                ::swarm_test::__private::run(#spec, #body, #site);
            },
            Some(users) => {
                let factory = users.factory();
                quote! {
                    #factory
                    ::swarm_test::__private::run(
                        ::swarm_test::__private::with_agents(#spec, __swarm_test_agent),
                        #body,
                        #site,
                    );
                }
            }
        }
    };
    match cases {
        [case] if case.suffix.is_none() => {
            let run = run(&specs[0]);
            let test = if checked.rstest {
                None
            } else {
                Some(quote!(#[test]))
            };
            quote! {
                #(#test_attrs)*
                #test
                #vis fn #name(#(#outer_params),*) {
                    #inner
                    #run
                }
            }
        }
        _ => {
            let (mod_attrs, case_attrs): (Vec<Attribute>, Vec<Attribute>) =
                test_attrs.into_iter().partition(|a| {
                    ["doc", "cfg", "cfg_attr"]
                        .iter()
                        .any(|n| a.path().is_ident(n))
                });
            let tests = cases.iter().zip(specs).map(|(case, spec)| {
                let suffix = case.suffix.as_deref().unwrap_or("case");
                let case_name = Ident::new(suffix, name.span());
                let run = run(spec);
                quote! {
                    #(#case_attrs)*
                    #[test]
                    fn #case_name() {
                        #run
                    }
                }
            });
            quote! {
                #(#mod_attrs)*
                #vis mod #name {
                    #[allow(unused_imports)]
                    use super::*;

                    #inner

                    #(#tests)*
                }
            }
        }
    }
}

/// Where the test lives, evaluated in the test's crate: `::swarm_test::__private::Site`.
fn site(rstest: bool) -> TokenStream {
    quote! {
        ::swarm_test::__private::Site {
            package: ::core::env!("CARGO_PKG_NAME"),
            manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
            file: ::core::file!(),
            line: ::core::line!(),
            workspace_root: ::core::option_env!("INSTA_WORKSPACE_ROOT"),
            rstest: #rstest,
        }
    }
}

/// The parameters rstest supplies, with their attributes, for the generated test's signature.
fn rstest_params(item: &ItemFn, checked: &Checked) -> Vec<TokenStream> {
    if !checked.rstest {
        return Vec::new();
    }
    item.sig
        .inputs
        .iter()
        .zip(&checked.params)
        .filter_map(|(input, param)| match (input, param) {
            (FnArg::Typed(pat_type), Param::Rstest(ident)) => {
                let attrs = &pat_type.attrs;
                let ty = &pat_type.ty;
                Some(quote!(#(#attrs)* #ident: #ty))
            }
            _ => None,
        })
        .collect()
}

/// The `Body` argument: which `__private` constructor, and how the user's function is called.
fn body(item: &ItemFn, checked: &Checked) -> TokenStream {
    let name = &item.sig.ident;
    // Type errors about the return type (`R: TestResult`) point at the return type.
    let span = match &item.sig.output {
        ReturnType::Default => name.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let ours = Ident::new("__swarm_test_arg", Span::mixed_site());
    let rstest: Vec<&Ident> = checked
        .params
        .iter()
        .filter_map(|p| match p {
            Param::Rstest(ident) => Some(ident),
            Param::Ours => None,
        })
        .collect();
    let args: Vec<TokenStream> = checked
        .params
        .iter()
        .map(|p| match p {
            Param::Ours => ours.to_token_stream(),
            Param::Rstest(ident) => ident.to_token_stream(),
        })
        .collect();
    let private = quote_spanned!(span=> ::swarm_test::__private);
    match checked.form {
        Form::Declarative if rstest.is_empty() => {
            quote_spanned!(span=> #private::declarative(#name))
        }
        Form::Report if rstest.is_empty() => quote_spanned!(span=> #private::with_report(#name)),
        Form::Declarative => quote_spanned! {span=>
            #private::declarative(move || {
                #(let #rstest = ::core::clone::Clone::clone(&#rstest);)*
                #name(#(#args),*)
            })
        },
        Form::Report => quote_spanned! {span=>
            #private::with_report(move |#ours| {
                #(let #rstest = ::core::clone::Clone::clone(&#rstest);)*
                #name(#(#args),*)
            })
        },
        Form::AsyncDeclarative | Form::ReportAsync | Form::Swarm => {
            let constructor = match checked.form {
                Form::Swarm => quote_spanned!(span=> with_swarm),
                _ => quote_spanned!(span=> with_report_async),
            };
            let param = if checked.form == Form::AsyncDeclarative {
                quote!(_)
            } else {
                ours.to_token_stream()
            };
            quote_spanned! {span=>
                #private::#constructor(move |#param| {
                    #(let #rstest = ::core::clone::Clone::clone(&#rstest);)*
                    ::std::boxed::Box::pin(async move {
                        #private::outcome(#name(#(#args),*).await)
                    })
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: TokenStream, item: TokenStream) -> String {
        let out = swarm_test(args, item);
        syn::parse2::<syn::File>(out.clone()).expect("the output is valid Rust");
        out.to_string()
    }

    /// The messages of the `compile_error!`s in the output.
    fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
        let out = swarm_test(args, item);
        let file: syn::File = syn::parse2(out).expect("the output is valid Rust");
        file.items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Macro(m)
                    if m.mac
                        .path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "compile_error") =>
                {
                    let lit: syn::LitStr = m.mac.parse_body().expect("a string");
                    Some(lit.value())
                }
                _ => None,
            })
            .collect()
    }

    fn same(actual: String, expected: TokenStream) {
        assert_eq!(actual, expected.to_string());
    }

    #[test]
    fn declarative() {
        same(
            expand_str(
                quote!(topology = "ring", agents = 5, inject = "cpu_spike @ 2s"),
                quote!(
                    /// Docs.
                    #[ignore]
                    #[allow(clippy::all)]
                    fn ring_survives() {}
                ),
            ),
            quote! {
                #[doc = r" Docs."]
                #[ignore]
                #[test]
                fn ring_survives() {
                    #[allow(clippy::all)]
                    fn ring_survives() {}
                    ::swarm_test::__private::run(
                        ::swarm_test::__private::Spec {
                            inject: ::std::vec![::swarm_test::__private::spec::FaultSpec {
                                kind: ::swarm_test::__private::spec::FaultKind::CpuSpike {
                                    load: 0.9f64,
                                    target: ::swarm_test::__private::spec::Target::Random
                                },
                                at_ms: 2000u64,
                                for_ms: ::core::option::Option::None,
                                text: ::std::string::String::from("cpu_spike(0.9, target = random) @ 2s")
                            }],
                            ..::swarm_test::__private::Spec::new(
                                "ring_survives",
                                ::core::module_path!(),
                                ::swarm_test::__private::spec::TopologyKind::Ring,
                                5usize
                            )
                        },
                        ::swarm_test::__private::declarative(ring_survives),
                        ::swarm_test::__private::Site {
                            package: ::core::env!("CARGO_PKG_NAME"),
                            manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                            file: ::core::file!(),
                            line: ::core::line!(),
                            workspace_root: ::core::option_env!("INSTA_WORKSPACE_ROOT"),
                            rstest: false,
                        }
                    );
                }
            },
        );
    }

    #[test]
    fn report_forms() {
        let out = expand_str(
            quote!(topology = "star", agents = 7),
            quote!(
                fn hub(report: &Report) -> Result<(), String> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains(
            &quote!(
                fn hub(report: &Report) -> Result<(), String> {
                    Ok(())
                }
            )
            .to_string()
        ));
        assert!(
            out.contains(&quote!(::swarm_test::__private::with_report(hub)).to_string()),
            "{out}"
        );

        let out = expand_str(
            quote!(topology = "star", agents = 7),
            quote!(
                async fn hub(report: &Report) {}
            ),
        );
        assert!(
            out.contains("with_report_async (move | __swarm_test_arg |"),
            "{out}"
        );
        assert!(
            out.contains("outcome (hub (__swarm_test_arg) . await)"),
            "{out}"
        );
    }

    #[test]
    fn imperative_and_async_declarative() {
        let out = expand_str(
            quote!(topology = "mesh", agents = 3, strategy = "consensus"),
            quote!(
                async fn vote(swarm: &mut Swarm) -> Result<(), SwarmError> {
                    Ok(())
                }
            ),
        );
        assert!(
            out.contains("with_swarm (move | __swarm_test_arg |"),
            "{out}"
        );
        assert!(
            out.contains(":: std :: boxed :: Box :: pin (async move"),
            "{out}"
        );
        assert!(out.contains("async fn vote (swarm : & mut Swarm)"), "{out}");

        let out = expand_str(
            quote!(topology = "mesh", agents = 3),
            quote!(
                async fn later() {}
            ),
        );
        assert!(out.contains("with_report_async (move | _ |"), "{out}");
        assert!(out.contains("outcome (later () . await)"), "{out}");
    }

    #[test]
    fn lists_make_a_module_of_cases() {
        let out = expand_str(
            quote!(topology = ["ring", "star"], agents = [3, 5]),
            quote!(
                /// Docs.
                #[should_panic]
                fn sizes() {}
            ),
        );
        let file: syn::File = syn::parse_str(&out).unwrap();
        let syn::Item::Mod(module) = &file.items[0] else {
            panic!("{out}")
        };
        assert_eq!(module.ident, "sizes");
        assert!(module.attrs.iter().any(|a| a.path().is_ident("doc")));
        let items = &module.content.as_ref().unwrap().1;
        let fns: Vec<String> = items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Fn(f) => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(fns, ["sizes", "ring_3", "ring_5", "star_3", "star_5"]);
        assert!(
            out.contains(
                "case : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"star_5\")) , \
                 .. :: swarm_test :: __private :: Spec :: new (\"sizes\" , :: core :: module_path ! () , \
                 :: swarm_test :: __private :: spec :: TopologyKind :: Star , 5usize)"
            ),
            "{out}"
        );
        assert_eq!(out.matches("# [should_panic] # [test]").count(), 4, "{out}");

        let out = expand_str(
            quote!(topology = "ring", agents = [3, 4]),
            quote!(
                fn sizes() {}
            ),
        );
        assert!(
            out.contains("fn agents_3 ()") && out.contains("String :: from (\"agents_4\")"),
            "{out}"
        );
    }

    #[test]
    fn rstest_keeps_its_attributes_and_parameters() {
        let out = expand_str(
            quote!(topology = "ring", agents = 3),
            quote!(
                #[rstest]
                #[case(1)]
                #[case::two(2)]
                fn cases(#[case] n: u32, report: &Report, #[values("a", "b")] mut s: String) {}
            ),
        );
        same(
            out,
            quote! {
                #[rstest]
                #[case(1)]
                #[case::two(2)]
                fn cases(#[case] n: u32, #[values("a", "b")] s: String) {
                    fn cases(n: u32, report: &Report, mut s: String) {}
                    ::swarm_test::__private::run(
                        ::swarm_test::__private::Spec {
                            ..::swarm_test::__private::Spec::new(
                                "cases",
                                ::core::module_path!(),
                                ::swarm_test::__private::spec::TopologyKind::Ring,
                                3usize
                            )
                        },
                        ::swarm_test::__private::with_report(move |__swarm_test_arg| {
                            let n = ::core::clone::Clone::clone(&n);
                            let s = ::core::clone::Clone::clone(&s);
                            cases(n, __swarm_test_arg, s)
                        }),
                        ::swarm_test::__private::Site {
                            package: ::core::env!("CARGO_PKG_NAME"),
                            manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                            file: ::core::file!(),
                            line: ::core::line!(),
                            workspace_root: ::core::option_env!("INSTA_WORKSPACE_ROOT"),
                            rstest: true,
                        }
                    );
                }
            },
        );
    }

    #[test]
    fn every_error_is_collected() {
        let errs = errors(
            quote!(
                topolgy = "ring",
                agents = "five",
                strategy = "fastest",
                inject = "cpu_spik"
            ),
            quote!(
                fn t(x: u32) {}
            ),
        );
        assert_eq!(errs.len(), 5, "{errs:#?}");
        assert!(errs[0].starts_with("unknown key `topolgy`; did you mean `topology`?"));
        assert!(errs[1].starts_with("`agents` expects an integer"));
        assert!(errs[2].starts_with("unknown strategy `fastest`"));
        assert!(errs[3].starts_with("unknown fault `cpu_spik`; did you mean `cpu_spike`?"));
        assert!(errs[4].starts_with("the swarm_test macro cannot supply parameter `x`"));
    }

    #[test]
    fn cross_key_errors_after_key_errors() {
        assert_eq!(
            errors(quote!(agents = 3), quote!(fn t() {})),
            ["missing `topology`: add `topology = \"ring\"` (one of `mesh`, `hierarchical`, `ring`, `star`)"]
        );
        let errs = errors(
            quote!(topology = ["ring", "star"], agents = [2, 3]),
            quote!(
                fn t() {}
            ),
        );
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].starts_with("a ring topology needs at least 3 agents, found `agents = 2`"));
        let errs = errors(
            quote!(topology = "ring", agents = 3, roles = "risk_manager*2"),
            quote!(
                fn t() {}
            ),
        );
        assert_eq!(
            errs,
            ["`roles` lists 2 agents but `agents = 3`; make the counts add up to 3"]
        );
        let errs = errors(
            quote!(
                topology = "ring",
                agents = 3,
                inject = ["latency", "crash(7)"]
            ),
            quote!(
                fn t() {}
            ),
        );
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].starts_with("`crash(7)`: agent index 7 is out of range"));
    }

    #[test]
    fn duplicates_and_lists() {
        let errs = errors(
            quote!(topology = "ring", agents = 3, agents = 4),
            quote!(
                fn t() {}
            ),
        );
        assert_eq!(
            errs,
            ["duplicate key `agents`; to test several sizes give a list: `agents = [3, 5]`"]
        );
        let errs = errors(
            quote!(topology = "ring", agents = 3, inject = "a", inject = "b"),
            quote!(
                fn t() {}
            ),
        );
        assert!(
            errs.iter().any(|e| e.starts_with("duplicate key `inject`")),
            "{errs:#?}"
        );
        let errs = errors(
            quote!(topology = "ring", agents = [3, 3]),
            quote!(
                fn t() {}
            ),
        );
        assert_eq!(errs, ["`3` is listed twice"]);
        let errs = errors(
            quote!(topology = "ring", agents = 3, strategy = ["adaptive"]),
            quote!(
                fn t() {}
            ),
        );
        assert!(
            errs[0].starts_with("`strategy` does not take a list"),
            "{errs:#?}"
        );
        let errs = errors(
            quote!(topology = ["ring", "star"], agents = 3),
            quote!(
                #[rstest]
                fn t(#[case] n: u32) {}
            ),
        );
        assert!(
            errs[0].contains("cannot be combined with #[rstest]"),
            "{errs:#?}"
        );
    }

    #[test]
    fn fallback_keeps_the_function() {
        let out = swarm_test(
            quote!(topology = "rign", agents = 3),
            quote!(
                #[test]
                #[ignore]
                #[doc = "d"]
                fn t(report: &Report) {
                    body();
                }
            ),
        );
        let file: syn::File = syn::parse2(out).unwrap();
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        assert_eq!(f.sig.ident, "t");
        let attrs: Vec<String> = f
            .attrs
            .iter()
            .map(|a| a.to_token_stream().to_string())
            .collect();
        assert_eq!(
            attrs,
            [
                "# [doc = \"d\"]",
                "# [allow (dead_code , unused_variables)]"
            ]
        );
        assert_eq!(file.items.len(), 3, "the function and two errors");
    }

    #[test]
    fn never_panics() {
        for (args, item) in [
            (
                quote!(),
                quote!(
                    fn t() {}
                ),
            ),
            (
                quote!(,,,),
                quote!(
                    fn t() {}
                ),
            ),
            (
                quote!(= = =),
                quote!(
                    fn t() {}
                ),
            ),
            (
                quote!(topology = "ring", agents = 3),
                quote!(
                    struct S;
                ),
            ),
            (quote!(topology = "ring", agents = 3), quote!()),
            (quote!(topology = "ring", agents = 3), quote!(fn)),
            (
                quote!(inject = [1, true, "x"]),
                quote!(
                    fn t(self, x: T, ...) {}
                ),
            ),
            (
                quote!(topology = [], agents = [0]),
                quote!(
                    async unsafe fn t<T, const N: usize>() {}
                ),
            ),
        ] {
            let out = swarm_test(args, item);
            assert!(out.to_string().contains("compile_error"), "{out}");
        }
    }

    #[test]
    fn scaling_and_deployment_errors_are_compile_errors() {
        let item = quote!(
            fn t() {}
        );
        let bounds = errors(
            quote!(
                topology = "mesh",
                agents = 3,
                min_agents = 5,
                max_agents = 4
            ),
            item.clone(),
        );
        assert_eq!(
            bounds,
            ["`min_agents = 5` is above `max_agents = 4`; make `min_agents` at most `max_agents`"]
        );
        let weights = errors(
            quote!(
                topology = "mesh",
                agents = 3,
                deploy = "blue_green",
                weights = "100/0, 70/40, 0/100"
            ),
            item.clone(),
        );
        assert_eq!(
            weights,
            ["`weights` step `70/40` sums to 110; each step's blue and green weights must sum to 100"]
        );
        let threshold = errors(
            quote!(topology = "mesh", agents = 3, target_cpu = "120%"),
            item.clone(),
        );
        assert_eq!(threshold.len(), 1);
        assert!(
            threshold[0].starts_with("`target_cpu` must be a fraction"),
            "{threshold:?}"
        );
        assert!(errors(
            quote!(topology = "mesh", agents = 3, deploy = "canary"),
            item
        )
        .is_empty());
    }
}
