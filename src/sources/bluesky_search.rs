//! `kind = "bluesky_search"`: Bluesky's post search (`app.bsky.feed.searchPosts`) with an
//! app password, newest first since the cursor. It complements the `bluesky` stream:
//! it fills what Jetstream can no longer replay after a long outage, and finds posts by
//! Bluesky's own search. Posts carry the same link as the stream's, so the store keeps
//! one mention when both see a post.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tracing::{info, warn};

use super::api;
use super::http::{Http, Raw};
use super::{check_name, check_pages, check_url, Every, Poll, Source, SourceError, SourceState};
use crate::core::model::{Engagement, Item};
use crate::core::secret::{check_var, EnvSecret};

/// Posts per page: the API's maximum.
const LIMIT: usize = 100;

/// `[[sources]] kind = "bluesky_search"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskySearchConfig {
    /// Unique name.
    pub name: String,
    /// Search query (Lucene-like: phrases in quotes, `lang:fr`).
    pub query: String,
    /// Environment variable holding the account's handle or e-mail.
    pub identifier_env: String,
    /// Environment variable holding an app password (Settings > App passwords).
    pub app_password_env: String,
    /// Polling interval.
    pub every: Every,
    /// Most pages per poll.
    #[serde(default = "default_pages")]
    pub max_pages: u32,
    /// How far back the first poll looks.
    #[serde(
        default = "api::one_day",
        deserialize_with = "crate::core::config::humantime_serde_compat::deserialize"
    )]
    pub lookback: std::time::Duration,
    /// The account's server (its PDS or an entryway; a proxy in front of it).
    #[serde(default = "default_service")]
    pub service: String,
}

fn default_pages() -> u32 {
    5
}

fn default_service() -> String {
    "https://bsky.social".into()
}

impl BlueskySearchConfig {
    /// Checks the query, variables and service URL.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        if self.query.trim().is_empty() {
            err(format!("{path}.query"), "is empty".into(), None);
            ok = false;
        }
        ok &= check_var(path, "identifier_env", &self.identifier_env, err);
        ok &= check_var(path, "app_password_env", &self.app_password_env, err);
        ok &= check_url(path, "service", &self.service, err);
        ok &= check_pages(path, self.max_pages, err);
        ok
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    access_jwt: String,
}

