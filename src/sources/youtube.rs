//! `kind = "youtube"`: a channel's uploads (its public Atom feed, no key), or videos
//! found by a Data API v3 search (key from an environment variable).
//!
//! Search costs 100 quota units per page out of a default 10,000 a day: poll every 30
//! minutes or more, with few pages. Results come newest first; the cursor is the newest
//! `publishedAt` seen and the next poll asks `publishedAfter` it. A spent quota is a
//! rate limit until midnight Pacific time, when Google resets it.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tracing::warn;

use super::api;
use super::http::Http;
use super::rss::{RssConfig, RssSource};
use super::{check_name, check_pages, check_url, Every, Poll, Source, SourceError, SourceState};
use crate::core::model::Item;
use crate::core::secret::{check_var, EnvSecret};

/// `[[sources]] kind = "youtube"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YoutubeConfig {
    /// Unique name.
    pub name: String,
    /// Polling interval.
    pub every: Every,
    /// A channel whose uploads to follow (`UC…`), through its feed.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// A Data API search query.
    #[serde(default)]
    pub search: Option<String>,
    /// Comments on the latest uploads of this channel (`UC…`; the institution's own).
    #[serde(default)]
    pub comments_of_channel: Option<String>,
    /// Environment variable holding the Data API key (search and comments).
    #[serde(default)]
    pub key_env: Option<String>,
    /// Prefer results in this language (ISO 639-1), also the items' language hint.
    #[serde(default)]
    pub language: Option<String>,
    /// Pages of 50 per poll (search only; 100 quota units each).
    #[serde(default = "default_pages")]
    pub max_pages: u32,
    /// How far back the first search looks.
    #[serde(
        default = "api::one_day",
        deserialize_with = "crate::core::config::humantime_serde_compat::deserialize"
    )]
    pub lookback: Duration,
    /// Feed endpoint: a mirror or proxy of YouTube's channel feeds (README, "Mirrors and proxies").
    #[serde(default = "default_feeds_url")]
    pub feeds_url: String,
    /// Data API base: a mirror or proxy of the YouTube Data API v3 (README, "Mirrors and proxies").
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

fn default_pages() -> u32 {
    1
}

fn default_feeds_url() -> String {
    "https://www.youtube.com/feeds/videos.xml".into()
}

fn default_api_url() -> String {
    "https://www.googleapis.com/youtube/v3".into()
}

impl YoutubeConfig {
    /// Checks that one of channel or search is chosen, with a key for search.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        ok &= check_url(path, "feeds_url", &self.feeds_url, err);
        ok &= check_url(path, "api_url", &self.api_url, err);
        let modes = [&self.channel_id, &self.search, &self.comments_of_channel]
            .iter()
            .filter(|m| m.is_some())
            .count();
        if modes != 1 {
            err(
                path.to_string(),
                format!("set exactly one of channel_id, search, comments_of_channel (found {modes})"),
                Some("one source follows one channel's uploads, one search, or one channel's comments"),
            );
            ok = false;
        }
        for (key, id) in [
            ("channel_id", &self.channel_id),
            ("comments_of_channel", &self.comments_of_channel),
        ] {
            if let Some(c) = id {
                if !is_channel_id(c) {
                    err(
                        format!("{path}.{key}"),
                        format!("{c:?} is not a channel id"),
                        Some("24 characters starting with UC, from the channel page's URL or \"Share channel\" > \"Copy channel ID\""),
                    );
                    ok = false;
                }
            }
        }
        if self.search.as_deref().is_some_and(|q| q.trim().is_empty()) {
            err(format!("{path}.search"), "is empty".into(), None);
            ok = false;
        }
        if self.search.is_some() || self.comments_of_channel.is_some() {
            match &self.key_env {
                Some(v) => ok &= check_var(path, "key_env", v, err),
                None => {
                    err(
                        format!("{path}.key_env"),
                        "search and comments need a Data API key".into(),
                        Some("create a key for \"YouTube Data API v3\" in Google Cloud, put it in an environment variable and name it here, e.g. key_env = \"VIGIE_YOUTUBE_KEY\""),
                    );
                    ok = false;
                }
            }
        }
        ok &= check_pages(path, self.max_pages, err);
        ok
    }
}

