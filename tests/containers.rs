//! What can be checked of the container files without a container engine (#19; no
//! registry is reachable from the build machines, so the image is never built here):
//! `vigie health`, the image's HEALTHCHECK, against a real daemon, a closed port, a
//! server that never answers and one that is not ready; config/docker.toml is valid and
//! is what compose.yaml mounts where the HEALTHCHECK reads it; the Dockerfile's build
//! stage copies every file the crate compiles in.

mod common;

use std::path::{Component, Path, PathBuf};
use std::process::Output;

use common::{src, Env};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

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
    // config/docker.toml does) is asked on the loopback.
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
    // Port 1 (tcpmux) is closed here and never handed out as an ephemeral port, so no
    // test running beside this one can be listening on it (a port freed for the test could
    // be taken by another test's daemon in between).
    let port = 1;
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

#[test]
fn the_compose_config_is_valid_and_is_where_the_healthcheck_reads_it() {
    let config = root().join("config/docker.toml");
    common::assert_config_valid(&config);
    let docker = read("config/docker.toml");
    assert!(docker.contains("url = \"postgres://vigie@postgres:5432/vigie\""));
    assert!(docker.contains("listen = \"0.0.0.0:8080\""));

    let compose = read("compose.yaml");
    assert!(
        compose.contains("./config/docker.toml:/etc/vigie/vigie.toml:ro"),
        "compose.yaml mounts config/docker.toml where the image reads its config"
    );
    assert!(compose.contains("condition: service_healthy") && compose.contains("pg_isready"));
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.contains(r#"CMD ["vigie", "health", "--config", "/etc/vigie/vigie.toml"]"#),
        "the HEALTHCHECK asks `vigie health` with the config the image runs"
    );
    assert!(dockerfile.contains(r#""run", "--config", "/etc/vigie/vigie.toml""#));
}

/// `a/b/../c` as `a/c`.
fn normal(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Files and folders the crate reads at compile time, relative to the crate's root.
fn compiled_in(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            compiled_in(&p, out);
            continue;
        }
        if p.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let rel_dir = p.parent().unwrap().strip_prefix(root()).unwrap();
        for (mac, base) in [
            ("include_str!(\"", rel_dir),
            ("include_bytes!(\"", rel_dir),
            ("migrate!(\"", Path::new("")),
        ] {
            for (at, _) in text.match_indices(mac) {
                let rest = &text[at + mac.len()..];
                let file = &rest[..rest.find('"').unwrap()];
                out.push(normal(&base.join(file)));
            }
        }
    }
}

#[test]
fn the_build_stage_copies_every_file_compiled_in() {
    let dockerfile = read("Dockerfile");
    let build_stage = dockerfile
        .split("\nFROM ")
        .nth(1)
        .expect("a build stage after the first FROM");
    let copied: Vec<&str> = build_stage
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[..words.len() - 1].to_vec()
        })
        .collect();
    let mut needed = Vec::new();
    compiled_in(&root().join("src"), &mut needed);
    assert!(needed.len() > 20, "{needed:?}");
    for n in &needed {
        assert!(root().join(n).exists(), "{} is compiled in", n.display());
        assert!(
            copied.iter().any(|c| n.starts_with(c)),
            "the Dockerfile's build stage does not copy {} (it copies {copied:?})",
            n.display()
        );
    }
}
