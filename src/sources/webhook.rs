//! `kind = "webhook"`: mentions pushed to us. `POST /ingest` with a bearer token per
//! client; the body is `{"mentions":[{"id", "url", "title", "text", "author", "reach",
//! "published_at", "lang"}]}`. Each request is all or nothing (one transaction, and any
//! invalid mention refuses the whole request), and idempotent on the client's ids
//! (the dedup key is `<client>:<id>`), so a client may safely resend after a timeout.
//!
//! [`router`] is a standalone axum Router, mounted by the web listener.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Notify;
use tracing::{info, warn};

use super::{check_name, SourceError};
use crate::core::model::{Engagement, Item};
use crate::core::pipeline::Pipeline;
use crate::core::secret::{check_var, EnvSecret};
use crate::store::Store;

/// `[[sources]] kind = "webhook"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Unique name; the mentions' source.
    pub name: String,
    /// Who may post, each with its own token.
    pub clients: Vec<ClientConfig>,
    /// Largest request body accepted, in KiB.
    #[serde(default = "default_max_body_kib")]
    pub max_body_kib: usize,
    /// Messages sent to the institution (private messages from a platform's inbox):
    /// every posted message is taken, none is keyword-filtered, and each is private
    /// (masked for viewers, kept no longer than retention).
    #[serde(default)]
    pub direct: bool,
}

/// One client allowed to post.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Short name, part of the dedup key (`<client>:<id>`).
    pub name: String,
    /// Environment variable holding its bearer token.
    pub token_env: String,
}

fn default_max_body_kib() -> usize {
    4096
}

impl WebhookConfig {
    /// Checks clients and limits.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        if self.clients.is_empty() {
            err(
                format!("{path}.clients"),
                "no client may post".into(),
                Some("add clients = [{ name = \"x-export\", token_env = \"VIGIE_INGEST_X\" }]"),
            );
            ok = false;
        }
        let mut names = std::collections::HashSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            let p = format!("{path}.clients[{i}]");
            let good = !c.name.is_empty()
                && c.name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
            if !good {
                err(
                    format!("{p}.name"),
                    format!("{:?}: use letters, digits, - and _", c.name),
                    None,
                );
                ok = false;
            } else if !names.insert(c.name.clone()) {
                err(
                    format!("{p}.name"),
                    format!("duplicate client {:?}", c.name),
                    None,
                );
                ok = false;
            }
            ok &= check_var(&p, "token_env", &c.token_env, err);
        }
        if self.max_body_kib == 0 || self.max_body_kib > 64 * 1024 {
            err(
                format!("{path}.max_body_kib"),
                "must be between 1 and 65536".into(),
                None,
            );
            ok = false;
        }
        ok
    }
}

/// What the ingest endpoint needs: where mentions go, and who may post.
#[derive(Clone)]
pub struct IngestState {
    inner: Arc<Inner>,
}

struct Inner {
    hooks: Vec<Hook>,
    store: Store,
    pipeline: Pipeline,
    /// (client name, token, index of its hook).
    clients: Vec<(String, SecretString, usize)>,
    stored: Option<Arc<Notify>>,
}

/// One webhook source: its clients' tokens say which one a request is for.
struct Hook {
    source: String,
    max_body: usize,
    direct: bool,
}

impl IngestState {
    /// Reads the clients' tokens from the environment; fails naming the first unset one.
    /// `stored` is notified when new mentions are stored (the classification stage).
    pub fn new(
        cfg: &WebhookConfig,
        store: Store,
        pipeline: Pipeline,
        stored: Option<Arc<Notify>>,
    ) -> Result<IngestState, SourceError> {
        IngestState::for_sources(std::slice::from_ref(cfg), store, pipeline, stored)
    }

    /// One endpoint for several webhook sources (mentions pushed by a monitoring export,
    /// private messages pushed from a platform's inbox): a client's token says which.
    pub fn for_sources(
        cfgs: &[WebhookConfig],
        store: Store,
        pipeline: Pipeline,
        stored: Option<Arc<Notify>>,
    ) -> Result<IngestState, SourceError> {
        let mut clients = Vec::new();
        let mut hooks = Vec::new();
        for (i, cfg) in cfgs.iter().enumerate() {
            for c in &cfg.clients {
                let s = EnvSecret::from_env(&c.token_env, "a webhook client's bearer token");
                clients.push((c.name.clone(), s.get()?.clone(), i));
            }
            hooks.push(Hook {
                source: cfg.name.clone(),
                max_body: cfg.max_body_kib * 1024,
                direct: cfg.direct,
            });
        }
        Ok(IngestState {
            inner: Arc::new(Inner {
                hooks,
                store,
                pipeline,
                clients,
                stored,
            }),
        })
    }
}

/// The ingest router for the config's webhook source, if it has one: what the web
/// listener mounts. Fails naming the first client token variable that is not set.
pub fn from_config(
    cfg: &super::fetch::SourcesConfig,
    store: Store,
    stored: Option<Arc<Notify>>,
) -> Result<Option<Router>, SourceError> {
    let hooks: Vec<WebhookConfig> = cfg
        .sources
        .iter()
        .filter_map(|s| match s {
            super::SourceConfig::Webhook(w) => Some(w.clone()),
            _ => None,
        })
        .collect();
    if hooks.is_empty() {
        return Ok(None);
    }
    Ok(Some(router(IngestState::for_sources(
        &hooks,
        store,
        cfg.pipeline(),
        stored,
    )?)))
}

