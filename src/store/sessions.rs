//! Login sessions of the escalation page, kept by a hash of their cookie token (the
//! token itself is never stored).

use chrono::{DateTime, Utc};

use super::users::{User, UserRow};
use super::{from_ms, ms, Store, StoreError};

/// A stored session, looked up by its token hash.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// Whose.
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf: String,
    expires_at: i64,
}

impl Store {
    /// Stores a new session, and forgets those that expired before `now`.
    pub async fn open_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(ms(now))
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_string())
        .bind(user_id)
        .bind(csrf.to_string())
        .bind(ms(now))
        .bind(ms(expires))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this token hash, expired or not.
    pub async fn session(&self, token_hash: &str) -> Result<Option<StoredSession>, StoreError> {
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT u.id, u.email, u.role, u.language, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1",
        )
        .bind(token_hash.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredSession {
                user: User::try_from(r.user)?,
                csrf: r.csrf,
                expires_at: from_ms(r.expires_at),
            })
        })
        .transpose()
    }

    /// Ends a session.
    pub async fn close_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of the user with this e-mail.
    pub async fn close_sessions_of(&self, email: &str) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email = $1)",
        )
        .bind(email.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
