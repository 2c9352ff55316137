//! The E2B settings from the environment, with the URLs derived as the official SDKs do.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `E2B_API_KEY` | the team's API key (never printed) | required |
//! | `E2B_DOMAIN` | the service's domain | `e2b.app` |
//! | `E2B_API_URL` | the REST base URL, verbatim | `https://api.<domain>` |
//! | `E2B_SANDBOX_URL` | envd's base URL for every sandbox, verbatim | `https://sandbox.<domain>` for E2B's own domains, else `https://49983-<id>.<domain>` |
//! | `SWARM_TEST_E2B_TEMPLATE` | the sandbox template | `base` |
//! | `SWARM_TEST_E2B_MAX_SANDBOXES` | sandboxes alive at once, per test process | 20 |
//! | `SWARM_TEST_E2B_CREATE_RATE` | creates per second, per test process | 1 |
//! | `SWARM_TEST_E2B_LEASE` | a sandbox's timeout in seconds, renewed by the heartbeat | 60 |
//! | `SWARM_TEST_E2B_OWNER` | the `swarm-test-owner` tag | `$USER@$HOSTNAME` |

use super::error::E2bError;
use super::secret::Secret;

/// envd's port in every sandbox.
pub(crate) const ENVD_PORT: u16 = 49983;

/// The domains whose envd is reached through the shared `sandbox.<domain>` host.
const SHARED_HOST_DOMAINS: [&str; 4] = ["e2b.app", "e2b.dev", "e2b.pro", "e2b-staging.dev"];

/// The settings. See the module docs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `E2B_API_KEY`.
    pub api_key: Secret,
    /// `E2B_DOMAIN`.
    pub domain: String,
    /// The REST base URL, without a trailing `/`.
    pub api_url: String,
    /// `E2B_SANDBOX_URL`, when set.
    pub sandbox_url: Option<String>,
    /// `SWARM_TEST_E2B_TEMPLATE`.
    pub template: String,
    /// `SWARM_TEST_E2B_MAX_SANDBOXES`.
    pub max_sandboxes: usize,
    /// `SWARM_TEST_E2B_CREATE_RATE`, creates per second.
    pub create_rate: f64,
    /// `SWARM_TEST_E2B_LEASE`, seconds.
    pub lease_s: u64,
    /// `SWARM_TEST_E2B_OWNER`.
    pub owner: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, E2bError> {
        Settings::from_lookup(|v| std::env::var(v).ok())
    }

    /// Reads the settings through `lookup`; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, E2bError> {
        let get = |v: &str| {
            lookup(v)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let api_key = Secret::new(get("E2B_API_KEY").ok_or(E2bError::NoApiKey)?);
        let domain = get("E2B_DOMAIN").unwrap_or_else(|| "e2b.app".into());
        let api_url = get("E2B_API_URL")
            .unwrap_or_else(|| format!("https://api.{domain}"))
            .trim_end_matches('/')
            .to_owned();
        let sandbox_url = get("E2B_SANDBOX_URL").map(|u| u.trim_end_matches('/').to_owned());
        let number = |var: &'static str, default: f64, min: f64| -> Result<f64, E2bError> {
            match get(var) {
                None => Ok(default),
                Some(v) => match v.parse::<f64>() {
                    Ok(n) if n.is_finite() && n >= min => Ok(n),
                    _ => Err(E2bError::Config(format!(
                        "{var}={v:?} is not valid: expected a number ≥ {min} (default {default})"
                    ))),
                },
            }
        };
        let max_sandboxes = number("SWARM_TEST_E2B_MAX_SANDBOXES", 20.0, 1.0)? as usize;
        let create_rate = number("SWARM_TEST_E2B_CREATE_RATE", 1.0, 0.01)?;
        let lease_s = number("SWARM_TEST_E2B_LEASE", 60.0, 1.0)? as u64;
        let owner = get("SWARM_TEST_E2B_OWNER").unwrap_or_else(|| {
            let user = lookup("USER").unwrap_or_else(|| "unknown".into());
            let host = std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "localhost".into());
            format!("{user}@{host}")
        });
        Ok(Settings {
            api_key,
            domain,
            api_url,
            sandbox_url,
            template: get("SWARM_TEST_E2B_TEMPLATE").unwrap_or_else(|| "base".into()),
            max_sandboxes,
            create_rate,
            lease_s,
            owner,
        })
    }

    /// envd's base URL for sandbox `id` (and `domain`, the create answer's, if any).
    pub fn envd_url(&self, id: &str, domain: Option<&str>) -> String {
        if let Some(url) = &self.sandbox_url {
            return url.clone();
        }
        let domain = domain.unwrap_or(&self.domain);
        if SHARED_HOST_DOMAINS.contains(&domain) {
            format!("https://sandbox.{domain}")
        } else {
            format!("https://{ENVD_PORT}-{id}.{domain}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, E2bError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|var| vars.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone()))
    }

    #[test]
    fn urls_are_derived_as_the_sdks_do() {
        let s = settings(&[("E2B_API_KEY", "k")]).unwrap();
        assert_eq!(s.api_url, "https://api.e2b.app");
        assert_eq!(s.envd_url("isbx1", None), "https://sandbox.e2b.app");
        let s = settings(&[("E2B_API_KEY", "k"), ("E2B_DOMAIN", "my.example")]).unwrap();
        assert_eq!(s.api_url, "https://api.my.example");
        assert_eq!(s.envd_url("isbx1", None), "https://49983-isbx1.my.example");
        let s = settings(&[
            ("E2B_API_KEY", "k"),
            ("E2B_API_URL", "http://127.0.0.1:9/"),
            ("E2B_SANDBOX_URL", "http://127.0.0.1:9"),
        ])
        .unwrap();
        assert_eq!(s.api_url, "http://127.0.0.1:9");
        assert_eq!(s.envd_url("x", Some("e2b.app")), "http://127.0.0.1:9");
        assert_eq!(
            (s.max_sandboxes, s.create_rate, s.template.as_str()),
            (20, 1.0, "base")
        );
    }

    #[test]
    fn a_missing_key_or_a_bad_limit_says_what_to_set() {
        let e = settings(&[]).unwrap_err().to_string();
        assert!(e.contains("E2B_API_KEY"), "{e}");
        let e = settings(&[("E2B_API_KEY", "k"), ("SWARM_TEST_E2B_CREATE_RATE", "fast")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("SWARM_TEST_E2B_CREATE_RATE=\"fast\""), "{e}");
    }
}
