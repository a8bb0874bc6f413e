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
}

#[cfg(test)]
mod tests {
    use super::*;

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
