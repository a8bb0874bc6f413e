//! E-mail addresses, plain (`name@domain.be`, core's one pattern) or written to escape
//! harvesters: `name [at] domain [dot] be`, `name (at) domain.be`, `name at domain dot com`,
//! `name arobase domain point fr`, `naam apenstaartje domein punt be`.

use std::sync::LazyLock;

use regex::Regex;

use crate::core::privacy::email_pattern;

/// Top-level domains an obfuscated address may end with: a closed list, so "look at
/// this dot" or "meet at ten.thirty" is never taken for an address.
const TLDS: &[&str] = &[
    "be", "fr", "nl", "de", "lu", "ch", "at", "eu", "uk", "ie", "it", "es", "pt", "pl", "dk", "se",
    "no", "fi", "com", "net", "org", "info", "io", "biz", "edu", "gov", "me", "ma", "tn", "dz",
    "tr", "ca", "us",
];

/// An e-mail address found in a text.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// `name@domain`, whichever way it was written.
    pub address: String,
    /// "plain" or "obfuscated".
    pub how: &'static str,
    /// Where it is written.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

/// The obfuscated forms (the plain one is core's).
pub(super) struct Emails {
    obfuscated: Regex,
}

/// Cheap test before any real work: can `text` hold an e-mail address at all? True for
/// an `@`, a bracketed "at", and the "arobase"/"apenstaartje"/"klammeraffe" spellings;
/// for the bare "name at domain" form only when a dotted name or a " dot " follows.
pub(super) fn may_hold_email(text: &str) -> bool {
    text.contains('@') || may_be_obfuscated(text)
}

/// The obfuscated forms' own cheap test. No `\b` or Unicode class: with them the regex
/// engine leaves its fast automaton on any non-ASCII text, and this runs on every mention.
fn may_be_obfuscated(text: &str) -> bool {
    static HINT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i-u)[\[({<][ \t]*(?:at|@|arobase|apenstaartje|klammeraffe)[ \t]*[\])}>]|arobase|apenstaartje|klammeraffe|[a-z0-9][._][a-z0-9]+ at [a-z0-9]| at [a-z0-9-]+ (?:dot|punt|punkt|point) ",
        )
        .expect("static pattern")
    });
    HINT.is_match(text)
}

const AT: &str = r"[ \t]*(?:\[[ \t]*(?:at|@|ät|arobase|apenstaartje|klammeraffe)[ \t]*\]|\([ \t]*(?:at|@|ät|arobase|apenstaartje|klammeraffe)[ \t]*\)|\{[ \t]*at[ \t]*\}|<[ \t]*at[ \t]*>)[ \t]*|[ \t]+(?:at|arobase|apenstaartje|klammeraffe|ät)[ \t]+";
const DOT: &str = r"[ \t]*(?:\[[ \t]*(?:dot|punt|punkt|point|\.)[ \t]*\]|\([ \t]*(?:dot|punt|punkt|point|\.)[ \t]*\))[ \t]*|[ \t]+(?:dot|punt|punkt|point)[ \t]+|\.";

impl Emails {
    pub(super) fn new() -> Emails {
        Emails {
            obfuscated: Regex::new(&format!(
                r"(?i)(?-u:\b)(?P<local>[a-z0-9][a-z0-9._%+-]*)(?P<at>{AT})(?P<domain>[a-z0-9][a-z0-9-]*(?:(?:{DOT})[a-z0-9][a-z0-9-]*)+)(?-u:\b)"
            ))
            .expect("static pattern"),
        }
    }

    /// The first e-mail address in `text`, plain or obfuscated.
    pub(super) fn find(&self, text: &str) -> Option<Found> {
        let plain = email_pattern().find(text).map(|m| Found {
            address: m.as_str().to_string(),
            how: "plain",
            start: m.start(),
            end: m.end(),
        });
        let obfuscated = may_be_obfuscated(text)
            .then(|| self.obfuscated_iter(text).next())
            .flatten();
        match (plain, obfuscated) {
            (Some(p), Some(o)) => Some(if o.start < p.start { o } else { p }),
            (p, o) => p.or(o),
        }
    }

    /// Every e-mail address in `text`, plain or obfuscated, as byte ranges.
    pub(super) fn all(&self, text: &str) -> Vec<(usize, usize)> {
        email_pattern()
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .chain(
                may_be_obfuscated(text)
                    .then(|| self.obfuscated_iter(text).map(|f| (f.start, f.end)))
                    .into_iter()
                    .flatten(),
            )
            .collect()
    }

    fn obfuscated_iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Found> + 'a {
        self.obfuscated.captures_iter(text).filter_map(|c| {
            let whole = c.get(0)?;
            let local = c.name("local")?.as_str();
            let at = c.name("at")?.as_str();
            let domain_written = c.name("domain")?.as_str();
            let labels = split_domain(domain_written);
            let tld = labels.last()?.to_lowercase();
            if !TLDS.contains(&tld.as_str()) || labels.len() < 2 {
                return None;
            }
            // The bare word form ("name at domain.com") needs a dotted or numbered name,
            // or a spelled-out dot: "look at example.com" is not an address.
            let bare = !at.contains(['[', '(', '{', '<']);
            let spelled_dot = domain_written.len() > labels.join(".").len();
            if bare
                && at.trim().eq_ignore_ascii_case("at")
                && !spelled_dot
                && !local.contains(['.', '_', '-'])
                && !local.chars().any(|c| c.is_ascii_digit())
            {
                return None;
            }
            Some(Found {
                address: format!("{local}@{}", labels.join(".")).to_lowercase(),
                how: "obfuscated",
                start: whole.start(),
                end: whole.end(),
            })
        })
    }
}

/// The labels of a domain written with dots, "[dot]", "(punt)" or " dot ".
fn split_domain(written: &str) -> Vec<String> {
    static SEP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!("(?i)(?:{DOT})")).expect("static pattern"));
    SEP.split(written)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}
