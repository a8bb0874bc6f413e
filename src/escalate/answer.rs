//! Answers: what an answer needs, the state change it makes (stored together by
//! `store::answers`), and the response-time figures the house rule is judged on.

use std::collections::BTreeMap;

use super::state::{Action, State};
use crate::store::answers::Transition;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

pub use crate::store::answers::Answer;

/// Time to first answer over one group of escalations.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponseTimes {
    /// "week" | "channel" | "language".
    pub by: String,
    /// The week ("2026-W48"), channel or language.
    pub key: String,
    /// Escalations opened.
    pub opened: usize,
    /// Answered.
    pub answered: usize,
    /// Median time to first answer, in minutes.
    pub median_minutes: Option<f64>,
    /// 90th percentile, in minutes.
    pub p90_minutes: Option<f64>,
    /// Share answered by their due time, among those answered or already due.
    pub within_rule: Option<f64>,
}

/// Records an answer and moves the escalation to "answered", together. An answer needs
/// its text or a link to it; the state must allow answering.
pub async fn record(store: &Store, id: i64, a: &Answer) -> Result<State, StoreError> {
    let body = a.body.as_deref().map(str::trim).filter(|b| !b.is_empty());
    let link = a.link.as_deref().map(str::trim).filter(|b| !b.is_empty());
    if body.is_none() && link.is_none() {
        return Err(StoreError::Config(
            "an answer needs its text or a link to it".into(),
        ));
    }
    if link.is_some_and(|l| !crate::core::text::is_web_link(l)) {
        return Err(StoreError::Config(
            "an answer's link must be an http(s) address".into(),
        ));
    }
    let current = store
        .escalation_state(id)
        .await?
        .ok_or_else(|| StoreError::Config(format!("no escalation {id}")))?;
    let from = State::parse(&current).ok_or_else(|| StoreError::Corrupt {
        what: "escalations.state",
        message: current.clone(),
    })?;
    let next = from.apply(Action::Answer).map_err(StoreError::Config)?;
    let note = body
        .or(link)
        .map(|t| t.chars().take(200).collect::<String>());
    let stored = Answer {
        at: a.at,
        by: a.by.clone(),
        channel: a.channel.clone().filter(|c| !c.trim().is_empty()),
        body: body.map(str::to_string),
        link: link.map(str::to_string),
    };
    let t = Transition {
        from: from.as_str(),
        to: next.as_str(),
        note: note.as_deref(),
    };
    if !store.save_answer(id, &t, &stored).await? {
        return Err(StoreError::Config(format!(
            "escalation {id} changed meanwhile; look again"
        )));
    }
    Ok(next)
}

/// Time to first answer per week, channel and language, for escalations opened since
/// `since`. Dismissed ones are left out: they needed no answer.
pub async fn response_times(
    store: &Store,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ResponseTimes>, StoreError> {
    let mut groups: BTreeMap<(String, String), Vec<Case>> = BTreeMap::new();
    for r in store.answer_cases(since).await? {
        if r.state == State::Dismissed.as_str() {
            continue;
        }
        let c = Case {
            opened: r.opened_at,
            due: r.due_at,
            answered: r.answered_at,
        };
        let week = r.opened_at.iso_week();
        for key in [
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
    Ok(groups
        .into_iter()
        .map(|((by, key), cases)| figures(by, key, &cases, now))
        .collect())
}

#[derive(Debug, Clone)]
struct Case {
    opened: DateTime<Utc>,
    due: DateTime<Utc>,
    answered: Option<DateTime<Utc>>,
}

fn figures(by: String, key: String, cases: &[Case], now: DateTime<Utc>) -> ResponseTimes {
    let mut minutes: Vec<f64> = cases
        .iter()
        .filter_map(|c| {
            c.answered
                .map(|a| (a - c.opened).num_seconds() as f64 / 60.0)
        })
        .collect();
    minutes.sort_by(f64::total_cmp);
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
        answered: minutes.len(),
        median_minutes: quantile(&minutes, 0.5),
        p90_minutes: quantile(&minutes, 0.9),
        within_rule: (!judged.is_empty()).then(|| kept as f64 / judged.len() as f64),
    }
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
    }

    #[test]
    fn within_rule_counts_late_and_unanswered_overdue() {
        let t = |h: i64| {
            Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap() + chrono::Duration::hours(h)
        };
        let cases = vec![
            // answered in 1 h, due in 9 h: kept
            Case {
                opened: t(0),
                due: t(9),
                answered: Some(t(1)),
            },
            // answered in 12 h, due in 9 h: late
            Case {
                opened: t(0),
                due: t(9),
                answered: Some(t(12)),
            },
            // unanswered and overdue: counts against
            Case {
                opened: t(0),
                due: t(9),
                answered: None,
            },
            // unanswered, not yet due: not judged
            Case {
                opened: t(20),
                due: t(29),
                answered: None,
            },
        ];
        let f = figures("week".into(), "w".into(), &cases, t(21));
        assert_eq!(f.opened, 4);
        assert_eq!(f.answered, 2);
        assert_eq!(f.median_minutes, Some(60.0));
        assert_eq!(f.p90_minutes, Some(720.0));
        assert!((f.within_rule.unwrap() - 1.0 / 3.0).abs() < 1e-9);
    }
}
