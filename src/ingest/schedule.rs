//! When to poll next: jittered intervals, backoff after failures, and waits read from
//! the network added to a time without overflow.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// `base ± 10%`: spreads polls of many sources so they do not all fire together.
pub(super) fn jitter(base: Duration) -> Duration {
    let spread = base.as_secs_f64() * 0.1;
    let j = rand::thread_rng().gen_range(-spread..=spread);
    Duration::from_secs_f64((base.as_secs_f64() + j).max(1.0))
}

/// Wait before the next poll after `errors` consecutive failures: doubles each time, capped.
pub(super) fn backoff(every: Duration, errors: i64, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(errors.clamp(0, 20) as u32);
    every.saturating_mul(factor).min(max.max(every))
}

/// `t + d`, with `d` taken as at most a week: a wait read from the network can be absurd.
pub(super) fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    let d = chrono::Duration::from_std(d.min(crate::sources::http::MAX_WAIT))
        .unwrap_or(chrono::Duration::weeks(1));
    t.checked_add_signed(d).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (#14): `Retry-After: 99999999999999` overflowed `DateTime + TimeDelta`.
    #[test]
    fn waits_from_the_network_are_bounded_and_never_overflow() {
        let now = Utc::now();
        assert_eq!(add(now, Duration::MAX), now + chrono::Duration::weeks(1));
        assert_eq!(
            add(now, Duration::from_secs(99_999_999_999_999)),
            now + chrono::Duration::weeks(1)
        );
        assert_eq!(
            add(now, Duration::from_secs(60)),
            now + chrono::Duration::minutes(1)
        );
        assert_eq!(
            add(DateTime::<Utc>::MAX_UTC, Duration::from_secs(60)),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let m = Duration::from_secs(3600);
        assert_eq!(
            backoff(Duration::from_secs(60), 0, m),
            Duration::from_secs(60)
        );
        assert_eq!(
            backoff(Duration::from_secs(60), 1, m),
            Duration::from_secs(120)
        );
        assert_eq!(
            backoff(Duration::from_secs(60), 3, m),
            Duration::from_secs(480)
        );
        assert_eq!(backoff(Duration::from_secs(60), 30, m), m);
        // an interval longer than the cap is never shortened
        assert_eq!(
            backoff(Duration::from_secs(7200), 2, m),
            Duration::from_secs(7200)
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..100 {
            let j = jitter(Duration::from_secs(100)).as_secs_f64();
            assert!((90.0..=110.0).contains(&j), "{j}");
        }
    }
}
