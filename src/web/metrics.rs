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
use sqlx::Row;

use super::auth::SESSION_COOKIE;
use super::users::same_secret;
use super::AppState;
use crate::store::{ms, Store, StoreError};

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
            Some(c) => matches!(st.store.session(c.value(), Utc::now()).await, Ok(Some(_))),
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
    let pool = store.pool();
    let mut reg = Registry::default();

    let r = sqlx::query(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN first_seen_at >= $1 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN classified_at IS NULL THEN 1 ELSE 0 END), 0) FROM mentions",
    )
    .bind(ms(now - chrono::Duration::hours(24)))
    .fetch_one(pool)
    .await?;
    gauge(
        &mut reg,
        "vigie_mentions_stored",
        "Mentions in the database",
        r.try_get(0)?,
    );
    gauge(
        &mut reg,
        "vigie_mentions_ingested_24h",
        "Mentions first seen in the last 24 hours",
        r.try_get(1)?,
    );
    gauge(
        &mut reg,
        "vigie_classify_queue",
        "Mentions waiting for classification",
        r.try_get(2)?,
    );

    let errors = Family::<Labels, Gauge>::default();
    let last_ok = Family::<Labels, Gauge>::default();
    for r in sqlx::query("SELECT name, error_count, last_success_at FROM source_state")
        .fetch_all(pool)
        .await?
    {
        let l = vec![("source".to_string(), r.try_get::<String, _>(0)?)];
        errors.get_or_create(&l).set(r.try_get(1)?);
        if let Some(t) = r.try_get::<Option<i64>, _>(2)? {
            last_ok.get_or_create(&l).set(t / 1000);
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

    let mails = Family::<Labels, Gauge>::default();
    for st in ["pending", "sending", "sent", "dead"] {
        mails
            .get_or_create(&vec![("state".into(), st.into())])
            .set(0);
    }
    for r in sqlx::query("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        .fetch_all(pool)
        .await?
    {
        mails
            .get_or_create(&vec![("state".into(), r.try_get::<String, _>(0)?)])
            .set(r.try_get(1)?);
    }
    reg.register(
        "vigie_emails",
        "E-mails in the outbox by state (dead: given up after retries)",
        mails,
    );

    let latency = Histogram::new([0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0]);
    for r in
        sqlx::query("SELECT classified_at - first_seen_at FROM mentions WHERE classified_at >= $1")
            .bind(ms(now - chrono::Duration::hours(1)))
            .fetch_all(pool)
            .await?
    {
        let d: i64 = r.try_get(0)?;
        latency.observe(d.max(0) as f64 / 1000.0);
    }
    reg.register(
        "vigie_classification_latency_seconds",
        "From first seen to classified, for mentions classified in the last hour",
        latency,
    );

    let c = store.escalation_counts(now).await?;
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
