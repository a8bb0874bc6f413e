//! `kind = "bluesky"`: posts from Bluesky's public Jetstream (a JSON view of the
//! firehose over a WebSocket; no account needed), filtered locally by the institution's
//! keywords and by language.
//!
//! A stream does not fit a poll, so the source keeps a background task that holds the
//! connection, filters events as they come and buffers the matching posts; each daemon
//! "poll" drains the buffer together with the `time_us` of the last event processed,
//! which the daemon saves as the cursor once the posts are stored. The task reconnects
//! from that position minus `overlap` (Jetstream's advice for gapless replay) and drops
//! the posts it already delivered (by did + rkey), so a dropped connection loses and
//! duplicates nothing; after a restart the store's keys catch the few replayed posts.
//! When the buffer is full the task stops reading (the socket backs up) rather than drop.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tracing::{info, warn};

use super::{api, check_name, Every, Poll, Source, SourceError, SourceState};
use crate::core::matching::Matcher;
use crate::core::model::Item;

/// Longest wait for the WebSocket handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest silence before the connection is deemed dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// `[[sources]] kind = "bluesky"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyConfig {
    /// Unique name.
    pub name: String,
    /// How often what arrived is stored.
    pub every: Every,
    /// Jetstream endpoint (`wss://…/subscribe`).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// Keep posts in these languages (ISO 639-1; "fr" keeps "fr-BE"); posts that
    /// declare no language are kept. Empty keeps all.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Replay this much before the cursor on reconnect.
    #[serde(
        default = "default_overlap",
        deserialize_with = "crate::core::config::humantime_serde_compat::deserialize"
    )]
    pub overlap: Duration,
    /// Matching posts held between two polls before reading pauses.
    #[serde(default = "default_buffer")]
    pub max_buffer: usize,
}

fn default_endpoint() -> String {
    "wss://jetstream2.us-east.bsky.network/subscribe".into()
}

fn default_overlap() -> Duration {
    Duration::from_secs(5)
}

fn default_buffer() -> usize {
    10_000
}

impl BlueskyConfig {
    /// Checks the endpoint, languages and limits.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        if !url::Url::parse(&self.endpoint)
            .is_ok_and(|u| matches!(u.scheme(), "ws" | "wss") && u.host_str().is_some())
        {
            err(
                format!("{path}.endpoint"),
                format!("{:?} is not a ws(s):// URL", self.endpoint),
                Some("e.g. \"wss://jetstream2.us-east.bsky.network/subscribe\""),
            );
            ok = false;
        }
        for (i, l) in self.languages.iter().enumerate() {
            if !(l.len() == 2 && l.chars().all(|c| c.is_ascii_lowercase())) {
                err(
                    format!("{path}.languages[{i}]"),
                    format!("{l:?} is not an ISO 639-1 code"),
                    Some("e.g. \"fr\", \"nl\""),
                );
                ok = false;
            }
        }
        if self.max_buffer == 0 {
            err(
                format!("{path}.max_buffer"),
                "must be at least 1".into(),
                None,
            );
            ok = false;
        }
        ok
    }
}

#[derive(Debug, Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    did: &'a str,
    time_us: i64,
    kind: &'a str,
    #[serde(default, borrow)]
    commit: Option<Commit<'a>>,
}

#[derive(Debug, Deserialize)]
struct Commit<'a> {
    operation: &'a str,
    collection: &'a str,
    rkey: &'a str,
    #[serde(default)]
    record: Option<Record>,
}

#[derive(Debug, Deserialize)]
struct Record {
    #[serde(default)]
    text: String,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(rename = "createdAt", default)]
    created_at: Option<String>,
}

/// What one event means to us.
#[derive(Debug)]
pub enum Decoded {
    /// A post that passes the filter, with its stream position.
    Post(i64, Box<Item>),
    /// Anything else (other posts, deletes, identity and account events), with its position.
    Skip(i64),
    /// Not a Jetstream event.
    Malformed(String),
}

/// The local filter: languages, then the institution's keywords.
#[derive(Debug, Clone)]
pub struct Filter {
    matcher: Matcher,
    languages: Vec<String>,
    source: String,
}

