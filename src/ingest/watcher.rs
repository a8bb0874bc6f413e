//! The daemon: one scheduler that polls due sources politely, runs items through the
//! pipeline into the store, and wakes the classification stage. Shutdown is passed in.

use futures::FutureExt;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::schedule::{add, backoff, jitter};
use crate::core::clock::Clock;
use crate::core::pipeline::Pipeline;
use crate::sources::fetch::SourcesConfig;
use crate::sources::hosts::HostBook;
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
    /// Stored mentions whose post the platform said was deleted.
    pub deleted: usize,
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
    /// Requests and waits per host, shared with the HTTP client.
    hosts: HostBook,
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
        let http = Http::with_hosts(&cfg.fetch, cfg.named_hosts())?;
        let hosts = http.hosts().clone();
        let ctx = BuildContext {
            http,
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
                hosts,
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
        super::hosts::load(&self.shared.store, &self.shared.hosts).await?;
        let now = Utc::now();
        let mut set = JoinSet::new();
        let sem = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
        // One lock per host: its sources are polled one after the other, so that a wait
        // one of them is told of holds the next.
        let host_locks: HashMap<String, Arc<tokio::sync::Mutex<()>>> = self
            .sources
            .iter()
            .flat_map(|(s, _)| s.hosts())
            .map(|h| (h, Arc::new(tokio::sync::Mutex::new(()))))
            .collect();
        for (src, every) in &self.sources {
            let state = self.shared.store.source_state(src.name()).await?;
            if let Some(until) = state.retry_after.filter(|t| *t > now) {
                warn!(source = src.name(), until = %until, "skipped: the server asked us to wait");
                continue;
            }
            let (src, every, shared, sem) = (src.clone(), *every, self.shared.clone(), sem.clone());
            let mut hosts = src.hosts();
            hosts.sort();
            hosts.dedup();
            let locks: Vec<_> = hosts
                .iter()
                .filter_map(|h| host_locks.get(h).cloned())
                .collect();
            let shutdown = shutdown.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                // In name order, so that two sources sharing two hosts cannot deadlock.
                let mut _held = Vec::with_capacity(locks.len());
                for l in &locks {
                    _held.push(l.lock().await);
                }
                if shutdown.is_cancelled() {
                    return (src.name().to_string(), None);
                }
                if let Some((host, until)) = super::hosts::held(&shared.hosts, &hosts, every, Utc::now()) {
                    warn!(source = src.name(), host, until = %until, "skipped: its host asked us to wait");
                    return (src.name().to_string(), None);
                }
                let (report, new_state) = poll_source(&shared, src.as_ref(), every, state).await;
                super::hosts::after_poll(&shared.store, &shared.hosts, src.host().as_deref(), new_state.retry_after).await;
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
    /// a poll's validators are saved only after its mentions are). `scheduled` is told
    /// once every source has its turn.
    pub async fn run(
        &self,
        shutdown: CancellationToken,
        scheduled: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> anyhow::Result<()> {
        let mut states: HashMap<String, SourceState> = HashMap::new();
        for (s, every) in &self.sources {
            let mut state = self.shared.store.source_state(s.name()).await?;
            sooner_if_shortened(&mut state, *every);
            states.insert(s.name().to_string(), state);
        }
        if let Some(tx) = scheduled {
            let _ = tx.send(());
        }
        let mut running: HashSet<String> = HashSet::new();
        let mut busy_hosts: HashSet<String> = HashSet::new();
        super::hosts::load(&self.shared.store, &self.shared.hosts).await?;
        let mut set: JoinSet<(String, SourceState)> = JoinSet::new();
        // Task → its source and hosts, to free them whatever way the task ends.
        let mut tasks: HashMap<tokio::task::Id, (String, Vec<String>, Duration)> = HashMap::new();
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
                let hosts = src.hosts();
                let host_free = hosts.iter().all(|h| !busy_hosts.contains(h))
                    && super::hosts::held(&self.shared.hosts, &hosts, *every, now).is_none();
                if !due || !host_free || running.contains(&name) {
                    continue;
                }
                running.insert(name.clone());
                busy_hosts.extend(hosts.iter().cloned());
                let (src, every, shared, state) =
                    (src.clone(), *every, self.shared.clone(), state.clone());
                let task = set.spawn(async move { poll_guarded(&shared, src, every, state).await });
                tasks.insert(task.id(), (name, hosts, every));
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
                    let Some((name, hosts, every)) = tasks.remove(&id) else { continue };
                    for h in &hosts { busy_hosts.remove(h); }
                    running.remove(&name);
                    let new_state = match done {
                        Ok((_, (_, new_state))) => new_state,
                        // Failed outside the poll's own guard: a crash all the same.
                        Err(e) => {
                            let state = states[&name].clone();
                            crashed(&self.shared, &name, every, state, &e.to_string()).await
                        }
                    };
                    let host = self.sources.iter().find(|(s, _)| s.name() == name).and_then(|(s, _)| s.host());
                    super::hosts::after_poll(&self.shared.store, &self.shared.hosts, host.as_deref(), new_state.retry_after).await;
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
        Ok(poll) => keep(shared, name, poll, &mut report, &mut state)
            .await
            .map(|w| wait = w),
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
                deleted = report.deleted,
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

/// A successful poll's items through the pipeline into the store, then its deletions
/// (after the posts of the same poll: created then deleted is gone). The state takes the
/// poll's validators only once its mentions are stored: a crash in between refetches,
/// never skips. Returns the wait the poll asked for.
async fn keep(
    shared: &Shared,
    name: &str,
    mut poll: crate::sources::Poll,
    report: &mut PollReport,
    state: &mut SourceState,
) -> Result<Option<Duration>, SourceError> {
    take_in(name, &mut poll, shared.max_items, report);
    let seen = shared.clock.now();
    let mentions: Vec<_> = poll
        .items
        .iter()
        .filter_map(|i| shared.pipeline.process(i, seen))
        .collect();
    report.matched = mentions.len();
    let stored = async {
        let done = shared.store.ingest(&mentions, seen).await?;
        report.deleted = shared.store.delete_posts(&poll.deleted, seen).await?.len();
        Ok::<_, crate::store::StoreError>(done)
    }
    .await
    .map_err(|e| SourceError::Transport(format!("could not store mentions (will retry): {e}")))?;
    report.new = stored.iter().filter(|d| d.new).count();
    let wait = poll.wait;
    state.pages_left_behind += poll.left_behind as i64;
    validators(state, poll);
    if report.new > 0 {
        shared.stored.notify_one();
    }
    Ok(wait)
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
) -> (String, SourceState) {
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
    (src.name().to_string(), new_state)
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

/// A healthy source whose period was shortened (by a reload) is due one new period after
/// its last success, not at the turn the old period gave it.
fn sooner_if_shortened(state: &mut SourceState, every: Duration) {
    if state.error_count > 0 {
        return;
    }
    let (Some(next), Some(last)) = (state.next_check_at, state.last_success_at) else {
        return;
    };
    if let Ok(every) = chrono::Duration::from_std(every) {
        state.next_check_at = Some(next.min(last + every));
    }
}
