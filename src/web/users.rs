//! People who may log in to the web page, with a role, an argon2 password hash and a
//! language; and their sessions, of which only a hash of the token is stored.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::store::{from_ms, ms, Store, StoreError};

/// What someone may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the list.
    Viewer,
    /// Also acknowledges, assigns, answers, closes, dismisses.
    Responder,
    /// Also manages users.
    Admin,
}

impl Role {
    /// Parses "viewer" | "responder" | "admin".
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "responder" => Some(Role::Responder),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Admin => "admin",
        }
    }

    /// May change an escalation's state.
    pub fn can_act(self) -> bool {
        self >= Role::Responder
    }
}

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

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub user: User,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// Hash of the cookie's token (to log out).
    pub token_hash: String,
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// An argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Checks a password against a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random token, 32 bytes in hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// sha256 of a token, in hex: what the sessions table keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets without stopping at the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn user_from(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt {
            what: "users.role",
            message: role.clone(),
        })?,
        language: r.try_get("language")?,
    })
}

impl Store {
    /// Adds a user, or replaces the role, language and password of an existing one.
    pub async fn put_user(
        &self,
        email: &str,
        role: Role,
        language: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        if password.chars().count() < MIN_PASSWORD {
            return Err(StoreError::Config(format!(
                "the password must have at least {MIN_PASSWORD} characters"
            )));
        }
        let email = email.trim().to_lowercase();
        if !email.contains('@') || email.contains(char::is_whitespace) {
            return Err(StoreError::Config(format!(
                "{email:?} is not an e-mail address"
            )));
        }
        let hash = hash_password(password).map_err(StoreError::Config)?;
        let _g = self.write_guard().await;
        sqlx::query(
            "INSERT INTO users (email, role, password_hash, language, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (email) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, language = excluded.language",
        )
        .bind(email.clone())
        .bind(role.as_str())
        .bind(hash)
        .bind(language.to_string())
        .bind(ms(now))
        .execute(self.pool())
        .await?;
        // A new password ends the sessions opened with the old one.
        sqlx::query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email = $1)",
        )
        .bind(email.clone())
        .execute(self.pool())
        .await?;
        let r = sqlx::query("SELECT id, email, role, language FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(self.pool())
            .await?;
        user_from(&r)
    }

    /// All users, by e-mail.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, email, role, language FROM users ORDER BY email")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// The user whose e-mail and password these are.
    pub async fn check_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, role, language, password_hash FROM users WHERE email = $1",
        )
        .bind(email.trim().to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        // An unknown e-mail costs the same work as a wrong password, so timing does not
        // tell which e-mails exist.
        let phc: String = match &row {
            Some(r) => r.try_get("password_hash")?,
            None => DUMMY_HASH.to_string(),
        };
        let ok = tokio::task::spawn_blocking({
            let password = password.to_string();
            move || verify_password(&password, &phc)
        })
        .await
        .unwrap_or(false);
        match row {
            Some(r) if ok => Ok(Some(user_from(&r)?)),
            _ => Ok(None),
        }
    }

    /// Opens a session; returns the cookie token (only its hash is stored).
    pub async fn open_session(
        &self,
        user: &User,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<String, StoreError> {
        let token = random_token();
        let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
        let _g = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(ms(now))
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(user.id)
        .bind(random_token())
        .bind(ms(now))
        .bind(ms(expires))
        .execute(self.pool())
        .await?;
        Ok(token)
    }

    /// The live session of a cookie token.
    pub async fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let h = token_hash(token);
        let row = sqlx::query(
            "SELECT u.id, u.email, u.role, u.language, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1",
        )
        .bind(h.clone())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        if from_ms(r.try_get("expires_at")?) < now {
            return Ok(None);
        }
        Ok(Some(Session {
            user: user_from(&r)?,
            csrf: r.try_get("csrf")?,
            token_hash: h,
        }))
    }

    /// Ends a session.
    pub async fn close_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// A valid argon2 hash of a random string, checked against when the e-mail is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$V4qkGmR0l5yVLbYyeR9G9JY2bOuSCyJ8mXkmDxk0iU8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn roles_order_their_rights() {
        assert!(!Role::Viewer.can_act());
        assert!(Role::Responder.can_act());
        assert!(Role::Admin.can_act());
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", ""));
        assert_eq!(token_hash("x").len(), 64);
        assert_ne!(random_token(), random_token());
    }
}
