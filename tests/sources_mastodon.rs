//! `kind = "mastodon"` against a wiremock instance serving the API's documented shapes.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::sources::{build, config, json};
use vigie::sources::{SourceError, SourceState};
use wiremock::matchers::{bearer_token, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BASE: u64 = 113_540_900_000_001_000;

/// Statuses with ids BASE+from ..= BASE+to, newest first (as the API orders them).
fn statuses(from: u64, to: u64) -> serde_json::Value {
    let template = json("mastodon", "status.json");
    let list: Vec<serde_json::Value> = (from..=to)
        .rev()
        .map(|i| {
            let mut s = template.clone();
            let id = (BASE + i).to_string();
            s["id"] = id.clone().into();
            s["uri"] = format!("https://mastodon.social/users/citoyenne_bxl/statuses/{id}").into();
            s["url"] = format!("https://mastodon.social/@citoyenne_bxl/{id}").into();
            s["content"] = format!("<p>MyMinfin en panne, message {i}</p>").into();
            s
        })
        .collect();
    list.into()
}

fn tag_source(server: &MockServer, extra: &str) -> Box<dyn vigie::sources::Source> {
    build(&format!(
        "name = \"masto\"\nkind = \"mastodon\"\ninstance = \"{}\"\nhashtag = \"#MyMinfin\"\nevery = \"5m\"\n{extra}",
        server.uri()
    ))
}

fn at(cursor: u64) -> SourceState {
    SourceState {
        cursor: Some((BASE + cursor).to_string()),
        ..SourceState::default()
    }
}

fn page(server: &MockServer, min_id: u64, body: serde_json::Value) -> Mock {
    let _ = server;
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyMinfin"))
        .and(query_param("min_id", (BASE + min_id).to_string()))
        .and(query_param("limit", "40"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
}

#[tokio::test]
async fn pages_from_the_cursor_without_gaps_or_duplicates_across_polls() {
    let server = MockServer::start().await;
    page(&server, 0, statuses(1, 40)).mount(&server).await;
    page(&server, 40, statuses(41, 80)).mount(&server).await;
    page(&server, 80, statuses(81, 95)).mount(&server).await;
    // Empty: the end. Asked by the second poll after its 15, and by the third.
    page(&server, 95, statuses(1, 0))
        .expect(2)
        .mount(&server)
        .await;
    // Two pages per poll: the first poll stops at 80, the second goes on from there.
    let src = tag_source(&server, "max_pages = 2");
    let first = src.poll(&at(0)).await.unwrap();
    assert_eq!(first.items.len(), 80);
    assert_eq!(first.cursor, Some((BASE + 80).to_string()));
    let second = src.poll(&at(80)).await.unwrap();
    assert_eq!(second.items.len(), 15);
    assert_eq!(second.cursor, Some((BASE + 95).to_string()));
    let third = src.poll(&at(95)).await.unwrap();
    assert!(third.items.is_empty());
    assert_eq!(third.cursor, Some((BASE + 95).to_string()));
    let guids: HashSet<String> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|i| i.guid.clone().unwrap())
        .collect();
    assert_eq!(guids.len(), 95, "every status once");
    for i in 1..=95 {
        assert!(guids.contains(&format!(
            "https://mastodon.social/users/citoyenne_bxl/statuses/{}",
            BASE + i
        )));
    }
}

/// A timeline served as Mastodon does, but never more than 3 statuses a page whatever
/// `limit` asks (as a server may): `max_id`/`min_id` bounds, newest first, and with
/// `min_id` alone the statuses immediately newer than it.
struct Timeline {
    /// (id offset from BASE, hours ago), any order.
    statuses: Vec<(u64, i64)>,
}

impl wiremock::Respond for Timeline {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let q: std::collections::HashMap<String, String> =
            req.url.query_pairs().into_owned().collect();
        let bound = |k: &str| q.get(k).map(|v| v.parse::<u64>().unwrap() - BASE);
        let (min, max) = (bound("min_id"), bound("max_id"));
        let mut ids: Vec<&(u64, i64)> = (self.statuses.iter())
            .filter(|(i, _)| min.is_none_or(|m| *i > m) && max.is_none_or(|m| *i < m))
            .collect();
        ids.sort();
        let take: Vec<&(u64, i64)> = if min.is_some() && max.is_none() {
            ids.into_iter().take(3).collect()
        } else {
            ids.into_iter().rev().take(3).collect()
        };
        let mut list: Vec<serde_json::Value> = take
            .iter()
            .map(|(i, hours)| {
                let mut s = statuses(*i, *i)[0].clone();
                let at = chrono::Utc::now() - chrono::Duration::hours(*hours);
                s["created_at"] = at.to_rfc3339().into();
                s
            })
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse(s["id"].as_str().unwrap().to_string()));
        ResponseTemplate::new(200).set_body_json(list)
    }
}

