//! `program = "CMD"` and roster entries `program("CMD") * n`: agents that are external
//! programs speaking the agent protocol (`PROTOCOL.md`). The command is split here, at compile
//! time, with the runtime's own splitter, so a command that cannot be run (empty, an unclosed
//! quote) is an error on its literal; the expansion hands the runtime the words.

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use crate::errors::Errors;

/// The words of the command in `lit`, or `None` after recording why not on `lit`.
pub(crate) fn argv(lit: &LitStr, errors: &mut Errors) -> Option<Vec<String>> {
    match swarm_test_spec::split_command(&lit.value()) {
        Ok(words) => Some(words),
        Err(e) => {
            errors.push(lit.span(), e.to_string());
            None
        }
    }
}

/// The expression that builds agent `id` (an expression of type `usize`) as the program
/// `argv`, boxed as an agent factory returns it; run in the test crate's directory.
pub(crate) fn build(argv: &[String], id: TokenStream) -> TokenStream {
    quote! {
        ::swarm_test::__private::program_agent(
            &[#(#argv),*],
            ::core::env!("CARGO_MANIFEST_DIR"),
            #id,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_split_at_compile_time_and_errors_point_at_its_literal() {
        let mut errors = Errors::default();
        let lit: LitStr = syn::parse_quote!("python3 'my agents/m.py' --fast");
        assert_eq!(
            argv(&lit, &mut errors).unwrap(),
            ["python3", "my agents/m.py", "--fast"]
        );
        let empty: LitStr = syn::parse_quote!("  ");
        assert_eq!(argv(&empty, &mut errors), None);
        let open: LitStr = syn::parse_quote!("node 'arb.js");
        assert_eq!(argv(&open, &mut errors), None);
        let messages = errors.messages();
        assert!(
            messages[0].starts_with("the program command is empty"),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("unclosed single quote"),
            "{messages:?}"
        );
        let built = build(&["node".into(), "arb.js".into()], quote!(id)).to_string();
        assert!(
            built.contains("program_agent (& [\"node\" , \"arb.js\"]"),
            "{built}"
        );
    }
}
