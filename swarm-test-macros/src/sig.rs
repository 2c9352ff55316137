//! The test function: which form it has, what it takes, and which attributes go where.
//!
//! Forms: `fn name()` (declarative; also `async fn name()`), `fn name(report: &Report)` (sync or
//! async) and `async fn name(swarm: &mut Swarm)`. Under `#[rstest]`, other parameters are
//! rstest's to supply and are passed through.

use syn::spanned::Spanned;
use syn::{Attribute, FnArg, GenericParam, Ident, ItemFn, Pat, PatType, Type};

use crate::errors::Errors;

/// What the macro can supply, for error messages.
const SUPPLIES: &str = "it can supply `report: &Report` (the finished run's report) or \
                        `swarm: &mut Swarm` (in an `async fn`, to drive the swarm yourself)";

/// How the body is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `fn name()`
    Declarative,
    /// `async fn name()`
    AsyncDeclarative,
    /// `fn name(report: &Report)`
    Report,
    /// `async fn name(report: &Report)`
    ReportAsync,
    /// `async fn name(swarm: &mut Swarm)`
    Swarm,
}

/// One argument the generated code passes to the user's function, in parameter order.
pub(crate) enum Param {
    /// The report or the swarm.
    Ours,
    /// A parameter rstest supplies to the generated test, passed on by name.
    Rstest(Ident),
}

/// The checked function.
pub(crate) struct Checked {
    pub(crate) form: Form,
    pub(crate) params: Vec<Param>,
    /// The function carries `#[rstest]`.
    pub(crate) rstest: bool,
}

/// `#[test]`, `#[tokio::test]`, `#[test_log::test]`…
pub(crate) fn is_test_attr(attr: &Attribute) -> bool {
    last_segment(attr).is_some_and(|s| s == "test")
}

/// `#[rstest]` or `#[rstest::rstest]`.
pub(crate) fn is_rstest_attr(attr: &Attribute) -> bool {
    last_segment(attr).is_some_and(|s| s == "rstest")
}

/// Attributes that belong to the generated `#[test]` rather than to the user's function:
/// `#[ignore]`, `#[should_panic]`, doc comments, `#[cfg]` and `#[cfg_attr]`.
pub(crate) fn is_test_level_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    ["ignore", "should_panic", "doc", "cfg", "cfg_attr"]
        .iter()
        .any(|name| path.is_ident(name))
}

fn last_segment(attr: &Attribute) -> Option<String> {
    attr.path().segments.last().map(|s| s.ident.to_string())
}

