//! The monitoring files against what vigie really exports (#19): every `vigie_*` name in
//! the Prometheus alert rules (and their promtool tests) and in the Grafana dashboard is
//! in a scrape of a running daemon's `/metrics`, and the dashboard shows every family
//! vigie exports; the dashboard is importable (datasource variable, uid, a datasource
//! and a query on every panel).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{rss, src, Env};
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "scrape-token-5e1d";

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn dashboard() -> Value {
    serde_json::from_str(&read("packaging/grafana/vigie-dashboard.json"))
        .expect("the dashboard is JSON")
}

/// Every `vigie_...` metric name written in `text`.
fn names_in(text: &str) -> BTreeSet<String> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("vigie_") {
        if text[..at].chars().next_back().is_some_and(ident) {
            continue;
        }
        let end = text[at..]
            .find(|c: char| !ident(c))
            .map_or(text.len(), |e| at + e);
        out.insert(text[at..end].to_string());
    }
    out
}

/// The series names a scrape offers: each declared family under the names PromQL sees
/// (`_total` of a counter, `_bucket`/`_sum`/`_count` of a histogram), and every sample.
fn series_names(scrape: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut families = BTreeSet::new();
    let mut series = BTreeSet::new();
    for line in scrape.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            families.insert(name.to_string());
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            for s in suffixes {
                series.insert(format!("{name}{s}"));
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            series.insert(line[..end].to_string());
        }
    }
    (families, series)
}

/// The names in `text` that the scrape does not offer.
fn unknown(text: &str, series: &BTreeSet<String>) -> Vec<String> {
    names_in(text)
        .into_iter()
        .filter(|n| !series.contains(n))
        .collect()
}

/// `/metrics` of a daemon that has polled one HTTP source, so that the per-source and
/// per-host families have samples.
async fn scrape() -> String {
    let server = MockServer::start().await;
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rss("m", 3), "application/rss+xml"))
        .mount(&server)
        .await;
    let env = Env::new(
        &[src("news", format!("{}/feed", server.uri()))],
        "[web]\nlisten = \"127.0.0.1:0\"\nmetrics_token_env = \"VIGIE_TEST_METRICS_TOKEN\"\n",
    );
    let mut cmd = common::vigie_cmd();
    cmd.env("VIGIE_TEST_METRICS_TOKEN", TOKEN).args([
        "run",
        "--config",
        env.config.to_str().unwrap(),
    ]);
    let daemon = common::daemon::Daemon::spawn(cmd);
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut body = String::new();
    while Instant::now() < deadline {
        let r = client
            .get(format!("{}/metrics", daemon.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        body = r.text().await.unwrap();
        if body.contains("vigie_source_last_success_timestamp_seconds{")
            && body.contains("vigie_host_requests{")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (stopped, logs) = daemon.stop();
    assert!(stopped, "{logs}");
    assert!(body.contains("vigie_host_requests{"), "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_and_dashboard_use_only_exported_metrics_and_show_them_all() {
    let scrape = scrape().await;
    let (families, series) = series_names(&scrape);
    assert!(families.len() >= 15, "{scrape}");

    // The check itself finds a misspelt name, and a histogram's family name alone (no
    // series has it).
    assert_eq!(
        unknown(
            "vigie_emails{state=\"dead\"} > 0 or vigie_emailz > 0 or vigie_classification_latency_seconds",
            &series
        ),
        ["vigie_classification_latency_seconds", "vigie_emailz"]
    );

    for file in [
        "packaging/prometheus/vigie-rules.yml",
        "packaging/prometheus/vigie-rules.test.yml",
        "packaging/grafana/vigie-dashboard.json",
    ] {
        let text = read(file);
        assert!(!names_in(&text).is_empty(), "{file} names no metric");
        let missing = unknown(&text, &series);
        assert!(
            missing.is_empty(),
            "{file} uses {missing:?}, which /metrics does not export:\n{scrape}"
        );
    }

    // Every family vigie exports has a panel.
    let shown = names_in(&read("packaging/grafana/vigie-dashboard.json"));
    let hidden: Vec<&String> = families
        .iter()
        .filter(|f| f.starts_with("vigie_"))
        .filter(|f| !shown.iter().any(|n| n.starts_with(f.as_str())))
        .collect();
    assert!(hidden.is_empty(), "no panel shows {hidden:?}");
}

/// Every panel with its panels inside rows.
fn all_panels(panels: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in panels.as_array().expect("panels is a list") {
        out.push(p);
        if let Some(inner) = p.get("panels") {
            out.extend(all_panels(inner));
        }
    }
    out
}

#[test]
fn the_dashboard_is_importable() {
    let d = dashboard();
    assert_eq!(d["title"], "vigie");
    assert!(d["uid"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(
        d["schemaVersion"].as_i64().is_some_and(|v| v >= 36),
        "{}",
        d["schemaVersion"]
    );
    let vars = d["templating"]["list"]
        .as_array()
        .expect("template variables");
    let var = |name: &str| vars.iter().find(|v| v["name"] == name);
    let ds = var("datasource").expect("a datasource variable");
    assert_eq!(ds["type"], "datasource");
    assert_eq!(ds["query"], "prometheus");
    for name in ["job", "instance"] {
        assert!(var(name).is_some(), "a {name} variable");
    }

    let panels = all_panels(&d["panels"]);
    let mut ids = BTreeSet::new();
    let mut queries = 0;
    for p in &panels {
        let title = p["title"].as_str().unwrap_or("(untitled)");
        assert!(
            ids.insert(p["id"].as_i64().expect("a panel id")),
            "id of {title} repeated"
        );
        assert!(p["gridPos"]["w"].as_i64().is_some(), "{title} has no place");
        // A row only groups the panels below it: it has no query of its own.
        if p["type"] == "row" {
            continue;
        }
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{title}");
        let targets = p["targets"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        assert!(!targets.is_empty(), "{title} has no query");
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{title}");
            let expr = t["expr"].as_str().unwrap_or("");
            assert!(!expr.trim().is_empty(), "{title}: a query without expr");
            queries += 1;
        }
    }
    assert!(panels.len() > 10 && queries > 15, "{} panels", panels.len());
}
