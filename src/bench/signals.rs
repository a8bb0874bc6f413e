//! `vigie bench replay` and `vigie bench stored`: replay throughput on generated
//! mentions (lexicon backend), and the memory the signals engine needs to start over a
//! database holding a million mentions.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::config::Config;
use crate::runtime::replay::Record;
use crate::store::bulk::Loaded;
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
            engagement: Default::default(),
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
    let report = crate::runtime::replay::replay(
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
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct StoredBench {
    /// Mentions in the database.
    pub stored: usize,
    /// Seconds to fill it (bulk inserts, in another process).
    pub fill_s: f64,
    /// Resident memory of the measuring process before the engine starts, MiB.
    pub rss_before_mib: f64,
    /// Resident memory once it has read its baselines and recent stories, MiB.
    pub rss_after_start_mib: f64,
    /// Seconds to start (read 29 days of counts and 3 days of stories).
    pub start_s: f64,
    /// Seconds of one signals round.
    pub round_s: f64,
    /// Milliseconds to render /metrics over it.
    pub metrics_ms: f64,
    /// Milliseconds for the escalation counts and the digest's 24-hour mention query.
    pub day_query_ms: f64,
    /// Peak resident memory of the measuring process, MiB.
    pub peak_rss_mib: f64,
}

/// Fills a fresh SQLite store with `n` classified mentions over the last 28 days, then
/// runs `exe bench stored --db DIR` in a new process, so that what is measured is the
/// daemon's start over a full database, not the fill.
pub async fn stored(n: usize, exe: &std::path::Path) -> anyhow::Result<StoredBench> {
    let dir = tempfile::tempdir()?;
    let cfg = config(dir.path())?;
    let store = Store::open(&cfg.storage.url, dir.path()).await?;
    let t0 = Instant::now();
    fill(&store, n).await?;
    store.close().await;
    let fill_s = t0.elapsed().as_secs_f64();
    let out = std::process::Command::new(exe)
        .args(["bench", "stored", "--db"])
        .arg(dir.path())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "measuring process failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut report: StoredBench = serde_json::from_slice(&out.stdout)?;
    report.stored = n;
    report.fill_s = fill_s;
    Ok(report)
}

/// The measuring half of [`stored`]: opens the store in `dir` and starts the engine.
pub async fn measure_stored(dir: &std::path::Path) -> anyhow::Result<StoredBench> {
    let cfg = config(dir)?;
    let rss_before_mib = crate::bench::own_rss_mib();
    let store = Store::open(&cfg.storage.url, dir).await?;
    let t = Instant::now();
    let engine = crate::detect::engine::Engine::new(&cfg.signals, cfg.tz(), None)?;
    let mut detection =
        crate::detect::stage::Detection::start(&store, engine, &cfg.signals, Utc::now()).await?;
    let start_s = t.elapsed().as_secs_f64();
    let rss_after_start_mib = crate::bench::own_rss_mib();
    let t = Instant::now();
    detection.round(&store, Utc::now()).await?;
    let round_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    crate::web::metrics::render(&store).await?;
    let metrics_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    crate::escalate::list::counts(&store, Utc::now()).await?;
    let day = store
        .mentions(Some(Utc::now() - chrono::Duration::hours(24)), 100_000)
        .await?;
    let day_query_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(!day.is_empty(), "the last 24 hours hold mentions");
    store.close().await;
    Ok(StoredBench {
        stored: 0,
        fill_s: 0.0,
        rss_before_mib,
        rss_after_start_mib,
        start_s,
        round_s,
        metrics_ms,
        day_query_ms,
        peak_rss_mib: crate::bench::own_peak_rss_mib(),
    })
}

/// `n` classified mentions over the last 28 days, with stories set as the engine would
/// (each its own story, with its SimHash), in bulk multi-row inserts.
async fn fill(store: &Store, n: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let records = generate(n, 28, 11);
    let shift =
        now - chrono::Duration::days(28) - Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    // SimHashes for the recent ones, which the engine reads back at start.
    let since = now - chrono::Duration::days(4);
    for (c, chunk) in records.chunks(10_000).enumerate() {
        let rows: Vec<Loaded> = chunk
            .iter()
            .enumerate()
            .map(|(i, rec)| {
                let id = (c * 10_000 + i + 1) as i64;
                let at = rec.published_at + shift;
                Loaded {
                    id,
                    source: rec.source.clone().unwrap_or_default(),
                    title: rec.text.chars().take(60).collect(),
                    text: rec.text.clone(),
                    author: rec.author.clone(),
                    reach: rec.reach,
                    at,
                    lang: "fr".into(),
                    sentiment: ["negative", "neutral", "positive"][id as usize % 3].into(),
                    topics: format!(
                        "[{{\"id\":\"{}\",\"score\":1.0}}]",
                        ["refunds", "outage", "phishing"][id as usize % 3]
                    ),
                    simhash: (at >= since).then(|| crate::detect::stories::simhash(&rec.text)),
                }
            })
            .collect();
        store.load_mentions(&rows).await?;
    }
    Ok(())
}
