//! Turns feed bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into [`Item`]s, with one
//! repair attempt for the usual breakage before giving up with a clear error.

use crate::core::model::{Engagement, Item};
use crate::core::text::html_to_text;

use super::repair;

/// A parsed feed: its items, and what repair did if it was needed.
#[derive(Debug)]
pub struct Parsed {
    /// Items in document order.
    pub items: Vec<Item>,
    /// Description of the repair applied, when the document was malformed.
    pub repaired: Option<String>,
    /// Entries left out because the document has more than the cap.
    pub beyond: usize,
}

fn parser() -> feed_rs::parser::Parser {
    // feed-rs invents a random id when an entry has none; we want to know it had none,
    // so our dedup key falls back to the canonical link instead.
    feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .build()
}

/// Parses a feed document; `source` names the items' source.
pub fn parse(bytes: &[u8], source: &str) -> Result<Parsed, String> {
    parse_at_most(bytes, source, usize::MAX)
}

/// Parses a feed document, converting at most `max` entries (the first ones) to items.
pub fn parse_at_most(bytes: &[u8], source: &str, max: usize) -> Result<Parsed, String> {
    let first = match parser().parse(bytes) {
        Ok(feed) => {
            let (items, beyond) = items(feed, source, max);
            return Ok(Parsed {
                items,
                repaired: None,
                beyond,
            });
        }
        Err(e) => e.to_string(),
    };
    if let Some(why) = repair::not_a_feed(bytes) {
        return Err(why);
    }
    let fixed = repair::repair(bytes);
    if fixed.changes.is_empty() {
        return Err(format!("not a readable feed: {first}"));
    }
    match parser().parse(fixed.bytes.as_slice()) {
        Ok(feed) => {
            let (items, beyond) = items(feed, source, max);
            Ok(Parsed {
                items,
                repaired: Some(format!(
                    "{} (parser said: {first})",
                    fixed.changes.join(", ")
                )),
                beyond,
            })
        }
        Err(e) => Err(format!(
            "not a readable feed: {first}; after repairing ({}) still: {e}",
            fixed.changes.join(", ")
        )),
    }
}

/// The first `max` entries as items, and how many entries were left out.
fn items(feed: feed_rs::model::Feed, source: &str, max: usize) -> (Vec<Item>, usize) {
    let feed_lang = feed.language.clone();
    let beyond = feed.entries.len().saturating_sub(max);
    let items = feed
        .entries
        .into_iter()
        .take(max)
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .map(|l| l.href.trim().to_string());
            let title = e
                .title
                .map(|t| html_to_text(&t.content))
                .unwrap_or_default();
            // YouTube (and other media feeds) put the description in media:group only.
            let summary = e.summary.map(|t| html_to_text(&t.content)).or_else(|| {
                e.media
                    .iter()
                    .find_map(|m| m.description.as_ref())
                    .map(|d| html_to_text(&d.content))
            });
            let content = e.content.and_then(|c| c.body).map(|b| html_to_text(&b));
            // Prefer the longer of summary and content: some feeds put a teaser in one.
            let text = match (summary, content) {
                (Some(s), Some(c)) => {
                    if c.len() > s.len() {
                        c
                    } else {
                        s
                    }
                }
                (Some(s), None) => s,
                (None, Some(c)) => c,
                (None, None) => String::new(),
            };
            let guid = Some(e.id.trim().to_string()).filter(|g| !g.is_empty());
            // media:community (YouTube's uploads feed: views, and likes as the star count).
            let engagement = e
                .media
                .iter()
                .find_map(|m| m.community.as_ref())
                .map(|c| Engagement {
                    likes: c.stats_favorites.or(c.stars_count).map(|n| n as i64),
                    views: c.stats_views.map(|n| n as i64),
                    ..Engagement::default()
                })
                .unwrap_or_default();
            Item {
                source: source.to_string(),
                guid,
                link,
                title,
                text,
                published_at: e.published.or(e.updated),
                author: e
                    .authors
                    .first()
                    .and_then(|a| a.name.clone())
                    .filter(|n| !n.trim().is_empty()),
                reach: None,
                lang_hint: e.language.or_else(|| feed_lang.clone()),
                engagement,
                ..Default::default()
            }
        })
        .collect();
    (items, beyond)
}
