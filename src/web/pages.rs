//! The pages: the list with its filters, an escalation's detail with its actions, and the
//! response-time figures.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::check_csrf;
use super::detail::{actions, history, masking, mention_views, suggestion};
use super::mask::Masking;
use super::users::Session;
use super::view::{self, error_page, forbidden, server_error};
use super::AppState;
use crate::escalate::answer::{self, Answer};
use crate::escalate::list::{self, Filter};
use crate::escalate::state::{Action, State as EState};
use crate::notify::i18n;

/// Filters, as the list's form sends them.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    per_page: Option<i64>,
}

/// Rows per page unless `per_page` says otherwise (at most [`MAX_PER_PAGE`]).
pub const PER_PAGE: i64 = 100;
/// The most rows one page shows.
pub const MAX_PER_PAGE: i64 = 10_000;

#[derive(Serialize)]
struct RowView {
    id: i64,
    state: &'static str,
    severity: String,
    topic: String,
    title: String,
    due: String,
    due_in: String,
    overdue: bool,
    assignee: String,
    formal: bool,
    lang: String,
    channel: String,
    mentions: i64,
}

/// "in 3 h", "2 h late": how far the due time is, in the reader's language.
pub fn due_in(due: DateTime<Utc>, now: DateTime<Utc>, st: &AppState, lang: &str) -> String {
    let mins = (due - now).num_minutes();
    let amount = mins.unsigned_abs();
    let span = if amount < 60 {
        format!("{amount} min")
    } else if amount < 48 * 60 {
        format!("{} h", amount / 60)
    } else {
        st.catalog.t(
            lang,
            "web_days",
            &[("n", &(amount / (24 * 60)).to_string())],
        )
    };
    let key = if mins < 0 {
        "web_late_by"
    } else {
        "web_due_in"
    };
    st.catalog.t(lang, key, &[("span", &span)])
}

fn topic_label(st: &AppState, id: &str, lang: &str) -> String {
    st.topics
        .iter()
        .find(|t| t.id == id)
        .and_then(|t| t.labels.get(lang).or_else(|| t.labels.get("en")))
        .cloned()
        .unwrap_or_else(|| id.to_string())
}

/// GET /
pub async fn list(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<ListQuery>,
) -> Response {
    let lang = session.user.language.clone();
    let now = Utc::now();
    let filter = Filter {
        state: q.state.clone(),
        severity: q.severity.clone(),
        topic: q.topic.clone(),
        lang: q.lang.clone(),
        overdue: q.overdue == "1",
    };
    let per_page = q.per_page.unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).max(1);
    let ((rows, total), counts) = match tokio::try_join!(
        list::rows(&st.store, &filter, now, per_page, (page - 1) * per_page),
        list::counts(&st.store, now)
    ) {
        Ok(x) => x,
        Err(e) => return server_error(&st, &lang, e),
    };
    let personal = session.user.role.can_act();
    let rows: Vec<RowView> = rows
        .into_iter()
        .map(|r| {
            // Without a first mention the title is the escalation's reason, not a message.
            let title = r.title.clone().unwrap_or_else(|| r.reason.clone());
            let private = (r.direct && r.title.is_some())
                .then(|| st.catalog.t(&lang, "web_private_message", &[]));
            let mask = Masking::new(
                &st.detector,
                personal,
                [(
                    r.author.as_deref(),
                    r.url.as_deref(),
                    r.title.as_deref().unwrap_or(""),
                    "",
                )],
            );
            RowView {
                id: r.id,
                state: r.state.as_str(),
                severity: r.severity,
                topic: r
                    .topic
                    .as_deref()
                    .map(|t| topic_label(&st, t, &lang))
                    .unwrap_or_default(),
                title: mask.message(&title, private.as_deref()),
                due: i18n::date_time(r.due_at, st.tz, &lang),
                due_in: due_in(r.due_at, now, &st, &lang),
                overdue: r.overdue,
                assignee: r.assignee.unwrap_or_default(),
                formal: r.formal_request,
                lang: r.lang.unwrap_or_default(),
                channel: r.channel.unwrap_or_default(),
                mentions: r.mentions,
            }
        })
        .collect();
    let topics: Vec<(String, String)> = st
        .topics
        .iter()
        .map(|t| (t.id.clone(), topic_label(&st, &t.id, &lang)))
        .collect();
    view::render(
        &st,
        "list.html",
        &lang,
        minijinja::context! {
            user => session.user.email,
            role => session.user.role.as_str(),
            csrf => session.csrf,
            rows => rows,
            counts => counts,
            total => total,
            page => page,
            pages => (total + per_page - 1) / per_page,
            // The filters again, for the page links.
            query => url::form_urlencoded::Serializer::new(String::new())
                .append_pair("state", &q.state)
                .append_pair("severity", &q.severity)
                .append_pair("topic", &q.topic)
                .append_pair("lang", &q.lang)
                .append_pair("overdue", &q.overdue)
                .append_pair("per_page", &per_page.to_string())
                .finish(),
            q => minijinja::context! {
                state => q.state, severity => q.severity, topic => q.topic,
                lang => q.lang, overdue => q.overdue == "1",
            },
            topics => topics,
            states => ["open", "new", "acknowledged", "assigned", "answered", "closed", "dismissed", "all"],
        },
    )
}

