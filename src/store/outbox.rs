//! The outbox table: enqueue (idempotent on a dedup key), claim with a lease, settle.
//! Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL so several instances share the work;
//! SQLite has one writer, so a conditional UPDATE is enough there.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{from_ms, ms, Backend, Store, StoreError};

/// An e-mail to send, fully rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// "alert", "digest", "overflow".
    pub kind: String,
    /// Same key, same e-mail: a second enqueue is a no-op (e.g. one digest per day and person).
    pub dedup_key: Option<String>,
    /// Recipient's name.
    pub to_name: String,
    /// Recipient's address.
    pub to_email: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// Inline PNG referenced from the HTML as `cid:chart`.
    pub inline_png: Option<Vec<u8>>,
}

/// An outbox row, as `vigie outbox --json` prints it (bodies left out).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Queued {
    /// Row id.
    pub id: i64,
    /// Stable Message-ID (without angle brackets).
    pub message_id: String,
    /// "alert", "digest", "overflow".
    pub kind: String,
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// pending | sending | sent | dead
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Last error, if any.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Next attempt (pending rows).
    pub next_attempt_at: DateTime<Utc>,
}

/// A claimed row with everything needed to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// Attempts before this one.
    pub attempts: i64,
    /// Stable Message-ID.
    pub message_id: String,
    /// The e-mail.
    pub email: Email,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    attempts: i64,
    message_id: String,
    kind: String,
    dedup_key: Option<String>,
    to_name: String,
    to_email: String,
    subject: String,
    body_text: String,
    body_html: String,
    inline_png: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow)]
struct QueuedRow {
    id: i64,
    message_id: String,
    kind: String,
    to_email: String,
    subject: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
    next_attempt_at: i64,
}

fn new_message_id(domain: &str) -> String {
    use rand::Rng;
    let r: u128 = rand::thread_rng().gen();
    format!("{:032x}.vigie@{domain}", r)
}

/// Queues an e-mail on an open connection or transaction, so it commits (or not) with
/// what caused it. Returns the row id, or None when its dedup key was already queued.
pub async fn enqueue_on(
    conn: &mut sqlx::AnyConnection,
    email: &Email,
    domain: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO outbox (message_id, dedup_key, kind, to_name, to_email, subject, body_text, body_html, inline_png, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(new_message_id(domain))
    .bind(email.dedup_key.clone())
    .bind(email.kind.clone())
    .bind(email.to_name.clone())
    .bind(email.to_email.clone())
    .bind(email.subject.clone())
    .bind(email.text.clone())
    .bind(email.html.clone())
    .bind(email.inline_png.clone())
    .bind(ms(now))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id)
}

impl Store {
    /// Queues one e-mail in its own transaction.
    pub async fn enqueue(
        &self,
        email: &Email,
        domain: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let _g = self.write_guard().await;
        let mut conn = self.pool.acquire().await?;
        Ok(enqueue_on(&mut conn, email, domain, now).await?)
    }

    /// True when an e-mail with this dedup key was ever queued.
    pub async fn has_dedup_key(&self, key: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE dedup_key = $1")
            .bind(key.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Claims up to `limit` due rows (pending, or sending with an expired lease) for `lease`.
    pub async fn claim(
        &self,
        limit: i64,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let _g = self.write_guard().await;
        let now_ms = ms(now);
        let until = now_ms + lease.as_millis() as i64;
        let pick = match self.backend() {
            Backend::Postgres => "SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $2) OR (state = 'sending' AND lease_until <= $2) \
                                  ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $2) OR (state = 'sending' AND lease_until <= $2) \
                                ORDER BY next_attempt_at, id LIMIT $3",
        };
        let sql = format!(
            "UPDATE outbox SET state = 'sending', lease_until = $1 WHERE id IN ({pick}) \
             RETURNING id, attempts, message_id, kind, dedup_key, to_name, to_email, subject, body_text, body_html, inline_png"
        );
        let rows = sqlx::query_as::<_, ClaimedRow>(&sql)
            .bind(until)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<Claimed> = rows
            .into_iter()
            .map(|r| Claimed {
                id: r.id,
                attempts: r.attempts,
                message_id: r.message_id,
                email: Email {
                    kind: r.kind,
                    dedup_key: r.dedup_key,
                    to_name: r.to_name,
                    to_email: r.to_email,
                    subject: r.subject,
                    text: r.body_text,
                    html: r.body_html,
                    inline_png: r.inline_png,
                },
            })
            .collect();
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    /// Marks a claimed row sent.
    pub async fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query("UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, lease_until = NULL, last_error = NULL WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Puts a claimed row back for a later attempt.
    pub async fn mark_retry(
        &self,
        id: i64,
        error: &str,
        next: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query("UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3")
            .bind(ms(next))
            .bind(error.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Returns a claimed row unsent and uncounted.
    pub async fn release(&self, id: i64) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query("UPDATE outbox SET state = 'pending', lease_until = NULL WHERE id = $1 AND state = 'sending'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives up on a row (permanent failure): it stays visible as dead.
    pub async fn mark_dead(&self, id: i64, error: &str) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query("UPDATE outbox SET state = 'dead', attempts = attempts + 1, lease_until = NULL, last_error = $1 WHERE id = $2")
            .bind(error.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Outbox rows, newest first, optionally of one state.
    pub async fn outbox(&self, state: Option<&str>, limit: i64) -> Result<Vec<Queued>, StoreError> {
        let rows = sqlx::query_as::<_, QueuedRow>(
            "SELECT id, message_id, kind, to_email, subject, state, attempts, last_error, created_at, sent_at, next_attempt_at FROM outbox \
             WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(state.unwrap_or("").to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Queued {
                id: r.id,
                message_id: r.message_id,
                kind: r.kind,
                to: r.to_email,
                subject: r.subject,
                state: r.state,
                attempts: r.attempts,
                last_error: r.last_error,
                created_at: from_ms(r.created_at),
                sent_at: r.sent_at.map(from_ms),
                next_attempt_at: from_ms(r.next_attempt_at),
            })
            .collect())
    }
}
