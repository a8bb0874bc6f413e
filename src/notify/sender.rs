//! The sender worker: claims due outbox rows, sends them, settles them. Transient
//! failures retry with capped exponential backoff and jitter; permanent ones go dead.

use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::email::Mailer;
use crate::store::Store;

/// Sender settings.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// How long a claim holds a row; after that another worker (or a restart) may take it.
    pub lease: Duration,
    /// First retry delay; doubles per attempt.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Rows per claim.
    pub batch: i64,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            lease: Duration::from_secs(120),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            batch: 20,
        }
    }
}

/// Delay before attempt `attempts + 1`: base·2^attempts, capped, ±20% jitter.
pub fn retry_delay(cfg: &SenderConfig, attempts: i64) -> Duration {
    let d = cfg
        .retry_base
        .saturating_mul(2u32.saturating_pow(attempts.clamp(0, 20) as u32))
        .min(cfg.retry_max);
    let j = rand::thread_rng().gen_range(0.8..=1.2);
    Duration::from_secs_f64(d.as_secs_f64() * j)
}

/// Counts of one pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Delivered.
    pub sent: usize,
    /// Will be retried.
    pub retried: usize,
    /// Given up.
    pub dead: usize,
}

/// Sends everything due now; returns what happened.
pub async fn send_due(store: &Store, mailer: &Mailer, cfg: &SenderConfig) -> anyhow::Result<Pass> {
    let mut pass = Pass::default();
    loop {
        let claimed = store.claim(cfg.batch, cfg.lease, Utc::now()).await?;
        if claimed.is_empty() {
            return Ok(pass);
        }
        let mut rows = claimed.into_iter();
        for c in rows.by_ref() {
            match mailer.send(&c).await {
                Ok(()) => {
                    store.mark_sent(c.id, Utc::now()).await?;
                    info!(outbox = c.id, kind = %c.email.kind, to = %mask(&c.email.to_email), "e-mail sent");
                    pass.sent += 1;
                }
                Err(e) if e.transient => {
                    let wait = retry_delay(cfg, c.attempts);
                    let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    store.mark_retry(c.id, &e.message, next).await?;
                    warn!(outbox = c.id, attempts = c.attempts + 1, retry_in_s = wait.as_secs(), error = %e, "e-mail not sent, will retry");
                    pass.retried += 1;
                }
                Err(e) => {
                    store.mark_dead(c.id, &e.message).await?;
                    error!(outbox = c.id, to = %mask(&c.email.to_email), error = %e, "e-mail refused for good: dead-lettered (see `vigie outbox --json`)");
                    pass.dead += 1;
                }
            }
            if pass.retried > 0 {
                break;
            }
        }
        if pass.retried > 0 {
            // The server is unwell: hand the rest back untouched for the next round.
            for c in rows {
                store.release(c.id).await?;
            }
            return Ok(pass);
        }
    }
}

/// `j***@example.org`: enough to tell recipients apart in logs, not enough to harvest.
pub fn mask(addr: &str) -> String {
    match addr.split_once('@') {
        Some((user, domain)) => format!("{}***@{domain}", user.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

/// Runs until shutdown, sending whatever is due every `tick`.
pub async fn run(
    store: Store,
    mailer: Mailer,
    cfg: SenderConfig,
    tick: Duration,
    wake: std::sync::Arc<tokio::sync::Notify>,
    shutdown: CancellationToken,
) {
    loop {
        if let Err(e) = send_due(&store, &mailer, &cfg).await {
            error!(error = %e, "outbox pass failed; will retry");
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(tick) => {}
        }
    }
}
