//! The escalation list through the binary: a formal request in a feed opens an escalation
//! with legal deadlines; people move it along; the history and export show who did what.

mod common;

use common::{src, Env};

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Messages</title><link>https://inbox.example.org</link><description>x</description>
<item><title>Demande de réexamen</title><guid>m1</guid><link>https://inbox.example.org/m1</link>
<description>Bonjour SPF Impôts, je m'appelle Marie Dupont, j'habite 12 rue de la Loi, 1000 Bruxelles. Je demande le réexamen de mon avertissement-extrait de rôle. Mon e-mail : marie.dupont@example.be</description></item>
<item><title>Question MyTax</title><guid>m2</guid><link>https://inbox.example.org/m2</link>
<description>Bonjour, MyTax est en panne, quand sera-t-il rétabli ?</description></item>
</channel></rss>"#;

fn setup() -> Env {
    let env = Env::new(
        &[src("inbox", "file://inbox.xml")],
        "[escalation]\ncountry = \"BE\"\nworking_hours = \"08:00-17:00\"\n",
    );
    std::fs::write(env.path().join("inbox.xml"), FEED).unwrap();
    env.run_once();
    env
}

fn list(env: &Env, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec![
        "escalations",
        "--config",
        env.config.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = env.vigie(&args);
    common::json_lines(&out)
}

fn act(env: &Env, args: &[&str]) -> std::process::Output {
    let mut a = vec!["escalations", "--config", env.config.to_str().unwrap()];
    a.extend_from_slice(args);
    env.vigie(&a)
}

#[test]
fn a_formal_request_opens_an_escalation_with_its_deadlines() {
    let env = setup();
    let all = list(&env, &[]);
    assert_eq!(
        all.len(),
        1,
        "only the identified sender is a formal request: {all:#?}"
    );
    let e = &all[0];
    for key in [
        "id",
        "state",
        "severity",
        "topic",
        "opened_at",
        "due_at",
        "assignee",
        "formal_request",
        "mention_ids",
    ] {
        assert!(e.get(key).is_some(), "missing {key}");
    }
    assert_eq!(e["state"], "new");
    assert_eq!(e["formal_request"], true);
    assert_eq!(
        e["formal_elements"],
        serde_json::json!(["name", "address", "email", "request"])
    );
    assert_eq!(e["mention_ids"].as_array().unwrap().len(), 1);
    for key in [
        "ack_due_at",
        "receipt_due_at",
        "decision_due_at",
        "silence_accept_at",
    ] {
        assert!(e[key].is_string(), "{key} missing: {e}");
    }
    // The personal data never reaches the logs.
    let logs = env.run_once();
    assert!(
        !logs.contains("Marie") && !logs.contains("marie.dupont"),
        "{logs}"
    );
    // Running again does not open it twice.
    assert_eq!(list(&env, &[]).len(), 1);
}

#[test]
fn people_move_it_along_and_the_history_shows_who_did_what() {
    let env = setup();
    let id = list(&env, &[])[0]["id"].as_i64().unwrap().to_string();
    // Closing a new escalation is refused with a clear message.
    let out = act(&env, &["close", &id, "--by", "anne@example.org"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot close an escalation that is new"));
    // Dismissing needs a reason.
    let out = act(&env, &["dismiss", &id, "--by", "anne@example.org"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--note"));
    for (args, state) in [
        (vec!["ack", &id, "--by", "anne@example.org"], "acknowledged"),
        (
            vec![
                "assign",
                &id,
                "--by",
                "anne@example.org",
                "--to",
                "bart@example.org",
                "--note",
                "juriste",
            ],
            "assigned",
        ),
        (
            vec![
                "answer",
                &id,
                "--by",
                "bart@example.org",
                "--note",
                "accusé de réception envoyé par e-mail",
            ],
            "answered",
        ),
    ] {
        let out = act(&env, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(state));
    }
    let e = &list(&env, &[])[0];
    assert_eq!(e["state"], "answered");
    assert_eq!(e["assignee"], "bart@example.org");
    assert!(list(&env, &["--state", "new"]).is_empty());
    assert_eq!(list(&env, &["--state", "answered"]).len(), 1);
    let out = act(&env, &["close", &id, "--by", "bart@example.org"]);
    assert!(out.status.success());
    let out = act(&env, &["export", "--format", "csv"]);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("id,state,severity,topic,reason,opened_at,due_at"));
    let row = lines.next().unwrap();
    for needle in [
        "closed",
        "anne@example.org new→acknowledged",
        "→ bart@example.org: juriste",
        "bart@example.org assigned→answered",
        "answered→closed",
    ] {
        assert!(row.contains(needle), "{needle} not in {row}");
    }
}

#[test]
fn the_digest_lists_open_escalations_and_formal_requests() {
    let env = setup();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let out = env.vigie(&[
        "digest",
        "--config",
        env.config.to_str().unwrap(),
        "--date",
        &today,
        "--stdout",
        "--format",
        "text",
        "--language",
        "fr",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Liste d'escalade: Ouvertes 1, En retard 0, Demandes formelles 1"),
        "{text}"
    );
}
