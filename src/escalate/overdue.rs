//! Overdue escalations become signals, so they reach the alert e-mails like any other:
//! once per escalation (its episode), warning, or critical for a formal request (whose
//! silence may count as acceptance).

use chrono::{DateTime, Utc};

use crate::core::escalation::Escalation;
use crate::core::signal::Signal;

/// The `escalation_overdue` signal for an open escalation past its due time.
pub fn signal(e: &Escalation, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Signal {
    let id = e.id;
    let due_local = e
        .due_at
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let mut figures = std::collections::BTreeMap::new();
    figures.insert("id".to_string(), id.to_string());
    figures.insert("due".to_string(), due_local.clone());
    figures.insert("reason".to_string(), e.reason.clone());
    Signal {
        id: 0,
        kind: "escalation_overdue".into(),
        severity: if e.formal_request {
            "critical"
        } else {
            "warning"
        }
        .into(),
        topic: e.topic.clone(),
        group_key: format!("overdue:{id}"),
        title: format!("#{id} {}", e.reason),
        reason: format!(
            "escalation #{id} is past its due time ({due_local}) without an answer{}: {}",
            if e.formal_request {
                " (a formal request)"
            } else {
                ""
            },
            e.reason
        ),
        at: now,
        evidence: e.mention_ids.clone(),
        figures,
    }
}
