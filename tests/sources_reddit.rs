//! `kind = "reddit"` against wiremock standing in for www.reddit.com (token) and
//! oauth.reddit.com (search), with the API's Listing shape.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::sources::{build, config, fixture, json};
use vigie::sources::{Source, SourceError, SourceState};
use wiremock::matchers::{
    basic_auth, bearer_token, body_string_contains, method, path, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6IlNIQTI1NjpzS3dsMnlsV0VtMjVmcXhwTU40cWY4MXE2OWFFdWFyMnpLMUdhVGxjdWNZIiwidHlwIjoiSldUIn0.test-token-1";

fn source(server: &MockServer, id_env: &str, extra: &str) -> Box<dyn Source> {
    std::env::set_var("VIGIE_TEST_REDDIT_ID", "app-id");
    std::env::set_var("VIGIE_TEST_REDDIT_SECRET", "app-secret");
    build(&format!(
        "name = \"reddit\"\nkind = \"reddit\"\nquery = '\"FOD Financiën\" OR Tax-on-web'\nsubreddit = \"belgium\"\nclient_id_env = \"{id_env}\"\nclient_secret_env = \"VIGIE_TEST_REDDIT_SECRET\"\nevery = \"5m\"\ntoken_url = \"{0}/api/v1/access_token\"\napi_url = \"{0}\"\n{extra}",
        server.uri()
    ))
}

async fn token_mock(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/api/v1/access_token"))
        .and(basic_auth("app-id", "app-secret"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("reddit", "token.json")))
        .expect(times)
        .mount(server)
        .await;
}

fn posts(from: u32, to: u32) -> serde_json::Value {
    let children: Vec<serde_json::Value> = (from..=to)
        .rev()
        .map(|i| {
            serde_json::json!({"kind": "t3", "data": {
                "subreddit": "belgium",
                "selftext": format!("Tax-on-web post {i}"),
                "title": format!("Post {i}"),
                "name": format!("t3_p{i:05}"),
                "score": 1, "num_comments": 0,
                "created_utc": 1795500000.0 + i as f64,
                "subreddit_subscribers": 512304,
                "author": "someone",
                "permalink": format!("/r/belgium/comments/p{i:05}/post/"),
            }})
        })
        .collect();
    serde_json::json!({"kind": "Listing", "data": {"after": null, "dist": children.len(), "children": children, "before": null}})
}

fn at(cursor: &str) -> SourceState {
    SourceState {
        cursor: Some(cursor.into()),
        ..SourceState::default()
    }
}

#[tokio::test]
async fn token_is_cached_and_posts_become_items() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/r/belgium/search"))
        .and(bearer_token(TOKEN))
        .and(query_param("q", "\"FOD Financiën\" OR Tax-on-web"))
        .and(query_param("sort", "new"))
        .and(query_param("limit", "100"))
        .and(query_param("restrict_sr", "1"))
        .and(query_param_is_missing("before"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json("reddit", "search.json")))
        .expect(2)
        .mount(&server)
        .await;
    let src = source(&server, "VIGIE_TEST_REDDIT_ID", "");
    let p = src.poll(&SourceState::default()).await.unwrap();
    src.poll(&SourceState::default()).await.unwrap();
    assert_eq!(p.skipped, 1);
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.cursor.as_deref(), Some("t3_1gyk9z0@1795508100"));
    let first = &p.items[0];
    assert_eq!(first.guid.as_deref(), Some("t3_1gyk9z0"));
    assert_eq!(
        first.link.as_deref(),
        Some("https://www.reddit.com/r/belgium/comments/1gyk9z0/taxonweb_down_on_deadline_day/")
    );
    assert_eq!(first.author.as_deref(), Some("u/brusselsbike"));
    assert_eq!(first.reach, Some(512304));
    assert_eq!(first.published_at.unwrap().timestamp(), 1795508100);
    assert!(first.text.contains("FOD Financiën helpline"));
    assert_eq!(p.items[1].author, None, "deleted authors are no one");
    // A link post carries the article it shares (for its story); a self post does not
    // repeat its own address.
    let shared = "https://www.lesoir.be/612399/article/2026-11-24/declaration-simplifiee";
    assert!(p.items[1].text.contains(shared), "{}", p.items[1].text);
    assert!(!first.text.contains("https://"), "{}", first.text);
}

