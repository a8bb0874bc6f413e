//! The `vigie` command line: parses arguments and calls the command's function in
//! `vigie::cli`, which loads the config, does the work and prints the output.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use vigie::cli;

#[derive(Parser)]
#[command(
    name = "vigie",
    version,
    about = "Lookout daemon: watches what is said online about a public institution"
)]
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
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// Poll every source once, process everything due, and exit.
        #[arg(long)]
        once: bool,
        /// With --once: run the stages on a simulated clock set to this time (RFC 3339),
        /// as `vigie replay` does; for checking replay against the daemon.
        #[arg(long, requires = "once")]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Validate a config file: exit 0, or print every problem and exit 1.
    CheckConfig {
        /// Config file (TOML).
        file: PathBuf,
    },
    /// List stored mentions.
    Mentions {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
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
    /// Classify JSON lines from stdin ({"id", "text", "lang"?}); one JSON line out per input.
    Classify {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
    },
    /// Score the configured classifier on a gold JSON-lines file (sentiment, lang, topics),
    /// or with `--task formal` the formal-request detector (precision and recall per language).
    Eval {
        /// What to score: the classifier, or the formal-request detector.
        #[arg(long, value_enum, default_value = "classify")]
        task: EvalTask,
        /// Config file (TOML); needed for `--task classify`.
        #[arg(long, env = "VIGIE_CONFIG")]
        config: Option<PathBuf>,
        /// Gold data: JSON lines with "text" and any of "sentiment", "lang", "topics";
        /// for `--task formal`, "id", "lang", "text" and "formal" (true or false).
        #[arg(long)]
        data: PathBuf,
        /// JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Signals raised (crisis vocabulary, ...).
    Signals {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// Only signals raised at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<DateTime<Utc>>,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Users of the escalation page.
    User {
        /// Config file (TOML).
        #[arg(long, global = true, env = "VIGIE_CONFIG")]
        config: Option<PathBuf>,
        #[command(subcommand)]
        action: cli::users::UserCmd,
    },
    /// The escalation list: list it, change an escalation's state, or export it.
    Escalations {
        /// Config file (TOML).
        #[arg(long, global = true, env = "VIGIE_CONFIG")]
        config: Option<PathBuf>,
        /// Only this state: new, acknowledged, assigned, answered, closed, dismissed.
        #[arg(long)]
        state: Option<String>,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<cli::escalations::EscalationCmd>,
    },
    /// Render the daily digest (--stdout) or send it now (--send).
    Digest {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// The day the digest reports on (default: yesterday, local time).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// Print instead of sending.
        #[arg(long, conflicts_with = "send")]
        stdout: bool,
        /// Queue it for every digest recipient and send it now.
        #[arg(long)]
        send: bool,
        /// html or text (with --stdout).
        #[arg(long, value_enum, default_value = "html")]
        format: Format,
        /// Reader language for --stdout: fr, nl or en.
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// Erase one person's data everywhere (their own mentions whole; their name, handle
    /// or e-mail wherever a copy holds it) and record that an erasure happened.
    #[command(group(clap::ArgGroup::new("who").required(true)))]
    Forget {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// The author's name as sources give it.
        #[arg(long, group = "who")]
        author: Option<String>,
        /// A handle on a social network (`@marie`, `marie.bsky.social`).
        #[arg(long, group = "who")]
        handle: Option<String>,
        /// An e-mail address written in their messages.
        #[arg(long, group = "who")]
        email: Option<String>,
    },
    /// List the e-mail outbox: queued, sent, dead-lettered.
    Outbox {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// Only this state: pending, sending, sent, dead.
        #[arg(long)]
        state: Option<String>,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Recorded mentions (JSON lines) through the whole pipeline on simulated time, into a
    /// fresh store; prints the signals as JSON lines (kind, severity, at, story, reason,
    /// evidence) and a summary on stderr.
    Replay {
        /// Config file (TOML): classifier, topics, signals thresholds.
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// JSON lines: id, text, published_at, and optionally source, author, reach, lang, url, title.
        #[arg(long)]
        input: PathBuf,
        /// Keep the result in this store (sqlite:// or postgres:// URL) instead of a temporary one.
        #[arg(long)]
        store: Option<String>,
        /// Simulated time between two detection rounds.
        #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
        step: std::time::Duration,
    },
    /// Recurring questions: what citizens ask, grouped by what they ask, with the
    /// content gaps (no approved answer in the knowledge base).
    Questions(cli::questions::QuestionsArgs),
    /// A consistent copy of the SQLite store, taken while the daemon runs (PostgreSQL:
    /// pg_dump, see the README).
    Backup(cli::backup::BackupArgs),
    /// Puts a backup in place of the SQLite store; refused while a daemon holds it.
    Restore(cli::backup::RestoreArgs),
    /// Lists the database migrations (applied, pending) and applies the pending ones.
    Migrate(cli::migrate::MigrateArgs),
    /// Asks a running daemon's /healthz: exit 0 when it answers "ok", 1 otherwise (for a
    /// container's HEALTHCHECK).
    Health(cli::health::HealthArgs),
    /// Stories: near-duplicates, reposts and posts sharing a link, grouped.
    Stories {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// Only stories with mentions first seen at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<DateTime<Utc>>,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Transformer models for the bert backend: list the manifests, fetch the weights.
    Models {
        /// Config file: its `[classifier] models_dir` is used (default: ./models).
        #[arg(long, global = true, env = "VIGIE_CONFIG")]
        config: Option<PathBuf>,
        /// The models folder (overrides the config's).
        #[arg(long, global = true)]
        dir: Option<PathBuf>,
        #[command(subcommand)]
        action: cli::models::ModelsCmd,
    },
    /// Lexicon backend tools.
    Lexicon {
        #[command(subcommand)]
        action: cli::lexicon::LexiconCmd,
    },
    /// Measure throughput and memory (figures for BENCHMARKS.md), as JSON.
    Bench {
        #[command(subcommand)]
        what: cli::bench::BenchWhat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum EvalTask {
    Classify,
    Formal,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Html,
    Text,
}

impl From<EvalTask> for cli::eval::Task {
    fn from(t: EvalTask) -> Self {
        match t {
            EvalTask::Classify => cli::eval::Task::Classify,
            EvalTask::Formal => cli::eval::Task::Formal,
        }
    }
}

async fn real_main(args: Cli) -> Result<(), ExitCode> {
    match args.command {
        Command::Run { config, once, now } => cli::run::run(&config, once, now).await,
        Command::CheckConfig { file } => cli::check_config(&file),
        Command::Mentions {
            config,
            since,
            json,
            limit,
        } => cli::mentions::run(&config, since, limit, json).await,
        Command::Classify { config } => cli::classify::run(&config).await,
        Command::Eval {
            task,
            config,
            data,
            json,
        } => cli::eval::run(task.into(), config, &data, json).await,
        Command::Signals {
            config,
            since,
            json,
        } => cli::signals::run(&config, since, json).await,
        Command::User { config, action } => cli::users::run(config, action).await,
        Command::Escalations {
            config,
            state,
            json,
            action,
        } => cli::escalations::run(config, state.as_deref(), json, action).await,
        Command::Digest {
            config,
            date,
            stdout: _,
            send,
            format,
            language,
        } => {
            let format = match format {
                Format::Html => cli::digest::DigestFormat::Html,
                Format::Text => cli::digest::DigestFormat::Text,
            };
            cli::digest::run(&config, date, &language, format, send).await
        }
        Command::Forget {
            config,
            author,
            handle,
            email,
        } => {
            use vigie::runtime::privacy::Person;
            let who = match (author, handle, email) {
                (Some(a), _, _) if !a.trim().is_empty() => Person::Author(a),
                (_, Some(h), _) if !h.trim().trim_start_matches('@').is_empty() => {
                    Person::Handle(h)
                }
                (_, _, Some(e)) if e.contains('@') => Person::Email(e),
                _ => {
                    cli::say(
                        "error: give one of --author NAME, --handle H or --email E (not empty)",
                    );
                    return Err(ExitCode::from(2));
                }
            };
            cli::forget::run(&config, who).await
        }
        Command::Outbox {
            config,
            state,
            json,
        } => cli::outbox::run(&config, state.as_deref(), json).await,
        Command::Replay {
            config,
            input,
            store,
            step,
        } => cli::replay::run(&config, &input, store.as_deref(), step).await,
        Command::Questions(q) => cli::questions::run_args(q).await,
        Command::Backup(b) => cli::backup::backup(b).await,
        Command::Restore(r) => cli::backup::restore(r).await,
        Command::Migrate(m) => cli::migrate::run(m).await,
        Command::Health(h) => cli::health::run(h).await,
        Command::Stories {
            config,
            since,
            json,
        } => cli::stories::run(&config, since, json).await,
        Command::Models {
            config,
            dir,
            action,
        } => cli::models::run(config, dir, action).await,
        Command::Lexicon { action } => cli::lexicon::run(action),
        Command::Bench { what } => cli::bench::run(what).await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    cli::init_logs(matches!(args.log_format, LogFormat::Json));
    match real_main(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
