//! Alert e-mails, grouped and throttled the way Prometheus Alertmanager does it: wait
//! `group_wait` to gather the first signals of a group (a story), then send updates at
//! most every `group_interval`; at most `max_per_hour` alert e-mails per recipient, then
//! one overflow notice instead of a flood. Decisions and the e-mails they produce are
//! committed in one transaction, so a restart neither resends nor forgets.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::config::{NotifyConfig, Recipient};
use super::i18n::{self, Catalog};
use super::post::Post;
use super::route::{in_quiet_hours, parse_quiet_hours, Route, RouteKey, Severity};
use crate::core::config::humantime_serde_compat;
use crate::core::model::Mention;
use crate::core::text::truncate;
use crate::store::outbox::Email;
use crate::store::Store;

/// `[alerts]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Wait after a group's first signal before the first e-mail, to gather its siblings.
    #[serde(default = "d_group_wait", with = "humantime_serde_compat")]
    pub group_wait: Duration,
    /// At most one update e-mail per group this often.
    #[serde(default = "d_group_interval", with = "humantime_serde_compat")]
    pub group_interval: Duration,
    /// Alert e-mails per recipient per hour before the overflow notice.
    #[serde(default = "d_max_per_hour")]
    pub max_per_hour: i64,
    /// Lowest severity e-mailed to recipients with `alerts = true` (routes may add more).
    #[serde(default = "d_min_severity")]
    pub min_severity: Severity,
    /// Extra routing rules.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Public URL of the web page, for links to escalations (e.g. "https://vigie.example.org").
    #[serde(default)]
    pub base_url: Option<String>,
}

fn d_group_wait() -> Duration {
    Duration::from_secs(30)
}
fn d_group_interval() -> Duration {
    Duration::from_secs(300)
}
fn d_max_per_hour() -> i64 {
    10
}
fn d_min_severity() -> Severity {
    Severity::Warning
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            group_wait: d_group_wait(),
            group_interval: d_group_interval(),
            max_per_hour: d_max_per_hour(),
            min_severity: d_min_severity(),
            routes: Vec::new(),
            base_url: None,
        }
    }
}

/// A signal, as alerting needs it (plain data from the signals stage).
#[derive(Debug, Clone, Serialize)]
pub struct AlertSignal {
    /// Signal id (increasing).
    pub id: i64,
    /// Kind, e.g. "volume_spike", "misinformation", "impersonation".
    pub kind: String,
    /// Severity.
    pub severity: Severity,
    /// Topic id, if any.
    pub topic: Option<String>,
    /// What groups signals into one e-mail thread: the story, else kind and topic.
    pub group_key: String,
    /// Story title or short description.
    pub title: String,
    /// Why it fired, with its figures.
    pub reason: String,
    /// When it fired.
    pub at: DateTime<Utc>,
    /// Evidence mention ids, most telling first.
    pub evidence: Vec<i64>,
    /// Approved answer per language (from the knowledge base), when there is one.
    pub answer: BTreeMap<String, String>,
    /// Reference page for the answer.
    pub answer_link: Option<String>,
    /// Escalation id, when one was opened.
    pub escalation: Option<i64>,
    /// Figures behind the reason, to say it in the reader's language.
    pub figures: BTreeMap<String, String>,
}

impl AlertSignal {
    /// A stored signal as alerting sees it (None when its severity is unknown).
    pub fn of(s: crate::core::signal::Signal) -> Option<AlertSignal> {
        Some(AlertSignal {
            id: s.id,
            kind: s.kind,
            severity: Severity::parse(&s.severity)?,
            topic: s.topic,
            group_key: s.group_key,
            title: s.title,
            reason: s.reason,
            at: s.at,
            evidence: s.evidence,
            // Known claims carry the approved answers (and the reference page) in their figures.
            answer: s
                .figures
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("answer_")?.to_string(), v.clone())))
                .filter(|(k, _)| k != "lang")
                .collect(),
            answer_link: s.figures.get("url").cloned(),
            escalation: None,
            figures: s.figures,
        })
    }
}

/// What one dispatch round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// Alert e-mails queued.
    pub alerts: usize,
    /// Overflow notices queued.
    pub overflow: usize,
    /// Groups waiting (group_wait, group_interval, quiet hours).
    pub waiting: usize,
}

/// Recipients of a signal: everyone with `alerts = true` at or above the minimum
/// severity, plus the routes' recipients; quiet hours hold back all but critical.
pub fn recipients_for<'a>(
    cfg: &'a NotifyConfig,
    s: &AlertSignal,
    languages: &[String],
    sources: &[String],
    now: DateTime<Utc>,
    tz: Tz,
) -> Vec<&'a Recipient> {
    let key = RouteKey {
        severity: s.severity,
        topic: s.topic.as_deref(),
        languages,
        sources,
        kind: &s.kind,
    };
    let mut out: Vec<&Recipient> = cfg
        .recipients
        .iter()
        .filter(|r| r.alerts && s.severity >= cfg.alerts.min_severity)
        .collect();
    for route in cfg.alerts.routes.iter().filter(|r| r.matches(&key)) {
        for addr in &route.to {
            if let Some(r) = cfg
                .recipients
                .iter()
                .find(|r| r.email.eq_ignore_ascii_case(addr))
            {
                if !out.iter().any(|o| o.email == r.email) {
                    out.push(r);
                }
            }
        }
    }
    out.retain(|r| {
        s.severity == Severity::Critical
            || r.quiet_hours
                .as_deref()
                .and_then(parse_quiet_hours)
                .is_none_or(|w| !in_quiet_hours(now, tz, w))
    });
    out
}

