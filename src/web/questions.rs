//! `/questions`: the recurring questions of the last week, the content gaps (no
//! approved answer) first, then the answered ones, by count and growth.

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use chrono::Utc;

use super::mask::Masking;
use super::users::Session;
use super::view::{self, server_error};
use super::AppState;
use crate::detect::questions::{of_window, Window};
use crate::notify::i18n;

/// Groups shown at most.
const SHOWN: usize = 100;

/// The page.
pub async fn page(State(st): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let lang = session.user.language.clone();
    let window = Window::new(None, Utc::now());
    let kb = st.knowledge.as_ref().as_ref();
    let mut groups = match of_window(&st.store, kb, &st.vocabulary, &window).await {
        Ok(g) => g,
        Err(e) => return server_error(&st, &lang, e),
    };
    groups.sort_by(|a, b| {
        (a.knowledge.is_some(), std::cmp::Reverse(a.count))
            .cmp(&(b.knowledge.is_some(), std::cmp::Reverse(b.count)))
            .then(b.trend.total_cmp(&a.trend))
    });
    let mask = Masking::new(&st.detector, session.user.role.can_act(), []);
    let fmt_min = |m: Option<f64>| match m {
        None => "–".to_string(),
        Some(m) if m < 120.0 => format!("{m:.0} min"),
        Some(m) => format!("{:.1} h", m / 60.0),
    };
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
                median => fmt_min(g.median_answer_minutes),
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
        },
    )
}
