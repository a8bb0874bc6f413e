//! The digest as a reader sees it: figures turned into words, counts and a chart in the
//! reader's language.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::NotifyConfig;
use super::digest::DayFigures;
use super::i18n::{self, Catalog};
use super::post::Post;

#[derive(Debug, Serialize, Clone)]
struct Count {
    name: String,
    count: String,
}

/// A signal line for the digest (filled from the signals stage).
#[derive(Debug, Serialize, Clone)]
pub struct SignalLine {
    /// Localised severity.
    pub severity: String,
    /// Colour of the severity bar.
    pub colour: String,
    /// Story or topic.
    pub title: String,
    /// Why it fired, with figures.
    pub reason: String,
}

/// A known false claim seen yesterday, with its approved answer.
#[derive(Debug, Serialize, Clone)]
pub struct MisinfoLine {
    /// The claim.
    pub claim: String,
    /// Mentions that matched it.
    pub count: usize,
    /// Approved answer in the reader's language.
    pub answer: String,
    /// Reference page.
    pub link: Option<String>,
}

fn top_counts<'a>(items: impl Iterator<Item = &'a str>, lang: &str, n: usize) -> Vec<Count> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(n)
        .map(|(name, c)| Count {
            name: name.to_string(),
            count: i18n::number(c as i64, lang),
        })
        .collect()
}

/// A rendered digest.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML (the chart referenced as `cid:chart`).
    pub html: String,
    /// The chart.
    pub png: Option<Vec<u8>>,
}

impl Rendered {
    /// The e-mail to `r`, queued once under `dedup_key`.
    pub fn email_to(
        self,
        kind: &str,
        r: &crate::notify::config::Recipient,
        dedup_key: Option<String>,
    ) -> crate::store::outbox::Email {
        crate::store::outbox::Email {
            kind: kind.into(),
            dedup_key,
            to_name: r.name.clone(),
            to_email: r.email.clone(),
            subject: self.subject,
            text: self.text,
            html: self.html,
            inline_png: self.png,
        }
    }
}

/// Renders the digest for a reader of `lang`.
pub fn render(
    f: &DayFigures,
    cfg: &NotifyConfig,
    lang: &str,
    catalog: &Catalog,
) -> anyhow::Result<Rendered> {
    let t = catalog.strings(lang);
    let total = f.mentions.len();
    let prev: Vec<usize> = f.daily.iter().take(7).map(|d| d.1).collect();
    let avg7 = prev.iter().sum::<usize>() as f64 / prev.len().max(1) as f64;
    let delta = if avg7 > 0.0 {
        (total as f64 - avg7) / avg7
    } else {
        0.0
    };
    let share = |n: usize| {
        if total == 0 {
            0.0
        } else {
            n as f64 / total as f64
        }
    };
    let topics = topic_counts(f, cfg, lang);
    let neg_trend: Vec<String> = f
        .daily
        .iter()
        .map(|(_, n, neg)| {
            if *n == 0 {
                "–".into()
            } else {
                i18n::percent(*neg as f64 / *n as f64, lang)
            }
        })
        .collect();
    let top: Vec<Post> = f
        .mentions
        .iter()
        .take(8)
        .map(|m| Post::of(m, lang, t))
        .collect();
    let signals = signal_lines(f, catalog, lang);
    let misinfo = misinfo_lines(f, lang);
    let date_long = i18n::long_date(f.date, lang);
    let subject = catalog.t(
        lang,
        "digest_subject",
        &[("name", &cfg.institution), ("date", &date_long)],
    );
    let caption = week_caption(f, t, lang);
    let chart_alt = format!("{}: {}", t["chart_alt"], caption);
    let png = super::chart::volume_and_negative(&f.daily).ok();
    let ctx = minijinja::context! {
        lang, t, subject, institution => cfg.institution.clone(), date_long,
        volume => i18n::number(total as i64, lang),
        avg7 => i18n::number(avg7.round() as i64, lang),
        delta => format!("{}{}", if delta >= 0.0 { "+" } else { "" }, i18n::percent(delta, lang)),
        delta_colour => if delta > 0.5 { "#b91c1c" } else { "#4b5563" },
        neg_share => i18n::percent(share(f.sentiment[0]), lang),
        neu_share => i18n::percent(share(f.sentiment[1]), lang),
        pos_share => i18n::percent(share(f.sentiment[2]), lang),
        neg_trend => neg_trend.join(" → "),
        has_chart => png.is_some(), chart_alt, chart_caption => caption,
        top, topics,
        languages => top_counts(f.mentions.iter().map(|m| m.lang.as_str()), lang, 5),
        sources => top_counts(f.mentions.iter().map(|m| m.source.as_str()), lang, 6),
        signals, misinfo, dead => f.dead_letters,
        open_escalations => f.escalations.0, overdue_count => f.escalations.1, formal_count => f.escalations.2,
        overdue => f.overdue.iter().take(10).map(|(id, reason, due)| minijinja::context! { id, reason, due => i18n::date_time(*due, cfg.tz, lang) }).collect::<Vec<_>>(),
        response => f.response.iter().find(|r| r.by == "all").map(|r| response_line(r, lang)),
        response_channels => f.response.iter().filter(|r| r.by == "channel").map(|r| response_line(r, lang)).collect::<Vec<_>>(),
    };
    let env = super::templates::environment();
    let html = env.get_template("digest.html")?.render(&ctx)?;
    let text = env.get_template("digest.txt")?.render(&ctx)?;
    Ok(Rendered {
        subject,
        text,
        html,
        png,
    })
}