#[derive(Debug, Deserialize)]
struct SearchPage {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    posts: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    uri: String,
    author: Author,
    record: Record,
    indexed_at: DateTime<Utc>,
    #[serde(rename = "likeCount", default)]
    like_count: Option<i64>,
    #[serde(rename = "repostCount", default)]
    repost_count: Option<i64>,
    #[serde(rename = "replyCount", default)]
    reply_count: Option<i64>,
    #[serde(rename = "quoteCount", default)]
    quote_count: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Author {
    did: String,
    #[serde(default)]
    handle: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Record {
    #[serde(default)]
    text: String,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(rename = "createdAt", default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    reply: Option<api::BskyReply>,
}

/// A running Bluesky search.
pub struct BlueskySearchSource {
    cfg: BlueskySearchConfig,
    http: Http,
    identifier: EnvSecret,
    password: EnvSecret,
    session: tokio::sync::Mutex<Option<SecretString>>,
}

impl BlueskySearchSource {
    /// Reads the credentials from the environment now.
    pub fn new(cfg: BlueskySearchConfig, http: Http) -> BlueskySearchSource {
        let identifier = EnvSecret::from_env(&cfg.identifier_env, "a Bluesky handle");
        let password = EnvSecret::from_env(&cfg.app_password_env, "a Bluesky app password");
        BlueskySearchSource {
            cfg,
            http,
            identifier,
            password,
            session: tokio::sync::Mutex::new(None),
        }
    }

    fn base(&self) -> &str {
        self.cfg.service.trim_end_matches('/')
    }

    fn auth_hint(&self) -> String {
        format!(
            "{} refused the login in {} / {}: check the handle and that the app password was not revoked",
            self.cfg.service, self.cfg.identifier_env, self.cfg.app_password_env
        )
    }

    async fn token(&self, renew: bool) -> Result<SecretString, SourceError> {
        let mut s = self.session.lock().await;
        if let Some(t) = s.as_ref().filter(|_| !renew) {
            return Ok(t.clone());
        }
        let url = format!("{}/xrpc/com.atproto.server.createSession", self.base());
        let req = self.http.client().post(&url).json(&serde_json::json!({
            "identifier": self.identifier.get()?.expose_secret(),
            "password": self.password.get()?.expose_secret(),
        }));
        let raw = self.http.send(req).await?;
        // A wrong password is a 401 AuthenticationRequired.
        let raw = api::check(raw, &url, &self.auth_hint())?;
        let session: Session = api::json(&raw.body, "Bluesky session")?;
        let t = SecretString::from(session.access_jwt);
        *s = Some(t.clone());
        Ok(t)
    }

    async fn get(&self, url: &str) -> Result<Raw, SourceError> {
        let mut renew = false;
        loop {
            let t = self.token(renew).await?;
            let req = self
                .http
                .client()
                .get(url)
                .header(AUTHORIZATION, format!("Bearer {}", t.expose_secret()));
            let raw = self.http.send(req).await?;
            // Access tokens live about two hours: an expired one is a 400 ExpiredToken.
            let expired = raw.status == 401
                || (raw.status == 400
                    && String::from_utf8_lossy(&raw.body).contains("ExpiredToken"));
            if expired && !renew {
                info!(source = %self.cfg.name, "Bluesky session expired: logging in again");
                renew = true;
                continue;
            }
            return api::check(raw, url, &self.auth_hint());
        }
    }

    fn item(&self, p: PostView) -> Item {
        let rkey = p.uri.rsplit('/').next().unwrap_or_default().to_string();
        Item {
            source: self.cfg.name.clone(),
            guid: Some(p.uri.clone()),
            // The same link as the stream's (by DID), so both sources meet in one mention.
            link: Some(format!(
                "https://bsky.app/profile/{}/post/{rkey}",
                p.author.did
            )),
            title: api::post_title(&p.record.text),
            text: p.record.text,
            published_at: p.record.created_at.or(Some(p.indexed_at)),
            author: p
                .author
                .handle
                .map(|h| format!("@{h}"))
                .or(Some(p.author.did.clone())),
            reach: None,
            lang_hint: p.record.langs.into_iter().next(),
            thread: api::bsky_thread(&p.uri, p.record.reply),
            author_id: Some(p.author.did),
            engagement: Engagement {
                likes: p.like_count,
                reposts: p.repost_count,
                replies: p.reply_count,
                quotes: p.quote_count,
                views: None,
            },
            ..Default::default()
        }
    }
}

#[async_trait]
impl Source for BlueskySearchSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.service)
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        let since = api::cursor_time(state.cursor.as_deref(), self.cfg.lookback);
        let mut poll = Poll::default();
        let mut newest = since;
        let mut page_cursor: Option<String> = None;
        for page in 1..=self.cfg.max_pages {
            let mut u = url::Url::parse(&format!("{}/xrpc/app.bsky.feed.searchPosts", self.base()))
                .map_err(|e| SourceError::Transport(e.to_string()))?;
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("q", self.cfg.query.trim())
                    .append_pair("sort", "latest")
                    .append_pair("limit", &LIMIT.to_string())
                    .append_pair(
                        "since",
                        &since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    );
                if let Some(c) = &page_cursor {
                    q.append_pair("cursor", c);
                }
            }
            let mut raw = self.get(u.as_str()).await?;
            poll.wait = api::spent_wait(&raw.headers, std::time::SystemTime::now());
            let page_data: SearchPage =
                api::json_off(std::mem::take(&mut raw.body), "Bluesky search").await?;
            let (posts, skipped) =
                api::lenient::<PostView>(page_data.posts, &self.cfg.name, "post");
            poll.skipped += skipped;
            for p in posts {
                newest = newest.max(p.indexed_at);
                poll.items.push(self.item(p));
            }
            page_cursor = page_data.cursor;
            if page_cursor.is_none() {
                break;
            }
            if poll.wait.is_some() {
                break;
            }
            if page == self.cfg.max_pages {
                poll.left_behind += 1;
                warn!(source = %self.cfg.name, pages = page, "more posts than max_pages fetch: the oldest of this window are skipped; raise max_pages or poll more often");
            }
        }
        poll.cursor = Some(newest.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        Ok(poll)
    }
}