/// Recipient → group → the signals it would get.
type Plan<'a> = BTreeMap<String, BTreeMap<String, Vec<&'a AlertSignal>>>;

/// Looks at recent signals and queues the alert e-mails that are due now.
pub async fn dispatch(
    store: &Store,
    cfg: &NotifyConfig,
    signals: &[AlertSignal],
    now: DateTime<Utc>,
    domain: &str,
) -> anyhow::Result<Dispatched> {
    let mut report = Dispatched::default();
    if signals.is_empty()
        || cfg.recipients.iter().all(|r| !r.alerts) && cfg.alerts.routes.is_empty()
    {
        return Ok(report);
    }
    let tz: Tz = cfg
        .digest
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("digest.timezone: {e}"))?;
    let mut ids: Vec<i64> = signals
        .iter()
        .flat_map(|s| s.evidence.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mentions: HashMap<i64, Mention> = store
        .mentions_by_id(&ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut plan: Plan = BTreeMap::new();
    for s in signals {
        let ev: Vec<&Mention> = s.evidence.iter().filter_map(|i| mentions.get(i)).collect();
        let langs: Vec<String> = ev.iter().map(|m| m.lang.clone()).collect();
        let sources: Vec<String> = ev.iter().flat_map(|m| m.sources.clone()).collect();
        for r in recipients_for(cfg, s, &langs, &sources, now, tz) {
            plan.entry(r.email.clone())
                .or_default()
                .entry(s.group_key.clone())
                .or_default()
                .push(s);
        }
    }
    let ctx = Context {
        cfg,
        mentions: &mentions,
        catalog: Catalog::builtin(),
        tz,
        now,
        domain,
    };
    for (email, groups) in plan {
        let r = cfg
            .recipients
            .iter()
            .find(|r| r.email == email)
            .expect("planned from the config");
        ctx.queue_for(store, r, groups, &mut report).await?;
    }
    Ok(report)
}

/// What one dispatch round shares between its recipients.
struct Context<'a> {
    cfg: &'a NotifyConfig,
    mentions: &'a HashMap<i64, Mention>,
    catalog: Catalog,
    tz: Tz,
    now: DateTime<Utc>,
    domain: &'a str,
}

