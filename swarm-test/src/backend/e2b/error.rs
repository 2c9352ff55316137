//! What can go wrong talking to E2B, each error saying what to do about it.
//!
//! REST errors come from the API's `{"code", "message"}` bodies (or, for a load balancer's
//! HTML 502, from the status alone); envd errors from Connect's `{"code", "message"}`.
//! No variant ever holds the API key or an access token.

/// An E2B operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum E2bError {
    /// No API key.
    #[error(
        "E2B_API_KEY is not set: create a key in the E2B dashboard and export E2B_API_KEY \
         (it is never printed)"
    )]
    NoApiKey,
    /// A setting that cannot be used.
    #[error("{0}")]
    Config(String),
    /// 401.
    #[error(
        "E2B rejected the API key (401: {message}): set E2B_API_KEY to a valid key of your team"
    )]
    Unauthorized {
        /// The server's message.
        message: String,
    },
    /// 429, after waiting within the budget.
    #[error(
        "E2B rate-limited the request (429: {message}) and it still failed after {attempts} \
         attempts and {waited_ms} ms of waiting: lower SWARM_TEST_E2B_CREATE_RATE or \
         SWARM_TEST_E2B_MAX_SANDBOXES, or raise your team's limits"
    )]
    RateLimited {
        /// The server's message.
        message: String,
        /// Attempts made.
        attempts: u32,
        /// Time spent waiting between them.
        waited_ms: u64,
    },
    /// 404.
    #[error("{what} was not found (404: {message})")]
    NotFound {
        /// The thing asked for.
        what: String,
        /// The server's message.
        message: String,
    },
    /// 502, 503, 504 (or an HTML 502), after bounded retries.
    #[error(
        "E2B is unavailable ({status}: {message}) after {attempts} attempts: retry later \
         (the service's status page says whether it is down)"
    )]
    Unavailable {
        /// The last status.
        status: u16,
        /// The server's message, or what its body looked like.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Any other status.
    #[error("E2B answered {status}: {message}")]
    Api {
        /// The status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The request never got an answer.
    #[error(
        "could not reach E2B at {url}: {message}: check E2B_DOMAIN / E2B_API_URL / \
         E2B_SANDBOX_URL and the network"
    )]
    Transport {
        /// Where (no secrets in it).
        url: String,
        /// What failed.
        message: String,
    },
    /// envd answered with a Connect error, or the sandbox is gone.
    #[error("envd of sandbox {sandbox}: {code}: {message}")]
    Envd {
        /// The sandbox.
        sandbox: String,
        /// The Connect code (`not_found`, `unavailable`, ...) or the HTTP status.
        code: String,
        /// What envd said.
        message: String,
    },
    /// A process stream ended without its end event (cut, or the sandbox died).
    #[error("the process stream of sandbox {sandbox} ended early: {message}")]
    StreamEnded {
        /// The sandbox.
        sandbox: String,
        /// How it ended.
        message: String,
    },
    /// An answer that does not follow the protocol.
    #[error("E2B's answer does not follow the protocol: {0}")]
    Protocol(String),
}

impl E2bError {
    /// Whether a retry may succeed (the statuses the official SDKs retry).
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 429 | 502 | 503 | 504)
    }
}

/// The `message` of an error body, or a short, printable account of a body that is not JSON.
pub(crate) fn body_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(m) = v.get("message").and_then(|m| m.as_str()) {
            return m.to_owned();
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.starts_with('<') {
        return "an HTML page instead of a JSON error (a proxy or load balancer answered)".into();
    }
    let short: String = text.chars().take(200).collect();
    if short.is_empty() {
        "an empty body".into()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_from_the_body_or_describe_it() {
        assert_eq!(body_message(br#"{"code":404,"message":"nope"}"#), "nope");
        assert!(body_message(b"<html>502</html>").contains("HTML"));
        assert_eq!(body_message(b""), "an empty body");
    }
}
