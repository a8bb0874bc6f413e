//! Whether a post asks something: a question mark, or a question's opening words in
//! French, Dutch, English or German (citizens often leave the mark out). Used to open
//! escalations for questions addressed to the institution and to flag every stored
//! mention that asks something, which the recurring questions are grouped from; and a
//! group of recurring questions as plain data (grouped by detect, read by notify).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One recurring question, as `vigie questions --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Stable id: `kb:<entry>` for a knowledge-base entry's group, else `q:` and the
    /// group's main terms.
    pub id: String,
    /// The question that best represents the group.
    pub text: String,
    /// Questions in the window.
    pub count: usize,
    /// Of these, per language.
    pub languages: BTreeMap<String, usize>,
    /// Of these, per source (channel).
    pub channels: BTreeMap<String, usize>,
    /// First and last question in the window (event time).
    pub first_seen_at: DateTime<Utc>,
    /// Last question in the window.
    pub last_seen_at: DateTime<Utc>,
    /// Change of the last week against the mean of the four weeks before it:
    /// (last − mean) / max(mean, 1); 0 when both are 0.
    pub trend: f64,
    /// Questions per week, oldest first, the last being the seven days before the end.
    pub weeks: Vec<usize>,
    /// Questions per day (UTC date) in the window.
    pub days: BTreeMap<String, usize>,
    /// The knowledge-base entry that answers it, or null: a content gap.
    pub knowledge: Option<String>,
    /// Share of the window's questions answered (escalation marked answered, or a reply
    /// from one of the institution's accounts).
    pub answered_share: f64,
    /// Median minutes from question to first answer, over the answered ones.
    pub median_answer_minutes: Option<f64>,
    /// A few of its questions, as written.
    pub examples: Vec<String>,
    /// Every question of the window in it, oldest first.
    pub mention_ids: Vec<i64>,
}

/// Openings of a question without a question mark, lower-case, after any leading
/// @handles. Words that also open statements ("what a ...", "wie ..." in Dutch) are
/// kept to forms that ask.
const QUESTION_STARTS: &[&str] = &[
    // fr
    "comment ",
    "pourquoi ",
    "quand ",
    "où ",
    "ou est",
    "est-ce que",
    "est-il possible",
    "puis-je",
    "peut-on",
    "pouvez-vous",
    "dois-je",
    "faut-il",
    "qui ",
    "quel ",
    "quelle ",
    "quels ",
    "quelles ",
    "quelqu'un sait",
    "savez-vous",
    // nl
    "hoe ",
    "waarom ",
    "wanneer ",
    "waar ",
    "kan ik",
    "kunnen jullie",
    "kunt u",
    "mag ik",
    "moet ik",
    "wie ",
    "welke ",
    "is het mogelijk",
    "klopt het",
    "weet iemand",
    // en
    "how ",
    "why ",
    "when ",
    "where ",
    "can i",
    "can you",
    "could you",
    "do i ",
    "should i",
    "is it possible",
    "is there",
    "does anyone",
    "anyone know",
    "what is",
    "what's",
    "which ",
    "who ",
    // de
    "wann ",
    "warum ",
    "wieso ",
    "wo ",
    "kann ich",
    "können sie",
    "muss ich",
    "gibt es",
    "weiß jemand",
    "welche ",
    "wer ",
];

/// Whether a text asks something.
pub fn is_question(text: &str) -> bool {
    if text.contains('?') || text.contains('¿') {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_openings_in_four_languages() {
        for q in [
            "quand vais-je recevoir mon remboursement ?",
            "@SPFFinances comment changer mon adresse",
            "Wanneer krijg ik mijn terugbetaling",
            "Weet iemand of Tax-on-web werkt",
            "how do I file a late return",
            "Wann kommt meine Erstattung",
            "Gibt es eine Frist für die Erklärung",
        ] {
            assert!(is_question(q), "{q}");
        }
        for s in [
            "Merci au SPF Finances pour la réponse rapide",
            "MyMinfin ligt weer plat",
            "Filed my return in five minutes, great job",
            "Die Erklärung ist erledigt",
        ] {
            assert!(!is_question(s), "{s}");
        }
    }
}
