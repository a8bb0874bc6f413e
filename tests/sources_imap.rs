//! The `imap` source against a real Dovecot, through the binary: new mail picked up and
//! left unseen, restarts without duplicates, a recreated folder (new UIDVALIDITY), a
//! formal request by e-mail opening an escalation with its legal deadlines, STARTTLS,
//! mark_seen and move_to, IDLE, a refused login; and config errors with their key paths.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;

use std::time::{Duration, Instant};

use common::{json_lines, vigie_cmd, Env};
use dovecot::{mail, Dovecot, PASSWORD};
use serde_json::Value;

const VAR: &str = "VIGIE_TEST_IMAP_PASSWORD";

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A vigie reading the mailbox: `sources` are `[[sources]]` blocks.
fn env(sources: &str) -> Env {
    Env::new(
        &[],
        &format!("{sources}\n[escalation]\ncountry = \"BE\"\nworking_hours = \"08:00-17:00\"\n"),
    )
}

/// `vigie run --once` with the mailbox's password; returns the logs.
fn run(env: &Env, password: &str) -> String {
    let logs = env.run_once_with(&[(VAR, password)]);
    assert!(
        !logs.contains(PASSWORD),
        "the password is in the logs: {logs}"
    );
    logs
}

/// Two messages from citizens, none naming the institution.
fn two() -> Vec<String> {
    vec![
        mail(
            "q1@citizen.example",
            "Jean Martin <Jean.Martin@citizen.example>",
            "Ma question",
            "Mon, 23 Nov 2026 10:00:00 +0100",
            "Bonjour,\nQuand recevrai-je une réponse à mon courrier ?\nJean Martin",
        ),
        mail(
            "q2@citizen.example",
            "an.peeters@citizen.example",
            "Vraag",
            "Mon, 23 Nov 2026 11:00:00 +0100",
            "Goedendag, wanneer krijg ik antwoord?",
        ),
    ]
}

