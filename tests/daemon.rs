//! The daemon as a process: crash safety (kill -9), graceful shutdown, config checking.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{rss, src, Env};

fn write_feeds(env: &Env, feeds: usize, items: usize) -> Vec<(String, String)> {
    let dir = env.path().join("feeds");
    std::fs::create_dir_all(&dir).unwrap();
    (0..feeds)
        .map(|f| {
            let p = dir.join(format!("f{f}.xml"));
            std::fs::write(&p, rss(&format!("feed{f}"), items)).unwrap();
            (format!("feed{f}"), format!("file://{}", p.display()))
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn kill_9_during_ingestion_loses_nothing_and_duplicates_nothing() {
    let probe = Env::new(&[], "");
    let feeds = write_feeds(&probe, 40, 250);
    let sources: Vec<_> = feeds.iter().map(|(n, u)| src(n, u.clone())).collect();
    let env = Env::new(&sources, "[fetch]\nconcurrency = 4\n");
    // Same files, new folder: point the config at the probe's feeds (absolute paths).
    let mut counts = Vec::new();
    for delay_ms in [150u64, 400, 900] {
        let mut child = common::vigie_cmd()
            .args(["run", "--config", env.config.to_str().unwrap()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        counts.push(env.mentions().len());
    }
    eprintln!("mentions after each kill: {counts:?}");
    // The kills must really have landed mid-ingestion, or this test proves nothing.
    assert!(
        counts.iter().any(|&c| c < 40 * 250),
        "no kill interrupted ingestion: {counts:?}"
    );
    env.run_once();
    let m = env.mentions();
    assert_eq!(m.len(), 40 * 250, "every item stored exactly once");
    let urls: HashSet<&str> = m.iter().map(|m| m["url"].as_str().unwrap()).collect();
    assert_eq!(urls.len(), m.len(), "no duplicate");
    let ids: HashSet<i64> = m.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), m.len());
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_daemon_cleanly() {
    let probe = Env::new(&[], "");
    let feeds = write_feeds(&probe, 2, 5);
    let sources: Vec<_> = feeds.iter().map(|(n, u)| src(n, u.clone())).collect();
    let env = Env::new(&sources, "");
    let child = common::vigie_cmd()
        .args(["run", "--config", env.config.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until both sources were polled (reading mentions while the daemon writes).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if env.mentions().len() == 10 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{logs}");
    assert!(
        logs.contains("signal received") && logs.contains("stopped"),
        "{logs}"
    );
    assert_eq!(env.mentions().len(), 10);
}

#[test]
fn check_config_reports_every_problem_with_key_paths() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"
[institution]
name = "X"
keywords = ["(MyTax"]
[[sources]]
name = "a"
kind = "rss"
url = "gopher://x"
every = "15m"
[[sources]]
name = "b"
kind = "rss"
url = "https://example.org/rss"
every = "often"
[smtp]
url = "smtp://mail.example.org:587"
from = "vigie@example.org"
[[recipients]]
name = "Comms"
email = "not-an-address"
language = "fr"
alerts = true
[digest]
timezone = "Mars/Olympus"
"#,
    )
    .unwrap();
    let out = common::vigie_cmd()
        .args(["check-config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for p in [
        "institution.keywords[0]",
        "sources[0].url",
        "sources[1].every",
        "recipients[0].email",
        "digest.timezone",
        "5 problem(s)",
    ] {
        assert!(err.contains(p), "missing {p} in:\n{err}");
    }
    let good = Env::new(&[src("a", "https://example.org/rss")], "");
    let out = good.vigie(&["check-config", good.config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = good.vigie(&["check-config", "/nonexistent.toml"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Regression: a closed stderr made the log layer panic in the signal task, so SIGTERM
/// was lost and the daemon ran on.
#[cfg(unix)]
#[test]
fn sigterm_works_when_nobody_reads_the_logs_any_more() {
    let probe = Env::new(&[], "");
    let feeds = write_feeds(&probe, 1, 3);
    let env = Env::new(&[src(&feeds[0].0, feeds[0].1.clone())], "");
    let mut child = common::vigie_cmd()
        .args(["run", "--config", env.config.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    drop(child.stderr.take()); // the reader goes away
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("daemon ignored SIGTERM once its stderr was closed");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Regression: two processes opening a new SQLite file at once raced on the migrations.
#[test]
fn concurrent_first_opens_of_a_new_database_all_succeed() {
    let env = Env::new(&[src("a", "https://example.org/rss")], "");
    let children: Vec<_> = (0..6)
        .map(|_| {
            common::vigie_cmd()
                .args([
                    "mentions",
                    "--config",
                    env.config.to_str().unwrap(),
                    "--json",
                ])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
