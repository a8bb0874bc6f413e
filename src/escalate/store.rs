//! Escalations in the store: open (idempotent on a key), change state with an
//! append-only event, list, and export.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::formal::Identification;
use super::state::{Action, State};
use crate::core::calendar::{Calendar, Country};
use crate::store::{from_ms, ms, Store, StoreError};

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
            clocks: Vec::new(),
        }
    }
}

impl EscalationConfig {
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
        crate::notify::route::parse_quiet_hours(&self.working_hours).filter(|(a, b)| a < b)
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

/// What opens an escalation.
#[derive(Debug, Clone)]
pub struct Opening {
    /// "info" | "warning" | "critical".
    pub severity: String,
    /// Topic id.
    pub topic: Option<String>,
    /// Why it was opened, in a few words.
    pub reason: String,
    /// Mentions it is about.
    pub mention_ids: Vec<i64>,
    /// Set when the message looks like a formal request.
    pub formal: Option<Identification>,
    /// Opening twice with the same key does nothing (e.g. "mention:42").
    pub dedup_key: Option<String>,
}

/// An escalation as `vigie escalations --json` prints it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Escalation {
    /// Id.
    pub id: i64,
    /// State.
    pub state: State,
    /// Severity.
    pub severity: String,
    /// Topic.
    pub topic: Option<String>,
    /// Why it was opened.
    pub reason: String,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// Answer due.
    pub due_at: DateTime<Utc>,
    /// Past due and still open.
    pub overdue: bool,
    /// Who has it.
    pub assignee: Option<String>,
    /// Possible formal request.
    pub formal_request: bool,
    /// Elements found: name, address, email.
    pub formal_elements: Vec<String>,
    /// Formal requests: acknowledgement of registration due.
    pub ack_due_at: Option<DateTime<Utc>>,
    /// Formal requests: acknowledgement of receipt due.
    pub receipt_due_at: Option<DateTime<Utc>>,
    /// Formal requests: decision due.
    pub decision_due_at: Option<DateTime<Utc>>,
    /// Formal requests: when silence would count as acceptance.
    pub silence_accept_at: Option<DateTime<Utc>>,
    /// Mentions.
    pub mention_ids: Vec<i64>,
}

/// One entry of an escalation's history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// From (None when opened).
    pub from: Option<String>,
    /// To.
    pub to: String,
    /// Note.
    pub note: Option<String>,
}

const COLUMNS: &str = "SELECT id, state, severity, topic, reason, opened_at, due_at, assignee, formal_request, formal_elements, \
     ack_due_at, receipt_due_at, decision_due_at, silence_accept_at FROM escalations";

