//! `kind = "imap"`: the institution's contact mailbox, one folder, over IMAPS or STARTTLS.
//!
//! Each poll logs in, opens the folder and reads the messages whose UID is above the
//! cursor (`"<UIDVALIDITY>:<last UID>"`), at most `max_messages` of them; the daemon
//! saves the cursor once their mentions are stored, so a crash reads them again and the
//! store's keys (the Message-ID) keep them single. When the server renumbers the folder
//! (a new UIDVALIDITY: the folder was recreated or restored) the folder is read again
//! from the start, with the same keys keeping what was stored from being stored twice.
//!
//! Read-only unless told otherwise: the folder is opened with EXAMINE and bodies read
//! with BODY.PEEK, so nothing is marked seen. `mark_seen` reads with BODY (the server
//! marks what was read); `move_to` moves what is stored at the next poll, never before
//! it is stored. Where the server has IDLE, a background connection waits on the folder
//! between polls and makes the source [`Source::ready`] when mail arrives, so the daemon
//! reads it within a second or so; without IDLE the folder is polled every `every`. That
//! connection is opened when the daemon first asks `ready` after a poll: a single round
//! (`vigie run --once`, from cron say) never asks, and opens none.

mod config;
mod conn;
mod idle;
mod message;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use futures::StreamExt;
use tokio::task::AbortHandle;
use tracing::{info, warn};

pub use self::config::{ImapConfig, Tls};
use self::conn::{said, timed, transport, Server, Session};
use self::message::Envelope;
use super::{blocking, Poll, Source, SourceError, SourceState};
use crate::core::model::Item;

/// Longest wait for one IMAP command (a FETCH of `max_messages` bodies included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// A running mailbox source.
pub struct ImapSource {
    cfg: ImapConfig,
    server: Server,
    /// Most messages read in one poll: `max_messages`, and never more than the daemon
    /// takes from one poll (`[fetch] max_items`), or the rest would be skipped.
    limit: usize,
    /// Set by the IDLE task when mail arrives, and when a poll left mail for the next.
    rung: Arc<AtomicBool>,
    /// A poll found the server offering IDLE.
    can_idle: AtomicBool,
    idle: Mutex<Option<AbortHandle>>,
}

impl ImapSource {
    /// Reads the password's variable and the CA file (relative to `base`) now;
    /// `max_items` is `[fetch] max_items`.
    pub fn new(cfg: ImapConfig, base: &Path, max_items: usize) -> ImapSource {
        ImapSource {
            server: Server::new(&cfg, base),
            limit: cfg.max_messages.min(max_items).max(1),
            cfg,
            rung: Arc::new(AtomicBool::new(false)),
            can_idle: AtomicBool::new(false),
            idle: Mutex::new(None),
        }
    }

    fn at(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }

    /// Starts the IDLE task, once.
    fn start_idle(&self) {
        let mut task = self.idle.lock().expect("idle lock");
        if task.is_none() {
            let watch = idle::watch(
                self.server.clone(),
                mailbox_name(&self.cfg.folder),
                self.cfg.every.0.min(idle::MAX_IDLE),
                self.rung.clone(),
            );
            *task = Some(tokio::spawn(watch).abort_handle());
        }
    }

