//! Sources: where items come from. One file per kind; this module holds the
//! [`Source`] trait, the per-kind config enum, and the errors all sources share.

pub mod api;
pub mod bluesky_search;
mod error;
pub mod feed;
pub mod fetch;
pub mod gdelt;
pub mod google_news;
pub mod guard;
pub mod hosts;
pub mod http;
pub mod imap;
pub mod jetstream;
pub mod mastodon;
pub mod reddit;
pub mod repair;
pub mod rss;
pub mod webhook;
pub mod youtube;
pub mod youtube_comments;

use std::time::Duration;

pub use error::SourceError;

use crate::core::matching::Matcher;
use crate::core::model::Item;
use async_trait::async_trait;
use serde::de::DeserializeOwned;

/// `[[sources]]` entry, by `kind`.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed, over http(s) or `file://`.
    Rss(rss::RssConfig),
    /// A Mastodon hashtag timeline, account, or (with a token) full-text search.
    Mastodon(mastodon::MastodonConfig),
    /// Google News RSS search for a query in one language and region.
    GoogleNews(google_news::GoogleNewsConfig),
    /// GDELT DOC 2.0 article list.
    Gdelt(gdelt::GdeltConfig),
    /// Reddit search, OAuth application-only.
    Reddit(reddit::RedditConfig),
    /// YouTube channel uploads (RSS) or Data API v3 search.
    Youtube(youtube::YoutubeConfig),
    /// Bluesky posts from the public Jetstream firehose, filtered locally.
    Bluesky(jetstream::BlueskyConfig),
    /// Bluesky post search with an app password.
    BlueskySearch(bluesky_search::BlueskySearchConfig),
    /// Mentions pushed to `POST /ingest` by clients with a bearer token (not polled).
    Webhook(webhook::WebhookConfig),
    /// The institution's mailbox: one folder over IMAPS or STARTTLS.
    Imap(imap::ImapConfig),
}

const KINDS: &[&str] = &[
    "rss",
    "mastodon",
    "google_news",
    "gdelt",
    "reddit",
    "youtube",
    "bluesky",
    "bluesky_search",
    "webhook",
    "imap",
];

/// What building a runnable source may need besides its own config.
#[derive(Clone, Debug)]
pub struct BuildContext {
    /// The shared HTTP client.
    pub http: http::Http,
    /// Folder relative paths are resolved against.
    pub base: std::path::PathBuf,
    /// The institution's matcher, for sources that must filter locally (firehoses).
    pub matcher: Matcher,
    /// The institution's own accounts, whose answers firehoses keep too.
    pub own: crate::core::pipeline::OwnAccounts,
}

