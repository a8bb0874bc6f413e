//! `vigie bench replay` and `vigie bench stored`: replay throughput on generated
//! mentions (lexicon backend), and the memory the signals engine needs to start over a
//! database holding a million mentions.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::replay::Record;
use crate::config::Config;
use crate::model::NewMention;
use crate::store::Store;

const CONFIG: &str = r#"
[institution]
name = "SPF Finances"
keywords = ["SPF Finances", "FOD Financiën", "MyMinfin"]
[storage]
url = "{url}"
[[sources]]
kind = "rss"
name = "bench"
url = "file://bench.xml"
every = "5m"
[classifier]
backend = "lexicon"
[[topics]]
id = "refunds"
keywords = ["remboursement OR terugbetaling OR refund"]
[[topics]]
id = "outage"
keywords = ["panne OR storing OR down OR outage"]
[[topics]]
id = "phishing"
keywords = ["phishing OR oplichters OR arnaque OR scam"]
[signals]
official_domains = ["finances.belgium.be", "myminfin.be"]
"#;

const OPENINGS: &[&str] = &[
    "Le SPF Finances",
    "Mon dossier au SPF Finances",
    "Bij FOD Financiën",
    "Ik heb FOD Financiën",
    "The SPF Finances",
    "MyMinfin",
    "Encore MyMinfin",
    "Via MyMinfin",
];
const MIDDLES: &[&str] = &[
    "toujours pas de remboursement après trois mois",
    "est en panne depuis ce matin",
    "heeft mijn terugbetaling eindelijk gestort",
    "ligt weer plat, storing bij het inloggen",
    "sent my refund quickly, thanks",
    "is down again during the deadline week",
    "un SMS d'arnaque promet un remboursement",
    "oplichters sturen valse mails",
    "a répondu rapidement à ma question",
    "de wachttijd aan de telefoon is lang",
    "explique bien la nouvelle déclaration",
    "the helpdesk was friendly and clear",
];

fn generate(n: usize, days: i64, seed: u64) -> Vec<Record> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    let span = days * 86_400;
    let mut times: Vec<i64> = (0..n)
        .map(|_| {
            // Daytime posts are more frequent: reject some night times.
            loop {
                let t = rng.gen_range(0..span);
                let hour = (t % 86_400) / 3600;
                if (7..23).contains(&hour) || rng.gen_bool(0.25) {
                    break t;
                }
            }
        })
        .collect();
    times.sort_unstable();
    let mut out: Vec<Record> = Vec::with_capacity(n);
    for (i, t) in times.into_iter().enumerate() {
        let text = if i > 10 && rng.gen_bool(0.1) {
            // A repost of a recent post.
            let j = rng.gen_range(i.saturating_sub(50)..i);
            format!("RT @user{}: {}", rng.gen_range(0..5000), out[j].text)
        } else {
            format!(
                "{} {} (dossier {}, {} jours) #{}",
                OPENINGS[rng.gen_range(0..OPENINGS.len())],
                MIDDLES[rng.gen_range(0..MIDDLES.len())],
                rng.gen_range(10_000..99_999),
                rng.gen_range(1..90),
                rng.gen_range(0..400)
            )
        };
        out.push(Record {
            id: format!("b{i}"),
            text,
            published_at: start + chrono::Duration::seconds(t),
            source: Some(["mastodon", "bluesky", "news"][i % 3].into()),
            author: Some(format!("user{}", rng.gen_range(0..20_000))),
            reach: Some(rng.gen_range(10..5_000)),
            lang: None,
            url: None,
            title: None,
        });
    }
    out
}

