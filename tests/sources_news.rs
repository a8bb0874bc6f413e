//! `kind = "google_news"` and `kind = "gdelt"` against wiremock, with payloads shaped
//! like the real services'.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::sources::{build, config, fixture, json};
use vigie::sources::{SourceError, SourceState};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn google_news_builds_the_search_url_and_reads_publishers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rss/search"))
        .and(query_param("q", "\"SPF Finances\" OR MyMinfin"))
        .and(query_param("hl", "fr-BE"))
        .and(query_param("gl", "BE"))
        .and(query_param("ceid", "BE:fr"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "application/rss+xml; charset=utf-8")
                .set_body_string(fixture("google_news", "search_fr_be.xml")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let src = build(&format!(
        "name = \"gn-fr\"\nkind = \"google_news\"\nquery = '\"SPF Finances\" OR MyMinfin'\nlanguage = \"fr\"\ncountry = \"BE\"\nevery = \"15m\"\nbase_url = \"{}/rss/search\"\n",
        server.uri()
    ));
    let p = src.poll(&SourceState::default()).await.unwrap();
    assert_eq!(p.items.len(), 2);
    let first = &p.items[0];
    assert_eq!(first.author.as_deref(), Some("Le Soir"));
    assert_eq!(
        first.lang_hint.as_deref(),
        Some("fr-be"),
        "the feed's own <language>"
    );
    assert!(first.title.starts_with("MyMinfin en panne"));
    assert_eq!(
        first.published_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 24, 8, 31, 0).unwrap())
    );
    assert_eq!(p.items[1].author.as_deref(), Some("RTBF"));
}

#[test]
fn google_news_config_errors_name_their_keys() {
    let errs = config(
        "name = \"gn\"\nkind = \"google_news\"\nquery = \"\"\nlanguage = \"French\"\ncountry = \"be\"\nevery = \"15m\"\n",
    )
    .unwrap_err();
    for key in ["query", "language", "country"] {
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&format!("sources[0].{key}:"))),
            "{key}: {errs:?}"
        );
    }
    let errs = config("name = \"gn\"\nkind = \"google_news\"\nquery = \"x\"\nevery = \"15m\"\n")
        .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("language")), "{errs:?}");
}

fn gdelt_source(server: &MockServer) -> Box<dyn vigie::sources::Source> {
    gdelt_source_with(server, "")
}

fn gdelt_source_with(server: &MockServer, extra: &str) -> Box<dyn vigie::sources::Source> {
    build(&format!(
        "name = \"gdelt\"\nkind = \"gdelt\"\nquery = '(\"SPF Finances\" OR MyMinfin) sourcecountry:belgium'\nevery = \"15m\"\nbase_url = \"{}/api/v2/doc/doc\"\n{extra}",
        server.uri()
    ))
}

fn since(cursor: &str) -> SourceState {
    SourceState {
        cursor: Some(cursor.into()),
        ..SourceState::default()
    }
}

#[tokio::test]
async fn gdelt_reads_articles_from_the_cursor_and_skips_malformed_ones() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/doc/doc"))
        .and(query_param("mode", "artlist"))
        .and(query_param("format", "json"))
        .and(query_param("maxrecords", "250"))
        .and(query_param("sort", "dateasc"))
        .and(query_param("startdatetime", "20261124080000"))
        .and(query_param(
            "query",
            "(\"SPF Finances\" OR MyMinfin) sourcecountry:belgium",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json("gdelt", "artlist.json")))
        .expect(1)
        .mount(&server)
        .await;
    gdelt_nothing_newer(&server).await;
    let p = gdelt_source(&server)
        .poll(&since("20261124T080000Z"))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.skipped, 1, "the article without a seendate");
    assert_eq!(p.cursor.as_deref(), Some("20261124T083000Z"));
    assert_eq!(p.items[0].author.as_deref(), Some("lesoir.be"));
    assert_eq!(p.items[0].lang_hint.as_deref(), Some("fr"));
    assert_eq!(p.items[1].lang_hint.as_deref(), Some("nl"));
    assert_eq!(
        p.items[1].published_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 24, 8, 30, 0).unwrap())
    );
}

/// `n` articles, one a minute from 08:00 plus `from` minutes.
fn articles(from: u32, n: u32) -> serde_json::Value {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap();
    let list: Vec<serde_json::Value> = (from..from + n)
        .map(|i| {
            let t = t0 + chrono::Duration::minutes(i as i64);
            serde_json::json!({
                "url": format!("https://www.lesoir.be/{i}/article"),
                "url_mobile": "",
                "title": format!("SPF Finances article {i}"),
                "seendate": t.format("%Y%m%dT%H%M%SZ").to_string(),
                "socialimage": "",
                "domain": "lesoir.be",
                "language": "French",
                "sourcecountry": "Belgium"
            })
        })
        .collect();
    serde_json::json!({ "articles": list })
}

