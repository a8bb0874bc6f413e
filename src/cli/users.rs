//! `vigie user`: the users of the escalation page.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use super::{fail, load, require_config};
use crate::config::Config;
use crate::runtime::open_store;

/// `vigie user` subcommands.
#[derive(clap::Subcommand)]
pub enum UserCmd {
    /// Add a user, or change an existing one's role, language and password (read from
    /// stdin, at least 12 characters; their sessions end).
    Add {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// viewer, responder or admin.
        #[arg(long)]
        role: String,
        /// Page language: fr, nl or en.
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// Every user with their role.
    List {
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `vigie user ...` as the command line runs it (`add` reads the password from stdin).
pub async fn run(config: Option<PathBuf>, action: UserCmd) -> Result<(), ExitCode> {
    let cfg = load(&require_config(config)?)?;
    let mut out = std::io::stdout().lock();
    match action {
        UserCmd::Add {
            email,
            role,
            language,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| fail(anyhow::anyhow!("cannot read the password from stdin: {e}")))?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            user_add(&cfg, &email, &role, &language, &password, &mut out)
                .await
                .map_err(fail)
        }
        UserCmd::List { json } => user_list(&cfg, json, &mut out).await.map_err(fail),
    }
}

/// `vigie user add`: adds or updates a user of the escalation page.
pub async fn user_add(
    cfg: &Config,
    email: &str,
    role: &str,
    language: &str,
    password: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let role = crate::web::users::Role::parse(role)
        .ok_or_else(|| anyhow::anyhow!("--role {role:?}: use viewer, responder or admin"))?;
    if !crate::web::view::LANGUAGES.contains(&language) {
        anyhow::bail!("--language {language:?}: use fr, nl or en");
    }
    let store = open_store(cfg).await?;
    let r = crate::web::users::put_user(&store, email, role, language, password, Utc::now()).await;
    store.close().await;
    let u = r?;
    writeln!(
        out,
        "user {} ({}, {})",
        u.email,
        u.role.as_str(),
        u.language
    )?;
    Ok(())
}

/// `vigie user list`.
pub async fn user_list(cfg: &Config, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let users = store.users().await;
    store.close().await;
    for u in users? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&u)?)?;
        } else {
            writeln!(
                out,
                "{:<40} {:<10} {}",
                u.email,
                u.role.as_str(),
                u.language
            )?;
        }
    }
    Ok(())
}