/// Checks the function, reporting every problem.
pub(crate) fn check(item: &ItemFn, errors: &mut Errors) -> Option<Checked> {
    let before = errors.len();
    let sig = &item.sig;
    let rstest = item.attrs.iter().any(is_rstest_attr);
    for attr in &item.attrs {
        if last_segment(attr).is_some_and(|s| s == "swarm_test") {
            errors.push_spanned(
                attr,
                "#[swarm_test] is given twice; merge the keys into one attribute \
                 (lists like `topology = [\"ring\", \"star\"]` make one test per value)",
            );
        }
        if is_test_attr(attr) {
            errors.push_spanned(
                attr,
                "a second #[test] attribute: #[swarm_test] already generates the test; remove this one \
                 (with #[rstest], write #[swarm_test(…)] above #[rstest])",
            );
        }
    }
    for param in &sig.generics.params {
        let (what, name) = match param {
            GenericParam::Lifetime(_) => continue,
            GenericParam::Type(t) => ("generic parameter", t.ident.to_string()),
            GenericParam::Const(c) => ("const parameter", c.ident.to_string()),
        };
        errors.push(
            param.span(),
            format!("the swarm_test macro cannot supply {what} `{name}`: {SUPPLIES}; remove the generics"),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(unsafety.span(), "a swarm test cannot be an `unsafe fn`");
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(variadic.span(), "a swarm test cannot be variadic");
    }

    let mut params = Vec::new();
    let mut ours: Option<Form> = None;
    for input in &sig.inputs {
        let pat_type = match input {
            FnArg::Receiver(receiver) => {
                errors.push_spanned(
                    receiver,
                    format!("the swarm_test macro cannot supply parameter `self`: {SUPPLIES}"),
                );
                continue;
            }
            FnArg::Typed(pat_type) => pat_type,
        };
        let name = match &*pat_type.pat {
            Pat::Ident(p) => p.ident.to_string(),
            other => quote::ToTokens::to_token_stream(other).to_string(),
        };
        match classify(&pat_type.ty) {
            Kind::Report if sig.asyncness.is_some() => {
                ours = set_ours(ours, Form::ReportAsync, pat_type, errors)
            }
            Kind::Report => ours = set_ours(ours, Form::Report, pat_type, errors),
            Kind::Swarm => {
                if sig.asyncness.is_none() {
                    let (fn_token, ident) = (&sig.fn_token, &sig.ident);
                    errors.push_spanned(
                        quote::quote!(#fn_token #ident),
                        format!(
                            "a test taking `&mut Swarm` must be an `async fn`: the swarm is driven with \
                             `.await`; write `async fn {}({name}: &mut Swarm)`",
                            sig.ident
                        ),
                    );
                }
                ours = set_ours(ours, Form::Swarm, pat_type, errors);
            }
            Kind::Wrong(fix) => {
                errors.push_spanned(
                    &pat_type.ty,
                    format!(
                        "the swarm_test macro cannot supply parameter `{name}` of this type: {fix}"
                    ),
                );
                continue;
            }
            Kind::Other if rstest => match &*pat_type.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    params.push(Param::Rstest(p.ident.clone()));
                    continue;
                }
                other => {
                    errors.push_spanned(
                        other,
                        "rstest parameters of a swarm test need a plain name, like `value: u32`",
                    );
                    continue;
                }
            },
            Kind::Other => {
                errors.push_spanned(
                    pat_type,
                    format!(
                        "the swarm_test macro cannot supply parameter `{name}`: {SUPPLIES}; \
                         for cases and fixtures, put `#[rstest]` below `#[swarm_test(…)]`"
                    ),
                );
                continue;
            }
        }
        params.push(Param::Ours);
    }
    if errors.len() > before {
        return None;
    }
    let form = match ours {
        Some(form) => form,
        None if sig.asyncness.is_some() => Form::AsyncDeclarative,
        None => Form::Declarative,
    };
    Some(Checked {
        form,
        params,
        rstest,
    })
}

fn set_ours(
    current: Option<Form>,
    form: Form,
    param: &PatType,
    errors: &mut Errors,
) -> Option<Form> {
    if current.is_some() {
        errors.push_spanned(
            param,
            "a swarm test takes at most one of `report: &Report` and `swarm: &mut Swarm` \
             (the report so far is `swarm.report()`)",
        );
        return current;
    }
    Some(form)
}

