//! The login form's CSRF token, signed by this server.
//!
//! Before login there is no session to tie a token to, so the form carries a double-submit
//! pair (a cookie and a field). A bare random value would let anyone who can plant a
//! cookie choose the pair; here the value is `TIME.NONCE.MAC` with an HMAC-SHA256 under a
//! key drawn at start and never shown, so only pairs this instance issued, and recently,
//! are accepted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// How long a login form stays valid.
pub const LOGIN_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

/// The per-instance key that signs login tokens.
pub struct LoginKey([u8; 32]);

impl std::fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginKey([REDACTED])")
    }
}

impl LoginKey {
    /// A fresh random key.
    pub fn random() -> LoginKey {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        LoginKey(k)
    }

    fn mac(&self, time: &str, nonce: &str) -> Hmac<Sha256> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        m.update(b"vigie login form\0");
        m.update(time.as_bytes());
        m.update(b".");
        m.update(nonce.as_bytes());
        m
    }

    /// A new token issued at `now`.
    pub fn issue(&self, now: SystemTime) -> String {
        let time = secs(now).to_string();
        let mut n = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut n);
        let nonce = hex::encode(n);
        let tag = hex::encode(self.mac(&time, &nonce).finalize().into_bytes());
        format!("{time}.{nonce}.{tag}")
    }

    /// Whether `token` was issued by this key less than [`LOGIN_TOKEN_TTL`] before `now`.
    pub fn verify(&self, token: &str, now: SystemTime) -> bool {
        let mut parts = token.split('.');
        let (Some(time), Some(nonce), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(issued) = time.parse::<u64>() else {
            return false;
        };
        let Ok(tag) = hex::decode(tag) else {
            return false;
        };
        let age = secs(now).saturating_sub(issued);
        // A token from the future (clock stepped back) is refused as well.
        if issued > secs(now) + 60 || age >= LOGIN_TOKEN_TTL.as_secs() {
            return false;
        }
        self.mac(time, nonce).verify_slice(&tag).is_ok()
    }
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_keys_recent_tokens_verify() {
        let k = LoginKey::random();
        let now = SystemTime::now();
        let t = k.issue(now);
        assert!(k.verify(&t, now));
        assert!(k.verify(&t, now + Duration::from_secs(3600)));
        assert!(!k.verify(&t, now + LOGIN_TOKEN_TTL));
        assert!(
            !LoginKey::random().verify(&t, now),
            "another instance's key"
        );
        let (head, tag) = t.rsplit_once('.').unwrap();
        let flipped = if tag.starts_with('0') { "1" } else { "0" };
        assert!(!k.verify(&format!("{head}.{flipped}{}", &tag[1..]), now));
        let (time, rest) = t.split_once('.').unwrap();
        let later = time.parse::<u64>().unwrap() + 1;
        assert!(!k.verify(&format!("{later}.{rest}"), now), "time is signed");
        for bad in ["", "forged", "1.2", "1.2.3.4", "x.y.zz", &format!("{t}.")] {
            assert!(!k.verify(bad, now), "{bad:?}");
        }
        assert_eq!(format!("{k:?}"), "LoginKey([REDACTED])");
    }
}
