//! The `vigie` command line: parses arguments, loads the config, calls into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "vigie", version, about = "Lookout daemon: watches what is said online about a public institution")]
struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "human", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon (or one round with --once).
    Run {
        /// Config file (TOML).
        #[arg(long)]
        config: PathBuf,
        /// Poll every source once, process everything due, and exit.
        #[arg(long)]
        once: bool,
    },
    /// Validate a config file: exit 0, or print every problem and exit 1.
    CheckConfig {
        /// Config file (TOML).
        file: PathBuf,
    },
    /// List stored mentions.
    Mentions {
        /// Config file (TOML).
        #[arg(long)]
        config: PathBuf,
        /// Only mentions first seen at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<DateTime<Utc>>,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// At most this many.
        #[arg(long, default_value_t = 100_000)]
        limit: i64,
    },
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIE_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

fn load(path: &std::path::Path) -> Result<vigie::config::Config, ExitCode> {
    vigie::app::load_config(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(1)
    })
}

/// Cancels the token on SIGINT or SIGTERM.
fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("installing SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("signal received: shutting down");
        t.cancel();
    });
    token
}

async fn real_main(cli: Cli) -> Result<(), ExitCode> {
    let fail = |e: anyhow::Error| {
        tracing::error!("{e:#}");
        eprintln!("error: {e:#}");
        ExitCode::from(2)
    };
    match cli.command {
        Command::Run { config, once } => {
            let cfg = load(&config)?;
            let shutdown = shutdown_on_signals();
            vigie::app::run(cfg, once, shutdown).await.map_err(fail)
        }
        Command::CheckConfig { file } => {
            let cfg = load(&file)?;
            println!("{}: ok ({} sources, {} recipients, {} topics)", file.display(), cfg.sources.len(), cfg.recipients.len(), cfg.topics.len());
            Ok(())
        }
        Command::Mentions { config, since, json, limit } => {
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            vigie::app::mentions(&cfg, since, limit, json, &mut out).await.map(|_| ()).map_err(fail)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    match real_main(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
