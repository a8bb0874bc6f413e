//! `vigie questions`: the recurring questions of a period, grouped by what they ask,
//! content gaps (no approved answer) marked.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::{fail, load_offline};
use crate::config::Config;
use crate::core::text::printable;
use crate::detect::knowledge::KnowledgeBase;
use crate::detect::questions::{gaps_first, of_window, Group, Vocabulary, Window};
use crate::runtime::open_store;
use crate::runtime::replay::load_knowledge;

/// `vigie questions`'s arguments.
#[derive(Debug, clap::Args)]
pub struct QuestionsArgs {
    /// Config file (TOML).
    #[arg(long, env = "VIGIE_CONFIG")]
    pub config: std::path::PathBuf,
    /// Questions written at or after this time (RFC 3339); default a week before --until.
    #[arg(long)]
    pub since: Option<DateTime<Utc>>,
    /// Questions written before this time (RFC 3339); default now.
    #[arg(long)]
    pub until: Option<DateTime<Utc>>,
    /// JSON lines (one per group, largest first) instead of a table (gaps first).
    #[arg(long)]
    pub json: bool,
    /// Print the approved answers written on the page as a knowledge file
    /// (`[[claims]]`, for `[signals] knowledge`) instead.
    #[arg(long)]
    pub export_knowledge: bool,
}

/// `vigie questions` with its arguments.
pub async fn run_args(a: QuestionsArgs) -> Result<(), ExitCode> {
    if a.export_knowledge {
        export(&a.config).await
    } else {
        run(&a.config, a.since, a.until, a.json).await
    }
}

/// `vigie questions` as the command line runs it: exit codes and stdout.
pub async fn run(
    config: &Path,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    json: bool,
) -> Result<(), ExitCode> {
    let cfg = load_offline(config)?;
    let mut out = std::io::stdout().lock();
    questions(&cfg, since, until, json, &mut out)
        .await
        .map_err(fail)
}

/// `vigie questions --export-knowledge`: the approved answers written on the page, as a
/// knowledge file on stdout.
pub async fn export(config: &Path) -> Result<(), ExitCode> {
    let cfg = load_offline(config)?;
    let run = async {
        let store = open_store(&cfg).await?;
        let approved = store.approved_answers().await;
        store.close().await;
        let kb = KnowledgeBase::with_approved(None, &approved?)?;
        let claims = kb.map(|k| k.claims).unwrap_or_default();
        print!("{}", KnowledgeBase::to_toml(&claims));
        anyhow::Ok(())
    };
    run.await.map_err(fail)
}

/// The groups of the window (`until` defaults to now, `since` to a week before it).
pub async fn groups(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<Group>> {
    let window = Window::new(since, until.unwrap_or_else(Utc::now));
    if window.since >= window.until {
        anyhow::bail!("--since must be before --until");
    }
    let file = load_knowledge(cfg)?;
    let store = open_store(cfg).await?;
    let vocabulary = Vocabulary::bundled().ignoring(&cfg.institution.keywords);
    let groups = async {
        let kb = KnowledgeBase::with_approved(file.as_ref(), &store.approved_answers().await?)?;
        anyhow::Ok(of_window(&store, kb.as_ref(), &vocabulary, &window).await?)
    }
    .await;
    store.close().await;
    groups
}

/// `vigie questions`: one JSON line per group, largest first; or a table with the
/// content gaps first.
pub async fn questions(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut list = groups(cfg, since, until).await?;
    if json {
        for g in &list {
            writeln!(out, "{}", serde_json::to_string(g)?)?;
        }
        return Ok(());
    }
    gaps_first(&mut list);
    for g in &list {
        let langs: Vec<String> = g
            .languages
            .iter()
            .map(|(l, n)| format!("{l}:{n}"))
            .collect();
        writeln!(
            out,
            "{:>5}  {:<6} {:>+6.0}%  {:<14} {:>4.0}% answered  {}",
            g.count,
            if g.knowledge.is_some() {
                "answer"
            } else {
                "GAP"
            },
            g.trend * 100.0,
            langs.join(","),
            g.answered_share * 100.0,
            printable(&g.text.chars().take(80).collect::<String>())
        )?;
    }
    Ok(())
}
