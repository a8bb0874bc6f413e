//! The `vigie` command line: parses arguments, loads the config, calls into the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

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
    /// Score the configured classifier on a gold JSON-lines file (sentiment, lang, topics).
    Eval {
        /// Config file (TOML).
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// Gold data: JSON lines with "text" and any of "sentiment", "lang", "topics".
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
        action: UserCmd,
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
        action: Option<EscalationCmd>,
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
        action: ModelsCmd,
    },
    /// Lexicon backend tools.
    Lexicon {
        #[command(subcommand)]
        action: LexiconCmd,
    },
    /// Measure throughput and memory (figures for BENCHMARKS.md), as JSON.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Subcommand)]
enum LexiconCmd {
    /// For each line of a gold file, the opinion words found, their polarity and context
    /// factor, as JSON lines (what scripts/calibrate.py fits the polarities on).
    Opinions {
        /// Config file (TOML): its languages and `[classifier] lexicon_weights`.
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// JSON lines with "text" (and "id", "sentiment", passed through).
        #[arg(long)]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum EscalationCmd {
    /// Acknowledge: someone has seen it.
    Ack(ActArgs),
    /// Assign it (to --to, or to yourself).
    Assign(ActArgs),
    /// Record that it was answered.
    Answer(ActArgs),
    /// Close it after the answer.
    Close(ActArgs),
    /// Dismiss it (not ours to answer; --note gives the reason).
    Dismiss(ActArgs),
    /// Response times: median and 90th percentile to first answer, share within the rule,
    /// per week, channel and language.
    Stats {
        /// How many weeks back.
        #[arg(long, default_value_t = 12)]
        weeks: i64,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Export the whole list with its history.
    Export {
        /// Only csv for now.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

#[derive(Subcommand)]
enum ModelsCmd {
    /// Every manifest, whether its files are here, and what is missing.
    List {
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Download a model's files from the hub (VIGIE_HUB_URL for a mirror), checking sha256,
    /// resuming interrupted downloads.
    Fetch {
        /// Model name, as in `vigie models list`.
        name: String,
    },
}

#[derive(clap::Args)]
struct ActArgs {
    /// Escalation id.
    id: i64,
    /// Who does it (e-mail address).
    #[arg(long)]
    by: String,
    /// Assign to this person (assign only; default: --by).
    #[arg(long)]
    to: Option<String>,
    /// A note for the history.
    #[arg(long)]
    note: Option<String>,
    /// Answer only: the text of the answer, kept as proof of what was said.
    #[arg(long)]
    text: Option<String>,
    /// Answer only: link to the published answer.
    #[arg(long)]
    link: Option<String>,
    /// Answer only: where it was given (mastodon, e-mail, phone, ...).
    #[arg(long)]
    channel: Option<String>,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user, or change an existing one's role, language and password (read from
    /// stdin, at least 12 characters; their sessions end).
    Add {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// viewer, responder or admin.
        #[arg(long)]
        role: String,
        /// Page language: fr, nl or en.
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// Every user with their role.
    List {
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Html,
    Text,
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Parse + dedup + match + store of a generated feed; optionally Python feedparser on the same file.
    Ingest {
        /// Items in the feed.
        #[arg(long, default_value_t = 1000)]
        items: usize,
        /// Repetitions.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Python interpreter with feedparser installed (see scripts/bench-python-env.sh).
        #[arg(long)]
        python: Option<PathBuf>,
        /// The feedparser benchmark script.
        #[arg(long, default_value = "benches/feedparser_bench.py")]
        script: PathBuf,
    },
    /// `vigie run --once` end to end (the real binary, a new SQLite database per round) on a
    /// generated feed; optionally Python feedparser parsing the same file.
    Once {
        /// Items in the feed.
        #[arg(long, default_value_t = 5000)]
        items: usize,
        /// Items that mention the institution.
        #[arg(long, default_value_t = 1000)]
        matching: usize,
        /// Runs, each on a new database.
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Keep the feed, configs and databases in this folder (default: a temporary one).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Python interpreter with feedparser installed.
        #[arg(long)]
        python: Option<PathBuf>,
        /// The feedparser benchmark script.
        #[arg(long, default_value = "benches/feedparser_bench.py")]
        script: PathBuf,
    },
    /// Bert backend throughput and peak memory on texts from a JSON-lines file
    /// (compare: benches/transformers_bench.py, same arguments).
    #[cfg(feature = "bert")]
    Bert {
        /// Models folder.
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Model name.
        #[arg(long, default_value = "all-minilm-l6-v2")]
        model: String,
        /// JSON lines with a "text" field.
        #[arg(long)]
        data: PathBuf,
        /// How many texts.
        #[arg(long, default_value_t = 512)]
        texts: usize,
        /// Texts per batch.
        #[arg(long, default_value_t = 32)]
        batch: usize,
        /// Intra-op threads.
        #[arg(long, default_value_t = 2)]
        threads: i32,
    },
    /// Server-side time of the escalation list page with many open escalations.
    Web {
        /// Open escalations to create.
        #[arg(long, default_value_t = 10_000)]
        escalations: usize,
        /// Requests per page.
        #[arg(long, default_value_t = 30)]
        rounds: usize,
        /// Database URL (default: a new SQLite file; e.g. a PostgreSQL test database).
        #[arg(long)]
        store: Option<String>,
    },
    /// Replay throughput (lexicon backend) on generated mentions, into a fresh SQLite store.
    Replay {
        /// Mentions to generate.
        #[arg(long, default_value_t = 100_000)]
        mentions: usize,
        /// Simulated days they span.
        #[arg(long, default_value_t = 28)]
        days: i64,
    },
    /// Memory and start time of the signals engine over a database of many mentions.
    Stored {
        /// Mentions to store first (over the last 28 days).
        #[arg(long, default_value_t = 1_000_000)]
        mentions: usize,
        /// Internal: measure over the store already filled in this folder.
        #[arg(long, hide = true)]
        db: Option<PathBuf>,
    },
    /// Lexicon backend throughput on short posts.
    Lexicon {
        /// Texts to classify.
        #[arg(long, default_value_t = 200_000)]
        texts: usize,
    },
    /// Bluesky Jetstream events decoded and filtered per second, on one core.
    Jetstream {
        /// Events to generate.
        #[arg(long, default_value_t = 200_000)]
        events: usize,
    },
    /// Resident memory of an idle daemon with many sources configured.
    Idle {
        /// Sources to configure.
        #[arg(long, default_value_t = 200)]
        sources: usize,
        /// Seconds to let it poll and settle before measuring.
        #[arg(long, default_value_t = 10)]
        settle: u64,
    },
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        // A closed stderr (a log reader gone) must never take the daemon down.
        .log_internal_errors(false);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Writes to stderr, ignoring a closed stream (eprintln! would panic).
fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn load(path: &std::path::Path) -> Result<vigie::config::Config, ExitCode> {
    vigie::cli::load_config(path).map_err(|e| {
        say(&e.to_string());
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
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        t.cancel();
        tracing::info!("signal received: shutting down");
    });
    token
}

async fn real_main(cli: Cli) -> Result<(), ExitCode> {
    let fail = |e: anyhow::Error| {
        tracing::error!("{e:#}");
        say(&format!("error: {e:#}"));
        ExitCode::from(2)
    };
    match cli.command {
        Command::Run { config, once, now } => {
            let cfg = load(&config)?;
            let shutdown = shutdown_on_signals();
            let clock = now.map_or_else(
                vigie::core::clock::Clock::system,
                vigie::core::clock::Clock::simulated,
            );
            vigie::runtime::run(cfg, once, clock, shutdown)
                .await
                .map_err(fail)
        }
        Command::CheckConfig { file } => {
            let cfg = load(&file)?;
            println!(
                "{}: ok ({} sources, {} recipients, {} topics)",
                file.display(),
                cfg.sources.len(),
                cfg.recipients.len(),
                cfg.topics.len()
            );
            Ok(())
        }
        Command::Bench { what } => {
            let report = match what {
                BenchWhat::Ingest {
                    items,
                    rounds,
                    python,
                    script,
                } => serde_json::to_string_pretty(
                    &vigie::bench::ingest(items, rounds, python.as_deref(), &script)
                        .await
                        .map_err(fail)?,
                ),
                BenchWhat::Once {
                    items,
                    matching,
                    rounds,
                    dir,
                    python,
                    script,
                } => {
                    let exe = std::env::current_exe().map_err(|e| fail(e.into()))?;
                    serde_json::to_string_pretty(
                        &vigie::bench::once::once(
                            &exe,
                            items,
                            matching,
                            rounds,
                            dir.as_deref(),
                            python.as_deref(),
                            &script,
                        )
                        .await
                        .map_err(fail)?,
                    )
                }
                #[cfg(feature = "bert")]
                BenchWhat::Bert {
                    models,
                    model,
                    data,
                    texts,
                    batch,
                    threads,
                } => {
                    let texts = vigie::bench::read_texts(&data, texts).map_err(fail)?;
                    serde_json::to_string_pretty(
                        &vigie::bench::bert(&models, &model, &texts, batch, threads)
                            .map_err(fail)?,
                    )
                }
                BenchWhat::Lexicon { texts } => {
                    serde_json::to_string_pretty(&vigie::bench::lexicon(texts))
                }
                BenchWhat::Replay { mentions, days } => serde_json::to_string_pretty(
                    &vigie::bench::signals::replay(mentions, days)
                        .await
                        .map_err(fail)?,
                ),
                BenchWhat::Stored { mentions, db } => {
                    let report = match db {
                        Some(dir) => vigie::bench::signals::measure_stored(&dir).await,
                        None => {
                            let exe = std::env::current_exe().map_err(|e| fail(e.into()))?;
                            vigie::bench::signals::stored(mentions, &exe).await
                        }
                    };
                    serde_json::to_string_pretty(&report.map_err(fail)?)
                }
                BenchWhat::Web {
                    escalations,
                    rounds,
                    store,
                } => serde_json::to_string_pretty(
                    &vigie::bench::web::list_page(escalations, rounds, store.as_deref())
                        .await
                        .map_err(fail)?,
                ),
                BenchWhat::Jetstream { events } => {
                    serde_json::to_string_pretty(&vigie::bench::jetstream(events).map_err(fail)?)
                }
                BenchWhat::Idle { sources, settle } => {
                    let exe = std::env::current_exe().map_err(|e| fail(e.into()))?;
                    serde_json::to_string_pretty(
                        &vigie::bench::idle(&exe, sources, std::time::Duration::from_secs(settle))
                            .map_err(fail)?,
                    )
                }
            };
            println!("{}", report.map_err(|e| fail(e.into()))?);
            Ok(())
        }
        Command::Signals {
            config,
            since,
            json,
        } => {
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            vigie::cli::signals(&cfg, since, json, &mut out)
                .await
                .map_err(fail)
        }
        Command::User { config, action } => {
            let config = config.ok_or_else(|| {
                say("error: --config FILE (or the VIGIE_CONFIG environment variable) is required");
                ExitCode::from(2)
            })?;
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            match action {
                UserCmd::Add {
                    email,
                    role,
                    language,
                } => {
                    let mut password = String::new();
                    std::io::stdin().read_line(&mut password).map_err(|e| {
                        fail(anyhow::anyhow!("cannot read the password from stdin: {e}"))
                    })?;
                    let password = password.trim_end_matches(['\r', '\n']).to_string();
                    vigie::cli::user_add(&cfg, &email, &role, &language, &password, &mut out)
                        .await
                        .map_err(fail)
                }
                UserCmd::List { json } => vigie::cli::user_list(&cfg, json, &mut out)
                    .await
                    .map_err(fail),
            }
        }
        Command::Escalations {
            config,
            state,
            json,
            action,
        } => {
            let config = config.ok_or_else(|| {
                say("error: --config FILE (or the VIGIE_CONFIG environment variable) is required");
                ExitCode::from(2)
            })?;
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            use vigie::escalate::state::Action;
            let act = |a: Action, x: ActArgs| (a, x);
            let (action, args) = match action {
                None => {
                    return vigie::cli::escalations(&cfg, state.as_deref(), json, &mut out)
                        .await
                        .map_err(fail)
                }
                Some(EscalationCmd::Stats { weeks, json }) => {
                    return vigie::cli::escalation_stats(&cfg, weeks, json, &mut out)
                        .await
                        .map_err(fail)
                }
                Some(EscalationCmd::Export { format }) => {
                    if format != "csv" {
                        return Err(fail(anyhow::anyhow!(
                            "unknown export format {format:?}: use csv"
                        )));
                    }
                    return vigie::cli::escalations_csv(&cfg, &mut out)
                        .await
                        .map_err(fail);
                }
                Some(EscalationCmd::Ack(x)) => act(Action::Ack, x),
                Some(EscalationCmd::Assign(x)) => act(Action::Assign, x),
                Some(EscalationCmd::Answer(x)) => act(Action::Answer, x),
                Some(EscalationCmd::Close(x)) => act(Action::Close, x),
                Some(EscalationCmd::Dismiss(x)) => act(Action::Dismiss, x),
            };
            let answer = (args.text.is_some() || args.link.is_some()).then(|| {
                vigie::escalate::answer::Answer {
                    at: chrono::Utc::now(),
                    by: args.by.clone(),
                    channel: args.channel.clone(),
                    body: args.text.clone(),
                    link: args.link.clone(),
                }
            });
            if answer.is_some() && action != Action::Answer {
                return Err(fail(anyhow::anyhow!(
                    "--text and --link go with `vigie escalations answer`"
                )));
            }
            let new = vigie::cli::escalation_act(
                &cfg,
                args.id,
                action,
                &args.by,
                args.to.as_deref(),
                args.note.as_deref(),
                answer,
            )
            .await
            .map_err(|e| {
                say(&format!("error: {e:#}"));
                ExitCode::from(1)
            })?;
            let _ = writeln!(out, "escalation {}: {}", args.id, new.as_str());
            Ok(())
        }
        Command::Replay {
            config,
            input,
            store,
            step,
        } => {
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            let report = vigie::cli::replay(&cfg, &input, store.as_deref(), step, &mut out)
                .await
                .map_err(fail)?;
            say(&serde_json::to_string(&report).map_err(|e| fail(e.into()))?);
            Ok(())
        }
        Command::Stories {
            config,
            since,
            json,
        } => {
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            vigie::cli::stories(&cfg, since, json, &mut out)
                .await
                .map_err(fail)
        }
        Command::Models {
            config,
            dir,
            action,
        } => {
            let dir = match (dir, config) {
                (Some(d), _) => d,
                (None, Some(c)) => {
                    let cfg = load(&c)?;
                    vigie::classify::backend::models_dir(&cfg.classifier, &cfg.base_dir())
                }
                (None, None) => PathBuf::from("models"),
            };
            use vigie::classify::models;
            match action {
                ModelsCmd::List { json } => {
                    let rows = models::list(&dir).map_err(fail)?;
                    for r in rows {
                        if json {
                            println!("{}", serde_json::to_string(&r).map_err(|e| fail(e.into()))?);
                        } else {
                            println!(
                                "{:<34} {:<10} {:<10} {:<55} {}",
                                r.name,
                                format!("{:?}", r.task).to_lowercase(),
                                if r.installed { "installed" } else { "missing" },
                                r.hub_id,
                                r.languages.join(",")
                            );
                        }
                    }
                    Ok(())
                }
                ModelsCmd::Fetch { name } => {
                    let got = models::fetch(&dir, &name, &models::hub_url())
                        .await
                        .map_err(fail)?;
                    println!(
                        "{name}: {} file(s) downloaded into {}",
                        got.len(),
                        dir.join(&name).display()
                    );
                    Ok(())
                }
            }
        }
        Command::Classify { config } => {
            let cfg = load(&config)?;
            let stdin = std::io::stdin().lock();
            let mut out = std::io::stdout().lock();
            vigie::cli::classify(&cfg, stdin, &mut out)
                .await
                .map(|_| ())
                .map_err(fail)
        }
        Command::Lexicon {
            action: LexiconCmd::Opinions { config, data },
        } => {
            let cfg = load(&config)?;
            vigie::cli::lexicon_opinions(&cfg, &data, &mut std::io::stdout().lock()).map_err(fail)
        }
        Command::Eval { config, data, json } => {
            let cfg = load(&config)?;
            let report = vigie::cli::eval(&cfg, &data).await.map_err(fail)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(|e| fail(e.into()))?
                );
            } else {
                print!("{}", vigie::classify::eval::render(&report));
            }
            Ok(())
        }
        Command::Digest {
            config,
            date,
            stdout: _,
            send,
            format,
            language,
        } => {
            let cfg = load(&config)?;
            let format = match format {
                Format::Html => vigie::cli::DigestFormat::Html,
                Format::Text => vigie::cli::DigestFormat::Text,
            };
            let mut out = std::io::stdout().lock();
            vigie::cli::digest(&cfg, date, Some(&language), format, send, &mut out)
                .await
                .map_err(fail)
        }
        Command::Outbox {
            config,
            state,
            json,
        } => {
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            vigie::cli::outbox(&cfg, state.as_deref(), json, &mut out)
                .await
                .map_err(fail)
        }
        Command::Mentions {
            config,
            since,
            json,
            limit,
        } => {
            let cfg = load(&config)?;
            let mut out = std::io::stdout().lock();
            vigie::cli::mentions(&cfg, since, limit, json, &mut out)
                .await
                .map(|_| ())
                .map_err(fail)
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
