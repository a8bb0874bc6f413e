//! Citizens' personal data: which pieces of a mention identify its author (name, handle,
//! e-mail), and one way to mask or erase them wherever a copy of them was made (signal
//! reasons, escalation reasons, notes, answers, e-mails).

use std::sync::OnceLock;

use regex::Regex;

/// What erased personal data is replaced with.
pub const ERASED: &str = "[erased]";

/// Pieces shorter than this are not searched for: they would match inside ordinary words.
const MIN_PIECE: usize = 3;

/// URL path segments after which a social network puts the account's handle.
const HANDLE_AFTER: &[&str] = &["profile", "user", "users", "u", "channel", "c", "author"];

/// Masks a name or element for readers who may not see it: keeps the first letter of
/// each word (`John Smith` → `J*** S****`).
pub fn mask(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => format!("{f}{}", "*".repeat(c.count().min(6))),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An e-mail address written in a text (the one pattern vigie uses for them).
pub fn email_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b").expect("a valid pattern")
    })
}

/// E-mail addresses written in `text`.
pub fn emails(text: &str) -> Vec<String> {
    email_pattern()
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Handles in a link's path: `/@jan`, `/@jan@host`, `/profile/jan.bsky.social`,
/// `/user/jan`, `/u/jan`, `/users/jan`, `/channel/UC…`.
pub fn handles_in_url(link: &str) -> Vec<String> {
    let Ok(u) = url::Url::parse(link) else {
        return Vec::new();
    };
    let segments: Vec<String> = u
        .path_segments()
        .map(|s| {
            s.map(|p| {
                percent_decode(p)
                    .trim_start_matches('@')
                    .split('@')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
        })
        .unwrap_or_default();
    let raw: Vec<&str> = u.path_segments().map(|s| s.collect()).unwrap_or_default();
    let mut out = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let after_keyword = i > 0 && HANDLE_AFTER.contains(&raw[i - 1].to_lowercase().as_str());
        if (raw[i].starts_with('@') || raw[i].starts_with("%40") || after_keyword)
            && seg.chars().count() >= MIN_PIECE
        {
            out.push(seg.clone());
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// The pieces identifying a mention's author: the author as given (and without a
/// leading `@`), handles in its link, e-mail addresses in its title and text.
pub fn pieces(author: Option<&str>, url: Option<&str>, title: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = author.map(str::trim).filter(|a| !a.is_empty()) {
        out.push(a.to_string());
        out.push(a.trim_start_matches('@').to_string());
    }
    if let Some(u) = url {
        out.extend(handles_in_url(u));
    }
    out.extend(emails(title));
    out.extend(emails(text));
    normalise(out)
}

/// Longest first (so `@jan.peeters` goes before `jan`), without duplicates or pieces
/// too short to search for.
pub fn normalise(mut pieces: Vec<String>) -> Vec<String> {
    pieces.retain(|p| p.chars().count() >= MIN_PIECE);
    pieces.sort_by(|a, b| {
        b.chars()
            .count()
            .cmp(&a.chars().count())
            .then_with(|| a.cmp(b))
    });
    pieces.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
    pieces
}

/// Pieces compiled once (case-insensitive), to scrub many strings with them.
#[derive(Debug, Clone)]
pub struct Scrubber {
    patterns: Vec<Regex>,
}

impl Scrubber {
    /// For these pieces, in their order (longest first after [`normalise`]).
    pub fn new(pieces: &[String]) -> Scrubber {
        Scrubber {
            patterns: pieces
                .iter()
                .filter_map(|p| Regex::new(&format!("(?i){}", regex::escape(p))).ok())
                .collect(),
        }
    }

    /// `text` with every piece replaced by `with(piece as written)`.
    pub fn scrub(&self, text: &str, with: impl Fn(&str) -> String) -> String {
        let mut out = text.to_string();
        for re in &self.patterns {
            out = re
                .replace_all(&out, |c: &regex::Captures| with(&c[0]))
                .into_owned();
        }
        out
    }
}

/// Whether `text` holds any of the pieces (case-insensitive).
pub fn holds(text: &str, pieces: &[String]) -> bool {
    let lower = text.to_lowercase();
    pieces.iter().any(|p| lower.contains(&p.to_lowercase()))
}

/// What an erased mention keeps of its link: the site (`https://host/`), which says
/// where it was said without pointing at whom.
pub fn site_of(link: &str) -> Option<String> {
    let u = url::Url::parse(link).ok()?;
    let host = u.host_str()?;
    Some(format!("{}://{host}/", u.scheme()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_first_letters() {
        assert_eq!(mask("John Smith"), "J*** S****");
        assert_eq!(mask("@mariedupont"), "@******");
    }

    #[test]
    fn handles_are_found_in_social_links() {
        let cases = [
            ("https://mastodon.social/@jan_p/1234", vec!["jan_p"]),
            ("https://mastodon.social/@jan_p@other.org/1", vec!["jan_p"]),
            (
                "https://bsky.app/profile/jan.bsky.social/post/3k",
                vec!["jan.bsky.social"],
            ),
            ("https://www.reddit.com/user/JanP/comments/x", vec!["JanP"]),
            ("https://example.org/users/marie/statuses/9", vec!["marie"]),
            ("https://news.example/2026/12/tax-deadline", vec![]),
            ("not a link", vec![]),
        ];
        for (link, want) in cases {
            assert_eq!(handles_in_url(link), want, "{link}");
        }
    }

    #[test]
    fn pieces_are_longest_first_and_unique() {
        let p = pieces(
            Some("@Marie_Dupont"),
            Some("https://social.example/@marie_dupont/1"),
            "",
            "écrivez-moi: marie.dupont@example.be",
        );
        assert_eq!(
            p,
            vec!["marie.dupont@example.be", "@Marie_Dupont", "Marie_Dupont"]
        );
    }

    #[test]
    fn scrub_is_case_insensitive_and_leaves_the_rest() {
        let p = normalise(vec!["Marie Dupont".into(), "mdupont".into()]);
        let s = Scrubber::new(&p).scrub("a post by MARIE DUPONT (@mdupont), angry", |_| {
            ERASED.into()
        });
        assert_eq!(s, "a post by [erased] (@[erased]), angry");
        assert!(holds("hi Marie dupont", &p));
        assert!(!holds("hi Marie", &p));
        assert_eq!(Scrubber::new(&[]).scrub("x", |_| String::new()), "x");
    }

    #[test]
    fn erased_links_keep_their_site() {
        assert_eq!(
            site_of("https://mastodon.social/@jan/1?x=2").as_deref(),
            Some("https://mastodon.social/")
        );
        assert_eq!(site_of("javascript:alert(1)"), None);
    }
}
