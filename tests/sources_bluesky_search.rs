//! `kind = "bluesky_search"` against wiremock standing in for a PDS (createSession,
//! searchPosts), with the XRPC shapes.

mod common;

use common::sources::{build, config, fixture, json};
use vigie::sources::{Source, SourceError, SourceState};
use wiremock::matchers::{
    bearer_token, body_json, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const JWT: &str = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-1";

fn source(server: &MockServer, password_env: &str) -> Box<dyn Source> {
    std::env::set_var("VIGIE_TEST_BSKY_ID", "vigie-monitor.bsky.social");
    std::env::set_var("VIGIE_TEST_BSKY_PW", "abcd-efgh-ijkl-mnop");
    build(&format!(
        "name = \"bsky-search\"\nkind = \"bluesky_search\"\nquery = '\"SPF Finances\" OR MyMinfin'\nidentifier_env = \"VIGIE_TEST_BSKY_ID\"\napp_password_env = \"{password_env}\"\nevery = \"10m\"\nservice = \"{}\"\n",
        server.uri()
    ))
}

async fn session(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .and(body_json(serde_json::json!({
            "identifier": "vigie-monitor.bsky.social", "password": "abcd-efgh-ijkl-mnop"
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("bluesky", "session.json")),
        )
        .expect(times)
        .mount(server)
        .await;
}

fn since(c: &str) -> SourceState {
    SourceState {
        cursor: Some(c.into()),
        ..SourceState::default()
    }
}

#[tokio::test]
async fn searches_since_the_cursor_and_pages_with_the_api_cursor() {
    let server = MockServer::start().await;
    session(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.searchPosts"))
        .and(bearer_token(JWT))
        .and(query_param("q", "\"SPF Finances\" OR MyMinfin"))
        .and(query_param("sort", "latest"))
        .and(query_param("since", "2026-11-24T07:00:00.000Z"))
        .and(query_param_is_missing("cursor"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("bluesky", "search_page1.json")),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.searchPosts"))
        .and(query_param("cursor", "100"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("bluesky", "search_page2.json")),
        )
        .expect(2)
        .mount(&server)
        .await;
    let src = source(&server, "VIGIE_TEST_BSKY_PW");
    let p = src.poll(&since("2026-11-24T07:00:00.000Z")).await.unwrap();
    src.poll(&since("2026-11-24T07:00:00.000Z")).await.unwrap();
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.skipped, 1);
    assert_eq!(p.cursor.as_deref(), Some("2026-11-24T08:15:01.234Z"));
    let first = &p.items[0];
    assert_eq!(
        first.guid.as_deref(),
        Some("at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3lbotn3ntxk2u")
    );
    // The same link as the Jetstream source gives the same post.
    assert_eq!(
        first.link.as_deref(),
        Some("https://bsky.app/profile/did:plc:eygmaihciaxprqvxpfvl6flk/post/3lbotn3ntxk2u")
    );
    assert_eq!(first.author.as_deref(), Some("@marie.bsky.social"));
    assert_eq!(first.lang_hint.as_deref(), Some("fr"));
    assert_eq!(p.items[1].lang_hint.as_deref(), Some("nl"));
}

#[tokio::test]
async fn an_expired_session_is_renewed_once() {
    let server = MockServer::start().await;
    session(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.searchPosts"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": "ExpiredToken", "message": "Token has expired"}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.searchPosts"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("bluesky", "search_page2.json")),
        )
        .mount(&server)
        .await;
    let p = source(&server, "VIGIE_TEST_BSKY_PW")
        .poll(&since("2026-11-24T07:00:00.000Z"))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 1);
}

#[tokio::test]
async fn a_refused_login_names_both_variables() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "AuthenticationRequired", "message": "Invalid identifier or password"
        })))
        .mount(&server)
        .await;
    let e = source(&server, "VIGIE_TEST_BSKY_PW")
        .poll(&SourceState::default())
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, SourceError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    assert!(
        msg.contains("VIGIE_TEST_BSKY_ID") && msg.contains("VIGIE_TEST_BSKY_PW"),
        "{msg}"
    );
    assert!(!msg.contains("abcd-efgh"), "{msg}");
    let e = source(&server, "VIGIE_TEST_BSKY_UNSET")
        .poll(&SourceState::default())
        .await
        .unwrap_err();
    assert!(matches!(e, SourceError::MissingSecret { .. }), "{e:?}");
}

#[tokio::test]
async fn a_spent_rate_limit_stops_paging() {
    let server = MockServer::start().await;
    let reset = (chrono::Utc::now().timestamp() + 120).to_string();
    session(&server, 1).await;
    Mock::given(method("GET"))
        .and(query_param_is_missing("cursor"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json("bluesky", "search_page1.json"))
                .insert_header("ratelimit-limit", "3000")
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", reset.as_str())
                .insert_header("ratelimit-policy", "3000;w=300"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("cursor", "100"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("bluesky", "search_page2.json")),
        )
        .expect(0)
        .mount(&server)
        .await;
    let p = source(&server, "VIGIE_TEST_BSKY_PW")
        .poll(&since("2026-11-24T07:00:00.000Z"))
        .await
        .unwrap();
    assert_eq!(p.items.len(), 1);
    let wait = p.wait.expect("wait for the reset").as_secs();
    assert!((110..=121).contains(&wait), "{wait}");
}

#[test]
fn config_errors_name_their_keys() {
    let errs = config(
        "name = \"b\"\nkind = \"bluesky_search\"\nquery = \"\"\nidentifier_env = \"my handle\"\napp_password_env = \"P\"\nevery = \"10m\"\n",
    )
    .unwrap_err();
    for k in ["query", "identifier_env"] {
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&format!("sources[0].{k}:"))),
            "{k} {errs:?}"
        );
    }
}
