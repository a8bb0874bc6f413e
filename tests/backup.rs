//! `vigie backup` and `vigie restore` (#19) through the real binary: backups taken while
//! the daemon ingests, each restored into a new store with every mention and escalation
//! it held; a restore is refused while a daemon holds the store.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{rss, src, Env};

/// Ids with a link or a reason.
type Rows = BTreeSet<(i64, String)>;

/// Mention ids and links, and escalation ids and reasons: what a restore must give back.
fn content(env: &Env) -> (Rows, Rows) {
    let m = env
        .mentions()
        .iter()
        .map(|m| (m["id"].as_i64().unwrap(), m["url"].to_string()))
        .collect();
    let e = env
        .escalations()
        .iter()
        .map(|e| (e["id"].as_i64().unwrap(), e["reason"].to_string()))
        .collect();
    (m, e)
}

fn run(env: &Env, args: &[&str]) -> std::process::Output {
    let mut a = vec![args[0], "--config", env.config.to_str().unwrap()];
    a.extend_from_slice(&args[1..]);
    env.vigie(&a)
}

#[cfg(unix)]
#[test]
fn backups_taken_while_the_daemon_ingests_restore_every_mention_and_escalation() {
    const FEEDS: usize = 20;
    const ITEMS: usize = 200;
    let probe = Env::new(&[], "");
    let dir = probe.path().join("feeds");
    std::fs::create_dir_all(&dir).unwrap();
    let mut sources = Vec::new();
    for f in 0..FEEDS {
        let p = dir.join(format!("f{f}.xml"));
        std::fs::write(&p, rss(&format!("feed{f}"), ITEMS)).unwrap();
        sources.push((format!("feed{f}"), format!("file://{}", p.display())));
    }
    // Questions addressed to the institution: escalations.
    let q = dir.join("questions.xml");
    let items: String = (0..5)
        .map(|i| format!("<item><title>@SPFImpots question {i}</title><link>https://social.example/q{i}</link><guid>q{i}</guid><description>@SPFImpots quand vais-je recevoir mon remboursement {i} ?</description><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>"))
        .collect();
    std::fs::write(&q, format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>q</title><link>https://social.example</link><description>d</description>{items}</channel></rss>")).unwrap();
    sources.push(("questions".into(), format!("file://{}", q.display())));
    let srcs: Vec<_> = sources.iter().map(|(n, u)| src(n, u.clone())).collect();
    let env = Env::new(
        &srcs,
        "[fetch]\nconcurrency = 2\n\n[escalation]\nhandles = [\"@SPFImpots\"]\n",
    );
    let mut daemon = common::vigie_cmd()
        .args(["run", "--config", env.config.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // One backup while the first feeds are being stored...
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.mentions().is_empty() {
        assert!(Instant::now() < deadline, "nothing ingested");
        std::thread::sleep(Duration::from_millis(20));
    }
    let early = env.path().join("early.db");
    let out = run(&env, &["backup", "--to", early.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ...and one once everything is in, the daemon still running.
    let total = FEEDS * ITEMS + 5;
    while env.mentions().len() < total || env.escalations().len() < 5 {
        assert!(Instant::now() < deadline, "ingestion did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
    let full = env.path().join("full.db");
    let out = run(&env, &["backup", "--to", full.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A backup never overwrites a file.
    let again = run(&env, &["backup", "--to", full.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let (mentions, escs) = content(&env);

    // Restored into a new store: everything the backup held.
    let other = Env::new(&[src("x", "file://none.xml")], "");
    let out = run(&other, &["restore", "--from", full.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (m2, e2) = content(&other);
    assert_eq!(m2.len(), total);
    assert_eq!(m2, mentions, "every mention, same ids");
    assert_eq!(e2, escs, "every escalation");
    // The early backup is a consistent part of it.
    let third = Env::new(&[src("x", "file://none.xml")], "");
    let out = run(&third, &["restore", "--from", early.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (m3, _) = content(&third);
    assert!(!m3.is_empty() && m3.is_subset(&mentions), "{}", m3.len());

    // Refused while the daemon holds the store; the store is untouched.
    let out = run(&env, &["restore", "--from", early.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another vigie daemon"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.mentions().len(), total);
    let pid = daemon.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    daemon.wait().unwrap();
    // Not a database: refused before anything is touched.
    let junk = env.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let out = run(&other, &["restore", "--from", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(content(&other).0.len(), total);
}
