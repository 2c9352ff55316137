//! Collecting every error before giving up (rstest's habit), each on its own span.

use proc_macro2::{Span, TokenStream};

/// The errors found so far, in the order found, without repeats.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
    seen: Vec<String>,
}

impl Errors {
    /// Records `message` at `span`, unless the same message was already recorded there
    /// (each case of a parametrised test checks the same keys again).
    pub(crate) fn push(&mut self, span: Span, message: impl Into<String>) {
        let message = message.into();
        let id = format!("{message}@{span:?}");
        if !self.seen.contains(&id) {
            self.seen.push(id);
            self.errors.push(syn::Error::new(span, message));
        }
    }

    /// Records `message` on the whole of `tokens` (first to last token).
    pub(crate) fn push_spanned(
        &mut self,
        tokens: impl quote::ToTokens,
        message: impl Into<String>,
    ) {
        let message = message.into();
        let tokens = tokens.into_token_stream();
        let first = tokens.clone().into_iter().next().map(|t| t.span());
        let id = format!("{message}@{first:?}:{tokens}");
        if !self.seen.contains(&id) {
            self.seen.push(id);
            self.errors.push(syn::Error::new_spanned(tokens, message));
        }
    }

    /// How many errors were recorded.
    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    /// True when nothing went wrong.
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per error.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }

    /// The messages, for tests.
    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.errors.iter().map(ToString::to_string).collect()
    }
}