impl Filter {
    /// `languages` empty keeps every language.
    pub fn new(source: &str, matcher: Matcher, languages: &[String]) -> Filter {
        Filter {
            matcher,
            languages: languages.to_vec(),
            source: source.to_string(),
        }
    }

    fn language_ok(&self, langs: &[String]) -> bool {
        self.languages.is_empty()
            || langs.is_empty()
            || langs.iter().any(|l| {
                let base = l.split(['-', '_']).next().unwrap_or(l);
                self.languages.iter().any(|w| w.eq_ignore_ascii_case(base))
            })
    }

    /// Decodes and filters one event.
    pub fn decode(&self, line: &str) -> Decoded {
        let ev: Event = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => return Decoded::Malformed(e.to_string()),
        };
        let Some(c) = ev.commit.as_ref().filter(|c| {
            ev.kind == "commit" && c.operation == "create" && c.collection == "app.bsky.feed.post"
        }) else {
            return Decoded::Skip(ev.time_us);
        };
        let Some(r) = &c.record else {
            return Decoded::Skip(ev.time_us);
        };
        if !self.language_ok(&r.langs) || self.matcher.check(&r.text).is_none() {
            return Decoded::Skip(ev.time_us);
        }
        let published = r
            .created_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| Utc.timestamp_micros(ev.time_us).single());
        let item = Item {
            source: self.source.clone(),
            guid: Some(format!("at://{}/app.bsky.feed.post/{}", ev.did, c.rkey)),
            link: Some(format!(
                "https://bsky.app/profile/{}/post/{}",
                ev.did, c.rkey
            )),
            title: api::post_title(&r.text),
            text: r.text.clone(),
            published_at: published,
            author: Some(ev.did.to_string()),
            reach: None,
            lang_hint: r.langs.first().cloned(),
        };
        Decoded::Post(ev.time_us, Box::new(item))
    }
}

/// What the reader task hands to polls.
#[derive(Debug, Default)]
struct Buffer {
    items: Vec<Item>,
    /// `time_us` of the last event processed.
    cursor: Option<i64>,
    /// Why the connection is down, while it is.
    failing: Option<String>,
}

struct Shared {
    buffer: Mutex<Buffer>,
    /// Signalled when a poll drains the buffer.
    drained: Notify,
}

/// Posts delivered recently, to drop the ones a reconnect replays.
#[derive(Default)]
struct Recent {
    keys: HashSet<String>,
    order: VecDeque<(i64, String)>,
}

impl Recent {
    /// False when the post was already delivered.
    fn insert(&mut self, time_us: i64, key: &str, keep_us: i64) -> bool {
        if self.keys.contains(key) {
            return false;
        }
        self.keys.insert(key.to_string());
        self.order.push_back((time_us, key.to_string()));
        while let Some((t, k)) = self.order.front() {
            if *t >= time_us - keep_us {
                break;
            }
            self.keys.remove(k);
            self.order.pop_front();
        }
        true
    }
}

/// A running Bluesky source: the reader task starts with the first poll.
pub struct JetstreamSource {
    cfg: BlueskyConfig,
    filter: Filter,
    shared: Arc<Shared>,
    task: Mutex<Option<AbortHandle>>,
}

impl JetstreamSource {
    /// Filters with the institution's matcher.
    pub fn new(cfg: BlueskyConfig, matcher: Matcher) -> JetstreamSource {
        let filter = Filter::new(&cfg.name, matcher, &cfg.languages);
        JetstreamSource {
            cfg,
            filter,
            shared: Arc::new(Shared {
                buffer: Mutex::new(Buffer::default()),
                drained: Notify::new(),
            }),
            task: Mutex::new(None),
        }
    }

    fn start(&self, cursor: Option<i64>) {
        let mut task = self.task.lock().expect("task lock");
        if task.is_some() {
            return;
        }
        let reader = Reader {
            endpoint: self.cfg.endpoint.clone(),
            overlap_us: self.cfg.overlap.as_micros() as i64,
            max_buffer: self.cfg.max_buffer,
            filter: self.filter.clone(),
            shared: self.shared.clone(),
        };
        *task = Some(tokio::spawn(reader.run(cursor)).abort_handle());
    }
}

