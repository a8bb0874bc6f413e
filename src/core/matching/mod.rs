//! The keyword query language of `[institution] keywords` and `exclude`.
//!
//! Syntax: plain words, `"quoted phrases"`, `AND`, `OR`, `NOT` (upper case), parentheses,
//! `@handles`, `#hashtags` and a trailing `*` for prefixes (`belasting*`). Words next to each
//! other are ANDed. A keyword entry that has no operator, quote or parenthesis at all is
//! read as one phrase, because that is how people write keyword lists ("SPF Finances").
//!
//! Matching is case- and accent-insensitive on word boundaries: `Financiën` matches
//! "financien", `SPF` does not match "spfx". A plain word also matches the same word
//! written as a handle or hashtag; `@x` and `#x` match only handles and hashtags.

mod eval;
mod parse;

use self::eval::eval;
use crate::core::text::{self, Mark, Token};

/// One term of a query: a word, a phrase, or a prefix.
#[derive(Debug, Clone, PartialEq)]
struct Term {
    /// As written in the config, reported in `matched`.
    original: String,
    /// Folded words of the term (several for a phrase).
    words: Vec<String>,
    /// Restriction to handles or hashtags.
    mark: Mark,
    /// Last word matches as a prefix.
    prefix: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Term(Term),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// A parse error, with the position (in chars) where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {position} of {query:?}")]
pub struct QueryError {
    /// The query as written.
    pub query: String,
    /// 0-based char position.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

/// A compiled keyword query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    root: Node,
}

impl Query {
    /// Returns the terms that made the query match, or None when it does not match.
    pub fn matches(&self, doc: &Doc) -> Option<Vec<String>> {
        let mut hits = Vec::new();
        if eval(&self.root, doc, &mut hits) {
            hits.dedup();
            Some(hits)
        } else {
            None
        }
    }
}

/// A text prepared once for matching against many queries.
#[derive(Debug, Clone)]
pub struct Doc {
    tokens: Vec<Token>,
}

impl Doc {
    /// Tokenises the text (folding case and accents).
    pub fn new(text: &str) -> Doc {
        Doc {
            tokens: text::tokens(text),
        }
    }
}

/// The institution's whole filter: any keyword entry matches and no exclusion does.
#[derive(Debug, Clone)]
pub struct Matcher {
    keywords: Vec<Query>,
    exclude: Vec<Query>,
}

impl Matcher {
    /// Compiles keyword and exclusion entries; returns every parse error with its list index.
    pub fn new(
        keywords: &[String],
        exclude: &[String],
    ) -> Result<Matcher, Vec<(String, QueryError)>> {
        let mut errors = Vec::new();
        let mut compile = |list: &[String], key: &str| {
            list.iter()
                .enumerate()
                .filter_map(|(i, q)| match Query::parse(q) {
                    Ok(q) => Some(q),
                    Err(e) => {
                        errors.push((format!("{key}[{i}]"), e));
                        None
                    }
                })
                .collect::<Vec<_>>()
        };
        let keywords = compile(keywords, "keywords");
        let exclude = compile(exclude, "exclude");
        if errors.is_empty() {
            Ok(Matcher { keywords, exclude })
        } else {
            Err(errors)
        }
    }

