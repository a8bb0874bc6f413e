//! `vigie bench`: throughput and memory figures for BENCHMARKS.md, measured on this
//! machine, with the Python tool a user would otherwise pick run on the same input.

pub mod signals;
pub mod web;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use crate::core::matching::Matcher;
use crate::core::pipeline::Pipeline;
use crate::store::Store;

pub mod once;

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

/// `vigie bench jetstream`: Bluesky Jetstream events through decoding and the local filter.
#[derive(Debug, Serialize)]
pub struct JetstreamReport {
    /// Events generated.
    pub events: usize,
    /// Events that passed the filter.
    pub matched: usize,
    /// Decode + filter alone, one thread.
    pub filter_events_per_s: f64,
    /// Through a local WebSocket server and the source's reader task, server and reader
    /// sharing one single-threaded runtime (one core), drained by polls.
    pub end_to_end_events_per_s: f64,
}

/// Deterministic Jetstream events for `app.bsky.feed.post`: mostly creates in many
/// languages, some deletes, one in 200 mentioning the institution.
pub fn jetstream_events(n: usize) -> Vec<String> {
    const TEXTS: &[(&str, &str)] = &[
        (
            "en",
            "just finished my morning run, the weather is perfect for it today",
        ),
        ("ja", "今日はとても良い天気ですね。散歩に行きましょう"),
        (
            "pt",
            "alguém sabe se o jogo de hoje vai passar na TV aberta?",
        ),
        (
            "fr",
            "Quelqu'un a testé le nouveau resto près de la gare du Midi ?",
        ),
        ("nl", "Wat een file vanochtend op de ring rond Antwerpen"),
        ("de", "Heute ist wieder so ein Tag, an dem nichts klappt"),
        (
            "en",
            "new blog post about rust async runtimes and cancellation safety",
        ),
    ];
    const HITS: &[(&str, &str)] = &[
        (
            "fr",
            "MyTax est encore en panne le jour de la date limite @SPFImpots",
        ),
        ("nl", "De FOD Belastingen reageert niet, MyTax ligt plat"),
    ];
    (0..n)
        .map(|i| {
            let t = 1_732_430_000_000_000i64 + i as i64 * 50;
            let did = format!("did:plc:{:024x}", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            if i % 20 == 7 {
                return format!(
                    r#"{{"did":"{did}","time_us":{t},"kind":"commit","commit":{{"rev":"3lb{i:010}","operation":"delete","collection":"app.bsky.feed.post","rkey":"3lbk{i:09}"}}}}"#
                );
            }
            let (lang, text) = if i % 200 == 3 {
                HITS[i / 200 % HITS.len()]
            } else {
                TEXTS[i % TEXTS.len()]
            };
            serde_json::json!({
                "did": did, "time_us": t, "kind": "commit",
                "commit": {"rev": format!("3lb{i:010}"), "operation": "create", "collection": "app.bsky.feed.post",
                    "rkey": format!("3lbk{i:09}"),
                    "record": {"$type": "app.bsky.feed.post", "createdAt": "2026-11-24T08:15:00.000Z", "langs": [lang], "text": text},
                    "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"}
            })
            .to_string()
        })
        .collect()
}

fn bench_matcher() -> Matcher {
    Matcher::new(
        &[
            "SPF Impôts".into(),
            "FOD Belastingen".into(),
            "FÖD Steuern".into(),
            "Federal Tax Service".into(),
            "MyTax".into(),
            "@SPFImpots".into(),
            "@FODBelastingen".into(),
        ],
        &[],
    )
    .expect("static keywords")
}

/// Measures decode + filter, then the whole reader over a local WebSocket, on one core.
pub fn jetstream(n: usize) -> anyhow::Result<JetstreamReport> {
    use crate::sources::jetstream::{Decoded, Filter};
    let events = jetstream_events(n);
    let filter = Filter::new("bench", bench_matcher(), &["fr".into(), "nl".into()]);
    let t = Instant::now();
    let mut matched = 0;
    for e in &events {
        if let Decoded::Post(..) = filter.decode(e) {
            matched += 1;
        }
    }
    let filter_secs = t.elapsed().as_secs_f64();
    // A runtime of its own, on this thread only: the figure is for one core.
    let events2 = events.clone();
    let e2e = std::thread::spawn(move || -> anyhow::Result<(f64, usize)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(jetstream_end_to_end(events2))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("bench thread panicked"))??;
    anyhow::ensure!(
        e2e.1 == matched,
        "end to end delivered {} posts, the filter alone {matched}",
        e2e.1
    );
    Ok(JetstreamReport {
        events: n,
        matched,
        filter_events_per_s: n as f64 / filter_secs,
        end_to_end_events_per_s: n as f64 / e2e.0,
    })
}

async fn jetstream_end_to_end(events: Vec<String>) -> anyhow::Result<(f64, usize)> {
    use crate::sources::jetstream::{BlueskyConfig, JetstreamSource};
    use crate::sources::{Source, SourceState};
    use futures::SinkExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let last = events
        .last()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
        .and_then(|v| v["time_us"].as_i64())
        .unwrap_or_default();
    tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
            return;
        };
        for e in events {
            let msg = tokio_tungstenite::tungstenite::Message::text(e);
            if ws.feed(msg).await.is_err() {
                return;
            }
        }
        let _ = ws.flush().await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let cfg: BlueskyConfig = toml::from_str(&format!(
        "name = \"bench\"\nevery = \"10s\"\nendpoint = \"ws://{addr}/subscribe\"\nlanguages = [\"fr\", \"nl\"]\n"
    ))?;
    let src = JetstreamSource::new(cfg, bench_matcher());
    let mut state = SourceState::default();
    let mut delivered = 0;
    let t = Instant::now();
    while state.cursor.as_deref() != Some(&last.to_string()) {
        anyhow::ensure!(t.elapsed() < Duration::from_secs(300), "stream stalled");
        let p = src.poll(&state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        delivered += p.items.len();
        if p.cursor.is_some() {
            state.cursor = p.cursor;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok((t.elapsed().as_secs_f64(), delivered))
}