impl Drop for JetstreamSource {
    fn drop(&mut self) {
        if let Some(t) = self.task.lock().ok().and_then(|mut t| t.take()) {
            t.abort();
        }
    }
}

#[async_trait]
impl Source for JetstreamSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.endpoint)
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        self.start(state.cursor.as_deref().and_then(|c| c.parse().ok()));
        let (items, cursor, failing) = {
            let mut b = self.shared.buffer.lock().expect("buffer lock");
            (std::mem::take(&mut b.items), b.cursor, b.failing.clone())
        };
        self.shared.drained.notify_one();
        if items.is_empty() {
            if let Some(why) = failing {
                return Err(SourceError::Transport(why));
            }
        }
        Ok(Poll {
            items,
            cursor: cursor.map(|c| c.to_string()),
            ..Poll::default()
        })
    }
}

/// The background task: connect, read, filter, buffer; reconnect from the cursor.
struct Reader {
    endpoint: String,
    overlap_us: i64,
    max_buffer: usize,
    filter: Filter,
    shared: Arc<Shared>,
}

impl Reader {
    fn url(&self, cursor: Option<i64>) -> String {
        let mut u = url::Url::parse(&self.endpoint).expect("validated");
        u.query_pairs_mut()
            .append_pair("wantedCollections", "app.bsky.feed.post");
        if let Some(c) = cursor {
            u.query_pairs_mut()
                .append_pair("cursor", &(c - self.overlap_us).max(0).to_string());
        }
        u.to_string()
    }

