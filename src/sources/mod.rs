//! Sources: where items come from. One file per kind; this module holds the
//! [`Source`] trait, the per-kind config enum, and the errors all sources share.

pub mod feed;
pub mod http;
pub mod repair;
pub mod rss;

use std::time::Duration;

use crate::model::Item;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// `[[sources]]` entry, by `kind`.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed, over http(s) or `file://`.
    Rss(rss::RssConfig),
}

const KINDS: &[&str] = &["rss"];

impl SourceConfig {
    /// The source's unique name.
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Rss(c) => &c.name,
        }
    }

    /// Polling interval.
    pub fn every(&self) -> Duration {
        match self {
            SourceConfig::Rss(c) => c.every,
        }
    }

    /// Reads one `[[sources]]` table, reporting problems through `err(path, message, hint)`.
    pub fn from_toml(
        path: &str,
        value: toml::Value,
        err: &mut dyn FnMut(String, String, Option<&str>),
    ) -> Option<SourceConfig> {
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .map(str::to_string);
        let hint = format!("known kinds: {}", KINDS.join(", "));
        match kind.as_deref() {
            Some("rss") => {
                let mut table = value.as_table().cloned().unwrap_or_default();
                table.remove("kind");
                match serde_path_to_error::deserialize::<_, rss::RssConfig>(toml::Value::Table(
                    table,
                )) {
                    Ok(mut c) => {
                        let ok = c.validate(path, err);
                        ok.then_some(SourceConfig::Rss(c))
                    }
                    Err(e) => {
                        let inner = e.path().to_string();
                        let p = if inner == "." {
                            path.to_string()
                        } else {
                            format!("{path}.{inner}")
                        };
                        let msg = e.into_inner().to_string();
                        err(
                            p,
                            msg.split("\nin `")
                                .next()
                                .unwrap_or(&msg)
                                .trim()
                                .to_string(),
                            None,
                        );
                        None
                    }
                }
            }
            Some(other) => {
                err(
                    format!("{path}.kind"),
                    format!("unknown kind {other:?}"),
                    Some(&hint),
                );
                None
            }
            None => {
                err(format!("{path}.kind"), "missing".into(), Some(&hint));
                None
            }
        }
    }

    /// Builds the runnable source.
    pub fn build(&self, http: http::Http, base: &std::path::Path) -> Box<dyn Source> {
        match self {
            SourceConfig::Rss(c) => Box::new(rss::RssSource::new(c.clone(), http, base)),
        }
    }
}

/// Polling state kept in the database between polls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    /// `ETag` of the last good response.
    pub etag: Option<String>,
    /// `Last-Modified` of the last good response.
    pub last_modified: Option<String>,
    /// When the source is next due.
    pub next_check_at: Option<DateTime<Utc>>,
    /// Consecutive failures.
    pub error_count: i64,
    /// Last error message.
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// When the last successful poll finished.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The server asked us to wait until then (429/503 Retry-After).
    pub retry_after: Option<DateTime<Utc>>,
}

/// What one poll brought.
#[derive(Debug, Default)]
pub struct Poll {
    /// Items, in source order.
    pub items: Vec<Item>,
    /// New validators to store (unchanged when the server did not send them).
    pub etag: Option<String>,
    /// New `Last-Modified`.
    pub last_modified: Option<String>,
    /// 304: nothing changed, no body transferred.
    pub not_modified: bool,
    /// The document was malformed and our repair made it readable.
    pub repaired: Option<String>,
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The server asked us to slow down (429, or 503 with Retry-After).
    #[error("server asked to slow down (HTTP {status}), retry after {retry_after:?}")]
    RateLimited {
        /// 429 or 503.
        status: u16,
        /// How long it asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// Any other non-success status.
    #[error("HTTP {status} from {url}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The URL asked.
        url: String,
    },
    /// No answer within the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The body is over the configured cap.
    #[error("body larger than {limit} bytes, refused (raise [fetch] max_body_mib if this feed really is that big)")]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// Connection, DNS, TLS or file errors.
    #[error("{0}")]
    Transport(String),
    /// The document could not be read as a feed, even after repair.
    #[error("{0}")]
    Parse(String),
}

impl SourceError {
    /// Wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SourceError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A place items come from.
#[async_trait]
pub trait Source: Send + Sync {
    /// Unique name from the config.
    fn name(&self) -> &str;
    /// Host that rate limits apply to (None for local files).
    fn host(&self) -> Option<String>;
    /// Fetches what is new since `state`.
    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError>;
}
