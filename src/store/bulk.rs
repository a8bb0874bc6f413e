//! Bulk loading for `vigie bench`: a million classified mentions written as the stages
//! would have left them, in multi-row inserts, so benchmarks start from a realistic store
//! in seconds rather than hours.

use chrono::{DateTime, Utc};

use super::{ms, Store, StoreError};

/// A classified, detected mention to load as is.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Id to give it (its own story too).
    pub id: i64,
    /// Source name.
    pub source: String,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Author.
    pub author: Option<String>,
    /// Audience.
    pub reach: Option<i64>,
    /// Published and first seen at.
    pub at: DateTime<Utc>,
    /// Language.
    pub lang: String,
    /// Sentiment label ("negative", ...).
    pub sentiment: String,
    /// Topics as stored (JSON).
    pub topics: String,
    /// Fingerprint, when the engine would read it back.
    pub simhash: Option<u64>,
}

const COLS: usize = 19;
const ROWS: usize = 45;

impl Store {
    /// Loads `rows` in one transaction, `ROWS` to a statement.
    pub async fn load_mentions(&self, rows: &[Loaded]) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", super::placeholders(i * COLS + 1, COLS)))
                .collect();
            let sql = format!(
                "INSERT INTO mentions (id, source, url, title, text, author, reach, published_at, first_seen_at, lang, lang_confidence, \
                 matched, sentiment, sentiment_score, topics, model, classified_at, story_id, simhash) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for m in chunk {
                q = q
                    .bind(m.id)
                    .bind(m.source.clone())
                    .bind(None::<String>)
                    .bind(m.title.clone())
                    .bind(m.text.clone())
                    .bind(m.author.clone())
                    .bind(m.reach)
                    .bind(ms(m.at))
                    .bind(ms(m.at))
                    .bind(m.lang.clone())
                    .bind(0.9f64)
                    .bind("[\"SPF Finances\"]")
                    .bind(m.sentiment.clone())
                    .bind(0.7f64)
                    .bind(m.topics.clone())
                    .bind("bench")
                    .bind(ms(m.at))
                    .bind(m.id)
                    .bind(m.simhash.map(|h| h as i64));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
