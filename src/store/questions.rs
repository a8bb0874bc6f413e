//! The mentions that ask something, with when they were first answered, for grouping
//! into recurring questions (`detect::questions`).

use chrono::{DateTime, Utc};

use super::{from_ms, ms, Store, StoreError};

/// A stored question, as the grouping reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionRow {
    /// Mention id.
    pub id: i64,
    /// The source it was first seen on.
    pub source: String,
    /// Title and text (a post's title is often empty).
    pub title: String,
    /// Text.
    pub text: String,
    /// Identified language.
    pub lang: String,
    /// When it was written (event time).
    pub at: DateTime<Utc>,
    /// First answer: an escalation holding it marked answered, or a reply to it from
    /// one of the institution's own accounts, whichever came first.
    pub answered_at: Option<DateTime<Utc>>,
}

/// Event time in SQL: the publication time unless missing or after first seen.
const EVENT_AT: &str = "CASE WHEN m.published_at IS NULL OR m.published_at > m.first_seen_at \
     THEN m.first_seen_at ELSE m.published_at END";

impl Store {
    /// Questions written in `[from, until)`, oldest first; none of the deleted ones, and
    /// none of the institution's own posts.
    pub async fn questions(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<QuestionRow>, StoreError> {
        let sql = format!(
            "SELECT m.id, m.source, m.title, m.text, m.lang, {EVENT_AT} AS at, \
             (SELECT MIN(v.at) FROM escalation_mentions em JOIN escalation_events v ON v.escalation_id = em.escalation_id \
              WHERE em.mention_id = m.id AND v.to_state = 'answered') AS escalation_answer, \
             (SELECT MIN(CASE WHEN r.published_at IS NULL OR r.published_at > r.first_seen_at \
              THEN r.first_seen_at ELSE r.published_at END) FROM mention_keys k JOIN mentions r ON r.reply_key = k.key \
              WHERE k.mention_id = m.id AND r.own = 1 AND r.deleted_at IS NULL) AS reply_answer \
             FROM mentions m WHERE m.question = 1 AND m.own = 0 AND m.deleted_at IS NULL \
             AND {EVENT_AT} >= $1 AND {EVENT_AT} < $2 ORDER BY at, m.id"
        );
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(ms(from))
            .bind(ms(until))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, source, title, text, lang, at, esc, reply)| QuestionRow {
                    id,
                    source,
                    title,
                    text,
                    lang,
                    at: from_ms(at),
                    answered_at: [esc, reply].into_iter().flatten().min().map(from_ms),
                },
            )
            .collect())
    }
}
