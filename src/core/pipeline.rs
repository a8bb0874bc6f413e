//! Pipeline: item → normalised text → dedup keys → keyword match → language → [`NewMention`].
//! Pure and synchronous, so the daemon, `vigie replay` and the benchmark share it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::core::language::LanguageId;
use crate::core::matching::Matcher;
use crate::core::model::{event_time, is_late, Item, NewMention, LATE_AFTER};
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
    own: OwnAccounts,
    late_after: chrono::Duration,
}

/// The institution's own accounts: `[escalation] handles` ("@SPFFinances") and account
/// ids per source. What they write in a conversation is the institution's answer.
#[derive(Debug, Clone, Default)]
pub struct OwnAccounts {
    /// Handles, compared without "@" and case.
    handles: Vec<String>,
    /// (source, account id) pairs.
    ids: Vec<(String, String)>,
}

impl OwnAccounts {
    /// From handles ("@name", "name@instance") and (source, account id) pairs.
    pub fn new(handles: &[String], ids: Vec<(String, String)>) -> OwnAccounts {
        OwnAccounts {
            handles: handles.iter().map(|h| bare_handle(h)).collect(),
            ids,
        }
    }

    /// The account ids given for source `source`.
    pub fn ids_for(&self, source: &str) -> Vec<String> {
        self.ids
            .iter()
            .filter(|(s, _)| s == source)
            .map(|(_, i)| i.clone())
            .collect()
    }

    /// Whether `item` was written by one of these accounts.
    pub fn wrote(&self, item: &Item) -> bool {
        let by_id = item.author_id.as_deref().is_some_and(|id| {
            self.ids
                .iter()
                .any(|(s, i)| s == &item.source && i.eq_ignore_ascii_case(id))
        });
        by_id
            || item.author.as_deref().is_some_and(|a| {
                let a = bare_handle(a);
                // "@SPFFinances" is that account on any instance; "@x@instance" only there.
                let local = a.split('@').next().unwrap_or_default();
                self.handles
                    .iter()
                    .any(|h| *h == a || (!h.contains('@') && h == local))
            })
    }
}

fn bare_handle(h: &str) -> String {
    h.trim().trim_start_matches('@').to_lowercase()
}

impl Pipeline {
    /// From the institution's matcher and its languages.
    pub fn new(matcher: Matcher, languages: &[String]) -> Pipeline {
        Pipeline {
            matcher,
            language: LanguageId::new(languages),
            own: OwnAccounts::default(),
            late_after: LATE_AFTER,
        }
    }

    /// Languages identified by `language` (the institution's detector and names).
    pub fn with_language(mut self, language: LanguageId) -> Pipeline {
        self.language = language;
        self
    }

    /// The institution's own accounts, whose replies in a conversation are kept whatever
    /// they say (they answer a mention).
    pub fn with_own_accounts(mut self, own: OwnAccounts) -> Pipeline {
        self.own = own;
        self
    }

    /// How long after it was written a mention may be first seen before it is "late".
    pub fn with_late_after(mut self, late_after: chrono::Duration) -> Pipeline {
        self.late_after = late_after;
        self
    }

    /// Turns an item seen at `seen` into a mention, or None when it does not concern the
    /// institution: it mentions it, was sent to it privately, or is one of its own
    /// accounts answering in a conversation.
    pub fn process(&self, item: &Item, seen: DateTime<Utc>) -> Option<NewMention> {
        let item = bounded(item);
        let own = self.own.wrote(&item);
        let answer = own && (item.thread.in_reply_to.is_some() || item.thread.root.is_some());
        let matched = match self.matcher.check(&whole(&item)) {
            Some(m) => m,
            None if item.direct || answer => Vec::new(),
            None => return None,
        };
        let mut m = self.mention(&item, matched, seen);
        m.own = own;
        Some(m)
    }

