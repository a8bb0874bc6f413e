//! `vigie run`: the daemon, stopped by SIGINT or SIGTERM, its config re-read on SIGHUP.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{fail, load};
use crate::config::Config;
use crate::core::clock::Clock;

/// `vigie run [--once [--now T]]`: runs the daemon until a signal (or one round with
/// `once`, on a simulated clock set to `now` when given).
pub async fn run(
    config: &Path,
    once: bool,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let shutdown = shutdown_on_signals();
    let reloads = reload_on_sighup(config.to_path_buf());
    let clock = now.map_or_else(Clock::system, Clock::simulated);
    crate::runtime::run(cfg, once, clock, shutdown, reloads)
        .await
        .map_err(fail)
}

/// Cancels the token on SIGINT or SIGTERM.
fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        t.cancel();
        tracing::info!("signal received: shutting down");
    });
    token
}

/// On each SIGHUP, reads the config file again and hands the runtime what it found: the
/// new config, or every problem in it (the runtime refuses it, logs them and goes on).
fn reload_on_sighup(path: PathBuf) -> mpsc::Receiver<Result<Config, Vec<String>>> {
    let (tx, rx) = mpsc::channel(1);
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot install the SIGHUP handler: reload disabled");
                return;
            }
        };
        while hup.recv().await.is_some() {
            tracing::info!(config = %path.display(), "SIGHUP: reading the config again");
            let read = super::load_config(&path)
                .map_err(|e| e.errors.iter().map(|p| p.to_string()).collect());
            if tx.send(read).await.is_err() {
                return;
            }
        }
    });
    #[cfg(not(unix))]
    drop(tx);
    rx
}
