//! `/questions`: the recurring questions of the last week, the content gaps (no
//! approved answer) first, then the answered ones, by count and growth. An
//! administrator writes a gap's approved answer here, once for every channel: it is
//! kept with the group's questions as its examples and suggested from then on.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Utc;
use serde::Deserialize;

use super::auth::check_csrf;
use super::mask::Masking;
use super::users::Session;
use super::view::{self, error_page, forbidden, server_error};
use super::AppState;
use crate::core::role::Role;
use crate::detect::knowledge::KnowledgeBase;
use crate::detect::questions::{gaps_first, of_window, Group, Window};
use crate::notify::i18n;
use crate::store::knowledge::StoredAnswer;

/// The knowledge file's entries and the answers written on the page, as one base.
pub(super) async fn knowledge(st: &AppState) -> anyhow::Result<Option<KnowledgeBase>> {
    let approved = st.store.approved_answers().await?;
    KnowledgeBase::with_approved(st.knowledge.as_ref().as_ref(), &approved)
}

/// The week's groups, with the current knowledge.
async fn groups(st: &AppState) -> anyhow::Result<Vec<Group>> {
    let kb = knowledge(st).await?;
    let window = Window::new(None, Utc::now());
    Ok(of_window(&st.store, kb.as_ref(), &st.vocabulary, &window).await?)
}

/// Groups shown at most.
const SHOWN: usize = 100;

/// The week's groups, content gaps first.
async fn listed(st: &AppState) -> anyhow::Result<Vec<Group>> {
    let mut g = groups(st).await?;
    gaps_first(&mut g);
    Ok(g)
}

/// The page.
pub async fn page(State(st): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let lang = session.user.language.clone();
    let groups = match listed(&st).await {
        Ok(g) => g,
        Err(e) => return server_error(&st, &lang, e),
    };
    let mask = Masking::new(&st.detector, session.user.role.can_act(), []);
    let rows: Vec<_> = groups
        .iter()
        .take(SHOWN)
        .map(|g| {
            let join = |m: &std::collections::BTreeMap<String, usize>| {
                m.iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            minijinja::context! {
                id => g.id.clone(),
                gap => g.knowledge.is_none(),
                text => mask.text(&g.text),
                count => g.count,
                trend => format!("{:+.0} %", g.trend * 100.0),
                weeks => g.weeks.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" · "),
                languages => join(&g.languages),
                channels => join(&g.channels),
                answered => i18n::percent(g.answered_share, &lang),
                median => view::minutes(g.median_answer_minutes),
            }
        })
        .collect();
    view::render(
        &st,
        "questions.html",
        &lang,
        minijinja::context! {
            user => session.user.email, role => session.user.role.as_str(), csrf => session.csrf,
            rows => rows, gaps => groups.iter().filter(|g| g.knowledge.is_none()).count(),
            admin => session.user.role == Role::Admin,
        },
    )
}

/// `/questions.csv`: the week's groups for a spreadsheet, one row each, gaps first
/// (texts masked for viewers as on the page).
pub async fn csv(State(st): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let lang = session.user.language.clone();
    let groups = match listed(&st).await {
        Ok(g) => g,
        Err(e) => return server_error(&st, &lang, e),
    };
    let mask = Masking::new(&st.detector, session.user.role.can_act(), []);
    let counts = |m: &BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "question",
        "count",
        "trend",
        "weeks",
        "languages",
        "channels",
        "knowledge",
        "answered_share",
        "median_answer_minutes",
        "first_seen_at",
        "last_seen_at",
    ];
    let mut rows = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for g in &groups {
        rows.push(vec![
            g.id.clone(),
            mask.text(&g.text),
            g.count.to_string(),
            g.trend.to_string(),
            g.weeks
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            counts(&g.languages),
            counts(&g.channels),
            g.knowledge.clone().unwrap_or_default(),
            g.answered_share.to_string(),
            g.median_answer_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            g.first_seen_at.to_rfc3339(),
            g.last_seen_at.to_rfc3339(),
        ]);
    }
    for r in rows {
        if let Err(e) = w.write_record(&r) {
            return server_error(&st, &lang, e);
        }
    }
    match w.into_inner() {
        Ok(body) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"recurring-questions.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => server_error(&st, &lang, e),
    }
}