#[tokio::test]
async fn first_poll_reads_back_to_lookback_through_short_pages() {
    let server = MockServer::start().await;
    // 10 statuses of the last 20 hours, 5 of last week: pages of 3.
    let mut all: Vec<(u64, i64)> = (1..=5).map(|i| (i, 24 * 7 - i as i64)).collect();
    all.extend((6..=15).map(|i| (i, 2 * (15 - i as i64))));
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyMinfin"))
        .respond_with(Timeline { statuses: all })
        .mount(&server)
        .await;
    let src = tag_source(&server, "lookback = \"1d\"\nmax_pages = 10");
    let p = src.poll(&SourceState::default()).await.unwrap();
    let got: HashSet<String> = p.items.iter().map(|i| i.guid.clone().unwrap()).collect();
    for i in 6..=15 {
        assert!(
            got.iter().any(|g| g.ends_with(&(BASE + i).to_string())),
            "{i}: {got:?}"
        );
    }
    // It stops at the first page that reaches past a day: not the whole history.
    assert!(got.len() <= 12, "{}", got.len());
    assert_eq!(got.len(), p.items.len());
    assert_eq!(p.cursor, Some((BASE + 15).to_string()));
    // max_pages bounds a first poll too.
    let p = tag_source(&server, "max_pages = 2")
        .poll(&SourceState::default())
        .await
        .unwrap();
    assert_eq!(p.items.len(), 6);
}

#[tokio::test]
async fn later_polls_read_every_new_status_through_short_pages() {
    let server = MockServer::start().await;
    let all: Vec<(u64, i64)> = (1..=20).map(|i| (i, 1)).collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyMinfin"))
        .respond_with(Timeline { statuses: all })
        .mount(&server)
        .await;
    // The cursor at 9: the 11 newer statuses, in pages of 3, 3, 3, 2, then an empty one.
    let p = tag_source(&server, "").poll(&at(9)).await.unwrap();
    let got: HashSet<String> = p.items.iter().map(|i| i.guid.clone().unwrap()).collect();
    assert_eq!(got.len(), 11);
    assert_eq!(p.items.len(), 11);
    assert_eq!(p.cursor, Some((BASE + 20).to_string()));
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
}

