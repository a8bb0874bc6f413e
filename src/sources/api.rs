//! What JSON APIs (Mastodon, Reddit, GDELT, YouTube) have in common: status codes turned
//! into [`SourceError`]s, rate-limit headers read, URLs cleaned of secrets before they
//! reach an error message, and lenient decoding that skips the entries it cannot read.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tracing::warn;

use super::http::{parse_retry_after, Raw, MAX_WAIT};
use super::SourceError;

/// Wait when a server says its limit is spent but not when it resets.
const DEFAULT_RESET: Duration = Duration::from_secs(60);

/// Turns a response into an error unless it is a success.
/// `auth_hint` says which environment variable(s) to check on 401/403.
pub fn check(raw: Raw, url: &str, auth_hint: &str) -> Result<Raw, SourceError> {
    match raw.status {
        200..=299 => Ok(raw),
        429 => Err(SourceError::RateLimited {
            status: 429,
            retry_after: retry_after(&raw.headers, SystemTime::now())
                .or_else(|| reset_wait(&raw.headers, SystemTime::now())),
        }),
        503 if raw.headers.contains_key(RETRY_AFTER) => Err(SourceError::RateLimited {
            status: 503,
            retry_after: retry_after(&raw.headers, SystemTime::now()),
        }),
        401 | 403 => Err(SourceError::Unauthorized {
            status: raw.status,
            hint: auth_hint.to_string(),
        }),
        s => Err(SourceError::Status {
            status: s,
            url: redact(url),
        }),
    }
}

fn retry_after(h: &HeaderMap, now: SystemTime) -> Option<Duration> {
    h.get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now))
}

/// A rate-limit header, `X-RateLimit-*` or the IETF draft's `RateLimit-*` (Bluesky).
fn rate_header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(format!("x-ratelimit-{name}"))
        .or_else(|| h.get(format!("ratelimit-{name}")))
        .and_then(|v| v.to_str().ok())
}

/// When `X-RateLimit-Remaining` says the limit is spent, how long until
/// `X-RateLimit-Reset`. Reset comes as seconds to wait (Reddit), a Unix time
/// (Bluesky), or an ISO 8601 time (Mastodon).
pub fn spent_wait(h: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let remaining: f64 = rate_header(h, "remaining").and_then(|v| v.trim().parse().ok())?;
    if remaining >= 1.0 {
        return None;
    }
    Some(reset_wait(h, now).unwrap_or(DEFAULT_RESET))
}

/// `X-RateLimit-Reset` as a wait from `now`, at most [`MAX_WAIT`]; None when unreadable
/// (NaN, infinite), never a panic.
pub fn reset_wait(h: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = rate_header(h, "reset")?.trim();
    if let Ok(n) = v.parse::<f64>() {
        if !n.is_finite() {
            return None;
        }
        if n < 1.0e9 {
            let secs = Duration::try_from_secs_f64(n.max(0.0).ceil()).unwrap_or(MAX_WAIT);
            return Some(secs.min(MAX_WAIT));
        }
        // A time too far away to represent is a very long wait: the longest we accept.
        let Some(at) = Duration::try_from_secs_f64(n)
            .ok()
            .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d))
        else {
            return Some(MAX_WAIT);
        };
        return Some(
            at.duration_since(now)
                .unwrap_or(Duration::ZERO)
                .min(MAX_WAIT),
        );
    }
    let at: chrono::DateTime<chrono::Utc> = chrono::DateTime::parse_from_rfc3339(v).ok()?.into();
    let at: SystemTime = at.into();
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_WAIT),
    )
}

/// The time a source stored as its cursor (RFC 3339), or `lookback` before now when it
/// has none yet (or an unreadable one).
pub fn cursor_time(cursor: Option<&str>, lookback: Duration) -> chrono::DateTime<chrono::Utc> {
    cursor
        .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| lookback_start(lookback))
}

