//! `vigie bench`: throughput and memory figures for BENCHMARKS.md, measured on this
//! machine, with the Python tool a user would otherwise pick run on the same input.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use crate::matching::Matcher;
use crate::pipeline::Pipeline;
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
            .filter_map(|i| pipeline.process(i))
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

fn run_feedparser(python: &Path, script: &Path, feed: &Path, rounds: usize) -> anyhow::Result<f64> {
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

/// Memory of an idle daemon.
#[derive(Debug, Serialize)]
pub struct IdleReport {
    /// Sources configured.
    pub sources: usize,
    /// Seconds waited after start.
    pub settle_s: u64,
    /// Resident set size, MiB.
    pub rss_mib: f64,
    /// Peak resident set size, MiB.
    pub peak_rss_mib: f64,
}

/// Starts `vigie run` on `sources` file:// feeds, lets it poll once and settle,
/// then reads its RSS from /proc.
pub fn idle(exe: &Path, sources: usize, settle: Duration) -> anyhow::Result<IdleReport> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().to_path_buf();
    let feed = dir.join("feed.xml");
    write_feed(&feed, 20)?;
    let mut cfg = String::from("[institution]\nname = \"SPF Impôts\"\nkeywords = [\"SPF Impôts\", \"MyTax\", \"FOD Belastingen\"]\n[storage]\nurl = \"sqlite://idle.db\"\n");
    for i in 0..sources {
        cfg.push_str(&format!(
            "[[sources]]\nname = \"s{i}\"\nkind = \"rss\"\nurl = \"file://{}\"\nevery = \"1h\"\n",
            feed.display()
        ));
    }
    let cfg_path = dir.join("idle.toml");
    std::fs::write(&cfg_path, cfg)?;
    let mut child = std::process::Command::new(exe)
        .args(["run", "--config"])
        .arg(&cfg_path)
        .env("VIGIE_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(settle);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    let _ = child.kill();
    let _ = child.wait();
    let status = status?;
    let kb = |key: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    Ok(IdleReport {
        sources,
        settle_s: settle.as_secs(),
        rss_mib: kb("VmRSS:") / 1024.0,
        peak_rss_mib: kb("VmHWM:") / 1024.0,
    })
}

/// Lexicon backend throughput.
#[derive(Debug, Serialize)]
pub struct LexiconReport {
    /// Texts classified.
    pub texts: usize,
    /// Texts per second, one thread.
    pub texts_per_s: f64,
    /// Average text length in characters.
    pub avg_chars: usize,
}

/// Classifies short social-media-style posts in four languages with the lexicon backend.
pub fn lexicon(n: usize) -> LexiconReport {
    use crate::classify::lexicon::LexiconSentiment;
    let posts = [
        (
            "fr",
            "MyTax est encore en panne le jour de la date limite, c'est inadmissible 😡 @SPFImpots",
        ),
        (
            "fr",
            "Merci au SPF Impôts pour la réponse rapide, mon remboursement est arrivé !",
        ),
        (
            "nl",
            "MyTax ligt weer plat, dit is echt slecht georganiseerd door de FOD Belastingen",
        ),
        ("nl", "Snelle terugbetaling, heel goed geregeld, bedankt 👍"),
        (
            "en",
            "The tax website is down again on deadline day, terrible and frustrating!!",
        ),
        (
            "en",
            "Great job by the Federal Tax Service, quick and helpful answer :)",
        ),
        (
            "de",
            "Die Website vom FÖD Steuern ist schon wieder kaputt, sehr ärgerlich",
        ),
        ("de", "Sehr gute und schnelle Antwort, danke!"),
    ];
    let lex = LexiconSentiment::new();
    let t = std::time::Instant::now();
    let mut checksum = 0.0f32;
    for i in 0..n {
        let (lang, text) = posts[i % posts.len()];
        checksum += lex.compound(text, Some(lang));
    }
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(checksum);
    LexiconReport {
        texts: n,
        texts_per_s: n as f64 / secs,
        avg_chars: posts.iter().map(|p| p.1.chars().count()).sum::<usize>() / posts.len(),
    }
}

/// Reads `VmHWM` (peak resident set) of this process, MiB.
pub fn own_peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// Current resident memory of this process, MiB (Linux).
pub fn own_rss_mib() -> f64 {
    status_mib("VmRSS:")
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Texts from a JSON-lines file (`text` field), the first `n`.
pub fn read_texts(path: &Path, n: usize) -> anyhow::Result<Vec<String>> {
    let data = std::fs::read_to_string(path)?;
    let texts: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .take(n)
        .collect();
    anyhow::ensure!(!texts.is_empty(), "no texts in {}", path.display());
    Ok(texts)
}

/// One run of the bert backend (same measure as benches/transformers_bench.py).
#[derive(Debug, Serialize)]
pub struct BertReport {
    /// "vigie (rust-bert)".
    pub tool: &'static str,
    /// Model name.
    pub model: String,
    /// Texts per batch.
    pub batch: usize,
    /// Texts encoded (after warm-up).
    pub texts: usize,
    /// Intra-op threads.
    pub threads: i32,
    /// Texts per second.
    pub texts_per_s: f64,
    /// Peak resident memory of the whole process, MiB.
    pub peak_rss_mib: f64,
}

/// Encodes `texts` in batches of `batch` with model `name` (its task decides: embeddings
/// or class probabilities), after one warm-up batch.
#[cfg(feature = "bert")]
pub fn bert(
    models: &Path,
    name: &str,
    texts: &[String],
    batch: usize,
    threads: i32,
) -> anyhow::Result<BertReport> {
    use crate::classify::bert::Encoder;
    use crate::classify::models::Task;
    tch::set_num_threads(threads);
    let enc = Encoder::load(models, name)?;
    let run = |chunk: &[String]| -> anyhow::Result<usize> {
        let refs: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        Ok(match enc.manifest.task {
            Task::Embeddings => enc.embed(&refs)?.len(),
            _ => enc.classify(&refs)?.len(),
        })
    };
    run(&texts[..batch.min(texts.len())])?;
    let start = std::time::Instant::now();
    let mut done = 0;
    for chunk in texts.chunks(batch) {
        done += run(chunk)?;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(BertReport {
        tool: "vigie (rust-bert)",
        model: name.to_string(),
        batch,
        texts: done,
        threads,
        texts_per_s: done as f64 / secs,
        peak_rss_mib: own_peak_rss_mib(),
    })
}
