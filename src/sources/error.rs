//! Why a poll failed: the errors every source shares.

use std::time::Duration;

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The server asked us to slow down (429, or 503 with Retry-After, or a spent rate limit).
    #[error("server asked to slow down (HTTP {status}), retry after {retry_after:?}")]
    RateLimited {
        /// 429 or 503.
        status: u16,
        /// How long it asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The credentials were refused (401/403).
    #[error("credentials refused (HTTP {status}): {hint}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// What to check, naming the environment variable(s) involved.
        hint: String,
    },
    /// The server refused the login (an IMAP NO to LOGIN).
    #[error("login refused: {hint}")]
    LoginRefused {
        /// What to check, naming the environment variable involved.
        hint: String,
    },
    /// A credential the config names is not in the environment.
    #[error("environment variable {var} is not set (it holds {what}); set it in the daemon's environment")]
    MissingSecret {
        /// The variable named in the config.
        var: String,
        /// What it should hold.
        what: &'static str,
    },
    /// Any other non-success status.
    #[error("HTTP {status} from {url}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The URL asked (secrets removed).
        url: String,
    },
    /// No answer within the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The body is over the configured cap.
    #[error("body larger than {limit} bytes, refused (raise [fetch] max_body_mib if this feed really is that big)")]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// Connection, DNS, TLS or file errors.
    #[error("{0}")]
    Transport(String),
    /// The document could not be read as a feed, even after repair.
    #[error("{0}")]
    Parse(String),
}

impl SourceError {
    /// Wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SourceError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The source cannot work until someone fixes its credentials.
    pub fn is_credentials(&self) -> bool {
        matches!(
            self,
            SourceError::Unauthorized { .. }
                | SourceError::LoginRefused { .. }
                | SourceError::MissingSecret { .. }
        )
    }
}

impl From<crate::core::secret::MissingSecret> for SourceError {
    fn from(e: crate::core::secret::MissingSecret) -> Self {
        SourceError::MissingSecret {
            var: e.var,
            what: e.what,
        }
    }
}
