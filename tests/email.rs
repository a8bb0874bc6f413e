//! E-mail delivery over real SMTP to an in-process sink: parts and headers, an outage,
//! 4xx and 5xx answers, and a crash between claim and send.

mod common;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{smtp, src, Env};

fn mail_env(port: u16) -> Env {
    let probe = Env::new(&[], "");
    let feed = probe.path().join("f.xml");
    std::fs::write(&feed, common::rss("m", 3)).unwrap();
    let extra = format!(
        r#"
[smtp]
url = "smtp://127.0.0.1:{port}?tls=none"
from = "vigie <vigie@example.org>"
lease = "1s"
retry_base = "1s"
retry_max = "2s"

[digest]
enabled = false

[[recipients]]
name = "Cellule communication"
email = "comms@example.org"
language = "fr"
alerts = true
digest = true

[[recipients]]
name = "Woordvoerder"
email = "woordvoerder@example.org"
language = "nl"
digest = true
"#
    );
    let env = Env::new(&[src("feed", format!("file://{}", feed.display()))], &extra);
    // keep the feed alive as long as the env: copy it beside the config
    let local = env.path().join("f.xml");
    std::fs::copy(&feed, &local).unwrap();
    let cfg = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace(&feed.display().to_string(), &local.display().to_string());
    std::fs::write(&env.config, cfg).unwrap();
    env
}

