//! Log forging (#14, point 10) through the real binary: a value fetched from the network
//! (here the message of an API error) holding a newline and a fake log line, or a terminal
//! escape sequence, is written escaped on one line.

mod common;

use common::{vigie_cmd, Env};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const FORGED: &str =
    "2026-12-01T00:00:00.000000Z  INFO vigie::web::auth: logged in user=admin@example.org";

#[tokio::test]
async fn a_fetched_value_cannot_forge_a_log_line() {
    let server = MockServer::start().await;
    let body = serde_json::json!({"error": {
        "message": format!("refused\n{FORGED}\n\u{1b}[2J"),
        "errors": [{"reason": "forbidden"}],
    }});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_json(body))
        .mount(&server)
        .await;
    let extra = format!(
        "[[sources]]\nname = \"yt\"\nkind = \"youtube\"\nsearch = '\"SPF Impôts\"'\nkey_env = \"VIGIE_TEST_YT_KEY\"\nevery = \"30m\"\napi_url = \"{}/youtube/v3\"\n",
        server.uri()
    );
    let env = Env::new(&[], &extra);
    let out = vigie_cmd()
        .env("VIGIE_TEST_YT_KEY", "AIzaSyTESTKEY")
        .args(["run", "--config", env.config.to_str().unwrap(), "--once"])
        .output()
        .unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("refused\\n2026-12-01T00:00:00.000000Z"),
        "the error is logged, its newline escaped:\n{logs}"
    );
    for line in logs.lines() {
        assert!(!line.starts_with(FORGED), "forged line:\n{logs}");
        assert!(!line.contains('\u{1b}'), "raw escape sequence:\n{logs}");
    }
}
