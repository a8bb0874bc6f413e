//! The pieces of an escalation's page: its mentions (masked for viewers), history,
//! answers, allowed actions and the suggested approved answer.

use super::mask::Masking;
use super::users::Session;
use super::AppState;
use crate::core::escalation::{Escalation, Event};
use crate::core::model::Mention;
use crate::detect::knowledge::KnowledgeBase;
use crate::escalate::answer::Answer;
use crate::escalate::state::Action;
use crate::notify::i18n;
use serde::Serialize;

/// The approved answer for what the first mention asks or claims.
pub(super) fn suggestion(
    kb: Option<&KnowledgeBase>,
    mentions: &[Mention],
    lang: &str,
) -> Option<minijinja::Value> {
    let kb = kb?;
    let m = mentions.first()?;
    let hit = kb.check(&format!("{} {}", m.title, m.text))?;
    let claim = &kb.claims[hit.claim];
    let (alang, text) = kb.answer(claim, lang)?;
    Some(minijinja::context! {
        claim => claim.id.clone(), lang => alang, text => text, url => claim.url.clone(),
    })
}

/// How the page masks personal data for this reader, given the escalation's mentions.
pub(super) fn masking<'a>(
    st: &'a AppState,
    session: &Session,
    mentions: &[Mention],
) -> Masking<'a> {
    Masking::new(
        &st.detector,
        session.user.role.can_act(),
        mentions.iter().map(|m| {
            (
                m.author.as_deref(),
                m.url.as_deref(),
                m.title.as_str(),
                m.text.as_str(),
            )
        }),
    )
}

/// The mentions as the page shows them, personal data masked for viewers.
pub(super) fn mention_views(
    st: &AppState,
    mentions: Vec<Mention>,
    mask: &Masking,
    lang: &str,
) -> Vec<MentionView> {
    let private = st.catalog.t(lang, "web_private_message", &[]);
    mentions
        .into_iter()
        .map(|m| MentionView {
            id: m.id,
            source: m.source,
            url: mask.link(m.url),
            // A message sent privately to the institution is correspondence, not a post:
            // a viewer sees that it exists, not what it says.
            title: mask.message(&m.title, m.direct.then_some(private.as_str())),
            text: mask.message(&m.text, m.direct.then_some(private.as_str())),
            author: mask.author(m.author),
            lang: m.lang,
            sentiment: m.sentiment.map(|s| s.label.as_str().to_string()),
            engagement: crate::notify::post::engagement(
                &m.engagement,
                lang,
                st.mail_catalog.strings(lang),
            ),
            published: i18n::date_time(m.published_at.unwrap_or(m.first_seen_at), st.tz, lang),
            story: m.story,
        })
        .collect()
}

/// The history and the answers given, with times in the reader's zone and language.
pub(super) fn history(
    st: &AppState,
    events: Vec<Event>,
    answers: Vec<Answer>,
    mask: &Masking,
    lang: &str,
) -> (Vec<EventView>, Vec<minijinja::Value>) {
    let events: Vec<EventView> = events
        .into_iter()
        .map(|v| EventView {
            at: i18n::date_time(v.at, st.tz, lang),
            actor: v.actor,
            from: v.from,
            to: v.to,
            note: mask.opt(v.note),
        })
        .collect();
    let answers: Vec<_> = answers
        .into_iter()
        .map(|a| {
            minijinja::context! {
                at => i18n::date_time(a.at, st.tz, lang), by => a.by, channel => a.channel,
                body => mask.opt(a.body), link => mask.link(a.link),
            }
        })
        .collect();
    (events, answers)
}

/// The actions the user may take on `e` now.
pub(super) fn actions(session: &Session, e: &Escalation) -> Vec<&'static str> {
    if session.user.role.can_act() {
        [
            Action::Ack,
            Action::Assign,
            Action::Answer,
            Action::Close,
            Action::Dismiss,
        ]
        .into_iter()
        .filter(|a| e.state.apply(*a).is_ok())
        .map(Action::as_str)
        .collect()
    } else {
        Vec::new()
    }
}

#[derive(Serialize)]
/// A mention as the page shows it.
pub(super) struct MentionView {
    pub(super) id: i64,
    pub(super) source: String,
    pub(super) url: Option<String>,
    pub(super) title: String,
    pub(super) text: String,
    pub(super) author: Option<String>,
    pub(super) lang: String,
    pub(super) sentiment: Option<String>,
    /// "12 likes · 3 reposts", as the platform last counted them.
    pub(super) engagement: Option<String>,
    pub(super) published: String,
    pub(super) story: Option<i64>,
}

#[derive(Serialize)]
/// A history entry as the page shows it.
pub(super) struct EventView {
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) from: Option<String>,
    pub(super) to: String,
    pub(super) note: Option<String>,
}
