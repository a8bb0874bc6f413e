//! Classifications: the mentions still waiting for one, and saving a batch of results.

use chrono::{DateTime, Utc};

use super::{ms, Store, StoreError};
use crate::core::classification::Output;

/// A mention waiting for classification.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Mention id.
    pub id: i64,
    /// Title and text.
    pub text: String,
    /// Language identified at ingestion.
    pub lang: String,
}

/// An unclassified `mentions` row.
#[derive(sqlx::FromRow)]
struct PendingRow {
    id: i64,
    title: String,
    text: String,
    lang: String,
}

impl From<PendingRow> for Pending {
    fn from(r: PendingRow) -> Pending {
        Pending {
            id: r.id,
            text: if r.text.is_empty() {
                r.title
            } else {
                format!("{}\n{}", r.title, r.text)
            },
            lang: r.lang,
        }
    }
}

impl Store {
    /// Up to `limit` mentions not yet classified, oldest first.
    pub async fn unclassified(&self, limit: i64) -> Result<Vec<Pending>, StoreError> {
        let rows = sqlx::query_as::<_, PendingRow>(
            "SELECT id, title, text, lang FROM mentions WHERE classified_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Pending::from).collect())
    }

    /// Saves classification results for a batch, in one transaction.
    pub async fn save_classifications(
        &self,
        results: &[(i64, Output)],
        model: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            let mut tx = self.pool.begin().await?;
            for (id, out) in results {
                sqlx::query("UPDATE mentions SET sentiment = $1, sentiment_score = $2, topics = $3, model = $4, classified_at = $5 WHERE id = $6")
                    .bind(out.sentiment.label.as_str())
                    .bind(out.sentiment.score as f64)
                    .bind(serde_json::to_string(&out.topics).unwrap_or_else(|_| "[]".into()))
                    .bind(model.to_string())
                    .bind(ms(at))
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
        .await
    }
}
