//! What opens an escalation: possible formal requests, warning and critical signals (and
//! their flare-ups, which re-open a handled one), and questions or complaints addressed
//! to the institution's own accounts.

use crate::core::classification::{Sentiment, SentimentLabel};
use crate::core::question::is_question;
use crate::core::signal::Signal;

use super::formal::Identification;

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
    let kind = asks_or_complains(text, sentiment)?;
    Some(answer_needed(
        id,
        topic,
        format!("{kind} addressed to {handle}"),
    ))
}

/// "question" when a text asks something, else "complaint" when it is negative.
fn asks_or_complains(text: &str, sentiment: Option<&Sentiment>) -> Option<&'static str> {
    if is_question(text) {
        Some("question")
    } else if sentiment.is_some_and(|s| s.label == SentimentLabel::Negative) {
        Some("complaint")
    } else {
        None
    }
}

/// An opening at info severity for one mention that needs an answer.
fn answer_needed(id: i64, topic: Option<String>, reason: String) -> Opening {
    Opening {
        severity: "info".into(),
        topic,
        reason,
        mention_ids: vec![id],
        formal: None,
        dedup_key: Some(format!("mention:{id}")),
    }
}

/// The opening for a message sent privately to the institution (a direct message, an
/// e-mail): everything sent to it is addressed to it, and needs an answer.
pub fn for_direct(
    id: i64,
    text: &str,
    sentiment: Option<&Sentiment>,
    topic: Option<String>,
) -> Opening {
    let kind = asks_or_complains(text, sentiment).unwrap_or("message");
    answer_needed(id, topic, format!("{kind} sent privately"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

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
