//! The escalation page: server-rendered HTML (works without JavaScript, fits a phone),
//! in French, Dutch and English, behind a login; plus `/healthz` and `/metrics`.

pub mod auth;
mod detail;
pub mod limit;
pub mod login_token;
mod mask;
pub mod metrics;
pub mod pages;
mod questions;
pub mod users;
pub mod view;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use anyhow::Context as _;

use crate::core::classification::Topic;
use crate::detect::knowledge::KnowledgeBase;
use crate::notify::i18n::Catalog;
use crate::store::Store;

/// `[web]`: the escalation page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on.
    #[serde(default = "d_listen")]
    pub listen: String,
    /// Public address of the page, for links in e-mails ("https://vigie.example.be").
    /// Cookies are marked Secure when it is https.
    #[serde(default)]
    pub base_url: Option<String>,
    /// How long a login lasts.
    #[serde(
        default = "d_session",
        with = "crate::core::config::humantime_serde_compat"
    )]
    pub session: Duration,
    /// Login attempts allowed per e-mail and client address within `login_window` (a
    /// good login clears them).
    #[serde(default = "d_attempts")]
    pub login_attempts: u32,
    /// Login attempts allowed per client address (IPv6 per /64), whatever the e-mail,
    /// within `login_window`.
    #[serde(default = "d_address_attempts")]
    pub login_address_attempts: u32,
    /// Window of the login limit.
    #[serde(
        default = "d_window",
        with = "crate::core::config::humantime_serde_compat"
    )]
    pub login_window: Duration,
    /// Name of an environment variable holding a bearer token for `/metrics` scrapers
    /// (without it, `/metrics` needs a logged-in session like every other page).
    #[serde(default)]
    pub metrics_token_env: Option<String>,
}

fn d_listen() -> String {
    "127.0.0.1:8080".into()
}
fn d_session() -> Duration {
    Duration::from_secs(12 * 3600)
}
fn d_attempts() -> u32 {
    5
}
fn d_address_attempts() -> u32 {
    20
}
fn d_window() -> Duration {
    Duration::from_secs(15 * 60)
}

impl WebConfig {
    /// Problems in this section, as (key, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if self.listen.parse::<SocketAddr>().is_err() {
            v.push((
                "web.listen".into(),
                format!(
                    "{:?} is not an address:port, e.g. \"127.0.0.1:8080\"",
                    self.listen
                ),
            ));
        }
        if let Some(b) = &self.base_url {
            match url::Url::parse(b) {
                Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
                _ => v.push((
                    "web.base_url".into(),
                    format!("{b:?} is not an http(s) URL, e.g. \"https://vigie.example.be\""),
                )),
            }
        }
        if self.login_attempts == 0 {
            v.push(("web.login_attempts".into(), "must be at least 1".into()));
        }
        if self.login_address_attempts == 0 {
            v.push((
                "web.login_address_attempts".into(),
                "must be at least 1".into(),
            ));
        }
        if self.session.is_zero() {
            v.push(("web.session".into(), "must be longer than zero".into()));
        }
        if let Some(e) = &self.metrics_token_env {
            if e.trim().is_empty() {
                v.push((
                    "web.metrics_token_env".into(),
                    "names no environment variable".into(),
                ));
            }
        }
        v
    }

    /// Cookies only over HTTPS when the page is served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url
            .as_deref()
            .is_some_and(|b| b.starts_with("https://"))
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: d_listen(),
            base_url: None,
            session: d_session(),
            login_attempts: d_attempts(),
            login_address_attempts: d_address_attempts(),
            login_window: d_window(),
            metrics_token_env: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// `[web]`.
    pub web: WebConfig,
    /// Time zone for display.
    pub tz: chrono_tz::Tz,
    /// The working-day calendar of the answer clocks (working-time figures).
    pub calendar: Arc<crate::core::calendar::Calendar>,
    /// Page strings.
    pub catalog: Arc<Catalog>,
    /// E-mail strings (signal reasons in the reader's language).
    pub mail_catalog: Arc<Catalog>,
    /// Approved answers, for suggestions.
    pub knowledge: Arc<Option<KnowledgeBase>>,
    /// Login attempts.
    pub limiter: Arc<limit::Limiter>,
    /// The bound on concurrent password checks.
    pub hashing: Arc<limit::Hashing>,
    /// Signs the login form's token; drawn at start, never logged.
    pub login_key: Arc<login_token::LoginKey>,
    /// Bearer token for `/metrics`, read from the environment at start.
    pub metrics_token: Option<secrecy::SecretString>,
    /// Page templates.
    pub templates: Arc<minijinja::Environment<'static>>,
    /// Institution name, for the page title.
    pub institution: String,
    /// `[[topics]]`, for the filter and labels.
    pub topics: Arc<Vec<Topic>>,
    /// Finds personal data to mask for viewers.
    pub detector: Arc<crate::escalate::formal::Detector>,
    /// Reads questions for grouping (the institution's names left out).
    pub vocabulary: Arc<crate::detect::questions::Vocabulary>,
}