fn config(dir: &std::path::Path) -> anyhow::Result<Config> {
    let path = dir.join("vigie.toml");
    Config::parse(&CONFIG.replace("{url}", "sqlite://bench.db"), &path)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// What `vigie bench replay` prints.
#[derive(Debug, Serialize)]
pub struct ReplayBench {
    /// Mentions replayed.
    pub mentions: usize,
    /// Simulated days they span.
    pub days: i64,
    /// Wall-clock seconds, classification and storing included.
    pub seconds: f64,
    /// Throughput.
    pub mentions_per_s: f64,
    /// Signals raised.
    pub signals: usize,
    /// Stories formed.
    pub stories: usize,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: f64,
}

/// Replays `n` generated mentions over `days` into a fresh SQLite store.
pub async fn replay(n: usize, days: i64) -> anyhow::Result<ReplayBench> {
    let dir = tempfile::tempdir()?;
    let cfg = config(dir.path())?;
    let store = Store::open(&cfg.storage.url, dir.path()).await?;
    let records = generate(n, days.max(1), 7);
    let report = super::replay::replay(
        &cfg,
        records,
        0,
        &store,
        Duration::from_secs(300),
        &mut std::io::sink(),
    )
    .await?;
    store.close().await;
    Ok(ReplayBench {
        mentions: report.mentions,
        days,
        seconds: report.seconds,
        mentions_per_s: report.mentions_per_s,
        signals: report.signals,
        stories: report.stories,
        peak_rss_mib: crate::bench::own_peak_rss_mib(),
    })
}

/// What `vigie bench stored` prints.
#[derive(Debug, Serialize)]
pub struct StoredBench {
    /// Mentions in the database.
    pub stored: usize,
    /// Seconds to fill it.
    pub fill_s: f64,
    /// Resident memory before the engine starts, MiB.
    pub rss_before_mib: f64,
    /// Resident memory once it has read its baselines and recent stories, MiB.
    pub rss_after_start_mib: f64,
    /// Seconds to start (read 29 days of counts and 3 days of stories).
    pub start_s: f64,
    /// Seconds of one signals round at the end.
    pub round_s: f64,
    /// Milliseconds to render /metrics over it.
    pub metrics_ms: f64,
    /// Peak resident memory of the whole run (the fill included), MiB.
    pub peak_rss_mib: f64,
}

/// Fills a store with `n` classified mentions over the last 28 days, then starts the
/// signals engine on it as the daemon does.
pub async fn stored(n: usize) -> anyhow::Result<StoredBench> {
    let dir = tempfile::tempdir()?;
    let cfg = config(dir.path())?;
    let store = Store::open(&cfg.storage.url, dir.path()).await?;
    let now = Utc::now();
    let t0 = Instant::now();
    let records = generate(n, 28, 11);
    let shift =
        now - chrono::Duration::days(28) - Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for chunk in records.chunks(2000) {
        let mentions: Vec<NewMention> = chunk
            .iter()
            .map(|r| NewMention {
                keys: vec![format!("bench:{}", r.id)],
                source: r.source.clone().unwrap_or_default(),
                url: None,
                title: r.text.chars().take(60).collect(),
                text: r.text.clone(),
                author: r.author.clone(),
                reach: r.reach,
                published_at: Some(r.published_at + shift),
                lang: "fr".into(),
                lang_confidence: 0.9,
                matched: vec!["SPF Finances".into()],
            })
            .collect();
        let seen = chunk.last().map(|r| r.published_at + shift).unwrap_or(now);
        let ids = store.ingest(&mentions, seen).await?;
        let results: Vec<(i64, crate::classify::Output)> = ids
            .iter()
            .map(|m| {
                let label = match rng.gen_range(0..3) {
                    0 => crate::classify::SentimentLabel::Negative,
                    1 => crate::classify::SentimentLabel::Neutral,
                    _ => crate::classify::SentimentLabel::Positive,
                };
                (
                    m.id,
                    crate::classify::Output {
                        sentiment: crate::classify::Sentiment { label, score: 0.7 },
                        topics: vec![crate::classify::TopicScore {
                            id: ["refunds", "outage", "phishing"][m.id as usize % 3].into(),
                            score: 1.0,
                        }],
                    },
                )
            })
            .collect();
        store.save_classifications(&results, "bench", seen).await?;
    }
    // Stories as the daemon would have set them: one round over everything.
    let engine = super::engine::Engine::new(&cfg.signals, cfg.tz(), None)?;
    let mut first = super::store::Detection::start(&store, engine, &cfg.signals).await?;
    first.round(&store, now).await?;
    drop(first);
    let fill_s = t0.elapsed().as_secs_f64();

    let rss_before_mib = crate::bench::own_rss_mib();
    let t = Instant::now();
    let engine = super::engine::Engine::new(&cfg.signals, cfg.tz(), None)?;
    let mut detection = super::store::Detection::start(&store, engine, &cfg.signals).await?;
    let start_s = t.elapsed().as_secs_f64();
    let rss_after_start_mib = crate::bench::own_rss_mib();
    let t = Instant::now();
    detection.round(&store, Utc::now()).await?;
    let round_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    crate::web::metrics::render(&store).await?;
    let metrics_ms = t.elapsed().as_secs_f64() * 1000.0;
    store.close().await;
    Ok(StoredBench {
        stored: n,
        fill_s,
        rss_before_mib,
        rss_after_start_mib,
        start_s,
        round_s,
        metrics_ms,
        peak_rss_mib: crate::bench::own_peak_rss_mib(),
    })
}
