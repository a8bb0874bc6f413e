//! The background task that holds the WebSocket: it reads, filters and buffers events,
//! and reconnects from the cursor, dropping the posts a reconnect replays.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tracing::{info, warn};

use super::{Decoded, Filter, Shared, CONNECT_TIMEOUT, IDLE_TIMEOUT};
use crate::core::model::Item;

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

/// The background task: connect, read, filter, buffer; reconnect from the cursor.
pub(super) struct Reader {
    pub(super) endpoint: String,
    pub(super) overlap_us: i64,
    pub(super) max_buffer: usize,
    pub(super) filter: Filter,
    pub(super) shared: Arc<Shared>,
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

    pub(super) async fn run(self, start: Option<i64>) {
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
                            Decoded::Delete(t, uri) => self.deleted(uri, t),
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

    /// Notes a deleted post and moves the cursor (never waits: past `max_buffer`
    /// deletions between two polls, the rest are counted and dropped).
    fn deleted(&self, uri: String, time_us: i64) {
        let mut b = self.shared.buffer.lock().expect("buffer lock");
        if b.deleted.len() < self.max_buffer {
            b.deleted.push(uri);
        } else {
            b.deleted_dropped += 1;
        }
        b.cursor = Some(b.cursor.map_or(time_us, |c| c.max(time_us)));
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

    #[test]
    fn recent_drops_replays_and_forgets_old_keys() {
        let mut r = Recent::default();
        assert!(r.insert(100, "a", 50));
        assert!(!r.insert(120, "a", 50));
        assert!(r.insert(200, "b", 50));
        assert!(!r.keys.contains("a"), "older than the window");
    }
}
