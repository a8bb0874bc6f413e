//! The escalation page in a real browser (Debian's chromium through chromedriver, by
//! WebDriver): log in, filter the list, open an escalation, acknowledge, assign, answer
//! with the suggested approved text, and see it leave the open list. Screenshots of the
//! list and the detail page go to target/screenshots (and to docs/ with
//! VIGIE_UPDATE_SCREENSHOTS=1).

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::web::{start, PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use vigie::web::users::Role;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromedriver() -> Option<String> {
    std::env::var("CHROMEDRIVER")
        .ok()
        .or_else(|| Some("/usr/bin/chromedriver".to_string()))
        .filter(|p| std::path::Path::new(p).exists())
}

async fn browser() -> (Client, Driver) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(bin) = chromedriver() else {
        panic!(
            "chromedriver not found: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver), as .ci/run does"
        );
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let mut caps = serde_json::Map::new();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=en-GB"]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for attempt in 0.. {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return (c, driver),
            Err(e) if attempt < 50 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("cannot start a browser session: {e}"),
        }
    }
    unreachable!()
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{name}: not a real screenshot"
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), &png).unwrap();
    if std::env::var("VIGIE_UPDATE_SCREENSHOTS").is_ok() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join(name), &png).unwrap();
    }
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits (up to 10 s) until `css` holds `want`: a submitted form loads the next page
/// asynchronously, and the old page's elements go stale meanwhile.
async fn wait_text(c: &Client, css: &str, want: &str) {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t == want {
                    return;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never showed {want:?} (last: {last:?})");
}

/// Waits (up to 10 s) until the page's URL satisfies `ok`.
async fn wait_url(c: &Client, ok: impl Fn(&url::Url) -> bool) {
    for _ in 0..200 {
        if let Ok(u) = c.current_url().await {
            if ok(&u) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page never reached the expected address");
}

/// Opens the site, is sent to the login form, logs in, and lands on the list.
async fn login(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(c, |u| u.path() == "/").await;
}

/// Recurring questions (#18): an administrator opens the top content gap, writes its
/// answer in three languages and saves; the next such question's escalation has it in
/// the answer form; a viewer gets no answer form.
#[tokio::test]
async fn an_admin_answers_a_content_gap_in_the_browser() {
    let app = start(None, "").await;
    app.user("ada@example.be", Role::Admin, "en").await;
    app.user("vic@example.be", Role::Viewer, "nl").await;
    let now = chrono::Utc::now();
    let questions: Vec<vigie::core::model::NewMention> = [
        ("a", "Quand vais-je recevoir mon remboursement ?", "fr"),
        ("b", "Wanneer krijg ik mijn terugbetaling?", "nl"),
        ("c", "Still no refund, when does it come?", "en"),
        ("d", "MyMinfin est en panne ?", "fr"),
    ]
    .into_iter()
    .map(|(key, text, lang)| vigie::core::model::NewMention {
        keys: vec![key.into()],
        source: "mastodon".into(),
        text: text.into(),
        published_at: Some(now - chrono::Duration::hours(3)),
        lang: lang.into(),
        lang_confidence: 0.9,
        question: true,
        ..Default::default()
    })
    .collect();
    app.store.ingest(&questions, now).await.unwrap();
    let (c, _driver) = browser().await;
    login(&c, &app.base, "ada@example.be").await;
    c.goto(&format!("{}/questions", app.base)).await.unwrap();
    assert_eq!(text_of(&c, "#gaps").await, "Content gaps: 1");
    shot(&c, "questions.png").await;
    c.find(Locator::Css("#q-1 summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let answers = [
        (
            "fr",
            "Les remboursements partent dans les six mois après la déclaration.",
        ),
        (
            "nl",
            "Terugbetalingen volgen binnen zes maanden na de aangifte.",
        ),
        ("en", "Refunds are paid within six months of the return."),
    ];
    for (lang, text) in answers {
        c.find(Locator::Css(&format!("#answer-1 textarea[name={lang}]")))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    c.find(Locator::Css("#answer-1 button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#gaps", "Content gaps: 0").await;
    let stored = app.store.approved_answers().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].by, "ada@example.be");

    // The next such question opens an escalation whose answer form holds the answer,
    // in the reader's language.
    let (e, _) = app
        .escalation(
            "next",
            "@SPFFinances toujours pas de remboursement, quand vais-je le recevoir ?",
            "fr",
            "warning",
            false,
        )
        .await;
    c.goto(&format!("{}/escalations/{e}", app.base))
        .await
        .unwrap();
    let body = c.find(Locator::Id("answer-body")).await.unwrap();
    assert_eq!(
        body.prop("value").await.unwrap().unwrap_or_default().trim(),
        answers[2].1
    );

    // A viewer reads the questions but gets no answer form.
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(&c, |u| u.path().starts_with("/login")).await;
    login(&c, &app.base, "vic@example.be").await;
    c.goto(&format!("{}/questions", app.base)).await.unwrap();
    assert!(text_of(&c, "h1").await.contains("Terugkerende vragen"));
    assert!(c
        .find(Locator::Css("form[action='/questions/answer']"))
        .await
        .is_err());
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_responder_works_an_escalation_in_the_browser() {
    let app = start(None, "").await;
    app.user("anna@example.be", Role::Responder, "en").await;
    let (e1, _) = app
        .escalation(
            "a",
            "@SPFFinances MyMinfin est en panne depuis ce matin, impossible de rentrer ma déclaration ?",
            "fr",
            "critical",
            false,
        )
        .await;
    let (e2, _) = app
        .escalation(
            "b",
            "@FODFinancien hoe wijzig ik mijn rekeningnummer?",
            "nl",
            "info",
            false,
        )
        .await;
    app.escalation(
        "c",
        "Bonjour, je m'appelle Marie Dupont, j'habite 12 rue de la Loi, 1000 Bruxelles. Je demande le réexamen de ma taxe. Mon e-mail : marie.dupont@example.be",
        "fr",
        "warning",
        true,
    )
    .await;
    let (c, _driver) = browser().await;

    // Any page leads to the login form first.
    login(&c, &app.base, "anna@example.be").await;
    let row = |id: i64| format!("#esc-{id}");
    assert!(c.find(Locator::Css(&row(e1))).await.is_ok());
    assert!(c.find(Locator::Css(&row(e2))).await.is_ok());
    shot(&c, "escalations-list.png").await;

    // Filter: critical only.
    c.find(Locator::Id("f-severity"))
        .await
        .unwrap()
        .select_by_value("critical")
        .await
        .unwrap();
    c.find(Locator::Id("f-apply"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(&c, |u| {
        u.query().unwrap_or("").contains("severity=critical")
    })
    .await;
    assert!(c.find(Locator::Css(&row(e1))).await.is_ok());
    assert!(c.find(Locator::Css(&row(e2))).await.is_err());

    // Open it.
    c.find(Locator::Css(&format!("{} a", row(e1))))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_url(&c, |u| u.path() == format!("/escalations/{e1}")).await;
    wait_text(&c, "#state", "New").await;
    c.find(Locator::Id("act-ack"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#state", "Acknowledged").await;
    c.find(Locator::Id("assign-to"))
        .await
        .unwrap()
        .send_keys("bert@example.be")
        .await
        .unwrap();
    c.find(Locator::Id("act-assign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#state", "Assigned").await;
    assert_eq!(text_of(&c, "#assignee").await, "bert@example.be");
    // The answer form holds the approved answer, in the reader's language.
    let suggested = text_of(&c, "#suggested").await;
    assert!(
        suggested.starts_with("MyMinfin is temporarily unavailable"),
        "{suggested}"
    );
    let body = c.find(Locator::Id("answer-body")).await.unwrap();
    assert_eq!(
        body.prop("value").await.unwrap().unwrap_or_default().trim(),
        suggested.trim()
    );
    shot(&c, "escalation-detail.png").await;
    c.find(Locator::Id("act-answer"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "#state", "Answered").await;
    let history = text_of(&c, "#history").await;
    for step in [
        "New",
        "Acknowledged",
        "Assigned",
        "Answered",
        "anna@example.be",
    ] {
        assert!(
            history.contains(step),
            "{step} missing from history: {history}"
        );
    }

    // Gone from the open list.
    c.goto(&format!("{}/", app.base)).await.unwrap();
    assert!(c.find(Locator::Css(&row(e1))).await.is_err());
    assert!(c.find(Locator::Css(&row(e2))).await.is_ok());
    let stored = app.store.answers(e1).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0]
        .body
        .as_deref()
        .unwrap()
        .starts_with("MyMinfin is temporarily unavailable"));

    // On a phone the list still reads (cards instead of a table).
    c.set_window_size(390, 844).await.unwrap();
    shot(&c, "escalations-list-phone.png").await;
    c.close().await.unwrap();
}
