//! `/metrics` in the Prometheus text format, read from the database at each scrape so
//! that every instance sharing a PostgreSQL database reports the same figures.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use secrecy::ExposeSecret;

use super::auth::SESSION_COOKIE;
use super::users::same_secret;
use super::AppState;
use crate::store::{Store, StoreError};

type Labels = Vec<(String, String)>;

/// GET /metrics: with the configured bearer token, or a logged-in session.
pub async fn metrics(State(st): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let allowed = match (bearer, &st.metrics_token) {
        (Some(b), Some(t)) if same_secret(b, t.expose_secret()) => true,
        (Some(_), _) => return (StatusCode::UNAUTHORIZED, "wrong bearer token\n").into_response(),
        (None, _) => match jar.get(SESSION_COOKIE) {
            Some(c) => matches!(
                super::users::session(&st.store, c.value(), Utc::now()).await,
                Ok(Some(_))
            ),
            None => false,
        },
    };
    if !allowed {
        return Redirect::to("/login?next=%2Fmetrics").into_response();
    }
    match render(&st.store).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics could not be read");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics could not be read\n",
            )
                .into_response()
        }
    }
}

fn gauge(reg: &mut Registry, name: &str, help: &str, v: i64) {
    let g: Gauge = Gauge::default();
    g.set(v);
    reg.register(name, help, g);
}

/// The whole exposition.
pub async fn render(store: &Store) -> Result<String, StoreError> {
    let now = Utc::now();
    let mut reg = Registry::default();

    let m = store
        .mention_counts(now - chrono::Duration::hours(24))
        .await?;
    gauge(
        &mut reg,
        "vigie_mentions_stored",
        "Mentions in the database",
        m.stored,
    );
    gauge(
        &mut reg,
        "vigie_mentions_ingested_24h",
        "Mentions first seen in the last 24 hours",
        m.recent,
    );
    gauge(
        &mut reg,
        "vigie_classify_queue",
        "Mentions waiting for classification",
        m.unclassified,
    );
    gauge(
        &mut reg,
        "vigie_detect_queue",
        "Classified mentions waiting for the signals stage",
        m.undetected,
    );

    sources(&mut reg, store).await?;
    hosts(&mut reg, store).await?;

    let mails = Family::<Labels, Gauge>::default();
    for st in ["pending", "sending", "sent", "dead"] {
        mails
            .get_or_create(&vec![("state".into(), st.into())])
            .set(0);
    }
    for (state, n) in store.outbox_counts().await? {
        mails.get_or_create(&vec![("state".into(), state)]).set(n);
    }
    reg.register(
        "vigie_emails",
        "E-mails in the outbox by state (dead: given up after retries)",
        mails,
    );

    histograms(&mut reg, store, now).await?;

    let c = crate::escalate::list::counts(store, now).await?;
    gauge(
        &mut reg,
        "vigie_escalations_open",
        "Escalations waiting for an answer",
        c.open,
    );
    gauge(
        &mut reg,
        "vigie_escalations_overdue",
        "Open escalations past their due time",
        c.overdue,
    );
    gauge(
        &mut reg,
        "vigie_escalations_due_soon",
        "Open escalations due within four hours",
        c.due_soon,
    );

    let mut out = String::new();
    encode(&mut out, &reg).map_err(|e| StoreError::Config(format!("metrics encoding: {e}")))?;
    Ok(out)
}

/// Per source: failed polls since the last success, when it last succeeded, pages left.
async fn sources(reg: &mut Registry, store: &Store) -> Result<(), StoreError> {
    let errors = Family::<Labels, Gauge>::default();
    let last_ok = Family::<Labels, Gauge>::default();
    let left = Family::<Labels, Gauge>::default();
    for s in store.source_health().await? {
        let l = vec![("source".to_string(), s.name)];
        errors.get_or_create(&l).set(s.error_count);
        left.get_or_create(&l).set(s.pages_left_behind);
        if let Some(t) = s.last_success_at {
            last_ok.get_or_create(&l).set(t.timestamp());
        }
    }
    reg.register(
        "vigie_source_consecutive_errors",
        "Failed polls of a source since its last success",
        errors,
    );
    reg.register(
        "vigie_source_last_success_timestamp_seconds",
        "When a source was last polled successfully",
        last_ok,
    );
    reg.register(
        "vigie_source_pages_left_behind",
        "Pages a source left unread because max_pages stopped a poll while the API had more",
        left,
    );
    Ok(())
}

/// Per host the sources call: requests, rate limits met, and the wait it asked for.
async fn hosts(reg: &mut Registry, store: &Store) -> Result<(), StoreError> {
    let requests = Family::<Labels, Gauge>::default();
    let limited = Family::<Labels, Gauge>::default();
    let waits = Family::<Labels, Gauge>::default();
    for h in store.hosts().await? {
        let l = vec![("host".to_string(), h.host)];
        requests.get_or_create(&l).set(h.requests);
        limited.get_or_create(&l).set(h.rate_limited);
        if let Some((until, _)) = h.wait {
            waits.get_or_create(&l).set(until.timestamp());
        }
    }
    reg.register(
        "vigie_host_requests",
        "HTTP requests sent to a host by the sources, since the store was created",
        requests,
    );
    reg.register(
        "vigie_host_rate_limited",
        "Requests a host answered with a rate limit (429, or 503 with Retry-After)",
        limited,
    );
    reg.register(
        "vigie_host_wait_until_timestamp_seconds",
        "Until when a host last asked us to wait",
        waits,
    );
    Ok(())
}

/// How long vigie takes: from first seen to classified (last hour), and from written to
/// first seen (last 24 hours).
async fn histograms(
    reg: &mut Registry,
    store: &Store,
    now: chrono::DateTime<Utc>,
) -> Result<(), StoreError> {
    let latency = Histogram::new([0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0]);
    for d in store
        .classification_latencies(now - chrono::Duration::hours(1))
        .await?
    {
        latency.observe(d.max(0) as f64 / 1000.0);
    }
    reg.register(
        "vigie_classification_latency_seconds",
        "From first seen to classified, for mentions classified in the last hour",
        latency,
    );

    // How long after it was written vigie sees a post: a slow source or a backlog shows
    // here first (a "late" one is over two hours).
    let lateness = Histogram::new([
        60.0, 300.0, 900.0, 3600.0, 7200.0, 21600.0, 86400.0, 604800.0,
    ]);
    for d in store.lateness(now - chrono::Duration::hours(24)).await? {
        lateness.observe(d.max(0) as f64 / 1000.0);
    }
    reg.register(
        "vigie_mention_lateness_seconds",
        "From written (published) to first seen, for mentions first seen in the last 24 hours",
        lateness,
    );
    Ok(())
}
