//! `[escalation]`: the answer clocks and legal deadlines, and the rules that compute them.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;

use crate::core::calendar::{Calendar, Country};

/// `[escalation]`: the clocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    /// Public holidays of "BE" (default) or "FR".
    #[serde(default = "d_country")]
    pub country: String,
    /// Local working hours, "08:00-17:00".
    #[serde(default = "d_hours")]
    pub working_hours: String,
    /// Extra closing days, "YYYY-MM-DD" (e.g. 15 November, 26 December).
    #[serde(default)]
    pub extra_closed: Vec<String>,
    /// Answer within this many working days (the house rule: 1).
    #[serde(default = "d_one")]
    pub answer_within_days: u32,
    /// Formal requests: acknowledgement of registration within this many working days.
    #[serde(default = "d_one")]
    pub formal_ack_days: u32,
    /// Formal requests: acknowledgement of receipt within this many calendar days.
    #[serde(default = "d_ten")]
    pub formal_receipt_days: u32,
    /// Formal requests: decision within this many months (silence counts as acceptance then).
    #[serde(default = "d_two")]
    pub formal_decision_months: u32,
    /// The institution's own accounts ("@SPFFinances"): questions and complaints
    /// addressed to them open escalations.
    #[serde(default)]
    pub handles: Vec<String>,
    /// The institution's account ids per source name (`{ "mastodon-be" = ["1093…"] }`):
    /// its replies in a conversation record answers on the matching escalations.
    #[serde(default)]
    pub accounts: std::collections::BTreeMap<String, Vec<String>>,
    /// Other answer clocks by severity and topic; the first that matches wins, else
    /// `answer_within_days`.
    #[serde(default)]
    pub clocks: Vec<Clock>,
}

/// `[[escalation.clocks]]`: an answer clock for some severities or topics.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// Applies to this severity ("critical", "warning", "info"); any when absent.
    #[serde(default)]
    pub severity: Option<String>,
    /// Applies to this topic id; any when absent.
    #[serde(default)]
    pub topic: Option<String>,
    /// Working time to answer ("2h", "30m"), counted in working hours only.
    #[serde(default)]
    pub within: Option<String>,
    /// Or whole working days.
    #[serde(default)]
    pub within_days: Option<u32>,
}

fn d_country() -> String {
    "BE".into()
}
fn d_hours() -> String {
    "08:00-17:00".into()
}
fn d_one() -> u32 {
    1
}
fn d_ten() -> u32 {
    10
}
fn d_two() -> u32 {
    2
}

impl Default for EscalationConfig {
    fn default() -> Self {
        EscalationConfig {
            country: d_country(),
            working_hours: d_hours(),
            extra_closed: Vec::new(),
            answer_within_days: 1,
            formal_ack_days: 1,
            formal_receipt_days: 10,
            formal_decision_months: 2,
            handles: Vec::new(),
            accounts: Default::default(),
            clocks: Vec::new(),
        }
    }
}

impl EscalationConfig {
    /// The institution's own accounts: its handles, its account ids per source, and
    /// `more` (source, id) pairs the sources know of themselves.
    pub fn own_accounts(
        &self,
        more: impl IntoIterator<Item = (String, String)>,
    ) -> crate::core::pipeline::OwnAccounts {
        let ids = self
            .accounts
            .iter()
            .flat_map(|(s, ids)| ids.iter().map(move |i| (s.clone(), i.clone())))
            .chain(more)
            .collect();
        crate::core::pipeline::OwnAccounts::new(&self.handles, ids)
    }