#[tokio::test]
async fn statuses_become_items_and_malformed_ones_are_skipped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyMinfin"))
        .and(query_param("min_id", "113540800000000000"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("mastodon", "tag_timeline.json")),
        )
        .mount(&server)
        .await;
    empty_otherwise("/api/v1/timelines/tag/MyMinfin", &server).await;
    let src = tag_source(&server, "language = \"fr\"");
    let before = SourceState {
        cursor: Some("113540800000000000".into()),
        ..SourceState::default()
    };
    let p = src.poll(&before).await.unwrap();
    assert_eq!(p.skipped, 1, "the status with an unreadable date");
    assert_eq!(p.items.len(), 2);
    // The cursor passes the malformed entry too.
    assert_eq!(p.cursor.as_deref(), Some("113540900000000003"));
    // A boost is the boosted post, with its author and audience.
    let boost = &p.items[0];
    assert_eq!(
        boost.guid.as_deref(),
        Some("https://mastodon.online/users/belastingbetaler/statuses/113540899000000000")
    );
    assert_eq!(
        boost.author.as_deref(),
        Some("@belastingbetaler@mastodon.online")
    );
    assert_eq!(boost.reach, Some(96));
    assert_eq!(boost.lang_hint.as_deref(), Some("nl"));
    assert!(
        boost.text.contains("Tax-on-web ligt plat"),
        "{}",
        boost.text
    );
    assert!(!boost.text.contains('<'), "{}", boost.text);
    let own = &p.items[1];
    assert_eq!(own.author.as_deref(), Some("@citoyenne_bxl@127.0.0.1"));
    assert_eq!(own.reach, Some(1834));
    assert!(
        own.text.starts_with("Impôts\n"),
        "content warning first: {}",
        own.text
    );
    assert!(own.text.contains("le jour de l'échéance"), "{}", own.text);
    assert_eq!(
        own.link.as_deref(),
        Some("https://mastodon.social/@citoyenne_bxl/113540861230459906")
    );
    assert_eq!(
        own.published_at.unwrap().to_rfc3339(),
        "2026-11-24T08:15:02+00:00"
    );
    assert!(!own.title.is_empty() && own.title.len() <= 130);
}

#[tokio::test]
async fn a_spent_rate_limit_stops_paging_until_its_reset() {
    let server = MockServer::start().await;
    let reset = chrono::Utc::now() + chrono::Duration::seconds(300);
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyMinfin"))
        .and(query_param("min_id", (BASE).to_string()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(statuses(1, 40))
                .insert_header("X-RateLimit-Limit", "300")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset.to_rfc3339().as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    page(&server, 40, statuses(41, 41))
        .expect(0)
        .mount(&server)
        .await;
    let src = tag_source(&server, "");
    let p = src.poll(&at(0)).await.unwrap();
    assert_eq!(p.items.len(), 40);
    assert_eq!(p.cursor, Some((BASE + 40).to_string()));
    let wait = p.wait.expect("wait until the reset");
    assert!(
        (Duration::from_secs(290)..=Duration::from_secs(301)).contains(&wait),
        "{wait:?}"
    );
}

#[tokio::test]
async fn too_many_requests_is_rate_limited_with_its_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .mount(&server)
        .await;
    let err = tag_source(&server, "").poll(&at(0)).await.unwrap_err();
    assert!(
        matches!(err, SourceError::RateLimited { status: 429, retry_after: Some(d) } if d == Duration::from_secs(30)),
        "{err:?}"
    );
}

#[tokio::test]
async fn search_sends_the_token_and_a_refused_token_names_its_variable() {
    let server = MockServer::start().await;
    std::env::set_var("VIGIE_TEST_MASTO_GOOD", "good-token");
    std::env::set_var("VIGIE_TEST_MASTO_BAD", "revoked-token");
    let search = json("mastodon", "status.json");
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param("type", "statuses"))
        .and(query_param("q", "\"SPF Finances\""))
        .and(bearer_token("good-token"))
        .and(query_param_is_missing("max_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "accounts": [], "statuses": [search], "hashtags": []
        })))
        .mount(&server)
        .await;
    // The page after the last one: empty.
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(bearer_token("good-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "accounts": [], "statuses": [], "hashtags": []
        })))
        .with_priority(10)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(bearer_token("revoked-token"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json("mastodon", "unauthorized.json")),
        )
        .mount(&server)
        .await;
    let toml = |var: &str| {
        format!(
            "name = \"masto-search\"\nkind = \"mastodon\"\ninstance = \"{}\"\nsearch = '\"SPF Finances\"'\ntoken_env = \"{var}\"\nevery = \"5m\"\n",
            server.uri()
        )
    };
    let p = build(&toml("VIGIE_TEST_MASTO_GOOD"))
        .poll(&at(0))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].reach, Some(1834));
    let err = build(&toml("VIGIE_TEST_MASTO_BAD"))
        .poll(&at(0))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, SourceError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(msg.contains("VIGIE_TEST_MASTO_BAD"), "{msg}");
    assert!(!msg.contains("revoked-token"), "{msg}");
    let err = build(&toml("VIGIE_TEST_MASTO_NEVER_SET"))
        .poll(&at(0))
        .await
        .unwrap_err();
    assert!(err.is_credentials(), "{err:?}");
    assert!(err.to_string().contains("VIGIE_TEST_MASTO_NEVER_SET"));
}

