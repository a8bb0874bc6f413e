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
    /// The mention that is the answer, when it was seen on a platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mention: Option<i64>,
}

/// An answer one of the institution's own accounts gave in a conversation, to a mention
/// an escalation is about, not yet recorded on that escalation.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SeenAnswer {
    /// The escalation it answers.
    pub escalation_id: i64,
    /// That escalation's state.
    pub state: String,
    /// The answering mention.
    pub mention_id: i64,
    /// Its source.
    pub source: String,
    /// Its author (the account).
    pub author: Option<String>,
    /// Its link.
    pub url: Option<String>,
    /// Its text.
    pub text: String,
    /// When it was published, per the source (ms).
    pub published_at: Option<i64>,
    /// When vigie first saw it (ms).
    pub first_seen_at: i64,
    /// When the escalation's clocks started (ms).
    pub opened_at: i64,
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

pub use crate::core::response::AnswerCase;

#[derive(sqlx::FromRow)]
struct AnswerRow {
    at: i64,
    by_whom: String,
    channel: Option<String>,
    body: Option<String>,
    link: Option<String>,
    mention_id: Option<i64>,
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
            "INSERT INTO escalation_answers (escalation_id, at, by_whom, channel, body, link, mention_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(ms(a.at))
        .bind(a.by.clone())
        .bind(a.channel.clone())
        .bind(a.body.clone())
        .bind(a.link.clone())
        .bind(a.mention)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The answers recorded for an escalation, oldest first.
    pub async fn answers(&self, id: i64) -> Result<Vec<Answer>, StoreError> {
        let rows = sqlx::query_as::<_, AnswerRow>(
            "SELECT at, by_whom, channel, body, link, mention_id FROM escalation_answers WHERE escalation_id = $1 ORDER BY at, id",
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
                mention: r.mention_id,
            })
            .collect())
    }

    /// Answers the institution's own accounts gave to mentions of escalations in one of
    /// `states`, not yet recorded there: a reply whose parent or thread root is one of
    /// those mentions (found by its stored keys, whichever was seen first).
    pub async fn seen_answers(
        &self,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<SeenAnswer>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT em.escalation_id, e.state, r.id AS mention_id, r.source, r.author, r.url, r.text, \
             r.published_at, r.first_seen_at, e.opened_at \
             FROM mentions r \
             JOIN mention_keys k ON k.key = r.reply_key OR k.key = r.root_key \
             JOIN escalation_mentions em ON em.mention_id = k.mention_id \
             JOIN escalations e ON e.id = em.escalation_id \
             WHERE r.own = 1 AND e.state IN ({}) \
             AND NOT EXISTS (SELECT 1 FROM escalation_answers a WHERE a.escalation_id = em.escalation_id AND a.mention_id = r.id) \
             ORDER BY r.id, em.escalation_id LIMIT ${}",
            super::placeholders(1, states.len()),
            states.len() + 1
        );
        let mut q = sqlx::query_as::<_, SeenAnswer>(&sql);
        for s in states {
            q = q.bind(s.to_string());
        }
        Ok(q.bind(limit).fetch_all(&self.pool).await?)
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