    /// Opens the folder, moves what is stored, and reads what is new.
    async fn read(
        &self,
        s: &mut Session,
        caps: &async_imap::types::Capabilities,
        state: &SourceState,
    ) -> Result<Poll, SourceError> {
        let at = self.at();
        let folder = mailbox_name(&self.cfg.folder);
        let writable = self.cfg.mark_seen || self.cfg.move_to.is_some();
        let opened = if writable {
            timed(COMMAND_TIMEOUT, s.select(&folder)).await?
        } else {
            timed(COMMAND_TIMEOUT, s.examine(&folder)).await?
        };
        let mailbox = opened.map_err(|e| {
            SourceError::Transport(format!(
                "cannot open folder {:?} on {at}: {}",
                self.cfg.folder,
                said(&e)
            ))
        })?;
        let validity = mailbox.uid_validity.ok_or_else(|| {
            SourceError::Parse(format!(
                "{at} gives folder {:?} no UIDVALIDITY",
                self.cfg.folder
            ))
        })?;
        let last = match state.cursor.as_deref().map(Cursor::parse) {
            Some(Some(c)) if c.validity == validity => c.uid,
            Some(Some(c)) => {
                warn!(source = %self.cfg.name, folder = %self.cfg.folder, old = c.validity, new = validity,
                    "UIDVALIDITY changed (the folder was recreated or restored): reading it again from the start; mail already stored is not stored twice");
                0
            }
            Some(None) => {
                warn!(source = %self.cfg.name, "unreadable cursor: reading the folder from the start");
                0
            }
            None => 0,
        };
        if let Some(to) = self.cfg.move_to.as_deref().filter(|_| last > 0) {
            self.move_stored(s, caps, last, to).await;
        }
        let found = timed(
            COMMAND_TIMEOUT,
            s.uid_search(format!("UID {}:*", last.saturating_add(1))),
        )
        .await?
        .map_err(|e| transport(&at, "SEARCH", e))?;
        // "n:*" always includes the last message, even below n.
        let mut uids: Vec<u32> = found.into_iter().filter(|u| *u > last).collect();
        uids.sort_unstable();
        let waiting = uids.len().saturating_sub(self.limit);
        uids.truncate(self.limit);
        if waiting > 0 {
            info!(source = %self.cfg.name, read = uids.len(), waiting, "more new mail than max_messages: the rest is read next");
            self.rung.store(true, Ordering::Relaxed);
        }
        let (items, skipped) = self.fetch(s, &uids).await?;
        let cursor = Cursor {
            validity,
            uid: uids.last().copied().unwrap_or(last),
        };
        Ok(Poll {
            items,
            skipped,
            cursor: Some(cursor.to_string()),
            ..Poll::default()
        })
    }

    /// Reads messages `uids`, in order: the small ones whole, the large ones up to the
    /// cap. Returns the items and how many could not be read.
    async fn fetch(
        &self,
        s: &mut Session,
        uids: &[u32],
    ) -> Result<(Vec<Item>, usize), SourceError> {
        if uids.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let at = self.at();
        let cap = self.cfg.max_message_kib.saturating_mul(1024);
        let mut sizes = Vec::new();
        {
            let mut stream = timed(
                COMMAND_TIMEOUT,
                s.uid_fetch(uid_set(uids), "(UID RFC822.SIZE)"),
            )
            .await?
            .map_err(|e| transport(&at, "FETCH", e))?;
            while let Some(f) = timed(COMMAND_TIMEOUT, stream.next()).await? {
                let f = f.map_err(|e| transport(&at, "FETCH", e))?;
                if let Some(uid) = f.uid {
                    sizes.push((uid, f.size.unwrap_or(0)));
                }
            }
        }
        let (whole, cut): (Vec<_>, Vec<_>) = sizes.into_iter().partition(|(_, size)| *size <= cap);
        let peek = if self.cfg.mark_seen {
            "BODY"
        } else {
            "BODY.PEEK"
        };
        let mut read: Vec<(u32, Option<Item>)> = Vec::new();
        for (batch, query) in [
            (whole, format!("(UID INTERNALDATE {peek}[])")),
            (cut, format!("(UID INTERNALDATE {peek}[]<0.{cap}>)")),
        ] {
            if batch.is_empty() {
                continue;
            }
            let set: Vec<u32> = batch.iter().map(|(u, _)| *u).collect();
            let mut stream = timed(COMMAND_TIMEOUT, s.uid_fetch(uid_set(&set), &query))
                .await?
                .map_err(|e| transport(&at, "FETCH", e))?;
            while let Some(f) = timed(COMMAND_TIMEOUT, stream.next()).await? {
                let f = f.map_err(|e| transport(&at, "FETCH", e))?;
                let (Some(uid), Some(raw)) = (f.uid, f.body()) else {
                    continue;
                };
                let size = batch.iter().find(|(u, _)| *u == uid).map(|(_, s)| *s);
                let env = Envelope {
                    received: f.internal_date().map(|d| d.with_timezone(&chrono::Utc)),
                    cut_from: size.filter(|s| *s > cap),
                };
                if let Some(size) = env.cut_from {
                    warn!(source = %self.cfg.name, uid, kib = size.div_ceil(1024), max_message_kib = self.cfg.max_message_kib,
                        "message larger than max_message_kib: only its beginning is read");
                }
                let (source, raw) = (self.cfg.name.clone(), raw.to_vec());
                let item = blocking(move || message::to_item(&source, &raw, env)).await?;
                read.push((uid, item));
            }
        }
        read.sort_by_key(|(uid, _)| *uid);
        let mut skipped = 0;
        let mut items = Vec::with_capacity(read.len());
        for (uid, item) in read {
            match item {
                Some(i) => items.push(i),
                None => {
                    warn!(source = %self.cfg.name, uid, "message could not be read as e-mail: skipped");
                    skipped += 1;
                }
            }
        }
        Ok((items, skipped))
    }

