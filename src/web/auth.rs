//! Logging in and out, the session every private page needs, CSRF tokens on every form,
//! and the login limit (see `limit`).

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use serde::Deserialize;
use tracing::{info, warn};

use super::limit::{Keys, MAX_EMAIL};
use super::users::{self, same_secret, Session};
use super::view;
use super::AppState;

/// Session cookie.
pub const SESSION_COOKIE: &str = "vigie_session";
/// Double-submit cookie guarding the login form itself (its value signed, see
/// `login_token`).
const LOGIN_CSRF_COOKIE: &str = "vigie_login";

/// Only local paths are followed after login (no open redirect): a relative path with
/// no control character (browsers drop tabs and newlines, so `/\t/evil.example` would
/// become `//evil.example`) and no backslash, that resolves on our own origin.
fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next else {
        return "/".into();
    };
    if !n.starts_with('/') || n.starts_with("//") || n.chars().any(|c| c.is_control() || c == '\\')
    {
        return "/".into();
    }
    let base = url::Url::parse("http://vigie.invalid/").expect("a valid base");
    match base.join(n) {
        Ok(u) if u.host_str() == Some("vigie.invalid") => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        _ => "/".into(),
    }
}

/// The language of a visitor without a session: `?lang=`, else Accept-Language.
pub fn visitor_language(query: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(l) = query.filter(|l| view::LANGUAGES.contains(l)) {
        return l.to_string();
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in accept.split(',') {
        let tag = part.split(';').next().unwrap_or("").trim().to_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        if view::LANGUAGES.contains(&primary) {
            return primary.to_string();
        }
    }
    "en".into()
}

/// `?next=&lang=` of the login page.
#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// GET /login
pub async fn login_page(
    State(st): State<AppState>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let lang = visitor_language(q.lang.as_deref(), &headers);
    render_login(&st, jar, &lang, q.next.as_deref(), None, StatusCode::OK)
}

fn render_login(
    st: &AppState,
    jar: CookieJar,
    lang: &str,
    next: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = st.login_key.issue(SystemTime::now());
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, token.clone()))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(st.web.secure_cookies())
        .build();
    let html = view::render(
        st,
        "login.html",
        lang,
        minijinja::context! {
            csrf => token,
            next => safe_next(next),
            error => error,
        },
    );
    (status, jar.add(cookie), html).into_response()
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// POST /login
pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = visitor_language(f.lang.as_deref(), &headers);
    let t = |k: &str| st.catalog.t(&lang, k, &[]);
    let next = f.next.as_deref();
    // The field must equal the cookie, and be a token this instance signed: a pair made up
    // by whoever can plant a cookie is refused.
    let cookie = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    let pair = cookie.is_some_and(|c| same_secret(&c, &f.csrf));
    if !(pair && st.login_key.verify(&f.csrf, SystemTime::now())) {
        warn!(peer = %peer.ip(), "login refused: missing or wrong form token");
        let error = Some(t("web_error_csrf"));
        return render_login(&st, jar, &lang, next, error, StatusCode::FORBIDDEN);
    }
    let email = f.email.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL {
        // No account has such an e-mail: refused before the limiter and argon2.
        warn!(peer = %peer.ip(), "login refused: e-mail too long");
        let error = Some(t("web_error_login"));
        return render_login(&st, jar, &lang, next, error, StatusCode::UNAUTHORIZED);
    }
    // Counted before the password is checked, so concurrent attempts cannot all pass.
    let attempt = match st
        .limiter
        .begin(&Keys::new(&email, peer.ip()), Instant::now())
    {
        Ok(a) => a,
        Err(wait) => {
            warn!(peer = %peer.ip(), "login refused: too many attempts");
            let mins = wait.as_secs().div_ceil(60).max(1).to_string();
            let error = Some(st.catalog.t(&lang, "web_error_rate", &[("minutes", &mins)]));
            let r = render_login(&st, jar, &lang, next, error, StatusCode::TOO_MANY_REQUESTS);
            return retry_after(r, wait);
        }
    };
    let Some(slot) = st.hashing.slot().await else {
        st.limiter.refund(attempt);
        warn!(peer = %peer.ip(), "login refused: every password check slot is busy");
        let error = Some(t("web_error_busy"));
        let r = render_login(
            &st,
            jar,
            &lang,
            next,
            error,
            StatusCode::SERVICE_UNAVAILABLE,
        );
        return retry_after(r, Duration::from_secs(1));
    };
    let checked = users::check_login(&st.store, &email, &f.password, &slot).await;
    drop(slot);
    match checked {
        Ok(Some(user)) => {
            st.limiter.succeeded(attempt);
            let token =
                match users::open_session(&st.store, &user, Utc::now(), st.web.session).await {
                    Ok(t) => t,
                    Err(e) => return view::server_error(&st, &lang, e),
                };
            info!(user = %user.email, "logged in");
            let cookie = Cookie::build((SESSION_COOKIE, token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(st.web.secure_cookies())
                .max_age(time_duration(st.web.session))
                .build();
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
                .add(cookie);
            (jar, Redirect::to(&safe_next(next))).into_response()
        }
        Ok(None) => {
            st.limiter.fail(attempt);
            warn!(peer = %peer.ip(), "login failed");
            let error = Some(t("web_error_login"));
            render_login(&st, jar, &lang, next, error, StatusCode::UNAUTHORIZED)
        }
        Err(e) => {
            st.limiter.refund(attempt);
            view::server_error(&st, &lang, e)
        }
    }
}

fn retry_after(mut r: Response, wait: Duration) -> Response {
    if let Ok(v) = wait.as_secs().max(1).to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn time_duration(d: Duration) -> time::Duration {
    time::Duration::seconds(d.as_secs() as i64)
}

/// Lets a request through only with a live session (put in its extensions); otherwise
/// sends the visitor to the login page, coming back here afterwards.
pub async fn require_session(
    State(st): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    let session = match jar.get(SESSION_COOKIE) {
        Some(c) => match users::session(&st.store, c.value(), Utc::now()).await {
            Ok(s) => s,
            Err(e) => return view::server_error(&st, "en", e),
        },
        None => None,
    };
    match session {
        Some(s) => {
            req.extensions_mut().insert(s);
            next.run(req).await
        }
        None => {
            let back = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            let to = if req.method() == axum::http::Method::GET {
                format!("/login?next={}", urlencode(&back))
            } else {
                "/login".to_string()
            };
            Redirect::to(&to).into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Refuses a form whose token is not this session's.
pub fn check_csrf(session: &Session, token: &str) -> bool {
    same_secret(&session.csrf, token)
}

/// The logout form.
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// POST /logout
pub async fn logout(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    jar: CookieJar,
    Form(f): Form<LogoutForm>,
) -> Response {
    if !check_csrf(&session, &f.csrf) {
        return view::forbidden(&st, &session.user.language, "web_error_csrf");
    }
    if let Err(e) = st.store.close_session(&session.token_hash).await {
        return view::server_error(&st, &session.user.language, e);
    }
    info!(user = %session.user.email, "logged out");
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    (jar, Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/escalations/4?x=1")), "/escalations/4?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        // Regression (#14): browsers drop the tab and land on the other origin.
        assert_eq!(safe_next(Some("/\t/evil.example/phish")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/%09/evil.example")), "/%09/evil.example");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn language_from_query_then_header() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            "nl-BE,nl;q=0.9,en;q=0.8".parse().unwrap(),
        );
        assert_eq!(visitor_language(None, &h), "nl");
        assert_eq!(visitor_language(Some("fr"), &h), "fr");
        assert_eq!(visitor_language(Some("xx"), &HeaderMap::new()), "en");
    }
}
