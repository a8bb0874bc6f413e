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
    env.run_once_with(&[("VIGIE_TEST_DAEMON_TOKEN", token)])
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
    // First run: no cursor, the newest page (its statuses are older than `lookback`, so
    // no older page is asked).
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyTax"))
        .and(query_param_is_missing("min_id"))
        .and(query_param_is_missing("max_id"))
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
        .expect(3)
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

/// Regression (#14, point 3): `Retry-After: 99999999999999` and `X-RateLimit-Reset: NaN`
/// panicked in the poll task, and the source and its host stayed busy until restart.
/// Through the daemon: one of two feeds of a host answers 429 with an absurd wait; the
/// other feed keeps being polled (held back one interval at most), a Mastodon source
/// whose limit is spent with a NaN reset waits, and nothing crashes or is unhealthy.
#[test]
fn an_absurd_wait_on_one_source_does_not_silence_its_host() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (feeds, masto) = rt.block_on(async {
        let feeds = MockServer::start().await;
        Mock::given(path("/limited"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "99999999999999"))
            .mount(&feeds)
            .await;
        Mock::given(path("/ok"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(common::rss("ok", 2), "application/rss+xml"),
            )
            .mount(&feeds)
            .await;
        let masto = MockServer::start().await;
        Mock::given(path("/api/v1/timelines/tag/MyTax"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", "NaN")
                    .set_body_json(vec![status(2001, "MyTax est en panne")]),
            )
            .mount(&masto)
            .await;
        (feeds, masto)
    });
    let mut limited = common::src("limited", format!("{}/limited", feeds.uri()));
    limited.every = "10s";
    let mut ok = common::src("ok", format!("{}/ok", feeds.uri()));
    ok.every = "10s";
    let extra = format!(
        "[[sources]]\nname = \"masto\"\nkind = \"mastodon\"\ninstance = \"{}\"\nhashtag = \"MyTax\"\nevery = \"10s\"\n\n",
        masto.uri()
    );
    let env = Env::new(&[limited, ok], &extra);
    let log = env.path().join("daemon.log");
    let mut daemon = vigie_cmd()
        .args(["run", "--config", env.config.to_str().unwrap()])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let count = |server: &MockServer, p: &str| {
        rt.block_on(server.received_requests())
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == p)
            .count()
    };
    // "limited" goes first (the first source, its host free); "ok" is held back one
    // interval, then polled every interval. Two polls of "ok" take about 20 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    while count(&feeds, "/ok") < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let alive = daemon.try_wait().unwrap().is_none();
    common::flow::sigterm(&daemon);
    let exit = daemon.wait().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(alive && exit.success(), "{logs}");
    assert_eq!(count(&feeds, "/limited"), 1, "{logs}");
    assert!(count(&feeds, "/ok") >= 2, "the host was silenced: {logs}");
    assert_eq!(count(&masto, "/api/v1/timelines/tag/MyTax"), 1, "{logs}");
    assert!(
        !logs.contains("crashed") && !logs.contains("panicked"),
        "{logs}"
    );
    assert!(signals(&env).is_empty());
    let m = env.mentions();
    assert_eq!(m.len(), 3, "{m:#?}");
}
