//! The `[[sources]] kind = "imap"` table and its checks.

use std::path::PathBuf;

use serde::Deserialize;

use crate::core::secret::check_var;
use crate::sources::{check_name, Every};

/// `[[sources]] kind = "imap"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    /// Unique name.
    pub name: String,
    /// The IMAP server's host name (the name its certificate is for).
    pub host: String,
    /// Port; 993 for implicit TLS, 143 for STARTTLS when not given.
    #[serde(default)]
    pub port: Option<u16>,
    /// How the connection is secured; there is no plain-text mode.
    #[serde(default)]
    pub tls: Tls,
    /// Login name, often the address itself.
    pub username: String,
    /// Environment variable holding the password.
    pub password_env: String,
    /// Folder to read.
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Polling interval, and the longest a waiting IDLE goes unrenewed.
    pub every: Every,
    /// Let the server mark what vigie read as seen (off: the mailbox is only looked at).
    #[serde(default)]
    pub mark_seen: bool,
    /// Folder to move messages to once they are stored.
    #[serde(default)]
    pub move_to: Option<String>,
    /// PEM file of a private CA to trust besides the public ones (relative to the config).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Most messages read in one poll; the rest are read by the next polls, at once.
    #[serde(default = "default_max_messages")]
    pub max_messages: usize,
    /// Larger messages are read only up to this size (the text comes first; attachments
    /// after it are not needed), with a warning.
    #[serde(default = "default_max_message_kib")]
    pub max_message_kib: u32,
}

/// How the connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// TLS from the first byte (IMAPS, port 993).
    #[default]
    Implicit,
    /// Plain IMAP upgraded with STARTTLS before logging in (port 143).
    Starttls,
}

fn default_folder() -> String {
    "INBOX".into()
}

fn default_max_messages() -> usize {
    500
}

fn default_max_message_kib() -> u32 {
    1024
}

impl ImapConfig {
    /// The port, given or the one of the TLS mode.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Implicit => 993,
            Tls::Starttls => 143,
        })
    }

    /// Checks the server, the credentials' variable, folders and limits.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        let host = self.host.trim();
        if host.is_empty() || host.contains(['/', ' ', '@']) || host.contains("://") {
            err(
                format!("{path}.host"),
                format!("{:?} is not a host name", self.host),
                Some("just the server's name, e.g. \"imap.example.be\"; the port goes in port"),
            );
            ok = false;
        }
        match (self.tls, self.port) {
            (_, Some(0)) => {
                err(format!("{path}.port"), "0 is not a port".into(), None);
                ok = false;
            }
            (Tls::Implicit, Some(143)) => {
                err(
                    format!("{path}.port"),
                    "143 is the STARTTLS port, but tls is \"implicit\"".into(),
                    Some("set tls = \"starttls\", or use the IMAPS port 993"),
                );
                ok = false;
            }
            (Tls::Starttls, Some(993)) => {
                err(
                    format!("{path}.port"),
                    "993 is the IMAPS port, but tls is \"starttls\"".into(),
                    Some("remove tls (implicit is the default), or use port 143"),
                );
                ok = false;
            }
            _ => {}
        }
        if self.username.trim().is_empty() {
            err(format!("{path}.username"), "is empty".into(), None);
            ok = false;
        }
        ok &= check_var(path, "password_env", &self.password_env, err);
        if self.folder.trim().is_empty() {
            err(format!("{path}.folder"), "is empty".into(), None);
            ok = false;
        }
        if let Some(to) = &self.move_to {
            if to.trim().is_empty() || to == &self.folder {
                err(
                    format!("{path}.move_to"),
                    format!("{to:?}: name another folder than the one read"),
                    None,
                );
                ok = false;
            }
        }
        if self
            .ca_file
            .as_ref()
            .is_some_and(|f| f.as_os_str().is_empty())
        {
            err(format!("{path}.ca_file"), "is empty".into(), None);
            ok = false;
        }
        for (key, zero) in [
            ("max_messages", self.max_messages == 0),
            ("max_message_kib", self.max_message_kib == 0),
        ] {
            if zero {
                err(format!("{path}.{key}"), "must be at least 1".into(), None);
                ok = false;
            }
        }
        ok
    }
}
