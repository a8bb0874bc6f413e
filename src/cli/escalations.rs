//! `vigie escalations`: the escalation list, its state changes, response times, export.

use crate::core::text::printable;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::{fail, load, require_config, say};
use crate::config::Config;
use crate::escalate::state::Action;
use crate::runtime::open_store;

/// `vigie escalations` subcommands (without one: the list).
#[derive(clap::Subcommand)]
pub enum EscalationCmd {
    /// Acknowledge: someone has seen it.
    Ack(ActArgs),
    /// Assign it (to --to, or to yourself).
    Assign(ActArgs),
    /// Record that it was answered.
    Answer(ActArgs),
    /// Close it after the answer.
    Close(ActArgs),
    /// Dismiss it (not ours to answer; --note gives the reason).
    Dismiss(ActArgs),
    /// Response times: median and 90th percentile to first answer, share within the rule,
    /// per week, channel and language.
    Stats {
        /// How many weeks back.
        #[arg(long, default_value_t = 12)]
        weeks: i64,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Export the whole list with its history.
    Export {
        /// Only csv for now.
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

/// Arguments of a state change.
#[derive(clap::Args)]
pub struct ActArgs {
    /// Escalation id.
    id: i64,
    /// Who does it (e-mail address).
    #[arg(long)]
    by: String,
    /// Assign to this person (assign only; default: --by).
    #[arg(long)]
    to: Option<String>,
    /// A note for the history.
    #[arg(long)]
    note: Option<String>,
    /// Answer only: the text of the answer, kept as proof of what was said.
    #[arg(long)]
    text: Option<String>,
    /// Answer only: link to the published answer.
    #[arg(long)]
    link: Option<String>,
    /// Answer only: where it was given (mastodon, e-mail, phone, ...).
    #[arg(long)]
    channel: Option<String>,
}

/// `vigie escalations [--state S] [--json] [ACTION]` as the command line runs it.
pub async fn run(
    config: Option<PathBuf>,
    state: Option<&str>,
    json: bool,
    action: Option<EscalationCmd>,
) -> Result<(), ExitCode> {
    let cfg = load(&require_config(config)?)?;
    let mut out = std::io::stdout().lock();
    let act = |a: Action, x: ActArgs| (a, x);
    let (action, args) = match action {
        None => return escalations(&cfg, state, json, &mut out).await.map_err(fail),
        Some(EscalationCmd::Stats { weeks, json }) => {
            return escalation_stats(&cfg, weeks, json, &mut out)
                .await
                .map_err(fail)
        }
        Some(EscalationCmd::Export { format }) => {
            if format != "csv" {
                return Err(fail(anyhow::anyhow!(
                    "unknown export format {format:?}: use csv"
                )));
            }
            return escalations_csv(&cfg, &mut out).await.map_err(fail);
        }
        Some(EscalationCmd::Ack(x)) => act(Action::Ack, x),
        Some(EscalationCmd::Assign(x)) => act(Action::Assign, x),
        Some(EscalationCmd::Answer(x)) => act(Action::Answer, x),
        Some(EscalationCmd::Close(x)) => act(Action::Close, x),
        Some(EscalationCmd::Dismiss(x)) => act(Action::Dismiss, x),
    };
    let new = act_on(&cfg, action, &args).await?;
    let _ = writeln!(out, "escalation {}: {}", args.id, new.as_str());
    Ok(())
}

/// One state change from the command line; a failed one exits with code 1.
async fn act_on(
    cfg: &Config,
    action: Action,
    args: &ActArgs,
) -> Result<crate::escalate::state::State, ExitCode> {
    let answer =
        (args.text.is_some() || args.link.is_some()).then(|| crate::escalate::answer::Answer {
            at: chrono::Utc::now(),
            by: args.by.clone(),
            channel: args.channel.clone(),
            body: args.text.clone(),
            link: args.link.clone(),
            mention: None,
        });
    if answer.is_some() && action != Action::Answer {
        return Err(fail(anyhow::anyhow!(
            "--text and --link go with `vigie escalations answer`"
        )));
    }
    escalation_act(
        cfg,
        args.id,
        action,
        &args.by,
        args.to.as_deref(),
        args.note.as_deref(),
        answer,
    )
    .await
    .map_err(|e| {
        say(&format!("error: {e:#}"));
        ExitCode::from(1)
    })
}

/// `vigie escalations`: the list, as JSON lines or a table.
pub async fn escalations(
    cfg: &Config,
    state: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    use crate::escalate::state::State;
    let state = match state {
        Some(s) => Some(State::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown state {s:?}: new, acknowledged, assigned, answered, closed or dismissed"
            )
        })?),
        None => None,
    };
    let store = open_store(cfg).await?;
    let tz = cfg.tz();
    for e in store.escalations(state, Utc::now()).await? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&e)?)?;
        } else {
            writeln!(
                out,
                "{:>5}  {:<12} {:<8} due {}{}  {:<24} {}{}",
                e.id,
                e.state.as_str(),
                e.severity,
                e.due_at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                if e.overdue { " OVERDUE" } else { "" },
                e.assignee.as_deref().unwrap_or("-"),
                if e.formal_request { "[formal] " } else { "" },
                printable(&e.reason)
            )?;
        }
    }
    store.close().await;
    Ok(())
}

