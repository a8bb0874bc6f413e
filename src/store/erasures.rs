//! Erasing citizens' personal data: past retention, or one person's on request
//! (`vigie forget`). A mention keeps its (hashed) keys, source, dates and classification;
//! its title, text and author go, its link keeps only the site, and every copy made of
//! them (signal titles, reasons and figures, escalation reasons, notes, answers, e-mails)
//! is scrubbed in the same transaction. That an erasure happened is recorded; never what.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

use super::{ms, placeholders, Store, StoreError, BATCH};
use crate::core::privacy;

/// A mention's personal data, as retention or an erasure request reads it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonalData {
    /// Mention id.
    pub id: i64,
    /// Author, when known.
    pub author: Option<String>,
    /// Link.
    pub url: Option<String>,
    /// Title (for social posts, the post's first line).
    pub title: String,
    /// Body.
    pub text: String,
}

/// Which copies of personal data an erasure scrubs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Copies made of the erased mentions only (retention: a recent post of the same
    /// person stays as it is).
    CopiesOf,
    /// Every row that holds one of the pieces (an erasure request).
    Everywhere,
}

/// Checkpoint attempts after an erasure while readers keep the journal busy (about
/// ten seconds in all).
const CHECKPOINT_TRIES: u32 = 10;

/// Tables and text columns that may hold a copy of a citizen's personal data.
const COPIES: &[(&str, &[&str])] = &[
    ("mentions", &["title", "text"]),
    ("signals", &["title", "reason", "figures"]),
    ("escalations", &["reason"]),
    ("escalation_events", &["note"]),
    ("escalation_answers", &["body"]),
    ("outbox", &["subject", "body_text", "body_html"]),
];

const PERSONAL_COLUMNS: &str = "SELECT id, author, url, title, text FROM mentions";

