//! Issue 13, acceptance: an SMTP server that accepts connections and never answers must
//! hold up neither detection nor escalation, nor shutdown. The daemon has e-mail waiting
//! (the daily digest, due at start) when the outage burst arrives.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::flow::{sigterm, wait_exit, Scenario, Setup};

/// What "within the usual delay" allows between the burst being stored and its signal,
/// its escalation and the formal request's escalation (the daemon's detection round
/// runs when classification finishes, and at least every 5 s).
const USUAL_DELAY: Duration = Duration::from_secs(10);
const STOP_WITHIN: Duration = Duration::from_secs(10);

struct Timings {
    signal: Option<Duration>,
    signal_escalation: Option<Duration>,
    formal_escalation: Option<Duration>,
    stop: Option<Duration>,
    logs: String,
}

/// Starts the daemon with the digest due and an empty feed, waits until it has tried to
/// send, then publishes the burst and measures; finally SIGTERM.
fn run(stalled: bool) -> Timings {
    let s = Scenario::new(Setup {
        digest: true,
        every: "10s",
        feed_now: false,
        ..Setup::default()
    });
    s.sink.stall.store(stalled, Ordering::SeqCst);
    std::fs::write(
        s.env.path().join("posts.xml"),
        "<rss version=\"2.0\"><channel><title>Posts</title><link>https://posts.example.org</link><description>x</description></channel></rss>",
    )
    .unwrap();
    let mut daemon = s.spawn_daemon(Some("daemon.log"));
    // The digest is queued and the sender has reached the server.
    let queued = s.wait_for(20, |x| {
        x.outbox_of("digest").len() == 2 && s.sink.connections.load(Ordering::SeqCst) > 0
    });
    assert_eq!(
        queued.outbox_of("digest").len(),
        2,
        "the digest was not queued: {}\n{}",
        queued.counts(),
        s.log("daemon.log")
    );
    assert!(s.sink.connections.load(Ordering::SeqCst) > 0);
    std::thread::sleep(Duration::from_millis(500));
    s.write_feed();
    // The burst is fetched (stored) ...
    let fetched = s.wait_for(20, |x| x.mentions.len() == s.mentions());
    assert_eq!(
        fetched.mentions.len(),
        s.mentions(),
        "the burst was never fetched\n{}",
        s.log("daemon.log")
    );
    let t0 = Instant::now();
    // ... then its signal and escalations, each measured from the fetch.
    let mut signal = None;
    let mut signal_escalation = None;
    let mut formal_escalation = None;
    while t0.elapsed() < USUAL_DELAY + Duration::from_secs(2) {
        let x = s.snapshot();
        if signal.is_none() && x.crisis_signals() > 0 {
            signal = Some(t0.elapsed());
        }
        if signal_escalation.is_none() && x.signal_escalations() > 0 {
            signal_escalation = Some(t0.elapsed());
        }
        if formal_escalation.is_none() && x.formal_escalations() > 0 {
            formal_escalation = Some(t0.elapsed());
        }
        if signal.is_some() && signal_escalation.is_some() && formal_escalation.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    sigterm(&daemon);
    let stop = wait_exit(&mut daemon, STOP_WITHIN);
    if stop.is_none() {
        let _ = daemon.kill();
        let _ = daemon.wait();
    }
    Timings {
        signal,
        signal_escalation,
        formal_escalation,
        stop,
        logs: s.log("daemon.log"),
    }
}

fn check(t: &Timings, what: &str) {
    eprintln!(
        "{what}: signal after {:?}, its escalation after {:?}, formal-request escalation after {:?}, stopped after SIGTERM in {:?}",
        t.signal, t.signal_escalation, t.formal_escalation, t.stop
    );
    let mut problems = Vec::new();
    if t.signal.is_none_or(|d| d > USUAL_DELAY) {
        problems.push(format!(
            "crisis signal not raised within {USUAL_DELAY:?} of the burst being fetched (took {:?})",
            t.signal
        ));
    }
    if t.signal_escalation.is_none_or(|d| d > USUAL_DELAY) {
        problems.push(format!(
            "the signal's escalation not opened within {USUAL_DELAY:?} of the burst being fetched (took {:?})",
            t.signal_escalation
        ));
    }
    if t.formal_escalation.is_none_or(|d| d > USUAL_DELAY) {
        problems.push(format!(
            "the formal-request escalation not opened within {USUAL_DELAY:?} of the burst being fetched (took {:?})",
            t.formal_escalation
        ));
    }
    if t.stop.is_none() {
        problems.push(format!(
            "SIGTERM did not stop the daemon within {STOP_WITHIN:?}"
        ));
    }
    let tail: Vec<&str> = t.logs.lines().rev().take(20).collect();
    assert!(
        problems.is_empty(),
        "{what}: {problems:#?}\nlast log lines:\n{}",
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
}

#[cfg(unix)]
#[test]
fn with_a_working_smtp_server_the_scenario_meets_the_same_bounds() {
    check(&run(false), "working SMTP server");
}

#[cfg(unix)]
#[test]
fn an_smtp_server_that_never_answers_holds_up_neither_detection_nor_shutdown() {
    check(&run(true), "SMTP server that never answers");
}
