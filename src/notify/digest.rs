//! The daily digest: yesterday's figures against the week before, rendered per
//! recipient language, sent once a day at `[digest] at` local time.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::config::NotifyConfig;
use super::i18n::Catalog;
use crate::core::classification::SentimentLabel;
use crate::core::model::Mention;
use crate::store::outbox::Email;
use crate::store::Store;

pub use super::digest_view::{render, MisinfoLine, Rendered, SignalLine};
pub use crate::core::calendar::local_time as due_at;

/// The local date whose digest should go out at `now`, if its time has come.
pub fn due_today(now: DateTime<Utc>, at: NaiveTime, tz: Tz) -> Option<NaiveDate> {
    let today = now.with_timezone(&tz).date_naive();
    (now >= due_at(today, at, tz)).then_some(today)
}

/// Start and end (UTC) of a local calendar day.
pub fn local_day(date: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| due_at(d, NaiveTime::MIN, tz);
    (start(date), start(date + Duration::days(1)))
}

/// Figures of one day, independent of the reader's language.
#[derive(Debug, Clone)]
pub struct DayFigures {
    /// The day reported on.
    pub date: NaiveDate,
    /// Mentions per day over the 7 days before and the day itself (oldest first).
    pub daily: Vec<(NaiveDate, usize, usize)>,
    /// Mentions of the day, best first for the top list.
    pub mentions: Vec<Mention>,
    /// Sentiment counts of the day: negative, neutral, positive.
    pub sentiment: [usize; 3],
    /// Dead-lettered e-mails.
    pub dead_letters: usize,
    /// Open escalations at the time of the digest: (total, overdue, formal requests).
    pub escalations: (usize, usize, usize),
    /// Overdue escalations: (id, reason, due) — most overdue first.
    pub overdue: Vec<(i64, String, DateTime<Utc>)>,
    /// Signals raised that day.
    pub signals: Vec<DaySignal>,
    /// Known false claims seen that day.
    pub misinfo: Vec<DayClaim>,
    /// Time to first answer for the escalations of messages written that day: over all
    /// ("all") and per channel.
    pub response: Vec<crate::core::response::ResponseTimes>,
}

/// A signal of the day, language-independent.
#[derive(Debug, Clone)]
pub struct DaySignal {
    /// "info" | "warning" | "critical".
    pub severity: String,
    /// Story or topic.
    pub title: String,
    /// Why it fired (English).
    pub reason: String,
    /// Signal kind, for the localised reason.
    pub kind: String,
    /// Figures behind the reason.
    pub figures: BTreeMap<String, String>,
}

/// A known false claim seen during the day.
#[derive(Debug, Clone)]
pub struct DayClaim {
    /// The claim.
    pub claim: String,
    /// Mentions matching it.
    pub count: usize,
    /// Approved answer per language.
    pub answers: BTreeMap<String, String>,
    /// Reference page.
    pub link: Option<String>,
}

/// Gathers the figures of `date` (a local day) and the 7 days before it.
pub async fn figures(
    store: &Store,
    cfg: &NotifyConfig,
    date: NaiveDate,
) -> anyhow::Result<DayFigures> {
    let tz: Tz = cfg
        .digest
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("digest.timezone: {e}"))?;
    let (week_start, _) = local_day(date - Duration::days(7), tz);
    let (day_start, day_end) = local_day(date, tz);
    let all = store.mentions(Some(week_start), 1_000_000).await?;
    let mut daily = Vec::new();
    for i in (0..=7).rev() {
        let d = date - Duration::days(i);
        let (s, e) = local_day(d, tz);
        let in_day: Vec<&Mention> = all
            .iter()
            // Each mention counts on the day it was written (event time), even if read later.
            .filter(|m| m.event_at() >= s && m.event_at() < e)
            .collect();
        let neg = in_day
            .iter()
            .filter(|m| {
                m.sentiment
                    .is_some_and(|s| s.label == SentimentLabel::Negative)
            })
            .count();
        daily.push((d, in_day.len(), neg));
    }
    let mut mentions: Vec<Mention> = all
        .into_iter()
        .filter(|m| m.event_at() >= day_start && m.event_at() < day_end)
        .collect();
    let mut sentiment = [0usize; 3];
    for m in &mentions {
        match m.sentiment.map(|s| s.label) {
            Some(SentimentLabel::Negative) => sentiment[0] += 1,
            Some(SentimentLabel::Positive) => sentiment[2] += 1,
            _ => sentiment[1] += 1,
        }
    }
    // Most telling first: negative before the rest, then by how many people acted on it
    // (likes, reposts, replies, quotes), then by audience, then newest.
    mentions.sort_by_key(|m| {
        (
            m.sentiment
                .is_none_or(|s| s.label != SentimentLabel::Negative),
            std::cmp::Reverse(m.engagement.interactions()),
            std::cmp::Reverse(m.reach.unwrap_or(0)),
            std::cmp::Reverse(m.event_at()),
        )
    });
    let dead_letters = store.outbox(Some("dead"), 1000).await?.len();
    let (escalations, overdue) = open_escalations(store).await?;
    let signals = store
        .signals(Some(day_start))
        .await?
        .into_iter()
        .filter(|s| s.at < day_end)
        .map(|s| DaySignal {
            severity: s.severity,
            title: s.title,
            reason: s.reason,
            kind: s.kind,
            figures: s.figures,
        })
        .collect();
    let response = crate::core::response::response_times(
        store.answer_cases(day_start).await?,
        &cfg.calendar,
        day_end,
        chrono::Utc::now(),
    )
    .into_iter()
    .filter(|r| r.by == "all" || r.by == "channel")
    .collect();
    Ok(DayFigures {
        date,
        daily,
        mentions,
        sentiment,
        dead_letters,
        escalations,
        overdue,
        signals,
        misinfo: Vec::new(),
        response,
    })
}

