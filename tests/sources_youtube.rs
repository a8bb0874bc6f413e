//! `kind = "youtube"`: channel feeds (Atom) and Data API v3 search, against wiremock.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::sources::{build, config, fixture, json};
use vigie::sources::{Source, SourceError, SourceState};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn search(server: &MockServer, key_env: &str) -> Box<dyn Source> {
    std::env::set_var("VIGIE_TEST_YT_KEY", "AIzaSyTESTKEY");
    build(&format!(
        "name = \"yt\"\nkind = \"youtube\"\nsearch = '\"SPF Finances\" OR MyMinfin'\nkey_env = \"{key_env}\"\nlanguage = \"fr\"\nmax_pages = 3\nevery = \"30m\"\napi_url = \"{}/youtube/v3\"\n",
        server.uri()
    ))
}

fn since(c: &str) -> SourceState {
    SourceState {
        cursor: Some(c.into()),
        ..SourceState::default()
    }
}

#[tokio::test]
async fn search_pages_with_tokens_from_the_cursor() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/search"))
        .and(query_param("part", "snippet"))
        .and(query_param("type", "video"))
        .and(query_param("order", "date"))
        .and(query_param("q", "\"SPF Finances\" OR MyMinfin"))
        .and(query_param("publishedAfter", "2026-11-24T06:00:00Z"))
        .and(query_param("relevanceLanguage", "fr"))
        .and(query_param("key", "AIzaSyTESTKEY"))
        .and(query_param_is_missing("pageToken"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("youtube", "search_page1.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/search"))
        .and(query_param("pageToken", "CAUQAA"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("youtube", "search_page2.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let p = search(&server, "VIGIE_TEST_YT_KEY")
        .poll(&since("2026-11-24T06:00:00Z"))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.skipped, 1, "the channel result");
    assert_eq!(p.cursor.as_deref(), Some("2026-11-24T08:30:04Z"));
    let v = &p.items[0];
    assert_eq!(v.title, "MyMinfin en panne : l'explication du SPF Finances");
    assert!(v.text.contains("MyMinfin & Tax-on-web"), "{}", v.text);
    assert_eq!(
        v.link.as_deref(),
        Some("https://www.youtube.com/watch?v=dQ8x2mHc3Ko")
    );
    assert_eq!(v.author.as_deref(), Some("RTBF Info"));
    assert_eq!(p.items[1].author.as_deref(), Some("VRT NWS"));
}

#[tokio::test]
async fn spent_quota_waits_for_its_reset_and_a_bad_key_names_its_variable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("publishedAfter", "2026-11-24T06:00:00Z"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json("youtube", "quota_exceeded.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("publishedAfter", "2026-11-24T07:00:00Z"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json("youtube", "key_invalid.json")))
        .mount(&server)
        .await;
    let src = search(&server, "VIGIE_TEST_YT_KEY");
    let e = src.poll(&since("2026-11-24T06:00:00Z")).await.unwrap_err();
    match e {
        SourceError::RateLimited {
            status: 403,
            retry_after: Some(d),
        } => assert!(
            d > Duration::ZERO && d <= Duration::from_secs(25 * 3600),
            "{d:?}"
        ),
        other => panic!("{other:?}"),
    }
    let e = src.poll(&since("2026-11-24T07:00:00Z")).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, SourceError::Unauthorized { status: 400, .. }),
        "{e:?}"
    );
    assert!(msg.contains("VIGIE_TEST_YT_KEY"), "{msg}");
    assert!(!msg.contains("AIzaSyTESTKEY"), "{msg}");
    let e = search(&server, "VIGIE_TEST_YT_UNSET")
        .poll(&since("2026-11-24T07:00:00Z"))
        .await
        .unwrap_err();
    assert!(matches!(e, SourceError::MissingSecret { .. }), "{e:?}");
}

#[tokio::test]
async fn other_errors_never_show_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let e = search(&server, "VIGIE_TEST_YT_KEY")
        .poll(&since("2026-11-24T06:00:00Z"))
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("HTTP 500") && !msg.contains("AIzaSyTESTKEY"),
        "{msg}"
    );
}

