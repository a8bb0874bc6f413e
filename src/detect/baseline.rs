//! Counts of mentions in 5-minute buckets per key (overall, and per topic), and the
//! baseline a window is compared with: the same clock window on earlier days of the same
//! kind (weekday or weekend), as EARS C2/C3 compares with earlier days and ECDC's
//! epitweetr with the same weekday; when there is no such history yet, the previous 12
//! hours (Meltwater's "last hour vs past 12 hours").

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc, Weekday};
use chrono_tz::Tz;

/// Bucket length, ms.
pub const BUCKET_MS: i64 = 5 * 60 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Mentions and negative mentions per bucket, per key.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    buckets: HashMap<String, HashMap<i64, (u32, u32)>>,
    first_bucket: Option<i64>,
}

/// What a window looks like against its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Mentions in the window.
    pub n: u32,
    /// Negative mentions in the window.
    pub negative: u32,
    /// Expected mentions (mean of the baseline samples, or the 12-hour rate).
    pub expected: f64,
    /// Variance of the baseline samples (0 without samples).
    pub variance: f64,
    /// Baseline samples used (days), 0 when the 12-hour rate was used.
    pub samples: usize,
}

fn is_weekend(t: DateTime<Utc>, tz: Tz) -> bool {
    matches!(t.with_timezone(&tz).weekday(), Weekday::Sat | Weekday::Sun)
}

impl Counts {
    /// Counts one mention at `at` under each of `keys`.
    pub fn add(&mut self, keys: &[String], at: DateTime<Utc>, negative: bool) {
        let b = at.timestamp_millis().div_euclid(BUCKET_MS);
        self.first_bucket = Some(self.first_bucket.map_or(b, |f| f.min(b)));
        for k in keys {
            let e = self
                .buckets
                .entry(k.clone())
                .or_default()
                .entry(b)
                .or_default();
            e.0 += 1;
            e.1 += u32::from(negative);
        }
    }

    /// Forgets buckets older than `keep_days` before `now`.
    pub fn prune(&mut self, now: DateTime<Utc>, keep_days: i64) {
        let oldest = (now.timestamp_millis() - keep_days * DAY_MS).div_euclid(BUCKET_MS);
        for m in self.buckets.values_mut() {
            m.retain(|b, _| *b >= oldest);
        }
        self.buckets.retain(|_, m| !m.is_empty());
        if let Some(f) = self.first_bucket.as_mut() {
            *f = (*f).max(oldest);
        }
    }

    /// Keys seen.
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = self.buckets.keys().cloned().collect();
        k.sort();
        k
    }

    /// (mentions, negative) of `key` in the buckets of (end - len, end].
    pub fn sum(&self, key: &str, end_ms: i64, len_ms: i64) -> (u32, u32) {
        let Some(m) = self.buckets.get(key) else {
            return (0, 0);
        };
        let last = (end_ms - 1).div_euclid(BUCKET_MS);
        let first = (end_ms - len_ms).div_euclid(BUCKET_MS);
        let mut out = (0, 0);
        for b in first..=last {
            if let Some((n, neg)) = m.get(&b) {
                out.0 += n;
                out.1 += neg;
            }
        }
        out
    }

    /// The window of length `len_ms` ending at `now`, with its baseline over the previous
    /// `days` days.
    pub fn window(&self, key: &str, now: DateTime<Utc>, len_ms: i64, days: i64, tz: Tz) -> Window {
        let end = now.timestamp_millis();
        let (n, negative) = self.sum(key, end, len_ms);
        let first = self.first_bucket.map(|b| b * BUCKET_MS);
        let weekend = is_weekend(now, tz);
        let mut same = Vec::new();
        let mut any = Vec::new();
        for d in 1..=days {
            let e = end - d * DAY_MS;
            if first.is_none_or(|f| e - len_ms < f) {
                break;
            }
            let (c, _) = self.sum(key, e, len_ms);
            any.push(c as f64);
            if is_weekend(now - chrono::Duration::days(d), tz) == weekend {
                same.push(c as f64);
            }
        }
        let samples = if same.len() >= 3 { same } else { any };
        if samples.len() >= 3 {
            let mean = samples.iter().sum::<f64>() / samples.len() as f64;
            let var = samples.iter().map(|c| (c - mean).powi(2)).sum::<f64>()
                / (samples.len() - 1) as f64;
            return Window {
                n,
                negative,
                expected: mean,
                variance: var,
                samples: samples.len(),
            };
        }
        // No days of history yet: the rate of the previous 12 hours.
        let twelve = 12 * 3600 * 1000;
        let have = first.map_or(0, |f| (end - len_ms - f).clamp(0, twelve));
        let (before, _) = self.sum(key, end - len_ms, twelve);
        let expected = if have >= 3600 * 1000 {
            before as f64 * len_ms as f64 / have as f64
        } else {
            f64::NAN
        };
        Window {
            n,
            negative,
            expected,
            variance: 0.0,
            samples: 0,
        }
    }
}

fn ln_factorial(n: u32) -> f64 {
    (1..=n).map(|k| (k as f64).ln()).sum()
}

/// P(X >= n) for X ~ Poisson(lambda).
pub fn poisson_tail(n: u32, lambda: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let lambda = lambda.max(1e-9);
    let mut k = n;
    let mut term = (k as f64 * lambda.ln() - lambda - ln_factorial(k)).exp();
    let mut sum = 0.0;
    while term > sum * 1e-12 && k < n + 10_000 {
        sum += term;
        k += 1;
        term *= lambda / k as f64;
    }
    sum.min(1.0)
}

/// P(X >= k) for X ~ Binomial(n, p).
pub fn binomial_tail(k: u32, n: u32, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    let ln_choose = |i: u32| ln_factorial(n) - ln_factorial(i) - ln_factorial(n - i);
    (k..=n)
        .map(|i| (ln_choose(i) + i as f64 * p.ln() + (n - i) as f64 * (1.0 - p).ln()).exp())
        .sum::<f64>()
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tails() {
        assert!((poisson_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-9);
        assert!((poisson_tail(0, 3.0) - 1.0).abs() < 1e-12);
        // P(X >= 10 | 3) = 0.001102...
        assert!((poisson_tail(10, 3.0) - 0.0011025).abs() < 1e-6);
        assert!((binomial_tail(2, 2, 0.5) - 0.25).abs() < 1e-9);
        assert!((binomial_tail(1, 3, 0.5) - 0.875).abs() < 1e-9);
    }

    #[test]
    fn baseline_uses_the_same_window_on_earlier_days_of_the_same_kind() {
        let tz: Tz = "Europe/Brussels".parse().unwrap();
        let mut c = Counts::default();
        let keys = vec!["all".to_string()];
        // Wednesday 25 Nov 2026 10:00 UTC; 4 mentions at 09:45 on each of the previous
        // 14 days, except weekends which get 1.
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        for d in 1..=14 {
            let t = now - chrono::Duration::days(d) - chrono::Duration::minutes(15);
            let n = if is_weekend(t, tz) { 1 } else { 4 };
            for _ in 0..n {
                c.add(&keys, t, false);
            }
        }
        for _ in 0..9 {
            c.add(&keys, now - chrono::Duration::minutes(5), true);
        }
        let w = c.window("all", now, 30 * 60 * 1000, 28, tz);
        assert_eq!(w.n, 9);
        assert_eq!(w.negative, 9);
        // Day 14's window starts before the first mention ever seen: not a sample.
        assert_eq!(w.samples, 9, "nine weekdays among the 13 full days");
        assert!((w.expected - 4.0).abs() < 1e-9);
        assert_eq!(w.variance, 0.0);
    }
}
