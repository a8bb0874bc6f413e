//! Approved answers written on the page from a group of recurring questions, and the
//! history of every change to them (who, when, what).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{from_ms, ms, Store, StoreError};

/// An approved answer kept in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnswer {
    /// Entry id (unique with the knowledge file's).
    pub id: String,
    /// The questions it answers, as written (the group's).
    pub examples: Vec<String>,
    /// The answer per language code.
    pub answers: BTreeMap<String, String>,
    /// Reference page, if any.
    pub url: Option<String>,
    /// Who last changed it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// One change to an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// The answers as saved.
    pub answers: BTreeMap<String, String>,
}

type EntryRow = (String, String, String, Option<String>, String, i64);

impl Store {
    /// Creates or replaces an answer, and records the change, in one transaction.
    pub async fn save_approved_answer(&self, a: &StoredAnswer) -> Result<(), StoreError> {
        let examples = serde_json::to_string(&a.examples).unwrap_or_else(|_| "[]".into());
        let answers = serde_json::to_string(&a.answers).unwrap_or_else(|_| "{}".into());
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "INSERT INTO knowledge_entries (id, examples, answers, url, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
                 examples = excluded.examples, answers = excluded.answers, url = excluded.url, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(a.id.clone())
            .bind(examples.clone())
            .bind(answers.clone())
            .bind(a.url.clone())
            .bind(a.by.clone())
            .bind(ms(a.at))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO knowledge_events (entry_id, at, actor, answers) VALUES ($1, $2, $3, $4)",
            )
            .bind(a.id.clone())
            .bind(ms(a.at))
            .bind(a.by.clone())
            .bind(answers.clone())
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
        .await
    }

    /// How many answers are stored and when the last was changed (ms): changes when
    /// an answer is written, for readers that keep a copy.
    pub async fn approved_answers_version(&self) -> Result<(i64, i64), StoreError> {
        let (n, at): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(updated_at) FROM knowledge_entries")
                .fetch_one(&self.pool)
                .await?;
        Ok((n, at.unwrap_or(0)))
    }

    /// Every stored answer, by id.
    pub async fn approved_answers(&self) -> Result<Vec<StoredAnswer>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT id, examples, answers, url, updated_by, updated_at FROM knowledge_entries ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, examples, answers, url, by, at)| {
                Ok(StoredAnswer {
                    examples: serde_json::from_str(&examples)
                        .map_err(|e| StoreError::Config(format!("knowledge entry {id}: {e}")))?,
                    answers: serde_json::from_str(&answers)
                        .map_err(|e| StoreError::Config(format!("knowledge entry {id}: {e}")))?,
                    id,
                    url,
                    by,
                    at: from_ms(at),
                })
            })
            .collect()
    }

    /// The changes to one answer, oldest first.
    pub async fn approved_answer_changes(&self, id: &str) -> Result<Vec<AnswerChange>, StoreError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT at, actor, answers FROM knowledge_events WHERE entry_id = $1 ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, answers)| AnswerChange {
                at: from_ms(at),
                actor,
                answers: serde_json::from_str(&answers).unwrap_or_default(),
            })
            .collect())
    }
}
