//! `kind = "google_news"`: Google News' RSS search for a query, in one language and
//! region. No key; a thin layer over the RSS source that builds the search URL and
//! takes the publisher from the title's " - Publisher" suffix.

use async_trait::async_trait;
use serde::Deserialize;

use super::http::Http;
use super::rss::{RssConfig, RssSource};
use super::{check_name, check_url, Every, Poll, Source, SourceError, SourceState};

/// `[[sources]] kind = "google_news"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleNewsConfig {
    /// Unique name.
    pub name: String,
    /// Search query, in Google News syntax (`"SPF Finances" OR MyMinfin`).
    pub query: String,
    /// Interface language (ISO 639-1), e.g. "fr".
    pub language: String,
    /// Region (ISO 3166-1 alpha-2), e.g. "BE".
    pub country: String,
    /// Polling interval.
    pub every: Every,
    /// Search endpoint: a mirror or proxy of Google News RSS search (README, "Mirrors and proxies").
    #[serde(default = "default_base")]
    pub base_url: String,
}

fn default_base() -> String {
    "https://news.google.com/rss/search".into()
}

impl GoogleNewsConfig {
    /// Checks query, language and region.
    pub fn validate(&self, path: &str, err: &mut dyn FnMut(String, String, Option<&str>)) -> bool {
        let mut ok = check_name(path, &self.name, err);
        ok &= check_url(path, "base_url", &self.base_url, err);
        if self.query.trim().is_empty() {
            err(format!("{path}.query"), "is empty".into(), None);
            ok = false;
        }
        if !(self.language.len() == 2 && self.language.chars().all(|c| c.is_ascii_lowercase())) {
            err(
                format!("{path}.language"),
                format!("{:?} is not an ISO 639-1 code", self.language),
                Some("e.g. \"fr\", \"nl\", \"de\", \"en\""),
            );
            ok = false;
        }
        if !(self.country.len() == 2 && self.country.chars().all(|c| c.is_ascii_uppercase())) {
            err(
                format!("{path}.country"),
                format!("{:?} is not an ISO 3166-1 code", self.country),
                Some("e.g. \"BE\", \"FR\", \"NL\""),
            );
            ok = false;
        }
        ok
    }

    /// The search feed's URL: `?q=...&hl=fr-BE&gl=BE&ceid=BE:fr`.
    pub fn url(&self) -> String {
        let mut u = url::Url::parse(&self.base_url).expect("validated");
        u.query_pairs_mut()
            .append_pair("q", self.query.trim())
            .append_pair("hl", &format!("{}-{}", self.language, self.country))
            .append_pair("gl", &self.country)
            .append_pair("ceid", &format!("{}:{}", self.country, self.language));
        u.to_string()
    }

    /// The runnable source.
    pub fn source(&self, http: Http, base: &std::path::Path) -> GoogleNewsSource {
        let rss = RssConfig {
            name: self.name.clone(),
            url: self.url(),
            every_raw: String::new(),
            every: self.every.0,
            language: Some(self.language.clone()),
        };
        GoogleNewsSource {
            inner: RssSource::new(rss, http, base),
        }
    }
}

/// A running Google News search.
pub struct GoogleNewsSource {
    inner: RssSource,
}

/// Splits "Title - Publisher" (Google News' title format) at its last " - ".
fn publisher(title: &str) -> Option<(&str, &str)> {
    let (t, p) = title.rsplit_once(" - ")?;
    let p = p.trim();
    (!t.trim().is_empty() && !p.is_empty() && p.len() <= 80).then_some((t.trim(), p))
}

#[async_trait]
impl Source for GoogleNewsSource {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn host(&self) -> Option<String> {
        self.inner.host()
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        let mut poll = self.inner.poll(state).await?;
        for item in &mut poll.items {
            if item.author.is_none() {
                if let Some((_, p)) = publisher(&item.title) {
                    item.author = Some(p.to_string());
                }
            }
        }
        Ok(poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_url_per_language_and_region() {
        let c = GoogleNewsConfig {
            name: "gn".into(),
            query: "\"SPF Finances\" OR MyMinfin".into(),
            language: "fr".into(),
            country: "BE".into(),
            every: Every(std::time::Duration::from_secs(900)),
            base_url: default_base(),
        };
        assert_eq!(
            c.url(),
            "https://news.google.com/rss/search?q=%22SPF+Finances%22+OR+MyMinfin&hl=fr-BE&gl=BE&ceid=BE%3Afr"
        );
    }

    #[test]
    fn publisher_from_title() {
        assert_eq!(
            publisher("MyMinfin en panne - Le Soir"),
            Some(("MyMinfin en panne", "Le Soir"))
        );
        assert_eq!(publisher("Sans éditeur"), None);
    }
}
