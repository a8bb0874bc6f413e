//! Opening an authenticated IMAP session: TCP, TLS (implicit, or after STARTTLS) that
//! trusts the Web PKI roots plus an optional private CA, the greeting, then LOGIN. Every
//! failure becomes a [`SourceError`] that says what to check; the password is never in one.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_imap::types::Capabilities;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use secrecy::ExposeSecret;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::config::{ImapConfig, Tls};
use crate::core::secret::EnvSecret;
use crate::sources::SourceError;

/// An authenticated session over TLS.
pub(super) type Session = async_imap::Session<TlsStream<TcpStream>>;

/// Longest wait for the TCP connection, the TLS handshake and the login, each.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom to log in; shared by the polls and the IDLE task.
#[derive(Debug, Clone)]
pub(super) struct Server {
    /// The source's name, for messages.
    pub source: String,
    pub host: String,
    pub port: u16,
    pub starttls: bool,
    pub username: String,
    pub password: EnvSecret,
    /// The TLS settings, or why they could not be made (an unreadable `ca_file`).
    pub tls: Result<Arc<rustls::ClientConfig>, String>,
}

impl Server {
    /// Reads the password's variable and the CA file now; their errors wait for the poll.
    pub fn new(cfg: &ImapConfig, base: &Path) -> Server {
        Server {
            source: cfg.name.clone(),
            host: cfg.host.trim().to_string(),
            port: cfg.port(),
            starttls: cfg.tls == Tls::Starttls,
            username: cfg.username.clone(),
            password: EnvSecret::from_env(&cfg.password_env, "the IMAP password"),
            tls: tls_config(cfg.ca_file.as_deref().map(|f| base.join(f)).as_deref()),
        }
    }

    /// Connects, secures and logs in; returns the session and the server's capabilities.
    pub async fn login(&self) -> Result<(Session, Capabilities), SourceError> {
        let password = self.password.get()?;
        let tls = self.tls.clone().map_err(SourceError::Transport)?;
        let at = format!("{}:{}", self.host, self.port);
        let tcp = timed(
            CONNECT_TIMEOUT,
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await?
        .map_err(|e| SourceError::Transport(format!("cannot connect to {at}: {e}")))?;
        let tcp = if self.starttls {
            self.starttls(tcp, &at).await?
        } else {
            tcp
        };
        let name = ServerName::try_from(self.host.clone())
            .map_err(|e| SourceError::Transport(format!("{:?}: {e}", self.host)))?;
        let stream = timed(CONNECT_TIMEOUT, TlsConnector::from(tls).connect(name, tcp))
            .await?
            .map_err(|e| SourceError::Transport(self.tls_failed(&at, &e)))?;
        let mut client = async_imap::Client::new(stream);
        if !self.starttls {
            // After STARTTLS there is no second greeting.
            greeting(&mut client, &at).await?;
        }
        let login = client.login_with_capabilities(&self.username, password.expose_secret());
        let (mut session, caps) = match timed(CONNECT_TIMEOUT, login).await? {
            Ok(s) => s,
            Err((async_imap::error::Error::No(why), _)) => {
                return Err(SourceError::LoginRefused {
                    hint: format!(
                        "{at} refused user {:?} ({}): check the user name and the password in {}",
                        self.username,
                        said(&async_imap::error::Error::No(why)),
                        self.password.var
                    ),
                })
            }
            Err((e, _)) => return Err(transport(&at, "login", e)),
        };
        let caps = match caps {
            Some(c) => c,
            None => timed(CONNECT_TIMEOUT, session.capabilities())
                .await?
                .map_err(|e| transport(&at, "CAPABILITY", e))?,
        };
        Ok((session, caps))
    }

    /// The plain-text part of a STARTTLS connection: greeting, then STARTTLS.
    async fn starttls(&self, tcp: TcpStream, at: &str) -> Result<TcpStream, SourceError> {
        let mut client = async_imap::Client::new(tcp);
        greeting(&mut client, at).await?;
        timed(
            CONNECT_TIMEOUT,
            client.run_command_and_check_ok("STARTTLS", None),
        )
        .await?
        .map_err(|e| {
            SourceError::Transport(format!(
                "{at} refused STARTTLS ({e}): does it offer it? tls = \"implicit\" uses port 993"
            ))
        })?;
        Ok(client.into_inner())
    }

    fn tls_failed(&self, at: &str, e: &std::io::Error) -> String {
        let hint = if e.to_string().contains("certificate") {
            "; if the server's certificate comes from the institution's own CA, name that CA's PEM file in ca_file"
        } else if self.starttls {
            ""
        } else {
            "; if this port speaks plain IMAP first (143), set tls = \"starttls\""
        };
        format!("TLS with {at} failed: {e}{hint}")
    }
}

/// Reads the server's greeting.
async fn greeting(
    client: &mut async_imap::Client<
        impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
    >,
    at: &str,
) -> Result<(), SourceError> {
    match timed(CONNECT_TIMEOUT, client.read_response()).await? {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(SourceError::Transport(format!(
            "{at} closed the connection before greeting"
        ))),
        Err(e) => Err(SourceError::Transport(format!("{at}: {e}"))),
    }
}

/// An IMAP failure during `what`, as a transport error.
pub(super) fn transport(at: &str, what: &str, e: async_imap::error::Error) -> SourceError {
    SourceError::Transport(format!("IMAP {what} on {at} failed: {}", said(&e)))
}

/// What the server said in a NO or BAD, out of the client's debug text
/// (`code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`).
pub(super) fn said(e: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    match e {
        Error::No(s) | Error::Bad(s) => {
            let text = s
                .split_once("Some(\"")
                .map(|(_, rest)| rest.rsplit_once("\")").map_or(rest, |(t, _)| t))
                .unwrap_or(s);
            text.replace("\\\"", "\"")
        }
        other => other.to_string(),
    }
}

/// `fut`, or [`SourceError::Timeout`] after `limit`.
pub(super) async fn timed<T>(
    limit: Duration,
    fut: impl Future<Output = T>,
) -> Result<T, SourceError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| SourceError::Timeout(limit))
}

/// TLS that trusts the Web PKI roots, and the certificates of `ca_file` when given.
fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|i| i.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "ca_file {} holds no PEM certificate",
                path.display()
            ));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::error::Error;

    #[test]
    fn what_the_server_said_without_the_clients_debug_text() {
        let no = Error::No(
            "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")".into(),
        );
        assert_eq!(said(&no), "[AUTHENTICATIONFAILED] Authentication failed.");
        let bad = Error::Bad("outcome: ResponseOutcome { tag: \"A3\", code: Some(TryCreate), information: Some(\"Mailbox \\\"X\\\" doesn't exist\") }".into());
        assert_eq!(said(&bad), "Mailbox \"X\" doesn't exist");
        assert_eq!(said(&Error::No("plain".into())), "plain");
        assert_eq!(said(&Error::ConnectionLost), "connection lost");
    }
}
