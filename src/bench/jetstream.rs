//! `vigie bench jetstream`: Bluesky Jetstream events decoded and filtered per second.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::core::matching::Matcher;

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