impl SourceConfig {
    /// The source's unique name.
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Rss(c) => &c.name,
            SourceConfig::Mastodon(c) => &c.name,
            SourceConfig::GoogleNews(c) => &c.name,
            SourceConfig::Gdelt(c) => &c.name,
            SourceConfig::Reddit(c) => &c.name,
            SourceConfig::Youtube(c) => &c.name,
            SourceConfig::Bluesky(c) => &c.name,
            SourceConfig::BlueskySearch(c) => &c.name,
            SourceConfig::Webhook(c) => &c.name,
            SourceConfig::Imap(c) => &c.name,
        }
    }

    /// Polling interval (for a stream: how often what arrived is stored).
    pub fn every(&self) -> Duration {
        match self {
            SourceConfig::Rss(c) => c.every,
            SourceConfig::Mastodon(c) => c.every.0,
            SourceConfig::GoogleNews(c) => c.every.0,
            SourceConfig::Gdelt(c) => c.every.0,
            SourceConfig::Reddit(c) => c.every.0,
            SourceConfig::Youtube(c) => c.every.0,
            SourceConfig::Bluesky(c) => c.every.0,
            SourceConfig::BlueskySearch(c) => c.every.0,
            SourceConfig::Webhook(_) => Duration::ZERO,
            SourceConfig::Imap(c) => c.every.0,
        }
    }

    /// The institution's own account this source is about, as (source, account id): the
    /// channel whose videos' comments it reads answers there as the channel owner.
    pub fn own_account(&self) -> Option<(String, String)> {
        match self {
            SourceConfig::Youtube(c) => {
                c.comments_of_channel.clone().map(|ch| (c.name.clone(), ch))
            }
            // The mailbox's own address: what the institution sends from it is its answer.
            SourceConfig::Imap(c) => c
                .username
                .contains('@')
                .then(|| (c.name.clone(), c.username.trim().to_lowercase())),
            _ => None,
        }
    }

    /// The URLs the config gives this source (its hosts are trusted by [`guard`]).
    pub fn urls(&self) -> Vec<&str> {
        match self {
            SourceConfig::Rss(c) => vec![c.url.as_str()],
            SourceConfig::Mastodon(c) => vec![c.instance.as_str()],
            SourceConfig::GoogleNews(c) => vec![c.base_url.as_str()],
            SourceConfig::Gdelt(c) => vec![c.base_url.as_str()],
            SourceConfig::Reddit(c) => vec![c.token_url.as_str(), c.api_url.as_str()],
            SourceConfig::Youtube(c) => vec![c.feeds_url.as_str(), c.api_url.as_str()],
            SourceConfig::Bluesky(c) => vec![c.endpoint.as_str()],
            SourceConfig::BlueskySearch(c) => vec![c.service.as_str()],
            SourceConfig::Webhook(_) | SourceConfig::Imap(_) => Vec::new(),
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
        let mut table = value.as_table().cloned().unwrap_or_default();
        table.remove("kind");
        let table = toml::Value::Table(table);
        match kind.as_deref() {
            Some("rss") => {
                let mut c: rss::RssConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Rss(c))
            }
            Some("mastodon") => {
                let c: mastodon::MastodonConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Mastodon(c))
            }
            Some("google_news") => {
                let c: google_news::GoogleNewsConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::GoogleNews(c))
            }
            Some("gdelt") => {
                let c: gdelt::GdeltConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Gdelt(c))
            }
            Some("reddit") => {
                let c: reddit::RedditConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Reddit(c))
            }
            Some("youtube") => {
                let c: youtube::YoutubeConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Youtube(c))
            }
            Some("bluesky") => {
                let c: jetstream::BlueskyConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Bluesky(c))
            }
            Some("bluesky_search") => {
                let c: bluesky_search::BlueskySearchConfig = de(path, table, err)?;
                c.validate(path, err)
                    .then_some(SourceConfig::BlueskySearch(c))
            }
            Some("webhook") => {
                let c: webhook::WebhookConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Webhook(c))
            }
            Some("imap") => {
                let c: imap::ImapConfig = de(path, table, err)?;
                c.validate(path, err).then_some(SourceConfig::Imap(c))
            }
            Some(other) => {
                err(
                    format!("{path}.kind"),
                    format!("unknown kind {other:?}"),
                    Some(&hint),
                );
                check_shared_keys(path, &table, err);
                None
            }
            None => {
                err(format!("{path}.kind"), "missing".into(), Some(&hint));
                check_shared_keys(path, &table, err);
                None
            }
        }
    }

    /// Builds the runnable source; None for kinds that are pushed to rather than polled
    /// (webhook: see [`webhook::router`]).
    pub fn build(&self, ctx: &BuildContext) -> Option<Box<dyn Source>> {
        let http = ctx.http.clone();
        Some(match self {
            SourceConfig::Rss(c) => Box::new(rss::RssSource::new(c.clone(), http, &ctx.base)),
            SourceConfig::Mastodon(c) => Box::new(mastodon::MastodonSource::new(c.clone(), http)),
            SourceConfig::GoogleNews(c) => Box::new(c.source(http, &ctx.base)),
            SourceConfig::Gdelt(c) => Box::new(gdelt::GdeltSource::new(c.clone(), http)),
            SourceConfig::Reddit(c) => Box::new(reddit::RedditSource::new(c.clone(), http)),
            SourceConfig::Youtube(c) => youtube::build(c.clone(), http, &ctx.base),
            SourceConfig::Bluesky(c) => Box::new(
                jetstream::JetstreamSource::new(c.clone(), ctx.matcher.clone())
                    .with_own(ctx.own.ids_for(&c.name)),
            ),
            SourceConfig::BlueskySearch(c) => {
                Box::new(bluesky_search::BlueskySearchSource::new(c.clone(), http))
            }
            SourceConfig::Imap(c) => Box::new(imap::ImapSource::new(
                c.clone(),
                &ctx.base,
                ctx.http.max_items(),
            )),
            SourceConfig::Webhook(_) => return None,
        })
    }
}

