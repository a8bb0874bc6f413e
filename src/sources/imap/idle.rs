//! The IDLE task: a second connection that waits on the folder and rings when the
//! server announces new mail (EXISTS); the polls do the reading. It renews its IDLE at
//! least every `every` (so a dead link is noticed) and reconnects with backoff.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{MailboxDatum, Response};
use tracing::{debug, info, warn};

use super::conn::{timed, transport, Server};
use crate::sources::SourceError;

/// Longest IDLE before it is renewed: servers may log off a client idle for 30 minutes.
pub(super) const MAX_IDLE: Duration = Duration::from_secs(25 * 60);

/// Longest wait for the server to start or end an IDLE.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Waits on `folder` (already in IMAP's spelling) until aborted; sets `rung` on new mail.
pub(super) async fn watch(server: Server, folder: String, renew: Duration, rung: Arc<AtomicBool>) {
    let mut failures: u32 = 0;
    loop {
        if let Err(e) = idle(&server, &folder, renew, &rung, &mut failures).await {
            failures += 1;
            warn!(source = %server.source, failures, error = %e, "IDLE connection lost: reconnecting");
        }
        let wait =
            Duration::from_secs(2u64.pow(failures.min(8))).min(renew.max(Duration::from_secs(10)));
        tokio::time::sleep(wait).await;
    }
}

/// One connection's life: log in, open the folder, then IDLE until an error.
async fn idle(
    server: &Server,
    folder: &str,
    renew: Duration,
    rung: &AtomicBool,
    failures: &mut u32,
) -> Result<(), SourceError> {
    let at = format!("{}:{}", server.host, server.port);
    let (mut session, _) = server.login().await?;
    timed(STEP_TIMEOUT, session.examine(folder))
        .await?
        .map_err(|e| transport(&at, "EXAMINE", e))?;
    if *failures > 0 {
        // Mail may have come while the connection was down.
        rung.store(true, Ordering::Relaxed);
    }
    *failures = 0;
    info!(source = %server.source, "IDLE: new mail is read as it arrives");
    loop {
        let mut handle = session.idle();
        timed(STEP_TIMEOUT, handle.init())
            .await?
            .map_err(|e| transport(&at, "IDLE", e))?;
        let news = {
            let (wait, _stop) = handle.wait_with_timeout(renew);
            match tokio::time::timeout(renew, wait).await {
                Ok(Ok(IdleResponse::NewData(data))) => matches!(
                    data.parsed(),
                    Response::MailboxData(MailboxDatum::Exists(_) | MailboxDatum::Recent(_))
                ),
                Ok(Ok(_)) | Err(_) => false,
                Ok(Err(e)) => return Err(transport(&at, "IDLE", e)),
            }
        };
        if news {
            debug!(source = %server.source, "new mail announced");
            rung.store(true, Ordering::Relaxed);
        }
        session = timed(STEP_TIMEOUT, handle.done())
            .await?
            .map_err(|e| transport(&at, "DONE", e))?;
    }
}