    /// Moves the messages up to `last` (all stored) to `to`. A failure is logged, not
    /// returned: it must not keep new mail from being read.
    async fn move_stored(
        &self,
        s: &mut Session,
        caps: &async_imap::types::Capabilities,
        last: u32,
        to: &str,
    ) {
        let (set, dest) = (format!("1:{last}"), mailbox_name(to));
        let moved = if caps.has_str("MOVE") {
            timed(COMMAND_TIMEOUT, s.uid_mv(&set, &dest)).await
        } else if caps.has_str("UIDPLUS") {
            timed(COMMAND_TIMEOUT, async {
                s.uid_copy(&set, &dest).await?;
                s.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                    .await?
                    .for_each(|_| async {})
                    .await;
                s.uid_expunge(&set).await?.for_each(|_| async {}).await;
                Ok(())
            })
            .await
        } else {
            warn!(source = %self.cfg.name, "the server can neither MOVE nor expunge by UID: move_to is ignored");
            return;
        };
        match moved {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                warn!(source = %self.cfg.name, move_to = %to, error = %said(&e), "could not move stored mail (does the folder exist?)")
            }
            Err(e) => {
                warn!(source = %self.cfg.name, move_to = %to, error = %e, "could not move stored mail")
            }
        }
    }
}

impl Drop for ImapSource {
    fn drop(&mut self) {
        if let Some(t) = self.idle.lock().ok().and_then(|mut t| t.take()) {
            t.abort();
        }
    }
}

#[async_trait]
impl Source for ImapSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        Some(self.server.host.clone())
    }

    fn ready(&self) -> bool {
        if self.can_idle.load(Ordering::Relaxed) {
            self.start_idle();
        }
        self.rung.load(Ordering::Relaxed)
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        // Mail arriving from now on rings again.
        self.rung.store(false, Ordering::Relaxed);
        let (mut session, caps) = self.server.login().await?;
        let polled = self.read(&mut session, &caps, state).await;
        let _ = timed(Duration::from_secs(5), session.logout()).await;
        if polled.is_ok() && caps.has_str("IDLE") {
            self.can_idle.store(true, Ordering::Relaxed);
        }
        polled
    }
}

/// Where the daemon is in the folder: its UIDVALIDITY and the last UID read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    validity: u32,
    uid: u32,
}

impl Cursor {
    fn parse(s: &str) -> Option<Cursor> {
        let (v, u) = s.split_once(':')?;
        Some(Cursor {
            validity: v.parse().ok()?,
            uid: u.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.validity, self.uid)
    }
}

/// Sorted UIDs as an IMAP set, runs written as ranges: "1:3,7,9:10".
fn uid_set(uids: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        while i + 1 < uids.len() && uids[i + 1] == uids[i] + 1 {
            i += 1;
        }
        out.push(if uids[i] == start {
            start.to_string()
        } else {
            format!("{start}:{}", uids[i])
        });
        i += 1;
    }
    out.join(",")
}

/// A folder name as IMAP spells it (RFC 3501's modified UTF-7): "Réclamations" is
/// "R&AOk-clamations".
fn mailbox_name(name: &str) -> String {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        base64::engine::general_purpose::NO_PAD,
    );
    let mut out = String::new();
    let mut run: Vec<u16> = Vec::new();
    let flush = |run: &mut Vec<u16>, out: &mut String| {
        if !run.is_empty() {
            let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&engine.encode(bytes));
            out.push('-');
            run.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut run, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            run.extend(c.encode_utf16(&mut [0; 2]).iter());
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_bad_ones_are_none() {
        let c = Cursor {
            validity: 1796106536,
            uid: 42,
        };
        assert_eq!(c.to_string(), "1796106536:42");
        assert_eq!(Cursor::parse("1796106536:42"), Some(c));
        for bad in ["", "42", "a:1", "1:b", "1:2:3"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn uid_sets_use_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn folder_names_in_modified_utf7() {
        assert_eq!(mailbox_name("INBOX"), "INBOX");
        assert_eq!(mailbox_name("Réclamations"), "R&AOk-clamations");
        assert_eq!(mailbox_name("A&B"), "A&-B");
        assert_eq!(mailbox_name("日本語"), "&ZeVnLIqe-");
        assert_eq!(mailbox_name("Traité/Été"), "Trait&AOk-/&AMk-t&AOk-");
    }
}
