//! People who may log in to the web page, with a role, an argon2 password hash and a
//! language; and their sessions, of which only a hash of the token is stored.

use std::cell::RefCell;

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::limit::Slot;
use crate::store::{Store, StoreError};

pub use crate::core::role::Role;
pub use crate::store::users::User;

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

thread_local! {
    /// argon2's work area (19 MiB with our parameters), kept for this thread's next check.
    /// Allocated afresh for each check, freed blocks stay resident in the allocator's
    /// arena, split by small allocations in between, and the peak grows check after check.
    static WORK: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Checks a password against a stored PHC string (in this thread's kept work area: run it
/// on the few password threads of `limit::Hashing`).
pub fn verify_password(password: &str, phc: &str) -> bool {
    WORK.with(|w| verify_in(password.as_bytes(), phc, &mut w.borrow_mut()))
}

/// What argon2's `PasswordVerifier` does, with `work` as the memory.
fn verify_in(password: &[u8], phc: &str, work: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(hash.algorithm),
        hash.version.map(Version::try_from).transpose(),
        Params::try_from(&hash),
    ) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let need = params.block_count();
    if work.len() < need {
        work.resize(need, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version.unwrap_or_default(), params)
        .hash_password_into_with_memory(password, salt, &mut out, &mut work[..need])
        .is_ok()
        // Output compares in constant time.
        && Output::new(&out).is_ok_and(|o| o == expected)
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

/// Adds a user, or replaces the role, language and password of an existing one, after
/// checking the password policy and the e-mail's shape; a new password ends the sessions
/// opened with the old one.
pub async fn put_user(
    store: &Store,
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
    // The login page refuses longer e-mails before checking anything.
    if !email.contains('@')
        || email.contains(char::is_whitespace)
        || email.chars().count() > super::limit::MAX_EMAIL
    {
        return Err(StoreError::Config(format!(
            "{email:?} is not an e-mail address"
        )));
    }
    let hash = hash_password(password).map_err(StoreError::Config)?;
    let user = store.put_user(&email, role, language, &hash, now).await?;
    store.close_sessions_of(&email).await?;
    Ok(user)
}

/// The user whose e-mail and password these are; the password is checked in `slot`.
pub async fn check_login(
    store: &Store,
    email: &str,
    password: &str,
    slot: &Slot<'_>,
) -> Result<Option<User>, StoreError> {
    let found = store.credentials(&email.trim().to_lowercase()).await?;
    // An unknown e-mail costs the same work as a wrong password, so timing does not
    // tell which e-mails exist.
    let phc = match &found {
        Some(c) => c.password_hash.clone(),
        None => DUMMY_HASH.to_string(),
    };
    let password = password.to_string();
    let ok = slot
        .run(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    Ok(found.filter(|_| ok).map(|c| c.user))
}

/// Opens a session; returns the cookie token (only its hash is stored).
pub async fn open_session(
    store: &Store,
    user: &User,
    now: DateTime<Utc>,
    ttl: std::time::Duration,
) -> Result<String, StoreError> {
    let token = random_token();
    let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
    store
        .open_session(&token_hash(&token), user.id, &random_token(), now, expires)
        .await?;
    Ok(token)
}

/// The live session of a cookie token.
pub async fn session(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let h = token_hash(token);
    Ok(store
        .session(&h)
        .await?
        .filter(|s| s.expires_at >= now)
        .map(|s| Session {
            user: s.user,
            csrf: s.csrf,
            token_hash: h,
        }))
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
    fn the_kept_work_area_agrees_with_argon2_and_is_reused() {
        use argon2::PasswordVerifier;
        let mut work = Vec::new();
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let cheap = small.hash_password(b"pw one", &salt).unwrap().to_string();
        let full = hash_password("pw two").unwrap();
        for (pw, phc) in [("pw one", &cheap), ("pw two", &full), ("pw one", &full)] {
            let h = PasswordHash::new(phc).unwrap();
            let want = Argon2::default().verify_password(pw.as_bytes(), &h).is_ok();
            assert_eq!(verify_in(pw.as_bytes(), phc, &mut work), want, "{pw} {phc}");
        }
        assert_eq!(work.len(), 19456, "grown to the largest cost");
        let at = work.as_ptr();
        assert!(verify_in(b"pw one", &cheap, &mut work));
        assert_eq!(work.as_ptr(), at, "and reused, not reallocated");
        assert!(!verify_in(
            b"pw one",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$",
            &mut work
        ));
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
