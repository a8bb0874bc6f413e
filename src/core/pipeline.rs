//! Pipeline: item → normalised text → dedup keys → keyword match → language → [`NewMention`].
//! Pure and synchronous, so the daemon, `vigie replay` and the benchmark share it.

use crate::core::language::LanguageId;
use crate::core::matching::Matcher;
use crate::core::model::{Item, NewMention};
use crate::core::{dedup, text};

/// Longest text kept for a mention (bytes); longer bodies are cut, not refused.
pub const MAX_TEXT: usize = 20_000;

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
        let matched = self.matcher.check(&whole(item))?;
        Some(self.mention(item, matched))
    }

    /// Turns an item into a mention whatever it says (`vigie replay`: recorded mentions
    /// were matched when they were recorded).
    pub fn mention(&self, item: &Item, matched: Vec<String>) -> NewMention {
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
        let excluded = Item {
            title: "MyTax sport".into(),
            ..Item::default()
        };
        assert!(p.process(&excluded).is_none());
    }
}
