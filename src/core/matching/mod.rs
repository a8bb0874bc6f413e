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

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    Word(String, usize),
    Phrase(String, usize),
    And(usize),
    Or(usize),
    Not(usize),
    Open(usize),
    Close(usize),
}

fn lex(q: &str) -> Result<Vec<Lex>, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |position: usize, message: &str| QueryError {
        query: q.to_string(),
        position,
        message: message.to_string(),
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Lex::Open(i));
            i += 1;
        } else if c == ')' {
            out.push(Lex::Close(i));
            i += 1;
        } else if c == '"' || c == '“' || c == '”' || c == '«' || c == '»' {
            let start = i;
            i += 1;
            let mut s = String::new();
            while i < chars.len() && !matches!(chars[i], '"' | '”' | '»' | '“') {
                s.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err(err(start, "unclosed quote"));
            }
            i += 1;
            out.push(Lex::Phrase(s, start));
        } else {
            let start = i;
            let mut s = String::new();
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | '"')
            {
                s.push(chars[i]);
                i += 1;
            }
            out.push(match s.as_str() {
                "AND" => Lex::And(start),
                "OR" => Lex::Or(start),
                "NOT" => Lex::Not(start),
                _ => Lex::Word(s, start),
            });
        }
    }
    Ok(out)
}

fn make_term(raw: &str, position: usize, query: &str) -> Result<Term, QueryError> {
    let (mark, body) = match raw.chars().next() {
        Some('@') => (Mark::Handle, &raw[1..]),
        Some('#') => (Mark::Hashtag, &raw[1..]),
        _ => (Mark::Word, raw),
    };
    let (prefix, body) = match body.strip_suffix('*') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let words: Vec<String> = text::tokens(body).into_iter().map(|t| t.text).collect();
    if words.is_empty() {
        return Err(QueryError {
            query: query.to_string(),
            position,
            message: format!("{raw:?} has no letters or digits to match"),
        });
    }
    Ok(Term {
        original: raw.to_string(),
        words,
        mark,
        prefix,
    })
}

struct Parser<'a> {
    toks: Vec<Lex>,
    pos: usize,
    query: &'a str,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> QueryError {
        let position = match self.toks.get(self.pos) {
            Some(Lex::Word(_, p) | Lex::Phrase(_, p))
            | Some(Lex::And(p) | Lex::Or(p) | Lex::Not(p) | Lex::Open(p) | Lex::Close(p)) => *p,
            None => self.query.chars().count(),
        };
        QueryError {
            query: self.query.to_string(),
            position,
            message: message.to_string(),
        }
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.and()?];
        while matches!(self.toks.get(self.pos), Some(Lex::Or(_))) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.toks.get(self.pos) {
                Some(Lex::And(_)) => {
                    self.pos += 1;
                    items.push(self.unary()?);
                }
                Some(Lex::Word(..) | Lex::Phrase(..) | Lex::Not(_) | Lex::Open(_)) => {
                    items.push(self.unary()?)
                }
                _ => break,
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        match self.toks.get(self.pos).cloned() {
            Some(Lex::Not(_)) => {
                self.pos += 1;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Some(Lex::Open(_)) => {
                self.pos += 1;
                let inner = self.or()?;
                match self.toks.get(self.pos) {
                    Some(Lex::Close(_)) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.err("missing closing parenthesis")),
                }
            }
            Some(Lex::Word(w, p)) => {
                self.pos += 1;
                Ok(Node::Term(make_term(&w, p, self.query)?))
            }
            Some(Lex::Phrase(w, p)) => {
                self.pos += 1;
                let mut t = make_term(&w, p, self.query)?;
                t.original = format!("\"{w}\"");
                Ok(Node::Term(t))
            }
            Some(_) => Err(self.err("expected a word, a \"phrase\", NOT or '('")),
            None => Err(self.err("the query ends where a word was expected")),
        }
    }
}

fn is_plain_list_entry(q: &str) -> bool {
    !q.contains(['"', '(', ')', '“', '«'])
        && !q
            .split_whitespace()
            .any(|w| matches!(w, "AND" | "OR" | "NOT"))
}

impl Query {
    /// Parses one keyword entry. A plain entry without operators is one phrase.
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        let trimmed = q.trim();
        if trimmed.is_empty() {
            return Err(QueryError {
                query: q.to_string(),
                position: 0,
                message: "empty query".into(),
            });
        }
        if is_plain_list_entry(trimmed) && trimmed.split_whitespace().count() > 1 {
            let mut t = make_term(trimmed, 0, q)?;
            t.original = trimmed.to_string();
            return Ok(Query {
                root: Node::Term(t),
            });
        }
        let mut p = Parser {
            toks: lex(trimmed)?,
            pos: 0,
            query: trimmed,
        };
        let root = p.or()?;
        if p.pos < p.toks.len() {
            return Err(p.err("unexpected token (a ')' without '(' ?)"));
        }
        Ok(Query { root })
    }

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

fn word_eq(tok: &Token, word: &str, prefix: bool) -> bool {
    if prefix {
        tok.text.starts_with(word)
    } else {
        tok.text == word
    }
}

fn term_matches(t: &Term, doc: &Doc) -> bool {
    let n = t.words.len();
    if doc.tokens.len() < n {
        return false;
    }
    'outer: for start in 0..=doc.tokens.len() - n {
        let first = &doc.tokens[start];
        if t.mark != Mark::Word && first.mark != t.mark {
            continue;
        }
        for (k, w) in t.words.iter().enumerate() {
            let last = k + 1 == n;
            if !word_eq(&doc.tokens[start + k], w, t.prefix && last) {
                continue 'outer;
            }
        }
        return true;
    }
    false
}

fn eval(node: &Node, doc: &Doc, hits: &mut Vec<String>) -> bool {
    match node {
        Node::Term(t) => {
            let ok = term_matches(t, doc);
            if ok && !hits.contains(&t.original) {
                hits.push(t.original.clone());
            }
            ok
        }
        Node::And(items) => {
            let mark = hits.len();
            for i in items {
                if !eval(i, doc, hits) {
                    hits.truncate(mark);
                    return false;
                }
            }
            true
        }
        Node::Or(items) => {
            let mut any = false;
            for i in items {
                any |= eval(i, doc, hits);
            }
            any
        }
        Node::Not(inner) => {
            let mut scratch = Vec::new();
            !eval(inner, doc, &mut scratch)
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
    fn parse_errors_point_at_the_problem() {
        for (q, msg) in [
            ("(MyTax OR", "the query ends"),
            ("MyTax)", "unexpected token"),
            ("\"open phrase", "unclosed quote"),
            ("MyTax AND", "the query ends"),
            ("OR MyTax", "expected a word"),
            ("@", "no letters"),
            ("   ", "empty"),
        ] {
            let e = Query::parse(q).unwrap_err();
            assert!(e.message.contains(msg), "{q:?}: {e}");
        }
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