/// GET /escalations/{id}
pub async fn detail(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
) -> Response {
    render_detail(&st, &session, id, None, StatusCode::OK).await
}

async fn render_detail(
    st: &AppState,
    session: &Session,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = session.user.language.clone();
    let now = Utc::now();
    let e = match st.store.escalation(id, now).await {
        Ok(Some(e)) => e,
        Ok(None) => {
            return error_page(
                st,
                &lang,
                StatusCode::NOT_FOUND,
                st.catalog
                    .t(&lang, "web_not_found", &[("id", &id.to_string())]),
            )
        }
        Err(err) => return server_error(st, &lang, err),
    };
    let mentions = match st.store.mentions_by_id(&e.mention_ids).await {
        Ok(m) => m,
        Err(err) => return server_error(st, &lang, err),
    };
    let (events, answers, signals) = match tokio::try_join!(
        st.store.escalation_events(id),
        st.store.answers(id),
        st.store
            .signals(Some(e.opened_at - chrono::Duration::days(2)))
    ) {
        Ok(x) => x,
        Err(err) => return server_error(st, &lang, err),
    };
    let mask = masking(st, session, &mentions);
    let signals: Vec<_> = signals
        .into_iter()
        .filter(|s| s.evidence.iter().any(|m| e.mention_ids.contains(m)))
        .map(|s| {
            let reason = i18n::reason(&st.mail_catalog, &lang, &s.kind, &s.figures, &s.reason);
            minijinja::context! {
                kind => s.kind, severity => s.severity, reason => mask.text(&reason),
                at => i18n::date_time(s.at, st.tz, &lang),
            }
        })
        .collect();
    let kb = match super::questions::knowledge(st).await {
        Ok(kb) => kb,
        Err(err) => return server_error(st, &lang, err),
    };
    let suggestion = suggestion(kb.as_ref(), &mentions, &lang);
    let story = mentions.iter().find_map(|m| m.story);
    let story_size = match story {
        Some(s) => st.store.story_size(s).await.unwrap_or(0),
        None => 0,
    };
    let mview = mention_views(st, mentions, &mask, &lang);
    let (events, answers) = history(st, events, answers, &mask, &lang);
    let actions = actions(session, &e);
    let fmt = |t: Option<DateTime<Utc>>| t.map(|t| i18n::date_time(t, st.tz, &lang));
    let mut r = view::render(
        st,
        "detail.html",
        &lang,
        minijinja::context! {
            user => session.user.email.clone(),
            role => session.user.role.as_str(),
            csrf => session.csrf.clone(),
            e => minijinja::context! {
                id => e.id, state => e.state.as_str(), severity => e.severity,
                topic => e.topic.as_deref().map(|t| topic_label(st, t, &lang)),
                reason => mask.text(&e.reason), assignee => e.assignee,
                opened => i18n::date_time(e.opened_at, st.tz, &lang),
                // Written long before vigie saw it: both times, so the deadline makes sense.
                seen => e.late.then(|| i18n::date_time(e.seen_at, st.tz, &lang)),
                due => i18n::date_time(e.due_at, st.tz, &lang),
                due_in => due_in(e.due_at, now, st, &lang),
                overdue => e.overdue, open => e.state.is_open(),
                formal => e.formal_request, formal_elements => e.formal_elements,
                ack_due => fmt(e.ack_due_at), receipt_due => fmt(e.receipt_due_at),
                decision_due => fmt(e.decision_due_at), silence_accept => fmt(e.silence_accept_at),
            },
            mentions => mview,
            events => events,
            answers => answers,
            signals => signals,
            suggestion => suggestion,
            story => story,
            story_size => story_size,
            actions => actions,
            error => error,
        },
    );
    *r.status_mut() = status;
    r
}

