//! Hosts between polls: a wait one host asked for holds back every source calling it,
//! and the book of hosts (requests, rate limits, waits) is loaded from the database at
//! start and saved after each poll, so that waits outlive restarts and `--once` runs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::error;

use super::schedule::add;
use crate::sources::hosts::HostBook;
use crate::store::Store;

/// Takes in the waits the database holds.
pub async fn load(store: &Store, book: &HostBook) -> anyhow::Result<()> {
    book.load(store.hosts().await?);
    Ok(())
}

/// The first of `hosts` that asked us to wait and is still holding a source polled
/// `every`, with until when. A wait holds a host's other sources back one of their
/// intervals at most: one answer, however absurd its wait, cannot silence a host.
pub fn held(
    book: &HostBook,
    hosts: &[String],
    every: Duration,
    now: DateTime<Utc>,
) -> Option<(String, DateTime<Utc>)> {
    hosts.iter().find_map(|h| {
        book.wait_of(h, now)
            .filter(|(_, since)| add(*since, every) > now)
            .map(|(until, _)| (h.clone(), until))
    })
}

/// After a poll: a wait the source was told of (a rate limit, or a spent limit on a
/// success) holds its host too; then what changed in the book is saved.
pub async fn after_poll(
    store: &Store,
    book: &HostBook,
    host: Option<&str>,
    retry_after: Option<DateTime<Utc>>,
) {
    let now = Utc::now();
    if let (Some(h), Some(until)) = (host, retry_after.filter(|t| *t > now)) {
        book.hold(h, until, now);
    }
    save(store, book).await;
}

/// Saves what changed in the book (a failure is logged: counts are lost, not waits,
/// which the sources' own state keeps too).
pub async fn save(store: &Store, book: &HostBook) {
    if let Err(e) = store.save_hosts(&book.changes()).await {
        error!(error = %e, "could not save the hosts' requests and waits");
    }
}
