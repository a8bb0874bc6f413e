//! The escalation list as the web page shows it: what "open" and "overdue" mean, and the
//! typed rows; the queries are the store's (`store::escalation_list`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::state::State;
pub use crate::store::escalation_list::Counts;
use crate::store::escalation_list::{ListFilter, ListRow};
use crate::store::{Store, StoreError};

/// The states that still need someone's attention.
pub const OPEN: [State; 3] = [State::New, State::Acknowledged, State::Assigned];

/// How far ahead "due soon" looks.
pub const DUE_SOON_HOURS: i64 = 4;

/// What the list is narrowed to; empty fields mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// One state, "open" (new, acknowledged, assigned; the default) or "all".
    pub state: String,
    /// "critical" | "warning" | "info".
    pub severity: String,
    /// Topic id.
    pub topic: String,
    /// Language of the first mention.
    pub lang: String,
    /// Only past-due ones.
    pub overdue: bool,
}

impl Filter {
    /// The filter in stored values, at `now`.
    fn to_store(&self, now: DateTime<Utc>) -> ListFilter {
        let open: Vec<State> = OPEN.to_vec();
        let mut states: Option<Vec<State>> = match self.state.as_str() {
            "" | "open" => Some(open.clone()),
            "all" => None,
            // An unknown state matches nothing.
            s => Some(State::parse(s).into_iter().collect()),
        };
        if self.overdue {
            // Overdue only makes sense of open ones.
            states = Some(match states {
                None => open,
                Some(v) => v.into_iter().filter(|s| s.is_open()).collect(),
            });
        }
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        ListFilter {
            states: states.map(|v| v.iter().map(|s| s.as_str().to_string()).collect()),
            severity: some(&self.severity),
            topic: some(&self.topic),
            lang: some(&self.lang),
            due_before: self.overdue.then_some(now),
        }
    }
}

/// One line of the list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
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
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Due.
    pub due_at: DateTime<Utc>,
    /// Open and past due.
    pub overdue: bool,
    /// Who has it.
    pub assignee: Option<String>,
    /// Possible formal request.
    pub formal_request: bool,
    /// Language of its first mention.
    pub lang: Option<String>,
    /// Source of its first mention.
    pub channel: Option<String>,
    /// Title of its first mention.
    pub title: Option<String>,
    /// Author of its first mention: for masking only, not part of the list's JSON.
    #[serde(skip)]
    pub author: Option<String>,
    /// Link of its first mention: for masking only.
    #[serde(skip)]
    pub url: Option<String>,
    /// How many mentions.
    pub mentions: i64,
    /// Its first mention was sent privately to the institution.
    pub direct: bool,
}

impl Row {
    fn from_stored(r: ListRow, now: DateTime<Utc>) -> Result<Row, StoreError> {
        let state = State::parse(&r.state).ok_or_else(|| StoreError::Corrupt {
            what: "escalations.state",
            message: r.state.clone(),
        })?;
        Ok(Row {
            id: r.id,
            state,
            severity: r.severity,
            topic: r.topic,
            reason: r.reason,
            opened_at: r.opened_at,
            due_at: r.due_at,
            overdue: state.is_open() && r.due_at < now,
            assignee: r.assignee,
            formal_request: r.formal_request,
            lang: r.lang,
            channel: r.channel,
            title: r.title,
            author: r.author,
            url: r.url,
            mentions: r.mentions,
            direct: r.direct,
        })
    }
}

/// One page of the filtered list, most urgent first, and how many match in all.
pub async fn rows(
    store: &Store,
    f: &Filter,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Row>, i64), StoreError> {
    let (rows, total) = store
        .escalation_list(&f.to_store(now), limit, offset)
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| Row::from_stored(r, now))
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Open, overdue and due-soon counts, over all open escalations.
pub async fn counts(store: &Store, now: DateTime<Utc>) -> Result<Counts, StoreError> {
    let open: Vec<&str> = OPEN.iter().map(|s| s.as_str()).collect();
    store
        .escalation_counts(&open, now, now + chrono::Duration::hours(DUE_SOON_HOURS))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_in_stored_values() {
        let now = Utc::now();
        let f = Filter::default().to_store(now);
        assert_eq!(
            f.states,
            Some(vec!["new".into(), "acknowledged".into(), "assigned".into()])
        );
        assert_eq!((f.severity, f.due_before), (None, None));
        let f = Filter {
            state: "all".into(),
            lang: "nl".into(),
            overdue: true,
            ..Filter::default()
        }
        .to_store(now);
        assert_eq!(f.states.map(|v| v.len()), Some(3));
        assert_eq!(f.lang.as_deref(), Some("nl"));
        assert_eq!(f.due_before, Some(now));
        let closed_overdue = Filter {
            state: "closed".into(),
            overdue: true,
            ..Filter::default()
        };
        assert_eq!(closed_overdue.to_store(now).states, Some(vec![]));
        let unknown = Filter {
            state: "bogus".into(),
            ..Filter::default()
        };
        assert_eq!(unknown.to_store(now).states, Some(vec![]));
    }
}
