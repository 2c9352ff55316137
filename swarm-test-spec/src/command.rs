//! An agent program's command line (`program = "python3 agents/momentum.py"`), split into the
//! program and its arguments the way a shell splits words: whitespace separates, `'…'` is
//! literal, `"…"` keeps spaces and lets `\` escape `"` and `\`, and `\` outside quotes escapes
//! the next character. No variables, globs, pipes or redirections: the program is run
//! directly, not through a shell.

/// Why a command cannot be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Nothing but whitespace.
    Empty,
    /// A quote that is never closed (`"single"` or `"double"`).
    Unclosed(&'static str),
    /// A `\` at the very end.
    TrailingBackslash,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::Empty => f.write_str(
                "the program command is empty: write the program and its arguments, like \
                 \"python3 agents/momentum.py\"",
            ),
            CommandError::Unclosed(which) => {
                write!(f, "the program command has an unclosed {which} quote")
            }
            CommandError::TrailingBackslash => {
                f.write_str("the program command ends with a lone backslash")
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// Splits `command` into the program and its arguments.
///
/// ```
/// use swarm_test_spec::split_command;
///
/// assert_eq!(split_command("python3 agents/momentum.py")?, ["python3", "agents/momentum.py"]);
/// assert_eq!(split_command(r#"node "my agents/arb.js" --edge='3 bps'"#)?, ["node", "my agents/arb.js", "--edge=3 bps"]);
/// assert!(split_command("  ").is_err());
/// # Ok::<(), swarm_test_spec::CommandError>(())
/// ```
pub fn split_command(command: &str) -> Result<Vec<String>, CommandError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word has started (so `''` is an empty argument, not nothing).
    let mut started = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or(CommandError::TrailingBackslash)?);
                started = true;
            }
            '\'' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(CommandError::Unclosed("single")),
                    }
                }
            }
            '"' => {
                started = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(CommandError::Unclosed("double")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(CommandError::Unclosed("double")),
                    }
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    if words.is_empty() {
        return Err(CommandError::Empty);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_a_shell_would() {
        assert_eq!(split_command(" a  b\tc ").unwrap(), ["a", "b", "c"]);
        assert_eq!(split_command(r"a\ b").unwrap(), ["a b"]);
        assert_eq!(
            split_command(r#"a "b \"c\" \d""#).unwrap(),
            ["a", r#"b "c" \d"#]
        );
        assert_eq!(split_command("a '' b").unwrap(), ["a", "", "b"]);
        assert_eq!(split_command("a'b c'd").unwrap(), ["ab cd"]);
        assert_eq!(split_command(""), Err(CommandError::Empty));
        assert_eq!(split_command("a 'b"), Err(CommandError::Unclosed("single")));
        assert_eq!(
            split_command("a \"b"),
            Err(CommandError::Unclosed("double"))
        );
        assert_eq!(split_command("a \\"), Err(CommandError::TrailingBackslash));
    }
}
