//! The attribute's `key = value` pairs: parsing, per-key checks, and the cases they expand to.
//!
//! Values are literals (strings, integers, `true`/`false`) or `[..]` lists of them. Every check
//! goes through `swarm_test_spec::SpecBuilder`, so the messages are the runtime's; this module
//! only decides where each error points: the key for unknown and duplicate keys, the literal
//! for a bad value, the attribute as a whole for a missing key.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, Meta, Token, UnOp};

use swarm_test_spec::{Spec, SpecBuilder, SpecError, Value, KEYS, LIST_KEYS};

use crate::errors::Errors;

/// One `key = value` pair.
pub(crate) struct Entry {
    /// The key as written, with its span.
    pub(crate) key: Ident,
    /// The key's name.
    pub(crate) name: String,
    /// A literal or a list of them.
    pub(crate) values: Values,
}

/// `"ring"` or `["ring", "star"]`.
pub(crate) enum Values {
    One(Item),
    /// The items, and the span of the whole list (brackets included).
    List(Vec<Item>, Span),
}

impl Values {
    fn items(&self) -> &[Item] {
        match self {
            Values::One(item) => std::slice::from_ref(item),
            Values::List(items, _) => items,
        }
    }
}

/// One literal: its value and where it was written.
#[derive(Clone)]
pub(crate) struct Item {
    pub(crate) value: Value,
    pub(crate) span: Span,
}