enum Kind {
    Report,
    Swarm,
    /// `Report` or `Swarm`, but not by the right kind of reference; the fix.
    Wrong(&'static str),
    Other,
}

/// `&Report`, `&mut Swarm` (by the last path segment), or something else.
fn classify(ty: &Type) -> Kind {
    let (reference, inner) = match ty {
        Type::Reference(r) => (Some(r.mutability.is_some()), &*r.elem),
        other => (None, other),
    };
    let name = match strip_groups(inner) {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    match (name.as_deref(), reference) {
        (Some("Report"), Some(false)) => Kind::Report,
        (Some("Swarm"), Some(true)) => Kind::Swarm,
        (Some("Report"), Some(true)) => {
            Kind::Wrong("take the report by shared reference, `report: &Report`")
        }
        (Some("Report"), None) => Kind::Wrong("take the report by reference, `report: &Report`"),
        (Some("Swarm"), _) => Kind::Wrong(
            "take the swarm by mutable reference, `swarm: &mut Swarm`, in an `async fn`",
        ),
        _ => Kind::Other,
    }
}

fn strip_groups(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip_groups(&g.elem),
        Type::Paren(p) => strip_groups(&p.elem),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn form(item: ItemFn) -> Result<Form, Vec<String>> {
        let mut errors = Errors::default();
        match check(&item, &mut errors) {
            Some(c) => Ok(c.form),
            None => Err(errors.messages()),
        }
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(
            form(parse_quote!(
                fn t() {}
            )),
            Ok(Form::Declarative)
        );
        assert_eq!(
            form(parse_quote!(
                async fn t() {}
            )),
            Ok(Form::AsyncDeclarative)
        );
        assert_eq!(
            form(parse_quote!(
                fn t(r: &Report) {}
            )),
            Ok(Form::Report)
        );
        assert_eq!(
            form(parse_quote!(
                fn t(r: &swarm_test::Report) -> Result<(), E> {
                    Ok(())
                }
            )),
            Ok(Form::Report)
        );
        assert_eq!(
            form(parse_quote!(
                async fn t(r: &Report) {}
            )),
            Ok(Form::ReportAsync)
        );
        assert_eq!(
            form(parse_quote!(
                async fn t(s: &mut Swarm) {}
            )),
            Ok(Form::Swarm)
        );
        assert_eq!(
            form(parse_quote!(
                fn t<'a>(r: &'a Report) {}
            )),
            Ok(Form::Report)
        );
    }

    #[test]
    fn what_the_macro_cannot_supply() {
        let err = |item| form(item).unwrap_err().join("\n");
        assert!(err(parse_quote!(
            fn t(x: u32) {}
        ))
        .starts_with("the swarm_test macro cannot supply parameter `x`: it can supply"));
        assert!(err(parse_quote!(
            fn t(&self) {}
        ))
        .contains("cannot supply parameter `self`"));
        assert!(err(parse_quote!(
            fn t<T>() {}
        ))
        .contains("cannot supply generic parameter `T`"));
        assert!(err(parse_quote!(
            fn t<const N: usize>() {}
        ))
        .contains("cannot supply const parameter `N`"));
        assert!(err(parse_quote!(
            fn t(s: &mut Swarm) {}
        ))
        .contains("must be an `async fn`"));
        assert!(err(parse_quote!(
            fn t(r: &mut Report) {}
        ))
        .contains("by shared reference"));
        assert!(err(parse_quote!(
            fn t(r: Report) {}
        ))
        .contains("take the report by reference"));
        assert!(err(parse_quote!(
            async fn t(s: &Swarm) {}
        ))
        .contains("by mutable reference"));
        assert!(err(parse_quote!(
            async fn t(r: &Report, s: &mut Swarm) {}
        ))
        .contains("at most one of"));
        assert!(err(parse_quote!(
            unsafe fn t() {}
        ))
        .contains("`unsafe fn`"));
        assert!(err(parse_quote!(
            #[test]
            fn t() {}
        ))
        .contains("a second #[test]"));
        assert!(err(parse_quote!(
            #[tokio::test]
            fn t() {}
        ))
        .contains("a second #[test]"));
        assert!(err(parse_quote!(
            #[swarm_test(agents = 3)]
            fn t() {}
        ))
        .contains("given twice"));
    }

    #[test]
    fn rstest_parameters_pass_through() {
        let item: ItemFn = parse_quote!(
            #[rstest]
            fn t(#[case] n: u32, report: &Report, #[values(1, 2)] m: u8) {}
        );
        let mut errors = Errors::default();
        let checked = check(&item, &mut errors).unwrap();
        assert!(checked.rstest);
        assert_eq!(checked.form, Form::Report);
        let names: Vec<String> = checked
            .params
            .iter()
            .map(|p| match p {
                Param::Ours => "ours".to_owned(),
                Param::Rstest(i) => i.to_string(),
            })
            .collect();
        assert_eq!(names, ["n", "ours", "m"]);
        let item: ItemFn = parse_quote!(
            #[rstest]
            fn t((a, b): (u8, u8)) {}
        );
        assert!(check(&item, &mut errors).is_none());
    }

    #[test]
    fn attribute_kinds() {
        let attrs: Vec<Attribute> = vec![
            parse_quote!(#[ignore]),
            parse_quote!(#[should_panic(expected = "x")]),
            parse_quote!(#[doc = "x"]),
        ];
        assert!(attrs.iter().all(is_test_level_attr));
        let allow: Attribute = parse_quote!(#[allow(unused)]);
        assert!(!is_test_level_attr(&allow));
        let rstest: Attribute = parse_quote!(#[rstest::rstest]);
        assert!(is_rstest_attr(&rstest));
    }
}