/// One line of response-time figures, in `lang`.
fn response_line(r: &crate::core::response::ResponseTimes, lang: &str) -> minijinja::Value {
    minijinja::context! {
        key => r.key.clone(), opened => r.opened, answered => r.answered,
        median => i18n::minutes(r.median_minutes, lang),
        mean => i18n::minutes(r.mean_minutes, lang),
        median_working => i18n::minutes(r.median_working_minutes, lang),
        within => r.within_rule.map(|w| i18n::percent(w, lang)).unwrap_or_else(|| "–".into()),
    }
}

/// The day's topics with their labels in `lang`, most frequent first.
fn topic_counts(f: &DayFigures, cfg: &NotifyConfig, lang: &str) -> Vec<Count> {
    let topic_names: BTreeMap<&str, String> = cfg
        .topics
        .iter()
        .map(|tp| {
            (
                tp.id.as_str(),
                tp.labels
                    .get(lang)
                    .cloned()
                    .unwrap_or_else(|| tp.id.clone()),
            )
        })
        .collect();
    let topic_ids: Vec<&str> = f
        .mentions
        .iter()
        .flat_map(|m| m.topics.iter().flatten().map(|t| t.id.as_str()))
        .collect();
    top_counts(topic_ids.into_iter(), lang, 6)
        .into_iter()
        .map(|c| Count {
            name: topic_names.get(c.name.as_str()).cloned().unwrap_or(c.name),
            count: c.count,
        })
        .collect()
}

/// The day's signals, said in `lang`.
fn signal_lines(f: &DayFigures, catalog: &Catalog, lang: &str) -> Vec<SignalLine> {
    let t = catalog.strings(lang);
    let severity_colour = |s: &str| match s {
        "critical" => "#b91c1c",
        "warning" => "#d97706",
        _ => "#2563eb",
    };
    f.signals
        .iter()
        .map(|x| SignalLine {
            severity: t
                .get(&format!("severity_{}", x.severity))
                .cloned()
                .unwrap_or_else(|| x.severity.clone()),
            colour: severity_colour(&x.severity).into(),
            title: x.title.clone(),
            reason: i18n::reason(catalog, lang, &x.kind, &x.figures, &x.reason),
        })
        .collect()
}

/// The day's known false claims with the approved answer in `lang` (else English).
fn misinfo_lines(f: &DayFigures, lang: &str) -> Vec<MisinfoLine> {
    f.misinfo
        .iter()
        .map(|c| MisinfoLine {
            claim: c.claim.clone(),
            count: c.count,
            answer: c
                .answers
                .get(lang)
                .or_else(|| c.answers.get("en"))
                .cloned()
                .unwrap_or_default(),
            link: c.link.clone(),
        })
        .collect()
}

/// "Mon 12 · Tue 30 · …": the week's volumes under the chart.
fn week_caption(f: &DayFigures, t: &BTreeMap<String, String>, lang: &str) -> String {
    use chrono::Datelike;
    let day_names: Vec<&str> = t["day_names"].split(',').collect();
    f.daily
        .iter()
        .map(|(d, n, _)| {
            format!(
                "{} {}",
                day_names
                    .get(d.weekday().num_days_from_monday() as usize)
                    .unwrap_or(&"?"),
                i18n::number(*n as i64, lang)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
