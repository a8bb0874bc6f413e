//! What each host asked of us and how often we called it: the requests sent to a host,
//! the times it answered 429 (or 503 with `Retry-After`), and until when it asked us to
//! wait. One book is shared by every source through the HTTP client, so a wait one
//! source is told of holds back every source of that host; the watcher loads it from the
//! database at start and saves what changed after each poll, so waits outlive restarts
//! and `--once` runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

pub use crate::store::hosts::HostRecord;

#[derive(Debug, Default)]
struct Entry {
    requests: i64,
    rate_limited: i64,
    wait: Option<(DateTime<Utc>, DateTime<Utc>)>,
    wait_changed: bool,
}

/// The shared book of hosts (cheap to clone: one book behind an `Arc`).
#[derive(Debug, Clone, Default)]
pub struct HostBook {
    inner: Arc<Mutex<HashMap<String, Entry>>>,
}

impl HostBook {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>) -> T) -> T {
        // A panic elsewhere while holding the lock leaves plain counters: still usable.
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }

    /// Takes in the waits the database holds (counters start from zero: they are deltas).
    pub fn load(&self, records: Vec<HostRecord>) {
        self.with(|map| {
            for r in records {
                if let Some(w) = r.wait {
                    map.entry(r.host).or_default().wait = Some(w);
                }
            }
        })
    }

    /// One request sent to `host`.
    pub fn count(&self, host: &str) {
        self.with(|map| map.entry(host.to_string()).or_default().requests += 1)
    }

    /// `host` answered with a rate limit; with `until`, it asked us to wait that long.
    /// A later, longer wait replaces a shorter one, never the other way round.
    pub fn limited(&self, host: &str, until: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        self.with(|map| {
            let e = map.entry(host.to_string()).or_default();
            e.rate_limited += 1;
            if let Some(until) = until {
                hold(e, until, now);
            }
        })
    }

    /// A source on `host` was told to wait until `until` (a spent limit on a success,
    /// or a rate limit the source read itself).
    pub fn hold(&self, host: &str, until: DateTime<Utc>, now: DateTime<Utc>) {
        self.with(|map| hold(map.entry(host.to_string()).or_default(), until, now))
    }

    /// Until when `host` asked us to wait and since when, if it did and it is not over.
    pub fn wait_of(
        &self,
        host: &str,
        now: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.with(|map| {
            map.get(host)
                .and_then(|e| e.wait)
                .filter(|(until, _)| *until > now)
        })
    }

    /// What changed since the last call, to be saved (and forgotten here).
    pub fn changes(&self) -> Vec<HostRecord> {
        self.with(|map| {
            map.iter_mut()
                .filter(|(_, e)| e.requests > 0 || e.rate_limited > 0 || e.wait_changed)
                .map(|(host, e)| {
                    let r = HostRecord {
                        host: host.clone(),
                        requests: std::mem::take(&mut e.requests),
                        rate_limited: std::mem::take(&mut e.rate_limited),
                        wait: e.wait.filter(|_| e.wait_changed),
                    };
                    e.wait_changed = false;
                    r
                })
                .collect()
        })
    }
}

fn hold(e: &mut Entry, until: DateTime<Utc>, now: DateTime<Utc>) {
    let current = e.wait.filter(|(u, _)| *u > now);
    if current.is_none_or(|(u, _)| until > u) {
        let since = current.map_or(now, |(_, s)| s);
        e.wait = Some((until, since));
        e.wait_changed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn counts_are_deltas_and_waits_only_grow() {
        let book = HostBook::default();
        let now = Utc::now();
        book.count("a.example");
        book.count("a.example");
        book.limited("a.example", Some(now + Duration::seconds(60)), now);
        book.limited("a.example", Some(now + Duration::seconds(10)), now);
        let c = book.changes();
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].requests, c[0].rate_limited), (2, 2));
        assert_eq!(c[0].wait, Some((now + Duration::seconds(60), now)));
        assert!(
            book.changes().is_empty(),
            "saved changes are not saved twice"
        );
        assert_eq!(
            book.wait_of("a.example", now).map(|w| w.0),
            Some(now + Duration::seconds(60))
        );
        assert_eq!(book.wait_of("a.example", now + Duration::seconds(61)), None);
        assert_eq!(book.wait_of("b.example", now), None);
        // A wait after the first is over starts a new one.
        let later = now + Duration::seconds(100);
        book.hold("a.example", later + Duration::seconds(5), later);
        assert_eq!(
            book.wait_of("a.example", later),
            Some((later + Duration::seconds(5), later))
        );
    }

    #[test]
    fn loaded_waits_hold_but_are_not_saved_again() {
        let book = HostBook::default();
        let now = Utc::now();
        book.load(vec![HostRecord {
            host: "h".into(),
            requests: 40,
            rate_limited: 1,
            wait: Some((now + Duration::seconds(30), now)),
        }]);
        assert!(book.wait_of("h", now).is_some());
        assert!(book.changes().is_empty());
    }
}