impl Item {
    /// The value as it appears in a case name: `ring`, `5`.
    fn case_text(&self) -> String {
        match &self.value {
            Value::Str(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
        }
    }
}

/// Parses the attribute's arguments. Pairs that cannot be read are reported and left out.
pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Vec<Entry> {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(e) => {
            errors.push(e.span(), format!("{e}; the attribute takes `key = value` pairs, like `topology = \"ring\", agents = 5`"));
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for meta in metas {
        let (path, value) = match meta {
            Meta::NameValue(nv) => (nv.path, nv.value),
            Meta::Path(path) => {
                let key = path.to_token_stream().to_string();
                errors.push(
                    path.span(),
                    format!("`{key}` needs a value: write `{key} = …`"),
                );
                continue;
            }
            Meta::List(list) => {
                let key = list.path.to_token_stream().to_string();
                errors.push(list.span(), format!("write `{key} = …`, not `{key}(…)`"));
                continue;
            }
        };
        let Some(key) = path.get_ident().cloned() else {
            errors.push(path.span(), "a key is a plain name, like `topology`");
            continue;
        };
        let name = key.to_string();
        let values = match unwrap_group(value) {
            Expr::Array(array) => {
                if array.elems.is_empty() {
                    let span = array.bracket_token.span.join();
                    errors.push(span, format!("`{name}` has an empty list"));
                    continue;
                }
                let span = array.bracket_token.span.join();
                let mut items = Vec::new();
                for elem in array.elems {
                    if let Some(item) = item(&name, elem, errors) {
                        items.push(item);
                    }
                }
                Values::List(items, span)
            }
            other => match item(&name, other, errors) {
                Some(item) => Values::One(item),
                None => continue,
            },
        };
        entries.push(Entry { key, name, values });
    }
    entries
}

/// `$e` from a `macro_rules!` arrives wrapped in an invisible group.
fn unwrap_group(expr: Expr) -> Expr {
    match expr {
        Expr::Group(group) => unwrap_group(*group.expr),
        Expr::Paren(paren) => unwrap_group(*paren.expr),
        other => other,
    }
}

/// One literal value.
fn item(key: &str, expr: Expr, errors: &mut Errors) -> Option<Item> {
    let expected = "a string, an integer, `true` or `false`";
    match unwrap_group(expr) {
        Expr::Lit(lit) => {
            let span = lit.lit.span();
            let value = match &lit.lit {
                Lit::Str(s) => Value::Str(s.value()),
                Lit::Int(i) if i.base10_digits().starts_with('-') => {
                    errors.push(span, format!("`{key}` cannot be negative"));
                    return None;
                }
                Lit::Int(i) => match i.base10_parse::<u64>() {
                    Ok(n) => Value::Int(n),
                    Err(e) => {
                        errors.push(span, format!("`{key}`: {e}"));
                        return None;
                    }
                },
                Lit::Bool(b) => Value::Bool(b.value),
                Lit::Float(f) => {
                    errors.push(
                        span,
                        format!("`{key}` expects {expected}, found a float `{f}`"),
                    );
                    return None;
                }
                _ => {
                    errors.push(span, format!("`{key}` expects {expected}"));
                    return None;
                }
            };
            Some(Item { value, span })
        }
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            errors.push_spanned(&unary, format!("`{key}` cannot be negative"));
            None
        }
        Expr::Array(array) => {
            errors.push(array.span(), format!("`{key}`: lists cannot be nested"));
            None
        }
        other => {
            errors.push(
                other.span(),
                format!("`{key}` expects a literal: {expected}, or a list `[…]` of them"),
            );
            None
        }
    }
}

/// Checks every key and value on its own, through `SpecBuilder::set`.
pub(crate) fn check_keys(test: &str, entries: &[Entry], errors: &mut Errors) {
    let mut probe = SpecBuilder::new(test, "");
    let mut seen = BTreeSet::new();
    for entry in entries {
        let name = entry.name.as_str();
        if !KEYS.contains(&name) {
            let message = match probe.set(name, Value::Bool(true)) {
                Err(e) => e.to_string(),
                Ok(()) => format!("unknown key `{name}`"),
            };
            errors.push(entry.key.span(), message);
            continue;
        }
        let first_time = seen.insert(name);
        if let Values::List(_, span) = &entry.values {
            if !LIST_KEYS.contains(&name) {
                errors.push(
                    *span,
                    format!(
                        "`{name}` does not take a list; only `topology` and `agents` (one test per value) \
                         and `inject` (several faults) do"
                    ),
                );
                continue;
            }
        }
        if name == "inject" && !first_time {
            errors.push(
                entry.key.span(),
                "duplicate key `inject`; give several faults as a list: `inject = [\"crash(hub)\", \"latency\"]`",
            );
            continue;
        }
        let mut listed = BTreeSet::new();
        for (i, item) in entry.values.items().iter().enumerate() {
            // The first value goes to the probe (which catches duplicate keys); the other
            // values of a list are checked on their own.
            let result = if i == 0 || name == "inject" {
                probe.set(name, item.value.clone())
            } else {
                SpecBuilder::new(test, "").set(name, item.value.clone())
            };
            match result {
                Err(e) if is_duplicate(&e) => errors.push(entry.key.span(), e.to_string()),
                Err(e) => errors.push(item.span, e.to_string()),
                Ok(()) if name != "inject" && !listed.insert(item.case_text()) => {
                    errors.push(item.span, format!("`{}` is listed twice", item.case_text()));
                }
                Ok(()) => {}
            }
        }
    }
}

fn is_duplicate(e: &SpecError) -> bool {
    e.message().starts_with("duplicate key")
}

/// One generated test: the list values it takes, and its name suffix.
pub(crate) struct Case {
    /// `ring_5`, `ring` or `agents_5`; `None` when nothing was listed.
    pub(crate) suffix: Option<String>,
    /// For each entry, the index of the value this case takes (lists of `topology`/`agents`).
    picks: Vec<Option<usize>>,
}

/// The cases the attribute expands to: one per combination of listed `topology` and `agents`
/// values, or a single one.
pub(crate) fn cases(entries: &[Entry]) -> Vec<Case> {
    let list_of = |key: &str| {
        entries
            .iter()
            .position(|e| e.name == key && matches!(e.values, Values::List(..)))
    };
    let (topologies, agents) = (list_of("topology"), list_of("agents"));
    let count = |i: Option<usize>| i.map_or(1, |i| entries[i].values.items().len());
    let mut cases = Vec::new();
    for t in 0..count(topologies) {
        for a in 0..count(agents) {
            let mut picks = vec![None; entries.len()];
            let mut parts = Vec::new();
            if let Some(i) = topologies {
                picks[i] = Some(t);
                parts.push(entries[i].values.items()[t].case_text());
            }
            if let Some(i) = agents {
                picks[i] = Some(a);
                let n = entries[i].values.items()[a].case_text();
                parts.push(if topologies.is_some() {
                    n
                } else {
                    format!("agents_{n}")
                });
            }
            let suffix = (!parts.is_empty()).then(|| parts.join("_"));
            cases.push(Case { suffix, picks });
        }
    }
    cases
}

impl Case {
    /// The values this case sets, in attribute order: `(key, item)`.
    fn settings<'e>(&self, entries: &'e [Entry]) -> Vec<(&'e Entry, &'e Item)> {
        let mut out = Vec::new();
        for (entry, pick) in entries.iter().zip(&self.picks) {
            match (pick, &entry.values) {
                (Some(i), values) => out.push((entry, &values.items()[*i])),
                (None, values) => out.extend(values.items().iter().map(|item| (entry, item))),
            }
        }
        out
    }

