//! `vigie bench`: throughput and memory figures for BENCHMARKS.md, as JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use super::fail;
use crate::bench;

/// What `vigie bench` measures.
#[derive(clap::Subcommand)]
pub enum BenchWhat {
    /// `vigie run --once` end to end (the real binary, a new SQLite per round) on a
    /// generated feed; optionally Python feedparser on the same file.
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
    /// Language identification on labelled short posts: accuracy, posts/s on one core and
    /// memory of each identifier (whatlang as before, whatlang, lingua, combined).
    Language {
        /// JSON lines with "lang" and "text" (and "id", "split").
        #[arg(long)]
        data: PathBuf,
        /// Only the lines whose "split" is this ("held").
        #[arg(long)]
        split: Option<String>,
        /// Posts identified for the speed figure.
        #[arg(long, default_value_t = 50_000)]
        texts: usize,
        /// Internal: measure this identifier only, in this process.
        #[arg(long, hide = true)]
        method: Option<String>,
    },
    /// Recurring questions: grouping a week of generated questions (lexicon path).
    Questions {
        /// Questions to group.
        #[arg(long, default_value_t = 10_000)]
        questions: usize,
        /// Rounds (the median is reported).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Python interpreter with scikit-learn, to group the same texts with it.
        #[arg(long)]
        python: Option<PathBuf>,
        /// The scikit-learn benchmark script.
        #[arg(long, default_value = "benches/questions_bench.py")]
        script: PathBuf,
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

/// `vigie bench language`: one identifier in this process (`method`), or each in its own.
fn language(
    data: &std::path::Path,
    split: Option<&str>,
    texts: usize,
    method: Option<&str>,
) -> Result<serde_json::Result<String>, ExitCode> {
    let reports = match method {
        Some(m) => vec![bench::language(m, data, split, texts).map_err(fail)?],
        None => {
            let exe = std::env::current_exe().map_err(|e| fail(e.into()))?;
            bench::language_all(&exe, data, split, texts).map_err(fail)?
        }
    };
    Ok(serde_json::to_string_pretty(&reports))
}

/// `vigie bench ...`: runs one measurement and prints its report as pretty JSON.
pub async fn run(what: BenchWhat) -> Result<(), ExitCode> {
    let report = match what {
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
                &bench::once::once(
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
        BenchWhat::Ingest {
            items,
            rounds,
            python,
            script,
        } => serde_json::to_string_pretty(
            &bench::ingest(items, rounds, python.as_deref(), &script)
                .await
                .map_err(fail)?,
        ),
        #[cfg(feature = "bert")]
        BenchWhat::Bert {
            models,
            model,
            data,
            texts,
            batch,
            threads,
        } => {
            let texts = bench::read_texts(&data, texts).map_err(fail)?;
            serde_json::to_string_pretty(
                &bench::bert(&models, &model, &texts, batch, threads).map_err(fail)?,
            )
        }
        BenchWhat::Lexicon { texts } => serde_json::to_string_pretty(&bench::lexicon(texts)),
        BenchWhat::Replay { mentions, days } => serde_json::to_string_pretty(
            &bench::signals::replay(mentions, days).await.map_err(fail)?,
        ),
        BenchWhat::Stored { mentions, db } => {
            let report = match db {
                Some(dir) => bench::signals::measure_stored(&dir).await,
                None => {
                    let exe = std::env::current_exe().map_err(|e| fail(e.into()))?;
                    bench::signals::stored(mentions, &exe).await
                }
            };
            serde_json::to_string_pretty(&report.map_err(fail)?)
        }
        BenchWhat::Web {
            escalations,
            rounds,
            store,
        } => serde_json::to_string_pretty(
            &bench::web::list_page(escalations, rounds, store.as_deref())
                .await
                .map_err(fail)?,
        ),
        BenchWhat::Language {
            data,
            split,
            texts,
            method,
        } => language(&data, split.as_deref(), texts, method.as_deref())?,
        BenchWhat::Questions {
            questions,
            rounds,
            python,
            script,
        } => serde_json::to_string_pretty(
            &bench::questions(questions, rounds, python.as_deref(), &script).map_err(fail)?,
        ),
        BenchWhat::Jetstream { events } => {
            serde_json::to_string_pretty(&bench::jetstream(events).map_err(fail)?)
        }
        BenchWhat::Idle { sources, settle } => {
            let exe = std::env::current_exe().map_err(|e| fail(e.into()))?;
            serde_json::to_string_pretty(
                &bench::idle(&exe, sources, std::time::Duration::from_secs(settle))
                    .map_err(fail)?,
            )
        }
    };
    println!("{}", report.map_err(|e| fail(e.into()))?);
    Ok(())
}
