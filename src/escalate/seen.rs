//! Answers seen where they are given: when one of the institution's own accounts replies
//! in a conversation (`[escalation] handles` and `accounts`), to a mention an escalation
//! is about or under it in its thread, the reply is recorded as that escalation's answer
//! (who, when it was written, where, its link and text) and the escalation moves to
//! "answered", so the list and the response-time figures know without anyone typing it.

use tracing::{info, warn};

use super::answer;
use super::state::{Action, State};
use crate::core::model::event_time;
use crate::store::answers::{Answer, SeenAnswer};
use crate::store::{from_ms, Store, StoreError};

/// Replies taken per round.
const BATCH: i64 = 500;

/// Longest answer text kept with the escalation (the mention keeps it whole).
const MAX_BODY: usize = 2_000;

/// Records every answer the institution's accounts gave that is not recorded yet.
/// Returns how many escalations it moved to "answered".
pub async fn record_seen_answers(store: &Store) -> Result<usize, StoreError> {
    let states: Vec<&str> = [State::New, State::Acknowledged, State::Assigned]
        .into_iter()
        .filter(|s| s.apply(Action::Answer).is_ok())
        .map(|s| s.as_str())
        .collect();
    let mut n = 0;
    for seen in store.seen_answers(&states, BATCH).await? {
        let escalation = seen.escalation_id;
        let mention = seen.mention_id;
        match answer::record(store, escalation, &answer_of(seen)).await {
            Ok(_) => {
                info!(escalation, mention, "answer seen on the platform recorded");
                n += 1;
            }
            // Changed meanwhile (someone answered by hand): the next round looks again.
            Err(e) => {
                warn!(escalation, mention, error = %e, "could not record an answer seen on the platform")
            }
        }
    }
    Ok(n)
}

/// The answer a reply is: written when the source says, by the account, where it was seen.
fn answer_of(s: SeenAnswer) -> Answer {
    // An escalation opened after the reply (an overdue alarm about the same mention, raised
    // before the reply was seen) is answered when it opened, never before.
    let at =
        event_time(s.published_at.map(from_ms), from_ms(s.first_seen_at)).max(from_ms(s.opened_at));
    let body = crate::core::text::truncate(s.text.trim(), MAX_BODY);
    Answer {
        at,
        by: s
            .author
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| format!("{} (own account)", s.source)),
        channel: Some(s.source),
        // An answer needs a text or a link; a reply always has one or the other.
        body: Some(body).filter(|b| !b.is_empty()),
        link: s.url,
        mention: Some(s.mention_id),
    }
}