/// `lookback` before now: how far back a first poll reads (the beginning of time for a
/// lookback too large to subtract).
pub fn lookback_start(lookback: Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::Duration::from_std(lookback)
        .ok()
        .and_then(|d| chrono::Utc::now().checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

/// The default `lookback` of the social sources: a day.
pub fn one_day() -> Duration {
    Duration::from_secs(86400)
}

/// The host of a URL, which per-host rate limits key on.
pub fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok().as_ref().and_then(host_key)
}

/// The host rate limits key on: its name, and its port when the URL names one (two
/// servers on one machine are two servers; `https://host:443/` is `host`).
pub fn host_key(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}

/// The URL without its query values for secret-looking keys (`key`, `token`, ...).
pub fn redact(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_string();
    };
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let secret = matches!(
                k.to_ascii_lowercase().as_str(),
                "key" | "api_key" | "apikey" | "token" | "access_token" | "client_secret"
            );
            (
                k.into_owned(),
                if secret {
                    "[redacted]".into()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    if !pairs.is_empty() {
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Parses a JSON body, with the start of the body in the error when it is not JSON
/// (APIs answer plain-text errors with 200 at times).
pub fn json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, SourceError> {
    serde_json::from_slice(body).map_err(|e| {
        let start: String = String::from_utf8_lossy(&body[..body.len().min(200)])
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        SourceError::Parse(format!(
            "{what}: not the JSON expected ({e}); body starts {start:?}"
        ))
    })
}

/// [`json`] on the blocking pool: decoding a large answer is CPU work, kept off the
/// async workers.
pub async fn json_off<T: DeserializeOwned + Send + 'static>(
    body: Vec<u8>,
    what: &'static str,
) -> Result<T, SourceError> {
    super::blocking(move || json(&body, what)).await?
}

/// Decodes each entry on its own: one malformed entry is logged and skipped, not fatal.
/// Returns the entries read and how many were skipped.
pub fn lenient<T: DeserializeOwned>(
    values: Vec<serde_json::Value>,
    source: &str,
    what: &str,
) -> (Vec<T>, usize) {
    let mut out = Vec::with_capacity(values.len());
    let mut skipped = 0;
    for (i, v) in values.into_iter().enumerate() {
        match serde_json::from_value::<T>(v) {
            Ok(t) => out.push(t),
            Err(e) => {
                skipped += 1;
                warn!(source, what, index = i, error = %e, "malformed entry skipped");
            }
        }
    }
    (out, skipped)
}

/// A short title for a post that has none: its first line, cut at a word near 120 chars.
pub fn post_title(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() <= 120 {
        return line.to_string();
    }
    let cut: String = line.chars().take(120).collect();
    match cut.rfind(' ') {
        Some(i) if i > 60 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    /// Regression (#14): `X-RateLimit-Reset: NaN` panicked in a poll task, and the source
    /// and its host stayed busy until restart.
    #[test]
    fn absurd_reset_headers_give_a_bounded_wait_or_none() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        for v in ["NaN", "inf", "-inf"] {
            assert_eq!(
                reset_wait(&headers(&[("x-ratelimit-reset", v)]), now),
                None,
                "{v}"
            );
        }
        for v in ["1e300", "99999999999999", "500000000"] {
            let w = reset_wait(&headers(&[("x-ratelimit-reset", v)]), now);
            assert!(w.is_some_and(|w| w <= MAX_WAIT), "{v}: {w:?}");
        }
        let spent = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "NaN")]);
        assert_eq!(spent_wait(&spent, now), Some(DEFAULT_RESET));
    }

    #[test]
    fn spent_limits_in_every_reset_format() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        // Reddit: seconds to wait, remaining as a float.
        let h = headers(&[
            ("x-ratelimit-remaining", "0.0"),
            ("x-ratelimit-reset", "42"),
        ]);
        assert_eq!(spent_wait(&h, now), Some(Duration::from_secs(42)));
        // Mastodon: ISO 8601.
        let at = chrono::DateTime::<chrono::Utc>::from(now + Duration::from_secs(300));
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &at.to_rfc3339()),
        ]);
        assert_eq!(spent_wait(&h, now), Some(Duration::from_secs(300)));
        // Unix time.
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1800000090"),
        ]);
        assert_eq!(spent_wait(&h, now), Some(Duration::from_secs(90)));
        // Not spent, or no header: no wait.
        let h = headers(&[("x-ratelimit-remaining", "12"), ("x-ratelimit-reset", "42")]);
        assert_eq!(spent_wait(&h, now), None);
        assert_eq!(spent_wait(&HeaderMap::new(), now), None);
        // Spent without a reset: a default wait rather than hammering.
        let h = headers(&[("x-ratelimit-remaining", "0")]);
        assert_eq!(spent_wait(&h, now), Some(DEFAULT_RESET));
    }

    #[test]
    fn secrets_never_reach_urls_in_errors() {
        let r = redact("https://www.googleapis.com/youtube/v3/search?q=impots&key=AIzaSECRET");
        assert!(!r.contains("AIzaSECRET"), "{r}");
        assert!(r.contains("q=impots"), "{r}");
    }

    #[test]
    fn titles_from_posts() {
        assert_eq!(post_title("\n  Bonjour\nsuite"), "Bonjour");
        let long = "mot ".repeat(60);
        let t = post_title(&long);
        assert!(t.ends_with('…') && t.chars().count() <= 121, "{t}");
    }
}

/// A Bluesky post record's `reply`: the post it answers and its thread's first post, as
/// `at://` URIs (the posts' own references, see `ThreadLinks`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct BskyReply {
    /// The post answered.
    pub parent: BskyRef,
    /// The thread's first post.
    pub root: BskyRef,
}

/// A strong reference to a Bluesky record (only its URI is used).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct BskyRef {
    /// `at://did/app.bsky.feed.post/rkey`
    pub uri: String,
}

/// The thread links of a Bluesky post `uri` with its record's `reply`.
pub fn bsky_thread(uri: &str, reply: Option<BskyReply>) -> crate::core::model::ThreadLinks {
    crate::core::model::ThreadLinks {
        id: Some(uri.to_string()),
        in_reply_to: reply.as_ref().map(|r| r.parent.uri.clone()),
        root: reply.map(|r| r.root.uri),
    }
}
