//! Rendering: the page strings in fr/nl/en, the templates, the stylesheet, security
//! headers, and the error pages.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::notify::i18n::Catalog;

/// Languages the page exists in.
pub const LANGUAGES: &[&str] = &["fr", "nl", "en"];

/// The page strings.
pub fn catalog() -> Catalog {
    Catalog::parse(include_str!("templates/strings.toml"))
        .expect("web/templates/strings.toml is valid (tested)")
}

/// The page templates, compiled once.
pub fn templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_filter("truncate", truncate);
    for (name, src) in [
        ("layout.html", include_str!("templates/layout.html")),
        ("login.html", include_str!("templates/login.html")),
        ("list.html", include_str!("templates/list.html")),
        ("detail.html", include_str!("templates/detail.html")),
        ("stats.html", include_str!("templates/stats.html")),
        ("questions.html", include_str!("templates/questions.html")),
        ("error.html", include_str!("templates/error.html")),
    ] {
        env.add_template(name, src)
            .unwrap_or_else(|e| panic!("template {name}: {e}"));
    }
    env
}

/// A duration in minutes as the page shows it ("45 min", "3.5 h", "–" when unknown).
pub fn minutes(m: Option<f64>) -> String {
    match m {
        None => "–".to_string(),
        Some(m) if m < 120.0 => format!("{m:.0} min"),
        Some(m) => format!("{:.1} h", m / 60.0),
    }
}

/// The first `n` characters of `s`, with "…" when cut.
fn truncate(s: String, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
        None => s,
    }
}

/// Renders a template with the language's strings as `t` and the page basics.
pub fn render(st: &AppState, name: &str, lang: &str, ctx: minijinja::Value) -> Response {
    let base = minijinja::context! {
        t => st.catalog.strings(lang),
        lang => lang,
        institution => st.institution.clone(),
    };
    let ctx = minijinja::context! { ..ctx, ..base };
    match st.templates.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %e, "page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "page could not be rendered",
            )
                .into_response()
        }
    }
}

/// A page saying what went wrong, with a status.
pub fn error_page(st: &AppState, lang: &str, status: StatusCode, message: String) -> Response {
    let mut r = render(
        st,
        "error.html",
        lang,
        minijinja::context! { message => message, status => status.as_u16() },
    );
    *r.status_mut() = status;
    r
}

/// 403 with the catalogue's `key`.
pub fn forbidden(st: &AppState, lang: &str, key: &str) -> Response {
    error_page(
        st,
        lang,
        StatusCode::FORBIDDEN,
        st.catalog.t(lang, key, &[]),
    )
}

/// 500, logging the cause (the visitor only sees that it failed).
pub fn server_error(st: &AppState, lang: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "web request failed");
    error_page(
        st,
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        st.catalog.t(lang, "web_error_server", &[]),
    )
}

/// GET /static/vigie.css
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("templates/vigie.css"),
    )
        .into_response()
}

/// Headers on every answer: no framing, no sniffing, no outside scripts, no caching of
/// private pages.
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_page_string() {
        let c = catalog();
        let en: Vec<&String> = c.strings("en").keys().collect();
        assert!(en.len() > 30);
        for l in LANGUAGES {
            let keys: Vec<&String> = c.strings(l).keys().collect();
            assert_eq!(keys, en, "language {l}");
        }
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("déjà vu".into(), 4), "déjà…");
        assert_eq!(truncate("abc".into(), 4), "abc");
    }

    #[test]
    fn templates_compile() {
        let env = templates();
        assert!(env.get_template("list.html").is_ok());
    }
}
