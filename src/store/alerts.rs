//! Alert bookkeeping: per recipient and group, when the last alert went out and up to
//! which signal, read and written in one transaction with the alert e-mails it queues.

use chrono::{DateTime, Utc};

use super::outbox::{enqueue_on, Email};
use super::{from_ms, ms, Store, StoreError};

/// What was last sent to a recipient for a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupState {
    /// When.
    pub last_sent_at: DateTime<Utc>,
    /// The newest signal it covered.
    pub last_signal_id: i64,
}

/// One recipient's alert transaction: read the state, queue e-mails, save the state,
/// commit (or drop to roll back).
pub struct AlertTx<'a> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl Store {
    /// Starts one recipient's alert transaction.
    pub async fn begin_alerts(&self) -> Result<AlertTx<'_>, StoreError> {
        let guard = self.write_guard().await;
        let tx = self.pool.begin().await?;
        Ok(AlertTx { tx, _guard: guard })
    }
}

impl AlertTx<'_> {
    /// Alert e-mails queued for `recipient` since `since`.
    pub async fn alerts_since(
        &mut self,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'alert' AND to_email = $1 AND created_at > $2",
        )
        .bind(recipient.to_string())
        .bind(ms(since))
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// What was last sent to `recipient` for `group`.
    pub async fn group(
        &mut self,
        recipient: &str,
        group: &str,
    ) -> Result<Option<GroupState>, StoreError> {
        let row = sqlx::query_as::<_, (i64, i64)>(
            "SELECT last_sent_at, last_signal_id FROM alert_groups WHERE recipient = $1 AND group_key = $2",
        )
        .bind(recipient.to_string())
        .bind(group.to_string())
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.map(|(at, id)| GroupState {
            last_sent_at: from_ms(at),
            last_signal_id: id,
        }))
    }

    /// Queues an e-mail; None when its dedup key was queued before.
    pub async fn enqueue(
        &mut self,
        email: &Email,
        domain: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(enqueue_on(&mut self.tx, email, domain, now).await?)
    }

    /// Records that `recipient` was alerted for `group` up to signal `newest` at `now`.
    pub async fn sent(
        &mut self,
        recipient: &str,
        group: &str,
        now: DateTime<Utc>,
        newest: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO alert_groups (recipient, group_key, last_sent_at, last_signal_id, sent_count) VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (recipient, group_key) DO UPDATE SET last_sent_at = excluded.last_sent_at, last_signal_id = excluded.last_signal_id, \
             sent_count = alert_groups.sent_count + 1",
        )
        .bind(recipient.to_string())
        .bind(group.to_string())
        .bind(ms(now))
        .bind(newest)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Commits what was queued and recorded.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
