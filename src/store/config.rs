//! `[storage]`: where vigie keeps its data and how long it keeps personal data.

use serde::Deserialize;

/// `[storage]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `sqlite://PATH` (relative to the config file) or `postgres://...`.
    #[serde(default = "default_storage_url")]
    pub url: String,
    /// Days after which citizens' personal data (author names, message bodies) is purged.
    #[serde(default = "default_retention")]
    pub retention_days: u32,
}

fn default_storage_url() -> String {
    "sqlite://vigie.db".into()
}
fn default_retention() -> u32 {
    365
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            url: default_storage_url(),
            retention_days: default_retention(),
        }
    }
}
