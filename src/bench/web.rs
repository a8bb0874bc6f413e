//! `vigie bench web`: server-side time to answer the list page (query, filters, render)
//! with many open escalations, through the real router and session check.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use chrono::Utc;
use serde::Serialize;
use tower::ServiceExt;

use crate::config::Config;
use crate::core::escalation::Action;
use crate::core::model::NewMention;
use crate::store::escalations::{FormalDeadlines, NewEscalation};
use crate::store::Store;
use crate::web::users::Role;
use crate::web::AppState;

/// Timings of one page.
#[derive(Debug, Serialize)]
pub struct PageTiming {
    /// Path asked.
    pub path: String,
    /// Rows on the page.
    pub rows: usize,
    /// Bytes of HTML.
    pub bytes: usize,
    /// Median, milliseconds.
    pub median_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
}

/// What `vigie bench web` prints.
#[derive(Debug, Serialize)]
pub struct WebReport {
    /// Open escalations in the database.
    pub open_escalations: usize,
    /// Database.
    pub backend: String,
    /// Requests per page.
    pub rounds: usize,
    /// Seconds to create the data.
    pub setup_s: f64,
    /// Per page.
    pub pages: Vec<PageTiming>,
}

const CONFIG: &str = r#"
[institution]
name = "SPF Finances"
keywords = ["SPF Finances"]
[storage]
url = "{url}"
[[sources]]
kind = "rss"
name = "inbox"
url = "file://inbox.xml"
every = "5m"
[[topics]]
id = "outage"
[[topics]]
id = "refunds"
[web]
"#;

/// Fills a database with `n` open escalations (one mention each) and times the list page.
pub async fn list_page(n: usize, rounds: usize, url: Option<&str>) -> anyhow::Result<WebReport> {
    let dir = tempfile::tempdir()?;
    let url = url.unwrap_or("sqlite://bench.db");
    let path = dir.path().join("vigie.toml");
    let cfg =
        Config::parse(&CONFIG.replace("{url}", url), &path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = Store::open(&cfg.storage.url, dir.path()).await?;
    let t0 = Instant::now();
    fill(&store, n).await?;
    let setup_s = t0.elapsed().as_secs_f64();
    let user = crate::web::users::put_user(
        &store,
        "bench@example.be",
        Role::Responder,
        "fr",
        "benchmark password",
        Utc::now(),
    )
    .await?;
    let token =
        crate::web::users::open_session(&store, &user, Utc::now(), Duration::from_secs(3600))
            .await?;
    let page = cfg.page();
    let state = AppState::new(page, store.clone())?;
    let app = crate::web::router(state);
    let mut pages = Vec::new();
    for path in [
        "/",
        "/?severity=critical",
        "/?lang=nl&overdue=1",
        "/?page=50",
        "/?per_page=10000",
        "/escalations/1",
    ] {
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        let mut rows = 0;
        for _ in 0..rounds.max(1) {
            let req = Request::get(path)
                .header(header::COOKIE, format!("vigie_session={token}"))
                .body(Body::empty())?;
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await?;
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status.is_success(), "{path}: HTTP {status}");
            bytes = body.len();
            rows = String::from_utf8_lossy(&body).matches("id=\"esc-").count();
        }
        times.sort_by(f64::total_cmp);
        let q =
            |p: f64| times[((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1];
        pages.push(PageTiming {
            path: path.into(),
            rows,
            bytes,
            median_ms: q(0.5),
            p95_ms: q(0.95),
        });
    }
    let backend = format!("{:?}", store.backend()).to_lowercase();
    store.close().await;
    Ok(WebReport {
        open_escalations: n,
        backend,
        rounds,
        setup_s,
        pages,
    })
}

/// `n` mentions and `n` open escalations, in bulk.
async fn fill(store: &Store, n: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let langs = ["fr", "nl", "en", "de"];
    let mentions: Vec<NewMention> = (0..n)
        .map(|i| NewMention {
            keys: vec![format!("bench:{i}")],
            source: ["mastodon", "rss", "bluesky"][i % 3].into(),
            url: Some(format!("https://social.example/{i}")),
            title: format!("@SPFFinances question {i} sur MyMinfin et le remboursement ?"),
            text: "Bonjour, quand vais-je recevoir mon remboursement ? MyMinfin ne répond pas."
                .into(),
            author: Some(format!("citizen{i}")),
            reach: Some(100),
            published_at: Some(now),
            lang: langs[i % 4].into(),
            lang_confidence: 0.9,
            matched: vec!["SPF Finances".into()],
            ..NewMention::default()
        })
        .collect();
    let mut ids = Vec::with_capacity(n);
    for chunk in mentions.chunks(2000) {
        ids.extend(store.ingest(chunk, now).await?.into_iter().map(|m| m.id));
    }
    let severities = ["critical", "warning", "info", "info"];
    let openings: Vec<(i64, NewEscalation)> = ids
        .iter()
        .enumerate()
        .map(|(i, m)| {
            // Due times spread over three days either side of now: some overdue.
            let due = now + chrono::Duration::minutes((i as i64 % 8640) - 4320);
            let e = NewEscalation {
                severity: severities[i % 4].into(),
                topic: Some(if i % 2 == 0 { "outage" } else { "refunds" }.into()),
                reason: "question addressed to @SPFFinances".into(),
                mention_ids: vec![*m],
                dedup_key: Some(format!("mention:{m}")),
                opened_at: now,
                seen_at: now,
                late: false,
                due_at: due,
                formal_elements: None,
                formal: (i % 50 == 0).then_some(FormalDeadlines {
                    ack: due,
                    receipt: due,
                    decision: due,
                }),
            };
            (*m, e)
        })
        .collect();
    let opened = store.escalate_mentions(&ids, &openings, now).await?;
    // A third stays new, a third is acknowledged, a third assigned.
    for (i, (_, e)) in opened.iter().enumerate() {
        if i % 3 >= 1 {
            store.act(*e, Action::Ack, "bench", None, None, now).await?;
        }
        if i % 3 == 2 {
            store
                .act(*e, Action::Assign, "bench", None, None, now)
                .await?;
        }
    }
    Ok(())
}
