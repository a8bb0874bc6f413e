//! `[fetch]`: how every source talks to servers.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::core::config::humantime_serde_compat;

/// `[fetch]`: how we talk to servers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    /// Contact put in the User-Agent (an e-mail address or URL) so site owners can reach us.
    #[serde(default)]
    pub contact: Option<String>,
    /// Per-request timeout, e.g. "20s".
    #[serde(default = "default_timeout", with = "humantime_serde_compat")]
    pub timeout: Duration,
    /// Largest body accepted, in MiB.
    #[serde(default = "default_max_body")]
    pub max_body_mib: u64,
    /// Sources fetched at the same time.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Longest wait between retries of a failing source, e.g. "6h".
    #[serde(default = "default_max_backoff", with = "humantime_serde_compat")]
    pub max_backoff: Duration,
    /// Follow redirects to, and resolve names to, loopback, link-local, private and
    /// unique-local addresses for hosts the config does not name (intranet feeds).
    #[serde(default)]
    pub allow_private: bool,
    /// Hosts pinned to an address, like curl's `--resolve` (for names the daemon's DNS
    /// does not know); pinned hosts are trusted.
    #[serde(default)]
    pub resolve: BTreeMap<String, IpAddr>,
    /// Most items taken from one poll; the rest is ignored, with a warning.
    #[serde(default = "default_max_items")]
    pub max_items: usize,
    /// A mention first seen this long after it was written is "late", e.g. "2h": its
    /// clocks start when it was written, but it never counts as "now" in a window.
    #[serde(default = "default_late_after", with = "humantime_serde_compat")]
    pub late_after: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(20)
}
fn default_max_body() -> u64 {
    10
}
fn default_concurrency() -> usize {
    8
}
fn default_max_backoff() -> Duration {
    Duration::from_secs(6 * 3600)
}
fn default_max_items() -> usize {
    1000
}
fn default_late_after() -> Duration {
    Duration::from_secs(2 * 3600)
}

impl Default for Fetch {
    fn default() -> Self {
        Fetch {
            contact: None,
            timeout: default_timeout(),
            max_body_mib: default_max_body(),
            concurrency: default_concurrency(),
            max_backoff: default_max_backoff(),
            allow_private: false,
            resolve: BTreeMap::new(),
            max_items: default_max_items(),
            late_after: default_late_after(),
        }
    }
}

/// What the ingest side reads from the whole config: the sources, how to fetch, and what
/// makes an item a mention.
#[derive(Debug, Clone)]
pub struct SourcesConfig {
    /// `[[sources]]`
    pub sources: Vec<super::SourceConfig>,
    /// `[fetch]`
    pub fetch: Fetch,
    /// The config file's folder (relative paths, `file://` sources).
    pub base: std::path::PathBuf,
    /// Compiled `[institution] keywords` and `exclude`.
    pub matcher: crate::core::matching::Matcher,
    /// `[institution] languages` and `language_detector`, and its names.
    pub language: crate::core::language::LanguageId,
    /// The institution's own accounts (`[escalation] handles` and `accounts`).
    pub own: crate::core::pipeline::OwnAccounts,
}

/// `[fetch] late_after` as a signed duration (bounded: a config cannot overflow it).
pub fn late_after(f: &Fetch) -> chrono::Duration {
    chrono::Duration::from_std(f.late_after).unwrap_or(chrono::Duration::MAX)
}

impl SourcesConfig {
    /// Hosts the config names (sources' URLs, pinned hosts): the ones that may be private.
    pub fn named_hosts(&self) -> Vec<String> {
        self.sources
            .iter()
            .flat_map(|s| s.urls())
            .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_string))
            .chain(self.fetch.resolve.keys().cloned())
            .collect()
    }

    /// Item → mention: the institution's matcher, languages, own accounts and lateness.
    pub fn pipeline(&self) -> crate::core::pipeline::Pipeline {
        crate::core::pipeline::Pipeline::new(self.matcher.clone(), &[])
            .with_language(self.language.clone())
            .with_own_accounts(self.own.clone())
            .with_late_after(late_after(&self.fetch))
    }
}