fn send_digest(env: &Env) -> String {
    let out = env.vigie(&["digest", "--config", env.config.to_str().unwrap(), "--send"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

fn outbox(env: &Env) -> Vec<serde_json::Value> {
    let out = env.vigie(&["outbox", "--config", env.config.to_str().unwrap(), "--json"]);
    common::json_lines(&out)
}

fn wait_for(mut f: impl FnMut() -> bool, secs: u64) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn digest_is_delivered_with_both_parts_inline_chart_and_headers() {
    let (sink, port) = smtp::start(0);
    let env = mail_env(port);
    env.run_once();
    let out = send_digest(&env);
    assert!(out.contains("sent 2"), "{out}");
    let msgs = sink.messages.lock().unwrap().clone();
    assert_eq!(msgs.len(), 2);
    let fr = msgs
        .iter()
        .find(|m| m.contains("comms@example.org"))
        .unwrap();
    for h in [
        "Message-ID",
        "From",
        "To",
        "Subject",
        "Date",
        "MIME-Version",
    ] {
        assert!(smtp::header(fr, h).is_some(), "missing {h}:\n{fr}");
    }
    assert!(smtp::header(fr, "Message-ID")
        .unwrap()
        .ends_with("@example.org>"));
    assert_eq!(smtp::header(fr, "X-Vigie-Kind"), Some("digest"));
    assert!(
        fr.contains("multipart/alternative")
            && fr.contains("text/plain")
            && fr.contains("text/html")
    );
    assert!(
        fr.contains("multipart/related")
            && fr.contains("image/png")
            && fr.contains("Content-ID: <chart>")
    );
    assert!(
        !fr.contains("<script") && !fr.contains("src=\"http"),
        "no script, no remote image"
    );
    // the French reader gets French, the Dutch reader Dutch (subjects are encoded: check bodies)
    assert!(fr.contains("Revue quotidienne"), "{fr}");
    let nl = msgs
        .iter()
        .find(|m| m.contains("woordvoerder@example.org"))
        .unwrap();
    assert!(nl.contains("Dagelijks overzicht"));
    let rows = outbox(&env);
    assert!(rows.iter().all(|r| r["state"] == "sent"), "{rows:?}");
}

#[test]
fn server_down_then_back_delivers_what_was_queued() {
    let port = smtp::free_port();
    let env = mail_env(port);
    let out = send_digest(&env);
    assert!(out.contains("retrying 1"), "{out}");
    let rows = outbox(&env);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["state"] == "pending"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r["last_error"].as_str().unwrap_or("").contains("onnection")),
        "{rows:?}"
    );
    // The server comes back on the same port.
    let (sink, _) = smtp::start(port);
    assert!(wait_for(
        || {
            env.run_once();
            sink.messages.lock().unwrap().len() == 2
        },
        20
    ));
    assert!(outbox(&env).iter().all(|r| r["state"] == "sent"));
}

#[test]
fn temporary_failures_are_retried_and_permanent_ones_dead_lettered() {
    let (sink, port) = smtp::start(0);
    sink.fail_4xx.store(1, Ordering::SeqCst);
    sink.reject_rcpt
        .lock()
        .unwrap()
        .push("woordvoerder@".into());
    let env = mail_env(port);
    send_digest(&env);
    assert!(wait_for(
        || {
            env.run_once();
            let rows = outbox(&env);
            rows.iter()
                .all(|r| r["state"] == "sent" || r["state"] == "dead")
        },
        20
    ));
    let rows = outbox(&env);
    let fr = rows
        .iter()
        .find(|r| r["to"] == "comms@example.org")
        .unwrap();
    let nl = rows
        .iter()
        .find(|r| r["to"] == "woordvoerder@example.org")
        .unwrap();
    assert_eq!(fr["state"], "sent");
    assert!(
        fr["attempts"].as_i64().unwrap() >= 2,
        "4xx must have been retried: {fr}"
    );
    assert_eq!(nl["state"], "dead", "{nl}");
    assert!(nl["last_error"].as_str().unwrap().contains("550"), "{nl}");
    assert_eq!(sink.messages.lock().unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn kill_9_between_claim_and_send_gives_exactly_one_message_per_message_id() {
    let (sink, port) = smtp::start(0);
    sink.stall.store(true, Ordering::SeqCst);
    let env = mail_env(port);
    let mut child = common::vigie_cmd()
        .args(["digest", "--config", env.config.to_str().unwrap(), "--send"])
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the rows are claimed (state 'sending'), then kill mid-send.
    assert!(wait_for(
        || outbox(&env).iter().any(|r| r["state"] == "sending"),
        20
    ));
    child.kill().unwrap();
    child.wait().unwrap();
    sink.stall.store(false, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(1200)); // the 1 s lease runs out
    assert!(wait_for(
        || {
            env.run_once();
            outbox(&env).iter().all(|r| r["state"] == "sent")
        },
        20
    ));
    let msgs = sink.messages.lock().unwrap().clone();
    let ids: Vec<&str> = msgs
        .iter()
        .map(|m| smtp::header(m, "Message-ID").unwrap())
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(unique.len(), 2, "a Message-ID arrived twice: {ids:?}");
    let queued: HashSet<String> = outbox(&env)
        .iter()
        .map(|r| format!("<{}>", r["message_id"].as_str().unwrap()))
        .collect();
    assert_eq!(queued, unique.iter().map(|s| s.to_string()).collect());
}

/// Regression (#14): with the documented `smtp://host:port`, the password went out in
/// AUTH PLAIN before any STARTTLS. Now `smtp://` requires STARTTLS: against a server
/// that offers AUTH but no STARTTLS, nothing is sent, no login is tried, and the e-mail
/// waits in the outbox for a retry.
#[test]
fn smtp_without_starttls_never_gets_the_password() {
    let (state, port) = smtp::start(0);
    let env = mail_env(port);
    let cfg = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("?tls=none\"", "\"\nusername = \"vigie\"");
    std::fs::write(&env.config, cfg).unwrap();
    let out = common::vigie_cmd()
        .args(["digest", "--config", env.config.to_str().unwrap(), "--send"])
        .env("VIGIE_SMTP_PASSWORD", "hunter2-secret")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("sent 0"), "{text}");
    let commands = state.commands.lock().unwrap().clone();
    assert!(
        commands.iter().any(|c| c == "EHLO"),
        "the server was reached: {commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c == "AUTH"),
        "a login went out in clear: {commands:?}"
    );
    assert!(!commands.iter().any(|c| c == "MAIL"), "{commands:?}");
    assert!(state.messages.lock().unwrap().is_empty());
    assert!(!text.contains("hunter2-secret"), "{text}");
    let queued = outbox(&env);
    assert!(
        queued
            .iter()
            .all(|q| q["state"] == "pending" && q["sent_at"].is_null()),
        "{queued:#?}"
    );
}

/// Regression (#14): against a server that offers STARTTLS (the finding's case: lettre
/// was handed `smtp://host:587` without `tls=` and sent AUTH PLAIN first), STARTTLS is
/// the first command after EHLO, and no AUTH or MAIL ever goes out in clear.
#[test]
fn smtp_starts_tls_before_anything_else() {
    let (state, port) = smtp::start(0);
    state
        .starttls
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let env = mail_env(port);
    let cfg = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("?tls=none\"", "\"\nusername = \"vigie\"");
    std::fs::write(&env.config, cfg).unwrap();
    let out = common::vigie_cmd()
        .args(["digest", "--config", env.config.to_str().unwrap(), "--send"])
        .env("VIGIE_SMTP_PASSWORD", "hunter2-secret")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    let commands = state.commands.lock().unwrap().clone();
    assert_eq!(
        commands.get(..2),
        Some(&["EHLO".to_string(), "STARTTLS".to_string()][..]),
        "{commands:?}\n{text}"
    );
    assert!(
        !commands.iter().any(|c| c == "AUTH" || c == "MAIL"),
        "sent in clear: {commands:?}"
    );
    assert!(!text.contains("hunter2-secret"), "{text}");
}

#[test]
fn file_transport_writes_eml_files() {
    let env = Env::new(
        &[],
        "[smtp]\nurl = \"file://mail\"\nfrom = \"vigie@example.org\"\n[[recipients]]\nname = \"A\"\nemail = \"a@example.org\"\nlanguage = \"en\"\ndigest = true\n",
    );
    let cfg = std::fs::read_to_string(&env.config).unwrap().replace("[storage]", "[[sources]]\nname = \"x\"\nkind = \"rss\"\nurl = \"file://none.xml\"\nevery = \"1h\"\n\n[storage]");
    std::fs::write(&env.config, cfg).unwrap();
    let out = env.vigie(&["digest", "--config", env.config.to_str().unwrap(), "--send"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(env.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("Daily digest") && eml.contains("a@example.org"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_is_queued_once_at_its_local_time_even_across_restarts() {
    let env = mail_env(smtp::free_port());
    // Scheduled digest on for this test.
    let cfg_text = std::fs::read_to_string(&env.config).unwrap().replace(
        "enabled = false",
        "enabled = true\nat = \"08:00\"\ntimezone = \"Europe/Brussels\"",
    );
    std::fs::write(&env.config, cfg_text).unwrap();
    let cfg = vigie::config::Config::load(&env.config).unwrap();
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    // 2026-10-25: the clocks go back; 08:00 local is 07:00 UTC.
    for (now, want) in [
        ("2026-10-25T06:59:00Z", 0),
        ("2026-10-25T07:00:00Z", 2),
        ("2026-10-25T07:05:00Z", 0),
        ("2026-10-25T15:00:00Z", 0),
        ("2026-10-26T07:00:00Z", 2),
    ] {
        // A fresh Store each time: a restart of the daemon.
        let store = vigie::store::Store::open(&cfg.storage.url, &cfg.base_dir())
            .await
            .unwrap();
        let n = vigie::notify::digest::enqueue_due(&store, &cfg.notify(), at(now), "example.org")
            .await
            .unwrap();
        assert_eq!(n, want, "at {now}");
        store.close().await;
    }
}
