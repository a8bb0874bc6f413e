//! `vigie bench ingest`: parse, dedup, match and store of a generated feed, beside
//! Python feedparser on the same file.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use crate::core::matching::Matcher;
use crate::core::pipeline::Pipeline;
use crate::store::Store;

const TITLES: &[&str] = &[
    "MyTax en panne le jour de la date limite",
    "Storing bij MyTax: aangifte onmogelijk",
    "Federal Tax Service confirms refund delays",
    "Le SPF Impôts met en garde contre des SMS frauduleux",
    "FOD Belastingen waarschuwt voor phishing",
    "Budget: la majorité discute de la réforme",
    "Voetbal: Club wint met 3-1",
    "Weather: storms expected this weekend",
    "Rumeur d'une taxe sur les comptes d'épargne",
    "Staking bij de belastingkantoren",
];

/// Writes a deterministic RSS 2.0 feed of `n` items (about 50% mention the institution).
pub fn write_feed(path: &Path, n: usize) -> std::io::Result<()> {
    let mut s = String::with_capacity(n * 900);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Bench</title><link>https://news.example.org</link><description>bench</description><language>fr-BE</language>\n");
    for i in 0..n {
        let title = TITLES[i % TITLES.len()];
        s.push_str(&format!(
            "<item><title>{title} ({i})</title><link>https://news.example.org/a/{i}?utm_source=rss&amp;utm_medium=feed</link>\
             <guid isPermaLink=\"false\">bench-{i}</guid><pubDate>Mon, 23 Nov 2026 {:02}:{:02}:00 GMT</pubDate>\
             <description>&lt;p&gt;{title}. Selon plusieurs sources, &lt;a href=\"https://example.org\"&gt;l'administration&lt;/a&gt; \
             a publié un communiqué ce matin. Les citoyens sont invités à consulter le site officiel et à se méfier des messages \
             suspects. Het nieuws werd ook in het Nederlands gedeeld; the English version followed later in the day. \
             Article numéro {i}, mis à jour à plusieurs reprises.&lt;/p&gt;</description></item>\n",
            i % 24,
            i % 60
        ));
    }
    s.push_str("</channel></rss>\n");
    std::fs::write(path, s)
}

/// Figures of one ingestion benchmark run.
#[derive(Debug, Serialize)]
pub struct IngestReport {
    /// Items in the feed.
    pub items: usize,
    /// Repetitions.
    pub rounds: usize,
    /// feed-rs parsing alone (its own model, no text cleaning), items per second.
    pub feed_rs_items_per_s: f64,
    /// vigie's parse: feed-rs plus HTML-to-text and our Item, items per second.
    pub parse_items_per_s: f64,
    /// Parse + dedup keys + match + language + store into a fresh SQLite, items per second.
    pub pipeline_items_per_s: f64,
    /// Mentions stored per round (matching items).
    pub stored_per_round: usize,
    /// Python feedparser on the same file, items per second (when run).
    pub feedparser_items_per_s: Option<f64>,
    /// feed-rs parse speed over feedparser's (same file, same run).
    pub parse_speedup_vs_feedparser: Option<f64>,
}

fn keywords() -> Vec<String> {
    [
        "SPF Impôts",
        "FOD Belastingen",
        "Federal Tax Service",
        "MyTax",
        "@SPFImpots",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Parse-only and whole-pipeline throughput on a generated feed; `python` runs
/// benches/feedparser_bench.py on the same file for comparison.
pub async fn ingest(
    items: usize,
    rounds: usize,
    python: Option<&Path>,
    script: &Path,
) -> anyhow::Result<IngestReport> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().to_path_buf();
    let feed = dir.join("bench-feed.xml");
    write_feed(&feed, items)?;
    let bytes = std::fs::read(&feed)?;

    let t = Instant::now();
    for _ in 0..rounds {
        let f = feed_rs::parser::parse(bytes.as_slice())?;
        assert_eq!(f.entries.len(), items);
    }
    let feed_rs_items_per_s = (items * rounds) as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    for _ in 0..rounds {
        let p = crate::sources::feed::parse(&bytes, "bench").map_err(anyhow::Error::msg)?;
        assert_eq!(p.items.len(), items);
    }
    let parse_items_per_s = (items * rounds) as f64 / t.elapsed().as_secs_f64();

    let pipeline = Pipeline::new(
        Matcher::new(&keywords(), &[]).map_err(|e| anyhow::anyhow!("{e:?}"))?,
        &["fr".into(), "nl".into(), "en".into(), "de".into()],
    );
    let mut total = Duration::ZERO;
    let mut stored = 0;
    for r in 0..rounds {
        let db = dir.join(format!("bench-{r}.db"));
        let store = Store::open(&format!("sqlite://{}", db.display()), &dir).await?;
        let t = Instant::now();
        let parsed = crate::sources::feed::parse(&bytes, "bench").map_err(anyhow::Error::msg)?;
        let mentions: Vec<_> = parsed
            .items
            .iter()
            .filter_map(|i| pipeline.process(i, Utc::now()))
            .collect();
        let done = store.ingest(&mentions, Utc::now()).await?;
        total += t.elapsed();
        stored = done.len();
        store.close().await;
    }
    let pipeline_items_per_s = (items * rounds) as f64 / total.as_secs_f64();

    let feedparser_items_per_s = match python {
        Some(py) => Some(run_feedparser(py, script, &feed, rounds)?),
        None => None,
    };
    Ok(IngestReport {
        items,
        rounds,
        feed_rs_items_per_s,
        parse_items_per_s,
        pipeline_items_per_s,
        stored_per_round: stored,
        parse_speedup_vs_feedparser: feedparser_items_per_s.map(|f| feed_rs_items_per_s / f),
        feedparser_items_per_s,
    })
}

pub(super) fn run_feedparser(
    python: &Path,
    script: &Path,
    feed: &Path,
    rounds: usize,
) -> anyhow::Result<f64> {
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(feed)
        .arg(rounds.to_string())
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "feedparser benchmark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    v["items_per_s"]
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("feedparser benchmark printed no items_per_s: {v}"))
}