fn is_channel_id(c: &str) -> bool {
    c.starts_with("UC")
        && c.len() == 24
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// The uploads feed of a channel.
pub fn feed_url(cfg: &YoutubeConfig, channel: &str) -> String {
    let mut u = url::Url::parse(&cfg.feeds_url).expect("validated");
    u.query_pairs_mut().append_pair("channel_id", channel);
    u.to_string()
}

/// The runnable source for the configured mode.
pub fn build(cfg: YoutubeConfig, http: Http, base: &std::path::Path) -> Box<dyn Source> {
    if let Some(channel) = &cfg.channel_id {
        let rss = RssConfig {
            name: cfg.name.clone(),
            url: feed_url(&cfg, channel),
            every_raw: String::new(),
            every: cfg.every.0,
            language: cfg.language.clone(),
        };
        return Box::new(RssSource::new(rss, http, base));
    }
    if cfg.comments_of_channel.is_some() {
        return Box::new(super::youtube_comments::CommentsSource::new(cfg, http));
    }
    Box::new(SearchSource::new(cfg, http))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchList {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchResult {
    id: VideoId,
    snippet: Snippet,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VideoId {
    video_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snippet {
    published_at: DateTime<Utc>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    channel_title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiError {
    error: ApiErrorBody,
}

#[derive(Debug, Deserialize)]
struct ApiErrorBody {
    #[serde(default)]
    errors: Vec<ApiErrorReason>,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct ApiErrorReason {
    #[serde(default)]
    reason: String,
}

/// The `reason`s of a Data API error body (`quotaExceeded`, `commentsDisabled`, ...).
pub(crate) fn reasons(raw: &super::http::Raw) -> (Vec<String>, String) {
    let reason: Option<ApiError> = serde_json::from_slice(&raw.body).ok();
    let reasons: Vec<String> = reason
        .as_ref()
        .map(|r| r.error.errors.iter().map(|e| e.reason.clone()).collect())
        .unwrap_or_default();
    (reasons, reason.map(|r| r.error.message).unwrap_or_default())
}

/// A Data API error as a [`SourceError`]. YouTube says why in the body: a spent quota
/// is a 403 like a refused key. `var` is the key's environment variable.
pub(crate) fn api_error(raw: &super::http::Raw, url: &str, var: &str) -> SourceError {
    let (reasons, message) = reasons(raw);
    let has = |r: &str| reasons.iter().any(|x| x == r);
    if has("quotaExceeded") || has("dailyLimitExceeded") {
        return SourceError::RateLimited {
            status: raw.status,
            retry_after: Some(until_quota_reset(Utc::now())),
        };
    }
    if raw.status == 429 || has("rateLimitExceeded") || has("userRateLimitExceeded") {
        // Too many requests: the server's Retry-After when it sends one, else a minute.
        let asked = (raw.headers.get(reqwest::header::RETRY_AFTER))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| super::http::parse_retry_after(v, std::time::SystemTime::now()));
        return SourceError::RateLimited {
            status: raw.status,
            retry_after: Some(asked.unwrap_or(Duration::from_secs(60))),
        };
    }
    // An unknown key is a 400 whose details say API_KEY_INVALID.
    let key_refused = has("keyInvalid")
        || has("keyExpired")
        || String::from_utf8_lossy(&raw.body).contains("API_KEY_INVALID");
    if key_refused || raw.status == 401 || raw.status == 403 {
        return SourceError::Unauthorized {
                status: raw.status,
                hint: format!(
                    "Google refused the key in {} ({}): check it exists, is not restricted away from this server, and has the YouTube Data API v3 enabled",
                    var,
                    if message.is_empty() { reasons.join(", ") } else { message }
                ),
            };
    }
    SourceError::Status {
        status: raw.status,
        url: api::redact(url),
    }
}

/// Data API search.
pub struct SearchSource {
    cfg: YoutubeConfig,
    http: Http,
    key: EnvSecret,
}

/// Time until the next midnight in California, when the daily quota resets.
fn until_quota_reset(now: DateTime<Utc>) -> Duration {
    let la = now.with_timezone(&chrono_tz::America::Los_Angeles);
    let midnight = (la.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists");
    let reset = midnight
        .and_local_timezone(chrono_tz::America::Los_Angeles)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now + chrono::Duration::hours(24));
    (reset - now).to_std().unwrap_or(Duration::from_secs(3600))
}

impl SearchSource {
    /// Reads the key from the environment now.
    pub fn new(cfg: YoutubeConfig, http: Http) -> SearchSource {
        let key = EnvSecret::from_env(
            cfg.key_env.as_deref().unwrap_or_default(),
            "a YouTube Data API key",
        );
        SearchSource { cfg, http, key }
    }

    fn error(&self, raw: &super::http::Raw, url: &str) -> SourceError {
        api_error(raw, url, &self.key.var)
    }

    fn item(&self, r: SearchResult) -> Item {
        let link = format!("https://www.youtube.com/watch?v={}", r.id.video_id);
        Item {
            source: self.cfg.name.clone(),
            guid: Some(link.clone()),
            link: Some(link),
            // The API escapes HTML in titles and descriptions.
            title: html_escape::decode_html_entities(&r.snippet.title).into_owned(),
            text: html_escape::decode_html_entities(&r.snippet.description).into_owned(),
            published_at: Some(r.snippet.published_at),
            author: r.snippet.channel_title,
            reach: None,
            lang_hint: self.cfg.language.clone(),
            ..Default::default()
        }
    }
}

#[async_trait]
impl Source for SearchSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.api_url)
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        let key = self.key.get()?;
        let after = api::cursor_time(state.cursor.as_deref(), self.cfg.lookback);
        let mut poll = Poll::default();
        let mut newest = after;
        let mut page_token: Option<String> = None;
        for page in 1..=self.cfg.max_pages {
            let mut u = url::Url::parse(&format!(
                "{}/search",
                self.cfg.api_url.trim_end_matches('/')
            ))
            .map_err(|e| SourceError::Transport(e.to_string()))?;
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("part", "snippet")
                    .append_pair("q", self.cfg.search.as_deref().unwrap_or_default())
                    .append_pair("type", "video")
                    .append_pair("order", "date")
                    .append_pair("maxResults", "50")
                    .append_pair(
                        "publishedAfter",
                        &after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    );
                if let Some(l) = &self.cfg.language {
                    q.append_pair("relevanceLanguage", l);
                }
                if let Some(t) = &page_token {
                    q.append_pair("pageToken", t);
                }
                q.append_pair("key", key.expose_secret());
            }
            let mut raw = self.http.send(self.http.client().get(u.as_str())).await?;
            if !(200..300).contains(&raw.status) {
                if raw.status == 429 {
                    return Err(api::check(raw, u.as_str(), "").unwrap_err());
                }
                return Err(self.error(&raw, u.as_str()));
            }
            let list: SearchList =
                api::json_off(std::mem::take(&mut raw.body), "YouTube search").await?;
            let (results, skipped) =
                api::lenient::<SearchResult>(list.items, &self.cfg.name, "search result");
            poll.skipped += skipped;
            for r in results {
                newest = newest.max(r.snippet.published_at);
                poll.items.push(self.item(r));
            }
            page_token = list.next_page_token;
            if page_token.is_none() {
                break;
            }
            if page == self.cfg.max_pages {
                poll.left_behind += 1;
                warn!(source = %self.cfg.name, pages = page, "more videos than max_pages fetch: older ones of this window are skipped; raise max_pages or poll more often");
            }
        }
        poll.cursor = Some(newest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quota_resets_at_midnight_in_california() {
        // 2026-11-24 09:00 UTC is 01:00 PST: 23 hours to go.
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        assert_eq!(until_quota_reset(now), Duration::from_secs(23 * 3600));
    }
}
