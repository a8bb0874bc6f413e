//! What each CLI command does, as library functions so tests and benchmarks call the same code.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::classify::stage::{Stage, Worker};
use crate::config::{Config, ConfigErrors};
use crate::daemon::Watcher;
use crate::store::Store;

/// Loads the config or returns every problem in it.
pub fn load_config(path: &Path) -> Result<Config, ConfigErrors> {
    Config::load(path)
}

/// Opens the configured store (creating and migrating it).
pub async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    Store::open(&cfg.storage.url, &cfg.base_dir())
        .await
        .map_err(|e| anyhow::anyhow!("cannot open storage {}: {e}", crate::config::redact_url(&cfg.storage.url)))
}

/// Starts the classification worker for the configured backend.
pub fn start_classifier(cfg: &Config) -> anyhow::Result<Worker> {
    let backend = crate::classify::build(cfg)?;
    Ok(Worker::spawn(backend, &cfg.topics))
}

/// `vigie run`: the daemon, or one round of everything with `once`.
pub async fn run(cfg: Config, once: bool, shutdown: CancellationToken) -> anyhow::Result<()> {
    let store = open_store(&cfg).await?;
    let worker = start_classifier(&cfg)?;
    let wake = Arc::new(Notify::new());
    let watcher = Watcher::new(&cfg, store.clone(), wake.clone())?;
    let stage = Stage::new(store.clone(), worker, cfg.classifier.batch_size, cfg.classifier.max_wait);
    purge(&cfg, &store).await;
    if once {
        let reports = watcher.poll_all_once(&shutdown).await?;
        let failed = reports.values().filter(|r| r.error.is_some()).count();
        let classified = stage.drain().await?;
        info!(sources = reports.len(), failed, classified, "one round done");
        store.close().await;
        return Ok(());
    }
    let stage_task = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move { stage.run(wake, shutdown).await })
    };
    let purge_task = {
        let (cfg, store, shutdown) = (cfg.clone(), store.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(6 * 3600)) => purge(&cfg, &store).await,
                }
            }
        })
    };
    let result = watcher.run(shutdown.clone()).await;
    shutdown.cancel();
    let _ = stage_task.await;
    let _ = purge_task.await;
    store.close().await;
    info!("stopped");
    result
}

async fn purge(cfg: &Config, store: &Store) {
    let before = Utc::now() - chrono::Duration::days(cfg.storage.retention_days as i64);
    match store.purge_personal_data(before).await {
        Ok(0) => {}
        Ok(n) => info!(mentions = n, retention_days = cfg.storage.retention_days, "personal data purged"),
        Err(e) => error!(error = %e, "purging personal data failed; will retry"),
    }
}

/// `vigie mentions`: prints stored mentions, as JSON lines or a short table.
pub async fn mentions(cfg: &Config, since: Option<DateTime<Utc>>, limit: i64, json: bool, out: &mut dyn Write) -> anyhow::Result<usize> {
    let store = open_store(cfg).await?;
    let list = store.mentions(since, limit).await?;
    for m in &list {
        if json {
            writeln!(out, "{}", serde_json::to_string(m)?)?;
        } else {
            let sentiment = m.sentiment.map(|s| s.label.as_str()).unwrap_or("-");
            writeln!(
                out,
                "{:>6}  {}  {:<3} {:<8} {:<20} {}",
                m.id,
                m.first_seen_at.format("%Y-%m-%d %H:%M"),
                m.lang,
                sentiment,
                crate::text::truncate(&m.source, 20),
                crate::text::truncate(&m.title, 80)
            )?;
        }
    }
    store.close().await;
    Ok(list.len())
}