#[tokio::test]
async fn gdelt_follows_full_pages_from_their_last_time_without_duplicates() {
    let server = MockServer::start().await;
    // Page 1: minutes 0..250; page 2 starts at minute 249 (inclusive), so repeats it.
    Mock::given(method("GET"))
        .and(query_param("startdatetime", "20261124080000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(articles(0, 250)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("startdatetime", "20261124120900"))
        .respond_with(ResponseTemplate::new(200).set_body_json(articles(249, 11)))
        .expect(1)
        .mount(&server)
        .await;
    gdelt_nothing_newer(&server).await;
    let p = gdelt_source(&server)
        .poll(&since("20261124T080000Z"))
        .await
        .unwrap();
    let urls: HashSet<_> = p.items.iter().map(|i| i.link.clone().unwrap()).collect();
    assert_eq!(p.items.len(), 260);
    assert_eq!(urls.len(), 260);
    assert_eq!(p.cursor.as_deref(), Some("20261124T121900Z"));
}

#[tokio::test]
async fn gdelt_throttle_sentence_and_429_are_rate_limits_and_text_errors_are_parse_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("startdatetime", "20261124080000"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com for larger queries.",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("startdatetime", "20261124090000"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("startdatetime", "20261124100000"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("Your search contained a phrase that was too short."),
        )
        .mount(&server)
        .await;
    let src = gdelt_source(&server);
    let e = src.poll(&since("20261124T080000Z")).await.unwrap_err();
    assert!(
        matches!(e, SourceError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(5)),
        "{e:?}"
    );
    let e = src.poll(&since("20261124T090000Z")).await.unwrap_err();
    assert!(
        matches!(e, SourceError::RateLimited { status: 429, .. }),
        "{e:?}"
    );
    let e = src.poll(&since("20261124T100000Z")).await.unwrap_err();
    assert!(matches!(e, SourceError::Parse(_)), "{e:?}");
    assert!(e.to_string().contains("phrase that was too short"), "{e}");
}

/// Any later page: empty (GDELT's end).
async fn gdelt_nothing_newer(server: &MockServer) {
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .with_priority(10)
        .mount(server)
        .await;
}

/// An article list that never gives more than 3 articles a page, whatever `maxrecords`
/// asks: the oldest from `startdatetime` on (inclusive), as `sort=dateasc` orders them.
struct ThreeAPage;

impl wiremock::Respond for ThreeAPage {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let start = (req.url.query_pairs())
            .find(|(k, _)| k == "startdatetime")
            .map(|(_, v)| v.to_string())
            .unwrap();
        let all = articles(0, 10);
        let page: Vec<serde_json::Value> = (all["articles"].as_array().unwrap().iter())
            .filter(|a| a["seendate"].as_str().unwrap().replace(['T', 'Z'], "") >= start)
            .take(3)
            .cloned()
            .collect();
        ResponseTemplate::new(200).set_body_json(serde_json::json!({ "articles": page }))
    }
}

#[tokio::test]
async fn gdelt_short_pages_are_not_the_end() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ThreeAPage)
        .mount(&server)
        .await;
    // Pages of 3 from 08:00, 08:02, 08:04, 08:06, 08:08, then nothing new at 08:09.
    let p = gdelt_source_with(&server, "max_pages = 10\n")
        .poll(&since("20261124T080000Z"))
        .await
        .unwrap();
    let urls: HashSet<_> = p.items.iter().map(|i| i.link.clone().unwrap()).collect();
    assert_eq!(urls.len(), 10, "{urls:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
    assert_eq!(p.items.len(), 10);
    assert_eq!(p.cursor.as_deref(), Some("20261124T080900Z"));
}

#[tokio::test]
async fn gdelt_first_poll_looks_back_and_an_empty_answer_is_fine() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(1)
        .mount(&server)
        .await;
    let before = Utc::now() - chrono::Duration::hours(1);
    let p = gdelt_source(&server)
        .poll(&SourceState::default())
        .await
        .unwrap();
    assert!(p.items.is_empty());
    let reqs = server.received_requests().await.unwrap();
    let start = reqs[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "startdatetime")
        .unwrap()
        .1
        .to_string();
    let start = chrono::NaiveDateTime::parse_from_str(&start, "%Y%m%d%H%M%S")
        .unwrap()
        .and_utc();
    assert!((start - before).num_seconds().abs() < 5, "{start}");
}
