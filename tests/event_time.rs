//! Event time (#15, first slice) through the real binary: a formal request written on a
//! Friday at 17:55 before Easter Monday 2026 and read by vigie months later keeps the
//! deadlines of the day it was written, is marked late, and is overdue at once.

mod common;

use common::{src, Env};

const FORMAL: &str = "Bonjour, je m'appelle Marie Dupont, j'habite 12 rue de la Loi, 1000 Bruxelles. Je demande au SPF Impôts le réexamen de mon avertissement-extrait de rôle. Mon e-mail : marie.dupont@example.be";

fn feed(pub_date: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://news.example.org/</link><description>d</description>\
         <item><title>Demande</title><link>https://news.example.org/1</link><guid isPermaLink=\"false\">g1</guid>\
         <description>{FORMAL}</description><pubDate>{pub_date}</pubDate></item></channel></rss>\n"
    )
}

fn escalations(env: &Env) -> Vec<serde_json::Value> {
    let out = env.vigie(&[
        "escalations",
        "--config",
        env.config.to_str().unwrap(),
        "--json",
    ]);
    common::json_lines(&out)
}

#[test]
fn a_message_read_late_keeps_the_deadlines_of_the_day_it_was_written() {
    let env = Env::new(
        &[src("inbox", "file://inbox.xml")],
        "[escalation]\ncountry = \"BE\"\nworking_hours = \"08:00-17:00\"\n",
    );
    // Friday 3 April 2026, 17:55 in Brussels (CEST): after hours, before Easter Monday.
    std::fs::write(
        env.path().join("inbox.xml"),
        feed("Fri, 03 Apr 2026 15:55:00 GMT"),
    )
    .unwrap();
    env.run_once();
    let e = escalations(&env);
    assert_eq!(e.len(), 1, "{e:?}");
    let e = &e[0];
    assert_eq!(e["formal_request"], true, "{e}");
    assert_eq!(e["opened_at"], "2026-04-03T15:55:00Z", "{e}");
    // One working day from Friday after hours: Monday is Easter Monday, so Tuesday 17:00.
    assert_eq!(e["due_at"], "2026-04-07T15:00:00Z", "{e}");
    assert_eq!(e["ack_due_at"], "2026-04-07T15:00:00Z", "{e}");
    assert_eq!(e["receipt_due_at"], "2026-04-13T15:55:00Z", "{e}");
    assert_eq!(e["decision_due_at"], "2026-06-03T15:55:00Z", "{e}");
    assert_eq!(e["late"], true, "{e}");
    assert_eq!(e["overdue"], true, "{e}");
    let m = &env.mentions()[0];
    assert_eq!(m["event_at"], "2026-04-03T15:55:00Z", "{m}");
    assert_eq!(m["late"], true, "{m}");
    assert!(e["answered_at"].is_null(), "{e}");
    // Answered now: answered_at says when, the deadline stays the one it had.
    let id = e["id"].to_string();
    let out = env.vigie(&[
        "escalations",
        "--config",
        env.config.to_str().unwrap(),
        "answer",
        &id,
        "--by",
        "anna@example.be",
        "--text",
        "Votre demande est enregistrée.",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = &escalations(&env)[0];
    let answered: chrono::DateTime<chrono::Utc> =
        e["answered_at"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now() - answered).num_minutes() < 10, "{e}");
    assert_eq!(e["due_at"], "2026-04-07T15:00:00Z", "{e}");
    let seen: chrono::DateTime<chrono::Utc> = e["seen_at"].as_str().unwrap().parse().unwrap();
    assert!(
        (chrono::Utc::now() - seen).num_minutes() < 10,
        "seen_at is when vigie opened it: {e}"
    );
}

#[test]
fn a_date_in_the_future_counts_from_when_it_was_seen() {
    let env = Env::new(&[src("inbox", "file://inbox.xml")], "");
    std::fs::write(
        env.path().join("inbox.xml"),
        feed("Mon, 01 Jan 2035 10:00:00 GMT"),
    )
    .unwrap();
    env.run_once();
    let e = &escalations(&env)[0];
    // A clock in the future is not believed: the clocks start when vigie first saw it.
    let at = |k: &str| -> chrono::DateTime<chrono::Utc> { e[k].as_str().unwrap().parse().unwrap() };
    assert!(at("opened_at") <= at("seen_at"), "{e}");
    assert!((at("seen_at") - at("opened_at")).num_seconds() < 60, "{e}");
    assert_eq!(e["late"], false, "{e}");
}

/// The page shows both times when a message was read late.
#[tokio::test]
async fn the_page_says_when_it_was_written_and_when_it_was_seen() {
    use vigie::web::users::Role;
    let app = common::web::start(None, "").await;
    app.user("agent@example.be", Role::Responder, "en").await;
    let (_, m) = app
        .escalation("k", "MyMinfin down?", "fr", "info", false)
        .await;
    let now = chrono::Utc::now();
    let written = now - chrono::Duration::days(3);
    let stage = vigie::escalate::stage::Escalate::new(app.cfg.escalation.clone(), app.cfg.tz());
    let o = vigie::escalate::open::Opening {
        severity: "warning".into(),
        topic: None,
        reason: "late one".into(),
        mention_ids: vec![m],
        formal: None,
        dedup_key: Some("late".into()),
    };
    let e = app
        .store
        .escalate_mentions(&[m], &[(m, stage.new_escalation(&o, written, now))], now)
        .await
        .unwrap()[0]
        .1;
    let c = app.client();
    app.login(&c, "agent@example.be", common::web::PASSWORD)
        .await;
    let html = c
        .get(format!("{}/escalations/{e}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"written\"") && html.contains("id=\"seen\""),
        "{html}"
    );
    assert!(html.contains("Seen by vigie"), "{html}");
}

fn burst(n: usize, pub_date: &str) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://news.example.org/</link><description>d</description>");
    for i in 0..n {
        s.push_str(&format!(
            "<item><title>MyTax en panne {i}</title><link>https://news.example.org/b/{i}</link><guid isPermaLink=\"false\">b{i}</guid>\
             <description>Le SPF Impôts : MyTax en panne, site inaccessible, scandale numéro {i} pour les contribuables de la région {i}.</description><pubDate>{pub_date}</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn window_signals(env: &Env) -> Vec<String> {
    let out = env.vigie(&[
        "signals",
        "--config",
        env.config.to_str().unwrap(),
        "--json",
    ]);
    common::json_lines(&out)
        .into_iter()
        .map(|s| s["kind"].as_str().unwrap_or("").to_string())
        .filter(|k| ["volume_spike", "negative_surge", "crisis_vocabulary"].contains(&k.as_str()))
        .collect()
}

/// A backlog of old posts read at once is no burst; the same posts written just now are.
#[test]
fn old_items_read_at_once_raise_no_window_signal_and_a_fresh_burst_does() {
    let old = Env::new(&[src("inbox", "file://inbox.xml")], "");
    std::fs::write(
        old.path().join("inbox.xml"),
        burst(12, "Mon, 23 Nov 2026 10:00:00 GMT"),
    )
    .unwrap();
    old.run_once();
    assert_eq!(old.mentions().len(), 12);
    assert_eq!(window_signals(&old), Vec::<String>::new());

    let fresh = Env::new(&[src("inbox", "file://inbox.xml")], "");
    let now = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc2822();
    std::fs::write(fresh.path().join("inbox.xml"), burst(12, &now)).unwrap();
    fresh.run_once();
    assert!(
        window_signals(&fresh).contains(&"crisis_vocabulary".to_string()),
        "{:?}",
        window_signals(&fresh)
    );
}

/// The digest counts a post on the day it was written, even when vigie read it later.
#[test]
fn the_digest_counts_a_post_on_the_day_it_was_written() {
    let env = Env::new(&[src("inbox", "file://inbox.xml")], "");
    let written = chrono::Utc::now() - chrono::Duration::days(3);
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://news.example.org/</link><description>d</description>\
         <item><title>Le SPF Impôts prolonge le délai unique-titre-42</title><link>https://news.example.org/42</link><guid isPermaLink=\"false\">g42</guid>\
         <description>Le SPF Impôts prolonge le délai de la déclaration.</description><pubDate>{}</pubDate></item></channel></rss>\n",
        written.to_rfc2822()
    );
    std::fs::write(env.path().join("inbox.xml"), feed).unwrap();
    env.run_once();
    let day = |d: chrono::DateTime<chrono::Utc>| {
        d.with_timezone(&chrono_tz::Europe::Brussels)
            .date_naive()
            .to_string()
    };
    let digest = |date: &str| {
        let out = env.vigie(&[
            "digest",
            "--config",
            env.config.to_str().unwrap(),
            "--date",
            date,
            "--stdout",
            "--format",
            "text",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(
        digest(&day(written)).contains("unique-titre-42"),
        "the day it was written"
    );
    assert!(
        !digest(&day(chrono::Utc::now())).contains("unique-titre-42"),
        "not the day it was read"
    );
}