#[tokio::test]
async fn account_is_looked_up_once_then_its_statuses_are_paged() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/lookup"))
        .and(query_param("acct", "SPFFinances"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json("mastodon", "lookup.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/109876543210987654/statuses"))
        .and(query_param("min_id", BASE.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(statuses(1, 3)))
        .expect(1)
        .mount(&server)
        .await;
    empty_otherwise("/api/v1/accounts/109876543210987654/statuses", &server).await;
    let src = build(&format!(
        "name = \"masto-account\"\nkind = \"mastodon\"\ninstance = \"{}/\"\naccount = \"@SPFFinances\"\nevery = \"5m\"\n",
        server.uri()
    ));
    assert_eq!(src.poll(&at(0)).await.unwrap().items.len(), 3);
    assert_eq!(src.poll(&at(3)).await.unwrap().items.len(), 0);
}

/// Any other page of this path: empty, the API's end.
async fn empty_otherwise(p: &str, server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .with_priority(10)
        .mount(server)
        .await;
}

#[test]
fn config_errors_name_their_keys() {
    let errs = config(
        "name = \"m\"\nkind = \"mastodon\"\ninstance = \"https://mastodon.social\"\nhashtag = \"a\"\nsearch = \"b\"\nevery = \"5m\"\n",
    )
    .unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.starts_with("sources[0]: set exactly one")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].token_env:")),
        "{errs:?}"
    );
    let errs = config(
        "name = \"m\"\nkind = \"mastodon\"\ninstance = \"mastodon.social\"\nhashtag = \"a\"\nevery = \"1s\"\n",
    )
    .unwrap_err();
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].every:")),
        "{errs:?}"
    );
    let errs = config(
        "name = \"m\"\nkind = \"mastodon\"\ninstance = \"mastodon.social\"\nhashtag = \"a\"\nevery = \"1m\"\ntoken_env = \"my token\"\n",
    )
    .unwrap_err();
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].instance:")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].token_env:")),
        "{errs:?}"
    );
    let errs = config(
        "name = \"m\"\nkind = \"mastodon\"\ninstance = \"https://m.s\"\nhashtag = \"a\"\nevery = \"1m\"\nfoo = 1\n",
    )
    .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("foo")), "{errs:?}");
}

#[tokio::test]
async fn search_pages_backwards_down_to_the_cursor() {
    let server = MockServer::start().await;
    std::env::set_var("VIGIE_TEST_MASTO_SEARCH", "search-token");
    let wrap =
        |v: serde_json::Value| serde_json::json!({"accounts": [], "statuses": v, "hashtags": []});
    // 70 new statuses since the cursor; search gives the newest 40 first.
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param("min_id", BASE.to_string()))
        .and(query_param_is_missing("max_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(wrap(statuses(31, 70))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param("min_id", BASE.to_string()))
        .and(query_param("max_id", (BASE + 31).to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(wrap(statuses(1, 30))))
        .expect(1)
        .mount(&server)
        .await;
    // A short page is not the end: the empty one after it is.
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param("max_id", (BASE + 1).to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(wrap(statuses(1, 0))))
        .expect(1)
        .mount(&server)
        .await;
    let src = build(&format!(
        "name = \"masto-search\"\nkind = \"mastodon\"\ninstance = \"{}\"\nsearch = \"MyMinfin\"\ntoken_env = \"VIGIE_TEST_MASTO_SEARCH\"\nevery = \"5m\"\n",
        server.uri()
    ));
    let p = src.poll(&at(0)).await.unwrap();
    let guids: HashSet<String> = p.items.iter().map(|i| i.guid.clone().unwrap()).collect();
    assert_eq!(p.items.len(), 70);
    assert_eq!(guids.len(), 70);
    assert_eq!(p.cursor, Some((BASE + 70).to_string()));
}
