//! The stages as tasks: each a round repeated when woken, on its own period, and until
//! shutdown; the singleton ones only on the instance that leads.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::{Clock, Mail};
use crate::classify::stage::Stage;
use crate::config::Config;
use crate::detect::engine::Engine;
use crate::detect::stage::Detection;
use crate::escalate::stage::Escalate;
use crate::ingest::watcher::Watcher;
use crate::notify::alerts::{self, AlertSignal};
use crate::notify::config::NotifyConfig;
use crate::notify::{digest, sender};
use crate::store::Store;

/// How often a stage looks again when nobody wakes it.
const PERIOD: Duration = Duration::from_secs(5);
/// How often leadership is checked, or tried for.
const LEAD_CHECK: Duration = Duration::from_secs(5);
/// How long tasks get to finish after shutdown before they are left behind.
const GRACE: Duration = Duration::from_secs(5);

/// One round of a stage at the clock's time.
#[async_trait::async_trait]
trait Round: Send {
    /// Does what is pending; errors are logged and the round is tried again later.
    async fn round(&mut self) -> anyhow::Result<()>;
}

/// Wake-ups between stages: only ever sooner, never needed.
#[derive(Clone, Default)]
struct Wakes {
    stored: Arc<Notify>,
    classified: Arc<Notify>,
    detected: Arc<Notify>,
    escalated: Arc<Notify>,
    queued: Arc<Notify>,
}

/// Every stage of the flow, built from the config.
pub struct Flow {
    cfg: Config,
    notify: NotifyConfig,
    store: Store,
    mail: Option<Arc<Mail>>,
    clock: Clock,
    wakes: Wakes,
    watcher: Watcher,
    classify: Arc<Stage>,
    /// What the sources share (with the language identifier and its models), built once
    /// for the watcher and the webhook.
    sources: crate::sources::fetch::SourcesConfig,
}

impl Flow {
    /// Builds the stages (nothing runs yet).
    pub fn build(
        cfg: &Config,
        store: Store,
        mail: Option<Mail>,
        clock: Clock,
    ) -> anyhow::Result<Flow> {
        let wakes = Wakes::default();
        let sources = cfg.sources();
        let watcher = Watcher::new(&sources, store.clone(), wakes.stored.clone(), clock.clone())?;
        let classify = Stage::new(
            store.clone(),
            super::start_classifier(cfg)?,
            cfg.classifier.batch_size,
            cfg.classifier.max_wait,
        )
        .notify_classified(wakes.classified.clone());
        Ok(Flow {
            cfg: cfg.clone(),
            notify: cfg.notify(),
            store,
            mail: mail.map(Arc::new),
            clock,
            wakes,
            watcher,
            classify: Arc::new(classify),
            sources,
        })
    }

    fn engine(&self) -> anyhow::Result<Engine> {
        Engine::new(
            &self.cfg.signals,
            self.cfg.tz(),
            super::replay::load_knowledge(&self.cfg)?,
        )
    }

    /// One round of every stage, in flow order (`vigie run --once`).
    pub async fn once(self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        super::purge(&self.cfg, &self.store).await;
        let reports = self.watcher.poll_all_once(shutdown).await?;
        let failed = reports.values().filter(|r| r.error.is_some()).count();
        let Some(_leader) = self.store.try_lead().await? else {
            info!(
                sources = reports.len(),
                failed, "one round done; another instance runs the other stages"
            );
            return self.send().await;
        };
        let classified = self.classify.drain().await?;
        let now = self.clock.now();
        let mut detection =
            Detection::start(&self.store, self.engine()?, &self.cfg.signals, now).await?;
        detection.round(&self.store, now).await?;
        Escalate::new(self.cfg.escalation.clone(), self.cfg.tz())
            .with_late_after(crate::sources::fetch::late_after(&self.cfg.fetch))
            .round(&self.store, now)
            .await?;
        if let Some(m) = &self.mail {
            alerts_round(&self.store, &self.notify, m, now).await?;
            digest::enqueue_due(&self.store, &self.notify, now, &m.mailer.domain()).await?;
            super::weekly::enqueue_due(
                &self.cfg,
                &self.store,
                &self.notify,
                now,
                &m.mailer.domain(),
            )
            .await?;
        }
        self.send().await?;
        info!(
            sources = reports.len(),
            failed, classified, "one round done"
        );
        Ok(())
    }

    async fn send(&self) -> anyhow::Result<()> {
        if let Some(m) = &self.mail {
            let pass = sender::send_due(&self.store, &m.mailer, &m.sender).await?;
            log_pass(&pass);
        }
        Ok(())
    }

