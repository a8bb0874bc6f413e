//! Users of the escalation page: e-mail, role, language and an argon2 password hash.
//! Hashing, verifying and the password policy live with the page (`web::users`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ms, Store, StoreError};
use crate::core::role::Role;

/// A person with access.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login, and the name shown in the history.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Page language: fr, nl or en.
    pub language: String,
}

/// A user and the hash their password must match.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Who.
    pub user: User,
    /// PHC string of the password.
    pub password_hash: String,
}

/// A `users` row (also read through joins, see `sessions.rs`).
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    email: String,
    role: String,
    language: String,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<User, StoreError> {
        Ok(User {
            id: r.id,
            role: Role::parse(&r.role).ok_or_else(|| StoreError::Corrupt {
                what: "users.role",
                message: r.role.clone(),
            })?,
            email: r.email,
            language: r.language,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

impl Store {
    /// Adds a user, or replaces the role, language and password hash of the one with
    /// this e-mail (compared as given: normalise it first).
    pub async fn put_user(
        &self,
        email: &str,
        role: Role,
        language: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let _g = self.write_guard().await;
        sqlx::query(
            "INSERT INTO users (email, role, password_hash, language, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (email) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, language = excluded.language",
        )
        .bind(email.to_string())
        .bind(role.as_str())
        .bind(password_hash.to_string())
        .bind(language.to_string())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        let r = sqlx::query_as::<_, UserRow>(
            "SELECT id, email, role, language FROM users WHERE email = $1",
        )
        .bind(email.to_string())
        .fetch_one(&self.pool)
        .await?;
        User::try_from(r)
    }

    /// All users, by e-mail.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        sqlx::query_as::<_, UserRow>("SELECT id, email, role, language FROM users ORDER BY email")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    /// The user with this e-mail (compared as given) and their password hash.
    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query_as::<_, CredentialsRow>(
            "SELECT id, email, role, language, password_hash FROM users WHERE email = $1",
        )
        .bind(email.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Credentials {
                user: User::try_from(r.user)?,
                password_hash: r.password_hash,
            })
        })
        .transpose()
    }
}
