//! What a viewer sees (#14, point 8): a citizen's name, handle and e-mail planted in a
//! mention, its link, the escalation's reason, a signal's reason and figures, a history
//! note and an answer are masked in the list and on the escalation's page; a responder
//! sees them.

mod common;

use chrono::Utc;
use common::web::{start, WebApp, PASSWORD};
use reqwest::StatusCode;
use vigie::core::signal::{Episode, Signal};
use vigie::escalate::state::Action;
use vigie::store::answers::Answer;
use vigie::web::users::Role;

const TEXT: &str = "MyMinfin est en panne depuis ce matin, je m'appelle Marie Dupont, écrivez-moi à marie.dupont@example.be";

async fn page(app: &WebApp, c: &reqwest::Client, path: &str) -> String {
    let r = c.get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

fn planted(html: &str) -> Vec<&'static str> {
    let lower = html.to_lowercase();
    ["dupont", "mdupont", "marie.dupont@example.be"]
        .into_iter()
        .filter(|p| lower.contains(p))
        .collect()
}

#[tokio::test]
async fn a_viewer_sees_no_citizen_anywhere_on_the_page() {
    let app = start(None, "").await;
    app.user("viewer@example.be", Role::Viewer, "fr").await;
    app.user("agent@example.be", Role::Responder, "fr").await;
    // The harness links the mention to https://social.example/{key} and names the key in
    // the escalation's reason: both hold the handle.
    let (e, m) = app
        .escalation("@mdupont/1", TEXT, "fr", "warning", false)
        .await;
    let now = Utc::now();
    let signal = Signal {
        id: 0,
        kind: "high_reach".into(),
        severity: "warning".into(),
        topic: None,
        group_key: format!("high_reach:{m}"),
        title: TEXT.into(),
        reason: "a mention by Marie Dupont with a reach of 120 (threshold 100)".into(),
        at: now,
        evidence: vec![m],
        figures: [("author", "Marie Dupont"), ("reach", "120")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    app.store
        .save_signal(
            &signal,
            Episode {
                raised_count: 1,
                open: true,
            },
        )
        .await
        .unwrap();
    app.store
        .act(
            e,
            Action::Assign,
            "agent@example.be",
            Some("agent@example.be"),
            Some("Marie Dupont rappelle demain"),
            now,
        )
        .await
        .unwrap();
    vigie::escalate::answer::record(
        &app.store,
        e,
        &Answer {
            at: now,
            by: "agent@example.be".into(),
            channel: Some("mastodon".into()),
            body: Some("Bonjour Marie Dupont, MyMinfin est rétabli.".into()),
            link: Some("https://social.example/@mdupont/1#reply".into()),
            mention: None,
        },
    )
    .await
    .unwrap();

    let viewer = app.client();
    assert_eq!(
        app.login(&viewer, "viewer@example.be", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let list = page(&app, &viewer, "/?state=all").await;
    assert!(list.contains(&format!("/escalations/{e}")), "{list}");
    assert_eq!(planted(&list), Vec::<&str>::new(), "list: {list}");
    let detail = page(&app, &viewer, &format!("/escalations/{e}")).await;
    assert!(
        detail.contains("M**** D*****"),
        "masked, not removed: {detail}"
    );
    assert_eq!(planted(&detail), Vec::<&str>::new(), "detail: {detail}");

    let agent = app.client();
    app.login(&agent, "agent@example.be", PASSWORD).await;
    let detail = page(&app, &agent, &format!("/escalations/{e}")).await;
    assert_eq!(
        planted(&detail),
        vec!["dupont", "mdupont", "marie.dupont@example.be"],
        "a responder sees them"
    );
}

/// #15: a private message sent to the institution is correspondence: a viewer sees that
/// it exists and its escalation, not what it says; a responder reads it whole.
#[tokio::test]
async fn a_viewer_does_not_read_private_messages() {
    let app = start(None, "").await;
    app.user("viewer@example.be", Role::Viewer, "fr").await;
    app.user("agent@example.be", Role::Responder, "fr").await;
    let said = "mon dossier de surendettement est refusé";
    let (e, _) = app
        .direct_message("dm-1", &format!("Bonjour, {said}, que puis-je faire ?"))
        .await;
    let viewer = app.client();
    app.login(&viewer, "viewer@example.be", PASSWORD).await;
    let list = page(&app, &viewer, "/?state=all").await;
    assert!(list.contains(&format!("/escalations/{e}")), "{list}");
    assert!(!list.contains(said), "{list}");
    let detail = page(&app, &viewer, &format!("/escalations/{e}")).await;
    assert!(!detail.contains(said), "{detail}");
    assert!(detail.contains("Message privé"), "{detail}");
    let agent = app.client();
    app.login(&agent, "agent@example.be", PASSWORD).await;
    let detail = page(&app, &agent, &format!("/escalations/{e}")).await;
    assert!(detail.contains(said), "{detail}");
}
