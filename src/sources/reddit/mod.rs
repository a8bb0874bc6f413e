//! `kind = "reddit"`: Reddit search with an application-only OAuth token (client
//! credentials from environment variables), newest first.
//!
//! Paging uses `before=<fullname>`: the page holds the posts immediately newer than the
//! cursor, so following pages until an empty one leaves no gap (a short page is not the
//! end). The first poll pages back with `after` to `lookback`. The token is cached
//! until shortly before it expires, and fetched again once if the API refuses it.

mod config;

pub use config::{Mode, RedditConfig};

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::{debug, info, warn};

use super::api;
use super::http::{Http, Raw};
use super::{Poll, Source, SourceError, SourceState};
use crate::core::model::{Engagement, Item, ThreadLinks};
use crate::core::secret::EnvSecret;

/// Posts per page: the API's maximum.
const LIMIT: usize = 100;

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
}

#[derive(Debug, Deserialize)]
struct Listing {
    data: ListingData,
}

#[derive(Debug, Deserialize)]
struct ListingData {
    #[serde(default)]
    children: Vec<serde_json::Value>,
    /// The next older page's anchor; null at the end.
    #[serde(default)]
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Child {
    data: Post,
}

#[derive(Debug, Deserialize)]
struct Post {
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    selftext: String,
    /// A comment's text (comments have no title or selftext).
    #[serde(default)]
    body: Option<String>,
    /// A comment's parent (a post `t3_…` or a comment `t1_…`).
    #[serde(default)]
    parent_id: Option<String>,
    /// A comment's post.
    #[serde(default)]
    link_id: Option<String>,
    /// The post a comment is under, for its title.
    #[serde(default)]
    link_title: Option<String>,
    #[serde(default)]
    author: Option<String>,
    permalink: String,
    /// A link post's target (a self post's is its own permalink).
    #[serde(default)]
    url: Option<String>,
    created_utc: f64,
    #[serde(default)]
    subreddit_subscribers: Option<i64>,
    /// Upvotes less downvotes.
    #[serde(default)]
    score: Option<i64>,
    #[serde(default)]
    num_comments: Option<i64>,
    #[serde(default)]
    num_crossposts: Option<i64>,
    #[serde(default)]
    view_count: Option<i64>,
    /// Why a post was removed ("moderator", "deleted", ...), when it was.
    #[serde(default)]
    removed_by_category: Option<String>,
}

impl Post {
    /// Deleted by its author or removed by moderators: Reddit still lists it, with its
    /// text replaced by "[deleted]" or "[removed]".
    fn gone(&self) -> bool {
        let placeholder = |t: &str| matches!(t.trim(), "[deleted]" | "[removed]");
        self.removed_by_category.is_some()
            || self.body.as_deref().is_some_and(placeholder)
            || (self.body.is_none() && placeholder(&self.selftext))
    }
}

struct Token {
    value: SecretString,
    until: Instant,
}

/// A running Reddit search.
pub struct RedditSource {
    cfg: RedditConfig,
    http: Http,
    client_id: EnvSecret,
    client_secret: EnvSecret,
    token: tokio::sync::Mutex<Option<Token>>,
}

impl RedditSource {
    /// Reads the client credentials from the environment now.
    pub fn new(cfg: RedditConfig, http: Http) -> RedditSource {
        let client_id = EnvSecret::from_env(&cfg.client_id_env, "the Reddit app's client id");
        let client_secret = EnvSecret::from_env(&cfg.client_secret_env, "the Reddit app's secret");
        RedditSource {
            cfg,
            http,
            client_id,
            client_secret,
            token: tokio::sync::Mutex::new(None),
        }
    }

    fn auth_hint(&self) -> String {
        format!(
            "Reddit refused the app credentials in {} and {}: check them at https://www.reddit.com/prefs/apps (a \"script\" or \"web\" app)",
            self.cfg.client_id_env, self.cfg.client_secret_env
        )
    }

    /// A valid token, fetched when there is none or it is about to expire.
    async fn token(&self, renew: bool) -> Result<SecretString, SourceError> {
        let mut cached = self.token.lock().await;
        if !renew {
            if let Some(t) = cached.as_ref().filter(|t| t.until > Instant::now()) {
                return Ok(t.value.clone());
            }
        }
        let req = self
            .http
            .client()
            .post(&self.cfg.token_url)
            .basic_auth(
                self.client_id.get()?.expose_secret(),
                Some(self.client_secret.get()?.expose_secret()),
            )
            .form(&[("grant_type", "client_credentials")]);
        let raw = api::check(
            self.http.send(req).await?,
            &self.cfg.token_url,
            &self.auth_hint(),
        )?;
        let t: TokenResponse = api::json(&raw.body, "Reddit token")?;
        debug!(source = %self.cfg.name, expires_in = t.expires_in, "new Reddit token");
        // Renew a minute early: a token expiring mid-poll costs a failed request.
        let life = Duration::from_secs(t.expires_in.saturating_sub(60).max(1));
        let value = SecretString::from(t.access_token);
        *cached = Some(Token {
            value: value.clone(),
            until: Instant::now() + life,
        });
        Ok(value)
    }

