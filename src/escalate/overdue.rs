//! Overdue escalations become signals, so they reach the alert e-mails like any other:
//! once per escalation (its episode), warning, or critical for a formal request (whose
//! silence may count as acceptance).

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::core::signal::Episode;
use crate::core::signal::Signal;
use crate::store::{from_ms, ms, Store, StoreError};

/// Raises and stores one `escalation_overdue` signal for each open escalation past its
/// due time that has none yet; returns them.
pub async fn raise(
    store: &Store,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Vec<Signal>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.id, e.severity, e.topic, e.reason, e.due_at, e.formal_request FROM escalations e \
         WHERE e.state IN ('new', 'acknowledged', 'assigned') AND e.due_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM signal_episodes s WHERE s.group_key = 'overdue:' || e.id) \
         ORDER BY e.due_at LIMIT 500",
    )
    .bind(ms(now))
    .fetch_all(store.pool())
    .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut mentions = store.escalation_mention_ids(&ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let reason: String = r.try_get(3)?;
        let due = from_ms(r.try_get(4)?);
        let formal = r.try_get::<i64, _>(5)? != 0;
        let due_local = due.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        let mut figures = std::collections::BTreeMap::new();
        figures.insert("id".to_string(), id.to_string());
        figures.insert("due".to_string(), due_local.clone());
        figures.insert("reason".to_string(), reason.clone());
        let mut s = Signal {
            id: 0,
            kind: "escalation_overdue".into(),
            severity: if formal { "critical" } else { "warning" }.into(),
            topic: r.try_get(2)?,
            group_key: format!("overdue:{id}"),
            title: format!("#{id} {reason}"),
            reason: format!(
                "escalation #{id} is past its due time ({due_local}) without an answer{}: {reason}",
                if formal { " (a formal request)" } else { "" }
            ),
            at: now,
            evidence: mentions.remove(&id).unwrap_or_default(),
            figures,
        };
        s.id = store
            .save_signal(
                &s,
                Episode {
                    raised_count: 1,
                    open: true,
                },
            )
            .await?;
        tracing::warn!(escalation = id, signal = s.id, "escalation overdue");
        out.push(s);
    }
    Ok(out)
}
