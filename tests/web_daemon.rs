//! The escalation page served by the real daemon: users added with `vigie user add`
//! (password on stdin), escalations opened from a feed (a question to the institution's
//! handle, a formal request), worked through HTTP and seen by the CLI; and the daemon's
//! logs never carry a password, a session or form token, or a citizen's personal data.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::web::hidden;
use common::{src, Env};

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Messages</title><link>https://inbox.example.org</link><description>x</description>
<item><title>Demande de réexamen</title><guid>m1</guid><link>https://inbox.example.org/m1</link>
<description>Bonjour SPF Impôts, je m'appelle Marie Dupont, j'habite 12 rue de la Loi, 1000 Bruxelles. Je demande le réexamen de mon avertissement-extrait de rôle. Mon e-mail : marie.dupont@example.be</description></item>
<item><title>MyTax</title><guid>m2</guid><link>https://inbox.example.org/m2</link>
<description>@SPFImpots quand MyTax sera-t-il rétabli ? Le SPF Impôts ne répond pas.</description></item>
<item><title>Merci</title><guid>m3</guid><link>https://inbox.example.org/m3</link>
<description>@SPFImpots merci, le SPF Impôts a répondu vite.</description></item>
</channel></rss>"#;

const PASSWORD: &str = "a long enough passphrase";
const INGEST_TOKEN: &str = "ingest-token-7f3a9c";

fn user_add(env: &Env, email: &str, role: &str, password: &str) -> std::process::Output {
    let mut child = common::vigie_cmd()
        .args([
            "user",
            "add",
            "--config",
            env.config.to_str().unwrap(),
            "--email",
            email,
            "--role",
            role,
            "--language",
            "fr",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[tokio::test]
async fn the_daemon_serves_the_page_and_logs_no_secret() {
    let env = Env::new(
        &[src("inbox", "file://inbox.xml")],
        "[[sources]]\nname = \"push\"\nkind = \"webhook\"\nclients = [{ name = \"x-export\", token_env = \"VIGIE_TEST_INGEST_TOKEN\" }]\n\n\
         [escalation]\nhandles = [\"@SPFImpots\"]\n\n[web]\nlisten = \"127.0.0.1:0\"\n",
    );
    std::fs::write(env.path().join("inbox.xml"), FEED).unwrap();

    let short = user_add(&env, "anna@example.be", "responder", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let bad_role = user_add(&env, "anna@example.be", "root", PASSWORD);
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("viewer, responder or admin"));
    let ok = user_add(&env, "anna@example.be", "responder", PASSWORD);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("anna@example.be (responder, fr)"));

    let mut cmd = common::vigie_cmd();
    cmd.env("VIGIE_LOG", "debug")
        .env("VIGIE_TEST_INGEST_TOKEN", INGEST_TOKEN)
        .args(["run", "--config", env.config.to_str().unwrap()]);
    let daemon = common::daemon::Daemon::spawn(cmd);
    let base = daemon.base.clone();

    // Escalations: the formal request and the question, not the thank-you.
    let list = |state: &str| {
        let out = env.vigie(&[
            "escalations",
            "--config",
            env.config.to_str().unwrap(),
            "--json",
            "--state",
            state,
        ]);
        common::json_lines(&out)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while list("new").len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let open = list("new");
    assert_eq!(open.len(), 2, "{open:?}");
    let question = open
        .iter()
        .find(|e| !e["formal_request"].as_bool().unwrap())
        .expect("the question");
    let qid = question["id"].as_i64().unwrap();

    // Work it through the page.
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("email", "anna@example.be"),
            ("password", PASSWORD),
            ("csrf", hidden(&login, "csrf").unwrap().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let session_cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("vigie_session="))
        .unwrap();
    let token = session_cookie.split(';').next().unwrap()["vigie_session=".len()..].to_string();
    let detail = c
        .get(format!("{base}/escalations/{qid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains("question addressed to @SPFImpots"),
        "{detail}"
    );
    let csrf = hidden(&detail, "csrf").unwrap();
    let r = c
        .post(format!("{base}/escalations/{qid}/act"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "answer"),
            ("body", "MyTax est de nouveau disponible."),
            ("channel", "mastodon"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let answered = list("answered");
    assert_eq!(answered.len(), 1);
    assert_eq!(answered[0]["id"].as_i64().unwrap(), qid);

    // Pushed mentions arrive on the same listener, with their own token, and become
    // escalations like the rest.
    let push = serde_json::json!({"mentions": [{
        "id": "x1",
        "url": "https://x.example/status/1",
        "text": "@SPFImpots pourquoi le SPF Impôts ne répond pas à mon message ?",
        "published_at": chrono::Utc::now().to_rfc3339(),
    }]});
    let r = reqwest::Client::new()
        .post(format!("{base}/ingest"))
        .json(&push)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);
    let r = reqwest::Client::new()
        .post(format!("{base}/ingest"))
        .bearer_auth(INGEST_TOKEN)
        .json(&push)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while list("new").len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        list("new").len(),
        2,
        "the formal request and the pushed question"
    );

    // Stop, and read every log line.
    let (stopped, logs) = daemon.stop();
    assert!(stopped, "{logs}");
    assert!(
        logs.contains("logged in"),
        "the login is logged (without secrets)"
    );
    for secret in [
        PASSWORD,
        token.as_str(),
        csrf.as_str(),
        "marie.dupont@example.be",
        "rue de la Loi",
        "Marie Dupont",
    ] {
        assert!(!logs.contains(secret), "{secret:?} appears in the logs");
    }
}