impl Context<'_> {
    /// Queues what is due for one recipient, in one transaction with its group states.
    async fn queue_for(
        &self,
        store: &Store,
        r: &Recipient,
        groups: BTreeMap<String, Vec<&AlertSignal>>,
        report: &mut Dispatched,
    ) -> anyhow::Result<()> {
        let (cfg, now) = (self.cfg, self.now);
        let mut tx = store.begin_alerts().await?;
        let mut sent_last_hour = tx
            .alerts_since(&r.email, now - chrono::Duration::hours(1))
            .await?;
        let mut held = 0;
        for (group, sigs) in groups {
            let state = tx.group(&r.email, &group).await?;
            let newest = sigs.iter().map(|s| s.id).max().unwrap_or(0);
            let first_at = sigs.iter().map(|s| s.at).min().unwrap_or(now);
            let due = match &state {
                None => now - first_at >= chrono::Duration::from_std(cfg.alerts.group_wait)?,
                Some(st) if newest > st.last_signal_id => {
                    now - st.last_sent_at >= chrono::Duration::from_std(cfg.alerts.group_interval)?
                }
                Some(_) => false,
            };
            if !due {
                if state.as_ref().is_none_or(|st| newest > st.last_signal_id) {
                    report.waiting += 1;
                }
                continue;
            }
            if sent_last_hour >= cfg.alerts.max_per_hour {
                held += 1;
                continue;
            }
            let fresh: Vec<&AlertSignal> = match &state {
                Some(st) => sigs
                    .iter()
                    .copied()
                    .filter(|s| s.id > st.last_signal_id)
                    .collect(),
                None => sigs.clone(),
            };
            let update = state.is_some();
            let mut email = render(
                cfg,
                r,
                &fresh,
                update,
                self.mentions,
                &self.catalog,
                self.tz,
            )?;
            // Keyed, so that two rounds racing over the same signals queue it once.
            email.dedup_key = Some(format!("alert:{}:{group}:{newest}", r.email.to_lowercase()));
            tx.enqueue(&email, self.domain, now).await?;
            tx.sent(&r.email, &group, now, newest).await?;
            sent_last_hour += 1;
            report.alerts += 1;
        }
        if held > 0
            && tx
                .enqueue(&self.overflow(r, held), self.domain, now)
                .await?
                .is_some()
        {
            report.overflow += 1;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One notice per recipient and clock hour; the held groups go out when the hour allows.
    fn overflow(&self, r: &Recipient, held: usize) -> Email {
        let bucket = self.now.format("%Y-%m-%dT%H").to_string();
        let t = self.catalog.strings(&r.language);
        let line = self
            .catalog
            .t(&r.language, "more_alerts", &[("n", &held.to_string())]);
        Email {
            kind: "overflow".into(),
            dedup_key: Some(format!("overflow:{bucket}:{}", r.email.to_lowercase())),
            to_name: r.name.clone(),
            to_email: r.email.clone(),
            subject: format!("[vigie] {}", line),
            text: format!("{line}\n\n--\n{}", t["alert_footer"]),
            html: format!(
                "<p>{}</p><p style=\"font-size:11px;color:#6b7280\">{}</p>",
                html_escape::encode_text(&line),
                html_escape::encode_text(&t["alert_footer"])
            ),
            inline_png: None,
        }
    }
}

/// Longest title, reason or link in an alert (bytes): an alert stays a few kilobytes
/// whatever a feed sends (an 8 MB title made a 16.6 MB e-mail).
const MAX_FIELD: usize = 2_048;
/// Longest approved answer in an alert (bytes).
const MAX_ANSWER: usize = 8_192;
/// Most distinct reasons listed in one alert.
const MAX_REASONS: usize = 10;

fn render(
    cfg: &NotifyConfig,
    r: &Recipient,
    sigs: &[&AlertSignal],
    update: bool,
    mentions: &HashMap<i64, Mention>,
    catalog: &Catalog,
    tz: Tz,
) -> anyhow::Result<Email> {
    let lang = r.language.as_str();
    let t = catalog.strings(lang);
    let top = sigs
        .iter()
        .max_by_key(|s| (s.severity, s.id))
        .expect("at least one signal");
    let severity = t
        .get(&format!("severity_{}", top.severity.as_str()))
        .cloned()
        .unwrap_or_default();
    let topic = top.topic.as_ref().map(|id| {
        cfg.topics
            .iter()
            .find(|tp| &tp.id == id)
            .and_then(|tp| tp.labels.get(lang).cloned())
            .unwrap_or_else(|| id.clone())
    });
    let mut evidence: Vec<i64> = Vec::new();
    for s in sigs {
        for id in &s.evidence {
            if !evidence.contains(id) {
                evidence.push(*id);
            }
        }
    }
    let posts: Vec<Post> = evidence
        .iter()
        .filter_map(|id| mentions.get(id))
        .take(5)
        .map(|m| Post::of(m, lang, t))
        .collect();
    let answer = sigs
        .iter()
        .find_map(|s| s.answer.get(lang).or_else(|| s.answer.get("en")))
        .map(|a| truncate(a, MAX_ANSWER));
    let answer_link = sigs
        .iter()
        .find_map(|s| s.answer_link.clone())
        .filter(|l| l.len() <= MAX_FIELD);
    let reasons: Vec<String> = sigs
        .iter()
        .map(|s| i18n::reason(catalog, lang, &s.kind, &s.figures, &s.reason))
        .fold(Vec::new(), |mut acc, r| {
            let r = truncate(&r, MAX_FIELD);
            if !acc.contains(&r) && acc.len() < MAX_REASONS {
                acc.push(r);
            }
            acc
        });
    let escalation_url = match (&cfg.alerts.base_url, sigs.iter().find_map(|s| s.escalation)) {
        (Some(base), Some(id)) => Some(format!("{}/escalations/{id}", base.trim_end_matches('/'))),
        _ => None,
    };
    let colour = match top.severity {
        Severity::Critical => "#b91c1c",
        Severity::Warning => "#b45309",
        Severity::Info => "#1d4ed8",
    };
    let subject = format!(
        "[{}]{} {}{}",
        severity.to_uppercase(),
        topic
            .as_ref()
            .map(|t| format!(" {t} ·"))
            .unwrap_or_default(),
        if update { "↻ " } else { "" },
        truncate(&top.title, 120)
    );
    let ctx = minijinja::context! {
        lang, t, subject => subject.clone(), severity, topic, colour,
        title => truncate(&top.title, MAX_FIELD),
        when => i18n::date_time(top.at, tz, lang),
        institution => cfg.institution.clone(),
        reasons, answer, answer_link, posts, escalation_url,
    };
    let env = super::templates::environment();
    Ok(Email {
        kind: "alert".into(),
        dedup_key: None,
        to_name: r.name.clone(),
        to_email: r.email.clone(),
        subject,
        text: env.get_template("alert.txt")?.render(&ctx)?,
        html: env.get_template("alert.html")?.render(&ctx)?,
        inline_png: None,
    })
}
