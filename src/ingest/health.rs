//! A source's health: a `source_unhealthy` signal when it cannot recover by itself
//! (credentials refused, a crashed poll), once per episode, closed when it works again.

use chrono::Utc;
use tracing::{info, warn};

use crate::store::Store;

/// Raises a `source_unhealthy` signal when a source's credentials are refused (once per
/// episode), and closes the episode when the source works again.
pub(super) async fn health(
    store: &Store,
    name: &str,
    was_failing: bool,
    ok: bool,
    unhealthy: Option<String>,
) -> Result<(), crate::store::StoreError> {
    use crate::core::signal::Episode;
    let group_key = format!("source_unhealthy:{name}");
    let now = Utc::now();
    if let Some(why) = unhealthy {
        let episode = store.episode(&group_key).await?;
        if episode.is_some_and(|e| e.open) {
            return Ok(());
        }
        let signal = crate::core::signal::Signal {
            id: 0,
            kind: "source_unhealthy".into(),
            severity: "warning".into(),
            topic: None,
            group_key: group_key.clone(),
            title: format!("Source {name} cannot log in"),
            reason: format!("{name}: {why}"),
            at: now,
            evidence: Vec::new(),
            figures: [
                ("source".to_string(), name.to_string()),
                ("error".to_string(), why.clone()),
            ]
            .into_iter()
            .collect(),
        };
        store
            .save_signal(
                &signal,
                Episode {
                    raised_count: 1,
                    open: true,
                },
            )
            .await?;
        warn!(source = name, error = %why, "source unhealthy: signal raised");
    } else if ok && was_failing {
        if let Some(e) = store.episode(&group_key).await?.filter(|e| e.open) {
            store
                .save_episode(&group_key, Episode { open: false, ..e }, now)
                .await?;
            info!(source = name, "source healthy again");
        }
    }
    Ok(())
}