    async fn get(&self, url: &str) -> Result<Raw, SourceError> {
        let mut renew = false;
        loop {
            let token = self.token(renew).await?;
            let req = self
                .http
                .client()
                .get(url)
                .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
            let raw = self.http.send(req).await?;
            if raw.status == 401 && !renew {
                info!(source = %self.cfg.name, "Reddit token refused: fetching a new one");
                renew = true;
                continue;
            }
            return api::check(raw, url, &self.auth_hint());
        }
    }

    /// A listing URL; `anchor`: ("before", name) for newer posts, ("after", name) for older.
    fn search_url(&self, anchor: Option<(&str, &str)>) -> Result<url::Url, SourceError> {
        let base = self.cfg.api_url.trim_end_matches('/');
        if let Some(user) = &self.cfg.user {
            let path = format!("{base}/user/{}/comments", user.trim_start_matches("u/"));
            let mut u =
                url::Url::parse(&path).map_err(|e| SourceError::Transport(e.to_string()))?;
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("sort", "new")
                    .append_pair("limit", &LIMIT.to_string())
                    .append_pair("raw_json", "1");
                if let Some((k, v)) = anchor {
                    q.append_pair(k, v);
                }
            }
            return Ok(u);
        }
        let path = match (&self.cfg.subreddit, self.cfg.mode) {
            (Some(s), Mode::Comments) => {
                let path = format!("{base}/r/{}/comments", s.trim_start_matches("r/"));
                let mut u =
                    url::Url::parse(&path).map_err(|e| SourceError::Transport(e.to_string()))?;
                {
                    let mut q = u.query_pairs_mut();
                    q.append_pair("limit", &LIMIT.to_string())
                        .append_pair("raw_json", "1");
                    if let Some((k, v)) = anchor {
                        q.append_pair(k, v);
                    }
                }
                return Ok(u);
            }
            (Some(s), Mode::Search) => format!("{base}/r/{}/search", s.trim_start_matches("r/")),
            (None, _) => format!("{base}/search"),
        };
        let mut u = url::Url::parse(&path).map_err(|e| SourceError::Transport(e.to_string()))?;
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("q", self.cfg.query.trim())
                .append_pair("sort", "new")
                .append_pair("limit", &LIMIT.to_string())
                .append_pair("type", "link")
                .append_pair("raw_json", "1");
            if self.cfg.subreddit.is_some() {
                q.append_pair("restrict_sr", "1");
            }
            if let Some((k, v)) = anchor {
                q.append_pair(k, v);
            }
        }
        Ok(u)
    }

    fn item(&self, p: Post) -> Item {
        let published = Utc
            .timestamp_millis_opt((p.created_utc * 1000.0) as i64)
            .single();
        // Fullnames (`t3_…` posts, `t1_…` comments) are unique on Reddit.
        let reference = |n: &str| format!("reddit:{n}");
        let (title, text) = match p.body {
            Some(body) => (
                p.link_title
                    .map(|t| format!("Re: {t}"))
                    .unwrap_or_else(|| api::post_title(&body)),
                body,
            ),
            // A link post: the article it shares, so that it joins that article's story.
            None => match p.url.filter(|u| is_outside_link(u)) {
                Some(u) if !p.selftext.contains(&u) => {
                    (p.title, format!("{}\n{u}", p.selftext).trim().to_string())
                }
                _ => (p.title, p.selftext),
            },
        };
        let author = p.author.filter(|a| a != "[deleted]");
        Item {
            source: self.cfg.name.clone(),
            thread: ThreadLinks {
                id: Some(reference(&p.name)),
                in_reply_to: p.parent_id.as_deref().map(reference),
                root: p.link_id.as_deref().map(reference),
            },
            guid: Some(p.name),
            link: Some(format!("https://www.reddit.com{}", p.permalink)),
            title,
            text,
            published_at: published,
            author_id: author.clone(),
            author: author.map(|a| format!("u/{a}")),
            reach: p.subreddit_subscribers,
            lang_hint: None,
            engagement: Engagement {
                likes: p.score,
                reposts: p.num_crossposts,
                replies: p.num_comments,
                quotes: None,
                views: p.view_count,
            },
            ..Default::default()
        }
    }
}

/// A link to something other than Reddit itself (its posts, images and videos).
fn is_outside_link(u: &str) -> bool {
    let Ok(parsed) = url::Url::parse(u) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
    !(host == "reddit.com" || host.ends_with(".reddit.com") || host.ends_with("redd.it"))
}

