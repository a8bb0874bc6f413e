//! The daemon: one scheduler that polls due sources politely, runs items through the
//! pipeline into the store, and wakes the classification stage. Shutdown is passed in.

use futures::FutureExt;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::schedule::{add, backoff, jitter};
use crate::core::clock::Clock;
use crate::core::pipeline::Pipeline;
use crate::sources::fetch::SourcesConfig;
use crate::sources::http::Http;
use crate::sources::{BuildContext, Source, SourceError, SourceState};
use crate::store::Store;

/// What one poll of one source did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Items in the document.
    pub items: usize,
    /// Items that mention the institution.
    pub matched: usize,
    /// Mentions stored for the first time.
    pub new: usize,
    /// The server answered 304.
    pub not_modified: bool,
    /// Entries the source could not read and skipped.
    pub skipped: usize,
    /// The poll failed.
    pub error: Option<String>,
}

/// Shared by the scheduler and the poll tasks.
struct Shared {
    store: Store,
    pipeline: Pipeline,
    max_backoff: Duration,
    /// `[fetch] max_items`: most items taken from one poll.
    max_items: usize,
    /// Wakes the classification stage when new mentions are stored.
    stored: Arc<Notify>,
    /// When mentions are first seen: the system's time, or a simulated one.
    clock: Clock,
}

/// The watch loop.
pub struct Watcher {
    shared: Arc<Shared>,
    sources: Vec<(Arc<dyn Source>, Duration)>,
    concurrency: usize,
}

impl Watcher {
    /// Builds sources and pipeline from the config.
    pub fn new(
        cfg: &SourcesConfig,
        store: Store,
        stored: Arc<Notify>,
        clock: Clock,
    ) -> anyhow::Result<Watcher> {
        let ctx = BuildContext {
            http: Http::with_hosts(&cfg.fetch, cfg.named_hosts())?,
            base: cfg.base.clone(),
            matcher: cfg.matcher.clone(),
            own: cfg.own.clone(),
        };
        // Push-only kinds (webhook) build no poller: the web listener serves them.
        let sources = cfg
            .sources
            .iter()
            .filter_map(|s| s.build(&ctx).map(|b| (Arc::from(b), s.every())))
            .collect();
        Ok(Watcher {
            shared: Arc::new(Shared {
                store,
                pipeline: cfg.pipeline(),
                max_backoff: cfg.fetch.max_backoff,
                max_items: cfg.fetch.max_items,
                stored,
                clock,
            }),
            sources,
            concurrency: cfg.fetch.concurrency,
        })
    }

