//! `agent = Type`, `agent = EXPR` and `roles = [Type * n, "risk_manager", …]`: the user's own
//! agents. Taken out of the attribute before the other keys are checked; what is left of
//! `roles` is a plain roster string (user entries as `generic_trader`) for the spec builder,
//! which checks its size against `agents`. The expansion gets one non-generic function that
//! builds agent `id`'s user agent (or `None` for a built-in role), handed to the runtime with
//! the spec.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Lit, Meta, Token};

use swarm_test_spec::Roster;

use crate::errors::Errors;

/// How one user agent is built.
pub(crate) enum Build {
    /// `Type`: with `Default`.
    Default(syn::Path),
    /// An expression, evaluated once per agent.
    Expr(Expr),
    /// `program = "CMD"` / `program("CMD")`: an external program, by its command's words.
    Program(Vec<String>),
}

/// Agents `from..to` of a roster, and how each is built.
type Range = (usize, usize, Build);

/// The user agents of a test: all agents (`agent`), or ranges of ids (`roles`).
pub(crate) enum UserAgents {
    All(Build),
    Ranges(Vec<Range>),
}

/// Takes `agent = …` and a list-valued `roles = […]` out of `args`; returns the rest of the
/// arguments (a list `roles` becomes its roster string) and the user agents, if any.
pub(crate) fn take(args: TokenStream, errors: &mut Errors) -> (TokenStream, Option<UserAgents>) {
    let Ok(metas) = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args.clone()) else {
        return (args, None); // `attr::parse` reports it.
    };
    let mut rest = Vec::new();
    let mut agent: Option<(Span, Build)> = None;
    let mut roster: Option<(Span, Vec<Range>)> = None;
    for meta in metas {
        let Meta::NameValue(nv) = &meta else {
            rest.push(meta.to_token_stream());
            continue;
        };
        if nv.path.is_ident("agent") {
            let build = match build_of(&nv.value) {
                Some(b) => b,
                None => {
                    errors.push(
                        nv.value.span(),
                        "`agent` takes a type that implements `Agent` and `Default` \
                         (`agent = Breakout`) or an expression (`agent = Breakout::new(20)`)",
                    );
                    continue;
                }
            };
            if let Some((span, Build::Program(_))) = &agent {
                errors.push(*span, "`program` and `agent` cannot be combined: each makes every agent one kind; to mix them, list them in `roles = [Breakout * 2, program(\"python3 agents/m.py\") * 2]`");
                errors.push(nv.path.span(), "`agent` and `program` cannot be combined: each makes every agent one kind; to mix them, list them in `roles = [Breakout * 2, program(\"python3 agents/m.py\") * 2]`");
                continue;
            }
            agent = Some((nv.path.span(), build));
            continue;
        }
        if nv.path.is_ident("program") {
            let Some(argv) = program_command(&nv.value, errors) else {
                continue;
            };
            if let Some((span, _)) = &agent {
                errors.push(*span, "`agent` and `program` cannot be combined: each makes every agent one kind; to mix them, list them in `roles = [Breakout * 2, program(\"python3 agents/m.py\") * 2]`");
                errors.push(nv.path.span(), "`program` and `agent` cannot be combined: each makes every agent one kind; to mix them, list them in `roles = [Breakout * 2, program(\"python3 agents/m.py\") * 2]`");
                continue;
            }
            agent = Some((nv.path.span(), Build::Program(argv)));
            continue;
        }
        if nv.path.is_ident("roles") {
            if let Expr::Array(array) = unwrap_group(&nv.value) {
                let span = array.bracket_token.span.join();
                let mut text = Vec::new();
                let mut ranges = Vec::new();
                let mut next = 0usize;
                for elem in &array.elems {
                    match entry(elem, errors) {
                        Some(Entry::Builtin(roster_text, n)) => {
                            text.push(roster_text);
                            next += n;
                        }
                        Some(Entry::User(build, n)) => {
                            text.push(format!("generic_trader*{n}"));
                            ranges.push((next, next + n, build));
                            next += n;
                        }
                        None => {}
                    }
                }
                let lit = syn::LitStr::new(&text.join(", "), span);
                rest.push(quote!(roles = #lit));
                roster = Some((nv.path.span(), ranges));
                continue;
            }
        }
        rest.push(meta.to_token_stream());
    }
    let users = match (agent, roster) {
        (Some((span, Build::Program(_))), Some(_)) => {
            errors.push(
                span,
                "`program` and `roles` cannot be combined: `program` makes every agent that \
                 program; to mix, list it in `roles = [program(\"python3 agents/m.py\") * 2, \
                 \"risk_manager\"]`",
            );
            None
        }
        (Some((span, _)), Some(_)) => {
            errors.push(
                span,
                "`agent` and `roles` cannot be combined: `agent` makes every agent one type; \
                 to mix types, list them in `roles = [Breakout * 2, \"risk_manager\"]`",
            );
            None
        }
        (Some((_, build)), None) => Some(UserAgents::All(build)),
        (None, Some((_, ranges))) if !ranges.is_empty() => Some(UserAgents::Ranges(ranges)),
        _ => None,
    };
    (quote!(#(#rest),*), users)
}

enum Entry {
    /// A string: its roster text and how many agents it names.
    Builtin(String, usize),
    /// `Type * n` or an expression: how to build it and how many.
    User(Build, usize),
}

fn entry(elem: &Expr, errors: &mut Errors) -> Option<Entry> {
    match unwrap_group(elem) {
        Expr::Lit(lit) => {
            let Lit::Str(s) = &lit.lit else {
                errors.push(lit.span(), "a `roles` entry is a role name (`\"risk_manager\"`), a type (`Breakout * 2`) or a program (`program(\"node agents/arb.js\") * 2`)");
                return None;
            };
            match Roster::parse(&s.value()) {
                Ok(r) => Some(Entry::Builtin(s.value(), r.len())),
                Err(e) => {
                    errors.push(s.span(), format!("`roles`: {e}"));
                    None
                }
            }
        }
        Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
            let n = match unwrap_group(&b.right) {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Int(i), ..
                }) => i.base10_parse::<usize>().ok().filter(|n| *n > 0),
                _ => None,
            };
            let Some(n) = n else {
                errors.push(
                    b.right.span(),
                    "write a positive count after `*`, like `Breakout * 2`",
                );
                return None;
            };
            if let Some(program) = program_call(&b.left, errors) {
                return program.map(|argv| Entry::User(Build::Program(argv), n));
            }
            let Some(build) = build_of(&b.left) else {
                errors.push(
                    b.left.span(),
                    "expected a type that implements `Agent`, like `Breakout * 2`",
                );
                return None;
            };
            Some(Entry::User(build, n))
        }
        other if program_call(other, &mut Errors::default()).is_some() => {
            program_call(other, errors)?.map(|argv| Entry::User(Build::Program(argv), 1))
        }
        other => build_of(other).map(|b| Entry::User(b, 1)).or_else(|| {
            errors.push(
                other.span(),
                "a `roles` entry is a role name (`\"risk_manager\"`), a type (`Breakout * 2`) or a \
                 program (`program(\"node agents/arb.js\") * 2`)",
            );
            None
        }),
    }
}

