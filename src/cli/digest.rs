//! `vigie digest`: render the daily digest, or send it now.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};

use super::{fail, load};
use crate::config::Config;
use crate::notify::digest;
use crate::notify::sender;
use crate::runtime::{mail, open_store};

/// `vigie digest` as the command line runs it: exit codes and stdout.
pub async fn run(
    config: &Path,
    date: Option<NaiveDate>,
    language: &str,
    format: DigestFormat,
    send: bool,
) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let mut out = std::io::stdout().lock();
    digest(&cfg, date, Some(language), format, send, &mut out)
        .await
        .map_err(fail)
}

/// Output format of `vigie digest --stdout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestFormat {
    /// The HTML part.
    Html,
    /// The plain-text part.
    Text,
}

/// `vigie digest`: renders the digest of `date` to `out`, or sends it now to every
/// digest recipient (`send`).
pub async fn digest(
    cfg: &Config,
    date: Option<NaiveDate>,
    lang: Option<&str>,
    format: DigestFormat,
    send: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let tz: chrono_tz::Tz = cfg
        .digest
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("digest.timezone: {e}"))?;
    let date = date
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive() - chrono::Duration::days(1));
    let notify = cfg.notify();
    let figures = digest::figures(&store, &notify, date).await?;
    let catalog = crate::notify::i18n::Catalog::builtin();
    if send {
        let m = mail(cfg)?
            .ok_or_else(|| anyhow::anyhow!("[smtp] is not configured: nowhere to send"))?;
        let mut n = 0;
        for r in cfg.recipients.iter().filter(|r| r.digest) {
            let email = digest::email_for(&figures, &notify, r, &catalog, None)?;
            store
                .enqueue(&email, &m.mailer.domain(), Utc::now())
                .await?;
            n += 1;
        }
        let pass = sender::send_due(&store, &m.mailer, &m.sender).await?;
        writeln!(
            out,
            "digest of {date}: queued {n}, sent {}, retrying {}, dead {}",
            pass.sent, pass.retried, pass.dead
        )?;
    } else {
        let lang = lang.unwrap_or("en");
        let rd = digest::render(&figures, &notify, lang, &catalog)?;
        match format {
            // Standalone preview: the chart inlined as a data: URI instead of a MIME part.
            DigestFormat::Html => {
                let html = match &rd.png {
                    Some(png) => {
                        use base64::Engine;
                        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
                        rd.html
                            .replace("cid:chart", &format!("data:image/png;base64,{b64}"))
                    }
                    None => rd.html.clone(),
                };
                writeln!(out, "{html}")?
            }
            DigestFormat::Text => writeln!(out, "Subject: {}\n\n{}", rd.subject, rd.text)?,
        }
    }
    store.close().await;
    Ok(())
}
