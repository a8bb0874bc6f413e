//! What each CLI command does, as library functions so tests and benchmarks call the same
//! code: one file per command group, each printing its own output. `main.rs` parses the
//! arguments and calls these.

pub mod backup;
pub mod bench;
pub mod classify;
pub mod digest;
pub mod escalations;
pub mod eval;
pub mod forget;
pub mod health;
pub mod lexicon;
pub mod mentions;
pub mod migrate;
pub mod models;
pub mod outbox;
pub mod questions;
pub mod replay;
pub mod run;
pub mod signals;
pub mod stories;
pub mod users;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{Config, ConfigErrors};

/// Loads the config or returns every problem in it.
pub fn load_config(path: &Path) -> Result<Config, ConfigErrors> {
    Config::load(path)
}

/// Writes to stderr, ignoring a closed stream (eprintln! would panic).
pub fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Loads the config for a command: every problem on stderr and exit code 1 if it is invalid.
pub fn load(path: &Path) -> Result<Config, ExitCode> {
    load_config(path).map_err(|e| {
        say(&e.to_string());
        ExitCode::from(1)
    })
}

/// Loads the config for a command that never fetches (`[[sources]]` may be left out).
pub fn load_offline(path: &Path) -> Result<Config, ExitCode> {
    Config::load_for(path, crate::config::Purpose::Offline).map_err(|e| {
        say(&e.to_string());
        ExitCode::from(1)
    })
}

/// A command that failed at run time: logged, `error: ...` on stderr, exit code 2.
pub fn fail(e: anyhow::Error) -> ExitCode {
    tracing::error!("{e:#}");
    say(&format!("error: {e:#}"));
    ExitCode::from(2)
}

/// The `--config` of a command group where it is optional for clap (a global flag) but
/// required to run: exit code 2 without it.
pub fn require_config(config: Option<PathBuf>) -> Result<PathBuf, ExitCode> {
    config.ok_or_else(|| {
        say("error: --config FILE (or the VIGIE_CONFIG environment variable) is required");
        ExitCode::from(2)
    })
}

/// Sets up logging on stderr, as human-readable lines or JSON objects.
pub fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        // The IMAP client traces every line it sends and reads: the password of LOGIN,
        // whole private messages. Never logged, whatever VIGIE_LOG asks.
        .add_directive("async_imap=off".parse().expect("static directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| EscapedStderr)
        // Colours are escape sequences, and every escape sequence in a line is escaped.
        .with_ansi(false)
        // A closed stderr (a log reader gone) must never take the daemon down.
        .log_internal_errors(false);
    if json {
        builder.json().flatten_event(true).init()
    } else {
        builder.init()
    }
}

/// Stderr for log lines, with every control character a value brings (a newline in a
/// fetched author, a terminal escape sequence in a title) written as an escape (`\n`,
/// `\u{1b}`), so no value can forge a log line or drive the terminal. Each event comes
/// as one write ending in its own newline, which stays.
struct EscapedStderr;

impl std::io::Write for EscapedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = escape_log_line(&String::from_utf8_lossy(buf));
        std::io::stderr().write_all(line.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// `s` with its control characters escaped, but a final newline and tabs kept.
pub fn escape_log_line(s: &str) -> String {
    let (body, end) = match s.strip_suffix('\n') {
        Some(b) => (b, "\n"),
        None => (s, ""),
    };
    let mut out = String::with_capacity(s.len() + 8);
    for c in body.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push_str(end);
    out
}

/// `vigie check-config FILE`: one summary line, or every problem and exit code 1.
pub fn check_config(file: &Path) -> Result<(), ExitCode> {
    let cfg = load(file)?;
    println!(
        "{}: ok ({} sources, {} recipients, {} topics)",
        file.display(),
        cfg.sources.len(),
        cfg.recipients.len(),
        cfg.topics.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape_log_line;

    #[test]
    fn a_value_cannot_forge_a_log_line_or_drive_the_terminal() {
        let forged = "INFO vigie: author=x\n2026-12-01T00:00:00Z  INFO vigie::web::auth: logged in user=admin@example.org\n";
        let out = escape_log_line(forged);
        assert_eq!(out.matches('\n').count(), 1, "{out}");
        assert!(out.ends_with("admin@example.org\n"));
        assert!(out.contains("author=x\\n2026"));
        assert_eq!(
            escape_log_line("red \u{1b}[31m\r\tok"),
            "red \\u{1b}[31m\\r\tok"
        );
    }
}