/// Open escalations now: (total, overdue, formal requests), and the overdue ones, most
/// overdue first.
async fn open_escalations(store: &Store) -> anyhow::Result<(OpenCounts, Vec<Overdue>)> {
    let open: Vec<_> = store
        .escalations(None, chrono::Utc::now())
        .await?
        .into_iter()
        .filter(|e| e.state.is_open())
        .collect();
    let mut overdue: Vec<(i64, String, DateTime<Utc>)> = open
        .iter()
        .filter(|e| e.overdue)
        .map(|e| (e.id, e.reason.clone(), e.due_at))
        .collect();
    overdue.sort_by_key(|o| o.2);
    let escalations = (
        open.len(),
        overdue.len(),
        open.iter().filter(|e| e.formal_request).count(),
    );
    Ok((escalations, overdue))
}

/// (open, overdue, formal requests).
type OpenCounts = (usize, usize, usize);
/// (id, reason, due).
type Overdue = (i64, String, DateTime<Utc>);

/// The digest e-mail for one recipient, in their language.
pub fn email_for(
    f: &DayFigures,
    cfg: &NotifyConfig,
    r: &crate::notify::config::Recipient,
    catalog: &Catalog,
    dedup_key: Option<String>,
) -> anyhow::Result<Email> {
    Ok(render(f, cfg, &r.language, catalog)?.email_to("digest", r, dedup_key))
}

/// The digest's time zone and local time of day (`[digest] timezone` and `at`).
pub fn clock(cfg: &NotifyConfig) -> anyhow::Result<(Tz, NaiveTime)> {
    let tz: Tz = cfg
        .digest
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("digest.timezone: {e}"))?;
    let at = crate::core::config::parse_hhmm(&cfg.digest.at)
        .ok_or_else(|| anyhow::anyhow!("digest.at"))?;
    Ok((tz, at))
}

/// Queues today's digest for every recipient who wants one, once per day: the outbox's
/// dedup key (`digest:DATE:ADDRESS`) makes a second call, or a restart, a no-op.
pub async fn enqueue_due(
    store: &Store,
    cfg: &NotifyConfig,
    now: DateTime<Utc>,
    domain: &str,
) -> anyhow::Result<usize> {
    let (tz, at) = clock(cfg)?;
    let Some(today) = due_today(now, at, tz).filter(|_| cfg.digest.enabled) else {
        return Ok(0);
    };
    let readers: Vec<_> = cfg.recipients.iter().filter(|r| r.digest).collect();
    let pending: Vec<_> = {
        let mut v = Vec::new();
        for r in readers {
            let key = format!("digest:{today}:{}", r.email.to_lowercase());
            if !store.has_dedup_key(&key).await? {
                v.push((r, key));
            }
        }
        v
    };
    if pending.is_empty() {
        return Ok(0);
    }
    let catalog = Catalog::builtin();
    let figures = figures(store, cfg, today - Duration::days(1)).await?;
    let mut queued = 0;
    for (r, key) in pending {
        let email = email_for(&figures, cfg, r, &catalog, Some(key))?;
        if store.enqueue(&email, domain, now).await?.is_some() {
            queued += 1;
        }
    }
    tracing::info!(date = %today, queued, "daily digest queued");
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn due_time_follows_daylight_saving() {
        let tz: Tz = "Europe/Brussels".parse().unwrap();
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        // winter (UTC+1), summer (UTC+2), and the two days the clocks change
        assert_eq!(
            due_at(d(2026, 1, 15), eight, tz),
            utc("2026-01-15T07:00:00Z")
        );
        assert_eq!(
            due_at(d(2026, 7, 15), eight, tz),
            utc("2026-07-15T06:00:00Z")
        );
        assert_eq!(
            due_at(d(2026, 3, 29), eight, tz),
            utc("2026-03-29T06:00:00Z")
        );
        assert_eq!(
            due_at(d(2026, 10, 25), eight, tz),
            utc("2026-10-25T07:00:00Z")
        );
        // a time inside the spring gap moves to the end of the gap; a repeated one is taken first
        let half_two = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            due_at(d(2026, 3, 29), half_two, tz),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            due_at(d(2026, 10, 25), half_two, tz),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn ticking_through_dst_days_gives_one_due_moment_per_day() {
        let tz: Tz = "Europe/Brussels".parse().unwrap();
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        for day in [
            "2026-03-28T00:00:00Z",
            "2026-03-29T00:00:00Z",
            "2026-10-25T00:00:00Z",
        ] {
            let mut now = utc(day) - Duration::hours(2);
            let mut became_due = Vec::new();
            let mut last = due_today(now, eight, tz);
            // a controllable clock: one tick per minute over 26 hours
            for _ in 0..(26 * 60) {
                let d = due_today(now, eight, tz);
                if d.is_some() && d != last {
                    became_due.push(now.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string());
                }
                last = d;
                now += Duration::minutes(1);
            }
            let day_local = utc(day).with_timezone(&tz).date_naive();
            assert!(
                became_due.contains(&format!("{} 08:00", day_local.format("%Y-%m-%d"))),
                "{became_due:?}"
            );
            assert!(
                became_due.iter().all(|s| s.ends_with("08:00")),
                "{became_due:?}"
            );
        }
    }
}