fn titles(env: &Env) -> Vec<String> {
    let mut t: Vec<String> = env
        .mentions()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[test]
fn new_mail_is_picked_up_read_only_and_restarts_bring_no_duplicates() {
    let d = Dovecot::start();
    block_on(d.deliver("INBOX", &two()));
    let env = env(&d.source("mailbox", "INBOX", VAR, ""));
    let logs = run(&env, PASSWORD);
    let m = env.mentions();
    assert_eq!(m.len(), 2, "{logs}\n{}", d.log());
    for m in &m {
        assert_eq!(m["direct"], true, "{m}");
        assert_eq!(m["source"], "mailbox");
        assert_eq!(m["url"], Value::Null, "mail has no link: {m}");
        assert!(
            m["matched"].as_array().unwrap().is_empty(),
            "no keyword: {m}"
        );
    }
    let jean = m.iter().find(|m| m["title"] == "Ma question").unwrap();
    assert_eq!(jean["author"], "Jean Martin <jean.martin@citizen.example>");
    assert!(jean["text"].as_str().unwrap().contains("Quand recevrai-je"));
    assert_eq!(jean["published_at"], "2026-11-23T09:00:00Z");
    // Read-only: both still unseen on the server.
    assert_eq!(block_on(d.search("INBOX", "UNSEEN")), 2);
    assert!(
        !logs.contains("IDLE"),
        "a single round opens no IDLE connection: {logs}"
    );
    // A restart reads nothing twice; a new message is read alone.
    run(&env, PASSWORD);
    assert_eq!(env.mentions().len(), 2);
    block_on(d.deliver(
        "INBOX",
        &[mail(
            "q3@citizen.example",
            "marc@citizen.example",
            "Troisième",
            "Tue, 24 Nov 2026 09:00:00 +0100",
            "Un troisième message.",
        )],
    ));
    let logs = run(&env, PASSWORD);
    assert_eq!(env.mentions().len(), 3, "{logs}");
    assert!(logs.contains("items=1"), "only the new one is read: {logs}");
    assert_eq!(block_on(d.search("INBOX", "UNSEEN")), 3);
}

#[test]
fn a_recreated_folder_is_read_again_without_duplicates() {
    let d = Dovecot::start();
    block_on(d.deliver("Contact", &two()));
    let env = env(&d.source("mailbox", "Contact", VAR, ""));
    run(&env, PASSWORD);
    assert_eq!(env.mentions().len(), 2);
    // Deleted and made anew (as a restore would): same mail, one more, new UIDVALIDITY.
    let mut again = two();
    again.push(mail(
        "q3@citizen.example",
        "marc@citizen.example",
        "Après la restauration",
        "Tue, 24 Nov 2026 09:00:00 +0100",
        "Un nouveau message.",
    ));
    block_on(d.recreate("Contact", &again));
    let logs = run(&env, PASSWORD);
    assert!(logs.contains("UIDVALIDITY changed"), "{logs}");
    assert!(logs.contains("items=3") && logs.contains("new=1"), "{logs}");
    assert_eq!(
        titles(&env),
        ["Après la restauration", "Ma question", "Vraag"],
        "{logs}"
    );
    // And the new cursor holds.
    let logs = run(&env, PASSWORD);
    assert!(logs.contains("items=0"), "{logs}");
}

#[test]
fn a_formal_request_by_email_opens_an_escalation_with_its_deadlines() {
    let d = Dovecot::start();
    // An hour ago: its deadlines are still ahead (an overdue one would raise more).
    let sent = (chrono::Utc::now() - chrono::Duration::hours(1))
        .with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap());
    let sent = sent - chrono::Duration::nanoseconds(sent.timestamp_subsec_nanos() as i64);
    let body = "Madame, Monsieur,\n\nJe demande le remboursement du trop-perçu sur mon avertissement-extrait de rôle 2025.\n\nCordialement,\nMarie Dupont\n12 rue de la Loi, 1000 Bruxelles\nmarie.dupont@example.be";
    block_on(d.deliver(
        "INBOX",
        &[mail(
            "formal-1@example.be",
            "Marie Dupont <marie.dupont@example.be>",
            "Demande de remboursement",
            &sent.to_rfc2822(),
            body,
        )],
    ));
    let env = env(&d.source("mailbox", "INBOX", VAR, ""));
    let logs = run(&env, PASSWORD);
    assert!(
        !logs.contains("Marie") && !logs.contains("rue de la Loi"),
        "personal data in the logs: {logs}"
    );
    let out = vigie_cmd()
        .args([
            "escalations",
            "--config",
            env.config.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    let all = json_lines(&out);
    assert_eq!(all.len(), 1, "{logs}\n{all:#?}");
    let e = &all[0];
    assert_eq!(e["formal_request"], true, "{e}");
    for key in [
        "ack_due_at",
        "receipt_due_at",
        "decision_due_at",
        "silence_accept_at",
    ] {
        assert!(e[key].is_string(), "{key} missing: {e}");
    }
    let opened = chrono::DateTime::parse_from_rfc3339(e["opened_at"].as_str().unwrap()).unwrap();
    assert_eq!(opened, sent, "the clock starts when the mail was sent: {e}");
    // Read again, it opens nothing twice.
    run(&env, PASSWORD);
    let out = vigie_cmd()
        .args([
            "escalations",
            "--config",
            env.config.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(json_lines(&out).len(), 1);
}

#[test]
fn the_institutions_reply_in_its_sent_folder_answers_the_escalation() {
    let d = Dovecot::start();
    let asked = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc2822();
    let replied = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc2822();
    let body = "Madame, Monsieur,\n\nJe demande le remboursement du trop-perçu.\n\nCordialement,\nMarie Dupont\n12 rue de la Loi, 1000 Bruxelles\nmarie.dupont@example.be";
    block_on(d.deliver(
        "INBOX",
        &[mail(
            "ask-1@example.be",
            "Marie Dupont <marie.dupont@example.be>",
            "Remboursement",
            &asked,
            body,
        )],
    ));
    let reply = mail(
        "reply-1@institution.example",
        "Service contact <Contact@Institution.example>",
        "Re: Remboursement",
        &replied,
        "Madame, nous avons bien reçu votre demande.",
    )
    .replace(
        "\r\n\r\n",
        "\r\nIn-Reply-To: <ask-1@example.be>\r\nReferences: <ask-1@example.be>\r\n\r\n",
    );
    block_on(d.deliver("Sent", &[reply]));
    let env = env(&format!(
        "{}{}",
        d.source("mailbox", "INBOX", VAR, ""),
        d.source("sent", "Sent", VAR, "")
    ));
    let logs = run(&env, PASSWORD);
    let out = vigie_cmd()
        .args([
            "escalations",
            "--config",
            env.config.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    let all = json_lines(&out);
    assert_eq!(all.len(), 1, "the reply asks nothing: {logs}\n{all:#?}");
    assert_eq!(all[0]["formal_request"], true);
    assert_eq!(all[0]["state"], "answered", "{all:#?}");
    let answered =
        chrono::DateTime::parse_from_rfc3339(all[0]["answered_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        answered,
        chrono::DateTime::parse_from_rfc2822(&replied).unwrap()
    );
}

#[test]
fn a_backlog_is_read_max_messages_at_a_time() {
    let d = Dovecot::start();
    let mut msgs = two();
    msgs.push(mail(
        "q3@citizen.example",
        "marc@citizen.example",
        "Trois",
        "Tue, 24 Nov 2026 09:00:00 +0100",
        "3",
    ));
    block_on(d.deliver("INBOX", &msgs));
    let env = env(&d.source("mailbox", "INBOX", VAR, "max_messages = 2"));
    let logs = run(&env, PASSWORD);
    assert!(logs.contains("more new mail than max_messages"), "{logs}");
    assert_eq!(titles(&env), ["Ma question", "Vraag"]);
    run(&env, PASSWORD);
    assert_eq!(env.mentions().len(), 3);
    // `[fetch] max_items` caps it too: what the daemon would not take is left for later.
    let d = Dovecot::start();
    block_on(d.deliver("INBOX", &msgs));
    let env = Env::new(
        &[],
        &format!(
            "{}\n[fetch]\nmax_items = 1\n",
            d.source("mailbox", "INBOX", VAR, "")
        ),
    );
    for n in 1..=3 {
        let logs = run(&env, PASSWORD);
        assert_eq!(env.mentions().len(), n, "{logs}");
    }
}

#[test]
fn starttls_works_and_a_malformed_message_is_skipped() {
    let d = Dovecot::start();
    let mut msgs = two();
    msgs.truncate(1);
    msgs.push("\x00\x01 not an e-mail at all".into());
    block_on(d.deliver("INBOX", &msgs));
    let source = d
        .source("mailbox", "INBOX", VAR, "tls = \"starttls\"")
        .replace(
            &format!("port = {}", d.imaps),
            &format!("port = {}", d.imap),
        );
    let env = env(&source);
    let logs = run(&env, PASSWORD);
    assert_eq!(titles(&env), ["Ma question"], "{logs}\n{}", d.log());
    assert!(logs.contains("skipped=1"), "{logs}");
}

#[test]
fn mark_seen_and_move_to_act_once_mail_is_stored() {
    let d = Dovecot::start();
    block_on(d.deliver("INBOX", &two()));
    // "Traité" in IMAP's modified UTF-7, as vigie must spell it.
    block_on(async {
        let mut s = d.login().await;
        s.create("Trait&AOk-").await.unwrap();
        s.logout().await.unwrap();
    });
    let env = env(&d.source(
        "mailbox",
        "INBOX",
        VAR,
        "mark_seen = true\nmove_to = \"Traité\"",
    ));
    run(&env, PASSWORD);
    assert_eq!(env.mentions().len(), 2);
    assert_eq!(block_on(d.search("INBOX", "SEEN")), 2, "marked as read");
    assert_eq!(
        block_on(d.search("INBOX", "ALL")),
        2,
        "moved only once stored"
    );
    let logs = run(&env, PASSWORD);
    assert_eq!(block_on(d.search("INBOX", "ALL")), 0, "{logs}\n{}", d.log());
    assert_eq!(block_on(d.search("Trait&AOk-", "SEEN")), 2);
    assert_eq!(env.mentions().len(), 2);
}

#[test]
fn with_idle_new_mail_is_read_within_seconds() {
    let d = Dovecot::start();
    block_on(d.deliver("INBOX", &two()[..1]));
    // Polled every 10 minutes: only IDLE can bring the second message in time.
    let env = env(&d.source("mailbox", "INBOX", VAR, ""));
    let log = env.path().join("daemon.log");
    let mut daemon = vigie_cmd()
        .env(VAR, PASSWORD)
        .args(["run", "--config", env.config.to_str().unwrap()])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let wait_for = |what: &dyn Fn() -> bool, limit: u64| {
        let deadline = Instant::now() + Duration::from_secs(limit);
        while !what() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        what()
    };
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    let idling = wait_for(
        &|| logs().contains("IDLE: new mail is read as it arrives"),
        30,
    );
    assert!(idling, "{}", logs());
    assert_eq!(env.mentions().len(), 1, "{}", logs());
    let sent = Instant::now();
    block_on(d.deliver("INBOX", &two()[1..]));
    let read = wait_for(&|| env.mentions().len() == 2, 15);
    let took = sent.elapsed();
    common::flow::sigterm(&daemon);
    let stopped = common::flow::wait_exit(&mut daemon, Duration::from_secs(15));
    let logs = logs();
    assert!(read, "not read within 15 s: {logs}\n{}", d.log());
    assert!(took < Duration::from_secs(10), "took {took:?}: {logs}");
    assert!(stopped.is_some(), "shutdown hung: {logs}");
    assert!(!logs.contains(PASSWORD));
}

#[test]
fn a_refused_login_names_the_source_and_the_variable_not_the_password() {
    let d = Dovecot::start();
    let env = env(&d.source("mailbox", "INBOX", VAR, ""));
    let logs = run(&env, "not-the-Password-42");
    assert!(logs.contains("login refused"), "{logs}");
    assert!(logs.contains("mailbox") && logs.contains(VAR), "{logs}");
    assert!(!logs.contains("not-the-Password-42"), "{logs}");
    let signals = json_lines(
        &vigie_cmd()
            .args([
                "signals",
                "--config",
                env.config.to_str().unwrap(),
                "--json",
            ])
            .output()
            .unwrap(),
    );
    assert!(
        signals.iter().any(|s| s["kind"] == "source_unhealthy"),
        "{signals:#?}"
    );
    // Without the variable at all, the message says to set it.
    let out = vigie_cmd()
        .env_remove(VAR)
        .args(["run", "--config", env.config.to_str().unwrap(), "--once"])
        .output()
        .unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains(&format!("environment variable {VAR} is not set")),
        "{logs}"
    );
}

#[test]
fn each_failure_says_what_to_check() {
    let d = Dovecot::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let at = |port: u16| format!("port = {port}");
    let sources = [
        d.source("no-folder", "Nope", VAR, ""),
        d.source("no-ca", "INBOX", VAR, "")
            .replace(&format!("ca_file = \"{}\"\n", d.ca_file.display()), ""),
        d.source("plain-port", "INBOX", VAR, "")
            .replace(&at(d.imaps), &at(d.imap)),
        d.source("nobody", "INBOX", VAR, "")
            .replace(&at(d.imaps), &at(closed)),
    ];
    let env = env(&sources.concat());
    let logs = run(&env, PASSWORD);
    let line = |source: &str| {
        logs.lines()
            .find(|l| l.contains("poll failed") && l.contains(&format!("source=\"{source}\"")))
            .unwrap_or_else(|| panic!("no failure for {source}: {logs}"))
            .to_string()
    };
    assert!(
        line("no-folder").contains("cannot open folder \"Nope\""),
        "{logs}"
    );
    assert!(
        line("no-ca").contains("name that CA's PEM file in ca_file"),
        "{logs}"
    );
    assert!(
        line("plain-port").contains("set tls = \"starttls\""),
        "{logs}"
    );
    assert!(
        line("nobody").contains(&format!("cannot connect to 127.0.0.1:{closed}")),
        "{logs}"
    );
}

#[test]
fn config_errors_name_their_keys() {
    let ok = "name = \"mailbox\"\nkind = \"imap\"\nhost = \"imap.example.be\"\nusername = \"contact@example.be\"\npassword_env = \"VIGIE_IMAP_PASSWORD\"\nevery = \"5m\"\n";
    let c = common::sources::config(ok).expect("the minimal config");
    assert_eq!(c.name(), "mailbox");
    assert_eq!(c.every(), Duration::from_secs(300));
    for (change, path, words) in [
        ("tls = \"none\"", "sources[0].tls", "unknown variant"),
        ("port = 143", "sources[0].port", "STARTTLS port"),
        (
            "tls = \"starttls\"\nport = 993",
            "sources[0].port",
            "IMAPS port",
        ),
        ("folder = \"\"", "sources[0].folder", "is empty"),
        (
            "move_to = \"INBOX\"",
            "sources[0].move_to",
            "another folder",
        ),
        ("max_messages = 0", "sources[0].max_messages", "at least 1"),
        (
            "max_message_kib = 0",
            "sources[0].max_message_kib",
            "at least 1",
        ),
        (
            "mark_seen = \"yes\"",
            "sources[0].mark_seen",
            "invalid type",
        ),
        (
            "imap_password = \"x\"",
            "sources[0].imap_password",
            "unknown field",
        ),
    ] {
        let errors = common::sources::config(&format!("{ok}{change}\n")).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("{path}:")) && e.contains(words)),
            "{change}: {errors:?}"
        );
    }
    let bad = ok
        .replace("imap.example.be", "imaps://imap.example.be")
        .replace("\"VIGIE_IMAP_PASSWORD\"", "\"hunter2 secret\"");
    let errors = common::sources::config(&bad).unwrap_err();
    assert!(
        errors.iter().any(|e| e.starts_with("sources[0].host:")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("sources[0].password_env:")),
        "{errors:?}"
    );
    let errors =
        common::sources::config(&ok.replace("password_env", "# password_env")).unwrap_err();
    assert!(
        errors.iter().any(|e| e.contains("password_env")),
        "{errors:?}"
    );
}
