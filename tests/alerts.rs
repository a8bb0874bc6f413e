//! Alert e-mails end to end: routing, grouping (200 signals of one story in 5 minutes),
//! the hourly cap with its overflow notice, and delivery over SMTP to a local sink.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use common::{smtp, src, Env};
use vigie::notify::alerts::{dispatch, AlertSignal};
use vigie::notify::email::Mailer;
use vigie::notify::route::Severity;
use vigie::notify::sender;

fn env_with(port: u16, alerts: &str) -> Env {
    let feed = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(feed.path(), common::rss("a", 5)).unwrap();
    let extra = format!(
        r#"
[smtp]
url = "smtp://127.0.0.1:{port}?tls=none"
from = "vigie <vigie@example.org>"

[[recipients]]
name = "Cellule communication"
email = "comms@example.org"
language = "fr"
alerts = true

[[recipients]]
name = "Woordvoerder"
email = "woordvoerder@example.org"
language = "nl"
alerts = true

[[recipients]]
name = "Security"
email = "security@example.org"
language = "en"

[digest]
enabled = false

{alerts}
"#
    );
    let env = Env::new(&[src("feed", "file://feed.xml")], &extra);
    std::fs::copy(feed.path(), env.path().join("feed.xml")).unwrap();
    env.run_once();
    env
}

fn signal(id: i64, at: DateTime<Utc>, severity: Severity, kind: &str, group: &str) -> AlertSignal {
    AlertSignal {
        id,
        kind: kind.into(),
        severity,
        topic: Some("phishing".into()),
        group_key: group.into(),
        title: "Faux SMS de remboursement au nom du SPF Impôts".into(),
        reason: format!("{id} messages en 10 minutes (moyenne 0,4)"),
        at,
        evidence: vec![1, 2],
        answer: BTreeMap::from([
            (
                "fr".to_string(),
                "Le SPF Impôts ne demande jamais vos données bancaires par SMS.".to_string(),
            ),
            (
                "nl".to_string(),
                "De FOD Belastingen vraagt nooit uw bankgegevens via sms.".to_string(),
            ),
            (
                "en".to_string(),
                "The Federal Tax Service never asks for bank details by text message.".to_string(),
            ),
        ]),
        answer_link: Some("https://impots-belastingen.example/phishing".into()),
        escalation: Some(7),
        figures: BTreeMap::new(),
    }
}

async fn deliver(env: &Env) -> usize {
    let cfg = vigie::config::Config::load(&env.config).unwrap();
    let store = vigie::store::Store::open(&cfg.storage.url, &cfg.base_dir())
        .await
        .unwrap();
    let mailer = Mailer::new(cfg.smtp.as_ref().unwrap(), &cfg.base_dir()).unwrap();
    let pass = sender::send_due(&store, &mailer, &cfg.smtp.as_ref().unwrap().sender())
        .await
        .unwrap();
    pass.sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_signals_of_one_story_in_five_minutes_give_at_most_three_emails_each() {
    let (sink, port) = smtp::start(0);
    let env = env_with(port, "[alerts]\nbase_url = \"https://vigie.example.org\"\n");
    let cfg = vigie::config::Config::load(&env.config).unwrap();
    let store = vigie::store::Store::open(&cfg.storage.url, &cfg.base_dir())
        .await
        .unwrap();
    let t0: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
    let mut signals = Vec::new();
    // One signal every 1.5 s for 5 minutes; the dispatcher ticks every 5 s (simulated clock).
    for i in 0..200 {
        signals.push(signal(
            i + 1,
            t0 + Duration::milliseconds(1500 * i),
            Severity::Warning,
            "volume_spike",
            "story:42",
        ));
    }
    let mut now = t0;
    while now <= t0 + Duration::minutes(5) {
        let seen: Vec<AlertSignal> = signals.iter().filter(|s| s.at <= now).cloned().collect();
        dispatch(&store, &cfg.notify(), &seen, now, "example.org")
            .await
            .unwrap();
        now += Duration::seconds(5);
    }
    deliver(&env).await;
    let msgs = sink.messages.lock().unwrap().clone();
    for who in ["comms@example.org", "woordvoerder@example.org"] {
        let n = msgs
            .iter()
            .filter(|m| smtp::header(m, "To").unwrap_or("").contains(who))
            .count();
        assert!((1..=3).contains(&n), "{who} got {n} e-mails");
    }
    assert!(
        !msgs
            .iter()
            .any(|m| smtp::header(m, "To").unwrap_or("").contains("security@")),
        "not routed to security"
    );
    // The French reader gets French, with the approved answer and the link to the escalation.
    let fr = msgs
        .iter()
        .find(|m| smtp::header(m, "To").unwrap().contains("comms@"))
        .unwrap();
    assert!(
        fr.contains("Pourquoi") && fr.contains("R=C3=A9ponse valid=C3=A9e")
            || fr.contains("Réponse validée"),
        "{fr}"
    );
    assert!(fr.contains("https://vigie.example.org/escalations/7"));
    let nl = msgs
        .iter()
        .find(|m| smtp::header(m, "To").unwrap().contains("woordvoerder@"))
        .unwrap();
    assert!(nl.contains("De FOD Belastingen vraagt nooit"), "{nl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_and_the_hourly_cap_with_one_overflow_notice() {
    let (sink, port) = smtp::start(0);
    let env = env_with(
        port,
        r#"[alerts]
group_wait = "0s"
max_per_hour = 2
[[alerts.routes]]
severity = ["critical"]
kinds = ["phishing"]
to = ["security@example.org"]
"#,
    );
    let cfg = vigie::config::Config::load(&env.config).unwrap();
    let store = vigie::store::Store::open(&cfg.storage.url, &cfg.base_dir())
        .await
        .unwrap();
    let now: DateTime<Utc> = "2026-11-24T10:00:00Z".parse().unwrap();
    let signals = vec![
        signal(1, now, Severity::Info, "volume_spike", "story:1"),
        signal(2, now, Severity::Critical, "phishing", "story:2"),
        signal(3, now, Severity::Warning, "volume_spike", "story:3"),
        signal(4, now, Severity::Warning, "volume_spike", "story:4"),
        signal(5, now, Severity::Warning, "volume_spike", "story:5"),
    ];
    let r = dispatch(&store, &cfg.notify(), &signals, now, "example.org")
        .await
        .unwrap();
    // comms and woordvoerder: 4 routable groups (info goes to nobody), cap 2 -> 2 alerts + 1 notice each;
    // security: the critical phishing one only.
    assert_eq!(r.alerts, 2 + 2 + 1, "{r:?}");
    assert_eq!(r.overflow, 2, "{r:?}");
    // Dispatching again in the same minute sends nothing new (state is in the database).
    let again = dispatch(&store, &cfg.notify(), &signals, now, "example.org")
        .await
        .unwrap();
    assert_eq!((again.alerts, again.overflow), (0, 0), "{again:?}");
    assert_eq!(deliver(&env).await, 7);
    let msgs = sink.messages.lock().unwrap().clone();
    let sec: Vec<&String> = msgs
        .iter()
        .filter(|m| smtp::header(m, "To").unwrap().contains("security@"))
        .collect();
    assert_eq!(sec.len(), 1);
    assert!(sec[0].contains("CRITICAL"), "{}", sec[0]);
    assert!(sec[0].contains("never asks for bank details"));
}
