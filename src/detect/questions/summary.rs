//! A group of questions described for people: representative question, counts per day
//! and week, trend, languages, channels, approved answer, answered share and time.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use super::cluster::Grouping;
use crate::core::question::Group;
use crate::detect::knowledge::KnowledgeBase;
use crate::store::questions::QuestionRow;

/// Weeks before the last one that the trend compares it with.
const TREND_WEEKS: i64 = 4;
/// Example questions kept per group.
const EXAMPLES: usize = 3;

/// The period reported on, in event time, and the weeks before it read for the trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Start (included).
    pub since: DateTime<Utc>,
    /// End (excluded).
    pub until: DateTime<Utc>,
}

impl Window {
    /// The last week up to `until` unless `since` says otherwise.
    pub fn new(since: Option<DateTime<Utc>>, until: DateTime<Utc>) -> Window {
        Window {
            since: since.unwrap_or(until - Duration::days(7)),
            until,
        }
    }

    /// From when questions are read: the window, and the four weeks before its last one.
    pub fn history_start(&self) -> DateTime<Utc> {
        self.since
            .min(self.until - Duration::days(7 * (TREND_WEEKS + 1)))
    }

    /// Index of the week (0 = the last seven days before `until`) of a time.
    fn week(&self, at: DateTime<Utc>) -> Option<usize> {
        let back = (self.until - at).num_seconds();
        (back > 0)
            .then(|| (back - 1) / (7 * 86_400))
            .filter(|w| *w <= TREND_WEEKS)
            .map(|w| w as usize)
    }
}

/// Describes the groups that have questions in the window, largest first.
pub fn describe(
    rows: &[QuestionRow],
    g: &Grouping,
    kb: Option<&KnowledgeBase>,
    window: &Window,
) -> Vec<Group> {
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, c) in g.of.iter().enumerate() {
        members.entry(*c).or_default().push(i);
    }
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Group> = members
        .into_iter()
        .filter_map(|(c, m)| one(rows, g, kb, window, c, &m))
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.first_seen_at.cmp(&b.first_seen_at))
    });
    // Two groups with the same main terms: the smaller gets a suffix.
    for grp in &mut out {
        let n = ids.entry(grp.id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            grp.id = format!("{}~{}", grp.id, n);
        }
    }
    out
}

fn one(
    rows: &[QuestionRow],
    g: &Grouping,
    kb: Option<&KnowledgeBase>,
    window: &Window,
    c: usize,
    members: &[usize],
) -> Option<Group> {
    let inside: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| rows[*i].at >= window.since && rows[*i].at < window.until)
        .collect();
    if inside.is_empty() {
        return None;
    }
    let mut weeks = vec![0usize; TREND_WEEKS as usize + 1];
    for i in members {
        if let Some(w) = window.week(rows[*i].at) {
            weeks[w] += 1;
        }
    }
    weeks.reverse();
    let last = *weeks.last().unwrap_or(&0) as f64;
    let before = weeks[..weeks.len() - 1].iter().sum::<usize>() as f64 / TREND_WEEKS as f64;
    let trend = ((last - before) / before.max(1.0) * 100.0).round() / 100.0;
    let mut languages = BTreeMap::new();
    let mut channels = BTreeMap::new();
    let mut days = BTreeMap::new();
    let mut waits = Vec::new();
    for i in &inside {
        let r = &rows[*i];
        *languages.entry(r.lang.clone()).or_insert(0) += 1;
        *channels.entry(r.source.clone()).or_insert(0) += 1;
        *days.entry(r.at.date_naive().to_string()).or_insert(0) += 1;
        if let Some(a) = r.answered_at {
            waits.push(((a - r.at).num_seconds().max(0) as f64) / 60.0);
        }
    }
    let representative = inside
        .iter()
        .copied()
        .max_by(|a, b| {
            g.closeness[*a]
                .total_cmp(&g.closeness[*b])
                .then(rows[*b].text.len().cmp(&rows[*a].text.len()))
        })
        .unwrap_or(inside[0]);
    let cluster = &g.clusters[c];
    let claim = cluster
        .claim
        .and_then(|k| kb.map(|kb| kb.claims[k].id.clone()));
    let id = match &claim {
        Some(k) => format!("kb:{k}"),
        None => {
            let top: Vec<String> = (cluster.top_terms(3).into_iter())
                .filter(|(_, w)| *w > 0.0)
                .map(|(t, _)| g.terms[t as usize].trim_start_matches("c:").to_string())
                .collect();
            format!("q:{}", top.join("+"))
        }
    };
    Some(Group {
        id,
        text: super::whole(&rows[representative]),
        count: inside.len(),
        languages,
        channels,
        first_seen_at: rows[inside[0]].at,
        last_seen_at: rows[*inside.last()?].at,
        trend,
        weeks,
        days,
        knowledge: claim,
        answered_share: ((waits.len() as f64 / inside.len() as f64) * 1000.0).round() / 1000.0,
        median_answer_minutes: median(&mut waits),
        examples: inside
            .iter()
            .take(EXAMPLES)
            .map(|i| super::whole(&rows[*i]))
            .collect(),
        mention_ids: inside.iter().map(|i| rows[*i].id).collect(),
    })
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    let x = if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    };
    Some((x * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn weeks_count_back_from_the_end_and_the_trend_compares_the_last_one() {
        let until = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
        let w = Window::new(None, until);
        assert_eq!(w.since, until - Duration::days(7));
        assert_eq!(w.week(until - Duration::hours(1)), Some(0));
        assert_eq!(w.week(until - Duration::days(8)), Some(1));
        assert_eq!(w.week(until - Duration::days(36)), None);
        assert_eq!(w.week(until), None);
        assert_eq!(w.history_start(), until - Duration::days(35));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
