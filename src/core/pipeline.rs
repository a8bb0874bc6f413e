//! Pipeline: item → normalised text → dedup keys → keyword match → language → [`NewMention`].
//! Pure and synchronous, so the daemon, `vigie replay` and the benchmark share it.

use std::borrow::Cow;

use crate::core::language::LanguageId;
use crate::core::matching::Matcher;
use crate::core::model::{Item, NewMention};
use crate::core::{dedup, text};

/// Longest text kept for a mention (bytes); longer bodies are cut, not refused.
pub const MAX_TEXT: usize = 20_000;
/// Longest title kept (bytes): a title is a line (an 8 MB one made a 16.6 MB e-mail).
pub const MAX_TITLE: usize = 1_000;
/// Longest author kept (bytes).
pub const MAX_AUTHOR: usize = 200;
/// Longest link or GUID kept (bytes); longer ones are dropped, as a cut link leads nowhere.
pub const MAX_LINK: usize = 2_048;

/// The configured pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    matcher: Matcher,
    language: LanguageId,
}

impl Pipeline {
    /// From the institution's matcher and its languages.
    pub fn new(matcher: Matcher, languages: &[String]) -> Pipeline {
        Pipeline {
            matcher,
            language: LanguageId::new(languages),
        }
    }

    /// Turns an item into a mention, or None when it does not mention the institution.
    pub fn process(&self, item: &Item) -> Option<NewMention> {
        let item = bounded(item);
        let matched = self.matcher.check(&whole(&item))?;
        Some(self.mention(&item, matched))
    }

    /// Turns an item into a mention whatever it says (`vigie replay`: recorded mentions
    /// were matched when they were recorded).
    pub fn mention(&self, item: &Item, matched: Vec<String>) -> NewMention {
        let item = &*bounded(item);
        let title = text::collapse_ws(&item.title);
        let body = text::truncate(&item.text, MAX_TEXT);
        let whole = whole(item);
        let id = self.language.identify(&whole, item.lang_hint.as_deref());
        NewMention {
            keys: dedup::keys(item),
            source: item.source.clone(),
            // Only http(s) links are kept: others would be rendered as links.
            url: item
                .link
                .as_deref()
                .and_then(dedup::canonical_link)
                .filter(|u| text::is_web_link(u)),
            title,
            text: body,
            author: item.author.clone(),
            reach: item.reach,
            published_at: item.published_at,
            lang: id.lang,
            lang_confidence: id.confidence,
            matched,
        }
    }
}

/// The item within the caps on title, author, link and GUID (borrowed when it is).
fn bounded(item: &Item) -> Cow<'_, Item> {
    let over = |s: &Option<String>, max: usize| s.as_ref().is_some_and(|s| s.len() > max);
    if item.title.len() <= MAX_TITLE
        && !over(&item.author, MAX_AUTHOR)
        && !over(&item.link, MAX_LINK)
        && !over(&item.guid, MAX_LINK)
    {
        return Cow::Borrowed(item);
    }
    Cow::Owned(Item {
        source: item.source.clone(),
        guid: item.guid.clone().filter(|g| g.len() <= MAX_LINK),
        link: item.link.clone().filter(|l| l.len() <= MAX_LINK),
        title: text::truncate(&item.title, MAX_TITLE),
        text: text::truncate(&item.text, MAX_TEXT),
        published_at: item.published_at,
        author: item
            .author
            .as_deref()
            .map(|a| text::truncate(a, MAX_AUTHOR)),
        reach: item.reach,
        lang_hint: item.lang_hint.clone(),
    })
}

/// Title and body as one text, as matching and language identification read it.
fn whole(item: &Item) -> String {
    let title = text::collapse_ws(&item.title);
    let body = text::truncate(&item.text, MAX_TEXT);
    if body.is_empty() {
        title
    } else {
        format!("{title}\n{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_items_become_mentions_with_language() {
        let m = Matcher::new(
            &["MyTax".into(), "FOD Belastingen".into()],
            &["sport".into()],
        )
        .unwrap();
        let p = Pipeline::new(m, &["fr".into(), "nl".into(), "en".into()]);
        let item = Item {
            source: "s".into(),
            link: Some("https://example.org/a?utm_source=x".into()),
            title: "MyTax ligt plat".into(),
            text: "De FOD Belastingen bevestigt een storing op de laatste dag van de aangifte."
                .into(),
            ..Item::default()
        };
        let mention = p.process(&item).unwrap();
        assert_eq!(mention.matched, vec!["MyTax", "FOD Belastingen"]);
        assert_eq!(mention.lang, "nl");
        assert_eq!(mention.url.as_deref(), Some("https://example.org/a"));
        let off_topic = Item {
            title: "Weer".into(),
            text: "Regen".into(),
            ..Item::default()
        };
        assert!(p.process(&off_topic).is_none());
        // Regression (#14): a javascript: link was kept and rendered as an href.
        let scripted = Item {
            link: Some("javascript:alert(document.cookie)".into()),
            ..item.clone()
        };
        assert_eq!(p.process(&scripted).unwrap().url, None);
        // Regression (#14): an 8 MB title was stored whole (and mailed twice over).
        let huge = Item {
            title: format!("MyTax {}", "é".repeat(4_000_000)),
            author: Some("a".repeat(10_000)),
            link: Some(format!("https://example.org/{}", "a".repeat(10_000))),
            guid: Some("g".repeat(10_000)),
            ..item.clone()
        };
        let m = p.process(&huge).unwrap();
        assert!(
            m.title.len() <= MAX_TITLE + '…'.len_utf8(),
            "{}",
            m.title.len()
        );
        assert!(m.title.starts_with("MyTax é"));
        assert!(m.author.unwrap().len() <= MAX_AUTHOR + '…'.len_utf8());
        assert_eq!(m.url, None);
        assert!(m.keys.iter().all(|k| k.len() <= MAX_LINK), "{:?}", m.keys);
        let excluded = Item {
            title: "MyTax sport".into(),
            ..Item::default()
        };
        assert!(p.process(&excluded).is_none());
    }
}