    /// Builds and checks this case's spec (the value the expansion hands to the runtime), or
    /// reports a cross-key error on the token that caused it.
    pub(crate) fn check(&self, test: &str, entries: &[Entry], errors: &mut Errors) -> Option<Spec> {
        let settings = self.settings(entries);
        let build = |skip_faults: Option<usize>| {
            let mut builder = SpecBuilder::new(test, "");
            let mut fault = 0;
            for (entry, item) in &settings {
                if entry.name == "inject" {
                    fault += 1;
                    if skip_faults.is_some_and(|keep| keep != fault - 1) {
                        continue;
                    }
                }
                builder = builder.with(&entry.name, item.value.clone());
            }
            if let Some(suffix) = &self.suffix {
                builder = builder.case(suffix);
            }
            builder.build()
        };
        let e = match build(None) {
            Ok(spec) => return Some(spec),
            Err(e) => e,
        };
        let span = match e.key() {
            Some("inject") => {
                // Point at the fault that fails on its own.
                let faults: Vec<&Item> = settings
                    .iter()
                    .filter(|(e, _)| e.name == "inject")
                    .map(|(_, i)| *i)
                    .collect();
                (0..faults.len())
                    .find(|i| build(Some(*i)).is_err_and(|e| e.key() == Some("inject")))
                    .map_or(Span::call_site(), |i| faults[i].span)
            }
            Some(key) => settings
                .iter()
                .find(|(entry, _)| entry.name == key)
                .map_or(Span::call_site(), |(_, item)| item.span),
            None => Span::call_site(),
        };
        errors.push(span, e.to_string());
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn entries(args: TokenStream) -> (Vec<Entry>, Errors) {
        let mut errors = Errors::default();
        let entries = parse(args, &mut errors);
        (entries, errors)
    }

    #[test]
    fn literals_and_lists() {
        let (e, errors) = entries(quote!(
            topology = ["ring", "star"],
            agents = 5,
            snapshot = false
        ));
        assert!(errors.is_empty());
        assert_eq!(e.len(), 3);
        assert!(matches!(&e[0].values, Values::List(items, _) if items.len() == 2));
        assert!(matches!(
            &e[1].values,
            Values::One(Item {
                value: Value::Int(5),
                ..
            })
        ));
        assert!(matches!(
            &e[2].values,
            Values::One(Item {
                value: Value::Bool(false),
                ..
            })
        ));
    }

    #[test]
    fn unreadable_values() {
        for (args, expected) in [
            (
                quote!(agents = 2.5),
                "`agents` expects a string, an integer, `true` or `false`, found a float",
            ),
            (quote!(agents = -1), "`agents` cannot be negative"),
            (quote!(agents = N), "`agents` expects a literal"),
            (quote!(agents), "`agents` needs a value"),
            (quote!(agents(5)), "write `agents = …`, not `agents(…)`"),
            (quote!(a::b = 5), "a key is a plain name"),
            (quote!(agents = [[1]]), "lists cannot be nested"),
            (quote!(agents = []), "`agents` has an empty list"),
            (quote!(agents = b"x"), "`agents` expects a string"),
            (
                quote!(agents = 99999999999999999999999),
                "`agents`: number too large",
            ),
            (quote!(topology = "ring" agents = 5), "expected `,`"),
        ] {
            let (_, errors) = entries(args);
            let message = errors.messages().join("\n");
            assert!(
                message.contains(expected),
                "{message:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn case_names() {
        let suffixes = |args| {
            let (e, _) = entries(args);
            cases(&e).into_iter().map(|c| c.suffix).collect::<Vec<_>>()
        };
        assert_eq!(suffixes(quote!(topology = "ring", agents = 3)), vec![None]);
        assert_eq!(
            suffixes(quote!(topology = ["ring", "star"], agents = 3)),
            vec![Some("ring".into()), Some("star".into())]
        );
        assert_eq!(
            suffixes(quote!(topology = "ring", agents = [3, 5])),
            vec![Some("agents_3".into()), Some("agents_5".into())]
        );
        assert_eq!(
            suffixes(quote!(agents = [3, 5], topology = ["ring", "star"])),
            vec![
                Some("ring_3".into()),
                Some("ring_5".into()),
                Some("star_3".into()),
                Some("star_5".into())
            ]
        );
    }
}
