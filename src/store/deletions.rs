//! Posts deleted by their author or removed by the platform: the mentions they were
//! stored as lose their personal data (as at the end of retention) and are marked
//! deleted, which takes them off every list, the page and the digest.

use chrono::{DateTime, Utc};

use super::erasures::Scope;
use super::mentions::reference_key;
use super::{placeholders, Store, StoreError, BATCH};

impl Store {
    /// Marks deleted the mentions stored for these platform references (`at://…`,
    /// `reddit:t1_…`), erasing their title, text and author and scrubbing the author from
    /// the copies made of them. References never stored are ignored. Returns the
    /// mentions deleted now (those deleted before are not counted again).
    pub async fn delete_posts(
        &self,
        references: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let keys: Vec<String> = references.iter().map(|r| reference_key(r)).collect();
        let mut found: Vec<(i64, Option<String>)> = Vec::new();
        for chunk in keys.chunks(BATCH) {
            let sql = format!(
                "SELECT DISTINCT m.id, m.author FROM mention_keys k JOIN mentions m ON m.id = k.mention_id \
                 WHERE m.deleted_at IS NULL AND k.key IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, Option<String>)>(&sql);
            for k in chunk {
                q = q.bind(k.clone());
            }
            found.extend(q.fetch_all(&self.pool).await?);
        }
        if found.is_empty() {
            return Ok(Vec::new());
        }
        found.sort();
        found.dedup();
        let ids: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
        let authors: Vec<String> = found
            .into_iter()
            .filter_map(|(_, a)| a.filter(|a| !a.trim().is_empty()))
            .collect();
        let authors = crate::core::privacy::normalise(authors);
        self.erase_marking(&ids, &authors, Scope::CopiesOf, now, true)
            .await?;
        Ok(ids)
    }
}
