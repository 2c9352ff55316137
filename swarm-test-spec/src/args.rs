//! A fault's argument list, `(0.9, target = role:risk_manager)`, and binding it to parameters.
//!
//! Arguments are positional values and/or `name = value` pairs, positional ones first. A value
//! is an [`Atom`]: a word (`hub`), a number (`0.9`, `50ms`, `3`), a tagged word
//! (`role:pairs_trader`) or a one-level call (`fraction(0.3)`). Binding matches the arguments
//! against a fault's parameter list and reports unknown, repeated and surplus arguments by name.

use std::fmt;

use crate::choice::unknown;
use crate::error::{backticked, SpecError};
use crate::lex::{Cursor, Tok};

/// One argument value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Atom<'a> {
    /// `hub`, `halves`
    Word(&'a str),
    /// `0.9`, `3`, `50ms`
    Number(&'a str),
    /// `role:pairs_trader`
    Tagged(&'a str, &'a str),
    /// `fraction(0.3)`: a word applied to plain values (no nesting).
    Call(&'a str, Vec<Atom<'a>>),
}

impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atom::Word(s) | Atom::Number(s) => f.write_str(s),
            Atom::Tagged(tag, s) => write!(f, "{tag}:{s}"),
            Atom::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// One argument as written: `value` or `name = value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) value: Atom<'a>,
}

/// A parameter of a fault: its name, and whether it may be given by position.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) positional: bool,
}

/// Parses one value. `nested` forbids calls (values inside a call are plain).
pub(crate) fn parse_atom<'a>(
    cur: &mut Cursor<'a>,
    fault: &str,
    nested: bool,
) -> Result<Atom<'a>, SpecError> {
    match cur.next() {
        Some(Tok::Number(n)) => Ok(Atom::Number(n)),
        Some(Tok::Word(w)) => {
            if cur.eat_punct(':') {
                return match cur.next() {
                    Some(Tok::Word(name)) => Ok(Atom::Tagged(w, name)),
                    other => Err(SpecError::new(format!(
                        "`{fault}`: expected a name after `{w}:`, like `role:risk_manager`, found {}",
                        found(other)
                    ))),
                };
            }
            if !nested && cur.eat_punct('(') {
                let mut inner = Vec::new();
                loop {
                    if cur.eat_punct(')') {
                        return Ok(Atom::Call(w, inner));
                    }
                    if cur.at_end() {
                        return Err(SpecError::new(format!(
                            "`{fault}`: unclosed `(` after `{w}`, expected `)`"
                        )));
                    }
                    inner.push(parse_atom(cur, fault, true)?);
                    if !cur.eat_punct(',') && cur.peek() != Some(Tok::Punct(')')) {
                        return Err(SpecError::new(format!(
                            "`{fault}`: expected `,` or `)` in `{w}(…)`, found {}",
                            found(cur.peek())
                        )));
                    }
                }
            }
            Ok(Atom::Word(w))
        }
        other => Err(SpecError::new(format!(
            "`{fault}`: expected an argument value, found {}",
            found(other)
        ))),
    }
}

/// Parses `(ARGS)` if the next token is `(`; no parentheses means no arguments.
pub(crate) fn parse_args<'a>(cur: &mut Cursor<'a>, fault: &str) -> Result<Vec<Arg<'a>>, SpecError> {
    let mut args = Vec::new();
    if !cur.eat_punct('(') {
        return Ok(args);
    }
    loop {
        if cur.eat_punct(')') {
            return Ok(args);
        }
        if cur.at_end() {
            return Err(SpecError::new(format!(
                "unclosed `(` after `{fault}`, expected `)`"
            )));
        }
        let name = match (cur.peek(), cur.peek_second()) {
            (Some(Tok::Word(w)), Some(Tok::Punct('='))) => {
                cur.next();
                cur.next();
                Some(w)
            }
            _ => None,
        };
        let value = parse_atom(cur, fault, false)?;
        args.push(Arg { name, value });
        if !cur.eat_punct(',') {
            match cur.peek() {
                Some(Tok::Punct(')')) => {}
                None => {
                    return Err(SpecError::new(format!(
                        "unclosed `(` after `{fault}`, expected `)`"
                    )))
                }
                other => {
                    return Err(SpecError::new(format!(
                        "`{fault}`: expected `,` or `)` after `{}`, found {}",
                        args.last().map(|a| a.value.to_string()).unwrap_or_default(),
                        found(other)
                    )))
                }
            }
        }
    }
}

/// `` `x` `` for a token, or "the end" when there is none.
pub(crate) fn found(tok: Option<Tok<'_>>) -> String {
    match tok {
        Some(t) => format!("`{}`", t.text()),
        None => "the end".to_owned(),
    }
}