/// `vigie escalations ack|assign|answer|close|dismiss ID --by EMAIL`; an answer with its
/// text or link is recorded as proof of what was said.
pub async fn escalation_act(
    cfg: &Config,
    id: i64,
    action: crate::escalate::state::Action,
    by: &str,
    to: Option<&str>,
    note: Option<&str>,
    answer: Option<crate::escalate::answer::Answer>,
) -> anyhow::Result<crate::escalate::state::State> {
    let store = open_store(cfg).await?;
    let r = match answer {
        Some(a) => crate::escalate::answer::record(&store, id, &a).await,
        None => store.act(id, action, by, to, note, Utc::now()).await,
    };
    store.close().await;
    Ok(r?)
}

/// `vigie escalations stats`: time to first answer per week, channel and language.
pub async fn escalation_stats(
    cfg: &Config,
    weeks: i64,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let now = Utc::now();
    let cal = cfg.escalation.calendar(cfg.tz());
    let figures = crate::escalate::answer::response_times(
        &store,
        &cal,
        now - chrono::Duration::weeks(weeks.max(1)),
        now,
    )
    .await;
    store.close().await;
    for f in figures? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&f)?)?;
        } else {
            let m = |v: Option<f64>| {
                v.map(|v| format!("{v:.0} min"))
                    .unwrap_or_else(|| "-".into())
            };
            writeln!(
                out,
                "{:<9} {:<16} opened {:>5}  answered {:>5}  median {:>9}  mean {:>9}  p90 {:>9}  working median {:>9}  working mean {:>9}  within rule {}",
                f.by,
                f.key,
                f.opened,
                f.answered,
                m(f.median_minutes),
                m(f.mean_minutes),
                m(f.p90_minutes),
                m(f.median_working_minutes),
                m(f.mean_working_minutes),
                f.within_rule
                    .map(|w| format!("{:.0}%", w * 100.0))
                    .unwrap_or_else(|| "-".into())
            )?;
        }
    }
    Ok(())
}

/// `vigie escalations export --format csv`.
pub async fn escalations_csv(cfg: &Config, out: &mut dyn Write) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "state",
        "severity",
        "topic",
        "reason",
        "opened_at",
        "due_at",
        "overdue",
        "assignee",
        "formal_request",
        "formal_elements",
        "ack_due_at",
        "receipt_due_at",
        "decision_due_at",
        "silence_accept_at",
        "mention_ids",
        "history",
    ])?;
    let t = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    for e in store.escalations(None, Utc::now()).await? {
        let history = store
            .escalation_events(e.id)
            .await?
            .iter()
            .map(|ev| {
                format!(
                    "{} {} {}→{}{}",
                    ev.at.to_rfc3339(),
                    ev.actor,
                    ev.from.as_deref().unwrap_or("-"),
                    ev.to,
                    ev.note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(" | ");
        w.write_record([
            e.id.to_string(),
            e.state.as_str().to_string(),
            e.severity.clone(),
            e.topic.clone().unwrap_or_default(),
            e.reason.clone(),
            e.opened_at.to_rfc3339(),
            e.due_at.to_rfc3339(),
            e.overdue.to_string(),
            e.assignee.clone().unwrap_or_default(),
            e.formal_request.to_string(),
            e.formal_elements.join(";"),
            t(e.ack_due_at),
            t(e.receipt_due_at),
            t(e.decision_due_at),
            t(e.silence_accept_at),
            e.mention_ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(";"),
            history,
        ])?;
    }
    w.flush()?;
    store.close().await;
    Ok(())
}
