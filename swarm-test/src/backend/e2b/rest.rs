//! The control-plane REST client: create, get, delete, list, set timeout.
//!
//! Requests as the official SDKs send them (E2B.md part (a)): `X-API-Key`, `POST
//! /v2/sandboxes` with the v2 body and `timeout` always set, `Idempotency-Key` on creates
//! (the same key on every retry, so a retried create never makes a second sandbox), list
//! pages followed through `X-Next-Token` to the end.
//!
//! Retries, as the SDKs do them: 429 waits `Retry-After` (integer seconds) or backs off,
//! while the waits stay within the budget; 502, 503, 504 (an HTML 502 included) and
//! connection failures get [`RETRIES`] retries with jittered exponential backoff.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::error::{body_message, E2bError};
use super::secret::Secret;
use super::settings::Settings;

/// Retries after a 5xx or a connection failure.
pub const RETRIES: u32 = 3;
/// The default budget of time spent waiting on 429s, per request.
pub const RATE_LIMIT_BUDGET: Duration = Duration::from_secs(60);

/// A created (or connected) sandbox.
#[derive(Debug, Clone)]
pub struct Created {
    /// `sandboxID`.
    pub id: String,
    /// `envdAccessToken`: sent as `X-Access-Token` to envd.
    pub envd_token: Option<Secret>,
    /// `domain`, when the answer names one.
    pub domain: Option<String>,
    /// `envdVersion`.
    pub envd_version: String,
}

/// A sandbox as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `sandboxID`.
    pub id: String,
    /// `templateID`.
    pub template: String,
    /// `metadata`.
    pub metadata: BTreeMap<String, String>,
    /// `state`: `running` or `paused`.
    pub state: String,
    /// `startedAt`.
    pub started_at: String,
    /// `endAt`.
    pub end_at: String,
}

impl Listed {
    fn from_json(v: &Value) -> Result<Listed, E2bError> {
        let s = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_owned)
                .ok_or_else(|| E2bError::Protocol(format!("a listed sandbox without `{k}`")))
        };
        let metadata = v
            .get("metadata")
            .and_then(|m| m.as_object())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Listed {
            id: s("sandboxID")?,
            template: s("templateID")?,
            metadata,
            state: s("state").unwrap_or_else(|_| "running".into()),
            started_at: s("startedAt").unwrap_or_default(),
            end_at: s("endAt").unwrap_or_default(),
        })
    }
}

/// What to create.
#[derive(Debug, Clone, Default)]
pub struct NewSandbox {
    /// `templateID`.
    pub template: String,
    /// `timeout`, seconds.
    pub timeout_s: u64,
    /// `metadata`.
    pub metadata: BTreeMap<String, String>,
    /// `envVars`.
    pub env_vars: BTreeMap<String, String>,
    /// `Idempotency-Key` (1–255 of `[a-z0-9-]`).
    pub idempotency_key: String,
}

/// The REST client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    settings: Arc<Settings>,
    /// The time 429s may cost one request.
    pub(crate) rate_limit_budget: Duration,
}

/// A status, its headers and its body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

/// The HTTP client both E2B clients share: rustls over `ring`, HTTP/1.1.
pub(crate) fn http_client() -> Result<reqwest::Client, E2bError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        .user_agent(concat!("swarm-test/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| E2bError::Config(format!("could not build the HTTP client: {e}")))
}

/// `[0.5, 1)` from the clock's nanoseconds: jitter for live retries (never in mock mode).
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    0.5 + f64::from(nanos % 1000) / 2000.0
}

/// The SDKs' backoff: `min(0.1 s · 2^attempt, 10 s) × [0.5, 1)`.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_secs_f64((0.1 * 2f64.powi(attempt as i32)).min(10.0) * jitter())
}

