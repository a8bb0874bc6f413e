//! Mentions: storing a poll's items under their dedup keys, reading them back with
//! the sources that carried them, and purging personal data past retention.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{corrupt, from_ms, ms, placeholders, Store, StoreError, BATCH};
use crate::core::classification::{Sentiment, SentimentLabel, TopicScore};
use crate::core::model::{Engagement, Mention, NewMention};

/// Result of storing one mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// The mention's id.
    pub id: i64,
    /// True when the mention is new; false when it was already known (maybe from another source).
    pub new: bool,
}

/// A `mentions` row as selected by [`MENTION_COLUMNS`].
#[derive(sqlx::FromRow)]
struct MentionRow {
    id: i64,
    source: String,
    url: Option<String>,
    title: String,
    text: String,
    author: Option<String>,
    reach: Option<i64>,
    published_at: Option<i64>,
    first_seen_at: i64,
    lang: String,
    lang_confidence: f64,
    matched: String,
    sentiment: Option<String>,
    sentiment_score: Option<f64>,
    topics: Option<String>,
    model: Option<String>,
    story_id: Option<i64>,
    in_reply_to: Option<String>,
    thread: Option<String>,
    direct: i64,
    own: i64,
    late: i64,
    likes: Option<i64>,
    reposts: Option<i64>,
    replies: Option<i64>,
    quotes: Option<i64>,
    views: Option<i64>,
    question: i64,
}

impl TryFrom<MentionRow> for Mention {
    type Error = StoreError;

    fn try_from(r: MentionRow) -> Result<Mention, StoreError> {
        let sentiment = match r.sentiment {
            Some(s) => Some(Sentiment {
                label: SentimentLabel::parse(&s).ok_or_else(|| corrupt("sentiment", &s))?,
                score: r.sentiment_score.unwrap_or(0.0) as f32,
            }),
            None => None,
        };
        let topics: Option<Vec<TopicScore>> = match r.topics {
            Some(t) => Some(serde_json::from_str(&t).map_err(|e| corrupt("topics", e))?),
            None => None,
        };
        Ok(Mention {
            id: r.id,
            sources: vec![r.source.clone()],
            source: r.source,
            url: r.url,
            title: r.title,
            text: r.text,
            author: r.author,
            reach: r.reach,
            published_at: r.published_at.map(from_ms),
            first_seen_at: from_ms(r.first_seen_at),
            lang: r.lang,
            lang_confidence: r.lang_confidence,
            matched: serde_json::from_str(&r.matched).map_err(|e| corrupt("matched", e))?,
            sentiment,
            topics,
            model: r.model,
            story: r.story_id,
            in_reply_to: r.in_reply_to,
            thread: r.thread,
            direct: r.direct != 0,
            own: r.own != 0,
            late: r.late != 0,
            engagement: Engagement {
                likes: r.likes,
                reposts: r.reposts,
                replies: r.replies,
                quotes: r.quotes,
                views: r.views,
            },
            question: r.question != 0,
        })
    }
}

/// Inserts a new mention and returns its id.
async fn insert_mention(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    m: &NewMention,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
            "INSERT INTO mentions (source, url, title, text, author, reach, published_at, first_seen_at, lang, lang_confidence, matched, \
             in_reply_to, thread, direct, own, late, reply_key, root_key, likes, reposts, replies, quotes, views, engagement_at, question) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) RETURNING id",
        )
        .bind(m.source.clone())
        .bind(m.url.clone())
        .bind(m.title.clone())
        .bind(m.text.clone())
        .bind(m.author.clone())
        .bind(m.reach)
        .bind(m.published_at.map(ms))
        .bind(now)
        .bind(m.lang.clone())
        .bind(m.lang_confidence)
        .bind(serde_json::to_string(&m.matched).unwrap_or_else(|_| "[]".into()))
        .bind(m.in_reply_to.clone())
        .bind(m.thread.clone())
        .bind(i64::from(m.direct))
        .bind(i64::from(m.own))
        .bind(i64::from(m.late))
        .bind(m.in_reply_to.as_deref().map(reference_key))
        .bind(m.thread.as_deref().map(reference_key))
        .bind(m.engagement.likes)
        .bind(m.engagement.reposts)
        .bind(m.engagement.replies)
        .bind(m.engagement.quotes)
        .bind(m.engagement.views)
        .bind((!m.engagement.is_empty()).then_some(now))
        .bind(i64::from(m.question))
        .fetch_one(&mut **tx)
        .await
}

