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

mod decode;
mod reader;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

pub use self::decode::{Decoded, Filter};
use self::reader::Reader;
use super::{check_name, Every, Poll, Source, SourceError, SourceState};
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

/// Longest a first poll waits for the stream to catch up.
const CATCH_UP: Duration = Duration::from_secs(10);

/// What the reader task hands to polls.
#[derive(Debug, Default)]
struct Buffer {
    items: Vec<Item>,
    /// References of posts deleted since the last poll (at most `max_buffer`).
    deleted: Vec<String>,
    /// Deletions dropped because `deleted` was full (logged at the next poll).
    deleted_dropped: usize,
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

/// A running Bluesky source: the reader task starts with the first poll.
pub struct JetstreamSource {
    cfg: BlueskyConfig,
    filter: Filter,
    shared: Arc<Shared>,
    task: Mutex<Option<AbortHandle>>,
}

impl JetstreamSource {
    /// Also keeps the replies of the institution's own DIDs (its answers).
    pub fn with_own(mut self, dids: Vec<String>) -> JetstreamSource {
        self.filter = self.filter.clone().with_own(dids);
        self
    }

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

    /// Starts the reader task unless it runs; true when this call started it.
    fn start(&self, cursor: Option<i64>) -> bool {
        let mut task = self.task.lock().expect("task lock");
        if task.is_some() {
            return false;
        }
        let reader = Reader {
            endpoint: self.cfg.endpoint.clone(),
            overlap_us: self.cfg.overlap.as_micros() as i64,
            max_buffer: self.cfg.max_buffer,
            filter: self.filter.clone(),
            shared: self.shared.clone(),
        };
        *task = Some(tokio::spawn(reader.run(cursor)).abort_handle());
        true
    }

    /// After the reader starts: waits until it has caught up (an event of the last
    /// seconds, or nothing new for half a second), it fails, or [`CATCH_UP`] passes.
    /// Without this a first poll, and every `vigie run --once`, would return before the
    /// first event arrived.
    async fn catch_up(&self) {
        let started = tokio::time::Instant::now();
        let mut last = None;
        let mut still_since = started;
        while started.elapsed() < CATCH_UP {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (cursor, failing) = {
                let b = self.shared.buffer.lock().expect("buffer lock");
                (b.cursor, b.failing.is_some())
            };
            let live = chrono::Utc::now().timestamp_micros() - 2_000_000;
            if failing || cursor.is_some_and(|c| c >= live) {
                return;
            }
            if cursor != last {
                last = cursor;
                still_since = tokio::time::Instant::now();
            } else if still_since.elapsed() >= Duration::from_millis(500)
                && (cursor.is_some() || started.elapsed() >= Duration::from_secs(2))
            {
                return;
            }
        }
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
        if self.start(state.cursor.as_deref().and_then(|c| c.parse().ok())) {
            self.catch_up().await;
        }
        let (items, deleted, dropped, cursor, failing) = {
            let mut b = self.shared.buffer.lock().expect("buffer lock");
            (
                std::mem::take(&mut b.items),
                std::mem::take(&mut b.deleted),
                std::mem::take(&mut b.deleted_dropped),
                b.cursor,
                b.failing.clone(),
            )
        };
        if dropped > 0 {
            tracing::warn!(source = %self.cfg.name, dropped, "more deletions between two polls than max_buffer: the rest were not looked for (poll more often)");
        }
        self.shared.drained.notify_one();
        if items.is_empty() {
            if let Some(why) = failing {
                return Err(SourceError::Transport(why));
            }
        }
        Ok(Poll {
            items,
            deleted,
            cursor: cursor.map(|c| c.to_string()),
            ..Poll::default()
        })
    }
}
