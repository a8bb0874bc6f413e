//! How escalation rows are read back: one `FromRow` struct per query shape.

use chrono::{DateTime, Utc};

use super::{from_ms, StoreError};
use crate::core::escalation::{Escalation, State};

#[derive(sqlx::FromRow)]
pub(super) struct UnescalatedRow {
    pub(super) id: i64,
    pub(super) title: String,
    pub(super) text: String,
    pub(super) sentiment: Option<String>,
    pub(super) topics: Option<String>,
    pub(super) first_seen_at: i64,
    pub(super) published_at: Option<i64>,
    pub(super) direct: i64,
    pub(super) own: i64,
    pub(super) author: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct EscalationRow {
    pub(super) id: i64,
    pub(super) state: String,
    pub(super) severity: String,
    pub(super) topic: Option<String>,
    pub(super) reason: String,
    pub(super) opened_at: i64,
    pub(super) seen_at: Option<i64>,
    pub(super) late: Option<i64>,
    pub(super) due_at: i64,
    pub(super) assignee: Option<String>,
    pub(super) formal_request: i64,
    pub(super) formal_elements: Option<String>,
    pub(super) ack_due_at: Option<i64>,
    pub(super) receipt_due_at: Option<i64>,
    pub(super) decision_due_at: Option<i64>,
    pub(super) silence_accept_at: Option<i64>,
    pub(super) answered_at: Option<i64>,
}

impl EscalationRow {
    pub(super) fn into_escalation(
        self,
        mention_ids: Vec<i64>,
        now: DateTime<Utc>,
    ) -> Result<Escalation, StoreError> {
        let state = State::parse(&self.state).ok_or_else(|| StoreError::Corrupt {
            what: "escalations.state",
            message: self.state.clone(),
        })?;
        let due_at = from_ms(self.due_at);
        let opened_at = from_ms(self.opened_at);
        let seen_at = self.seen_at.map(from_ms).unwrap_or(opened_at);
        Ok(Escalation {
            id: self.id,
            state,
            severity: self.severity,
            topic: self.topic,
            reason: self.reason,
            opened_at,
            seen_at,
            // Escalations opened before lateness was stored were judged with the default.
            late: self.late.map(|l| l != 0).unwrap_or_else(|| {
                crate::core::model::is_late(opened_at, seen_at, crate::core::model::LATE_AFTER)
            }),
            due_at,
            overdue: state.is_open() && due_at < now,
            assignee: self.assignee,
            formal_request: self.formal_request != 0,
            formal_elements: self
                .formal_elements
                .and_then(|e| serde_json::from_str(&e).ok())
                .unwrap_or_default(),
            ack_due_at: self.ack_due_at.map(from_ms),
            receipt_due_at: self.receipt_due_at.map(from_ms),
            decision_due_at: self.decision_due_at.map(from_ms),
            silence_accept_at: self.silence_accept_at.map(from_ms),
            answered_at: self.answered_at.map(from_ms),
            mention_ids,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    pub(super) at: i64,
    pub(super) actor: String,
    pub(super) from_state: Option<String>,
    pub(super) to_state: String,
    pub(super) note: Option<String>,
}
