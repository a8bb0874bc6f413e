//! `[smtp]`, `[[recipients]]` and `[digest]`: who gets e-mail, and how it is sent.

use std::time::Duration;

use serde::Deserialize;

use crate::core::config::humantime_serde_compat;

/// `[smtp]`
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// `smtp://host:port` (STARTTLS), `smtps://host:port` (TLS), or `file://DIR`.
    pub url: String,
    /// From address, e.g. `vigie <vigie@example.org>`.
    pub from: String,
    /// Login; the password comes from `VIGIE_SMTP_PASSWORD`, never from this file.
    #[serde(default)]
    pub username: Option<String>,
    /// How long a send attempt holds an e-mail before another worker (or a restart) may retry it.
    #[serde(default = "default_lease", with = "humantime_serde_compat")]
    pub lease: Duration,
    /// First retry delay after a temporary failure; doubles each time.
    #[serde(default = "default_retry_base", with = "humantime_serde_compat")]
    pub retry_base: Duration,
    /// Longest retry delay.
    #[serde(default = "default_retry_max", with = "humantime_serde_compat")]
    pub retry_max: Duration,
}

fn default_lease() -> Duration {
    Duration::from_secs(120)
}
fn default_retry_base() -> Duration {
    Duration::from_secs(30)
}
fn default_retry_max() -> Duration {
    Duration::from_secs(3600)
}

impl Smtp {
    /// Sender settings from this section.
    pub fn sender(&self) -> crate::notify::sender::SenderConfig {
        crate::notify::sender::SenderConfig {
            lease: self.lease,
            retry_base: self.retry_base,
            retry_max: self.retry_max,
            batch: 20,
        }
    }

    /// The URL handed to the SMTP transport. `smtp://` means STARTTLS *required*, so
    /// credentials never cross in clear; plain SMTP only with an explicit `?tls=none`,
    /// and never with a username (the password would go in clear). `smtps://` is TLS from
    /// the first byte. The error says what to write instead.
    pub fn transport_url(&self) -> Result<String, String> {
        let Ok(mut u) = url::Url::parse(&self.url) else {
            return Ok(self.url.clone());
        };
        if u.scheme() != "smtp" {
            return Ok(self.url.clone());
        }
        let tls = u
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let others: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != "tls")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let tls = match tls.as_deref() {
            None | Some("required") => Some("required"),
            Some("none") if self.username.is_some() => {
                return Err("?tls=none sends the password in clear: remove smtp.username, or drop ?tls=none to require STARTTLS".into())
            }
            Some("none") => None,
            Some(other) => {
                return Err(format!(
                    "tls={other:?}: write ?tls=required (the default: STARTTLS required) or ?tls=none (plain, never with a password)"
                ))
            }
        };
        {
            let mut q = u.query_pairs_mut();
            q.clear();
            for (k, v) in &others {
                q.append_pair(k, v);
            }
            if let Some(t) = tls {
                q.append_pair("tls", t);
            }
        }
        if u.query() == Some("") {
            u.set_query(None);
        }
        Ok(u.to_string())
    }
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("url", &crate::core::config::redact_url(&self.url))
            .field("from", &self.from)
            .field("username", &self.username)
            .finish()
    }
}

/// `[[recipients]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Person or team name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// "fr" | "nl" | "en": language of the e-mails this person gets.
    #[serde(default = "default_recipient_lang")]
    pub language: String,
    /// Receives alert e-mails.
    #[serde(default)]
    pub alerts: bool,
    /// Receives the daily digest.
    #[serde(default)]
    pub digest: bool,
    /// Receives the weekly report of recurring questions (Mondays, at the digest time).
    #[serde(default)]
    pub weekly: bool,
    /// Local hours without non-critical alerts, e.g. "22:00-07:00".
    #[serde(default)]
    pub quiet_hours: Option<String>,
}

fn default_recipient_lang() -> String {
    "en".into()
}

/// `[digest]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// Local time of day, "HH:MM".
    #[serde(default = "default_digest_at")]
    pub at: String,
    /// IANA time zone, e.g. "Europe/Brussels".
    #[serde(default = "default_tz")]
    pub timezone: String,
    /// Send the digest every day (set false to only render it on demand).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn default_digest_at() -> String {
    "08:00".into()
}
fn default_tz() -> String {
    "Europe/Brussels".into()
}

impl Default for Digest {
    fn default() -> Self {
        Digest {
            at: default_digest_at(),
            timezone: default_tz(),
            enabled: true,
        }
    }
}

/// What the notify stage needs from the whole config: who gets what, and how it reads.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `[institution] name`, in the e-mails.
    pub institution: String,
    /// `[[recipients]]`
    pub recipients: Vec<Recipient>,
    /// `[digest]`
    pub digest: Digest,
    /// `[alerts]`
    pub alerts: super::alerts::AlertsConfig,
    /// `[[topics]]`, for their labels.
    pub topics: Vec<crate::core::classification::Topic>,
    /// Time zone of the digest and of the times shown.
    pub tz: chrono_tz::Tz,
    /// The working-day calendar of the answer clocks (working-time figures).
    pub calendar: crate::core::calendar::Calendar,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(url: &str, username: Option<&str>) -> Smtp {
        Smtp {
            url: url.into(),
            from: "a@b.c".into(),
            username: username.map(str::to_string),
            lease: default_lease(),
            retry_base: default_retry_base(),
            retry_max: default_retry_max(),
        }
    }

    /// Regression (#14): `smtp://host:587` sent AUTH PLAIN before any STARTTLS.
    #[test]
    fn smtp_means_starttls_required_and_plain_never_carries_a_password() {
        let u = smtp("smtp://mail.example.org:587", Some("vigie"))
            .transport_url()
            .unwrap();
        assert_eq!(u, "smtp://mail.example.org:587?tls=required");
        let plain = smtp("smtp://127.0.0.1:2525?tls=none", None)
            .transport_url()
            .unwrap();
        assert_eq!(plain, "smtp://127.0.0.1:2525");
        assert!(smtp("smtp://127.0.0.1:2525?tls=none", Some("vigie"))
            .transport_url()
            .unwrap_err()
            .contains("in clear"));
        assert!(smtp("smtp://h:25?tls=opportunistic", None)
            .transport_url()
            .is_err());
        assert_eq!(
            smtp("smtps://h:465", Some("vigie"))
                .transport_url()
                .unwrap(),
            "smtps://h:465"
        );
    }

    #[test]
    fn smtp_debug_hides_password() {
        let s = Smtp {
            url: "smtp://user:hunter2@mail.example.org:587".into(),
            from: "a@b.c".into(),
            username: None,
            lease: default_lease(),
            retry_base: default_retry_base(),
            retry_max: default_retry_max(),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