#[tokio::test]
async fn comments_mode_reads_a_subreddit_s_new_comments() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    let comment = |n: u32, body: &str| {
        serde_json::json!({"kind": "t1", "data": {
            "name": format!("t1_c{n}"), "body": body, "author": "someone",
            "parent_id": "t3_1gyk9z0", "link_id": "t3_1gyk9z0",
            "link_title": "Tax-on-web down on deadline day",
            "permalink": format!("/r/belgium/comments/1gyk9z0/x/c{n}/"),
            "created_utc": 1795508100.0 + n as f64, "subreddit": "belgium"
        }})
    };
    let listing = serde_json::json!({"kind": "Listing", "data": {"after": null, "before": null,
        "children": [comment(2, "FOD Financiën says it is fixed"), comment(1, "same here")]}});
    Mock::given(method("GET"))
        .and(path("/r/belgium/comments"))
        .and(query_param("limit", "100"))
        .and(query_param_is_missing("q"))
        .respond_with(ResponseTemplate::new(200).set_body_json(listing))
        .expect(1)
        .mount(&server)
        .await;
    let src = build(&format!(
        "name = \"reddit-comments\"\nkind = \"reddit\"\nmode = \"comments\"\nsubreddit = \"belgium\"\nclient_id_env = \"VIGIE_TEST_REDDIT_ID\"\nclient_secret_env = \"VIGIE_TEST_REDDIT_SECRET\"\nevery = \"5m\"\ntoken_url = \"{0}/api/v1/access_token\"\napi_url = \"{0}\"\n",
        server.uri()
    ));
    std::env::set_var("VIGIE_TEST_REDDIT_ID", "app-id");
    std::env::set_var("VIGIE_TEST_REDDIT_SECRET", "app-secret");
    let p = src.poll(&SourceState::default()).await.unwrap();
    assert_eq!(p.items.len(), 2);
    let c = &p.items[0];
    assert_eq!(c.title, "Re: Tax-on-web down on deadline day");
    assert_eq!(c.text, "FOD Financiën says it is fixed");
    assert_eq!(c.thread.in_reply_to.as_deref(), Some("reddit:t3_1gyk9z0"));
    assert_eq!(c.thread.root.as_deref(), Some("reddit:t3_1gyk9z0"));
    assert_eq!(
        c.link.as_deref(),
        Some("https://www.reddit.com/r/belgium/comments/1gyk9z0/x/c2/")
    );
    // A comments source needs a subreddit, and takes no query or user.
    let errs = config(
        "name = \"r\"\nkind = \"reddit\"\nmode = \"comments\"\nquery = \"x\"\nclient_id_env = \"A\"\nclient_secret_env = \"B\"\nevery = \"5m\"\n",
    )
    .unwrap_err();
    for k in ["subreddit", "query"] {
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&format!("sources[0].{k}:"))),
            "{k} {errs:?}"
        );
    }
}

#[tokio::test]
async fn pages_with_before_without_gaps_or_duplicates() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    // Pages of 100, 100 and 30, then an empty one: the end (the short page is not).
    for (before, from, to) in [(0, 1, 100), (100, 101, 200), (200, 201, 230), (230, 1, 0)] {
        Mock::given(method("GET"))
            .and(path("/r/belgium/search"))
            .and(query_param("before", format!("t3_p{before:05}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(posts(from, to)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let p = source(&server, "VIGIE_TEST_REDDIT_ID", "max_pages = 5")
        .poll(&at("t3_p00000"))
        .await
        .unwrap();
    let ids: HashSet<_> = p.items.iter().map(|i| i.guid.clone().unwrap()).collect();
    assert_eq!(p.items.len(), 230);
    assert_eq!(ids.len(), 230);
    assert_eq!(p.cursor.as_deref(), Some("t3_p00230@1795500230"));
}

#[tokio::test]
async fn spent_rate_limit_stops_paging_and_says_how_long_to_wait() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    Mock::given(method("GET"))
        .and(query_param("before", "t3_p00000"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(posts(1, 100))
                .insert_header("x-ratelimit-used", "100")
                .insert_header("x-ratelimit-remaining", "0.0")
                .insert_header("x-ratelimit-reset", "120"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("before", "t3_p00100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(posts(101, 101)))
        .expect(0)
        .mount(&server)
        .await;
    let p = source(&server, "VIGIE_TEST_REDDIT_ID", "")
        .poll(&at("t3_p00000"))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 100);
    assert_eq!(p.cursor.as_deref(), Some("t3_p00100@1795500100"));
    assert_eq!(p.wait, Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "expired-early", "token_type": "bearer", "expires_in": 86400, "scope": "*"
        })))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    token_mock(&server, 1).await;
    Mock::given(method("GET"))
        .and(bearer_token("expired-early"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "Unauthorized", "error": 401})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(bearer_token(TOKEN))
        .and(query_param("before", "t3_p00000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(posts(1, 2)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(bearer_token(TOKEN))
        .and(query_param("before", "t3_p00002"))
        .respond_with(ResponseTemplate::new(200).set_body_json(posts(1, 0)))
        .expect(1)
        .mount(&server)
        .await;
    let p = source(&server, "VIGIE_TEST_REDDIT_ID", "")
        .poll(&at("t3_p00000"))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 2);
}

#[tokio::test]
async fn refused_credentials_name_both_variables_and_never_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/access_token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "Unauthorized", "error": 401})),
        )
        .mount(&server)
        .await;
    let e = source(&server, "VIGIE_TEST_REDDIT_ID", "")
        .poll(&at("t3_p00000"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, SourceError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("VIGIE_TEST_REDDIT_ID") && msg.contains("VIGIE_TEST_REDDIT_SECRET"),
        "{msg}"
    );
    assert!(!msg.contains("app-secret"));
    let e = source(&server, "VIGIE_TEST_REDDIT_UNSET", "")
        .poll(&at("t3_p00000"))
        .await
        .unwrap_err();
    assert!(matches!(e, SourceError::MissingSecret { .. }), "{e:?}");
}

