//! Escalations: opened idempotently on a key (with the mention or signal that caused them
//! marked escalated in the same transaction), changed with an append-only event, listed.

use chrono::{DateTime, Utc};

use super::escalation_rows::{EscalationRow, EventRow, UnescalatedRow};
use super::{from_ms, ms, Store, StoreError};
use crate::core::escalation::{Action, Escalation, Event, State};

/// A new escalation, its clocks already computed by the escalate stage.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEscalation {
    /// "info" | "warning" | "critical".
    pub severity: String,
    /// Topic id.
    pub topic: Option<String>,
    /// Why it was opened, in a few words.
    pub reason: String,
    /// Mentions it is about.
    pub mention_ids: Vec<i64>,
    /// Opening twice with the same key does nothing (e.g. "mention:42").
    pub dedup_key: Option<String>,
    /// When the clocks start: the event time of its first mention, or of its signal.
    pub opened_at: DateTime<Utc>,
    /// When vigie opened it.
    pub seen_at: DateTime<Utc>,
    /// Seen long after it was written (`[fetch] late_after`).
    pub late: bool,
    /// Answer due.
    pub due_at: DateTime<Utc>,
    /// Elements of a formal request found (name, address, email), when any.
    pub formal_elements: Option<Vec<String>>,
    /// Legal deadlines, when it is a possible formal request.
    pub formal: Option<FormalDeadlines>,
}

/// The legal deadlines of a formal request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FormalDeadlines {
    /// Acknowledgement of registration.
    pub ack: DateTime<Utc>,
    /// Acknowledgement of receipt.
    pub receipt: DateTime<Utc>,
    /// Decision (silence counts as acceptance from then).
    pub decision: DateTime<Utc>,
}

/// What happened to an opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// A new escalation.
    New(i64),
    /// A handled one came back: the story flared up again.
    Reopened(i64),
    /// Still open: the new mentions were added to it.
    Joined(i64),
    /// Nothing new (already there).
    Unchanged(i64),
}

const COLUMNS: &str = "SELECT id, state, severity, topic, reason, opened_at, seen_at, late, due_at, assignee, formal_request, formal_elements, \
     ack_due_at, receipt_due_at, decision_due_at, silence_accept_at, \
     (SELECT MIN(v.at) FROM escalation_events v WHERE v.escalation_id = escalations.id AND v.to_state = 'answered') AS answered_at \
     FROM escalations";

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

async fn insert(tx: &mut Tx<'_>, e: &NewEscalation) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO escalations (state, severity, topic, reason, opened_at, due_at, formal_request, formal_elements, ack_due_at, receipt_due_at, \
         decision_due_at, silence_accept_at, dedup_key, seen_at, late) VALUES ('new', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13) \
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(e.severity.clone())
    .bind(e.topic.clone())
    .bind(e.reason.clone())
    .bind(ms(e.opened_at))
    .bind(ms(e.due_at))
    .bind(i64::from(e.formal.is_some()))
    .bind(e.formal_elements.as_ref().map(|f| serde_json::to_string(f).unwrap_or_default()))
    .bind(e.formal.map(|f| ms(f.ack)))
    .bind(e.formal.map(|f| ms(f.receipt)))
    .bind(e.formal.map(|f| ms(f.decision)))
    .bind(e.dedup_key.clone())
    .bind(ms(e.seen_at))
    .bind(i64::from(e.late))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    link_mentions(tx, id, &e.mention_ids).await?;
    // The history says when vigie opened it; the clocks run from `opened_at`.
    event(
        tx,
        id,
        e.seen_at,
        "vigie",
        None,
        "new",
        Some(e.reason.clone()),
    )
    .await?;
    Ok(Some(id))
}

