//! Escalation states and the changes allowed between them:
//! new → acknowledged → assigned → answered → closed, or dismissed (with a reason).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an escalation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Nobody has looked at it yet.
    New,
    /// Someone has seen it.
    Acknowledged,
    /// Someone owns it.
    Assigned,
    /// An answer went out.
    Answered,
    /// Done.
    Closed,
    /// Not ours to answer (with a reason).
    Dismissed,
}

/// A change someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Seen.
    Ack,
    /// Taken by (or given to) someone.
    Assign,
    /// Answered.
    Answer,
    /// Closed after the answer.
    Close,
    /// Not to be answered.
    Dismiss,
}

impl State {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Acknowledged => "acknowledged",
            State::Assigned => "assigned",
            State::Answered => "answered",
            State::Closed => "closed",
            State::Dismissed => "dismissed",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(s: &str) -> Option<State> {
        [
            State::New,
            State::Acknowledged,
            State::Assigned,
            State::Answered,
            State::Closed,
            State::Dismissed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Still needs someone's attention.
    pub fn is_open(self) -> bool {
        !matches!(self, State::Answered | State::Closed | State::Dismissed)
    }

    /// The state an action leads to from here, or why it is not allowed.
    pub fn apply(self, a: Action) -> Result<State, String> {
        use Action::*;
        use State::*;
        let next = match (self, a) {
            (New, Ack) => Acknowledged,
            (New | Acknowledged | Assigned, Assign) => Assigned,
            (New | Acknowledged | Assigned, Answer) => Answered,
            (Answered, Close) => Closed,
            (New | Acknowledged | Assigned | Answered, Dismiss) => Dismissed,
            (s, a) => {
                return Err(format!(
                    "cannot {} an escalation that is {}",
                    a.as_str(),
                    s.as_str()
                ))
            }
        };
        Ok(next)
    }
}

impl Action {
    /// Lowercase name, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Ack => "ack",
            Action::Assign => "assign",
            Action::Answer => "answer",
            Action::Close => "close",
            Action::Dismiss => "dismiss",
        }
    }
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
    /// When its clocks start: the event time of its first mention (when the citizen
    /// wrote), or of its signal.
    pub opened_at: DateTime<Utc>,
    /// When vigie opened it.
    pub seen_at: DateTime<Utc>,
    /// Seen long after it was written (see `core::model::LATE_AFTER`): its deadlines
    /// still run from `opened_at`, so it may be overdue at once.
    pub late: bool,
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
    /// When it was first answered, if it was.
    pub answered_at: Option<DateTime<Utc>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use State::*;

    #[test]
    fn allowed_and_refused_changes() {
        assert_eq!(New.apply(Ack), Ok(Acknowledged));
        assert_eq!(Acknowledged.apply(Assign), Ok(Assigned));
        assert_eq!(
            Assigned.apply(Assign),
            Ok(Assigned),
            "reassigning is allowed"
        );
        assert_eq!(Assigned.apply(Answer), Ok(Answered));
        assert_eq!(Answered.apply(Close), Ok(Closed));
        assert_eq!(New.apply(Dismiss), Ok(Dismissed));
        assert!(Closed.apply(Ack).is_err());
        assert!(Dismissed.apply(Answer).is_err());
        assert!(New
            .apply(Close)
            .unwrap_err()
            .contains("cannot close an escalation that is new"));
        assert!(!Answered.is_open() && New.is_open() && Assigned.is_open());
    }
}
