//! `kind = "rss"`: RSS 0.9x/1.0/2.0, Atom and JSON Feed, over http(s) or from `file://`.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::http::Http;
use super::{feed, Poll, Source, SourceError, SourceState};

/// `[[sources]] kind = "rss"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RssConfig {
    /// Unique name.
    pub name: String,
    /// `https://...`, `http://...` or `file://PATH` (relative to the config file).
    pub url: String,
    /// Polling interval as written, e.g. "15m"; parsed by `validate` into `every`.
    #[serde(rename = "every")]
    pub every_raw: String,
    /// Polling interval.
    #[serde(skip, default = "zero")]
    pub every: Duration,
    /// Language of the feed when it does not declare one (ISO 639-1).
    #[serde(default)]
    pub language: Option<String>,
}

impl RssConfig {
    /// Checks the URL and interval; returns false if anything is wrong.
    pub fn validate(
        &mut self,
        path: &str,
        err: &mut dyn FnMut(String, String, Option<&str>),
    ) -> bool {
        let mut ok = true;
        if self.name.trim().is_empty() {
            err(format!("{path}.name"), "is empty".into(), None);
            ok = false;
        }
        let url_ok = match self.url.strip_prefix("file://") {
            Some(p) => !p.is_empty(),
            None => url::Url::parse(&self.url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some()),
        };
        if !url_ok {
            err(
                format!("{path}.url"),
                format!("{:?} is not an http(s) or file:// URL", self.url),
                Some("e.g. \"https://www.example.org/rss.xml\" or \"file://feeds/sample.xml\""),
            );
            ok = false;
        }
        match crate::core::config::parse_duration(&self.every_raw) {
            Ok(d) => self.every = d,
            Err(e) => {
                err(format!("{path}.every"), e, None);
                return false;
            }
        }
        if self.every < Duration::from_secs(10) {
            err(
                format!("{path}.every"),
                format!("{:?} is too often", self.every),
                Some("poll at most every 10s; most feeds change every few minutes"),
            );
            ok = false;
        }
        ok
    }
}

fn zero() -> Duration {
    Duration::ZERO
}

/// A running RSS/Atom/JSON Feed source.
pub struct RssSource {
    cfg: RssConfig,
    http: Http,
    file: Option<PathBuf>,
}

impl RssSource {
    /// `base` resolves relative `file://` paths.
    pub fn new(cfg: RssConfig, http: Http, base: &std::path::Path) -> RssSource {
        let file = cfg.url.strip_prefix("file://").map(|p| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        });
        RssSource { cfg, http, file }
    }

    async fn read_file(&self, path: &std::path::Path) -> Result<Vec<u8>, SourceError> {
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| SourceError::Transport(format!("cannot read {}: {e}", path.display())))?;
        if meta.len() > self.http.max_body() {
            return Err(SourceError::TooLarge {
                limit: self.http.max_body(),
            });
        }
        tokio::fs::read(path)
            .await
            .map_err(|e| SourceError::Transport(format!("cannot read {}: {e}", path.display())))
    }
}

#[async_trait]
impl Source for RssSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.url).filter(|_| self.file.is_none())
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        let (body, etag, last_modified) = match &self.file {
            Some(path) => (self.read_file(path).await?, None, None),
            None => {
                let r = self
                    .http
                    .get(
                        &self.cfg.url,
                        state.etag.as_deref(),
                        state.last_modified.as_deref(),
                    )
                    .await?;
                match r.body {
                    None => {
                        return Ok(Poll {
                            not_modified: true,
                            etag: r.etag,
                            last_modified: r.last_modified,
                            ..Poll::default()
                        })
                    }
                    Some(b) => (b, r.etag, r.last_modified),
                }
            }
        };
        let (name, max) = (self.cfg.name.clone(), self.http.max_items());
        // Parsing a large feed is CPU work: keep it off the async workers.
        let parsed = super::blocking(move || feed::parse_at_most(&body, &name, max))
            .await?
            .map_err(SourceError::Parse)?;
        let mut items = parsed.items;
        if let Some(lang) = &self.cfg.language {
            for i in &mut items {
                if i.lang_hint.is_none() {
                    i.lang_hint = Some(lang.clone());
                }
            }
        }
        Ok(Poll {
            items,
            etag,
            last_modified,
            not_modified: false,
            repaired: parsed.repaired,
            beyond: parsed.beyond,
            ..Poll::default()
        })
    }
}