/// Percent-encodes a query component (everything but RFC 3986's unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Rest {
    /// A client for `settings`.
    pub fn new(settings: Arc<Settings>) -> Result<Rest, E2bError> {
        Ok(Rest {
            http: http_client()?,
            settings,
            rate_limit_budget: RATE_LIMIT_BUDGET,
        })
    }

    /// The same client with another budget for waiting on 429s (the default value is
    /// [`RATE_LIMIT_BUDGET`]).
    pub fn with_rate_limit_budget(mut self, budget: Duration) -> Rest {
        self.rate_limit_budget = budget;
        self
    }

    /// An envd client for a created sandbox, on the same HTTP client.
    pub fn envd(&self, created: &Created) -> super::envd::Envd {
        super::envd::Envd::new(
            self.http.clone(),
            self.settings
                .envd_url(&created.id, created.domain.as_deref()),
            created.id.clone(),
            created.envd_token.clone(),
        )
    }

    /// The settings it uses.
    pub fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }

    /// Sends a request built by `build` (again for every retry) under the retry rules of the
    /// module docs; returns the first answer that is not retried.
    async fn send(
        &self,
        path: &str,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<Answer, E2bError> {
        let url = format!("{}{path}", self.settings.api_url);
        let (mut retries, mut waited, mut attempts) = (0u32, Duration::ZERO, 0u32);
        loop {
            attempts += 1;
            let request = build(&self.http, &url)
                .header("X-API-Key", self.settings.api_key.expose())
                .timeout(Duration::from_secs(60));
            let answer = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let body = response
                        .bytes()
                        .await
                        .map(|b| b.to_vec())
                        .unwrap_or_default();
                    Answer {
                        status,
                        headers,
                        body,
                    }
                }
                Err(e) if (e.is_connect() || e.is_timeout()) && retries < RETRIES => {
                    tokio::time::sleep(backoff(retries)).await;
                    retries += 1;
                    continue;
                }
                Err(e) => {
                    return Err(E2bError::Transport {
                        url,
                        message: e.to_string(),
                    })
                }
            };
            let should = answer
                .headers
                .get("should-retry")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.eq_ignore_ascii_case("true"));
            let retryable = should.unwrap_or(E2bError::is_retryable_status(answer.status));
            if !retryable || answer.status < 400 {
                return Ok(answer);
            }
            let message = body_message(&answer.body);
            if answer.status == 429 {
                let wait = answer
                    .headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or_else(|| backoff(attempts));
                if waited + wait > self.rate_limit_budget {
                    return Err(E2bError::RateLimited {
                        message,
                        attempts,
                        waited_ms: waited.as_millis() as u64,
                    });
                }
                tokio::time::sleep(wait).await;
                waited += wait;
                continue;
            }
            if retries >= RETRIES {
                return Err(E2bError::Unavailable {
                    status: answer.status,
                    message,
                    attempts,
                });
            }
            tokio::time::sleep(backoff(retries)).await;
            retries += 1;
        }
    }

    /// The error for an answer that is not a success.
    fn failure(answer: &Answer, what: impl FnOnce() -> String) -> E2bError {
        let message = body_message(&answer.body);
        match answer.status {
            401 | 403 => E2bError::Unauthorized { message },
            404 => E2bError::NotFound {
                what: what(),
                message,
            },
            429 => E2bError::RateLimited {
                message,
                attempts: 1,
                waited_ms: 0,
            },
            s @ (502..=504) => E2bError::Unavailable {
                status: s,
                message,
                attempts: 1,
            },
            status => E2bError::Api { status, message },
        }
    }

    /// `POST /v2/sandboxes`: 201 with the sandbox.
    pub async fn create(&self, new: &NewSandbox) -> Result<Created, E2bError> {
        let body = json!({
            "templateID": new.template,
            "timeout": new.timeout_s,
            "metadata": new.metadata,
            "envVars": new.env_vars,
        })
        .to_string();
        let answer = self
            .send("/v2/sandboxes", |http, url| {
                http.post(url)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", &new.idempotency_key)
                    .body(body.clone())
            })
            .await?;
        if answer.status != 201 && answer.status != 200 {
            return Err(Self::failure(&answer, || {
                format!("template {:?}", new.template)
            }));
        }
        let v: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| E2bError::Protocol(format!("the create answer is not JSON: {e}")))?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        Ok(Created {
            id: field("sandboxID")
                .ok_or_else(|| E2bError::Protocol("a create answer without sandboxID".into()))?,
            envd_token: field("envdAccessToken").map(Secret::new),
            domain: field("domain"),
            envd_version: field("envdVersion").unwrap_or_default(),
        })
    }

    /// `GET /sandboxes/{id}`.
    pub async fn get(&self, id: &str) -> Result<Listed, E2bError> {
        let path = format!("/sandboxes/{}", encode(id));
        let answer = self.send(&path, |http, url| http.get(url)).await?;
        if answer.status != 200 {
            return Err(Self::failure(&answer, || format!("sandbox {id}")));
        }
        let v: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| E2bError::Protocol(format!("the sandbox answer is not JSON: {e}")))?;
        Listed::from_json(&v)
    }

    /// `DELETE /sandboxes/{id}`: `true` when it was killed (204), `false` when it did not
    /// exist (404).
    pub async fn delete(&self, id: &str) -> Result<bool, E2bError> {
        let path = format!("/sandboxes/{}", encode(id));
        let answer = self.send(&path, |http, url| http.delete(url)).await?;
        match answer.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(Self::failure(&answer, || format!("sandbox {id}"))),
        }
    }

    /// `POST /sandboxes/{id}/timeout`: the sandbox now ends `timeout_s` from now.
    pub async fn set_timeout(&self, id: &str, timeout_s: u64) -> Result<(), E2bError> {
        let path = format!("/sandboxes/{}/timeout", encode(id));
        let body = json!({ "timeout": timeout_s }).to_string();
        let answer = self
            .send(&path, |http, url| {
                http.post(url)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
            })
            .await?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(Self::failure(&answer, || format!("sandbox {id}")))
        }
    }

    /// `GET /v2/sandboxes` with a metadata filter (every pair must match) and states,
    /// following `X-Next-Token` to the last page.
    pub async fn list(
        &self,
        metadata: &BTreeMap<String, String>,
        states: &[&str],
    ) -> Result<Vec<Listed>, E2bError> {
        let mut query = Vec::new();
        if !metadata.is_empty() {
            let pairs: Vec<String> = metadata
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            query.push(format!("metadata={}", encode(&pairs.join("&"))));
        }
        if !states.is_empty() {
            query.push(format!("state={}", encode(&states.join(","))));
        }
        query.push("limit=100".into());
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = query.clone();
            if let Some(t) = &token {
                q.push(format!("nextToken={}", encode(t)));
            }
            let path = format!("/v2/sandboxes?{}", q.join("&"));
            let answer = self.send(&path, |http, url| http.get(url)).await?;
            if answer.status != 200 {
                return Err(Self::failure(&answer, || "the sandbox list".into()));
            }
            let page: Vec<Value> = serde_json::from_slice(&answer.body).map_err(|e| {
                E2bError::Protocol(format!("the list answer is not a JSON array: {e}"))
            })?;
            for v in &page {
                out.push(Listed::from_json(v)?);
            }
            token = answer
                .headers
                .get("x-next-token")
                .and_then(|v| v.to_str().ok())
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
            if page.is_empty() {
                return Err(E2bError::Protocol(
                    "an empty list page with a next token (the listing would never end)".into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 0..20 {
            let b = backoff(attempt).as_secs_f64();
            let base = (0.1 * 2f64.powi(attempt as i32)).min(10.0);
            assert!(b >= base * 0.5 && b < base, "attempt {attempt}: {b}");
        }
        assert_eq!(encode("a b/c=d&e"), "a%20b%2Fc%3Dd%26e");
    }
}
