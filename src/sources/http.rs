//! Polite HTTP: conditional GET, compression, timeout, body cap, honest User-Agent,
//! and Retry-After parsing. One client is shared by every source.

use std::time::Duration;

use reqwest::header::{
    HeaderMap, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use reqwest::StatusCode;

use super::guard::Guard;
use super::hosts::HostBook;
use super::SourceError;

/// A shared, configured HTTP client.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    max_body: u64,
    timeout: Duration,
    max_items: usize,
    /// Requests and waits per host, shared by every source (see [`HostBook`]).
    book: HostBook,
}

/// A successful (2xx or 304) response.
#[derive(Debug)]
pub struct Response {
    /// None on 304 Not Modified.
    pub body: Option<Vec<u8>>,
    /// `ETag`, if sent.
    pub etag: Option<String>,
    /// `Last-Modified`, if sent.
    pub last_modified: Option<String>,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
}

/// Any response, as [`Http::send`] read it.
#[derive(Debug)]
pub struct Raw {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body (capped).
    pub body: Vec<u8>,
}

/// The User-Agent we send: who we are and how to reach the operator.
pub fn user_agent(contact: Option<&str>) -> String {
    let v = env!("CARGO_PKG_VERSION");
    match contact {
        Some(c) => format!("vigie/{v} (+{c}; media monitoring for a public institution)"),
        None => format!("vigie/{v} (media monitoring for a public institution)"),
    }
}

impl Http {
    /// Builds the client from `[fetch]`, trusting only the pinned hosts (see [`Guard`]).
    pub fn new(cfg: &crate::sources::fetch::Fetch) -> Result<Http, reqwest::Error> {
        Http::with_hosts(cfg, Vec::new())
    }

    /// Builds the client from `[fetch]`; `hosts` (the ones the config names) may resolve
    /// or redirect to private addresses, other hosts may not unless `allow_private`.
    pub fn with_hosts(
        cfg: &crate::sources::fetch::Fetch,
        hosts: Vec<String>,
    ) -> Result<Http, reqwest::Error> {
        let pinned = cfg.resolve.keys().cloned();
        let guard = Guard::new(hosts.into_iter().chain(pinned), cfg.allow_private);
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent(cfg.contact.as_deref()))
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .gzip(true)
            .deflate(true)
            .brotli(true)
            .redirect(guard.redirect_policy())
            .dns_resolver(std::sync::Arc::new(guard));
        for (host, ip) in &cfg.resolve {
            // Port 0: the URL's port (or the scheme's) is used.
            builder = builder.resolve(host, std::net::SocketAddr::new(*ip, 0));
        }
        Ok(Http {
            client: builder.build()?,
            max_body: cfg.max_body_mib * 1024 * 1024,
            timeout: cfg.timeout,
            max_items: cfg.max_items,
            book: HostBook::default(),
        })
    }

    /// The book of hosts this client called: requests, rate limits and waits.
    pub fn hosts(&self) -> &HostBook {
        &self.book
    }

    /// Counts a request to `url`'s host; returns the host.
    fn count(&self, url: &reqwest::Url) -> Option<String> {
        let host = super::api::host_key(url)?;
        self.book.count(&host);
        Some(host)
    }

    /// Records a rate limit (429, or 503 with `Retry-After`) under the host that gave it,
    /// with the wait it asked for, so that the host's other sources wait too.
    fn note_limit(&self, host: Option<&str>, status: StatusCode, headers: &HeaderMap) {
        let limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::SERVICE_UNAVAILABLE && headers.contains_key(RETRY_AFTER));
        let Some(host) = host.filter(|_| limited) else {
            return;
        };
        let now = std::time::SystemTime::now();
        let wait = header(headers, RETRY_AFTER)
            .and_then(|v| parse_retry_after(&v, now))
            .or_else(|| super::api::reset_wait(headers, now));
        let now = chrono::Utc::now();
        let until = wait
            .and_then(|w| chrono::Duration::from_std(w).ok())
            .map(|w| now + w);
        self.book.limited(host, until, now);
    }

    /// `[fetch] max_items`: most items taken from one poll.
    pub fn max_items(&self) -> usize {
        self.max_items
    }

    /// The body cap in bytes.
    pub fn max_body(&self) -> u64 {
        self.max_body
    }

    /// The client, to build API requests (headers, auth, form bodies) for [`Http::send`].
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request, counted under the host it goes to, noting a wait it answers with.
    async fn execute(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SourceError> {
        let req = req.build().map_err(|e| self.transport(e))?;
        let host = self.count(req.url());
        let resp = self
            .client
            .execute(req)
            .await
            .map_err(|e| self.transport(e))?;
        self.note_limit(host.as_deref(), resp.status(), resp.headers());
        Ok(resp)
    }

    /// Sends a request and reads its body (at most `max_body` bytes) whatever the status;
    /// the caller decides what the status means (see `api::check`).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Raw, SourceError> {
        let mut resp = self.execute(req).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(len) = resp.content_length() {
            if len > self.max_body {
                return Err(SourceError::TooLarge {
                    limit: self.max_body,
                });
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(SourceError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Raw {
            status,
            headers,
            body,
        })
    }

    /// Conditional GET; reads at most `max_body` bytes.
    pub async fn get(
        &self,
        url: &str,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<Response, SourceError> {
        let mut req = self.client.get(url);
        if let Some(e) = etag {
            req = req.header(IF_NONE_MATCH, e);
        }
        if let Some(l) = last_modified {
            req = req.header(IF_MODIFIED_SINCE, l);
        }
        let mut resp = self.execute(req).await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Response {
                body: None,
                etag: header(&headers, ETAG).or_else(|| etag.map(str::to_string)),
                last_modified: header(&headers, LAST_MODIFIED)
                    .or_else(|| last_modified.map(str::to_string)),
                content_type: None,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::SERVICE_UNAVAILABLE && headers.contains_key(RETRY_AFTER))
        {
            return Err(SourceError::RateLimited {
                status: status.as_u16(),
                retry_after: header(&headers, RETRY_AFTER)
                    .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now())),
            });
        }
        if !status.is_success() {
            return Err(SourceError::Status {
                status: status.as_u16(),
                url: url.to_string(),
            });
        }
        if let Some(len) = resp.content_length() {
            if len > self.max_body {
                return Err(SourceError::TooLarge {
                    limit: self.max_body,
                });
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(SourceError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            body: Some(body),
            etag: header(&headers, ETAG),
            last_modified: header(&headers, LAST_MODIFIED),
            content_type: header(&headers, reqwest::header::CONTENT_TYPE),
        })
    }

    fn transport(&self, e: reqwest::Error) -> SourceError {
        // The URL may carry an API key (YouTube): never let it reach a log line.
        let e = e.without_url();
        if e.is_timeout() {
            SourceError::Timeout(self.timeout)
        } else {
            // reqwest's Display omits the cause chain; it is where the useful part is.
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            SourceError::Transport(msg)
        }
    }
}

fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The longest wait a server can impose on us; longer ones are taken as this.
pub const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses `Retry-After`: delay in seconds or an HTTP date, at most [`MAX_WAIT`].
pub fn parse_retry_after(v: &str, now: std::time::SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_WAIT));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_WAIT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        // A header can ask for centuries: it gets a week.
        assert_eq!(parse_retry_after("99999999999999", now), Some(MAX_WAIT));
    }

    #[test]
    fn user_agent_names_contact() {
        assert!(user_agent(Some("mailto:comms@example.org")).contains("+mailto:comms@example.org"));
    }
}
