//! The escalation page over real HTTP: login, sessions, CSRF, roles, rate limiting, the
//! list's filters, the actions and their history, /metrics; on SQLite and PostgreSQL.

mod common;

use common::web::{hidden, start, WebApp, PASSWORD};
use reqwest::StatusCode;
use vigie::web::users::Role;

const FORMAL: &str =
    "Bonjour, je m'appelle Marie Dupont, j'habite 12 rue de la Loi, 1000 Bruxelles. \
Je demande le réexamen de mon avertissement-extrait de rôle. Mon e-mail : marie.dupont@example.be";

async fn page(app: &WebApp, c: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_route_without_a_session_goes_to_login() {
    let app = start(None, "").await;
    let (e, _) = app
        .escalation(
            "a",
            "@SPFFinances MyMinfin est en panne ?",
            "fr",
            "warning",
            false,
        )
        .await;
    let c = app.client();
    for path in [
        "/",
        "/?state=all",
        &format!("/escalations/{e}"),
        "/stats",
        "/questions",
        "/metrics",
    ] {
        let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(
            location(&r).starts_with("/login"),
            "{path}: {}",
            location(&r)
        );
    }
    for path in [format!("/escalations/{e}/act"), "/logout".to_string()] {
        let r = c
            .post(format!("{}{path}", app.base))
            .form(&[("csrf", "x"), ("action", "ack")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/login", "{path}");
    }
    // Nothing changed, and only /healthz and the login page answer.
    let got = app
        .store
        .escalation(e, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.state.as_str(), "new");
    assert_eq!(page(&app, &c, "/healthz").await.0, StatusCode::OK);
    let (s, body) = page(&app, &c, "/login").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("name=\"password\""));
    // The way back after login keeps where one was going.
    let r = c
        .get(format!("{}/escalations/{e}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), format!("/login?next=%2Fescalations%2F{e}"));
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session() {
    let app = start(None, "base_url = \"https://vigie.example.be\"").await;
    app.user("resp@example.be", Role::Responder, "fr").await;
    let c = app.client();
    let r = app.login(&c, "Resp@Example.be", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("vigie_session="))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    // Secure cookies are not sent back over plain http by a browser; this client keeps
    // them anyway only for https, so talk with the cookie by hand.
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("vigie_session=")
        .to_string();
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| {
        raw.get(format!("{}{path}", app.base))
            .header("cookie", format!("vigie_session={token}"))
            .send()
    };
    let r = get("/").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Escalades"), "French page for a French user");
    assert!(html.contains("Se déconnecter"));
    let csrf = hidden(&html, "csrf").unwrap();
    // Logging out needs the form token too.
    let r = raw
        .post(format!("{}/logout", app.base))
        .header("cookie", format!("vigie_session={token}"))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = raw
        .post(format!("{}/logout", app.base))
        .header("cookie", format!("vigie_session={token}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(get("/").await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_the_session_token_are_refused() {
    let app = start(None, "").await;
    app.user("resp@example.be", Role::Responder, "en").await;
    let (e, _) = app
        .escalation("a", "@SPFFinances MyMinfin down?", "en", "warning", false)
        .await;
    let c = app.client();
    assert_eq!(
        app.login(&c, "resp@example.be", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    for csrf in [None, Some(""), Some("0123456789abcdef")] {
        let mut form = vec![("action", "ack")];
        if let Some(t) = csrf {
            form.push(("csrf", t));
        }
        let r = c
            .post(format!("{}/escalations/{e}/act", app.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::UNPROCESSABLE_ENTITY,
            "{csrf:?}: {}",
            r.status()
        );
    }
    // The login form is guarded too (double-submit cookie).
    let fresh = app.client();
    let r = fresh
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", "resp@example.be"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let got = app
        .store
        .escalation(e, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.state.as_str(), "new");
    assert_eq!(app.store.escalation_events(e).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_viewer_reads_masked_and_cannot_change_state() {
    let app = start(None, "").await;
    app.user("viewer@example.be", Role::Viewer, "nl").await;
    let (e, _) = app.escalation("f", FORMAL, "fr", "warning", true).await;
    let c = app.client();
    assert_eq!(
        app.login(&c, "viewer@example.be", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let (s, html) = page(&app, &c, &format!("/escalations/{e}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Formeel verzoek"), "Dutch page: {html}");
    assert!(
        !html.contains("marie.dupont@example.be"),
        "e-mail masked for viewers"
    );
    assert!(
        !html.contains("rue de la Loi"),
        "address masked for viewers"
    );
    assert!(!html.contains("act-ack"), "no action forms for viewers");
    let csrf = hidden(&html, "csrf").unwrap();
    let r = c
        .post(format!("{}/escalations/{e}/act", app.base))
        .form(&[("csrf", csrf.as_str()), ("action", "ack")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let got = app
        .store
        .escalation(e, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.state.as_str(), "new");
    // A responder sees the personal data.
    app.user("resp@example.be", Role::Responder, "fr").await;
    let c2 = app.client();
    app.login(&c2, "resp@example.be", PASSWORD).await;
    let (_, html) = page(&app, &c2, &format!("/escalations/{e}")).await;
    assert!(html.contains("marie.dupont@example.be"));
    assert!(html.contains("Délais légaux"));
}

/// `/questions` (#18): the week's questions grouped, the content gap first; a viewer sees
/// the texts with personal data masked.
#[tokio::test]
async fn recurring_questions_page_lists_the_gaps_first() {
    let app = start(None, "").await;
    let now = chrono::Utc::now();
    let q = |key: &str, text: &str, lang: &str| vigie::core::model::NewMention {
        keys: vec![key.into()],
        source: "mastodon".into(),
        title: String::new(),
        text: text.into(),
        published_at: Some(now - chrono::Duration::hours(2)),
        lang: lang.into(),
        lang_confidence: 0.9,
        question: true,
        ..Default::default()
    };
    app.store
        .ingest(
            &[
                q("a", "MyMinfin est en panne ?", "fr"),
                q("b", "Is MyMinfin down again?", "en"),
                q(
                    "c",
                    "Quand vais-je recevoir mon remboursement ? marie.dupont@example.be",
                    "fr",
                ),
                q("d", "Wanneer krijg ik mijn terugbetaling?", "nl"),
                q("e", "Still no refund, when does it come?", "en"),
            ],
            now,
        )
        .await
        .unwrap();
    app.user("viewer@example.be", Role::Viewer, "fr").await;
    let c = app.client();
    app.login(&c, "viewer@example.be", PASSWORD).await;
    let (s, html) = page(&app, &c, "/questions").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Questions récurrentes"), "{html}");
    // The refund questions (no approved answer) come first, as a gap of three.
    let first = &html[html.find("id=\"q-1\"").expect("a first group")..];
    let first = &first[..first.find("</tr>").unwrap()];
    assert!(
        first.contains("Lacune") && first.contains("<td>3</td>"),
        "{first}"
    );
    let second = &html[html.find("id=\"q-2\"").expect("a second group")..];
    let second = &second[..second.find("</tr>").unwrap()];
    assert!(
        !second.contains("Lacune") && second.contains("<td>2</td>"),
        "{second}"
    );
    assert!(
        !html.contains("marie.dupont@example.be"),
        "masked for viewers"
    );
    assert!(
        !html.contains("/questions/answer"),
        "no answer form for viewers"
    );
    // The same groups for a spreadsheet.
    let r = c
        .get(format!("{}/questions.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = r.text().await.unwrap();
    let mut lines = body.lines();
    assert!(lines.next().unwrap().starts_with("id,question,count,trend"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[2], "3", "{body}");
    assert!(
        !body.contains("marie.dupont@example.be"),
        "masked for viewers"
    );
    // A viewer's post is refused.
    let csrf = hidden(&html, "csrf").unwrap();
    let r = c
        .post(format!("{}/questions/answer", app.base))
        .form(&[("csrf", csrf.as_str()), ("group", "x"), ("fr", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // An administrator writes the gap's answer once, for every channel.
    app.user("admin@example.be", Role::Admin, "en").await;
    let a = app.client();
    app.login(&a, "admin@example.be", PASSWORD).await;
    let (_, html) = page(&app, &a, "/questions").await;
    let form = &html[html
        .find("id=\"answer-1\"")
        .expect("an answer form on the gap")..];
    let group = hidden(form, "group").unwrap();
    let csrf = hidden(&html, "csrf").unwrap();
    let answer = "Les remboursements partent dans les six mois après la déclaration.";
    let r = a
        .post(format!("{}/questions/answer", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("group", group.as_str()),
            ("fr", answer),
            (
                "nl",
                "Terugbetalingen volgen binnen zes maanden na de aangifte.",
            ),
            ("en", "Refunds are paid within six months of the return."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &a, "/questions").await;
    assert!(html.contains("id=\"gaps\">Content gaps: 0"), "{html}");
    let stored = app.store.approved_answers().await.unwrap();
    assert_eq!(stored.len(), 1);
    let changes = app
        .store
        .approved_answer_changes(&stored[0].id)
        .await
        .unwrap();
    assert_eq!(changes.len(), 1, "audited");
    assert_eq!(changes[0].actor, "admin@example.be");
    assert!(
        stored[0]
            .examples
            .iter()
            .all(|e| !e.contains("marie.dupont")),
        "{:?}",
        stored[0].examples
    );
    // The next such question's escalation has the answer ready in the answer form.
    let (e, _) = app
        .escalation(
            "f",
            "@SPFFinances quand vais-je recevoir mon remboursement ?",
            "fr",
            "warning",
            false,
        )
        .await;
    app.user("resp@example.be", Role::Responder, "fr").await;
    let r2 = app.client();
    app.login(&r2, "resp@example.be", PASSWORD).await;
    let (_, detail) = page(&app, &r2, &format!("/escalations/{e}")).await;
    assert!(detail.contains(answer), "{detail}");
}

#[tokio::test]
async fn wrong_passwords_are_rate_limited() {
    let app = start(
        None,
        "login_attempts = 3\nlogin_address_attempts = 4\nlogin_window = \"15m\"",
    )
    .await;
    app.user("resp@example.be", Role::Responder, "en").await;
    let c = app.client();
    for i in 0..3 {
        let r = app.login(&c, "resp@example.be", "wrong password!!").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(r.text().await.unwrap().contains("Wrong e-mail or password"));
    }
    // Now even the right password waits, from this address.
    let r = app.login(&c, "resp@example.be", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));
    // The address has its own, higher limit, whatever the e-mail.
    let r = app
        .login(&c, "someone@example.be", "whatever is this")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .login(&c, "someone@example.be", "whatever is this")
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // An e-mail longer than any address is refused before anything is counted or hashed.
    let long = format!("{}@example.be", "a".repeat(300));
    let r = app.login(&c, &long, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// Regression (#14, point 12): the login form's double-submit pair was any value equal in
/// cookie and field, so whoever could plant a cookie logged a victim in to their account.
#[tokio::test]
async fn a_login_token_pair_not_signed_by_this_server_is_refused() {
    let app = start(None, "").await;
    app.user("resp@example.be", Role::Responder, "en").await;
    let other = start(None, "").await;
    let issued_elsewhere = {
        let html = page(&other, &other.client(), "/login").await.1;
        hidden(&html, "csrf").unwrap()
    };
    let post = |token: String| {
        let c = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let url = format!("{}/login", app.base);
        async move {
            c.post(url)
                .header("cookie", format!("vigie_login={token}"))
                .form(&[
                    ("email", "resp@example.be"),
                    ("password", PASSWORD),
                    ("csrf", token.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for forged in [
        "attacker-chosen",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        &issued_elsewhere,
    ] {
        assert_eq!(post(forged.into()).await, StatusCode::FORBIDDEN, "{forged}");
    }
    // A token of ours with its signature changed is refused; the one we issued logs in.
    let ours = hidden(&page(&app, &app.client(), "/login").await.1, "csrf").unwrap();
    let (head, tag) = ours.rsplit_once('.').expect("a signed token");
    let tampered = format!("{head}.{}", tag.chars().rev().collect::<String>());
    assert_eq!(post(tampered).await, StatusCode::FORBIDDEN);
    assert_eq!(post(ours).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn responders_work_the_list_through_the_page() {
    let app = start(None, "").await;
    app.user("resp@example.be", Role::Responder, "en").await;
    let (e1, _) = app
        .escalation(
            "a",
            "@SPFFinances MyMinfin est en panne depuis ce matin ?",
            "fr",
            "critical",
            false,
        )
        .await;
    let (e2, _) = app
        .escalation(
            "b",
            "@FODFinancien hoe dien ik mijn aangifte in?",
            "nl",
            "info",
            false,
        )
        .await;
    let c = app.client();
    app.login(&c, "resp@example.be", PASSWORD).await;

    // Filters.
    let (_, all) = page(&app, &c, "/").await;
    assert!(
        all.contains(&format!("id=\"esc-{e1}\"")) && all.contains(&format!("id=\"esc-{e2}\"")),
        "{all}"
    );
    let (_, crit) = page(&app, &c, "/?severity=critical").await;
    assert!(
        crit.contains(&format!("id=\"esc-{e1}\"")) && !crit.contains(&format!("id=\"esc-{e2}\""))
    );
    let (_, nl) = page(&app, &c, "/?lang=nl").await;
    assert!(!nl.contains(&format!("id=\"esc-{e1}\"")) && nl.contains(&format!("id=\"esc-{e2}\"")));
    let (_, first) = page(&app, &c, "/?per_page=1").await;
    assert_eq!(first.matches("id=\"esc-").count(), 1);
    assert!(
        first.contains("id=\"next\"") && first.contains("1 shown of 2"),
        "{first}"
    );
    let (_, second) = page(&app, &c, "/?per_page=1&page=2").await;
    assert_eq!(second.matches("id=\"esc-").count(), 1);
    assert!(second.contains("id=\"prev\"") && !second.contains("id=\"next\""));
    let (_, late) = page(&app, &c, "/?overdue=1").await;
    assert!(!late.contains("id=\"esc-"), "nothing is overdue yet");

    // Detail: suggested approved answer in the reader's language.
    let (_, d) = page(&app, &c, &format!("/escalations/{e1}")).await;
    assert!(
        d.contains("MyMinfin is temporarily unavailable"),
        "suggestion in English"
    );
    let csrf = hidden(&d, "csrf").unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        c.post(format!("{}/escalations/{e1}/act", app.base))
            .form(&form)
            .send()
    };
    let r = post(vec![("csrf", csrf.clone()), ("action", "ack".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post(vec![
        ("csrf", csrf.clone()),
        ("action", "assign".into()),
        ("to", "anna@example.be".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // An impossible move is explained, not applied.
    let r = post(vec![("csrf", csrf.clone()), ("action", "close".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("cannot close an escalation that is assigned"));
    let r = post(vec![
        ("csrf", csrf.clone()),
        ("action", "answer".into()),
        ("body", "MyMinfin is temporarily unavailable.".into()),
        ("channel", "mastodon".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (_, d) = page(&app, &c, &format!("/escalations/{e1}")).await;
    assert!(d.contains("anna@example.be"));
    assert!(d.contains("mastodon"));
    let events = app.store.escalation_events(e1).await.unwrap();
    let trail: Vec<(String, String)> = events
        .iter()
        .map(|v| (v.actor.clone(), v.to.clone()))
        .collect();
    assert_eq!(
        trail,
        vec![
            ("vigie".into(), "new".into()),
            ("resp@example.be".into(), "acknowledged".into()),
            ("resp@example.be".into(), "assigned".into()),
            ("resp@example.be".into(), "answered".into()),
        ]
    );
    let answers = app.store.answers(e1).await.unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].by, "resp@example.be");
    // It left the open list.
    let (_, open) = page(&app, &c, "/").await;
    assert!(
        !open.contains(&format!("id=\"esc-{e1}\"")) && open.contains(&format!("id=\"esc-{e2}\""))
    );
    let (_, answered) = page(&app, &c, "/?state=answered").await;
    assert!(answered.contains(&format!("id=\"esc-{e1}\"")));
    // Response times count it.
    let (s, stats) = page(&app, &c, "/stats").await;
    assert_eq!(s, StatusCode::OK);
    assert!(stats.contains("mastodon") || stats.contains("inbox"));
    // Dismissing needs a reason.
    let (_, d2) = page(&app, &c, &format!("/escalations/{e2}")).await;
    let r = c
        .post(format!("{}/escalations/{e2}/act", app.base))
        .form(&[
            ("csrf", hidden(&d2, "csrf").unwrap().as_str()),
            ("action", "dismiss"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn metrics_for_a_session_or_the_scrape_token() {
    std::env::set_var("VIGIE_TEST_METRICS_TOKEN", "scrape-secret-123");
    let app = start(None, "metrics_token_env = \"VIGIE_TEST_METRICS_TOKEN\"").await;
    app.escalation("a", "@SPFFinances MyMinfin ?", "fr", "warning", false)
        .await;
    let c = app.client();
    let r = c
        .get(format!("{}/metrics", app.base))
        .bearer_auth("scrape-secret-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    for line in [
        "vigie_escalations_open 1",
        "vigie_escalations_overdue 0",
        "vigie_mentions_stored 1",
        "vigie_classify_queue 0",
        "vigie_detect_queue ",
        "vigie_emails{state=\"sent\"} 0",
        "vigie_classification_latency_seconds_count 1",
        // The harness's post was written 30 minutes before vigie stored it.
        "vigie_mention_lateness_seconds_count 1",
        "vigie_mention_lateness_seconds_bucket{le=\"900.0\"} 0",
        "vigie_mention_lateness_seconds_bucket{le=\"3600.0\"} 1",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
    let r = c
        .get(format!("{}/metrics", app.base))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_page_on_postgresql() {
    let db = common::pg::PgDb::new().await;
    {
        let app = start(Some(&db.url), "").await;
        app.user("resp@example.be", Role::Responder, "nl").await;
        let (e, _) = app.escalation("f", FORMAL, "fr", "warning", true).await;
        let c = app.client();
        assert_eq!(
            app.login(&c, "resp@example.be", PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        let (s, html) = page(&app, &c, "/?lang=fr&severity=warning").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains(&format!("id=\"esc-{e}\"")));
        let (_, d) = page(&app, &c, &format!("/escalations/{e}")).await;
        let csrf = hidden(&d, "csrf").unwrap();
        let r = c
            .post(format!("{}/escalations/{e}/act", app.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("action", "answer"),
                ("body", "Reçu."),
                ("channel", "e-mail"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.store.answers(e).await.unwrap().len(), 1);
        let text = vigie::web::metrics::render(&app.store).await.unwrap();
        assert!(text.contains("vigie_escalations_open 0"), "{text}");
        let stats = vigie::escalate::answer::response_times(
            &app.store,
            &app.cfg.escalation.calendar(app.cfg.tz()),
            chrono::Utc::now() - chrono::Duration::days(7),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert!(stats
            .iter()
            .any(|f| f.by == "language" && f.key == "fr" && f.answered == 1));
        app.escalation("q", "@SPFFinances ?", "nl", "info", false)
            .await;
        let later = chrono::Utc::now() + chrono::Duration::days(10);
        let tz = app.cfg.tz();
        let raised = vigie::escalate::stage::Escalate::new(app.cfg.escalation.clone(), tz)
            .overdue(&app.store, later)
            .await
            .unwrap();
        assert_eq!(raised.len(), 1);
        assert!(
            vigie::escalate::stage::Escalate::new(app.cfg.escalation.clone(), tz)
                .overdue(&app.store, later)
                .await
                .unwrap()
                .is_empty()
        );
        app.store.close().await;
    }
    db.drop_db().await;
}

#[tokio::test]
async fn a_signal_opens_one_escalation_and_its_flare_up_reopens_it() {
    use vigie::escalate::stage::Escalate;
    use vigie::store::escalations::Opened;
    let app = start(None, "").await;
    let (_, m1) = app
        .escalation("a", "MyMinfin en panne", "fr", "info", false)
        .await;
    let (_, m2) = app
        .escalation("b", "MyMinfin toujours en panne", "fr", "info", false)
        .await;
    let mut s = vigie::detect::Signal {
        id: 1,
        kind: "volume_spike".into(),
        severity: "warning".into(),
        topic: Some("outage".into()),
        group_key: "volume_spike:outage".into(),
        title: "MyMinfin en panne".into(),
        reason: "12 mentions in 30 min, 0.4 expected".into(),
        at: chrono::Utc::now(),
        evidence: vec![m1],
        figures: Default::default(),
    };
    let (stage, now) = (
        Escalate::new(app.cfg.escalation.clone(), app.cfg.tz()),
        chrono::Utc::now(),
    );
    let Some(Opened::New(id)) = stage.open_for_signal(&app.store, &s, now).await.unwrap() else {
        panic!("first signal opens")
    };
    // Same episode, more evidence, still open: joins.
    s.evidence = vec![m2, m1];
    assert_eq!(
        stage.open_for_signal(&app.store, &s, now).await.unwrap(),
        Some(Opened::Joined(id))
    );
    let e = app.store.escalation(id, now).await.unwrap().unwrap();
    assert_eq!(e.mention_ids, vec![m1, m2]);
    // Answered, then the episode doubles: back to new, with a due time from now.
    vigie::escalate::answer::record(
        &app.store,
        id,
        &vigie::escalate::answer::Answer {
            at: now,
            by: "anna@example.be".into(),
            channel: Some("x".into()),
            body: Some("Nous investiguons.".into()),
            link: None,
            mention: None,
        },
    )
    .await
    .unwrap();
    s.severity = "critical".into();
    s.reason = "40 mentions in 30 min".into();
    let later = now + chrono::Duration::hours(3);
    assert_eq!(
        stage.open_for_signal(&app.store, &s, later).await.unwrap(),
        Some(Opened::Reopened(id))
    );
    let e = app.store.escalation(id, later).await.unwrap().unwrap();
    assert_eq!(e.state.as_str(), "new");
    assert_eq!(e.severity, "critical");
    assert!(e.due_at > later);
    let last = app
        .store
        .escalation_events(id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        (last.from.as_deref(), last.to.as_str()),
        (Some("answered"), "new")
    );
    assert!(last.note.unwrap().starts_with("flared up again"));
}

#[tokio::test]
async fn an_overdue_escalation_raises_one_signal() {
    let app = start(None, "").await;
    let (e, m) = app
        .escalation("a", "@SPFFinances MyMinfin ?", "fr", "info", false)
        .await;
    let tz = app.cfg.tz();
    let now = chrono::Utc::now();
    // Not yet due: nothing.
    assert!(
        vigie::escalate::stage::Escalate::new(app.cfg.escalation.clone(), tz)
            .overdue(&app.store, now)
            .await
            .unwrap()
            .is_empty()
    );
    // Ten days later it is overdue: one signal, with the escalation's mention, then none.
    let later = now + chrono::Duration::days(10);
    let s = vigie::escalate::stage::Escalate::new(app.cfg.escalation.clone(), tz)
        .overdue(&app.store, later)
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].kind.as_str(), s[0].severity.as_str()),
        ("escalation_overdue", "warning")
    );
    assert_eq!(s[0].evidence, vec![m]);
    assert!(s[0].reason.contains(&format!("#{e}")));
    assert!(
        vigie::escalate::stage::Escalate::new(app.cfg.escalation.clone(), tz)
            .overdue(&app.store, later)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.store.signals(None).await.unwrap().len(),
        1,
        "stored for the alert e-mails"
    );
    // Answered ones never are.
    let (e2, _) = app
        .escalation("b", "@SPFFinances ?", "fr", "info", true)
        .await;
    app.store
        .act(
            e2,
            vigie::escalate::state::Action::Dismiss,
            "anna@example.be",
            None,
            Some("spam"),
            now,
        )
        .await
        .unwrap();
    assert!(
        vigie::escalate::stage::Escalate::new(app.cfg.escalation.clone(), tz)
            .overdue(&app.store, later)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Regression (#14): a responder's answer link was not checked; a `javascript:` link
/// would have been rendered on the page.
#[tokio::test]
async fn an_answer_link_must_be_http() {
    let app = start(None, "").await;
    let (id, _) = app
        .escalation("a", "@SPFFinances MyMinfin ?", "fr", "info", false)
        .await;
    let answer = |link: &str| vigie::escalate::answer::Answer {
        at: chrono::Utc::now(),
        by: "anna@example.be".into(),
        channel: Some("x".into()),
        body: None,
        link: Some(link.into()),
        mention: None,
    };
    let refused =
        vigie::escalate::answer::record(&app.store, id, &answer("javascript:alert(1)")).await;
    assert!(refused.unwrap_err().to_string().contains("http(s)"));
    vigie::escalate::answer::record(&app.store, id, &answer("https://x.example/spf/status/1"))
        .await
        .unwrap();
}