    /// Polls every source once (but not those a server asked us to leave alone for now),
    /// and returns the reports by source name.
    pub async fn poll_all_once(
        &self,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<HashMap<String, PollReport>> {
        let now = Utc::now();
        let mut set = JoinSet::new();
        let sem = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
        // One lock per host: its sources are polled one after the other, and the lock holds
        // the time until which the host asked us to wait (429/503 Retry-After).
        type HostLock = Arc<tokio::sync::Mutex<Option<DateTime<Utc>>>>;
        let host_locks: HashMap<String, HostLock> = self
            .sources
            .iter()
            .filter_map(|(s, _)| s.host())
            .map(|h| (h, Arc::new(tokio::sync::Mutex::new(None))))
            .collect();
        for (src, every) in &self.sources {
            let state = self.shared.store.source_state(src.name()).await?;
            if let Some(until) = state.retry_after.filter(|t| *t > now) {
                warn!(source = src.name(), until = %until, "skipped: the server asked us to wait");
                continue;
            }
            let (src, every, shared, sem) = (src.clone(), *every, self.shared.clone(), sem.clone());
            let host_lock = src.host().and_then(|h| host_locks.get(&h).cloned());
            let shutdown = shutdown.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                let mut host_wait = match &host_lock {
                    Some(l) => Some(l.lock().await),
                    None => None,
                };
                if shutdown.is_cancelled() {
                    return (src.name().to_string(), None);
                }
                if let Some(until) = host_wait.as_deref().copied().flatten().filter(|t| *t > Utc::now()) {
                    warn!(source = src.name(), until = %until, "skipped: its host asked us to wait");
                    return (src.name().to_string(), None);
                }
                let (report, new_state) = poll_source(&shared, src.as_ref(), every, state).await;
                if let (Some(w), Some(until)) = (host_wait.as_deref_mut(), new_state.retry_after) {
                    *w = Some(until);
                }
                (src.name().to_string(), Some(report))
            });
        }
        let mut out = HashMap::new();
        while let Some(r) = set.join_next().await {
            if let (name, Some(report)) = r? {
                out.insert(name, report);
            }
        }
        Ok(out)
    }

    /// Runs until `shutdown` is cancelled; in-flight polls finish (or are redone next time:
    /// a poll's validators are saved only after its mentions are).
    pub async fn run(&self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut states: HashMap<String, SourceState> = HashMap::new();
        for (s, _) in &self.sources {
            states.insert(
                s.name().to_string(),
                self.shared.store.source_state(s.name()).await?,
            );
        }
        let mut running: HashSet<String> = HashSet::new();
        let mut busy_hosts: HashSet<String> = HashSet::new();
        // Host → (until when its server asked us to wait, since when).
        let mut host_wait: HashMap<String, (DateTime<Utc>, DateTime<Utc>)> = HashMap::new();
        let mut set: JoinSet<(String, Option<String>, SourceState)> = JoinSet::new();
        // Task → its source and host, to free them whatever way the task ends.
        let mut tasks: HashMap<tokio::task::Id, (String, Option<String>, Duration)> =
            HashMap::new();
        info!(sources = self.sources.len(), "watching");
        loop {
            let now = Utc::now();
            for (src, every) in &self.sources {
                if set.len() >= self.concurrency || shutdown.is_cancelled() {
                    break;
                }
                let name = src.name().to_string();
                let state = &states[&name];
                // A source that is failing waits out its backoff, ready or not.
                let due = (state.next_check_at.is_none_or(|t| t <= now)
                    || (state.error_count == 0 && src.ready()))
                    && state.retry_after.is_none_or(|t| t <= now);
                let host = src.host();
                // A wait holds the host's other sources back one of their intervals at
                // most: one answer, however absurd its wait, cannot silence a host.
                let host_free = host.as_ref().is_none_or(|h| {
                    !busy_hosts.contains(h)
                        && host_wait.get(h).is_none_or(|(until, since)| {
                            *until <= now || add(*since, *every) <= now
                        })
                });
                if !due || !host_free || running.contains(&name) {
                    continue;
                }
                running.insert(name.clone());
                if let Some(h) = &host {
                    busy_hosts.insert(h.clone());
                }
                let (src, every, shared, state) =
                    (src.clone(), *every, self.shared.clone(), state.clone());
                let task = set.spawn(async move { poll_guarded(&shared, src, every, state).await });
                tasks.insert(task.id(), (name, host, every));
            }
            let next_due = states
                .values()
                .filter_map(|s| s.next_check_at.max(s.retry_after))
                .min()
                .map(|t| (t - Utc::now()).to_std().unwrap_or(Duration::ZERO))
                .unwrap_or(Duration::from_secs(1))
                .clamp(Duration::from_millis(50), Duration::from_secs(1));
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(done) = set.join_next_with_id() => {
                    let id = done.as_ref().map_or_else(|e| e.id(), |(id, _)| *id);
                    let Some((name, host, every)) = tasks.remove(&id) else { continue };
                    if let Some(h) = &host { busy_hosts.remove(h); }
                    running.remove(&name);
                    let new_state = match done {
                        Ok((_, (_, _, new_state))) => new_state,
                        // Failed outside the poll's own guard: a crash all the same.
                        Err(e) => {
                            let state = states[&name].clone();
                            crashed(&self.shared, &name, every, state, &e.to_string()).await
                        }
                    };
                    if let (Some(h), Some(t)) = (&host, new_state.retry_after) {
                        host_wait.insert(h.clone(), (t, Utc::now()));
                    }
                    states.insert(name, new_state);
                }
                _ = tokio::time::sleep(next_due) => {}
            }
        }
        info!(
            in_flight = set.len(),
            "shutting down: letting in-flight polls finish"
        );
        let grace = tokio::time::sleep(Duration::from_secs(5));
        tokio::pin!(grace);
        loop {
            tokio::select! {
                r = set.join_next() => if r.is_none() { break },
                _ = &mut grace => {
                    warn!(aborted = set.len(), "polls still running after the grace period: aborted, they will be redone");
                    set.abort_all();
                    break;
                }
            }
        }
        Ok(())
    }
}

