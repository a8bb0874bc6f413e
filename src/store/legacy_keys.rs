//! Dedup keys written before keys were hashed (migration 0011) are stored hashed at the
//! first start after it, once: a flag says it is done, so later starts do not scan the key
//! table again (`NOT LIKE` cannot use its index). Binaries older than the flag's migration
//! refuse the database, so no unhashed key can be written after it.

use chrono::Utc;

use super::mentions::{is_stored_key, stored_key};
use super::{ms, Store, StoreError};

const FLAG: &str = "keys_hashed";

impl Store {
    /// Hashes the legacy keys, unless a start already did.
    pub(super) async fn hash_legacy_keys(&self) -> Result<(), StoreError> {
        let done: Option<String> =
            sqlx::query_scalar("SELECT name FROM store_flags WHERE name = $1")
                .bind(FLAG)
                .fetch_optional(&self.pool)
                .await?;
        if done.is_some() {
            return Ok(());
        }
        loop {
            let keys: Vec<String> = sqlx::query_scalar(
                "SELECT key FROM mention_keys WHERE key NOT LIKE 'h:%' LIMIT 500",
            )
            .fetch_all(&self.pool)
            .await?;
            let keys: Vec<String> = keys.into_iter().filter(|k| !is_stored_key(k)).collect();
            let _g = self.write_guard().await;
            if keys.is_empty() {
                sqlx::query(
                    "INSERT INTO store_flags (name, at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                )
                .bind(FLAG)
                .bind(ms(Utc::now()))
                .execute(&self.pool)
                .await?;
                return Ok(());
            }
            self.retry_locked(|| async {
                let mut tx = self.pool.begin().await?;
                for k in &keys {
                    // A concurrent process may have hashed it already: then this is a no-op.
                    sqlx::query("UPDATE mention_keys SET key = $1 WHERE key = $2")
                        .bind(stored_key(k))
                        .bind(k.clone())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            })
            .await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn keys(store: &Store) -> Vec<String> {
        sqlx::query_scalar("SELECT key FROM mention_keys ORDER BY key")
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn legacy_keys_are_hashed_once_and_later_starts_do_not_look_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open("sqlite://vigie.db", dir.path()).await.unwrap();
        let m = crate::core::model::NewMention {
            keys: vec!["link:https://example.org/a".into()],
            source: "s".into(),
            title: "t".into(),
            ..Default::default()
        };
        let id = store.ingest(&[m], Utc::now()).await.unwrap()[0].id;
        // A database from before 0011: a key in clear, and no flag.
        sqlx::query("INSERT INTO mention_keys (key, mention_id) VALUES ('guid:s:g1', $1)")
            .bind(id)
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM store_flags")
            .execute(&store.pool)
            .await
            .unwrap();
        store.hash_legacy_keys().await.unwrap();
        let hashed = keys(&store).await;
        assert!(hashed.iter().all(|k| is_stored_key(k)), "{hashed:?}");
        assert!(hashed.contains(&stored_key("guid:s:g1")), "{hashed:?}");
        // Flagged: a start does not scan again (what it would find is shown here by
        // planting a key in clear, which only a test can still write).
        sqlx::query("INSERT INTO mention_keys (key, mention_id) VALUES ('guid:s:g2', $1)")
            .bind(id)
            .execute(&store.pool)
            .await
            .unwrap();
        store.hash_legacy_keys().await.unwrap();
        assert!(keys(&store).await.contains(&"guid:s:g2".to_string()));
        store.close().await;
        let reopened = Store::open("sqlite://vigie.db", dir.path()).await.unwrap();
        assert!(keys(&reopened).await.contains(&"guid:s:g2".to_string()));
    }
}
