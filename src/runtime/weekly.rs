//! The weekly report of recurring questions, when it is due: the questions are grouped
//! here (the detect stage's grouping, over the store) and handed to notify as plain data.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::detect::knowledge::KnowledgeBase;
use crate::detect::questions::{of_window, Vocabulary, Window};
use crate::notify::weekly::{self, WeekFigures};
use crate::store::Store;

/// Queues this week's report for the readers still waiting for it (Mondays, from the
/// digest time); returns how many were queued.
pub async fn enqueue_due(
    cfg: &Config,
    store: &Store,
    notify: &crate::notify::config::NotifyConfig,
    now: DateTime<Utc>,
    domain: &str,
) -> anyhow::Result<usize> {
    let Some(week) = weekly::due(notify, now)? else {
        return Ok(0);
    };
    let readers = weekly::pending(store, notify, &week).await?;
    if readers.is_empty() {
        return Ok(0);
    }
    let file = super::replay::load_knowledge(cfg)?;
    let kb = KnowledgeBase::with_approved(file.as_ref(), &store.approved_answers().await?)?;
    let vocabulary = Vocabulary::bundled().ignoring(&cfg.institution.keywords);
    let window = Window {
        since: week.since,
        until: week.until,
    };
    let groups = of_window(store, kb.as_ref(), &vocabulary, &window).await?;
    let response = weekly::response(store, notify, &week).await?;
    let figures = WeekFigures {
        week,
        groups,
        response,
    };
    weekly::enqueue(store, notify, &figures, readers, now, domain).await
}
