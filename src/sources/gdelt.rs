//! `kind = "gdelt"`: the GDELT DOC 2.0 article list (worldwide online news, 65 languages,
//! updated every 15 minutes; no key).
//!
//! We ask oldest first (`sort=dateasc`) from the cursor, the last `seendate` seen, so
//! a page of 250 that is full is followed by the next one from its last time, with no
//! gap; `sort=datedesc` would silently drop what falls past the 250 newest. The start
//! is inclusive: articles seen in the cursor's own second come again and the store's
//! link keys recognise them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use tracing::warn;

use super::api;
use super::http::Http;
use super::{check_name, check_pages, check_url, Every, Poll, Source, SourceError, SourceState};
use crate::core::model::Item;

/// Most records the API gives per request.
const MAX_RECORDS: usize = 250;

/// `[[sources]] kind = "gdelt"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GdeltConfig {
    /// Unique name.
    pub name: String,
    /// GDELT query, e.g. `("SPF Finances" OR MyMinfin) sourcecountry:belgium`.
    pub query: String,
    /// Polling interval (GDELT updates every 15 minutes).
    pub every: Every,
    /// How far back the first poll looks.
    #[serde(
        default = "default_lookback",
        deserialize_with = "crate::core::config::humantime_serde_compat::deserialize"
    )]
    pub lookback: Duration,
    /// Most pages per poll.
    #[serde(default = "default_pages")]
    pub max_pages: u32,
    /// API endpoint: a mirror or proxy of the GDELT DOC API (README, "Mirrors and proxies").
    #[serde(default = "default_base")]
    pub base_url: String,
}

fn default_lookback() -> Duration {
    Duration::from_secs(3600)
}

fn default_pages() -> u32 {
    4
}

fn default_base() -> String {
    "https://api.gdeltproject.org/api/v2/doc/doc".into()
}

impl GdeltConfig {
    /// Checks the query and limits.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        ok &= check_url(path, "base_url", &self.base_url, err);
        if self.query.trim().len() < 3 {
            err(
                format!("{path}.query"),
                "is empty or too short".into(),
                Some("GDELT refuses keywords shorter than 3 letters; quote phrases: \"\\\"SPF Finances\\\"\""),
            );
            ok = false;
        }
        ok &= check_pages(path, self.max_pages, err);
        if self.lookback > Duration::from_secs(90 * 86400) {
            err(
                format!("{path}.lookback"),
                "GDELT searches the last 3 months only".into(),
                None,
            );
            ok = false;
        }
        ok
    }
}

#[derive(Debug, Deserialize)]
struct ArtList {
    #[serde(default)]
    articles: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Article {
    url: String,
    #[serde(default)]
    title: String,
    seendate: String,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// GDELT's `seendate`, e.g. `20261124T081500Z`.
pub fn parse_seendate(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// GDELT's language names to ISO 639-1, for the languages Belgian bodies see.
fn iso_language(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "english" => "en",
        "french" => "fr",
        "dutch" => "nl",
        "german" => "de",
        "spanish" => "es",
        "italian" => "it",
        "portuguese" => "pt",
        "polish" => "pl",
        "romanian" => "ro",
        "turkish" => "tr",
        "arabic" => "ar",
        _ => return None,
    })
}

/// A running GDELT source.
pub struct GdeltSource {
    cfg: GdeltConfig,
    http: Http,
}

impl GdeltSource {
    /// A source over the shared client.
    pub fn new(cfg: GdeltConfig, http: Http) -> GdeltSource {
        GdeltSource { cfg, http }
    }

    fn item(&self, a: Article, seen: DateTime<Utc>) -> Item {
        Item {
            source: self.cfg.name.clone(),
            guid: None,
            link: Some(a.url),
            title: crate::core::text::collapse_ws(&a.title),
            text: String::new(),
            published_at: Some(seen),
            author: a.domain,
            reach: None,
            lang_hint: a
                .language
                .as_deref()
                .and_then(iso_language)
                .map(str::to_string),
            ..Default::default()
        }
    }
}

#[async_trait]
impl Source for GdeltSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.base_url)
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        let mut start = state
            .cursor
            .as_deref()
            .and_then(parse_seendate)
            .unwrap_or_else(|| api::lookback_start(self.cfg.lookback));
        let mut poll = Poll::default();
        let mut seen_urls = std::collections::HashSet::new();
        for page in 1..=self.cfg.max_pages {
            let mut u = url::Url::parse(&self.cfg.base_url)
                .map_err(|e| SourceError::Transport(e.to_string()))?;
            u.query_pairs_mut()
                .append_pair("query", self.cfg.query.trim())
                .append_pair("mode", "artlist")
                .append_pair("format", "json")
                .append_pair("maxrecords", &MAX_RECORDS.to_string())
                .append_pair("sort", "dateasc")
                .append_pair("startdatetime", &start.format("%Y%m%d%H%M%S").to_string());
            let mut raw = api::check(
                self.http.send(self.http.client().get(u.as_str())).await?,
                u.as_str(),
                "GDELT needs no credentials: a proxy or firewall may be refusing the request",
            )?;
            // GDELT answers its throttle with a 200 and a sentence.
            if raw.body.starts_with(b"Please limit requests") {
                return Err(SourceError::RateLimited {
                    status: raw.status,
                    retry_after: Some(Duration::from_secs(5)),
                });
            }
            let list: ArtList =
                api::json_off(std::mem::take(&mut raw.body), "GDELT article list").await?;
            let n = list.articles.len();
            let (articles, skipped) =
                api::lenient::<Article>(list.articles, &self.cfg.name, "article");
            poll.skipped += skipped;
            let mut newest = start;
            let mut fresh = 0;
            for a in articles {
                let Some(seen) = parse_seendate(&a.seendate) else {
                    warn!(source = %self.cfg.name, seendate = %a.seendate, "article with an unreadable seendate skipped");
                    poll.skipped += 1;
                    continue;
                };
                newest = newest.max(seen);
                if seen_urls.insert(a.url.clone()) {
                    fresh += 1;
                    poll.items.push(self.item(a, seen));
                }
            }
            poll.cursor = Some(newest.format("%Y%m%dT%H%M%SZ").to_string());
            // The end: nothing, or nothing new (the next page starts at this one's last
            // second, inclusive). A short page is not the end: a server may cap it.
            if n == 0 || fresh == 0 {
                break;
            }
            if newest == start {
                if n >= MAX_RECORDS {
                    warn!(source = %self.cfg.name, "more than {MAX_RECORDS} articles in one second: some are out of reach");
                }
                break;
            }
            if page == self.cfg.max_pages {
                poll.left_behind += 1;
                warn!(source = %self.cfg.name, pages = page, "more articles pending: the next poll continues from here");
            }
            start = newest;
        }
        Ok(poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seendates_and_languages() {
        assert_eq!(
            parse_seendate("20261124T081500Z").unwrap().to_rfc3339(),
            "2026-11-24T08:15:00+00:00"
        );
        assert!(parse_seendate("2026-11-24").is_none());
        assert_eq!(iso_language("Dutch"), Some("nl"));
        assert_eq!(iso_language("Klingon"), None);
    }
}
