//! What opens an escalation besides formal requests: warning and critical signals (and
//! their flare-ups, which re-open a handled one), and questions or complaints addressed
//! to the institution's own accounts.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::store::{EscalationConfig, Opening};
use crate::core::classification::{Sentiment, SentimentLabel};
use crate::core::signal::Signal;
use crate::store::{ms, Store, StoreError};

/// What happened to an opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// A new escalation.
    New(i64),
    /// A handled one came back: the story flared up again.
    Reopened(i64),
    /// Still open: the new mentions were added to it.
    Joined(i64),
}

impl Store {
    /// Opens an escalation for `o`, or, when one with the same key exists, adds the new
    /// mentions to it and re-opens it if it had been answered, closed or dismissed.
    pub async fn open_or_reopen(
        &self,
        o: &Opening,
        cfg: &EscalationConfig,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<Opened, StoreError> {
        if let Some(id) = self.open_escalation(o, cfg, tz, now).await? {
            return Ok(Opened::New(id));
        }
        let key = o.dedup_key.clone().unwrap_or_default();
        let _g = self.write_guard().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query("SELECT id, state FROM escalations WHERE dedup_key = $1")
            .bind(key.clone())
            .fetch_one(&mut *tx)
            .await?;
        let id: i64 = row.try_get(0)?;
        let state: String = row.try_get(1)?;
        let mut added = 0;
        for m in &o.mention_ids {
            added += sqlx::query(
                "INSERT INTO escalation_mentions (escalation_id, mention_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(*m)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let reopen = matches!(state.as_str(), "answered" | "closed" | "dismissed");
        if reopen {
            let due = cfg.due(&cfg.calendar(tz), now, &o.severity, o.topic.as_deref());
            sqlx::query(
                "UPDATE escalations SET state = 'new', severity = $1, due_at = $2, reason = $3 WHERE id = $4",
            )
            .bind(o.severity.clone())
            .bind(ms(due))
            .bind(o.reason.clone())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        if reopen || added > 0 {
            let note = if reopen {
                format!("flared up again: {}", o.reason)
            } else {
                format!("{added} more mention(s): {}", o.reason)
            };
            let to = if reopen { "new" } else { state.as_str() };
            sqlx::query("INSERT INTO escalation_events (escalation_id, at, actor, from_state, to_state, note) VALUES ($1, $2, 'vigie', $3, $4, $5)")
                .bind(id)
                .bind(ms(now))
                .bind(state.clone())
                .bind(to.to_string())
                .bind(note)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(if reopen {
            Opened::Reopened(id)
        } else {
            Opened::Joined(id)
        })
    }
}

/// The opening for a warning or critical signal (None for info signals). One escalation
/// per episode: a later signal of the same episode joins it, or re-opens it.
pub fn for_signal(s: &Signal) -> Option<Opening> {
    if s.severity != "warning" && s.severity != "critical" {
        return None;
    }
    Some(Opening {
        severity: s.severity.clone(),
        topic: s.topic.clone(),
        reason: format!("{}: {}", s.kind, s.reason),
        mention_ids: s.evidence.iter().take(50).copied().collect(),
        formal: None,
        dedup_key: Some(format!("signal:{}", s.group_key)),
    })
}

/// Question words that start a question without a question mark.
const QUESTION_STARTS: &[&str] = &[
    "comment ",
    "pourquoi ",
    "quand ",
    "où ",
    "ou est",
    "est-ce que",
    "est-il possible",
    "puis-je",
    "peut-on",
    "qui ",
    "hoe ",
    "waarom ",
    "wanneer ",
    "waar ",
    "kan ik",
    "kunnen jullie",
    "mag ik",
    "wie ",
    "how ",
    "why ",
    "when ",
    "where ",
    "can i",
    "could you",
    "is it possible",
    "who ",
];

/// Whether a text is addressed to one of `handles` (case-insensitive, whole handle).
pub fn addressed_to<'a>(text: &str, handles: &'a [String]) -> Option<&'a str> {
    let lower = text.to_lowercase();
    handles.iter().map(String::as_str).find(|h| {
        let h = h.to_lowercase();
        lower.match_indices(&h).any(|(i, _)| {
            let after = lower[i + h.len()..].chars().next();
            !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// Whether a text asks something.
pub fn is_question(text: &str) -> bool {
    if text.contains('?') {
        return true;
    }
    let lower = text.to_lowercase();
    // Skip a leading @handle or two ("@SPFFinances comment ...").
    let body = lower
        .split_whitespace()
        .skip_while(|w| w.starts_with('@'))
        .collect::<Vec<_>>()
        .join(" ");
    QUESTION_STARTS.iter().any(|q| body.starts_with(q))
}

/// The opening for a mention addressed to the institution that asks something or
/// complains (negative sentiment); None otherwise.
pub fn for_mention(
    id: i64,
    text: &str,
    sentiment: Option<&Sentiment>,
    topic: Option<String>,
    handles: &[String],
) -> Option<Opening> {
    let handle = addressed_to(text, handles)?;
    let reason = if is_question(text) {
        format!("question addressed to {handle}")
    } else if sentiment.is_some_and(|s| s.label == SentimentLabel::Negative) {
        format!("complaint addressed to {handle}")
    } else {
        return None;
    };
    Some(Opening {
        severity: "info".into(),
        topic,
        reason,
        mention_ids: vec![id],
        formal: None,
        dedup_key: Some(format!("mention:{id}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handles() -> Vec<String> {
        vec!["@SPFFinances".into(), "@FODFinancien".into()]
    }

    #[test]
    fn questions_and_complaints_to_our_handles_open_escalations() {
        let neg = Sentiment {
            label: SentimentLabel::Negative,
            score: 0.9,
        };
        let cases: &[(&str, Option<&Sentiment>, Option<&str>)] = &[
            (
                "@SPFFinances quand recevrai-je mon remboursement ?",
                None,
                Some("question"),
            ),
            (
                "@fodfinancien hoe dien ik mijn aangifte in",
                None,
                Some("question"),
            ),
            (
                "@SPFFinances How do I log in to MyMinfin",
                None,
                Some("question"),
            ),
            (
                "@SPFFinances toujours pas de réponse, inadmissible",
                Some(&neg),
                Some("complaint"),
            ),
            ("@SPFFinances merci pour votre aide", None, None),
            ("Quand le SPF Finances paiera-t-il ?", None, None),
            ("@SPFFinancesBis quand ?", None, None),
        ];
        for (text, s, want) in cases {
            let got = for_mention(1, text, *s, None, &handles());
            match want {
                Some(kind) => {
                    let o = got.unwrap_or_else(|| panic!("{text}: nothing opened"));
                    assert!(o.reason.starts_with(kind), "{text}: {}", o.reason);
                    assert_eq!(o.dedup_key.as_deref(), Some("mention:1"));
                }
                None => assert!(got.is_none(), "{text}: opened"),
            }
        }
        assert!(for_mention(1, "@SPFFinances ?", None, None, &[]).is_none());
    }

    #[test]
    fn only_warning_and_critical_signals_escalate() {
        let mut s = Signal {
            id: 1,
            kind: "volume_spike".into(),
            severity: "info".into(),
            topic: Some("outage".into()),
            group_key: "volume_spike:outage".into(),
            title: "t".into(),
            reason: "r".into(),
            at: Utc::now(),
            evidence: vec![3, 2, 1],
            figures: Default::default(),
        };
        assert!(for_signal(&s).is_none());
        s.severity = "critical".into();
        let o = for_signal(&s).unwrap();
        assert_eq!(o.dedup_key.as_deref(), Some("signal:volume_spike:outage"));
        assert_eq!(o.mention_ids, vec![3, 2, 1]);
    }
}
