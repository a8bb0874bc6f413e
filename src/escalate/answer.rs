//! Answers: what an answer needs and the state change it makes (stored together by
//! `store::answers`), and the response-time figures they feed (`core::response`).

use super::state::{Action, State};
use crate::store::answers::Transition;
use crate::store::{Store, StoreError};

use chrono::{DateTime, Utc};

use crate::core::calendar::Calendar;
pub use crate::core::response::ResponseTimes;
pub use crate::store::answers::Answer;

/// Records an answer and moves the escalation to "answered", together. An answer needs
/// its text or a link to it; the state must allow answering.
pub async fn record(store: &Store, id: i64, a: &Answer) -> Result<State, StoreError> {
    let body = a.body.as_deref().map(str::trim).filter(|b| !b.is_empty());
    let link = a.link.as_deref().map(str::trim).filter(|b| !b.is_empty());
    if body.is_none() && link.is_none() {
        return Err(StoreError::Config(
            "an answer needs its text or a link to it".into(),
        ));
    }
    if link.is_some_and(|l| !crate::core::text::is_web_link(l)) {
        return Err(StoreError::Config(
            "an answer's link must be an http(s) address".into(),
        ));
    }
    let current = store
        .escalation_state(id)
        .await?
        .ok_or_else(|| StoreError::Config(format!("no escalation {id}")))?;
    let from = State::parse(&current).ok_or_else(|| StoreError::Corrupt {
        what: "escalations.state",
        message: current.clone(),
    })?;
    let next = from.apply(Action::Answer).map_err(StoreError::Config)?;
    let note = body
        .or(link)
        .map(|t| t.chars().take(200).collect::<String>());
    let stored = Answer {
        at: a.at,
        by: a.by.clone(),
        channel: a.channel.clone().filter(|c| !c.trim().is_empty()),
        body: body.map(str::to_string),
        link: link.map(str::to_string),
        mention: a.mention,
    };
    let t = Transition {
        from: from.as_str(),
        to: next.as_str(),
        note: note.as_deref(),
    };
    if !store.save_answer(id, &t, &stored).await? {
        return Err(StoreError::Config(format!(
            "escalation {id} changed meanwhile; look again"
        )));
    }
    Ok(next)
}

/// Time to first answer per week, channel and language, and over all, for escalations
/// written since `since`.
pub async fn response_times(
    store: &Store,
    cal: &Calendar,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ResponseTimes>, StoreError> {
    Ok(crate::core::response::response_times(
        store.answer_cases(since).await?,
        cal,
        now,
        now,
    ))
}