#[tokio::test]
async fn channel_uploads_come_from_the_channel_feed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feeds/videos.xml"))
        .and(query_param("channel_id", "UCrtbfN1qgu2U3AwXOwHHAuw"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "text/xml; charset=UTF-8")
                .set_body_string(fixture("youtube", "channel.xml")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let src = build(&format!(
        "name = \"yt-own\"\nkind = \"youtube\"\nchannel_id = \"UCrtbfN1qgu2U3AwXOwHHAuw\"\nevery = \"30m\"\nfeeds_url = \"{}/feeds/videos.xml\"\n",
        server.uri()
    ));
    let p = src.poll(&SourceState::default()).await.unwrap();
    assert_eq!(p.items.len(), 1);
    let v = &p.items[0];
    assert_eq!(
        v.link.as_deref(),
        Some("https://www.youtube.com/watch?v=Qb3x9LmTt2E")
    );
    assert_eq!(v.author.as_deref(), Some("SPF Finances"));
    assert!(v.text.contains("pas à pas"), "{}", v.text);
}

#[test]
fn config_errors_name_their_keys() {
    let errs =
        config("name = \"y\"\nkind = \"youtube\"\nsearch = \"x\"\nevery = \"30m\"\n").unwrap_err();
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].key_env:")),
        "{errs:?}"
    );
    let errs =
        config("name = \"y\"\nkind = \"youtube\"\nchannel_id = \"SPFFinances\"\nevery = \"30m\"\n")
            .unwrap_err();
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].channel_id:")),
        "{errs:?}"
    );
    let errs = config("name = \"y\"\nkind = \"youtube\"\nevery = \"30m\"\n").unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.starts_with("sources[0]: set exactly one")),
        "{errs:?}"
    );
}

#[tokio::test]
async fn comments_on_the_channel_s_latest_videos_since_the_cursor() {
    let server = MockServer::start().await;
    std::env::set_var("VIGIE_TEST_YT_KEY", "AIzaSyTESTKEY");
    channel_feed(&server).await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/commentThreads"))
        .and(query_param("videoId", "Qb3x9LmTt2E"))
        .and(query_param("order", "time"))
        .and(query_param("key", "AIzaSyTESTKEY"))
        .and(query_param_is_missing("pageToken"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("youtube", "comment_threads.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // Its next page is older than the cursor: never asked.
    Mock::given(method("GET"))
        .and(path("/youtube/v3/commentThreads"))
        .and(query_param("pageToken", "QURTSl9pMlZ4"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("youtube", "comment_threads.json")),
        )
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/commentThreads"))
        .and(query_param("videoId", "Vn8yA2kR0pW"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json("youtube", "comments_disabled.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let src = comments_source(&server, "VIGIE_TEST_YT_KEY");
    let p = src.poll(&since("2026-11-24T06:00:00Z")).await.unwrap();
    // Two top-level comments and the channel's reply (carried with its thread).
    assert_eq!(p.items.len(), 3, "{:?}", p.items);
    assert_eq!(p.skipped, 1);
    assert_eq!(p.cursor.as_deref(), Some("2026-11-24T09:00:12Z"));
    let c = &p.items[0];
    assert_eq!(
        c.link.as_deref(),
        Some("https://www.youtube.com/watch?v=Qb3x9LmTt2E&lc=UgzDE2tasfmrYLyNkGt4AaABAg")
    );
    assert_eq!(c.author.as_deref(), Some("@marie-l"));
    assert!(c.text.contains("J'attends depuis 2 heures"), "{}", c.text);
    let answer = &p.items[1];
    assert_eq!(
        answer.thread.in_reply_to.as_deref(),
        Some("youtube:comment:UgzDE2tasfmrYLyNkGt4AaABAg")
    );
    assert_eq!(
        answer.author_id.as_deref(),
        Some("UCrtbfN1qgu2U3AwXOwHHAuw")
    );
}

/// A 429 on the comments API, with or without a reason in the body, waits what
/// Retry-After says (it was a generic error, and `rateLimitExceeded` always a minute).
#[tokio::test]
async fn too_many_requests_on_comments_honours_retry_after() {
    let server = MockServer::start().await;
    std::env::set_var("VIGIE_TEST_YT_KEY_429", "AIzaSyTESTKEY");
    let src = comments_source(&server, "VIGIE_TEST_YT_KEY_429");
    let reason = serde_json::json!({"error": {"code": 429, "message": "slow down",
        "errors": [{"reason": "rateLimitExceeded", "message": "slow down"}]}});
    for body in [serde_json::json!({}), reason] {
        server.reset().await;
        channel_feed(&server).await;
        Mock::given(method("GET"))
            .and(path("/youtube/v3/commentThreads"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "120")
                    .set_body_json(body.clone()),
            )
            .mount(&server)
            .await;
        let err = src.poll(&since("2026-11-24T06:00:00Z")).await.unwrap_err();
        assert!(
            matches!(err, SourceError::RateLimited { status: 429, retry_after: Some(d) } if d == Duration::from_secs(120)),
            "{body}: {err:?}"
        );
    }
}

/// A thread with more replies than the five it carries: the rest come from
/// `comments.list?parentId=`, page by page, each reply answering the thread.
#[tokio::test]
async fn a_long_thread_s_replies_are_all_read() {
    let server = MockServer::start().await;
    std::env::set_var("VIGIE_TEST_YT_KEY_LONG", "AIzaSyTESTKEY");
    channel_feed(&server).await;
    let snippet = |text: &str, at: &str| {
        serde_json::json!({"videoId": "Qb3x9LmTt2E", "textOriginal": text, "textDisplay": text,
            "authorDisplayName": "@someone", "publishedAt": at})
    };
    let reply = |n: u32| {
        serde_json::json!({"kind": "youtube#comment", "id": format!("UgzTHREAD.r{n}"),
            "snippet": snippet(&format!("réponse {n} sur MyMinfin"), "2026-11-24T10:00:00Z")})
    };
    let thread = serde_json::json!({"items": [{"kind": "youtube#commentThread", "id": "UgzTHREAD",
        "snippet": {"videoId": "Qb3x9LmTt2E", "totalReplyCount": 7,
            "topLevelComment": {"id": "UgzTHREAD", "snippet": snippet("MyMinfin encore en panne ?", "2026-11-24T09:30:00Z")}},
        "replies": {"comments": [reply(1), reply(2)]}}]});
    Mock::given(method("GET"))
        .and(path("/youtube/v3/commentThreads"))
        .and(query_param("videoId", "Qb3x9LmTt2E"))
        .and(query_param("part", "snippet,replies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(thread))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/commentThreads"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"items": []})))
        .with_priority(10)
        .mount(&server)
        .await;
    for (token, from, to, next) in [(None, 1, 4, Some("P2")), (Some("P2"), 5, 7, None)] {
        let items: Vec<_> = (from..=to).map(reply).collect();
        let mut m = Mock::given(method("GET"))
            .and(path("/youtube/v3/comments"))
            .and(query_param("parentId", "UgzTHREAD"));
        m = match token {
            Some(t) => m.and(query_param("pageToken", t)),
            None => m.and(query_param_is_missing("pageToken")),
        };
        m.respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"items": items, "nextPageToken": next})),
        )
        .expect(1)
        .mount(&server)
        .await;
    }
    let src = comments_source(&server, "VIGIE_TEST_YT_KEY_LONG");
    let p = src.poll(&since("2026-11-24T06:00:00Z")).await.unwrap();
    let replies: HashSet<String> = (p.items.iter())
        .filter(|i| i.thread.in_reply_to.as_deref() == Some("youtube:comment:UgzTHREAD"))
        .map(|i| i.guid.clone().unwrap())
        .collect();
    assert_eq!(replies.len(), 7, "{replies:?}");
    assert!(
        replies.iter().all(|g| g.contains("lc=UgzTHREAD.r")),
        "{replies:?}"
    );
}