/// The answer form of a gap.
#[derive(Deserialize)]
pub struct AnswerForm {
    csrf: String,
    group: String,
    #[serde(default)]
    fr: String,
    #[serde(default)]
    nl: String,
    #[serde(default)]
    en: String,
    #[serde(default)]
    de: String,
    #[serde(default)]
    url: String,
}

/// Saves a gap's approved answer (administrators only), then back to the list.
pub async fn answer(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let lang = session.user.language.clone();
    if !check_csrf(&session, &f.csrf) {
        tracing::warn!(user = %session.user.email, "answer form refused: wrong CSRF token");
        return forbidden(&st, &lang, "web_error_csrf");
    }
    if session.user.role != Role::Admin {
        tracing::warn!(user = %session.user.email, "a non-administrator tried to write an approved answer");
        return forbidden(&st, &lang, "web_error_admin");
    }
    let answers: BTreeMap<String, String> =
        [("fr", &f.fr), ("nl", &f.nl), ("en", &f.en), ("de", &f.de)]
            .into_iter()
            .filter(|(_, t)| !t.trim().is_empty())
            .map(|(l, t)| (l.to_string(), t.trim().to_string()))
            .collect();
    let url = Some(f.url.trim().to_string()).filter(|u| !u.is_empty());
    if answers.is_empty()
        || url
            .as_deref()
            .is_some_and(|u| !crate::core::text::is_web_link(u))
    {
        return error_page(
            &st,
            &lang,
            StatusCode::BAD_REQUEST,
            st.catalog.t(&lang, "web_error_answer", &[]),
        );
    }
    let all = match groups(&st).await {
        Ok(g) => g,
        Err(e) => return server_error(&st, &lang, e),
    };
    let Some(group) = all
        .into_iter()
        .find(|g| g.id == f.group && g.knowledge.is_none())
    else {
        return error_page(
            &st,
            &lang,
            StatusCode::NOT_FOUND,
            st.catalog.t(&lang, "web_error_group", &[]),
        );
    };
    let examples = match st.store.mentions_by_id(&group.mention_ids).await {
        Ok(ms) => impersonal(&st, ms.iter().map(|m| format!("{} {}", m.title, m.text))),
        Err(e) => return server_error(&st, &lang, e),
    };
    let entry = StoredAnswer {
        id: entry_id(&group.id),
        examples,
        answers,
        url,
        by: session.user.email.clone(),
        at: Utc::now(),
    };
    if let Err(e) = st.store.save_approved_answer(&entry).await {
        return server_error(&st, &lang, e);
    }
    tracing::info!(user = %session.user.email, entry = %entry.id, questions = group.count, "approved answer written for a recurring question");
    Redirect::to("/questions").into_response()
}

/// Most examples kept per answer.
const EXAMPLES: usize = 50;

/// The group's questions as examples that outlive the mentions' retention: without
/// handles, links and e-mail addresses, names and postal addresses masked, each once.
fn impersonal(st: &AppState, texts: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in texts {
        let kept: Vec<&str> = t
            .split_whitespace()
            .filter(|w| !w.contains('@') && !w.contains("://") && !w.starts_with("www."))
            .collect();
        let e = st.detector.redact(&kept.join(" "));
        if !e.is_empty() && !out.contains(&e) {
            out.push(e);
        }
        if out.len() == EXAMPLES {
            break;
        }
    }
    out
}

/// A knowledge entry id from a group id ("q:refund+quand" → "q-refund-quand").
fn entry_id(group: &str) -> String {
    let mut id: String = group
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    while id.contains("--") {
        id = id.replace("--", "-");
    }
    id.trim_matches('-').to_string()
}
