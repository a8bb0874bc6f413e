//! What can be checked of the container files without a container engine (#19):
//! `vigie health`, for the image's HEALTHCHECK, against a real daemon, a closed port, a
//! server that never answers and one that is not ready.

mod common;

use std::process::Output;

use common::{src, Env};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `vigie health ARGS`, with its exit code and its stdout and stderr together.
fn health(args: &[&str]) -> (Option<i32>, String) {
    let out: Output = common::vigie_cmd()
        .env_remove("VIGIE_CONFIG")
        .arg("health")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[cfg(unix)]
#[test]
fn health_says_ok_of_a_running_daemon_and_why_not_otherwise() {
    let env = Env::new(
        &[src("inbox", "file://inbox.xml")],
        "[web]\nlisten = \"127.0.0.1:0\"\n",
    );
    let mut cmd = common::vigie_cmd();
    cmd.args(["run", "--config", env.config.to_str().unwrap()]);
    let daemon = common::daemon::Daemon::spawn(cmd);

    let (code, text) = health(&["--url", &daemon.base]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("ok: "), "{text}");
    // From the config, as the image's HEALTHCHECK asks: listening on every interface (as
    // in a container) is asked on the loopback.
    let port = daemon.base.rsplit(':').next().unwrap();
    let all = env.path().join("all-interfaces.toml");
    let text = std::fs::read_to_string(&env.config).unwrap();
    let text = text.replace("127.0.0.1:0", &format!("0.0.0.0:{port}"));
    std::fs::write(&all, text).unwrap();
    let (code, text) = health(&["--config", all.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/healthz")),
        "{text}"
    );

    let (stopped, logs) = daemon.stop();
    assert!(stopped, "{logs}");
    // The same config once the daemon is gone.
    let (code, text) = health(&["--config", all.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("unhealthy: http://127.0.0.1:") && text.contains("is the daemon running"),
        "{text}"
    );
}

#[test]
fn health_fails_on_a_closed_port_and_on_a_bad_address() {
    let port = common::smtp::free_port();
    let (code, text) = health(&["--url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("unhealthy: http://127.0.0.1:{port}/healthz"))
            && text.to_lowercase().contains("connection refused"),
        "{text}"
    );

    let env = Env::new(&[src("inbox", "file://inbox.xml")], "");
    let (code, text) = health(&["--config", env.config.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("has no [web] section"), "{text}");

    let (code, text) = health(&[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("--config"), "{text}");
    let (code, text) = health(&["--url", "127.0.0.1:8080"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("not an http(s) URL"), "{text}");
}

#[test]
fn health_gives_up_on_a_server_that_never_answers() {
    // The kernel accepts the connection; nobody reads the request.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let (code, text) = health(&["--url", &format!("http://{addr}"), "--timeout", "300ms"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("no answer within 300ms"), "{text}");
}

#[tokio::test]
async fn health_fails_when_the_answer_is_not_ok() {
    let server = MockServer::start().await;
    Mock::given(path("/healthz"))
        .respond_with(ResponseTemplate::new(503).set_body_string("starting\n"))
        .mount(&server)
        .await;
    let uri = server.uri();
    let (code, text) = tokio::task::spawn_blocking(move || health(&["--url", &uri]))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("503") && text.contains("\"starting\""),
        "{text}"
    );
}
