//! Telling systemd how the daemon is doing (`Type=notify`): ready once the sources are
//! scheduled and the web listener is bound, reloading while a new config is applied,
//! stopping at shutdown, and a watchdog ping while the runtime is alive. Every call is a
//! no-op when the daemon was not started by systemd (`NOTIFY_SOCKET` unset).

use std::time::Duration;

use sd_notify::NotifyState;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Sends `states`; a failure is logged, never fatal (systemd then says so itself).
fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        warn!(error = %e, "cannot notify systemd");
    }
}

/// `READY=1`, with a status line for `systemctl status`.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// `RELOADING=1`: a new config is being applied (`READY=1` follows).
pub fn reloading() {
    let mut states = vec![NotifyState::Reloading];
    // systemd ≥ 253 wants the time the reload started (Type=notify-reload).
    if let Ok(t) = NotifyState::monotonic_usec_now() {
        states.push(t);
    }
    send(&states);
}

/// `STOPPING=1`.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// When systemd asked for a watchdog (`WatchdogSec=`), pings it at half the period until
/// `shutdown`. The pings come from a task on the same runtime as every stage: a runtime
/// that hangs stops them, and systemd restarts the daemon.
pub fn watchdog(shutdown: CancellationToken) -> Option<JoinHandle<()>> {
    let period = sd_notify::watchdog_enabled()?;
    let every = (period / 2).max(Duration::from_millis(100));
    Some(tokio::spawn(async move {
        loop {
            send(&[NotifyState::Watchdog]);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }))
}
