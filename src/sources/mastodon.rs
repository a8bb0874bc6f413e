//! `kind = "mastodon"`: one stream per source on one instance: a hashtag timeline or an
//! account's statuses (public, no token), or full-text search (token required).
//!
//! Timelines page with `min_id`: each page holds the statuses *immediately* newer than
//! the cursor, so following pages until an empty one (the API's end: a short page is
//! not, as servers may cap `limit` below what was asked) leaves no gap, and a poll
//! stopped by `max_pages` or a spent rate limit resumes where it stopped. Search sorts
//! newest first and may treat `min_id` as a mere lower bound, so it pages backwards
//! (`max_id`) down to the cursor, which is right under either reading; there `max_pages`
//! bounds what one poll can catch up (a warning says so). The first poll pages
//! backwards from the newest status to `lookback` (or `max_pages`) and sets the cursor
//! to the newest.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::AUTHORIZATION;
use secrecy::ExposeSecret;
use serde::Deserialize;
use tracing::{info, warn};

use super::api;
use super::http::Http;
use super::{check_name, check_pages, check_url, Every, Poll, Source, SourceError, SourceState};
use crate::core::model::{Engagement, Item, ThreadLinks};
use crate::core::secret::{check_var, EnvSecret};
use crate::core::text::html_to_text;

/// Statuses per page: the API's maximum.
const LIMIT: usize = 40;

/// `[[sources]] kind = "mastodon"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonConfig {
    /// Unique name.
    pub name: String,
    /// Instance base URL, e.g. "https://mastodon.social".
    pub instance: String,
    /// Polling interval.
    pub every: Every,
    /// Hashtag timeline to follow (without `#`).
    #[serde(default)]
    pub hashtag: Option<String>,
    /// Account to follow: "user" (on `instance`) or "user@other.instance".
    #[serde(default)]
    pub account: Option<String>,
    /// Full-text search query (needs `token_env`).
    #[serde(default)]
    pub search: Option<String>,
    /// Environment variable holding an access token (scope `read`).
    #[serde(default)]
    pub token_env: Option<String>,
    /// Most pages fetched per poll; the rest waits for the next poll.
    #[serde(default = "default_pages")]
    pub max_pages: u32,
    /// Language when a status declares none (ISO 639-1).
    #[serde(default)]
    pub language: Option<String>,
    /// How far back the first poll reads.
    #[serde(
        default = "api::one_day",
        deserialize_with = "crate::core::config::humantime_serde_compat::deserialize"
    )]
    pub lookback: std::time::Duration,
}

fn default_pages() -> u32 {
    5
}

impl MastodonConfig {
    /// Checks the instance, that exactly one stream is chosen, and the token.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        ok &= check_url(path, "instance", &self.instance, err);
        let chosen = [&self.hashtag, &self.account, &self.search]
            .iter()
            .filter(|v| v.is_some())
            .count();
        if chosen != 1 {
            err(
                path.to_string(),
                format!("set exactly one of hashtag, account, search (found {chosen})"),
                Some("one source follows one stream; add another [[sources]] for another"),
            );
            ok = false;
        }
        for (key, v) in [
            ("hashtag", &self.hashtag),
            ("account", &self.account),
            ("search", &self.search),
        ] {
            if v.as_deref()
                .is_some_and(|v| v.trim().trim_start_matches(['#', '@']).is_empty())
            {
                err(format!("{path}.{key}"), "is empty".into(), None);
                ok = false;
            }
        }
        match &self.token_env {
            Some(var) => ok &= check_var(path, "token_env", var, err),
            None if self.search.is_some() => {
                err(
                    format!("{path}.token_env"),
                    "search needs an access token".into(),
                    Some("create an application on the instance (scope read), put its token in an environment variable and name it here, e.g. token_env = \"VIGIE_MASTODON_TOKEN\""),
                );
                ok = false;
            }
            None => {}
        }
        ok &= check_pages(path, self.max_pages, err);
        ok
    }
}