impl Store {
    /// Mentions first seen before `before` whose personal data is still there, oldest first.
    pub async fn personal_data_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PersonalData>, StoreError> {
        Ok(sqlx::query_as::<_, PersonalData>(&format!(
            "{PERSONAL_COLUMNS} WHERE erased_at IS NULL AND first_seen_at < $1 ORDER BY first_seen_at, id LIMIT $2"
        ))
        .bind(ms(before))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Mentions not yet erased whose author, link, title or text may hold one of the
    /// pieces (a coarse filter: the caller decides, case- and accent-exact).
    pub async fn personal_data_holding(
        &self,
        pieces: &[String],
    ) -> Result<Vec<PersonalData>, StoreError> {
        let mut out: Vec<PersonalData> = Vec::new();
        let sql = format!(
            "{PERSONAL_COLUMNS} WHERE erased_at IS NULL AND ({}) ORDER BY id",
            any_like(&["author", "url", "title", "text"])
        );
        for p in pieces {
            let rows = sqlx::query_as::<_, PersonalData>(&sql)
                .bind(pattern(p))
                .fetch_all(&self.pool)
                .await?;
            for r in rows {
                if !out.iter().any(|o| o.id == r.id) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Erases the personal data of mentions `ids` and scrubs `pieces` from the copies
    /// `scope` names, in one transaction. Returns the rows changed.
    pub async fn erase(
        &self,
        ids: &[i64],
        pieces: &[String],
        scope: Scope,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.erase_marking(ids, pieces, scope, now, false).await
    }

    /// [`Store::erase`], and with `deleted` the mentions are marked deleted at `now` in
    /// the same transaction (a post its author deleted).
    pub(super) async fn erase_marking(
        &self,
        ids: &[i64],
        pieces: &[String],
        scope: Scope,
        now: DateTime<Utc>,
        deleted: bool,
    ) -> Result<u64, StoreError> {
        let pieces = with_html_forms(pieces);
        let scrubber = privacy::Scrubber::new(&pieces);
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            let mut tx = self.pool.begin().await?;
            let mut changed = blank_mentions(&mut tx, ids, now).await?;
            if deleted {
                for chunk in ids.chunks(BATCH) {
                    let sql = format!(
                        "UPDATE mentions SET deleted_at = $1 WHERE id IN ({})",
                        placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(ms(now));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            let escalations = match scope {
                Scope::CopiesOf => Some(escalations_of(&mut tx, ids).await?),
                Scope::Everywhere => None,
            };
            for (table, cols) in COPIES {
                changed += scrub_table(
                    &mut tx,
                    table,
                    cols,
                    (&pieces, &scrubber),
                    |id, row| match (scope, *table) {
                        (Scope::Everywhere, _) => true,
                        (Scope::CopiesOf, "signals") => {
                            evidence_of(row).iter().any(|e| ids.contains(e))
                        }
                        (Scope::CopiesOf, "escalations") => {
                            escalations.as_ref().is_some_and(|s| s.contains(&id))
                        }
                        (Scope::CopiesOf, "escalation_events" | "escalation_answers") => {
                            escalations
                                .as_ref()
                                .is_some_and(|s| s.contains(&escalation_of(row)))
                        }
                        _ => false,
                    },
                )
                .await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
        .await
    }

    /// Retention of what was copied from mentions into other rows, past `before`:
    /// signal titles (a post's first line) and the bodies of e-mails already sent or
    /// given up. Returns the rows changed.
    pub async fn expire_copies(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            let mut tx = self.pool.begin().await?;
            let a = sqlx::query("UPDATE signals SET title = '' WHERE at < $1 AND title <> ''")
                .bind(ms(before))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let b = sqlx::query(
                "UPDATE outbox SET subject = '', body_text = '', body_html = '', inline_png = NULL \
                 WHERE created_at < $1 AND state IN ('sent', 'dead') AND (body_text <> '' OR subject <> '')",
            )
            .bind(ms(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(a + b)
        })
        .await
    }

    /// Records that an erasure of `kind` ("retention", "author", "handle", "email")
    /// changed `rows` rows at `at`.
    pub async fn record_erasure(
        &self,
        kind: &str,
        rows: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _g = self.write_guard().await;
        self.retry_locked(|| async {
            sqlx::query("INSERT INTO erasures (at, kind, row_count) VALUES ($1, $2, $3)")
                .bind(ms(at))
                .bind(kind.to_string())
                .bind(rows as i64)
                .execute(&self.pool)
                .await
                .map(|_| ())
        })
        .await?;
        self.checkpoint_journal().await
    }

    /// SQLite: copies the write-ahead log into the database file and truncates it, so
    /// erased bytes do not outlive the erasure in `vigie.db-wal` (secure_delete covers
    /// the main file only). Waits while readers hold old pages.
    async fn checkpoint_journal(&self) -> Result<(), StoreError> {
        if self.backend != super::Backend::Sqlite {
            return Ok(());
        }
        for attempt in 0..CHECKPOINT_TRIES {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await?;
            if busy == 0 {
                return Ok(());
            }
            tracing::debug!(attempt, "journal checkpoint busy, retrying");
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(5))).await;
        }
        tracing::warn!("the journal could not be truncated after an erasure: readers kept it busy; the next erasure tries again");
        Ok(())
    }

    /// Erasures recorded, newest first: (when, kind, rows).
    pub async fn erasures(&self) -> Result<Vec<(DateTime<Utc>, String, i64)>, StoreError> {
        let rows: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT at, kind, row_count FROM erasures ORDER BY id DESC")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(at, k, n)| (super::from_ms(at), k, n))
            .collect())
    }
}

/// `LOWER(col) LIKE $n ESCAPE '!'`, null-safe.
fn like(col: &str, n: usize) -> String {
    format!("LOWER(COALESCE({col}, '')) LIKE ${n} ESCAPE '!'")
}

/// Any of `cols` LIKE `$1`.
fn any_like(cols: &[&str]) -> String {
    cols.iter()
        .map(|c| like(c, 1))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// A LIKE pattern that finds rows which may hold `piece`: its longest ASCII run,
/// lowercased (SQLite lowercases ASCII only, so accented letters cannot take part);
/// the exact search happens in Rust afterwards.
fn pattern(piece: &str) -> String {
    let run = piece
        .split(|c: char| !c.is_ascii())
        .max_by_key(|s| s.len())
        .filter(|s| s.len() >= 3)
        .unwrap_or(piece)
        .to_ascii_lowercase();
    let escaped: String = run
        .chars()
        .flat_map(|c| match c {
            '!' | '%' | '_' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// The pieces and their forms in HTML e-mail bodies (the template engine escapes
/// `& < > " ' /`).
fn with_html_forms(pieces: &[String]) -> Vec<String> {
    let mut out: Vec<String> = pieces.to_vec();
    for p in pieces {
        let h = p
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;")
            .replace('/', "&#x2f;");
        if h != *p {
            out.push(h);
        }
    }
    privacy::normalise(out)
}

async fn blank_mentions(
    tx: &mut Transaction<'static, Any>,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut changed = 0;
    for chunk in ids.chunks(BATCH) {
        let sql = format!(
            "SELECT id, url FROM mentions WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64, Option<String>)>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for (id, url) in q.fetch_all(&mut **tx).await? {
            changed += sqlx::query(
                "UPDATE mentions SET title = '', text = '', author = NULL, in_reply_to = NULL, thread = NULL, url = $1, erased_at = $2 WHERE id = $3",
            )
            .bind(url.as_deref().and_then(privacy::site_of))
            .bind(ms(now))
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        }
    }
    Ok(changed)
}

async fn escalations_of(
    tx: &mut Transaction<'static, Any>,
    ids: &[i64],
) -> Result<BTreeSet<i64>, sqlx::Error> {
    let mut out = BTreeSet::new();
    for chunk in ids.chunks(BATCH) {
        let sql = format!(
            "SELECT escalation_id FROM escalation_mentions WHERE mention_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut **tx).await?);
    }
    Ok(out)
}

/// A candidate row: its id, the columns scrubbed, and the extra column read to decide.
struct Candidate {
    id: i64,
    values: Vec<Option<String>>,
    extra: Option<String>,
}

fn evidence_of(row: &Candidate) -> Vec<i64> {
    serde_json::from_str(row.extra.as_deref().unwrap_or("[]")).unwrap_or_default()
}

fn escalation_of(row: &Candidate) -> i64 {
    row.extra
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(-1)
}

/// Rewrites, in `table`, the `cols` of every row that holds a piece and that `keep`
/// selects, with each piece replaced by [`privacy::ERASED`].
async fn scrub_table(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    cols: &[&str],
    (pieces, scrubber): (&[String], &privacy::Scrubber),
    keep: impl Fn(i64, &Candidate) -> bool,
) -> Result<u64, sqlx::Error> {
    if pieces.is_empty() {
        return Ok(0);
    }
    let extra = match table {
        "signals" => "evidence",
        "escalation_events" | "escalation_answers" => "CAST(escalation_id AS TEXT)",
        _ => "NULL",
    };
    let only = if table == "mentions" {
        "erased_at IS NULL AND "
    } else {
        ""
    };
    let mut seen = BTreeSet::new();
    let mut changed = 0;
    let sql = format!(
        "SELECT id, {}, {extra} FROM {table} WHERE {only}({})",
        cols.join(", "),
        any_like(cols)
    );
    for p in pieces {
        let rows = sqlx::query(&sql)
            .bind(pattern(p))
            .fetch_all(&mut **tx)
            .await?;
        for r in rows {
            let c = Candidate {
                id: r.try_get(0)?,
                values: (0..cols.len())
                    .map(|i| r.try_get::<Option<String>, _>(i + 1))
                    .collect::<Result<_, _>>()?,
                extra: r.try_get(cols.len() + 1)?,
            };
            if !seen.insert(c.id) || !keep(c.id, &c) {
                continue;
            }
            let new: Vec<Option<String>> = c
                .values
                .iter()
                .map(|v| {
                    v.as_ref()
                        .map(|s| scrubber.scrub(s, |_| privacy::ERASED.into()))
                })
                .collect();
            if new == c.values {
                continue;
            }
            let sets = cols
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("UPDATE {table} SET {sets} WHERE id = ${}", cols.len() + 1);
            let mut q = sqlx::query(&sql);
            for v in new {
                q = q.bind(v);
            }
            changed += q.bind(c.id).execute(&mut **tx).await?.rows_affected();
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_use_the_longest_ascii_run_and_escape_wildcards() {
        assert_eq!(pattern("Marie Dupont"), "%marie dupont%");
        assert_eq!(pattern("Élodie Dupont"), "%lodie dupont%");
        assert_eq!(pattern("50%_off!"), "%50!%!_off!!%");
        assert_eq!(pattern("Жанна"), "%Жанна%");
    }

    #[test]
    fn html_forms_are_searched_too() {
        let p = with_html_forms(&["O'Brien".to_string()]);
        assert!(p.contains(&"O&#x27;Brien".to_string()), "{p:?}");
    }
}