impl Store {
    /// Opens an escalation with its due times; None when its key is already open.
    pub async fn open_escalation(
        &self,
        o: &Opening,
        cfg: &EscalationConfig,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let cal = cfg.calendar(tz);
        let due = cfg.due(&cal, now, &o.severity, o.topic.as_deref());
        let formal = o.formal.as_ref().filter(|f| f.is_formal_request());
        let (ack, receipt, decision) = match formal {
            Some(_) => (
                Some(cal.add_working_days(now, cfg.formal_ack_days)),
                Some(now + chrono::Duration::days(cfg.formal_receipt_days as i64)),
                Some(cal.add_months(now, cfg.formal_decision_months)),
            ),
            None => (None, None, None),
        };
        let _g = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO escalations (state, severity, topic, reason, opened_at, due_at, formal_request, formal_elements, ack_due_at, receipt_due_at, \
             decision_due_at, silence_accept_at, dedup_key) VALUES ('new', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) \
             ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        )
        .bind(o.severity.clone())
        .bind(o.topic.clone())
        .bind(o.reason.clone())
        .bind(ms(now))
        .bind(ms(due))
        .bind(i64::from(formal.is_some()))
        .bind(o.formal.as_ref().map(|f| serde_json::to_string(&f.found()).unwrap_or_default()))
        .bind(ack.map(ms))
        .bind(receipt.map(ms))
        .bind(decision.map(ms))
        .bind(o.dedup_key.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            tx.rollback().await?;
            return Ok(None);
        };
        for m in &o.mention_ids {
            sqlx::query("INSERT INTO escalation_mentions (escalation_id, mention_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(*m)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO escalation_events (escalation_id, at, actor, from_state, to_state, note) VALUES ($1, $2, 'vigie', NULL, 'new', $3)")
            .bind(id)
            .bind(ms(now))
            .bind(o.reason.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Applies an action, recording who did it; returns the new state.
    pub async fn act(
        &self,
        id: i64,
        action: Action,
        by: &str,
        to: Option<&str>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<State, StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let next = act_in(&mut tx, id, action, by, to, note, now).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Escalations, optionally of one state, by due time.
    pub async fn escalations(
        &self,
        state: Option<State>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query(&format!(
            "{COLUMNS} WHERE ($1 = '' OR state = $1) ORDER BY due_at, id"
        ))
        .bind(state.map(|s| s.as_str()).unwrap_or("").to_string())
        .fetch_all(self.pool())
        .await?;
        self.escalations_from(rows, now).await
    }

    /// One escalation.
    pub async fn escalation(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Escalation>, StoreError> {
        let rows = sqlx::query(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(self.escalations_from(rows, now).await?.pop())
    }

    async fn escalations_from(
        &self,
        rows: Vec<sqlx::any::AnyRow>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Escalation>, StoreError> {
        let ids = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        let mut mentions = self.escalation_mention_ids(&ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let st: String = r.try_get(1)?;
            let state = State::parse(&st).ok_or_else(|| StoreError::Corrupt {
                what: "escalations.state",
                message: st.clone(),
            })?;
            let due_at = from_ms(r.try_get(6)?);
            let elements: Option<String> = r.try_get(9)?;
            let mention_ids = mentions.remove(&id).unwrap_or_default();
            let opt = |i: usize| -> Result<Option<DateTime<Utc>>, sqlx::Error> {
                Ok(r.try_get::<Option<i64>, _>(i)?.map(from_ms))
            };
            out.push(Escalation {
                id,
                state,
                severity: r.try_get(2)?,
                topic: r.try_get(3)?,
                reason: r.try_get(4)?,
                opened_at: from_ms(r.try_get(5)?),
                due_at,
                overdue: state.is_open() && due_at < now,
                assignee: r.try_get(7)?,
                formal_request: r.try_get::<i64, _>(8)? != 0,
                formal_elements: elements
                    .and_then(|e| serde_json::from_str(&e).ok())
                    .unwrap_or_default(),
                ack_due_at: opt(10)?,
                receipt_due_at: opt(11)?,
                decision_due_at: opt(12)?,
                silence_accept_at: opt(13)?,
                mention_ids,
            });
        }
        Ok(out)
    }

    /// The history of an escalation, oldest first.
    pub async fn escalation_events(&self, id: i64) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query("SELECT at, actor, from_state, to_state, note FROM escalation_events WHERE escalation_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    at: from_ms(r.try_get(0)?),
                    actor: r.try_get(1)?,
                    from: r.try_get(2)?,
                    to: r.try_get(3)?,
                    note: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

/// [`Store::act`] inside a caller's transaction (so an answer and its state change land
/// together).
pub(crate) async fn act_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    action: Action,
    by: &str,
    to: Option<&str>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<State, StoreError> {
    let current: Option<String> = sqlx::query_scalar("SELECT state FROM escalations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let current = current.ok_or_else(|| StoreError::Config(format!("no escalation {id}")))?;
    let from = State::parse(&current).ok_or_else(|| StoreError::Corrupt {
        what: "escalations.state",
        message: current.clone(),
    })?;
    let next = from.apply(action).map_err(StoreError::Config)?;
    if action == Action::Dismiss && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(StoreError::Config(
            "dismissing needs a reason: add --note".into(),
        ));
    }
    let assignee = match action {
        Action::Assign => Some(
            to.filter(|t| !t.trim().is_empty())
                .unwrap_or(by)
                .trim()
                .to_string(),
        ),
        _ => None,
    };
    // The state only moves if nobody changed it meanwhile.
    let changed = sqlx::query("UPDATE escalations SET state = $1, assignee = COALESCE($2, assignee) WHERE id = $3 AND state = $4")
        .bind(next.as_str())
        .bind(assignee.clone())
        .bind(id)
        .bind(from.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::Config(format!(
            "escalation {id} changed meanwhile; look again"
        )));
    }
    let note = match (&assignee, note.filter(|n| !n.trim().is_empty())) {
        (Some(a), Some(n)) => Some(format!("→ {a}: {n}")),
        (Some(a), None) => Some(format!("→ {a}")),
        (None, n) => n.map(str::to_string),
    };
    sqlx::query("INSERT INTO escalation_events (escalation_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(ms(now))
        .bind(by.to_string())
        .bind(from.as_str())
        .bind(next.as_str())
        .bind(note)
        .execute(&mut **tx)
        .await?;
    Ok(next)
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
