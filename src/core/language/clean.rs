//! What a language identifier should not read: the parts of a post that are written the
//! same in every language. Links, @handles, e-mail addresses, numbers and brand names
//! ("MyMinfin", "eBox", "itsme", the institution's own names) carry no language, or the
//! wrong one ("MyMinfin is down" is English, though "Minfin" looks Dutch). A hashtag loses
//! its `#` and is read as a word, unless it is a brand.

use std::collections::HashSet;

/// Names to drop, from the institution's keyword queries: each word of a query written
/// with a capital letter or as a handle or hashtag (its own names: "SPF", "Finances",
/// "MyMinfin", "@SPFFinances"). Lower-case keywords ("impôts") are ordinary words and stay.
pub fn names_from_keywords(keywords: &[String]) -> HashSet<String> {
    keywords
        .iter()
        .flat_map(|k| k.split(|c: char| c.is_whitespace() || "\"()".contains(c)))
        .filter(|w| !matches!(*w, "AND" | "OR" | "NOT" | ""))
        .filter(|w| w.starts_with(['@', '#']) || w.chars().any(char::is_uppercase))
        .map(|w| w.trim_start_matches(['@', '#']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// `text` without the words that carry no language, joined by single spaces.
pub fn for_identification(text: &str, names: &HashSet<String>) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if let Some(w) = keep(word, names) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    out
}

fn keep<'a>(word: &'a str, names: &HashSet<String>) -> Option<&'a str> {
    if word.starts_with('@') || is_link(word) || word.contains('@') {
        return None;
    }
    let w = word.trim_start_matches('#');
    let bare = w.trim_matches(|c: char| !c.is_alphanumeric());
    if bare.is_empty() {
        // Punctuation, emoji: harmless, and lingua reads "?" and "!" as nothing.
        return Some(w);
    }
    if bare.chars().any(|c| c.is_ascii_digit()) || is_brand(bare) {
        return None;
    }
    if !names.is_empty() && names.contains(&bare.to_lowercase()) {
        return None;
    }
    Some(w)
}

/// A web address: a scheme, "www.", or a dotted name ending in a short top-level domain
/// with letters only ("finances.belgium.be", "bit.ly/x"); "etc." and "z.B." are words.
fn is_link(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return true;
    }
    let core = word.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '/');
    let host = core.split('/').next().unwrap_or("");
    let mut parts = host.split('.');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    first.chars().count() >= 2
        && rest.last().is_some_and(|tld| {
            (2..=6).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_lowercase())
        })
        && (rest.len() >= 2 || core.contains('/') || host.len() >= 6)
}

/// A brand written with a capital right after a small letter ("MyMinfin", "eBox",
/// "iPhone", "BeTax"), but not a word in capitals ("URGENT", "SPF"), one capitalised
/// ("Belastingdienst") nor an abbreviation ("z.B.").
fn is_brand(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars
        .windows(2)
        .any(|w| w[0].is_lowercase() && w[1].is_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> HashSet<String> {
        names_from_keywords(&[
            "\"SPF Finances\"".into(),
            "@SPFFinances OR MyMinfin".into(),
            "impôts AND NOT fraude".into(),
        ])
    }

    #[test]
    fn names_are_the_capitalised_words_of_the_keywords() {
        let n = names();
        for w in ["spf", "finances", "spffinances", "myminfin"] {
            assert!(n.contains(w), "{w}");
        }
        assert!(!n.contains("impôts") && !n.contains("and") && !n.contains("fraude"));
    }

    #[test]
    fn links_handles_numbers_and_brands_go_and_hashtags_stay_as_words() {
        let n = names();
        assert_eq!(
            for_identification(
                "MyMinfin is down again @SPFFinances https://finances.belgium.be/fr #deadline 😡",
                &n
            ),
            "is down again #deadline 😡".replace('#', "")
        );
        assert_eq!(
            for_identification(
                "Tax-on-web plat sinds 8u, zie bit.ly/3xYz en mail info@fin.be",
                &n
            ),
            "Tax-on-web plat sinds zie en mail"
        );
        assert_eq!(
            for_identification(
                "Der eBox-Zugang geht nicht, z.B. heute. Danke SPF Finances",
                &n
            ),
            "Der geht nicht, z.B. heute. Danke"
        );
    }

    #[test]
    fn ordinary_words_are_kept() {
        let n = HashSet::new();
        let t = "Belastingdienst URGENT : le site est inaccessible, etc.";
        assert_eq!(for_identification(t, &n), t);
    }
}