    /// The daemon: every stage as its own task until `shutdown`; `web` serves the
    /// escalation page (and pushed mentions) when configured. `scheduled` is told once the
    /// sources are scheduled.
    pub async fn run(
        self,
        web: Option<(tokio::net::TcpListener, axum::Router)>,
        shutdown: CancellationToken,
        scheduled: tokio::sync::oneshot::Sender<()>,
    ) -> anyhow::Result<()> {
        let mut tasks: Vec<JoinHandle<()>> = Vec::new();
        if let Some((listener, app)) = web {
            let shutdown = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(e) = crate::web::serve_app(listener, app, shutdown).await {
                    error!(error = %e, "escalation page stopped");
                }
            }));
        }
        let flow = Arc::new(self);
        tasks.push(tokio::spawn(lead(flow.clone(), shutdown.clone())));
        if let Some(m) = flow.mail.clone() {
            let task = Sender {
                store: flow.store.clone(),
                mail: m,
            };
            tasks.push(spawn_round(
                "send",
                task,
                flow.wakes.queued.clone(),
                PERIOD,
                shutdown.clone(),
            ));
        }
        tasks.push(tokio::spawn(purge_loop(flow.clone(), shutdown.clone())));
        let result = flow.watcher.run(shutdown.clone(), Some(scheduled)).await;
        shutdown.cancel();
        join_all(tasks).await;
        result
    }

    /// The escalation page, with the pushed-mention routes of `kind = "webhook"` sources
    /// (their own bearer tokens; stored mentions wake the classification stage at once).
    pub fn web_app(&self) -> anyhow::Result<axum::Router> {
        let state = crate::web::AppState::new(self.cfg.page(), self.store.clone())?;
        Ok(
            match crate::sources::webhook::from_config(
                &self.sources,
                self.store.clone(),
                Some(self.wakes.stored.clone()),
            )
            .map_err(|e| anyhow::anyhow!("webhook source: {e}"))?
            {
                Some(ingest) => crate::web::router(state).merge(ingest),
                None => crate::web::router(state),
            },
        )
    }
}

/// Waits for the tasks, but not past the grace period: a task stuck on the network must
/// not hold the daemon (or a reload) up. The ones still running then are aborted; what
/// they were doing is done again from the store's cursors.
async fn join_all(mut tasks: Vec<JoinHandle<()>>) {
    let all = futures::future::join_all(tasks.iter_mut());
    if tokio::time::timeout(GRACE, all).await.is_err() {
        warn!(
            grace_s = GRACE.as_secs(),
            "some tasks did not stop in time; stopping them"
        );
        for t in &tasks {
            t.abort();
        }
    }
}

/// Runs the singleton stages while this instance leads; tries again when it does not.
async fn lead(flow: Arc<Flow>, shutdown: CancellationToken) {
    loop {
        match flow.store.try_lead().await {
            Ok(Some(mut leader)) => {
                info!("this instance runs classification, detection, escalation, alerts and the digest");
                let stop = shutdown.child_token();
                let tasks = spawn_singletons(&flow, &stop);
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(LEAD_CHECK) => {}
                    }
                    if !leader.alive().await {
                        warn!("lost the lead (its database connection closed); stopping the singleton stages");
                        break;
                    }
                }
                stop.cancel();
                join_all(tasks).await;
            }
            Ok(None) => {}
            Err(e) => error!(error = %e, "cannot ask the database who leads; will retry"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(LEAD_CHECK) => {}
        }
    }
}

fn spawn_singletons(flow: &Arc<Flow>, stop: &CancellationToken) -> Vec<JoinHandle<()>> {
    let w = &flow.wakes;
    let mut tasks = Vec::new();
    let (stage, wake, token) = (flow.classify.clone(), w.stored.clone(), stop.clone());
    tasks.push(tokio::spawn(async move { stage.run(wake, token).await }));
    let detect = Detect {
        flow: flow.clone(),
        detection: None,
    };
    tasks.push(spawn_round(
        "detect",
        detect,
        w.classified.clone(),
        PERIOD,
        stop.clone(),
    ));
    let escalate = EscalateTask {
        flow: flow.clone(),
        stage: Escalate::new(flow.cfg.escalation.clone(), flow.cfg.tz())
            .with_late_after(crate::sources::fetch::late_after(&flow.cfg.fetch)),
    };
    tasks.push(spawn_round(
        "escalate",
        escalate,
        w.detected.clone(),
        PERIOD,
        stop.clone(),
    ));
    if flow.mail.is_some() {
        let alerts = Alerts { flow: flow.clone() };
        tasks.push(spawn_round(
            "alerts",
            alerts,
            w.escalated.clone(),
            PERIOD,
            stop.clone(),
        ));
        let digest = Digest { flow: flow.clone() };
        tasks.push(spawn_round(
            "digest",
            digest,
            Arc::new(Notify::new()),
            Duration::from_secs(20),
            stop.clone(),
        ));
    }
    tasks
}

