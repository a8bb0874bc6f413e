//! Response time as the rule measures it: time to first answer, from when the citizen
//! wrote (event time) to the first answer (typed into vigie or seen on the platform), in
//! calendar time and in working time (the clock of the one-working-day rule), mean and
//! median, per week, channel and language, and the share answered within the rule.
//! Pure: the escalation list and the digest read the cases from the store.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::core::calendar::Calendar;
use crate::core::escalation::State;

/// One escalation as response times see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerCase {
    /// State name.
    pub state: String,
    /// Opened (when its first mention was written).
    pub opened_at: DateTime<Utc>,
    /// Due.
    pub due_at: DateTime<Utc>,
    /// First moved to "answered".
    pub answered_at: Option<DateTime<Utc>>,
    /// Source of its first mention.
    pub channel: Option<String>,
    /// Language of its first mention.
    pub lang: Option<String>,
}

/// Time to first answer over one group of escalations.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponseTimes {
    /// "all" | "week" | "channel" | "language".
    pub by: String,
    /// The week ("2026-W48"), channel or language; "all" for every escalation.
    pub key: String,
    /// Escalations opened.
    pub opened: usize,
    /// Answered.
    pub answered: usize,
    /// Median time to first answer, in minutes of calendar time.
    pub median_minutes: Option<f64>,
    /// 90th percentile, in minutes of calendar time.
    pub p90_minutes: Option<f64>,
    /// Mean time to first answer, in minutes of calendar time.
    pub mean_minutes: Option<f64>,
    /// Median time to first answer, in minutes of working time.
    pub median_working_minutes: Option<f64>,
    /// Mean time to first answer, in minutes of working time.
    pub mean_working_minutes: Option<f64>,
    /// Share answered by their due time, among those answered or already due.
    pub within_rule: Option<f64>,
}

/// Time to first answer per week, channel and language, and over all ("all"), for the
/// cases opened before `until`. Dismissed ones are left out: they needed no answer.
pub fn response_times(
    cases: Vec<AnswerCase>,
    cal: &Calendar,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<ResponseTimes> {
    let mut groups: BTreeMap<(String, String), Vec<Case>> = BTreeMap::new();
    for r in cases {
        if r.state == State::Dismissed.as_str() || r.opened_at >= until {
            continue;
        }
        let c = Case {
            opened: r.opened_at,
            due: r.due_at,
            answered: r.answered_at,
            working: r
                .answered_at
                .map(|a| minutes(cal.working_time_between(r.opened_at, a))),
        };
        let week = r.opened_at.iso_week();
        for key in [
            ("all".to_string(), "all".to_string()),
            (
                "week".to_string(),
                format!("{}-W{:02}", week.year(), week.week()),
            ),
            (
                "channel".to_string(),
                r.channel.unwrap_or_else(|| "-".into()),
            ),
            ("language".to_string(), r.lang.unwrap_or_else(|| "-".into())),
        ] {
            groups.entry(key).or_default().push(c.clone());
        }
    }
    groups
        .into_iter()
        .map(|((by, key), cases)| figures(by, key, &cases, now))
        .collect()
}

#[derive(Debug, Clone)]
struct Case {
    opened: DateTime<Utc>,
    due: DateTime<Utc>,
    answered: Option<DateTime<Utc>>,
    /// Working minutes to the answer.
    working: Option<f64>,
}

fn minutes(d: chrono::Duration) -> f64 {
    d.num_seconds().max(0) as f64 / 60.0
}

fn figures(by: String, key: String, cases: &[Case], now: DateTime<Utc>) -> ResponseTimes {
    let mut calendar: Vec<f64> = cases
        .iter()
        .filter_map(|c| c.answered.map(|a| minutes(a - c.opened)))
        .collect();
    calendar.sort_by(f64::total_cmp);
    let mut working: Vec<f64> = cases.iter().filter_map(|c| c.working).collect();
    working.sort_by(f64::total_cmp);
    let judged: Vec<&Case> = cases
        .iter()
        .filter(|c| c.answered.is_some() || c.due <= now)
        .collect();
    let kept = judged
        .iter()
        .filter(|c| c.answered.is_some_and(|a| a <= c.due))
        .count();
    ResponseTimes {
        by,
        key,
        opened: cases.len(),
        answered: calendar.len(),
        median_minutes: quantile(&calendar, 0.5),
        p90_minutes: quantile(&calendar, 0.9),
        mean_minutes: mean(&calendar),
        median_working_minutes: quantile(&working, 0.5),
        mean_working_minutes: mean(&working),
        within_rule: (!judged.is_empty()).then(|| kept as f64 / judged.len() as f64),
    }
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Nearest-rank quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(5.0));
        assert_eq!(quantile(&v, 0.9), Some(9.0));
        assert_eq!(quantile(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn figures_count_answers_and_the_rule() {
        let t = |h: i64| {
            Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap() + chrono::Duration::hours(h)
        };
        let case = |opened, due, answered: Option<i64>, working: Option<f64>| Case {
            opened: t(opened),
            due: t(due),
            answered: answered.map(t),
            working,
        };
        let cases = vec![
            // answered in 1 h, due in 9 h: kept
            case(0, 9, Some(1), Some(60.0)),
            // answered in 12 h (overnight: 3 working hours), due in 9 h: late
            case(0, 9, Some(12), Some(180.0)),
            // unanswered and overdue: counts against
            case(0, 9, None, None),
            // unanswered, not yet due: not judged
            case(20, 29, None, None),
        ];
        let f = figures("week".into(), "w".into(), &cases, t(21));
        assert_eq!(f.opened, 4);
        assert_eq!(f.answered, 2);
        assert_eq!(f.median_minutes, Some(60.0));
        assert_eq!(f.p90_minutes, Some(720.0));
        assert_eq!(f.mean_minutes, Some(390.0));
        assert_eq!(f.median_working_minutes, Some(60.0));
        assert_eq!(f.mean_working_minutes, Some(120.0));
        assert!((f.within_rule.unwrap() - 1.0 / 3.0).abs() < 1e-9);
    }
}