    /// Matched terms when the text is a mention of the institution, None otherwise.
    pub fn check(&self, text: &str) -> Option<Vec<String>> {
        let doc = Doc::new(text);
        if self.exclude.iter().any(|q| q.matches(&doc).is_some()) {
            return None;
        }
        let mut matched: Vec<String> = Vec::new();
        for q in &self.keywords {
            if let Some(hits) = q.matches(&doc) {
                for h in hits {
                    if !matched.contains(&h) {
                        matched.push(h);
                    }
                }
            }
        }
        if matched.is_empty() {
            None
        } else {
            Some(matched)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(q: &str, text: &str) -> Option<Vec<String>> {
        Query::parse(q).unwrap().matches(&Doc::new(text))
    }

    #[test]
    fn table() {
        // (query, text, expected match)
        let cases: &[(&str, &str, bool)] = &[
            // accents and case, fr/nl/en
            ("Financiën", "De FOD financien antwoordt niet", true),
            ("financien", "De FOD Financiën antwoordt niet", true),
            ("impôts", "Les IMPOTS en ligne sont en panne", true),
            ("Impots", "Le site des impôts est en panne", true),
            ("déclaration", "Declaration deadline tomorrow", true),
            // word boundaries
            ("SPF", "le SPF répond", true),
            ("SPF", "spfx plugin", false),
            ("SPF", "SPF-Finances", true),
            ("tax", "taxation rules", false),
            ("tax*", "taxation rules", true),
            ("belasting*", "De belastingdienst zegt", true),
            // phrases
            ("\"SPF Finances\"", "Le SPF Finances confirme", true),
            ("\"SPF Finances\"", "Le SPF des Finances confirme", false),
            ("SPF Finances", "le spf-finances confirme", true),
            ("FOD Financiën", "FOD Financien: aangifte", true),
            ("\"tax on web\"", "Tax-on-web is down again", true),
            // boolean operators
            ("MyTax AND panne", "MyTax est en panne", true),
            ("MyTax AND panne", "MyTax fonctionne", false),
            // a plain entry is a phrase; inside an expression, neighbours are ANDed
            ("MyTax panne", "panne chez MyTax", false),
            ("MyTax panne", "MyTax panne encore", true),
            ("(MyTax panne) OR storing", "panne chez MyTax", true),
            ("MyTax OR Tax-on-web", "tax on web down", true),
            (
                "(panne OR storing) AND MyTax",
                "MyTax ligt plat, storing",
                true,
            ),
            ("(panne OR storing) AND MyTax", "MyTax werkt", false),
            ("MyTax NOT concours", "MyTax: concours photo", false),
            ("MyTax NOT concours", "MyTax en panne", true),
            ("NOT sport AND impôts", "impôts et sport", false),
            (
                "impôts AND NOT (France OR Maroc)",
                "impôts en France",
                false,
            ),
            (
                "impôts AND NOT (France OR Maroc)",
                "impôts en Belgique",
                true,
            ),
            // handles and hashtags
            ("@SPFImpots", "merci @SPFImpots !", true),
            ("@SPFImpots", "merci SPFImpots !", false),
            ("SPFImpots", "merci @spfimpots !", true),
            ("#MyTax", "encore en panne #mytax", true),
            ("#MyTax", "encore en panne MyTax", false),
            ("MyTax", "encore en panne #MyTax", true),
            // english
            (
                "\"Federal Tax Service\" OR FTS",
                "The federal tax service said",
                true,
            ),
            (
                "refund AND (scam OR phishing)",
                "Refund SMS is a phishing scam",
                true,
            ),
        ];
        for (q, text, expect) in cases {
            assert_eq!(m(q, text).is_some(), *expect, "query {q:?} on {text:?}");
        }
    }

    #[test]
    fn matched_terms_are_reported_but_not_negated_ones() {
        assert_eq!(
            m(
                "(MyTax OR \"tax on web\") AND NOT test",
                "MyTax and Tax-on-web"
            ),
            Some(vec!["MyTax".to_string(), "\"tax on web\"".to_string()])
        );
        assert_eq!(m("a AND b", "only a"), None);
    }

    #[test]
    fn matcher_applies_exclusions_and_collects_terms() {
        let kw = vec![
            "SPF Impôts".to_string(),
            "FOD Belastingen".to_string(),
            "MyTax".to_string(),
        ];
        let ex = vec!["\"impôts en France\"".to_string()];
        let m = Matcher::new(&kw, &ex).unwrap();
        assert_eq!(
            m.check("Le SPF Impots et MyTax"),
            Some(vec!["SPF Impôts".to_string(), "MyTax".to_string()])
        );
        assert_eq!(m.check("MyTax: les impôts en France augmentent"), None);
        assert_eq!(m.check("rien à voir"), None);
        let err = Matcher::new(&["(a".to_string()], &["b)".to_string()]).unwrap_err();
        assert_eq!(err.len(), 2);
        assert_eq!(err[0].0, "keywords[0]");
        assert_eq!(err[1].0, "exclude[0]");
    }
}
