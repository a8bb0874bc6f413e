//! Stories instead of posts: reposts and near-duplicates of one post, and posts sharing a
//! link, are one story.
//!
//! Near-duplicates are found with SimHash (Charikar) over word 3-shingles of the folded
//! text, without the URLs, @handles and "RT" markers that reposts add: two texts whose
//! 64-bit fingerprints differ in at most `max_distance` bits are the same post. A link to
//! the same page (canonical URL) joins a post to a story too, whatever its language, so a
//! French and a Dutch post about the same article land together. A story's id is the id
//! of its first mention.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};

use crate::core::text::fold;

/// 64-bit SimHash of a text.
pub fn simhash(text: &str) -> u64 {
    // Reposts add "RT", "via", @handles and links: not part of what was said.
    let words: Vec<String> = fold(text)
        .split_whitespace()
        .filter(|w| !w.starts_with('@') && !w.contains("://") && *w != "rt" && *w != "via")
        .flat_map(|w| {
            w.split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let shingles: Vec<String> = if words.len() >= 3 {
        words.windows(3).map(|w| w.join(" ")).collect()
    } else {
        words
    };
    let mut v = [0i32; 64];
    for s in &shingles {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        s.hash(&mut h);
        let x = h.finish();
        for (i, slot) in v.iter_mut().enumerate() {
            if x >> i & 1 == 1 {
                *slot += 1;
            } else {
                *slot -= 1;
            }
        }
    }
    v.iter()
        .enumerate()
        .filter(|(_, s)| **s > 0)
        .fold(0u64, |acc, (i, _)| acc | 1 << i)
}

/// Links in a text and the mention's own URL, canonicalised, that identify a story
/// (not the bare home page of a site, not the institution's own pages).
pub fn story_links(url: Option<&str>, text: &str, own_domains: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let candidates = url.into_iter().map(str::to_string).chain(
        text.split_whitespace()
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches(['.', ',', ')', '!', '?']).to_string()),
    );
    for c in candidates {
        let Ok(u) = url::Url::parse(&c) else { continue };
        let Some(host) = u.host_str() else { continue };
        let host = host.trim_start_matches("www.").to_lowercase();
        if own_domains
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
        {
            continue;
        }
        let path = u.path().trim_end_matches('/');
        if path.is_empty() {
            continue;
        }
        out.push(format!("{host}{path}"));
    }
    out.sort();
    out.dedup();
    out
}

struct Entry {
    story: i64,
    hash: u64,
    last: DateTime<Utc>,
}

/// The recent stories, for assigning new mentions.
pub struct StoryIndex {
    max_distance: u32,
    horizon: chrono::Duration,
    entries: Vec<Entry>,
    links: HashMap<String, (i64, DateTime<Utc>)>,
}

impl StoryIndex {
    /// Near-duplicates within `max_distance` bits; stories older than `horizon` are closed.
    pub fn new(max_distance: u32, horizon: chrono::Duration) -> StoryIndex {
        StoryIndex {
            max_distance,
            horizon,
            entries: Vec::new(),
            links: HashMap::new(),
        }
    }

    /// Records a mention already assigned to `story` (warm start from the store).
    pub fn remember(&mut self, story: i64, hash: u64, links: &[String], at: DateTime<Utc>) {
        self.entries.push(Entry {
            story,
            hash,
            last: at,
        });
        for l in links {
            self.links.insert(l.clone(), (story, at));
        }
    }

    /// The story of mention `id`: an existing one it repeats or links to, else a new one
    /// (`id` itself).
    pub fn assign(&mut self, id: i64, hash: u64, links: &[String], at: DateTime<Utc>) -> i64 {
        let cutoff = at - self.horizon;
        if self.entries.len() > 4096 {
            self.entries.retain(|e| e.last >= cutoff);
            self.links.retain(|_, (_, t)| *t >= cutoff);
        }
        let by_link = links
            .iter()
            .filter_map(|l| self.links.get(l))
            .filter(|(_, t)| *t >= cutoff)
            .map(|(s, _)| *s)
            .min();
        let story = by_link.or_else(|| {
            self.entries
                .iter()
                .rev()
                .filter(|e| e.last >= cutoff)
                .find(|e| (e.hash ^ hash).count_ones() <= self.max_distance)
                .map(|e| e.story)
        });
        let story = story.unwrap_or(id);
        self.remember(story, hash, links, at);
        story
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reposts_and_near_duplicates_share_a_fingerprint_and_others_do_not() {
        let a = simhash("Attention : faux SMS du SPF Finances qui promet un remboursement d'impôt de 312 euros, ne cliquez pas sur le lien");
        let rt = simhash("RT @citoyen: Attention : faux SMS du SPF Finances qui promet un remboursement d'impôt de 312 euros, ne cliquez pas sur le lien https://t.co/x");
        let near = simhash("Attention: faux SMS du SPF Finances qui promet un remboursement d'impôt de 312 €, ne cliquez pas sur le lien !!");
        let other = simhash("Le SPF Finances prolonge le délai de la déclaration fiscale jusqu'au 15 juillet pour les indépendants");
        assert!((a ^ rt).count_ones() <= 3, "{}", (a ^ rt).count_ones());
        assert!((a ^ near).count_ones() <= 12, "{}", (a ^ near).count_ones());
        assert!(
            (a ^ other).count_ones() > 12,
            "{}",
            (a ^ other).count_ones()
        );
    }

    #[test]
    fn a_shared_article_joins_posts_in_two_languages() {
        let own = vec!["finances.belgium.be".to_string()];
        let mut idx = StoryIndex::new(3, chrono::Duration::days(3));
        let t = Utc::now();
        let fr = story_links(
            None,
            "Panne de MyMinfin ce matin https://www.lesoir.be/article/123?utm_source=x",
            &own,
        );
        let nl = story_links(
            Some("https://lesoir.be/article/123/"),
            "Storing bij MyMinfin vanochtend",
            &own,
        );
        assert_eq!(fr, nl);
        let s1 = idx.assign(1, simhash("Panne de MyMinfin ce matin"), &fr, t);
        let s2 = idx.assign(2, simhash("Storing bij MyMinfin vanochtend"), &nl, t);
        assert_eq!((s1, s2), (1, 1));
        // The institution's own page and a bare home page join nothing.
        assert!(story_links(None, "voir https://finances.belgium.be/fr/faq", &own).is_empty());
        assert!(story_links(None, "voir https://www.lesoir.be/", &own).is_empty());
        let s3 = idx.assign(
            3,
            simhash("Un tout autre sujet sur la TVA des indépendants"),
            &[],
            t,
        );
        assert_eq!(s3, 3);
    }
}
