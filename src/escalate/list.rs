//! The escalation list as the web page shows it: filtered, with the first mention's
//! language, channel and title, in two queries whatever its length.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row as _;

use super::state::State;
use crate::store::{from_ms, Store, StoreError};

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
    /// How many mentions.
    pub mentions: i64,
}

/// Counts shown above the list, over all open escalations.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Counts {
    /// Open.
    pub open: i64,
    /// Open and past due.
    pub overdue: i64,
    /// Open and due within the next four hours.
    pub due_soon: i64,
}

impl Store {
    /// One page of the filtered list, most urgent first, and how many match in all.
    pub async fn escalation_rows(
        &self,
        f: &Filter,
        now: DateTime<Utc>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Row>, i64), StoreError> {
        let states: Vec<&str> = match f.state.as_str() {
            "" | "open" => vec!["new", "acknowledged", "assigned"],
            "all" => vec![],
            s => vec![State::parse(s).map(|s| s.as_str()).unwrap_or("?")],
        };
        // The first mention of each escalation, found through the primary key index.
        let from = "FROM escalations e LEFT JOIN mentions m ON m.id = \
             (SELECT MIN(x.mention_id) FROM escalation_mentions x WHERE x.escalation_id = e.id) WHERE 1 = 1";
        let mut filter = String::new();
        let mut args: Vec<String> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: String| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("${}", args.len())));
        };
        if !states.is_empty() {
            let list: Vec<String> = states.iter().map(|s| format!("'{s}'")).collect();
            filter.push_str(&format!(" AND e.state IN ({})", list.join(", ")));
        }
        if !f.severity.is_empty() {
            arg(&mut filter, " AND e.severity = ?", f.severity.clone());
        }
        if !f.topic.is_empty() {
            arg(&mut filter, " AND e.topic = ?", f.topic.clone());
        }
        if !f.lang.is_empty() {
            arg(&mut filter, " AND m.lang = ?", f.lang.clone());
        }
        if f.overdue {
            filter.push_str(&format!(
                " AND e.state IN ('new', 'acknowledged', 'assigned') AND e.due_at < {}",
                crate::store::ms(now)
            ));
        }
        // Without a language filter, neither the count nor the ordering needs the
        // mentions: join them to the page's rows only.
        let by_lang = !f.lang.is_empty();
        let count_sql = if by_lang {
            format!("SELECT COUNT(*) {from}{filter}")
        } else {
            format!("SELECT COUNT(*) FROM escalations e WHERE 1 = 1{filter}")
        };
        let mut q = sqlx::query_scalar::<_, i64>(&count_sql);
        for a in &args {
            q = q.bind(a.clone());
        }
        let total = q.fetch_one(self.pool()).await?;
        let columns = "SELECT e.id, e.state, e.severity, e.topic, e.reason, e.opened_at, e.due_at, e.assignee, e.formal_request, \
             m.lang, m.source, m.title, (SELECT COUNT(*) FROM escalation_mentions y WHERE y.escalation_id = e.id)";
        let (limit, offset) = (limit.max(0), offset.max(0));
        let sql = if by_lang {
            format!(
                "{columns} {from}{filter} ORDER BY e.due_at, e.id LIMIT {limit} OFFSET {offset}"
            )
        } else {
            format!(
                "{columns} FROM (SELECT * FROM escalations e WHERE 1 = 1{filter} ORDER BY e.due_at, e.id LIMIT {limit} OFFSET {offset}) e \
                 LEFT JOIN mentions m ON m.id = (SELECT MIN(x.mention_id) FROM escalation_mentions x WHERE x.escalation_id = e.id) \
                 ORDER BY e.due_at, e.id"
            )
        };
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let st: String = r.try_get(1)?;
            let state = State::parse(&st).ok_or_else(|| StoreError::Corrupt {
                what: "escalations.state",
                message: st.clone(),
            })?;
            let due_at = from_ms(r.try_get(6)?);
            out.push(Row {
                id: r.try_get(0)?,
                state,
                severity: r.try_get(2)?,
                topic: r.try_get(3)?,
                reason: r.try_get(4)?,
                opened_at: from_ms(r.try_get(5)?),
                due_at,
                overdue: state.is_open() && due_at < now,
                assignee: r.try_get(7)?,
                formal_request: r.try_get::<i64, _>(8)? != 0,
                lang: r.try_get(9)?,
                channel: r.try_get(10)?,
                title: r.try_get(11)?,
                mentions: r.try_get::<Option<i64>, _>(12)?.unwrap_or(0),
            });
        }
        Ok((out, total))
    }

    /// Open, overdue and due-soon counts.
    pub async fn escalation_counts(&self, now: DateTime<Utc>) -> Result<Counts, StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN due_at >= $1 AND due_at < $2 THEN 1 ELSE 0 END), 0) \
             FROM escalations WHERE state IN ('new', 'acknowledged', 'assigned')",
        )
        .bind(crate::store::ms(now))
        .bind(crate::store::ms(now + chrono::Duration::hours(4)))
        .fetch_one(self.pool())
        .await?;
        Ok(Counts {
            open: r.try_get(0)?,
            overdue: r.try_get(1)?,
            due_soon: r.try_get(2)?,
        })
    }

    /// Mention ids of many escalations in one query.
    pub async fn escalation_mention_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for chunk in ids.chunks(crate::store::BATCH) {
            let sql = format!(
                "SELECT escalation_id, mention_id FROM escalation_mentions WHERE escalation_id IN ({}) ORDER BY escalation_id, mention_id",
                crate::store::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(self.pool()).await? {
                out.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
            }
        }
        Ok(out)
    }
}
