//! `vigie run`: the daemon, stopped by SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use super::{fail, load};
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
    let clock = now.map_or_else(Clock::system, Clock::simulated);
    crate::runtime::run(cfg, once, clock, shutdown)
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
