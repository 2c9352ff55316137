//! Attribute keys written as text, `agents = 3, inject = ["crash(1) @ 0s"]`: the syntax of
//! the `#[swarm_test(...)]` attribute's contents, for a run-time override of a test's keys
//! (the runtime's `SWARM_TEST_SHRUNK`). Each value is then checked by
//! [`SpecBuilder`](crate::SpecBuilder) like the attribute's own.

use crate::error::{excerpt, SpecError};
use crate::value::Value;

/// Parses `key = value, key = [value, ...]` into keys and their values, in order: a list
/// gives all its values (`[]` none), a single value one. Values are `"strings"` (with `\"`
/// and `\\` escapes), unsigned integers and `true` / `false`.
///
/// ```
/// use swarm_test_spec::{parse_keys, Value};
///
/// let keys = parse_keys(r#"agents = 3, inject = ["crash(1) @ 0s"], snapshot = false"#)?;
/// assert_eq!(keys[0], ("agents".to_owned(), vec![Value::Int(3)]));
/// assert_eq!(keys[1].1, vec![Value::Str("crash(1) @ 0s".into())]);
/// assert_eq!(keys[2].1, vec![Value::Bool(false)]);
/// assert!(parse_keys("agents 3").unwrap_err().to_string().contains("expected `=`"));
/// # Ok::<(), swarm_test_spec::SpecError>(())
/// ```
pub fn parse_keys(text: &str) -> Result<Vec<(String, Vec<Value>)>, SpecError> {
    let mut cur = Chars {
        rest: text,
        all: text,
    };
    let mut keys = Vec::new();
    loop {
        cur.skip_space();
        if cur.rest.is_empty() {
            return Ok(keys);
        }
        let key = cur
            .word()
            .ok_or_else(|| cur.expected("a key like `agents`"))?;
        cur.skip_space();
        if !cur.eat('=') {
            return Err(cur.expected(&format!("`=` after `{key}`")));
        }
        cur.skip_space();
        let values = if cur.eat('[') {
            let mut values = Vec::new();
            loop {
                cur.skip_space();
                if cur.eat(']') {
                    break;
                }
                values.push(cur.value()?);
                cur.skip_space();
                if !cur.eat(',') {
                    cur.skip_space();
                    if !cur.eat(']') {
                        return Err(cur.expected("`,` or `]` in the list"));
                    }
                    break;
                }
            }
            values
        } else {
            vec![cur.value()?]
        };
        keys.push((key.to_owned(), values));
        cur.skip_space();
        if !cur.rest.is_empty() && !cur.eat(',') {
            return Err(cur.expected("`,` between keys"));
        }
    }
}

struct Chars<'a> {
    rest: &'a str,
    all: &'a str,
}

impl<'a> Chars<'a> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn word(&mut self) -> Option<&'a str> {
        let len = self
            .rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(len);
        (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit())).then(|| {
            self.rest = rest;
            word
        })
    }

    fn value(&mut self) -> Result<Value, SpecError> {
        if self.eat('"') {
            let mut out = String::new();
            let mut chars = self.rest.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.rest = &self.rest[i + 1..];
                        return Ok(Value::Str(out));
                    }
                    '\\' => match chars.next() {
                        Some((_, e @ ('"' | '\\'))) => out.push(e),
                        _ => return Err(self.expected("`\\\"` or `\\\\` after `\\`")),
                    },
                    c => out.push(c),
                }
            }
            return Err(self.expected("a closing `\"`"));
        }
        let len = self
            .rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(self.rest.len());
        let (token, rest) = self.rest.split_at(len);
        let value = match token {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            n => Value::Int(n.parse().map_err(|_| {
                self.expected("a value: a \"string\", an unsigned integer, `true` or `false`")
            })?),
        };
        self.rest = rest;
        Ok(value)
    }

    fn expected(&self, what: &str) -> SpecError {
        let at = self.all.len() - self.rest.len();
        SpecError::new(format!(
            "expected {what} at character {} of `{}`",
            at + 1,
            excerpt(self.all.trim())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lists_and_values() {
        let keys = parse_keys(
            r#" agents=2 , trades = 4, inject = [], timeout = "2s", x = ["a \"b\"", "c",] "#,
        )
        .unwrap();
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["agents", "trades", "inject", "timeout", "x"]);
        assert_eq!(keys[2].1, vec![]);
        assert_eq!(
            keys[4].1,
            vec![Value::Str("a \"b\"".into()), Value::Str("c".into())]
        );
        assert_eq!(parse_keys("").unwrap(), vec![]);
    }

    #[test]
    fn errors_say_what_was_expected_and_where() {
        let e = |t: &str| parse_keys(t).unwrap_err().to_string();
        assert_eq!(
            e("agents = 3 trades = 4"),
            "expected `,` between keys at character 12 of `agents = 3 trades = 4`"
        );
        assert!(
            e("agents = three").contains("expected a value"),
            "{}",
            e("agents = three")
        );
        assert!(e("inject = \"crash").contains("a closing `\"`"));
        assert!(e("inject = [\"a\" \"b\"]").contains("`,` or `]`"));
        assert!(e("= 3").contains("expected a key"));
        assert!(e("3 = 3").contains("expected a key"));
    }
}
