//! Our own dedup keys. feed-rs invents ids when a feed has none, and the same article
//! travels under different links and dates, so we key on what is stable:
//! the GUID, else the canonical link, else a hash of title and text.

use sha2::{Digest, Sha256};

use crate::core::model::Item;
use crate::core::text::fold;

/// Query parameters that track clicks and never change the page.
const TRACKING: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "ref_src",
    "ref_url",
    "cmpid",
    "xtor",
    "at_medium",
    "at_campaign",
];

/// Canonical form of a link: lowercase scheme and host, no `www.`, no fragment,
/// no tracking parameters (utm_* and friends), sorted query, no trailing slash.
pub fn canonical_link(link: &str) -> Option<String> {
    let mut u = url::Url::parse(link.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return Some(link.trim().to_string());
    }
    u.set_fragment(None);
    let mut pairs: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let host = u
        .host_str()
        .map(|h| h.trim_start_matches("www.").to_ascii_lowercase());
    if let Some(h) = host {
        let _ = u.set_host(Some(&h));
    }
    // http and https are the same article.
    let _ = u.set_scheme("https");
    let mut s = u.to_string();
    if let Some(q) = s.find('?') {
        let (path, query) = s.split_at(q);
        s = format!("{}{}", path.trim_end_matches('/'), query);
    } else {
        while s.ends_with('/') && s.matches('/').count() > 3 {
            s.pop();
        }
        if s.ends_with('/') {
            s.pop();
        }
    }
    Some(s)
}

/// Hash of folded title and text: catches the same text under two links.
pub fn content_hash(title: &str, text: &str) -> String {
    let norm = |s: &str| fold(s).split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h = Sha256::new();
    h.update(norm(title).as_bytes());
    h.update([0u8]);
    h.update(norm(text).as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Every key that identifies this item, strongest first. A GUID that is not a URL
/// is only unique within its feed, so it is scoped by source.
pub fn keys(item: &Item) -> Vec<String> {
    let mut keys = Vec::new();
    // A platform reference is what replies name their parent by (see `ThreadLinks`).
    if let Some(id) = item.thread.id.as_deref() {
        keys.push(post_key(id));
    }
    if let Some(g) = item.guid.as_deref() {
        match canonical_link(g).filter(|_| g.starts_with("http://") || g.starts_with("https://")) {
            Some(link) => keys.push(format!("link:{link}")),
            None => keys.push(format!("guid:{}:{}", item.source, g)),
        }
    }
    if let Some(link) = item.link.as_deref().and_then(canonical_link) {
        let k = format!("link:{link}");
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    // The same text under two links is one article (a wire story in two feeds); two
    // posts with their own platform ids are two people asking the same thing, counted
    // twice (stories group them).
    if item.thread.id.is_none() && (!item.title.trim().is_empty() || !item.text.trim().is_empty()) {
        keys.push(format!("hash:{}", content_hash(&item.title, &item.text)));
    }
    keys
}

/// The key of the post a platform reference names ("at://…", "mastodon:host:id").
pub fn post_key(reference: &str) -> String {
    format!("post:{reference}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_links() {
        for (a, b) in [
            (
                "https://www.Example.org/news/123/?utm_source=x&utm_medium=y#top",
                "https://example.org/news/123",
            ),
            (
                "http://example.org/news/123",
                "https://example.org/news/123",
            ),
            (
                "https://example.org/a?b=2&a=1&fbclid=zz",
                "https://example.org/a?a=1&b=2",
            ),
            ("https://example.org/", "https://example.org"),
            ("https://example.org/a/?id=4", "https://example.org/a?id=4"),
        ] {
            assert_eq!(canonical_link(a).unwrap(), b, "{a}");
        }
    }

    #[test]
    fn keys_prefer_guid_then_link_then_hash() {
        let mut it = Item {
            source: "s".into(),
            guid: Some("abc-1".into()),
            link: Some("https://example.org/x?utm_source=a".into()),
            title: "Titre".into(),
            text: "Texte".into(),
            ..Item::default()
        };
        let k = keys(&it);
        assert_eq!(k[0], "guid:s:abc-1");
        assert_eq!(k[1], "link:https://example.org/x");
        assert!(k[2].starts_with("hash:"));
        it.guid = Some("https://example.org/x#frag".into());
        assert_eq!(keys(&it)[0], "link:https://example.org/x");
        assert_eq!(keys(&it).len(), 2);
    }

    #[test]
    fn hash_ignores_case_accents_and_spacing() {
        assert_eq!(
            content_hash("Impôts  en panne", "Le site"),
            content_hash("impots en PANNE", " le   site ")
        );
        assert_ne!(content_hash("a", "b"), content_hash("a b", ""));
    }
}