/// An action form.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    csrf: String,
    action: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    channel: String,
}

/// POST /escalations/{id}/act
pub async fn act(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Response {
    let lang = session.user.language.clone();
    if !check_csrf(&session, &f.csrf) {
        tracing::warn!(user = %session.user.email, escalation = id, "form refused: wrong CSRF token");
        return forbidden(&st, &lang, "web_error_csrf");
    }
    if !session.user.role.can_act() {
        tracing::warn!(user = %session.user.email, escalation = id, "viewer tried to change an escalation");
        return forbidden(&st, &lang, "web_error_role");
    }
    let action = match f.action.as_str() {
        "ack" => Action::Ack,
        "assign" => Action::Assign,
        "answer" => Action::Answer,
        "close" => Action::Close,
        "dismiss" => Action::Dismiss,
        _ => {
            return error_page(
                &st,
                &lang,
                StatusCode::BAD_REQUEST,
                format!("unknown action {:?}", f.action),
            )
        }
    };
    let by = session.user.email.as_str();
    let now = Utc::now();
    let note = Some(f.note.as_str()).filter(|n| !n.trim().is_empty());
    let result: Result<EState, _> = if action == Action::Answer {
        answer::record(
            &st.store,
            id,
            &Answer {
                at: now,
                by: by.to_string(),
                channel: Some(f.channel.clone()),
                body: Some(f.body.clone()),
                link: Some(f.link.clone()),
                mention: None,
            },
        )
        .await
    } else {
        let to = Some(f.to.as_str()).filter(|t| !t.trim().is_empty());
        st.store.act(id, action, by, to, note, now).await
    };
    match result {
        Ok(state) => {
            tracing::info!(
                user = by,
                escalation = id,
                state = state.as_str(),
                "escalation changed"
            );
            Redirect::to(&format!("/escalations/{id}")).into_response()
        }
        Err(crate::store::StoreError::Config(msg)) => {
            render_detail(&st, &session, id, Some(msg), StatusCode::CONFLICT).await
        }
        Err(e) => server_error(&st, &lang, e),
    }
}

/// GET /stats
pub async fn stats(State(st): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let lang = session.user.language.clone();
    let now = Utc::now();
    let figures = match answer::response_times(
        &st.store,
        &st.calendar,
        now - chrono::Duration::weeks(12),
        now,
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return server_error(&st, &lang, e),
    };
    let rows: Vec<_> = figures
        .iter()
        .map(|f| {
            minijinja::context! {
                by => f.by.clone(), key => f.key.clone(), opened => f.opened, answered => f.answered,
                median => view::minutes(f.median_minutes), p90 => view::minutes(f.p90_minutes),
                mean => view::minutes(f.mean_minutes), median_working => view::minutes(f.median_working_minutes),
                within => f.within_rule.map(|w| i18n::percent(w, &lang)).unwrap_or_else(|| "–".into()),
            }
        })
        .collect();
    view::render(
        &st,
        "stats.html",
        &lang,
        minijinja::context! {
            user => session.user.email, role => session.user.role.as_str(), csrf => session.csrf,
            rows => rows,
        },
    )
}