/// The words of `program = "CMD"`'s command, or `None` after an error on the value.
fn program_command(value: &Expr, errors: &mut Errors) -> Option<Vec<String>> {
    match unwrap_group(value) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => crate::program::argv(lit, errors),
        other => {
            errors.push(
                other.span(),
                "`program` takes the program's command as a string, like \
                 `program = \"python3 agents/momentum.py\"`",
            );
            None
        }
    }
}

/// `program("CMD")` in a roster: `None` when `expr` is not a call of `program`, else the
/// command's words (`None` inside after an error).
fn program_call(expr: &Expr, errors: &mut Errors) -> Option<Option<Vec<String>>> {
    let Expr::Call(call) = unwrap_group(expr) else {
        return None;
    };
    let Expr::Path(func) = unwrap_group(&call.func) else {
        return None;
    };
    if !func.path.is_ident("program") {
        return None;
    }
    let mut args = call.args.iter();
    Some(match (args.next(), args.next()) {
        (Some(arg), None) => program_command(arg, errors),
        _ => {
            errors.push(
                call.span(),
                "`program(…)` takes one string, the program's command: \
                 `program(\"node agents/arb.js\") * 2`",
            );
            None
        }
    })
}

/// A path is a type built with `Default`; any other expression is evaluated per agent.
fn build_of(expr: &Expr) -> Option<Build> {
    match unwrap_group(expr) {
        Expr::Path(p) if p.qself.is_none() => Some(Build::Default(p.path.clone())),
        Expr::Lit(_) | Expr::Array(_) => None,
        other => Some(Build::Expr(other.clone())),
    }
}

fn unwrap_group(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(g) => unwrap_group(&g.expr),
        Expr::Paren(p) => unwrap_group(&p.expr),
        other => other,
    }
}

impl Build {
    /// `Some(user_agent(…))`, the trait-bound check at the type's or expression's span.
    fn tokens(&self) -> TokenStream {
        match self {
            Build::Default(ty) => quote_spanned! {ty.span()=>
                ::core::option::Option::Some(::swarm_test::__private::user_agent::<#ty>(
                    <#ty as ::core::default::Default>::default(),
                ))
            },
            Build::Expr(e) => quote_spanned! {e.span()=>
                ::core::option::Option::Some(::swarm_test::__private::user_agent(#e))
            },
            Build::Program(argv) => {
                let build = crate::program::build(argv, quote!(id));
                quote!(::core::option::Option::Some(#build))
            }
        }
    }
}

impl UserAgents {
    /// The trait-bound checks of the named types, as a module-level item: the generated test
    /// is left out of non-test builds (`cargo build`, `cargo check`), this is not, so a type
    /// that does not implement `Agent` (or `Default`) is an error at its span in every build.
    pub(crate) fn checks(&self) -> TokenStream {
        let builds: Vec<&Build> = match self {
            UserAgents::All(b) => vec![b],
            UserAgents::Ranges(r) => r.iter().map(|(_, _, b)| b).collect(),
        };
        let checks = builds.into_iter().filter_map(|b| match b {
            Build::Default(ty) => Some(quote_spanned! {ty.span()=>
                let _ = ::swarm_test::__private::user_agent::<#ty>;
                let _ = <#ty as ::core::default::Default>::default;
            }),
            Build::Expr(_) | Build::Program(_) => None,
        });
        quote!(const _: () = { #(#checks)* };)
    }

    /// The factory function, named `__swarm_test_agent`.
    pub(crate) fn factory(&self) -> TokenStream {
        let body = match self {
            UserAgents::All(build) => {
                let b = build.tokens();
                quote!(#b)
            }
            UserAgents::Ranges(ranges) => {
                let arms = ranges.iter().map(|(from, to, build)| {
                    let b = build.tokens();
                    quote!(#from..#to => #b,)
                });
                quote!(match id { #(#arms)* _ => ::core::option::Option::None })
            }
        };
        let unused = matches!(self, UserAgents::All(Build::Default(_) | Build::Expr(_)))
            .then(|| quote!(let _ = id;));
        quote! {
            fn __swarm_test_agent(id: usize) -> ::swarm_test::__private::BuiltAgent {
                #unused
                #body
            }
        }
    }
}