/// Repeats `task`'s round now, then whenever woken or every `period`, until `stop`. A
/// round under way when `stop` comes is let finish (within [`join_all`]'s grace period).
fn spawn_round(
    name: &'static str,
    mut task: impl Round + 'static,
    wake: Arc<Notify>,
    period: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            if stop.is_cancelled() {
                break;
            }
            match task.round().await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    error!(stage = name, error = %e, failures, "round failed; will retry");
                }
            }
            let pause = if failures > 0 {
                Duration::from_secs(2u64.saturating_pow(failures.min(6)))
            } else {
                period
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    })
}

struct Detect {
    flow: Arc<Flow>,
    detection: Option<Detection>,
}

#[async_trait::async_trait]
impl Round for Detect {
    async fn round(&mut self) -> anyhow::Result<()> {
        let f = &self.flow;
        let now = f.clock.now();
        if self.detection.is_none() {
            let engine = f.engine()?;
            self.detection = Some(Detection::start(&f.store, engine, &f.cfg.signals, now).await?);
        }
        let detection = self.detection.as_mut().expect("started above");
        if let Err(e) = detection.round(&f.store, now).await {
            // The engine may be ahead of what was stored: warm it again from the store.
            self.detection = None;
            return Err(e);
        }
        // Escalate looks at new signals and at newly classified mentions (formal requests,
        // questions) alike: wake it after every round.
        f.wakes.detected.notify_one();
        Ok(())
    }
}

struct EscalateTask {
    flow: Arc<Flow>,
    stage: Escalate,
}

#[async_trait::async_trait]
impl Round for EscalateTask {
    async fn round(&mut self) -> anyhow::Result<()> {
        let f = &self.flow;
        self.stage.round(&f.store, f.clock.now()).await?;
        f.wakes.escalated.notify_one();
        Ok(())
    }
}

struct Alerts {
    flow: Arc<Flow>,
}

#[async_trait::async_trait]
impl Round for Alerts {
    async fn round(&mut self) -> anyhow::Result<()> {
        let f = &self.flow;
        let Some(m) = &f.mail else { return Ok(()) };
        if alerts_round(&f.store, &f.notify, m, f.clock.now()).await? > 0 {
            f.wakes.queued.notify_one();
        }
        Ok(())
    }
}

/// Queues the alert e-mails due at `now`; returns how many.
async fn alerts_round(
    store: &Store,
    cfg: &NotifyConfig,
    m: &Mail,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<usize> {
    let recent: Vec<AlertSignal> = store
        .signals(Some(now - chrono::Duration::hours(24)))
        .await?
        .into_iter()
        .filter_map(AlertSignal::of)
        .collect();
    let d = alerts::dispatch(store, cfg, &recent, now, &m.mailer.domain()).await?;
    if d.alerts + d.overflow > 0 {
        info!(
            alerts = d.alerts,
            overflow = d.overflow,
            waiting = d.waiting,
            "alert e-mails queued"
        );
    }
    Ok(d.alerts + d.overflow)
}

struct Digest {
    flow: Arc<Flow>,
}

#[async_trait::async_trait]
impl Round for Digest {
    async fn round(&mut self) -> anyhow::Result<()> {
        let f = &self.flow;
        let Some(m) = &f.mail else { return Ok(()) };
        let domain = m.mailer.domain();
        let now = f.clock.now();
        let queued = digest::enqueue_due(&f.store, &f.notify, now, &domain).await?
            + super::weekly::enqueue_due(&f.cfg, &f.store, &f.notify, now, &domain).await?;
        if queued > 0 {
            f.wakes.queued.notify_one();
        }
        Ok(())
    }
}

/// The outbox sender: on every instance, claiming rows with a lease. A stalled SMTP
/// server holds up only this task; at shutdown its round is dropped and the lease makes
/// the row due again later, with the same Message-ID.
struct Sender {
    store: Store,
    mail: Arc<Mail>,
}

#[async_trait::async_trait]
impl Round for Sender {
    async fn round(&mut self) -> anyhow::Result<()> {
        let pass = sender::send_due(&self.store, &self.mail.mailer, &self.mail.sender).await?;
        log_pass(&pass);
        Ok(())
    }
}

fn log_pass(pass: &sender::Pass) {
    if *pass != sender::Pass::default() {
        info!(
            sent = pass.sent,
            retried = pass.retried,
            dead = pass.dead,
            "outbox pass"
        );
    }
}

async fn purge_loop(flow: Arc<Flow>, shutdown: CancellationToken) {
    loop {
        super::purge(&flow.cfg, &flow.store).await;
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_secs(6 * 3600)) => {}
        }
    }
}