/// Matches `args` to `params`: the value of each parameter, in parameter order, if given.
pub(crate) fn bind<'a>(
    fault: &str,
    params: &[Param],
    args: Vec<Arg<'a>>,
) -> Result<Vec<Option<Atom<'a>>>, SpecError> {
    let mut bound: Vec<Option<Atom<'a>>> = vec![None; params.len()];
    let positional: Vec<&Param> = params.iter().filter(|p| p.positional).collect();
    let mut next_positional = 0;
    let mut seen_named = false;
    for arg in args {
        let index = match arg.name {
            None => {
                if seen_named {
                    return Err(SpecError::new(format!(
                        "`{fault}`: positional argument `{}` after a named argument; put positional arguments first",
                        arg.value
                    )));
                }
                let Some(param) = positional.get(next_positional) else {
                    let names = backticked(positional.iter().map(|p| p.name));
                    return Err(SpecError::new(format!(
                        "`{fault}` takes {} positional argument{} ({names}), found more: `{}`; \
                         name the others, like `{} = …`",
                        positional.len(),
                        if positional.len() == 1 { "" } else { "s" },
                        arg.value,
                        params
                            .iter()
                            .find(|p| !p.positional)
                            .unwrap_or(&params[params.len() - 1])
                            .name,
                    )));
                };
                next_positional += 1;
                params
                    .iter()
                    .position(|p| p.name == param.name)
                    .unwrap_or(0)
            }
            Some(name) => {
                seen_named = true;
                let names: Vec<&str> = params.iter().map(|p| p.name).collect();
                params.iter().position(|p| p.name == name).ok_or_else(|| {
                    unknown("argument", name, &names).context(format!("`{fault}`"))
                })?
            }
        };
        if bound[index].is_some() {
            return Err(SpecError::new(format!(
                "`{fault}`: argument `{}` given twice",
                params[index].name
            )));
        }
        bound[index] = Some(arg.value);
    }
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;

    fn args(text: &str) -> Result<Vec<Arg<'_>>, SpecError> {
        let mut cur = Cursor::new(lex(text)?);
        let args = parse_args(&mut cur, "f")?;
        assert!(cur.at_end(), "left over in {text}");
        Ok(args)
    }

    const PARAMS: &[Param] = &[
        Param {
            name: "load",
            positional: true,
        },
        Param {
            name: "target",
            positional: false,
        },
    ];

    #[test]
    fn positional_and_named() {
        let a = args("(0.9, target = role:risk_manager)").unwrap();
        assert_eq!(
            a[0],
            Arg {
                name: None,
                value: Atom::Number("0.9")
            }
        );
        assert_eq!(
            a[1],
            Arg {
                name: Some("target"),
                value: Atom::Tagged("role", "risk_manager")
            }
        );
        assert_eq!(args("").unwrap(), vec![]);
        assert_eq!(args("()").unwrap(), vec![]);
        assert_eq!(args("(1,)").unwrap().len(), 1);
    }

    #[test]
    fn calls_are_one_level() {
        let a = args("(fraction(0.3))").unwrap();
        assert_eq!(
            a[0].value,
            Atom::Call("fraction", vec![Atom::Number("0.3")])
        );
        assert_eq!(a[0].value.to_string(), "fraction(0.3)");
        assert!(args("(fraction(fraction(0.3)))").is_err());
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            args("(0.9").unwrap_err().to_string(),
            "unclosed `(` after `f`, expected `)`"
        );
        assert_eq!(
            args("(").unwrap_err().to_string(),
            "unclosed `(` after `f`, expected `)`"
        );
        assert_eq!(
            args("(load 0.9)").unwrap_err().to_string(),
            "`f`: expected `,` or `)` after `load`, found `0.9`"
        );
        assert_eq!(
            args("(=)").unwrap_err().to_string(),
            "`f`: expected an argument value, found `=`"
        );
        assert!(args("(role:)")
            .unwrap_err()
            .to_string()
            .contains("expected a name after `role:`"));
        assert!(args("(fraction(0.3)").is_err());
    }

    #[test]
    fn binding() {
        let b = bind("f", PARAMS, args("(0.5, target = hub)").unwrap()).unwrap();
        assert_eq!(b, vec![Some(Atom::Number("0.5")), Some(Atom::Word("hub"))]);
        let b = bind("f", PARAMS, args("(target = hub)").unwrap()).unwrap();
        assert_eq!(b, vec![None, Some(Atom::Word("hub"))]);
    }

    #[test]
    fn binding_errors() {
        let err = bind("f", PARAMS, args("(0.5, hub)").unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`f` takes 1 positional argument (`load`), found more: `hub`; name the others, like `target = …`"
        );
        let err = bind("f", PARAMS, args("(taget = hub)").unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`f`: unknown argument `taget`; did you mean `target`? expected one of `load`, `target`"
        );
        let err = bind("f", PARAMS, args("(0.5, load = 0.6)").unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "`f`: argument `load` given twice");
        let err = bind("f", PARAMS, args("(target = hub, 0.5)").unwrap()).unwrap_err();
        assert!(err.to_string().contains("after a named argument"), "{err}");
    }
}
