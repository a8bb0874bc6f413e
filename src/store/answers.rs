//! Answers to escalations: what was said, where, by whom — stored with the state change
//! in one transaction — and the facts response-time figures are computed from.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{from_ms, ms, Store, StoreError};

/// An answer as recorded.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Answer {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// Where it was given ("mastodon", "e-mail", "phone", ...).
    pub channel: Option<String>,
    /// The text.
    pub body: Option<String>,
    /// A link to the published answer.
    pub link: Option<String>,
}

/// The state change an answer makes, as stored names.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition<'a> {
    /// The state the escalation must still be in.
    pub from: &'a str,
    /// The state it moves to.
    pub to: &'a str,
    /// Note for the history.
    pub note: Option<&'a str>,
}

/// One escalation as response times see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerCase {
    /// State name.
    pub state: String,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Due.
    pub due_at: DateTime<Utc>,
    /// First moved to "answered".
    pub answered_at: Option<DateTime<Utc>>,
    /// Source of its first mention.
    pub channel: Option<String>,
    /// Language of its first mention.
    pub lang: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    at: i64,
    by_whom: String,
    channel: Option<String>,
    body: Option<String>,
    link: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    state: String,
    opened_at: i64,
    due_at: i64,
    answered_at: Option<i64>,
    source: Option<String>,
    lang: Option<String>,
}

impl Store {
    /// Stores `a` and moves escalation `id` as `t` says, with its history entry, together;
    /// false (and nothing stored) when the escalation is no longer in `t.from`.
    pub async fn save_answer(
        &self,
        id: i64,
        t: &Transition<'_>,
        a: &Answer,
    ) -> Result<bool, StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query("UPDATE escalations SET state = $1 WHERE id = $2 AND state = $3")
            .bind(t.to.to_string())
            .bind(id)
            .bind(t.from.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO escalation_events (escalation_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(ms(a.at))
            .bind(a.by.clone())
            .bind(t.from.to_string())
            .bind(t.to.to_string())
            .bind(t.note.map(str::to_string))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO escalation_answers (escalation_id, at, by_whom, channel, body, link) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(ms(a.at))
        .bind(a.by.clone())
        .bind(a.channel.clone())
        .bind(a.body.clone())
        .bind(a.link.clone())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The answers recorded for an escalation, oldest first.
    pub async fn answers(&self, id: i64) -> Result<Vec<Answer>, StoreError> {
        let rows = sqlx::query_as::<_, AnswerRow>(
            "SELECT at, by_whom, channel, body, link FROM escalation_answers WHERE escalation_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Answer {
                at: from_ms(r.at),
                by: r.by_whom,
                channel: r.channel,
                body: r.body,
                link: r.link,
            })
            .collect())
    }

    /// Escalations opened since `since`, with when they were first answered and their
    /// first mention's channel and language.
    pub async fn answer_cases(&self, since: DateTime<Utc>) -> Result<Vec<AnswerCase>, StoreError> {
        let rows = sqlx::query_as::<_, CaseRow>(
            "SELECT e.state, e.opened_at, e.due_at, \
               (SELECT MIN(v.at) FROM escalation_events v WHERE v.escalation_id = e.id AND v.to_state = 'answered') AS answered_at, \
               m.source, m.lang \
             FROM escalations e \
             LEFT JOIN mentions m ON m.id = (SELECT MIN(mention_id) FROM escalation_mentions x WHERE x.escalation_id = e.id) \
             WHERE e.opened_at >= $1",
        )
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AnswerCase {
                state: r.state,
                opened_at: from_ms(r.opened_at),
                due_at: from_ms(r.due_at),
                answered_at: r.answered_at.map(from_ms),
                channel: r.source,
                lang: r.lang,
            })
            .collect())
    }
}
