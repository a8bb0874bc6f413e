//! `vigie forget`: erases one person's data on their request (GDPR art. 17), everywhere
//! vigie keeps a copy, and records that an erasure happened (never what was erased).

use std::path::Path;
use std::process::ExitCode;

use super::{fail, load, say};
use crate::runtime::open_store;
use crate::runtime::privacy::{forget, Person};

/// `vigie forget --config F (--author NAME | --handle H | --email E)`.
pub async fn run(config: &Path, who: Person) -> Result<(), ExitCode> {
    let cfg = load(config)?;
    let go = async {
        let store = open_store(&cfg).await?;
        let done = forget(&store, &who, chrono::Utc::now()).await;
        store.close().await;
        done
    };
    let done = go.await.map_err(fail)?;
    say(&format!(
        "erased: {} of their own mentions, {} rows in all (the erasure is recorded, not what it erased)",
        done.mentions, done.rows
    ));
    Ok(())
}
