//! `[[sources]] kind = "reddit"`: its keys and their checks.

use serde::Deserialize;

use crate::core::secret::check_var;
use crate::sources::{check_name, check_pages, check_url, Every};

/// `[[sources]] kind = "reddit"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedditConfig {
    /// Unique name.
    pub name: String,
    /// Search query (Reddit syntax).
    #[serde(default)]
    pub query: String,
    /// Instead of a search: this account's newest comments (the institution's own
    /// account, whose comments answer the posts they are under).
    #[serde(default)]
    pub user: Option<String>,
    /// Search within one subreddit only (without `r/`).
    #[serde(default)]
    pub subreddit: Option<String>,
    /// "search" (posts matching `query`, the default) or "comments" (every new comment
    /// of `subreddit`, kept when it mentions the institution's keywords).
    #[serde(default)]
    pub mode: Mode,
    /// Environment variable holding the app's client id.
    pub client_id_env: String,
    /// Environment variable holding the app's secret.
    pub client_secret_env: String,
    /// Polling interval.
    pub every: Every,
    /// Most pages per poll.
    #[serde(default = "default_pages")]
    pub max_pages: u32,
    /// How far back the first poll reads.
    #[serde(
        default = "crate::sources::api::one_day",
        deserialize_with = "crate::core::config::humantime_serde_compat::deserialize"
    )]
    pub lookback: std::time::Duration,
    /// Token endpoint: a mirror or proxy of Reddit's OAuth token URL (README, "Mirrors and proxies").
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// API base: a mirror or proxy of oauth.reddit.com (README, "Mirrors and proxies").
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

fn default_pages() -> u32 {
    3
}

/// What a Reddit source reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Posts found by a search.
    #[default]
    Search,
    /// A subreddit's comments.
    Comments,
}

fn default_token_url() -> String {
    "https://www.reddit.com/api/v1/access_token".into()
}

fn default_api_url() -> String {
    "https://oauth.reddit.com".into()
}

impl RedditConfig {
    /// Checks the query, subreddit, variables and URLs.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        if self.mode == Mode::Comments {
            ok &= self.validate_comments(path, err);
        }
        match &self.user {
            _ if self.mode == Mode::Comments => {}
            None if self.query.trim().is_empty() => {
                err(
                    format!("{path}.query"),
                    "is empty".into(),
                    Some("give a search query, or user = \"account\" for its comments"),
                );
                ok = false;
            }
            Some(u) if !self.query.trim().is_empty() => {
                err(
                    format!("{path}.user"),
                    format!("{u:?}: give either query or user, not both"),
                    None,
                );
                ok = false;
            }
            Some(u)
                if u.trim_start_matches("u/").is_empty()
                    || !u
                        .trim_start_matches("u/")
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                err(
                    format!("{path}.user"),
                    format!("{u:?} is not a Reddit user name"),
                    None,
                );
                ok = false;
            }
            _ => {}
        }
        if let Some(s) = &self.subreddit {
            let s = s.trim_start_matches("r/");
            if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                err(
                    format!("{path}.subreddit"),
                    format!("{s:?} is not a subreddit name"),
                    Some("e.g. \"belgium\" (without r/)"),
                );
                ok = false;
            }
        }
        ok &= check_var(path, "client_id_env", &self.client_id_env, err);
        ok &= check_var(path, "client_secret_env", &self.client_secret_env, err);
        ok &= check_url(path, "token_url", &self.token_url, err);
        ok &= check_url(path, "api_url", &self.api_url, err);
        ok &= check_pages(path, self.max_pages, err);
        ok
    }
}

impl RedditConfig {
    fn validate_comments(
        &self,
        path: &str,
        err: &mut dyn FnMut(String, String, Option<&str>),
    ) -> bool {
        let mut ok = true;
        if self.subreddit.is_none() {
            err(
                format!("{path}.subreddit"),
                "mode = \"comments\" needs a subreddit".into(),
                Some("e.g. subreddit = \"belgium\": its new comments are read, and kept when they mention the institution"),
            );
            ok = false;
        }
        for (key, set) in [
            ("query", !self.query.trim().is_empty()),
            ("user", self.user.is_some()),
        ] {
            if set {
                err(
                    format!("{path}.{key}"),
                    format!("mode = \"comments\" takes no {key}"),
                    Some("the institution's keywords select the comments"),
                );
                ok = false;
            }
        }
        ok
    }
}