    /// Turns an item seen at `seen` into a mention whatever it says (`vigie replay`:
    /// recorded mentions were matched when they were recorded).
    pub fn mention(&self, item: &Item, matched: Vec<String>, seen: DateTime<Utc>) -> NewMention {
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
            in_reply_to: item.thread.in_reply_to.clone(),
            thread: item.thread.root.clone(),
            direct: item.direct,
            own: false,
            late: is_late(event_time(item.published_at, seen), seen, self.late_after),
            engagement: item.engagement,
            question: super::question::is_question(&whole),
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
        engagement: item.engagement,
        lang_hint: item.lang_hint.clone(),
        thread: item.thread.clone(),
        author_id: item.author_id.clone(),
        direct: item.direct,
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
    use crate::core::model::ThreadLinks;

    #[test]
    fn matching_items_become_mentions_with_language() {
        let m = Matcher::new(
            &["MyTax".into(), "FOD Belastingen".into()],
            &["sport".into()],
        )
        .unwrap();
        let p = Pipeline::new(m, &["fr".into(), "nl".into(), "en".into()]);
        let now = Utc::now();
        let item = Item {
            source: "s".into(),
            link: Some("https://example.org/a?utm_source=x".into()),
            title: "MyTax ligt plat".into(),
            text: "De FOD Belastingen bevestigt een storing op de laatste dag van de aangifte."
                .into(),
            ..Item::default()
        };
        let mention = p.process(&item, now).unwrap();
        assert_eq!(mention.matched, vec!["MyTax", "FOD Belastingen"]);
        assert_eq!(mention.lang, "nl");
        assert_eq!(mention.url.as_deref(), Some("https://example.org/a"));
        let off_topic = Item {
            title: "Weer".into(),
            text: "Regen".into(),
            ..Item::default()
        };
        assert!(p.process(&off_topic, now).is_none());
        // Regression (#14): a javascript: link was kept and rendered as an href.
        let scripted = Item {
            link: Some("javascript:alert(document.cookie)".into()),
            ..item.clone()
        };
        assert_eq!(p.process(&scripted, now).unwrap().url, None);
        // Regression (#14): an 8 MB title was stored whole (and mailed twice over).
        let huge = Item {
            title: format!("MyTax {}", "é".repeat(4_000_000)),
            author: Some("a".repeat(10_000)),
            link: Some(format!("https://example.org/{}", "a".repeat(10_000))),
            guid: Some("g".repeat(10_000)),
            ..item.clone()
        };
        let m = p.process(&huge, now).unwrap();
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
        assert!(p.process(&excluded, now).is_none());
    }

    #[test]
    fn direct_messages_and_own_answers_are_kept_whatever_they_say() {
        let m = Matcher::new(&["MyTax".into()], &[]).unwrap();
        let own = OwnAccounts::new(
            &["@SPFFinances".into()],
            vec![("masto".into(), "109".into())],
        );
        let p = Pipeline::new(m, &["fr".into()]).with_own_accounts(own);
        let now = Utc::now();
        let dm = Item {
            source: "hook".into(),
            text: "Bonjour, je n'ai pas reçu mon avertissement-extrait de rôle.".into(),
            direct: true,
            ..Item::default()
        };
        let m = p
            .process(&dm, now)
            .expect("a direct message is always kept");
        assert!(m.direct && m.matched.is_empty() && !m.own);
        let reply = Item {
            source: "masto".into(),
            text: "Bonjour, nous vous répondons en message privé.".into(),
            author_id: Some("109".into()),
            thread: ThreadLinks {
                in_reply_to: Some("mastodon:x:1".into()),
                ..ThreadLinks::default()
            },
            ..Item::default()
        };
        let m = p.process(&reply, now).expect("our answer is kept");
        assert!(m.own);
        assert_eq!(m.in_reply_to.as_deref(), Some("mastodon:x:1"));
        // By handle, on any source.
        let by_handle = Item {
            source: "bsky".into(),
            author: Some("spffinances".into()),
            author_id: None,
            ..reply.clone()
        };
        assert!(p.process(&by_handle, now).unwrap().own);
        // The same account id on another source is someone else; and our own posts that
        // answer nobody and name nothing are not mentions.
        let elsewhere = Item {
            source: "other".into(),
            ..reply.clone()
        };
        assert!(p.process(&elsewhere, now).is_none());
        let post = Item {
            thread: ThreadLinks::default(),
            ..reply
        };
        assert!(p.process(&post, now).is_none());
    }

    #[test]
    fn late_is_judged_with_the_configured_lateness() {
        let m = Matcher::new(&["MyTax".into()], &[]).unwrap();
        let now = Utc::now();
        let item = Item {
            title: "MyTax".into(),
            published_at: Some(now - chrono::Duration::minutes(90)),
            ..Item::default()
        };
        let p = Pipeline::new(m, &[]);
        assert!(
            !p.process(&item, now).unwrap().late,
            "90 min < 2 h by default"
        );
        let p = p.with_late_after(chrono::Duration::hours(1));
        assert!(p.process(&item, now).unwrap().late);
        // A date in the future is no event time: seen now, not late.
        let future = Item {
            published_at: Some(now + chrono::Duration::days(3)),
            ..item
        };
        assert!(!p.process(&future, now).unwrap().late);
    }
}
