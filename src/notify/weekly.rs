//! The weekly report of recurring questions: on Mondays at the digest time, to the
//! recipients with `weekly = true`, in their language: the week's top questions with
//! their trend against the four weeks before (a small chart of the five weeks), the
//! content gaps, and the answered share and response times per channel.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use super::config::{NotifyConfig, Recipient};
use super::digest::{due_at, local_day, Rendered};
use super::i18n::{self, Catalog};
use crate::core::question::Group;
use crate::core::response::ResponseTimes;
use crate::store::Store;

/// Questions listed in each section.
const LISTED: usize = 10;

/// The week reported on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Week {
    /// The Monday the report goes out (local date).
    pub monday: NaiveDate,
    /// The seven days before it (UTC bounds of the local days).
    pub since: DateTime<Utc>,
    /// End (excluded): the Monday's local midnight.
    pub until: DateTime<Utc>,
}

/// What the report says, independent of the reader's language.
#[derive(Debug, Clone)]
pub struct WeekFigures {
    /// The week.
    pub week: Week,
    /// The week's groups, largest first.
    pub groups: Vec<Group>,
    /// Time to first answer for the escalations opened that week: over all ("all") and
    /// per channel.
    pub response: Vec<ResponseTimes>,
}

/// The week whose report should go out at `now`, if today is Monday and its time has
/// come (and the report is on).
pub fn due(cfg: &NotifyConfig, now: DateTime<Utc>) -> anyhow::Result<Option<Week>> {
    let (tz, at) = super::digest::clock(cfg)?;
    let today = now.with_timezone(&tz).date_naive();
    if today.weekday() != Weekday::Mon
        || now < due_at(today, at, tz)
        || !cfg.recipients.iter().any(|r| r.weekly)
    {
        return Ok(None);
    }
    Ok(Some(Week {
        monday: today,
        since: local_day(today - Duration::days(7), tz).0,
        until: local_day(today, tz).0,
    }))
}

/// The readers still waiting for this week's report, with the outbox key that makes
/// it go once.
pub async fn pending<'a>(
    store: &Store,
    cfg: &'a NotifyConfig,
    week: &Week,
) -> anyhow::Result<Vec<(&'a Recipient, String)>> {
    let mut out = Vec::new();
    for r in cfg.recipients.iter().filter(|r| r.weekly) {
        let key = format!("weekly:{}:{}", week.monday, r.email.to_lowercase());
        if !store.has_dedup_key(&key).await? {
            out.push((r, key));
        }
    }
    Ok(out)
}

/// Response times of the escalations opened during the week.
pub async fn response(
    store: &Store,
    cfg: &NotifyConfig,
    week: &Week,
) -> anyhow::Result<Vec<ResponseTimes>> {
    Ok(crate::core::response::response_times(
        store.answer_cases(week.since).await?,
        &cfg.calendar,
        week.until,
        Utc::now(),
    )
    .into_iter()
    .filter(|r| r.by == "all" || r.by == "channel")
    .collect())
}

/// Queues the report for the pending readers; returns how many were queued.
pub async fn enqueue(
    store: &Store,
    cfg: &NotifyConfig,
    figures: &WeekFigures,
    readers: Vec<(&Recipient, String)>,
    now: DateTime<Utc>,
    domain: &str,
) -> anyhow::Result<usize> {
    let catalog = Catalog::builtin();
    let mut queued = 0;
    for (r, key) in readers {
        let email = render(figures, cfg, &r.language, &catalog)?.email_to("weekly", r, Some(key));
        if store.enqueue(&email, domain, now).await?.is_some() {
            queued += 1;
        }
    }
    tracing::info!(monday = %figures.week.monday, queued, "weekly report queued");
    Ok(queued)
}

/// Renders the report for a reader of `lang`.
pub fn render(
    f: &WeekFigures,
    cfg: &NotifyConfig,
    lang: &str,
    catalog: &Catalog,
) -> anyhow::Result<Rendered> {
    let t = catalog.strings(lang);
    let line = |g: &Group| {
        let langs: Vec<String> = g.languages.keys().cloned().collect();
        minijinja::context! {
            text => g.text.chars().take(160).collect::<String>(),
            count => i18n::number(g.count as i64, lang),
            trend => format!("{}{}", if g.trend >= 0.0 { "+" } else { "" }, i18n::percent(g.trend, lang)),
            rising => g.trend > 0.5,
            languages => langs.join(", "),
            answered => i18n::percent(g.answered_share, lang),
            median => i18n::minutes(g.median_answer_minutes, lang),
        }
    };
    let top: Vec<_> = f.groups.iter().take(LISTED).map(line).collect();
    let mut gaps: Vec<&Group> = f.groups.iter().filter(|g| g.knowledge.is_none()).collect();
    gaps.sort_by(|a, b| b.count.cmp(&a.count).then(b.trend.total_cmp(&a.trend)));
    let gap_lines: Vec<_> = gaps.iter().take(LISTED).map(|g| line(g)).collect();
    let weeks = week_totals(f);
    let total: usize = f.groups.iter().map(|g| g.count).sum();
    let date_long = i18n::long_date(f.week.monday, lang);
    let subject = catalog.t(
        lang,
        "weekly_subject",
        &[("name", &cfg.institution), ("date", &date_long)],
    );
    let caption = weeks
        .iter()
        .map(|(_, n, gaps)| format!("{n} ({gaps})"))
        .collect::<Vec<_>>()
        .join(" → ");
    let caption = format!("{}: {caption}", t["weekly_chart_caption"]);
    let png = super::chart::volume_and_negative(&weeks).ok();
    let channels: Vec<_> = f
        .response
        .iter()
        .filter(|r| r.by == "channel")
        .map(|r| {
            minijinja::context! {
                key => r.key.clone(), opened => r.opened, answered => r.answered,
                median => i18n::minutes(r.median_minutes, lang),
                within => r.within_rule.map(|w| i18n::percent(w, lang)).unwrap_or_else(|| "–".into()),
            }
        })
        .collect();
    let ctx = minijinja::context! {
        lang, t, subject, institution => cfg.institution.clone(), date_long,
        total => i18n::number(total as i64, lang),
        groups => f.groups.len(), gap_count => gaps.len(),
        top, gaps => gap_lines, channels,
        has_chart => png.is_some(), chart_alt => format!("{}: {caption}", t["weekly_chart_alt"]),
        chart_caption => caption,
    };
    let env = super::templates::environment();
    Ok(Rendered {
        html: env.get_template("weekly.html")?.render(&ctx)?,
        text: env.get_template("weekly.txt")?.render(&ctx)?,
        subject,
        png,
    })
}

/// Questions and questions in gaps per week, the five weeks up to the report (oldest
/// first), for the chart: bars for the questions, the line for the gaps' share.
fn week_totals(f: &WeekFigures) -> Vec<(NaiveDate, usize, usize)> {
    let n = f.groups.first().map_or(5, |g| g.weeks.len());
    (0..n)
        .map(|i| {
            let day = f.week.monday - Duration::days(7 * (n - i) as i64);
            let all: usize = f
                .groups
                .iter()
                .map(|g| g.weeks.get(i).copied().unwrap_or(0))
                .sum();
            let gaps: usize = (f.groups.iter())
                .filter(|g| g.knowledge.is_none())
                .map(|g| g.weeks.get(i).copied().unwrap_or(0))
                .sum();
            (day, all, gaps)
        })
        .collect()
}