    async fn run(self, start: Option<i64>) {
        let mut cursor = start;
        let mut recent = Recent::default();
        let mut failures: u32 = 0;
        loop {
            let url = self.url(cursor);
            // Posts are small: a huge frame is not Jetstream, and must not eat memory.
            let ws_cfg = WebSocketConfig::default().max_message_size(Some(1 << 20));
            let connect =
                tokio_tungstenite::connect_async_with_config(url.as_str(), Some(ws_cfg), true);
            let connected = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!("no answer within {CONNECT_TIMEOUT:?}")),
            };
            match connected {
                Ok((mut ws, _)) => {
                    info!(source = %self.filter.source, cursor = ?cursor, "Jetstream connected");
                    self.shared.buffer.lock().expect("buffer lock").failing = None;
                    loop {
                        // The firehose never goes quiet for long: silence means a dead link.
                        let msg = match tokio::time::timeout(IDLE_TIMEOUT, ws.next()).await {
                            Ok(Some(m)) => m,
                            Ok(None) => break,
                            Err(_) => {
                                warn!(source = %self.filter.source, "Jetstream silent for {IDLE_TIMEOUT:?}: reconnecting");
                                break;
                            }
                        };
                        let text = match msg {
                            Ok(Message::Text(t)) => t,
                            Ok(Message::Close(_)) => break,
                            Ok(_) => continue,
                            Err(e) => {
                                warn!(source = %self.filter.source, error = %e, "Jetstream connection lost");
                                break;
                            }
                        };
                        failures = 0;
                        match self.filter.decode(text.as_str()) {
                            Decoded::Post(t, item) => {
                                let key = item.guid.clone().unwrap_or_default();
                                if recent.insert(t, &key, 2 * self.overlap_us) {
                                    self.push(Some(*item), t).await;
                                } else {
                                    self.push(None, t).await;
                                }
                            }
                            Decoded::Skip(t) => self.push(None, t).await,
                            Decoded::Malformed(e) => {
                                warn!(source = %self.filter.source, error = %e, "malformed Jetstream event skipped")
                            }
                        }
                    }
                    cursor = self
                        .shared
                        .buffer
                        .lock()
                        .expect("buffer lock")
                        .cursor
                        .or(cursor);
                }
                Err(e) => {
                    failures += 1;
                    let why = format!("cannot connect to {}: {e}", self.endpoint);
                    warn!(source = %self.filter.source, failures, error = %why, "Jetstream");
                    self.shared.buffer.lock().expect("buffer lock").failing = Some(why);
                }
            }
            let wait =
                Duration::from_millis(250 * 2u64.pow(failures.min(8))).min(Duration::from_secs(60));
            tokio::time::sleep(wait).await;
        }
    }

    /// Adds a post (if any) and moves the cursor; waits while the buffer is full.
    async fn push(&self, item: Option<Item>, time_us: i64) {
        loop {
            let drained = self.shared.drained.notified();
            {
                let mut b = self.shared.buffer.lock().expect("buffer lock");
                if item.is_none() || b.items.len() < self.max_buffer {
                    b.items.extend(item);
                    // Replayed events are older than the cursor: it never moves back.
                    b.cursor = Some(b.cursor.map_or(time_us, |c| c.max(time_us)));
                    return;
                }
            }
            drained.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(langs: &[&str]) -> Filter {
        let m = Matcher::new(&["SPF Finances".into(), "MyMinfin".into()], &[]).unwrap();
        let langs: Vec<String> = langs.iter().map(|s| s.to_string()).collect();
        Filter::new("bsky", m, &langs)
    }

    const POST: &str = r#"{"did":"did:plc:eygmaihciaxprqvxpfvl6flk","time_us":1732430000123456,"kind":"commit","commit":{"rev":"3lbotn3ox2k2u","operation":"create","collection":"app.bsky.feed.post","rkey":"3lbotn3ntxk2u","record":{"$type":"app.bsky.feed.post","createdAt":"2026-11-24T08:15:00.000Z","langs":["fr"],"text":"MyMinfin est encore en panne 😡"},"cid":"bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"}}"#;

    #[test]
    fn decodes_matching_posts_and_skips_the_rest() {
        let f = filter(&["fr", "nl"]);
        match f.decode(POST) {
            Decoded::Post(t, item) => {
                assert_eq!(t, 1732430000123456);
                assert_eq!(
                    item.guid.as_deref(),
                    Some("at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3lbotn3ntxk2u")
                );
                assert_eq!(
                    item.link.as_deref(),
                    Some("https://bsky.app/profile/did:plc:eygmaihciaxprqvxpfvl6flk/post/3lbotn3ntxk2u")
                );
                assert_eq!(item.lang_hint.as_deref(), Some("fr"));
                assert_eq!(
                    item.published_at.unwrap().to_rfc3339(),
                    "2026-11-24T08:15:00+00:00"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            filter(&["nl"]).decode(POST),
            Decoded::Skip(1732430000123456)
        ));
        assert!(matches!(filter(&[]).decode(POST), Decoded::Post(..)));
        let other = POST.replace("MyMinfin", "Le train");
        assert!(matches!(f.decode(&other), Decoded::Skip(_)));
        let delete = r#"{"did":"did:plc:x","time_us":5,"kind":"commit","commit":{"rev":"r","operation":"delete","collection":"app.bsky.feed.post","rkey":"k"}}"#;
        assert!(matches!(f.decode(delete), Decoded::Skip(5)));
        let identity = r#"{"did":"did:plc:x","time_us":6,"kind":"identity","identity":{"did":"did:plc:x","handle":"a.bsky.social","seq":1,"time":"2026-11-24T08:15:00.000Z"}}"#;
        assert!(matches!(f.decode(identity), Decoded::Skip(6)));
        assert!(matches!(f.decode("{\"nope\":1}"), Decoded::Malformed(_)));
        let regional = POST.replace("[\"fr\"]", "[\"fr-BE\"]");
        assert!(matches!(f.decode(&regional), Decoded::Post(..)));
    }

    #[test]
    fn recent_drops_replays_and_forgets_old_keys() {
        let mut r = Recent::default();
        assert!(r.insert(100, "a", 50));
        assert!(!r.insert(120, "a", 50));
        assert!(r.insert(200, "b", 50));
        assert!(!r.keys.contains("a"), "older than the window");
    }
}
