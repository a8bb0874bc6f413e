//! The escalation list as the web page reads it: filtered (the filters assembled with a
//! `QueryBuilder`), with the first mention's language, channel and title, in two queries
//! whatever its length; the counts shown above it; and escalations' mention ids.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Any, QueryBuilder};

use super::{from_ms, ms, numbered, placeholders, Store, StoreError, BATCH};

/// What the list is narrowed to, in stored values; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// One of these states (an empty list matches nothing).
    pub states: Option<Vec<String>>,
    /// Severity.
    pub severity: Option<String>,
    /// Topic id.
    pub topic: Option<String>,
    /// Language of the first mention.
    pub lang: Option<String>,
    /// Due before this time.
    pub due_before: Option<DateTime<Utc>>,
}

/// One line of the list, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    /// Id.
    pub id: i64,
    /// State name.
    pub state: String,
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
    /// Author of its first mention (masked for viewers with the rest).
    pub author: Option<String>,
    /// Link of its first mention.
    pub url: Option<String>,
    /// How many mentions.
    pub mentions: i64,
    /// Its first mention was sent privately to the institution.
    pub direct: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    state: String,
    severity: String,
    topic: Option<String>,
    reason: String,
    opened_at: i64,
    due_at: i64,
    assignee: Option<String>,
    formal_request: i64,
    lang: Option<String>,
    source: Option<String>,
    title: Option<String>,
    author: Option<String>,
    url: Option<String>,
    mentions: Option<i64>,
    direct: Option<i64>,
}

impl From<Row> for ListRow {
    fn from(r: Row) -> ListRow {
        ListRow {
            id: r.id,
            state: r.state,
            severity: r.severity,
            topic: r.topic,
            reason: r.reason,
            opened_at: from_ms(r.opened_at),
            due_at: from_ms(r.due_at),
            assignee: r.assignee,
            formal_request: r.formal_request != 0,
            lang: r.lang,
            channel: r.source,
            title: r.title,
            author: r.author,
            url: r.url,
            mentions: r.mentions.unwrap_or(0),
            direct: r.direct.unwrap_or(0) != 0,
        }
    }
}

/// Counts shown above the list.
#[derive(Debug, Clone, Default, Serialize, PartialEq, sqlx::FromRow)]
pub struct Counts {
    /// Open.
    pub open: i64,
    /// Open and past due.
    pub overdue: i64,
    /// Open and due within the next four hours.
    pub due_soon: i64,
}

/// The first mention of each escalation, found through the primary key index.
const FIRST_MENTION: &str = "LEFT JOIN mentions m ON m.id = \
     (SELECT MIN(x.mention_id) FROM escalation_mentions x WHERE x.escalation_id = e.id)";

const LIST_COLUMNS: &str = "SELECT e.id, e.state, e.severity, e.topic, e.reason, e.opened_at, e.due_at, e.assignee, e.formal_request, \
     m.lang, m.source, m.title, m.author, m.url, (SELECT COUNT(*) FROM escalation_mentions y WHERE y.escalation_id = e.id) AS mentions, m.direct";

/// Appends ` AND ...` for each condition of `f` (`m` is the first mention).
fn push_filter(qb: &mut QueryBuilder<'static, Any>, f: &ListFilter) {
    if let Some(states) = &f.states {
        if states.is_empty() {
            qb.push(" AND 1 = 0");
        } else {
            qb.push(" AND e.state IN (");
            let mut list = qb.separated(", ");
            for s in states {
                list.push_bind(s.clone());
            }
            qb.push(")");
        }
    }
    if let Some(s) = &f.severity {
        qb.push(" AND e.severity = ").push_bind(s.clone());
    }
    if let Some(t) = &f.topic {
        qb.push(" AND e.topic = ").push_bind(t.clone());
    }
    if let Some(l) = &f.lang {
        qb.push(" AND m.lang = ").push_bind(l.clone());
    }
    if let Some(t) = f.due_before {
        qb.push(" AND e.due_at < ").push_bind(ms(t));
    }
}

impl Store {
    /// One page of the filtered list, by due time, and how many match in all.
    pub async fn escalation_list(
        &self,
        f: &ListFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ListRow>, i64), StoreError> {
        // Without a language filter, neither the count nor the ordering needs the
        // mentions: join them to the page's rows only.
        let by_lang = f.lang.is_some();
        let mut count = QueryBuilder::new(if by_lang {
            format!("SELECT COUNT(*) FROM escalations e {FIRST_MENTION} WHERE 1 = 1")
        } else {
            "SELECT COUNT(*) FROM escalations e WHERE 1 = 1".to_string()
        });
        push_filter(&mut count, f);
        let (sql, args) = numbered(&mut count)?;
        let total: i64 = sqlx::query_scalar_with(&sql, args)
            .fetch_one(&self.pool)
            .await?;

        let (limit, offset) = (limit.max(0), offset.max(0));
        let mut page = if by_lang {
            QueryBuilder::new(format!(
                "{LIST_COLUMNS} FROM escalations e {FIRST_MENTION} WHERE 1 = 1"
            ))
        } else {
            QueryBuilder::new(format!(
                "{LIST_COLUMNS} FROM (SELECT * FROM escalations e WHERE 1 = 1"
            ))
        };
        push_filter(&mut page, f);
        page.push(" ORDER BY e.due_at, e.id LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        if !by_lang {
            page.push(format!(") e {FIRST_MENTION} ORDER BY e.due_at, e.id"));
        }
        let (sql, args) = numbered(&mut page)?;
        let rows = sqlx::query_as_with::<_, Row, _>(&sql, args)
            .fetch_all(&self.pool)
            .await?;
        Ok((rows.into_iter().map(ListRow::from).collect(), total))
    }

    /// Escalations in one of `open_states`: all of them, those due before `now`, and those
    /// due from `now` until `soon`.
    pub async fn escalation_counts(
        &self,
        open_states: &[&str],
        now: DateTime<Utc>,
        soon: DateTime<Utc>,
    ) -> Result<Counts, StoreError> {
        if open_states.is_empty() {
            return Ok(Counts::default());
        }
        let mut qb = QueryBuilder::new("SELECT COUNT(*) AS open, COALESCE(SUM(CASE WHEN due_at < ");
        qb.push_bind(ms(now))
            .push(" THEN 1 ELSE 0 END), 0) AS overdue, COALESCE(SUM(CASE WHEN due_at >= ")
            .push_bind(ms(now))
            .push(" AND due_at < ")
            .push_bind(ms(soon))
            .push(" THEN 1 ELSE 0 END), 0) AS due_soon FROM escalations WHERE state IN (");
        let mut list = qb.separated(", ");
        for s in open_states {
            list.push_bind(s.to_string());
        }
        qb.push(")");
        let (sql, args) = numbered(&mut qb)?;
        Ok(sqlx::query_as_with::<_, Counts, _>(&sql, args)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Mention ids of many escalations in one query.
    pub async fn escalation_mention_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            let sql = format!(
                "SELECT escalation_id, mention_id FROM escalation_mentions WHERE escalation_id IN ({}) ORDER BY escalation_id, mention_id",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for (e, m) in q.fetch_all(&self.pool).await? {
                out.entry(e).or_default().push(m);
            }
        }
        Ok(out)
    }
}

impl Store {
    /// The stored state name of escalation `id`, if there is one.
    pub async fn escalation_state(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar::<_, String>("SELECT state FROM escalations WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