async fn link_mentions(tx: &mut Tx<'_>, id: i64, mentions: &[i64]) -> Result<u64, sqlx::Error> {
    let mut added = 0;
    for m in mentions {
        added += sqlx::query(
            "INSERT INTO escalation_mentions (escalation_id, mention_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(*m)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(added)
}

async fn event(
    tx: &mut Tx<'_>,
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    from: Option<&str>,
    to: &str,
    note: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO escalation_events (escalation_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(ms(at))
        .bind(actor.to_string())
        .bind(from.map(str::to_string))
        .bind(to.to_string())
        .bind(note)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A classified mention the escalate stage has not seen yet.
#[derive(Debug, Clone)]
pub struct Unescalated {
    /// Mention id.
    pub id: i64,
    /// Title and text.
    pub text: String,
    /// Sentiment label, once classified ("negative", ...).
    pub sentiment: Option<String>,
    /// Best topic.
    pub topics: Option<String>,
    /// When vigie stored it.
    pub first_seen_at: DateTime<Utc>,
    /// When the source says it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Sent privately to the institution.
    pub direct: bool,
    /// Written by one of the institution's own accounts.
    pub own: bool,
    /// Author, as the source gives it (for an e-mail: "Name <address>").
    pub author: Option<String>,
}

impl Store {
    /// Classified mentions not yet seen by the escalate stage, in id order.
    pub async fn unescalated_mentions(&self, limit: i64) -> Result<Vec<Unescalated>, StoreError> {
        let rows = sqlx::query_as::<_, UnescalatedRow>(
            "SELECT id, title, text, sentiment, topics, first_seen_at, published_at, direct, own, author FROM mentions \
             WHERE escalated_at IS NULL AND classified_at IS NOT NULL AND deleted_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Unescalated {
                id: r.id,
                text: if r.text.is_empty() {
                    r.title
                } else {
                    format!("{}\n{}", r.title, r.text)
                },
                sentiment: r.sentiment,
                topics: r.topics,
                first_seen_at: from_ms(r.first_seen_at),
                published_at: r.published_at.map(from_ms),
                direct: r.direct != 0,
                own: r.own != 0,
                author: r.author,
            })
            .collect())
    }

    /// Opens the escalations of a batch of mentions and marks every mention of the batch
    /// escalated, in one transaction. Returns (mention, escalation) for the new ones.
    pub async fn escalate_mentions(
        &self,
        seen: &[i64],
        openings: &[(i64, NewEscalation)],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let mut opened = Vec::new();
        for (mention, e) in openings {
            if let Some(id) = insert(&mut tx, e).await? {
                opened.push((*mention, id));
            }
        }
        for chunk in seen.chunks(super::BATCH) {
            let sql = format!(
                "UPDATE mentions SET escalated_at = $1 WHERE id IN ({})",
                super::placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(ms(now));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(opened)
    }

    /// Opens an escalation for a signal or, when one with the same key exists, adds the
    /// new mentions to it and re-opens it (due again at `reopen_due`) if it had been
    /// answered, closed or dismissed. The signal is marked escalated in the same
    /// transaction, so a signal is never escalated twice.
    pub async fn escalate_signal(
        &self,
        signal: i64,
        e: Option<&NewEscalation>,
        reopen_due: DateTime<Utc>,
    ) -> Result<Option<Opened>, StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let outcome = match e {
            None => None,
            Some(e) => Some(open_or_join(&mut tx, e, reopen_due).await?),
        };
        sqlx::query("UPDATE signals SET escalated_at = $1 WHERE id = $2")
            .bind(ms(e.map_or(reopen_due, |e| e.seen_at)))
            .bind(signal)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Ids of signals not yet seen by the escalate stage, oldest first.
    pub async fn unescalated_signals(&self, limit: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM signals WHERE escalated_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Open escalations past their due time that have no overdue episode yet.
    pub async fn overdue_escalations(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query_as::<_, EscalationRow>(&format!(
            "{COLUMNS} WHERE state IN ('new', 'acknowledged', 'assigned') AND due_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM signal_episodes s WHERE s.group_key = 'overdue:' || escalations.id) \
             ORDER BY due_at LIMIT $2"
        ))
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        self.escalations_from(rows, now).await
    }

    /// Applies an action, recording who did it; returns the new state.
    pub async fn act(
        &self,
        id: i64,
        action: Action,
        by: &str,
        to: Option<&str>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<State, StoreError> {
        let _g = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let next = act_in(&mut tx, id, action, by, to, note, now).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Escalations, optionally of one state, by due time.
    pub async fn escalations(
        &self,
        state: Option<State>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query_as::<_, EscalationRow>(&format!(
            "{COLUMNS} WHERE ($1 = '' OR state = $1) ORDER BY due_at, id"
        ))
        .bind(state.map(|s| s.as_str()).unwrap_or("").to_string())
        .fetch_all(&self.pool)
        .await?;
        self.escalations_from(rows, now).await
    }

    /// One escalation.
    pub async fn escalation(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Escalation>, StoreError> {
        let rows = sqlx::query_as::<_, EscalationRow>(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(self.escalations_from(rows, now).await?.pop())
    }

    async fn escalations_from(
        &self,
        rows: Vec<EscalationRow>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Escalation>, StoreError> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut mentions = self.escalation_mention_ids(&ids).await?;
        rows.into_iter()
            .map(|r| {
                let mention_ids = mentions.remove(&r.id).unwrap_or_default();
                r.into_escalation(mention_ids, now)
            })
            .collect()
    }

    /// The history of an escalation, oldest first.
    pub async fn escalation_events(&self, id: i64) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query_as::<_, EventRow>("SELECT at, actor, from_state, to_state, note FROM escalation_events WHERE escalation_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Event {
                at: from_ms(r.at),
                actor: r.actor,
                from: r.from_state,
                to: r.to_state,
                note: r.note,
            })
            .collect())
    }
}

async fn open_or_join(
    tx: &mut Tx<'_>,
    e: &NewEscalation,
    reopen_due: DateTime<Utc>,
) -> Result<Opened, StoreError> {
    if let Some(id) = insert(tx, e).await? {
        return Ok(Opened::New(id));
    }
    let key = e.dedup_key.clone().unwrap_or_default();
    let (id, state): (i64, String) =
        sqlx::query_as("SELECT id, state FROM escalations WHERE dedup_key = $1")
            .bind(key)
            .fetch_one(&mut **tx)
            .await?;
    let added = link_mentions(tx, id, &e.mention_ids).await?;
    let reopen = matches!(state.as_str(), "answered" | "closed" | "dismissed");
    if reopen {
        sqlx::query(
            "UPDATE escalations SET state = 'new', severity = $1, due_at = $2, reason = $3 WHERE id = $4",
        )
        .bind(e.severity.clone())
        .bind(ms(reopen_due))
        .bind(e.reason.clone())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    if !reopen && added == 0 {
        return Ok(Opened::Unchanged(id));
    }
    let (note, to) = if reopen {
        (format!("flared up again: {}", e.reason), "new")
    } else {
        (
            format!("{added} more mention(s): {}", e.reason),
            state.as_str(),
        )
    };
    event(tx, id, e.seen_at, "vigie", Some(&state), to, Some(note)).await?;
    Ok(if reopen {
        Opened::Reopened(id)
    } else {
        Opened::Joined(id)
    })
}

/// [`Store::act`] inside a caller's transaction (so an answer and its state change land
/// together).
pub(crate) async fn act_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    action: Action,
    by: &str,
    to: Option<&str>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<State, StoreError> {
    let current: Option<String> = sqlx::query_scalar("SELECT state FROM escalations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let current = current.ok_or_else(|| StoreError::Config(format!("no escalation {id}")))?;
    let from = State::parse(&current).ok_or_else(|| StoreError::Corrupt {
        what: "escalations.state",
        message: current.clone(),
    })?;
    let next = from.apply(action).map_err(StoreError::Config)?;
    if action == Action::Dismiss && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(StoreError::Config(
            "dismissing needs a reason: add --note".into(),
        ));
    }
    let assignee = match action {
        Action::Assign => Some(
            to.filter(|t| !t.trim().is_empty())
                .unwrap_or(by)
                .trim()
                .to_string(),
        ),
        _ => None,
    };
    // The state only moves if nobody changed it meanwhile.
    let changed = sqlx::query("UPDATE escalations SET state = $1, assignee = COALESCE($2, assignee) WHERE id = $3 AND state = $4")
        .bind(next.as_str())
        .bind(assignee.clone())
        .bind(id)
        .bind(from.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::Config(format!(
            "escalation {id} changed meanwhile; look again"
        )));
    }
    let note = match (&assignee, note.filter(|n| !n.trim().is_empty())) {
        (Some(a), Some(n)) => Some(format!("→ {a}: {n}")),
        (Some(a), None) => Some(format!("→ {a}")),
        (None, n) => n.map(str::to_string),
    };
    sqlx::query("INSERT INTO escalation_events (escalation_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(ms(now))
        .bind(by.to_string())
        .bind(from.as_str())
        .bind(next.as_str())
        .bind(note)
        .execute(&mut **tx)
        .await?;
    Ok(next)
}