/// Without a known kind there is no type to read the table into; the keys every kind
/// shares (`name`, `every`) are still checked, so that one pass reports every problem.
fn check_shared_keys(
    path: &str,
    table: &toml::Value,
    err: &mut dyn FnMut(String, String, Option<&str>),
) {
    if let Some(name) = table.get("name") {
        if let Some(name) = de::<String>(&format!("{path}.name"), name.clone(), err) {
            check_name(path, &name, err);
        }
    }
    if let Some(every) = table.get("every") {
        de::<Every>(&format!("{path}.every"), every.clone(), err);
    }
}

/// Deserializes a kind's table, reporting the first error with its full key path.
fn de<T: DeserializeOwned>(
    path: &str,
    table: toml::Value,
    err: &mut dyn FnMut(String, String, Option<&str>),
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(table) {
        Ok(c) => Some(c),
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

/// A polling interval read from config text ("15m"), at least 10 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub Duration);

impl<'de> serde::Deserialize<'de> for Every {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Every, D::Error> {
        let s = String::deserialize(d)?;
        let v = crate::core::config::parse_duration(&s).map_err(serde::de::Error::custom)?;
        if v < Duration::from_secs(10) {
            return Err(serde::de::Error::custom(format!(
                "{v:?} is too often: poll at most every 10s"
            )));
        }
        Ok(Every(v))
    }
}

/// Checks that a `base_url`-like value is an absolute http(s) URL.
pub(crate) fn check_url(
    path: &str,
    key: &str,
    value: &str,
    err: &mut dyn FnMut(String, String, Option<&str>),
) -> bool {
    let ok = url::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !ok {
        err(
            format!("{path}.{key}"),
            format!("{value:?} is not an http(s) URL"),
            None,
        );
    }
    ok
}

/// Checks that a name is not blank.
pub(crate) fn check_name(
    path: &str,
    name: &str,
    err: &mut dyn FnMut(String, String, Option<&str>),
) -> bool {
    if name.trim().is_empty() {
        err(format!("{path}.name"), "is empty".into(), None);
        return false;
    }
    true
}

/// Checks that `max_pages` lets a poll read at least one page.
pub(crate) fn check_pages(
    path: &str,
    max_pages: u32,
    err: &mut dyn FnMut(String, String, Option<&str>),
) -> bool {
    if max_pages == 0 {
        err(
            format!("{path}.max_pages"),
            "must be at least 1".into(),
            None,
        );
        return false;
    }
    true
}

/// Runs CPU work (parsing, HTML to text) on the blocking pool, off the async workers
/// that every other source and the web page share.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SourceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SourceError::Parse(format!("parser crashed: {e}")))
}

/// Polling state kept in the database between polls (defined with its table in the store).
pub use crate::store::sources::SourceState;

/// What one poll brought.
#[derive(Debug, Default)]
pub struct Poll {
    /// Items, in source order.
    pub items: Vec<Item>,
    /// Platform references of posts the platform says were deleted or removed (see
    /// `ThreadLinks::id`): the mentions they were stored as are marked deleted.
    pub deleted: Vec<String>,
    /// New validators to store (unchanged when the server did not send them).
    pub etag: Option<String>,
    /// New `Last-Modified`.
    pub last_modified: Option<String>,
    /// 304: nothing changed, no body transferred.
    pub not_modified: bool,
    /// The document was malformed and our repair made it readable.
    pub repaired: Option<String>,
    /// New cursor to store; None keeps the stored one.
    pub cursor: Option<String>,
    /// The API's rate limit is spent: do not call again before this long.
    pub wait: Option<Duration>,
    /// Entries of the answer that could not be read and were skipped (logged).
    pub skipped: usize,
    /// Entries left out, unread, because the answer had more than `[fetch] max_items`.
    pub beyond: usize,
    /// Pages left unread because `max_pages` stopped the poll while the API said there
    /// were more (one per cut: how many more the API does not say).
    pub left_behind: usize,
}

/// A place items come from.
#[async_trait]
pub trait Source: Send + Sync {
    /// Unique name from the config.
    fn name(&self) -> &str;
    /// Host that rate limits apply to (None for local files).
    fn host(&self) -> Option<String>;
    /// Every host a poll calls (the scheduler polls one source per host at a time and
    /// holds them all while one of them asked us to wait); the first is [`Source::host`].
    fn hosts(&self) -> Vec<String> {
        self.host().into_iter().collect()
    }
    /// Fetches what is new since `state`.
    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError>;
    /// Has something to deliver now (a mailbox's IDLE heard of new mail): poll it before
    /// its interval is up. The daemon asks between polls; a single round never does.
    fn ready(&self) -> bool {
        false
    }
}