/// One poll: fetch, pipeline, store, then the new state (saved). Never panics on bad input.
async fn poll_source(
    shared: &Shared,
    src: &dyn Source,
    every: Duration,
    mut state: SourceState,
) -> (PollReport, SourceState) {
    let name = src.name();
    let started = Utc::now();
    let was_failing = state.error_count > 0;
    let mut report = PollReport::default();
    let result = src.poll(&state).await;
    // A spent rate limit on a successful poll: come back only after its reset.
    let mut wait: Option<Duration> = None;
    let outcome: Result<(), SourceError> = match result {
        Ok(mut poll) => {
            take_in(name, &mut poll, shared.max_items, &mut report);
            let seen = shared.clock.now();
            let mentions: Vec<_> = poll
                .items
                .iter()
                .filter_map(|i| shared.pipeline.process(i, seen))
                .collect();
            report.matched = mentions.len();
            match shared.store.ingest(&mentions, seen).await {
                Ok(done) => {
                    report.new = done.iter().filter(|d| d.new).count();
                    // Saved only once its mentions are: a crash in between refetches, never skips.
                    wait = poll.wait;
                    validators(&mut state, poll);
                    if report.new > 0 {
                        shared.stored.notify_one();
                    }
                    Ok(())
                }
                Err(e) => Err(SourceError::Transport(format!(
                    "could not store mentions (will retry): {e}"
                ))),
            }
        }
        Err(e) => Err(e),
    };
    let now = Utc::now();
    // Refused credentials will not fix themselves: someone must be told.
    let unhealthy = match &outcome {
        Err(e) if e.is_credentials() => Some(e.to_string()),
        _ => None,
    };
    match outcome {
        Ok(()) => {
            state.error_count = 0;
            state.last_success_at = Some(now);
            state.retry_after = wait.map(|w| add(now, w));
            state.next_check_at = Some(add(now, jitter(every).max(wait.unwrap_or_default())));
            info!(
                source = name,
                items = report.items,
                matched = report.matched,
                new = report.new,
                skipped = report.skipped,
                not_modified = report.not_modified,
                ms = (now - started).num_milliseconds(),
                "polled"
            );
        }
        Err(e) => {
            state.error_count += 1;
            state.last_error = Some(e.to_string());
            state.last_error_at = Some(now);
            let mut wait = jitter(backoff(every, state.error_count, shared.max_backoff));
            if let Some(ra) = e.retry_after() {
                wait = wait.max(ra);
                state.retry_after = Some(add(now, ra));
            } else if matches!(e, SourceError::RateLimited { .. }) {
                state.retry_after = Some(add(now, wait));
            }
            state.next_check_at = Some(add(now, wait));
            error!(source = name, errors = state.error_count, retry_in_s = wait.as_secs(), error = %e, "poll failed");
            report.error = Some(e.to_string());
        }
    }
    if let Err(e) = super::health::health(
        &shared.store,
        name,
        was_failing,
        report.error.is_none(),
        unhealthy,
    )
    .await
    {
        error!(source = name, error = %e, "could not record the source's health");
    }
    if let Err(e) = shared.store.save_source_state(name, &state).await {
        error!(source = name, error = %e, "could not save source state; the next poll may refetch");
    }
    (report, state)
}

/// What a poll brought, into the report and the logs; only its first `max` items are
/// kept (a feed of 100,000 items took a minute to take in), with a warning.
fn take_in(source: &str, poll: &mut crate::sources::Poll, max: usize, report: &mut PollReport) {
    let ignored = poll.beyond + poll.items.len().saturating_sub(max);
    poll.items.truncate(max);
    if ignored > 0 {
        warn!(
            source,
            kept = poll.items.len(),
            ignored,
            "more items than [fetch] max_items: the rest is ignored"
        );
    }
    if let Some(r) = &poll.repaired {
        warn!(source, repair = %r, "malformed feed repaired");
    }
    report.items = poll.items.len();
    report.not_modified = poll.not_modified;
    report.skipped = poll.skipped;
}

/// The poll's validators (ETag, Last-Modified) and cursor, kept for the next poll.
fn validators(state: &mut SourceState, poll: crate::sources::Poll) {
    if poll.etag.is_some() || poll.last_modified.is_some() || !poll.not_modified {
        state.etag = poll.etag;
        state.last_modified = poll.last_modified;
    }
    if poll.cursor.is_some() {
        state.cursor = poll.cursor;
    }
}

/// A poll that fails in any way, a panic included, still frees its source and host
/// (the caller does when this returns) and is recorded as a failure.
async fn poll_guarded(
    shared: &Shared,
    src: Arc<dyn Source>,
    every: Duration,
    state: SourceState,
) -> (String, Option<String>, SourceState) {
    let polled =
        std::panic::AssertUnwindSafe(poll_source(shared, src.as_ref(), every, state.clone()))
            .catch_unwind()
            .await;
    let new_state = match polled {
        Ok((_, s)) => s,
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            crashed(shared, src.name(), every, state, &why).await
        }
    };
    (src.name().to_string(), src.host(), new_state)
}

/// Records a poll that crashed: counted as a failure with backoff, and a
/// `source_unhealthy` signal, since it will not fix itself.
async fn crashed(
    shared: &Shared,
    name: &str,
    every: Duration,
    mut state: SourceState,
    why: &str,
) -> SourceState {
    let now = Utc::now();
    let was_failing = state.error_count > 0;
    state.error_count += 1;
    state.last_error = Some(format!("the poll crashed: {why}"));
    state.last_error_at = Some(now);
    let wait = jitter(backoff(every, state.error_count, shared.max_backoff));
    state.next_check_at = Some(add(now, wait));
    error!(
        source = name,
        errors = state.error_count,
        retry_in_s = wait.as_secs(),
        "poll crashed; the source is retried later"
    );
    let why = state.last_error.clone();
    if let Err(e) = super::health::health(&shared.store, name, was_failing, false, why).await {
        error!(source = name, error = %e, "could not record the source's health");
    }
    if let Err(e) = shared.store.save_source_state(name, &state).await {
        error!(source = name, error = %e, "could not save source state");
    }
    state
}
