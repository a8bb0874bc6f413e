//! Recurring questions: the questions citizens ask (every stored mention that asks
//! something), grouped by what they ask whatever the wording, with for each group its
//! counts per day and per week, languages, channels, whether an approved answer exists
//! (a knowledge-base entry), and how often and how fast it was answered. Groups without
//! an approved answer are the content gaps.
//!
//! The lexicon path groups on concepts (one id for "remboursement", "terugbetaling",
//! "refund", ...; see `vocabulary.toml`) and the stems of other content words; a
//! knowledge-base entry's queries and examples link its questions in every language.

mod cluster;
mod summary;
mod terms;

pub use crate::core::question::Group;
pub use summary::Window;
pub use terms::Vocabulary;

use crate::detect::knowledge::KnowledgeBase;
use crate::store::questions::QuestionRow;
use crate::store::{Store, StoreError};

/// Reads the questions the window needs from the store and groups them.
pub async fn of_window(
    store: &Store,
    kb: Option<&KnowledgeBase>,
    vocabulary: &Vocabulary,
    window: &Window,
) -> Result<Vec<Group>, StoreError> {
    let rows = store
        .questions(window.history_start(), window.until)
        .await?;
    Ok(recurring(&rows, kb, vocabulary, window))
}

/// Groups the questions of `rows` (read from `window.history_start()`), and describes
/// the groups with questions in the window, largest first.
pub fn recurring(
    rows: &[QuestionRow],
    kb: Option<&KnowledgeBase>,
    vocabulary: &Vocabulary,
    window: &Window,
) -> Vec<Group> {
    let docs: Vec<Vec<String>> = rows.iter().map(|r| vocabulary.terms(&whole(r))).collect();
    let claims: Vec<Option<usize>> = rows
        .iter()
        .map(|r| kb.and_then(|kb| kb.check(&whole(r))).map(|h| h.claim))
        .collect();
    let grouping = cluster::group(&docs, &claims);
    summary::describe(rows, &grouping, kb, window)
}

/// Content gaps first, then the answered groups; each by count, then growth.
pub fn gaps_first(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        (a.knowledge.is_some(), std::cmp::Reverse(a.count))
            .cmp(&(b.knowledge.is_some(), std::cmp::Reverse(b.count)))
            .then(b.trend.total_cmp(&a.trend))
    });
}

/// Title and text, as the question reads.
fn whole(r: &QuestionRow) -> String {
    if r.title.trim().is_empty() || r.text.starts_with(r.title.trim()) {
        r.text.clone()
    } else {
        format!("{} {}", r.title, r.text)
    }
}
