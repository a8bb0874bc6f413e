//! `vigie run`: the daemon, stopped by SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use super::{fail, load};

/// `vigie run [--once]`: runs the daemon until a signal (or one round with `once`).
pub async fn run(config: &Path, once: bool) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let shutdown = shutdown_on_signals();
    crate::runtime::run(cfg, once, shutdown).await.map_err(fail)
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
