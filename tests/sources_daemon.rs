//! Social sources through the real daemon (`vigie run --once`): cursors saved between
//! runs, and a `source_unhealthy` signal when credentials are refused.

mod common;

use common::{json_lines, vigie_cmd, Env};
use serde_json::Value;
use wiremock::matchers::{bearer_token, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn status(id: u64, text: &str) -> Value {
    let mut s: Value =
        serde_json::from_str(&common::sources::fixture("mastodon", "status.json")).unwrap();
    s["id"] = id.to_string().into();
    s["uri"] = format!("https://mastodon.social/users/citoyenne_bxl/statuses/{id}").into();
    s["url"] = format!("https://mastodon.social/@citoyenne_bxl/{id}").into();
    s["content"] = format!("<p>{text}</p>").into();
    s
}

fn run(env: &Env, token: &str) -> String {
    let out = vigie_cmd()
        .env("VIGIE_TEST_DAEMON_TOKEN", token)
        .args(["run", "--config", env.config.to_str().unwrap(), "--once"])
        .output()
        .unwrap();
    let logs = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{logs}");
    logs
}

fn signals(env: &Env) -> Vec<Value> {
    json_lines(
        &vigie_cmd()
            .args([
                "signals",
                "--config",
                env.config.to_str().unwrap(),
                "--json",
            ])
            .output()
            .unwrap(),
    )
    .into_iter()
    .filter(|s| s["kind"] == "source_unhealthy")
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_survives_runs_and_refused_credentials_raise_one_signal() {
    let server = MockServer::start().await;
    // First run: no cursor, the newest page.
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyTax"))
        .and(query_param_is_missing("min_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![
            status(1002, "MyTax est encore en panne"),
            status(1001, "Le SPF Impôts ne répond pas"),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    // Second run: from the saved cursor.
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyTax"))
        .and(query_param("min_id", "1002"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![status(
            1003,
            "MyTax refonctionne, merci au SPF Impôts",
        )]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyTax"))
        .and(query_param("min_id", "1003"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Vec::<Value>::new()))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(bearer_token("fresh"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"accounts": [], "statuses": [], "hashtags": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(bearer_token("revoked"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "The access token is invalid"})),
        )
        .expect(3)
        .mount(&server)
        .await;
    let extra = format!(
        "[[sources]]\nname = \"masto-tag\"\nkind = \"mastodon\"\ninstance = \"{0}\"\nhashtag = \"MyTax\"\nevery = \"5m\"\n\n\
         [[sources]]\nname = \"masto-search\"\nkind = \"mastodon\"\ninstance = \"{0}\"\nsearch = \"MyTax\"\ntoken_env = \"VIGIE_TEST_DAEMON_TOKEN\"\nevery = \"5m\"\n\n",
        server.uri()
    );
    let env = Env::new(&[], &extra);
    let logs = run(&env, "revoked");
    assert!(!logs.contains("revoked"), "the token leaked into the logs");
    assert_eq!(env.mentions().len(), 2);
    let sig = signals(&env);
    assert_eq!(sig.len(), 1, "{sig:?}");
    assert_eq!(sig[0]["severity"], "warning");
    let reason = sig[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("masto-search") && reason.contains("VIGIE_TEST_DAEMON_TOKEN"),
        "{reason}"
    );
    run(&env, "revoked");
    let mentions = env.mentions();
    assert_eq!(mentions.len(), 3);
    assert_eq!(mentions[2]["reach"], 1834);
    assert_eq!(signals(&env).len(), 1, "one signal per episode");
    // Fixed, the episode closes; refused again later, a new signal.
    run(&env, "fresh");
    assert_eq!(signals(&env).len(), 1);
    run(&env, "revoked");
    assert_eq!(signals(&env).len(), 2);
}