/// `POST /ingest`.
pub fn router(state: IngestState) -> Router {
    Router::new()
        .route("/ingest", post(ingest))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    mentions: Vec<InMention>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InMention {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    reach: Option<i64>,
    #[serde(default)]
    published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    lang: Option<String>,
    /// Likes, reposts, replies, quotes, views, as the client's platform counted them.
    #[serde(default)]
    engagement: Engagement,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Equal-time comparison, so response times do not tell how much of a token was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client a request's bearer token names, and the index of its webhook source.
fn client(s: &Inner, headers: &HeaderMap) -> Option<(String, usize)> {
    let given = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .trim();
    // Every token is compared, found or not: no early exit to time.
    let mut found = None;
    for (name, token, hook) in &s.clients {
        if same(given.as_bytes(), token.expose_secret().as_bytes()) {
            found = Some((name.clone(), *hook));
        }
    }
    found
}

fn validate(m: &InMention, i: usize) -> Result<(), String> {
    let id = m.id.trim();
    if id.is_empty() || id.len() > 200 {
        return Err(format!("mentions[{i}].id: must be 1 to 200 characters"));
    }
    let empty = |v: &Option<String>| v.as_deref().is_none_or(|t| t.trim().is_empty());
    if empty(&m.title) && empty(&m.text) {
        return Err(format!("mentions[{i}]: needs a title or a text"));
    }
    if let Some(u) = &m.url {
        if !url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(format!("mentions[{i}].url: {u:?} is not an http(s) URL"));
        }
    }
    if m.reach.is_some_and(|r| r < 0) {
        return Err(format!("mentions[{i}].reach: must not be negative"));
    }
    let e = &m.engagement;
    for (name, v) in [
        ("likes", e.likes),
        ("reposts", e.reposts),
        ("replies", e.replies),
        ("quotes", e.quotes),
        ("views", e.views),
    ] {
        if v.is_some_and(|v| v < 0) {
            return Err(format!(
                "mentions[{i}].engagement.{name}: must not be negative"
            ));
        }
    }
    Ok(())
}

fn item(hook: &Hook, client: &str, m: InMention) -> Item {
    let text = m.text.unwrap_or_default();
    let title = m
        .title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| super::api::post_title(&text));
    Item {
        source: hook.source.clone(),
        direct: hook.direct,
        guid: Some(format!("{client}:{}", m.id.trim())),
        link: m.url,
        title,
        text,
        published_at: m.published_at,
        author: m.author.filter(|a| !a.trim().is_empty()),
        reach: m.reach,
        lang_hint: m.lang,
        engagement: m.engagement,
        ..Default::default()
    }
}

async fn ingest(State(state): State<IngestState>, headers: HeaderMap, body: Body) -> Response {
    let s = &state.inner;
    let Some((client, hook)) = client(s, &headers) else {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "missing or unknown bearer token: send Authorization: Bearer <your client's token>",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
        return r;
    };
    let hook = &s.hooks[hook];
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "body larger than {} KiB: send fewer mentions per request",
                hook.max_body / 1024
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > hook.max_body) {
        return too_large();
    }
    let bytes = match axum::body::to_bytes(body, hook.max_body).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    let payload: Payload = match serde_path_to_error::deserialize(de) {
        Ok(p) => p,
        Err(e) => {
            let at = e.path().to_string();
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "invalid JSON at {at}: {}; expected {{\"mentions\":[{{\"id\",\"url\",\"title\",\"text\",\"author\",\"reach\",\"published_at\",\"lang\"}}]}}",
                    e.into_inner()
                ),
            );
        }
    };
    if let Some(msg) = payload
        .mentions
        .iter()
        .enumerate()
        .find_map(|(i, m)| validate(m, i).err())
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("{msg}; nothing was stored"),
        );
    }
    let received = payload.mentions.len();
    let seen = Utc::now();
    let mentions: Vec<_> = payload
        .mentions
        .into_iter()
        .map(|m| item(hook, &client, m))
        .filter_map(|i| s.pipeline.process(&i, seen))
        .collect();
    match s.store.ingest(&mentions, seen).await {
        Ok(done) => {
            let new = done.iter().filter(|d| d.new).count();
            if new > 0 {
                if let Some(n) = &s.stored {
                    n.notify_one();
                }
            }
            info!(source = %hook.source, client = %client, received, matched = mentions.len(), new, "ingested");
            (
                StatusCode::OK,
                Json(json!({
                    "received": received,
                    "matched": mentions.len(),
                    "ignored": received - mentions.len(),
                    "new": new,
                })),
            )
                .into_response()
        }
        Err(e) => {
            warn!(source = %hook.source, client = %client, error = %e, "could not store pushed mentions");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store the mentions; nothing was stored, retry later",
            )
        }
    }
}
