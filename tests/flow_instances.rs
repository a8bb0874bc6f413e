//! Issue 13, acceptance: several daemons. Three on one PostgreSQL database, same config,
//! same burst: one signal per episode, one escalation, one alert e-mail per recipient and
//! group, one digest per recipient. A second daemon on the same SQLite file is refused.

mod common;

use std::time::{Duration, Instant};

use common::flow::{stop, wait_exit, Scenario, Setup, Snapshot};
use common::pg::PgDb;

fn pg_setup(url: &str) -> Setup {
    Setup {
        storage: Some(url.to_string()),
        digest: true,
        // Long enough that no instance reclaims a message another one is still sending.
        lease: "30s",
        ..Setup::default()
    }
}

/// Runs `n` daemons on the scenario until it has settled (plus a few more rounds for
/// latecomers to show), stops them, and returns what is stored and was received.
fn run_daemons(s: &Scenario, n: usize) -> Snapshot {
    let mut daemons: Vec<_> = (0..n)
        .map(|i| s.spawn_daemon(Some(&format!("daemon{i}.log"))))
        .collect();
    let t = Instant::now();
    let settled = s.wait_for(40, |x| x.settled(true));
    eprintln!(
        "{n} daemon(s): settled={} after {:?}: {}",
        settled.settled(true),
        t.elapsed(),
        settled.counts()
    );
    // Every daemon runs a detection and mail round at least every 5 s: give each time for
    // one more, so a duplicate it would make has the chance to appear.
    std::thread::sleep(Duration::from_secs(7));
    for d in &mut daemons {
        stop(d, Duration::from_secs(30));
    }
    s.snapshot()
}

fn report(s: &Scenario, snap: &Snapshot, n: usize) -> String {
    let signals: Vec<String> = snap
        .signals
        .iter()
        .map(|x| {
            format!(
                "{} {} {} {}",
                x["id"], x["kind"], x["severity"], x["group_key"]
            )
        })
        .collect();
    let logs: String = (0..n)
        .map(|i| {
            let log = s.log(&format!("daemon{i}.log"));
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            format!(
                "--- daemon{i} (last lines)\n{}\n",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
        .collect();
    format!(
        "{}\nsignals: {signals:#?}\nresends: {:?}\n{logs}",
        snap.counts(),
        snap.resends()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_daemon_on_postgres_gives_everything_exactly_once() {
    let db = PgDb::new().await;
    let s = Scenario::new(pg_setup(&db.url));
    let snap = tokio::task::block_in_place(|| run_daemons(&s, 1));
    let problems = snap.problems(true);
    let detail = report(&s, &snap, 1);
    db.drop_db().await;
    assert!(
        problems.is_empty(),
        "the scenario itself is broken on PostgreSQL (one daemon): {problems:#?}\n{detail}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_daemons_on_one_postgres_database_do_everything_once() {
    let db = PgDb::new().await;
    let s = Scenario::new(pg_setup(&db.url));
    let snap = tokio::task::block_in_place(|| run_daemons(&s, 3));
    let problems = snap.problems(true);
    let detail = report(&s, &snap, 3);
    db.drop_db().await;
    eprintln!("{detail}");
    assert!(
        problems.is_empty(),
        "three daemons on one PostgreSQL database did work more than once (or not at all): {problems:#?}\n{detail}"
    );
    assert!(
        snap.resends().is_empty(),
        "no daemon was killed, yet a Message-ID was received twice: {:?}",
        snap.resends()
    );
}

#[cfg(unix)]
#[test]
fn a_second_daemon_on_the_same_sqlite_file_is_refused_with_a_clear_message() {
    let s = Scenario::new(Setup::default());
    let mut first = s.spawn_daemon(Some("first.log"));
    // The first one is up and working.
    let snap = s.wait_for(20, |x| !x.mentions.is_empty());
    assert!(
        !snap.mentions.is_empty(),
        "the first daemon never stored anything:\n{}",
        s.log("first.log")
    );
    let mut second = common::vigie_cmd()
        .args(["run", "--config", s.config()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let exited = wait_exit(&mut second, Duration::from_secs(10));
    if exited.is_none() {
        common::flow::sigterm(&second);
        wait_exit(&mut second, Duration::from_secs(30));
        let _ = second.kill();
    }
    let out = second.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    stop(&mut first, Duration::from_secs(30));
    assert!(
        exited.is_some(),
        "a second daemon on the same SQLite file was not refused: still running after 10 s\nits logs:\n{err}"
    );
    assert!(
        !out.status.success(),
        "the second daemon exited with success: {:?}\n{err}",
        out.status
    );
    let lower = err.to_lowercase();
    assert!(
        lower.contains("lock") || lower.contains("another") || lower.contains("already"),
        "the refusal does not say another daemon holds the database:\n{err}"
    );
    assert!(
        err.contains("vigie.db"),
        "the refusal does not name the database file:\n{err}"
    );
}