impl RedditSource {
    /// Nothing newer than the cursor's post, or that post is gone (deleted, removed) and
    /// Reddit pages from nowhere: the newest page, kept to what is newer than its time.
    async fn since_gone_cursor(
        &self,
        anchor: &Option<String>,
        anchor_time: Option<f64>,
        poll: &mut Poll,
    ) -> Result<Vec<serde_json::Value>, SourceError> {
        let mut raw = self.get(self.search_url(None)?.as_str()).await?;
        let listing: Listing =
            api::json_off(std::mem::take(&mut raw.body), "Reddit listing").await?;
        poll.wait = api::spent_wait(&raw.headers, std::time::SystemTime::now());
        let newer = |c: &serde_json::Value| {
            let t = c.pointer("/data/created_utc").and_then(|v| v.as_f64());
            match (t, anchor_time) {
                (Some(t), Some(a)) => t > a,
                _ => false,
            }
        };
        let children: Vec<_> = listing.data.children.into_iter().filter(newer).collect();
        if !children.is_empty() {
            warn!(source = %self.cfg.name, cursor = ?anchor, "the cursor's post is gone: resumed from its time");
        }
        Ok(children)
    }
}

#[async_trait]
impl Source for RedditSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.api_url)
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        // "t3_abc@1795508100": the newest post seen and its time (older cursors: name only).
        let (anchor, anchor_time) = match state.cursor.as_deref() {
            Some(c) => match c.split_once('@') {
                Some((name, t)) => (Some(name.to_string()), t.parse::<f64>().ok()),
                None => (Some(c.to_string()), None),
            },
            None => (None, None),
        };
        let first_poll = state.cursor.is_none();
        let since = api::lookback_start(self.cfg.lookback).timestamp() as f64;
        let mut cursor = state.cursor.clone();
        // Later polls page forwards (`before`: newer) until an empty page; the first pages
        // backwards (`after`: older) to `lookback`, the API's end or `max_pages`.
        let mut before = anchor.clone();
        let mut after: Option<String> = None;
        let mut poll = Poll::default();
        for page in 1..=self.cfg.max_pages {
            let at = match (first_poll, &before, &after) {
                (true, _, Some(a)) => Some(("after", a.as_str())),
                (false, Some(b), _) => Some(("before", b.as_str())),
                _ => None,
            };
            let mut raw = self.get(self.search_url(at)?.as_str()).await?;
            let listing: Listing =
                api::json_off(std::mem::take(&mut raw.body), "Reddit listing").await?;
            after = listing.data.after;
            let mut children = listing.data.children;
            poll.wait = api::spent_wait(&raw.headers, std::time::SystemTime::now());
            if children.is_empty() && page == 1 && before.is_some() && poll.wait.is_none() {
                children = self
                    .since_gone_cursor(&anchor, anchor_time, &mut poll)
                    .await?;
            }
            let n = children.len();
            let oldest = (children.iter())
                .filter_map(|c| c.pointer("/data/created_utc").and_then(|v| v.as_f64()))
                .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.min(t))));
            // Newest first: the first entry is the next cursor, even if malformed.
            let newest = children.first().and_then(|c| {
                let name = c.pointer("/data/name")?.as_str()?;
                Some(
                    match c.pointer("/data/created_utc").and_then(|v| v.as_f64()) {
                        Some(t) => format!("{name}@{t}"),
                        None => name.to_string(),
                    },
                )
            });
            let (posts, skipped) = api::lenient::<Child>(children, &self.cfg.name, "post");
            poll.skipped += skipped;
            for c in posts {
                if c.data.gone() {
                    poll.deleted.push(format!("reddit:{}", c.data.name));
                } else {
                    poll.items.push(self.item(c.data));
                }
            }
            if let Some(c) = newest.filter(|_| !first_poll || cursor.is_none()) {
                before = Some(c.split('@').next().unwrap_or(&c).to_string());
                cursor = Some(c);
            }
            let past_lookback = oldest.is_some_and(|o| o < since);
            let end = n == 0 || (first_poll && (after.is_none() || past_lookback));
            if end {
                break;
            }
            if let Some(w) = poll.wait {
                info!(source = %self.cfg.name, wait_s = w.as_secs(), "rate limit spent: the rest waits for its reset");
                break;
            }
            if page == self.cfg.max_pages {
                poll.left_behind += 1;
                if first_poll {
                    warn!(source = %self.cfg.name, pages = page, "max_pages reached before lookback on the first poll: older posts are not read; raise max_pages to read back further");
                } else {
                    warn!(source = %self.cfg.name, pages = page, "more posts pending: the next poll continues from here");
                }
            }
        }
        poll.cursor = cursor;
        Ok(poll)
    }
}
