//! Hosts the sources call: requests, rate limits met, and waits asked for (see
//! `sources::hosts`, which keeps them between saves).

use chrono::{DateTime, Utc};

use super::{from_ms, ms, Store, StoreError};

/// A host as the database keeps it, or a change to save.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostRecord {
    /// Host name, as `Url::host_str` writes it.
    pub host: String,
    /// Requests sent to it (read: since it was first called; saved: added).
    pub requests: i64,
    /// Of these, the ones it answered with a rate limit (read: in all; saved: added).
    pub rate_limited: i64,
    /// Until when it asked us to wait, and since when (saved: None leaves it as it is).
    pub wait: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// A `hosts` row: host, requests, rate limited, wait until, wait since.
type HostRow = (String, i64, i64, Option<i64>, Option<i64>);

impl Store {
    /// Every host called so far, by name.
    pub async fn hosts(&self) -> Result<Vec<HostRecord>, StoreError> {
        let rows: Vec<HostRow> = sqlx::query_as(
            "SELECT host, requests, rate_limited, wait_until, wait_since FROM hosts ORDER BY host",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(host, requests, rate_limited, until, since)| HostRecord {
                host,
                requests,
                rate_limited,
                wait: until.map(|u| (from_ms(u), from_ms(since.unwrap_or(u)))),
            })
            .collect())
    }

    /// Adds the counts of `changes` and records their waits, in one transaction.
    pub async fn save_hosts(&self, changes: &[HostRecord]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            let mut tx = self.pool.begin().await?;
            for c in changes {
                sqlx::query(
                    "INSERT INTO hosts (host, requests, rate_limited, wait_until, wait_since) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (host) DO UPDATE SET requests = hosts.requests + excluded.requests, \
                     rate_limited = hosts.rate_limited + excluded.rate_limited, \
                     wait_until = COALESCE(excluded.wait_until, hosts.wait_until), \
                     wait_since = COALESCE(excluded.wait_since, hosts.wait_since)",
                )
                .bind(c.host.clone())
                .bind(c.requests)
                .bind(c.rate_limited)
                .bind(c.wait.map(|(u, _)| ms(u)))
                .bind(c.wait.map(|(_, s)| ms(s)))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })
        .await
    }
}