/// A status as the API gives it (fields we use).
#[derive(Debug, Deserialize)]
struct Status {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    created_at: DateTime<Utc>,
    uri: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    spoiler_text: String,
    #[serde(default)]
    language: Option<String>,
    account: Account,
    #[serde(default)]
    reblog: Option<Box<Status>>,
    #[serde(default)]
    favourites_count: Option<i64>,
    #[serde(default)]
    reblogs_count: Option<i64>,
    #[serde(default)]
    replies_count: Option<i64>,
    /// Mastodon 4.4 and later.
    #[serde(default)]
    quotes_count: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Account {
    id: String,
    acct: String,
    #[serde(default)]
    followers_count: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct SearchResults {
    #[serde(default)]
    statuses: Vec<serde_json::Value>,
}

/// A running Mastodon source.
pub struct MastodonSource {
    cfg: MastodonConfig,
    http: Http,
    instance: String,
    host: Option<String>,
    token: Option<EnvSecret>,
    /// The followed account's id, once looked up.
    account_id: tokio::sync::Mutex<Option<String>>,
}

/// Orders Mastodon ids: numeric strings (snowflakes) of different lengths compare by length first.
fn id_key(id: &str) -> (usize, &str) {
    (id.len(), id)
}

impl MastodonSource {
    /// Reads the token from the environment now (if one is named).
    pub fn new(cfg: MastodonConfig, http: Http) -> MastodonSource {
        let instance = cfg.instance.trim_end_matches('/').to_string();
        // The instance's name, as references and handles carry it (no port).
        let host = url::Url::parse(&instance)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        let token = cfg
            .token_env
            .as_deref()
            .map(|v| EnvSecret::from_env(v, "a Mastodon access token"));
        MastodonSource {
            cfg,
            http,
            instance,
            host,
            token,
            account_id: tokio::sync::Mutex::new(None),
        }
    }

    fn auth_hint(&self) -> String {
        match &self.token {
            Some(t) => format!(
                "the instance refused the token in {}: check it is valid on {} and has the read scope",
                t.var, self.instance
            ),
            None => format!(
                "{} requires a login for this; create an access token (scope read) and name its variable in token_env",
                self.instance
            ),
        }
    }

    async fn get(&self, url: &str) -> Result<super::http::Raw, SourceError> {
        let mut req = self.http.client().get(url);
        if let Some(t) = &self.token {
            req = req.header(
                AUTHORIZATION,
                format!("Bearer {}", t.get()?.expose_secret()),
            );
        }
        api::check(self.http.send(req).await?, url, &self.auth_hint())
    }

    /// The URL of the stream, without paging parameters.
    async fn endpoint(&self) -> Result<url::Url, SourceError> {
        let base = &self.instance;
        let u = if let Some(tag) = &self.cfg.hashtag {
            let tag = tag.trim().trim_start_matches('#');
            let mut u = url::Url::parse(&format!("{base}/api/v1/timelines/tag/"))
                .map_err(|e| SourceError::Transport(e.to_string()))?;
            u.path_segments_mut()
                .map_err(|_| SourceError::Transport("bad instance URL".into()))?
                .pop_if_empty()
                .push(tag);
            u
        } else if let Some(q) = &self.cfg.search {
            let mut u = url::Url::parse(&format!("{base}/api/v2/search"))
                .map_err(|e| SourceError::Transport(e.to_string()))?;
            u.query_pairs_mut()
                .append_pair("q", q)
                .append_pair("type", "statuses")
                .append_pair("resolve", "false");
            u
        } else {
            let id = self.account_id().await?;
            url::Url::parse(&format!("{base}/api/v1/accounts/{id}/statuses"))
                .map_err(|e| SourceError::Transport(e.to_string()))?
        };
        Ok(u)
    }

    async fn account_id(&self) -> Result<String, SourceError> {
        let mut cached = self.account_id.lock().await;
        if let Some(id) = cached.as_ref() {
            return Ok(id.clone());
        }
        let acct = self
            .cfg
            .account
            .as_deref()
            .unwrap_or_default()
            .trim()
            .trim_start_matches('@');
        let mut u = url::Url::parse(&format!("{}/api/v1/accounts/lookup", self.instance))
            .map_err(|e| SourceError::Transport(e.to_string()))?;
        u.query_pairs_mut().append_pair("acct", acct);
        let raw = match self.get(u.as_str()).await {
            Err(SourceError::Status { status: 404, .. }) => {
                return Err(SourceError::Parse(format!(
                    "account {acct:?} not found on {}: check [[sources]] account",
                    self.instance
                )))
            }
            r => r?,
        };
        let a: Account = api::json(&raw.body, "account lookup")?;
        *cached = Some(a.id.clone());
        Ok(a.id)
    }

    /// What turns this source's statuses into items, to send to the blocking pool.
    fn convert(&self) -> Convert {
        Convert {
            source: self.cfg.name.clone(),
            host: self.host.clone().unwrap_or_default(),
            language: self.cfg.language.clone(),
        }
    }
}

/// One page of statuses, read.
struct Page {
    /// Entries in the answer, readable or not.
    n: usize,
    /// Newest and oldest ids on the page (malformed entries included).
    newest: Option<String>,
    oldest: Option<String>,
    /// When the oldest readable status was written.
    oldest_at: Option<DateTime<Utc>>,
    items: Vec<Item>,
    skipped: usize,
}

/// Statuses to items: the source's name, instance host and default language.
#[derive(Clone)]
struct Convert {
    source: String,
    host: String,
    language: Option<String>,
}

impl Convert {
    /// Decodes a page (JSON, then each status's HTML): CPU work, run off the async workers.
    fn page(&self, body: &[u8], search: bool) -> Result<Page, SourceError> {
        let values: Vec<serde_json::Value> = if search {
            api::json::<SearchResults>(body, "search results")?.statuses
        } else {
            api::json(body, "timeline")?
        };
        let n = values.len();
        // The cursor moves past malformed entries too: they would fail the same way again.
        let ids: Vec<&str> = values
            .iter()
            .filter_map(|v| v.get("id").and_then(|i| i.as_str()))
            .collect();
        let newest = ids
            .iter()
            .max_by(|a, b| id_key(a).cmp(&id_key(b)))
            .map(|s| s.to_string());
        let oldest = ids
            .iter()
            .min_by(|a, b| id_key(a).cmp(&id_key(b)))
            .map(|s| s.to_string());
        let (statuses, skipped) = api::lenient::<Status>(values, &self.source, "status");
        let oldest_at = statuses.iter().map(|s| s.created_at).min();
        Ok(Page {
            n,
            newest,
            oldest,
            oldest_at,
            items: statuses.into_iter().map(|s| self.item(s)).collect(),
            skipped,
        })
    }

    fn item(&self, s: Status) -> Item {
        let s = match s.reblog {
            Some(inner) => *inner,
            None => s,
        };
        let mut text = html_to_text(&s.content);
        if !s.spoiler_text.trim().is_empty() {
            text = format!("{}\n{text}", s.spoiler_text.trim());
        }
        let author = if s.account.acct.contains('@') {
            format!("@{}", s.account.acct)
        } else {
            format!("@{}@{}", s.account.acct, self.host)
        };
        // Ids are the instance's own: a reply names its parent by the parent's id here.
        let reference = |id: String| format!("mastodon:{}:{id}", self.host);
        Item {
            source: self.source.clone(),
            guid: Some(s.uri.clone()),
            link: s.url.or(Some(s.uri)),
            title: api::post_title(&text),
            text,
            published_at: Some(s.created_at),
            author: Some(author),
            reach: s.account.followers_count,
            lang_hint: s.language.or_else(|| self.language.clone()),
            thread: ThreadLinks {
                id: s.id.map(reference),
                in_reply_to: s.in_reply_to_id.map(reference),
                root: None,
            },
            author_id: Some(s.account.id),
            engagement: Engagement {
                likes: s.favourites_count,
                reposts: s.reblogs_count,
                replies: s.replies_count,
                quotes: s.quotes_count,
                views: None,
            },
            ..Default::default()
        }
    }
}

#[async_trait]
impl Source for MastodonSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.instance)
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        let endpoint = self.endpoint().await?;
        let search = self.cfg.search.is_some();
        let first_poll = state.cursor.is_none();
        // Search, and the first poll, page backwards with max_id (down to the stored
        // cursor, or to `lookback`); later timeline polls page forwards with min_id.
        let backwards = search || first_poll;
        let since = api::lookback_start(self.cfg.lookback);
        let mut cursor = state.cursor.clone();
        let mut max_id: Option<String> = None;
        let mut poll = Poll::default();
        for page in 1..=self.cfg.max_pages {
            let mut u = endpoint.clone();
            u.query_pairs_mut().append_pair("limit", &LIMIT.to_string());
            let min_id = if backwards { &state.cursor } else { &cursor };
            if let Some(c) = min_id {
                u.query_pairs_mut().append_pair("min_id", c);
            }
            if let Some(m) = max_id.as_ref().filter(|_| backwards) {
                u.query_pairs_mut().append_pair("max_id", m);
            }
            let raw = self.get(u.as_str()).await?;
            let convert = self.convert();
            let body = raw.body;
            let read = super::blocking(move || convert.page(&body, search)).await??;
            max_id = read.oldest;
            poll.skipped += read.skipped;
            poll.items.extend(read.items);
            if let Some(n) = read.newest {
                if cursor.as_deref().is_none_or(|c| id_key(&n) > id_key(c)) {
                    cursor = Some(n);
                }
            }
            poll.wait = api::spent_wait(&raw.headers, std::time::SystemTime::now());
            // The end: an empty page, or (first poll) statuses older than `lookback`.
            let past_lookback = first_poll && read.oldest_at.is_some_and(|at| at < since);
            if read.n == 0 || max_id.is_none() || past_lookback {
                break;
            }
            if let Some(w) = poll.wait {
                info!(source = %self.cfg.name, wait_s = w.as_secs(), "rate limit spent: the rest waits for its reset");
                if backwards {
                    warn!(source = %self.cfg.name, "statuses older than this page and newer than the last poll are skipped");
                }
                break;
            }
            if page == self.cfg.max_pages {
                self.left_behind(backwards, first_poll, page);
                poll.left_behind += 1;
            }
        }
        poll.cursor = cursor;
        Ok(poll)
    }
}

impl MastodonSource {
    /// `max_pages` cut the poll short: what is lost, and what the next poll catches up.
    fn left_behind(&self, backwards: bool, first_poll: bool, pages: u32) {
        if first_poll {
            warn!(source = %self.cfg.name, pages, "max_pages reached before lookback on the first poll: older statuses are not read; raise max_pages to read back further");
        } else if backwards {
            warn!(source = %self.cfg.name, pages, "more search results than max_pages fetch: the oldest since the last poll are skipped; raise max_pages or poll more often");
        } else {
            warn!(source = %self.cfg.name, pages, "more statuses pending: the next poll continues from here");
        }
    }
}