/// What the page needs from the configuration, section by section.
#[derive(Debug, Clone, Default)]
pub struct PageConfig {
    /// `[web]`.
    pub web: WebConfig,
    /// `[institution] name`, for the page title.
    pub institution: String,
    /// `[institution] keywords`, which the recurring questions read past.
    pub keywords: Vec<String>,
    /// `[[topics]]`, for the filter and labels.
    pub topics: Vec<Topic>,
    /// Time zone for display.
    pub tz: chrono_tz::Tz,
    /// The knowledge base (`[signals] knowledge`, resolved against the config's folder),
    /// for suggested answers.
    pub knowledge: Option<std::path::PathBuf>,
    /// `[escalation]`, for the working-day calendar.
    pub escalation: crate::escalate::EscalationConfig,
}

impl AppState {
    /// State for the page's configuration and an open store.
    pub fn new(cfg: PageConfig, store: Store) -> anyhow::Result<AppState> {
        let PageConfig {
            web,
            institution,
            keywords,
            topics,
            tz,
            knowledge,
            escalation,
        } = cfg;
        let knowledge = match knowledge {
            None => None,
            Some(path) => Some(
                KnowledgeBase::load(&path)
                    .with_context(|| format!("signals.knowledge ({})", path.display()))?,
            ),
        };
        let metrics_token = match &web.metrics_token_env {
            Some(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Some(secrecy::SecretString::from(v)),
                _ => anyhow::bail!(
                    "web.metrics_token_env names {name}, which is not set (or empty) in the environment"
                ),
            },
            None => None,
        };
        Ok(AppState {
            store,
            limiter: Arc::new(limit::Limiter::new(
                web.login_attempts,
                web.login_address_attempts,
                web.login_window,
            )),
            hashing: Arc::new(limit::Hashing::new(
                limit::HASHING_SLOTS,
                Duration::from_secs(2),
            )),
            login_key: Arc::new(login_token::LoginKey::random()),
            web,
            tz,
            calendar: Arc::new(escalation.calendar(tz)),
            catalog: Arc::new(view::catalog()),
            mail_catalog: Arc::new(Catalog::builtin()),
            knowledge: Arc::new(knowledge),
            metrics_token,
            templates: Arc::new(view::templates()),
            institution,
            topics: Arc::new(topics),
            detector: Arc::new(crate::escalate::formal::Detector::new()),
            vocabulary: Arc::new(
                crate::detect::questions::Vocabulary::bundled().ignoring(&keywords),
            ),
        })
    }
}

/// Largest login form body accepted.
const LOGIN_BODY_LIMIT: usize = 16 * 1024;

/// Every route. Only `/healthz` and the login page answer without a session.
pub fn router(state: AppState) -> Router {
    let private = Router::new()
        .route("/", get(pages::list))
        .route("/escalations/{id}", get(pages::detail))
        .route("/escalations/{id}/act", post(pages::act))
        .route("/stats", get(pages::stats))
        .route("/questions", get(questions::page))
        .route("/questions/answer", post(questions::answer))
        .route("/questions.csv", get(questions::csv))
        .route("/logout", post(auth::logout))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_session,
        ));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/login",
            get(auth::login_page)
                .post(auth::login)
                // A login form is a few hundred bytes; the default 2 MB is for nothing.
                .layer(DefaultBodyLimit::max(LOGIN_BODY_LIMIT)),
        )
        .route("/metrics", get(metrics::metrics))
        .route("/static/vigie.css", get(view::css))
        .merge(private)
        .layer(axum::middleware::from_fn(view::security_headers))
        .with_state(state)
}

/// Serves until `shutdown`, on an already bound listener (tests bind port 0).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_app(listener, router(state), shutdown).await
}

/// Serves `app` (the page, possibly merged with other routers such as `/ingest`).
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
