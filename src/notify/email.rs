//! Sending one e-mail with lettre: SMTP (STARTTLS or TLS, password from
//! `VIGIE_SMTP_PASSWORD`) or the `file://` transport that writes .eml files.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::notify::config::Smtp;
use crate::store::outbox::Claimed;

/// Why a send failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// 4xx, connection refused, timeouts: try again later. 5xx, bad address: don't.
    pub transient: bool,
    /// What happened.
    pub message: String,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// The configured way out.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

/// Name of the environment variable holding the SMTP password.
pub const PASSWORD_ENV: &str = "VIGIE_SMTP_PASSWORD";

impl Mailer {
    /// Builds the transport from `[smtp]`; `base` resolves a relative `file://` folder.
    pub fn new(cfg: &Smtp, base: &std::path::Path) -> anyhow::Result<Mailer> {
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("smtp.from {:?}: {e}", cfg.from))?;
        let transport = if let Some(dir) = cfg.url.strip_prefix("file://") {
            let p = std::path::Path::new(dir);
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            };
            std::fs::create_dir_all(&p)
                .map_err(|e| anyhow::anyhow!("cannot create e-mail folder {}: {e}", p.display()))?;
            Transport::File(AsyncFileTransport::new(p))
        } else {
            let url = cfg
                .transport_url()
                .map_err(|e| anyhow::anyhow!("smtp.url: {e}"))?;
            let mut b = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "smtp.url {}: {e}",
                        crate::core::config::redact_url(&cfg.url)
                    )
                })?
                .timeout(Some(std::time::Duration::from_secs(30)));
            let password = std::env::var(PASSWORD_ENV).ok().map(SecretString::from);
            if let (Some(user), Some(pw)) = (&cfg.username, &password) {
                b = b.credentials(Credentials::new(
                    user.clone(),
                    pw.expose_secret().to_string(),
                ));
            } else if cfg.username.is_some() {
                tracing::warn!("smtp.username is set but {PASSWORD_ENV} is not: sending without authentication");
            }
            Transport::Smtp(b.build())
        };
        Ok(Mailer { transport, from })
    }

    /// Domain of the From address, used in Message-IDs.
    pub fn domain(&self) -> String {
        self.from.email.domain().to_string()
    }

    /// Builds the MIME message: text and HTML alternatives, the chart inline.
    pub fn build(&self, c: &Claimed) -> Result<Message, SendError> {
        let permanent = |message: String| SendError {
            transient: false,
            message,
        };
        let to: Mailbox = format!(
            "{} <{}>",
            c.email.to_name.replace(['<', '>', '"'], ""),
            c.email.to_email
        )
        .parse()
        .or_else(|_| c.email.to_email.parse())
        .map_err(|e| permanent(format!("bad recipient {:?}: {e}", c.email.to_email)))?;
        let html_part: MultiPart = match &c.email.inline_png {
            Some(png) => MultiPart::related()
                .singlepart(SinglePart::html(c.email.html.clone()))
                .singlepart(Attachment::new_inline("chart".into()).body(
                    png.clone(),
                    ContentType::parse("image/png").expect("static"),
                )),
            None => MultiPart::related().singlepart(SinglePart::html(c.email.html.clone())),
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(c.email.subject.clone())
            .message_id(Some(format!("<{}>", c.message_id)));
        // Lets mail filters and the team's rules tell vigie's e-mails apart.
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Vigie-Kind"),
            c.email.kind.clone(),
        ));
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_string(),
        ));
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(c.email.text.clone()))
                    .multipart(html_part),
            )
            .map_err(|e| permanent(format!("cannot build message: {e}")))
    }

    /// Sends one claimed e-mail.
    pub async fn send(&self, c: &Claimed) -> Result<(), SendError> {
        let msg = self.build(c)?;
        match &self.transport {
            Transport::File(t) => t.send(msg).await.map(|_| ()).map_err(|e| SendError {
                transient: true,
                message: format!("cannot write e-mail file: {e}"),
            }),
            Transport::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| SendError {
                // Only a 5xx answer is final; refused connections, timeouts and 4xx are not.
                transient: !e.is_permanent(),
                message: smtp_error_text(&e),
            }),
        }
    }
}

fn smtp_error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