#[tokio::test]
async fn a_deleted_cursor_post_does_not_stall_the_source() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    // t3_p00060 is asked twice: after the first poll's page (the end), and by the second.
    for (anchor, times) in [("t3_gone", 1), ("t3_p00060", 2)] {
        Mock::given(method("GET"))
            .and(query_param("before", anchor))
            .respond_with(ResponseTemplate::new(200).set_body_json(posts(1, 0)))
            .expect(times)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(query_param_is_missing("before"))
        .respond_with(ResponseTemplate::new(200).set_body_json(posts(40, 60)))
        .expect(2)
        .mount(&server)
        .await;
    let src = source(&server, "VIGIE_TEST_REDDIT_ID", "");
    // The cursor's post (at ...050) was deleted: Reddit answers an empty page.
    let p = src.poll(&at("t3_gone@1795500050")).await.unwrap();
    let ids: Vec<_> = p.items.iter().map(|i| i.guid.clone().unwrap()).collect();
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert_eq!(ids[0], "t3_p00060");
    assert_eq!(ids[9], "t3_p00051");
    assert_eq!(p.cursor.as_deref(), Some("t3_p00060@1795500060"));
    // Nothing new: the cursor stays.
    let p = src.poll(&at("t3_p00060@1795500060")).await.unwrap();
    assert!(p.items.is_empty());
    assert_eq!(p.cursor.as_deref(), Some("t3_p00060@1795500060"));
}

#[tokio::test]
async fn too_many_requests_is_rate_limited() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("x-ratelimit-reset", "33"))
        .mount(&server)
        .await;
    let e = source(&server, "VIGIE_TEST_REDDIT_ID", "")
        .poll(&at("t3_p00000"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, SourceError::RateLimited { status: 429, retry_after: Some(d) } if d == Duration::from_secs(33)),
        "{e:?}"
    );
}

#[test]
fn config_errors_name_their_keys() {
    let errs = config(
        "name = \"r\"\nkind = \"reddit\"\nquery = \" \"\nsubreddit = \"r/bel gium\"\nclient_id_env = \"\"\nclient_secret_env = \"X\"\nevery = \"5m\"\n",
    )
    .unwrap_err();
    for k in ["query", "subreddit", "client_id_env"] {
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&format!("sources[0].{k}:"))),
            "{k} {errs:?}"
        );
    }
    let errs =
        config("name = \"r\"\nkind = \"reddit\"\nquery = \"x\"\nevery = \"5m\"\n").unwrap_err();
    assert!(errs.iter().any(|e| e.contains("client_id_env")), "{errs:?}");
}

/// A subreddit search served as Reddit documents it, but 3 posts a page whatever `limit`
/// asks: newest first, `after` (older) and `before` (newer) anchors, and the listing's
/// own `after`/`before`, null at either end.
struct Search {
    /// (number, hours ago), newest last.
    posts: Vec<(u32, i64)>,
}

