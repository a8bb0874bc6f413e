//! Runtime: the one place that builds the stages from the config, spawns their tasks,
//! owns the clock and passes shutdown down.
//!
//! The stages meet only in the database: ingest stores mentions, classify marks them
//! `classified_at`, detect gives them a story and stores signals, escalate marks mentions
//! and signals `escalated_at`, alerts and the digest queue e-mails in the outbox, and the
//! sender delivers them. Each stage reads its own durable cursor, so the in-process
//! wake-ups below only make things happen sooner; none is needed for correctness. The
//! same cursors make a config reload safe: see [`daemon`].

mod daemon;
pub mod privacy;
pub mod replay;
pub mod systemd;
mod tasks;
mod weekly;

use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::classify::stage::Worker;
use crate::config::Config;
use crate::notify::email::Mailer;
use crate::notify::sender::SenderConfig;
use crate::store::Store;

pub use crate::core::clock::Clock;

/// Opens the configured store (creating and migrating it).
pub async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    Store::open(&cfg.storage.url, &cfg.base_dir())
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open storage {}: {e}",
                crate::core::config::redact_url(&cfg.storage.url)
            )
        })
}

/// Starts the classification worker for the configured backend.
pub fn start_classifier(cfg: &Config) -> anyhow::Result<Worker> {
    let backend = crate::classify::build(&cfg.classifier, &cfg.topics, &cfg.base_dir())?;
    Ok(Worker::spawn(backend, &cfg.topics))
}

/// The e-mail side of the daemon, when `[smtp]` is configured.
pub struct Mail {
    /// The SMTP (or file) transport.
    pub mailer: Mailer,
    /// Leases and retries.
    pub sender: SenderConfig,
}

/// The configured mailer, if any.
pub fn mail(cfg: &Config) -> anyhow::Result<Option<Mail>> {
    match &cfg.smtp {
        None => Ok(None),
        Some(smtp) => Ok(Some(Mail {
            mailer: Mailer::new(smtp, &cfg.base_dir())?,
            sender: smtp.sender(),
        })),
    }
}

/// `vigie run`: the daemon until `shutdown`, or one round of every stage with `once`.
/// `clock` is the system's, or a simulated one (`vigie run --once --now`, for replay
/// checks and tests). Each config arriving on `reloads` replaces the running one if it
/// can be applied (see [`daemon`]); one that could not be read comes as its problems.
pub async fn run(
    cfg: Config,
    once: bool,
    clock: Clock,
    shutdown: CancellationToken,
    reloads: tokio::sync::mpsc::Receiver<Result<Config, Vec<String>>>,
) -> anyhow::Result<()> {
    let store = open_store(&cfg).await?;
    // One daemon per SQLite file; PostgreSQL shares the work between instances.
    let _lock = store.lock_daemon()?;
    let result = if once {
        match tasks::Flow::build(&cfg, store.clone(), mail(&cfg)?, clock) {
            Ok(flow) => flow.once(&shutdown).await,
            Err(e) => Err(e),
        }
    } else {
        daemon::run(cfg, store.clone(), clock, shutdown, reloads).await
    };
    // A task left behind at shutdown may still hold a connection: do not wait for it.
    if tokio::time::timeout(std::time::Duration::from_secs(2), store.close())
        .await
        .is_err()
    {
        tracing::warn!("the database pool did not close in time");
    }
    info!("stopped");
    result
}

/// Erases personal data older than `[storage] retention_days` (and its copies).
async fn purge(cfg: &Config, store: &Store) {
    let now = chrono::Utc::now();
    let before = now - chrono::Duration::days(cfg.storage.retention_days as i64);
    if let Err(e) = privacy::purge(store, before, now).await {
        tracing::error!(error = %e, "erasing personal data past retention failed; will retry");
    }
}
