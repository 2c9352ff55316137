//! Tokens of the fault-spec language, and a cursor over them.
//!
//! The language is tiny: words (`cpu_spike`, `hub`, `for`), numbers with an optional unit
//! glued on (`0.9`, `3`, `50ms`, `-1`), and the punctuation `( ) , = @ :`. Whitespace separates
//! tokens and is otherwise ignored. Lexing never fails silently: any other character is an error
//! that names it.

use crate::error::{excerpt, SpecError};

/// One token, borrowing its text from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// `[A-Za-z_][A-Za-z0-9_]*`
    Word(&'a str),
    /// `-?[0-9][0-9.]*[A-Za-z_%/]*`: a number, possibly with a unit (`50ms`).
    Number(&'a str),
    /// One of `( ) , = @ :`.
    Punct(char),
}

impl Tok<'_> {
    /// The token as written, for error messages.
    pub(crate) fn text(&self) -> String {
        match self {
            Tok::Word(s) | Tok::Number(s) => excerpt(s),
            Tok::Punct(c) => c.to_string(),
        }
    }
}

/// Splits `input` into tokens.
pub(crate) fn lex(input: &str) -> Result<Vec<Tok<'_>>, SpecError> {
    let mut tokens = Vec::new();
    let mut rest = input;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let len = if c.is_ascii_alphabetic() || c == '_' {
            let len = span_of(rest, |c| c.is_ascii_alphanumeric() || c == '_');
            tokens.push(Tok::Word(&rest[..len]));
            len
        } else if c.is_ascii_digit()
            || (c == '-' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let digits = 1 + span_of(&rest[1..], |c| c.is_ascii_digit() || c == '.');
            let unit = span_of(&rest[digits..], |c| {
                c.is_ascii_alphanumeric() || c == '_' || c == '%' || c == '/'
            });
            tokens.push(Tok::Number(&rest[..digits + unit]));
            digits + unit
        } else if "(),=@:".contains(c) {
            tokens.push(Tok::Punct(c));
            1
        } else {
            return Err(SpecError::new(format!(
                "unexpected character `{c}` in `{}`",
                excerpt(input.trim())
            )));
        };
        rest = &rest[len..];
    }
    Ok(tokens)
}

/// The byte length of the longest prefix of `s` whose characters satisfy `keep`.
fn span_of(s: &str, keep: impl Fn(char) -> bool) -> usize {
    s.find(|c: char| !keep(c)).unwrap_or(s.len())
}

/// A cursor over tokens.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    tokens: Vec<Tok<'a>>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(tokens: Vec<Tok<'a>>) -> Self {
        Cursor { tokens, pos: 0 }
    }

    /// The next token, without consuming it.
    pub(crate) fn peek(&self) -> Option<Tok<'a>> {
        self.tokens.get(self.pos).copied()
    }

    /// The token after the next one, without consuming anything.
    pub(crate) fn peek_second(&self) -> Option<Tok<'a>> {
        self.tokens.get(self.pos + 1).copied()
    }

    /// Consumes and returns the next token.
    pub(crate) fn next(&mut self) -> Option<Tok<'a>> {
        let tok = self.peek();
        if tok.is_some() {
            self.pos += 1;
        }
        tok
    }

    /// Consumes the next token if it is the punctuation `c`.
    pub(crate) fn eat_punct(&mut self, c: char) -> bool {
        if self.peek() == Some(Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the next token if it is the word `w`.
    pub(crate) fn eat_word(&mut self, w: &str) -> bool {
        if self.peek() == Some(Tok::Word(w)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// True when every token was consumed.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let toks = lex("latency(50ms, jitter = 10ms) @ 1.5s for -1").unwrap();
        assert_eq!(
            toks,
            vec![
                Tok::Word("latency"),
                Tok::Punct('('),
                Tok::Number("50ms"),
                Tok::Punct(','),
                Tok::Word("jitter"),
                Tok::Punct('='),
                Tok::Number("10ms"),
                Tok::Punct(')'),
                Tok::Punct('@'),
                Tok::Number("1.5s"),
                Tok::Word("for"),
                Tok::Number("-1"),
            ]
        );
    }

    #[test]
    fn role_targets_split_on_colon() {
        let toks = lex("role:pairs_trader").unwrap();
        assert_eq!(
            toks,
            vec![
                Tok::Word("role"),
                Tok::Punct(':'),
                Tok::Word("pairs_trader")
            ]
        );
    }

    #[test]
    fn bad_characters() {
        let err = lex("crash(hub) # now").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected character `#` in `crash(hub) # now`"
        );
        assert!(lex("crash(hub) -").is_err());
        assert!(lex("é").is_err());
    }

    #[test]
    fn cursor() {
        let mut c = Cursor::new(lex("a(b)").unwrap());
        assert!(c.eat_word("a"));
        assert!(!c.eat_word("a"));
        assert!(c.eat_punct('('));
        assert_eq!(c.next(), Some(Tok::Word("b")));
        assert!(c.eat_punct(')'));
        assert!(c.at_end());
        assert_eq!(c.next(), None);
    }
}