    /// Problems in this section, as (key, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if Country::parse(&self.country).is_none() {
            v.push((
                "escalation.country".into(),
                format!("{:?}: use \"BE\" or \"FR\"", self.country),
            ));
        }
        if self.hours().is_none() {
            v.push((
                "escalation.working_hours".into(),
                format!("{:?}: write it as \"08:00-17:00\"", self.working_hours),
            ));
        }
        for (i, c) in self.clocks.iter().enumerate() {
            match (&c.within, c.within_days) {
                (Some(w), None) => match humantime::parse_duration(w.trim()) {
                    Ok(d) if !d.is_zero() => {}
                    _ => v.push((
                        format!("escalation.clocks[{i}].within"),
                        format!("{w:?} is not a duration: write it like \"2h\" or \"30m\" (working time)"),
                    )),
                },
                (None, Some(_)) => {}
                _ => v.push((
                    format!("escalation.clocks[{i}]"),
                    "give either within (\"2h\") or within_days (1)".into(),
                )),
            }
            if let Some(s) = &c.severity {
                if !["critical", "warning", "info"].contains(&s.as_str()) {
                    v.push((
                        format!("escalation.clocks[{i}].severity"),
                        format!("{s:?}: use \"critical\", \"warning\" or \"info\""),
                    ));
                }
            }
        }
        for (i, d) in self.extra_closed.iter().enumerate() {
            if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                v.push((
                    format!("escalation.extra_closed[{i}]"),
                    format!("{d:?} is not a date (YYYY-MM-DD)"),
                ));
            }
        }
        v
    }

    /// When an escalation of this severity and topic opened at `now` is due.
    pub fn due(
        &self,
        cal: &Calendar,
        now: DateTime<Utc>,
        severity: &str,
        topic: Option<&str>,
    ) -> DateTime<Utc> {
        let rule = self.clocks.iter().find(|c| {
            c.severity.as_deref().is_none_or(|s| s == severity)
                && c.topic.as_deref().is_none_or(|t| Some(t) == topic)
        });
        match rule {
            Some(Clock {
                within: Some(w), ..
            }) => match humantime::parse_duration(w.trim()) {
                Ok(d) => cal.add_working_time(
                    now,
                    chrono::Duration::from_std(d).unwrap_or(cal.working_day()),
                ),
                Err(_) => cal.add_working_days(now, self.answer_within_days),
            },
            Some(Clock {
                within_days: Some(n),
                ..
            }) => cal.add_working_days(now, *n),
            _ => cal.add_working_days(now, self.answer_within_days),
        }
    }

    fn hours(&self) -> Option<(NaiveTime, NaiveTime)> {
        crate::core::config::parse_time_range(&self.working_hours).filter(|(a, b)| a < b)
    }

    /// The working calendar in time zone `tz`.
    pub fn calendar(&self, tz: chrono_tz::Tz) -> Calendar {
        let (open, close) = self.hours().unwrap_or((
            NaiveTime::from_hms_opt(8, 0, 0).expect("valid"),
            NaiveTime::from_hms_opt(17, 0, 0).expect("valid"),
        ));
        Calendar::new(
            tz,
            Country::parse(&self.country).unwrap_or(Country::Be),
            open,
            close,
            self.extra_closed
                .iter()
                .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn clocks_by_severity_and_topic() {
        let cfg: EscalationConfig = toml::from_str(
            r#"
            [[clocks]]
            severity = "critical"
            within = "2h"
            [[clocks]]
            topic = "outage"
            within_days = 2
            "#,
        )
        .unwrap();
        assert!(cfg.problems().is_empty(), "{:?}", cfg.problems());
        let cal = cfg.calendar(chrono_tz::Europe::Brussels);
        // Tuesday 24 November 2026, 10:00 in Brussels.
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        let local = |t: DateTime<Utc>| {
            t.with_timezone(&chrono_tz::Europe::Brussels)
                .format("%a %d %H:%M")
                .to_string()
        };
        assert_eq!(
            local(cfg.due(&cal, now, "critical", Some("outage"))),
            "Tue 24 12:00"
        );
        assert_eq!(
            local(cfg.due(&cal, now, "warning", Some("outage"))),
            "Thu 26 10:00"
        );
        assert_eq!(local(cfg.due(&cal, now, "info", None)), "Wed 25 10:00");
        let bad: EscalationConfig =
            toml::from_str("[[clocks]]\nseverity = \"urgent\"\nwithin = \"soon\"\n").unwrap();
        let keys: Vec<String> = bad.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![
                "escalation.clocks[0].within",
                "escalation.clocks[0].severity"
            ]
        );
    }
}