impl wiremock::Respond for Search {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let q: std::collections::HashMap<String, String> =
            req.url.query_pairs().into_owned().collect();
        let num = |k: &str| {
            q.get(k)
                .map(|v| v.trim_start_matches("t3_p").parse::<u32>().unwrap())
        };
        let all: Vec<&(u32, i64)> = self.posts.iter().collect();
        let page: Vec<&(u32, i64)> = match (num("after"), num("before")) {
            (Some(a), _) => all
                .iter()
                .rev()
                .filter(|p| p.0 < a)
                .take(3)
                .copied()
                .collect(),
            (_, Some(b)) => {
                let newer: Vec<_> = all.iter().filter(|p| p.0 > b).take(3).copied().collect();
                newer.into_iter().rev().collect()
            }
            _ => all.iter().rev().take(3).copied().collect(),
        };
        let name = |n: u32| format!("t3_p{n:05}");
        let older = page.last().is_some_and(|l| all.iter().any(|p| p.0 < l.0));
        let newer = page.first().is_some_and(|f| all.iter().any(|p| p.0 > f.0));
        let mut listing = posts(1, 0);
        listing["data"]["children"] = page
            .iter()
            .map(|(n, hours)| {
                let mut c = posts(*n, *n)["data"]["children"][0].clone();
                let t = chrono::Utc::now() - chrono::Duration::hours(*hours);
                c["data"]["created_utc"] = (t.timestamp() as f64).into();
                c
            })
            .collect();
        listing["data"]["after"] = page.last().filter(|_| older).map(|l| name(l.0)).into();
        listing["data"]["before"] = page.first().filter(|_| newer).map(|f| name(f.0)).into();
        ResponseTemplate::new(200).set_body_json(listing)
    }
}

#[tokio::test]
async fn first_poll_reads_back_to_lookback_and_later_polls_read_every_new_post() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    // Posts 1-5 a week old, 6-15 of the last 20 hours, 16-25 after the first poll.
    let mut all: Vec<(u32, i64)> = (1..=5).map(|i| (i, 24 * 7)).collect();
    all.extend((6..=15).map(|i| (i, 2 * (15 - i as i64) + 1)));
    Mock::given(method("GET"))
        .and(path("/r/belgium/search"))
        .respond_with(Search { posts: all.clone() })
        .up_to_n_times(5)
        .mount(&server)
        .await;
    let src = source(
        &server,
        "VIGIE_TEST_REDDIT_ID",
        "max_pages = 10\nlookback = \"1d\"",
    );
    let first = src.poll(&SourceState::default()).await.unwrap();
    let got: HashSet<String> = first
        .items
        .iter()
        .map(|i| i.guid.clone().unwrap())
        .collect();
    for i in 6..=15 {
        assert!(got.contains(&format!("t3_p{i:05}")), "{i}: {got:?}");
    }
    assert!(got.len() <= 12, "stops past a day: {}", got.len());
    let cursor = first.cursor.clone().unwrap();
    assert!(cursor.starts_with("t3_p00015@"), "{cursor}");
    // Ten newer posts, read through pages of 3 from the cursor.
    server.reset().await;
    token_mock(&server, 0).await;
    all.extend((16..=25).map(|i| (i, 0)));
    Mock::given(method("GET"))
        .and(path("/r/belgium/search"))
        .respond_with(Search { posts: all })
        .mount(&server)
        .await;
    let later = src.poll(&at(&cursor)).await.unwrap();
    let got: HashSet<String> = later
        .items
        .iter()
        .map(|i| i.guid.clone().unwrap())
        .collect();
    assert_eq!(got.len(), 10, "{got:?}");
    assert_eq!(later.items.len(), 10);
    assert!(later.cursor.unwrap().starts_with("t3_p00025@"));
}

/// A post met again after its author deleted it or moderators removed it is reported as
/// deleted (the daemon then erases its mention), not stored as a new item.
#[tokio::test]
async fn removed_and_deleted_posts_are_reported_as_deleted() {
    let server = MockServer::start().await;
    token_mock(&server, 1).await;
    let mut listing = posts(2, 4);
    let children = listing["data"]["children"].as_array_mut().unwrap();
    // Newest first: p00004 removed by moderators, p00003 deleted by its author.
    children[0]["data"]["selftext"] = "[removed]".into();
    children[0]["data"]["removed_by_category"] = "moderator".into();
    children[1]["data"]["selftext"] = "[deleted]".into();
    children[1]["data"]["author"] = "[deleted]".into();
    Mock::given(method("GET"))
        .and(path("/r/belgium/search"))
        .and(query_param("before", "t3_p00001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(listing))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/r/belgium/search"))
        .and(query_param("before", "t3_p00004"))
        .respond_with(ResponseTemplate::new(200).set_body_json(posts(1, 0)))
        .mount(&server)
        .await;
    let src = source(&server, "VIGIE_TEST_REDDIT_ID", "");
    let p = src.poll(&at("t3_p00001@1795500001")).await.unwrap();
    assert_eq!(p.deleted, vec!["reddit:t3_p00004", "reddit:t3_p00003"]);
    let kept: Vec<_> = p.items.iter().map(|i| i.guid.clone().unwrap()).collect();
    assert_eq!(kept, vec!["t3_p00002"]);
    assert_eq!(p.cursor.as_deref(), Some("t3_p00004@1795500004"));
}