/// The platform's latest figures for a mention seen again (a figure it no longer gives
/// keeps its last value).
async fn refresh_engagement(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    e: &Engagement,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mentions SET likes = COALESCE($1, likes), reposts = COALESCE($2, reposts), replies = COALESCE($3, replies), \
         quotes = COALESCE($4, quotes), views = COALESCE($5, views), engagement_at = $6 WHERE id = $7",
    )
    .bind(e.likes)
    .bind(e.reposts)
    .bind(e.replies)
    .bind(e.quotes)
    .bind(e.views)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which of these stored keys are known, and to which mention.
async fn known_keys(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    hashed: &[Vec<String>],
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let all_keys: Vec<&String> = hashed.iter().flatten().collect();
    let mut known: HashMap<String, i64> = HashMap::new();
    for chunk in all_keys.chunks(BATCH) {
        let sql = format!(
            "SELECT key, mention_id FROM mention_keys WHERE key IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
        for k in chunk {
            q = q.bind((*k).clone());
        }
        known.extend(q.fetch_all(&mut **tx).await?);
    }
    Ok(known)
}

/// Each mention's keys as stored. Keys are hashed: a link or GUID may name the author
/// (`/@handle/123`), and keys outlive the erasure of a mention's personal data.
fn hashed_keys(mentions: &[NewMention]) -> Vec<Vec<String>> {
    mentions
        .iter()
        .map(|m| m.keys.iter().map(|k| stored_key(k)).collect())
        .collect()
}

/// How a dedup key is stored: `h:` and its SHA-256, so the key table holds no handle.
pub(super) fn stored_key(key: &str) -> String {
    use sha2::Digest;
    if is_stored_key(key) {
        return key.to_string();
    }
    format!("h:{}", hex::encode(sha2::Sha256::digest(key.as_bytes())))
}

/// Whether a key is already in its stored form.
pub(super) fn is_stored_key(key: &str) -> bool {
    key.len() == 66 && key.starts_with("h:") && key[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored key of the post a platform reference names: what a reply finds its parent by.
pub(super) fn reference_key(reference: &str) -> String {
    stored_key(&crate::core::dedup::post_key(reference))
}

const MENTION_COLUMNS: &str = "SELECT id, source, url, title, text, author, reach, published_at, first_seen_at, lang, lang_confidence, matched, \
     sentiment, sentiment_score, topics, model, story_id, in_reply_to, thread, direct, own, late, \
     likes, reposts, replies, quotes, views, question FROM mentions";

impl Store {
    /// Stores the mentions of one poll in one transaction: each is new, or attached
    /// to the mention that already has one of its keys. All or nothing.
    pub async fn ingest(
        &self,
        mentions: &[NewMention],
        seen_at: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, StoreError> {
        if mentions.is_empty() {
            return Ok(Vec::new());
        }
        let _g = self.write_guard().await;
        for attempt in 1.. {
            match self
                .retry_locked(|| self.ingest_once(mentions, seen_at))
                .await?
            {
                Some(done) => return Ok(done),
                // Another instance stored one of these mentions meanwhile: the next try finds it.
                None if attempt < 5 => {
                    tracing::debug!(attempt, "dedup key taken concurrently, retrying")
                }
                None => break,
            }
        }
        Err(StoreError::Config(
            "dedup keys kept conflicting with another instance after 5 tries".into(),
        ))
    }

    /// One try; `Ok(None)` when a concurrent writer took one of our keys first.
    /// Statements are batched (one key lookup, multi-row inserts): per-statement
    /// round trips, not SQLite itself, are what limits ingestion speed.
    async fn ingest_once(
        &self,
        mentions: &[NewMention],
        seen_at: DateTime<Utc>,
    ) -> Result<Option<Vec<Ingested>>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let now = ms(seen_at);
        let hashed = hashed_keys(mentions);
        let mut known = known_keys(&mut tx, &hashed).await?;
        let mut out = Vec::with_capacity(mentions.len());
        // Keys to insert, with whether they belong to a mention created in this transaction.
        let mut new_keys: Vec<(String, i64, bool)> = Vec::new();
        for (m, keys) in mentions.iter().zip(&hashed) {
            let existing = keys.iter().find_map(|k| known.get(k).copied());
            let (id, new) = match existing {
                Some(id) => (id, false),
                None => (insert_mention(&mut tx, m, now).await?, true),
            };
            if !new && !m.engagement.is_empty() {
                refresh_engagement(&mut tx, id, &m.engagement, now).await?;
            }
            for k in keys {
                if !known.contains_key(k) {
                    known.insert(k.clone(), id);
                    new_keys.push((k.clone(), id, new));
                }
            }
            out.push(Ingested { id, new });
        }
        for chunk in new_keys.chunks(BATCH / 2) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!("INSERT INTO mention_keys (key, mention_id) VALUES {} ON CONFLICT (key) DO NOTHING RETURNING key", values.join(", "));
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for (k, id, _) in chunk {
                q = q.bind(k.clone()).bind(*id);
            }
            let inserted: std::collections::HashSet<String> =
                q.fetch_all(&mut *tx).await?.into_iter().collect();
            // A key of a mention we just created was taken by a concurrent writer: start over.
            if chunk
                .iter()
                .any(|(k, _, new)| *new && !inserted.contains(k))
            {
                tx.rollback().await?;
                return Ok(None);
            }
        }
        let pairs: Vec<(i64, &str)> = out
            .iter()
            .zip(mentions)
            .map(|(o, m)| (o.id, m.source.as_str()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in pairs.chunks(BATCH / 3) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO mention_sources (mention_id, source, seen_at) VALUES {} ON CONFLICT (mention_id, source) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (id, source) in chunk {
                q = q.bind(*id).bind(source.to_string()).bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Some(out))
    }

    /// Stored mentions first seen at or after `since`, oldest first.
    pub async fn mentions(
        &self,
        since: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<Mention>, StoreError> {
        let rows = sqlx::query_as::<_, MentionRow>(&format!(
            "{MENTION_COLUMNS} WHERE first_seen_at >= $1 AND deleted_at IS NULL ORDER BY first_seen_at, id LIMIT $2"
        ))
        .bind(since.map(ms).unwrap_or(i64::MIN))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        self.with_sources(rows).await
    }

    /// Mentions selected by a `WHERE ... ORDER BY ... LIMIT $2` clause with `$1` bound to `a`.
    pub async fn mentions_where(
        &self,
        clause: &str,
        a: i64,
        limit: i64,
    ) -> Result<Vec<Mention>, StoreError> {
        let rows = sqlx::query_as::<_, MentionRow>(&format!("{MENTION_COLUMNS} {clause}"))
            .bind(a)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.with_sources(rows).await
    }

    /// Mentions by id, in the order given (unknown and deleted ids are skipped).
    pub async fn mentions_by_id(&self, ids: &[i64]) -> Result<Vec<Mention>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{MENTION_COLUMNS} WHERE deleted_at IS NULL AND id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, MentionRow>(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut found = self.with_sources(rows).await?;
        found.sort_by_key(|m| ids.iter().position(|i| *i == m.id));
        Ok(found)
    }

    /// The mentions of `rows`, each with every source that carried it.
    async fn with_sources(&self, rows: Vec<MentionRow>) -> Result<Vec<Mention>, StoreError> {
        let mut out: Vec<Mention> = rows
            .into_iter()
            .map(Mention::try_from)
            .collect::<Result<_, _>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        for chunk in out.chunks_mut(500) {
            let sql = format!(
                "SELECT mention_id, source FROM mention_sources WHERE mention_id IN ({}) ORDER BY seen_at, source",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for m in chunk.iter() {
                q = q.bind(m.id);
            }
            for (id, src) in q.fetch_all(&self.pool).await? {
                if let Some(m) = chunk.iter_mut().find(|m| m.id == id) {
                    if !m.sources.contains(&src) {
                        m.sources.push(src);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Number of stored mentions (deleted posts left out).
    pub async fn count_mentions(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM mentions WHERE deleted_at IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