/// A `comments_of_channel` source on the mock server, its key in `key_env`.
fn comments_source(server: &MockServer, key_env: &str) -> Box<dyn Source> {
    build(&format!(
        "name = \"yt-comments\"\nkind = \"youtube\"\ncomments_of_channel = \"UCrtbfN1qgu2U3AwXOwHHAuw\"\nkey_env = \"{key_env}\"\nmax_pages = 3\nevery = \"30m\"\nfeeds_url = \"{0}/feeds/videos.xml\"\napi_url = \"{0}/youtube/v3\"\n",
        server.uri()
    ))
}

/// The channel's uploads feed: two videos.
async fn channel_feed(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/feeds/videos.xml"))
        .and(query_param("channel_id", "UCrtbfN1qgu2U3AwXOwHHAuw"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("youtube", "channel_two.xml")),
        )
        .mount(server)
        .await;
}

/// The comments source reads the uploads feed on one host and the API on another: each
/// request is counted under the host it goes to, and both hosts are the source's (a
/// wait asked by either holds it).
#[tokio::test]
async fn comments_count_requests_under_the_feed_host_and_the_api_host() {
    let feeds = MockServer::start().await;
    channel_feed(&feeds).await;
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/commentThreads"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"items": []})))
        .expect(2)
        .mount(&api)
        .await;
    std::env::set_var("VIGIE_TEST_YT_KEY_HOSTS", "AIzaSyTESTKEY");
    let http = common::sources::http();
    let src = config(&format!(
        "name = \"yt-comments\"\nkind = \"youtube\"\ncomments_of_channel = \"UCrtbfN1qgu2U3AwXOwHHAuw\"\nkey_env = \"VIGIE_TEST_YT_KEY_HOSTS\"\nevery = \"30m\"\nfeeds_url = \"{}/feeds/videos.xml\"\napi_url = \"{}/youtube/v3\"\n",
        feeds.uri(),
        api.uri()
    ))
    .unwrap()
    .build(&vigie::sources::BuildContext {
        http: http.clone(),
        base: ".".into(),
        matcher: common::sources::matcher(),
        own: Default::default(),
    })
    .unwrap();
    src.poll(&since("2026-11-24T06:00:00Z")).await.unwrap();
    let host = |s: &MockServer| s.uri().trim_start_matches("http://").to_string();
    assert_eq!(src.hosts(), vec![host(&api), host(&feeds)]);
    let counts: HashMap<String, i64> = (http.hosts().changes().into_iter())
        .map(|h| (h.host, h.requests))
        .collect();
    assert_eq!(counts.get(&host(&feeds)), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&host(&api)), Some(&2), "{counts:?}");
}
