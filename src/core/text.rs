//! Text helpers shared by matching, dedup and classification: accent/case folding,
//! tokenisation on word boundaries, and HTML-to-text.

use unicode_normalization::UnicodeNormalization;

/// Lowercases and strips diacritics so that "Financiën" and "financien" compare equal.
/// Ligatures common in French (œ, æ) and German ß are expanded.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        // ASCII decomposes to itself: the common case skips the normaliser. Decomposing
        // char by char gives what NFD of the whole string gives once the combining marks,
        // the only thing NFD reorders, are dropped.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        for c in std::iter::once(c).nfd() {
            if unicode_normalization::char::is_combining_mark(c) {
                continue;
            }
            match c {
                'œ' | 'Œ' => out.push_str("oe"),
                'æ' | 'Æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                _ => out.extend(c.to_lowercase()),
            }
        }
    }
    out
}

/// Which prefix a token carried in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A plain word.
    Word,
    /// `@handle`
    Handle,
    /// `#hashtag`
    Hashtag,
}

/// One folded word of a text, with the prefix it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded text (lowercase, no accents).
    pub text: String,
    /// `@`, `#` or nothing.
    pub mark: Mark,
}

/// Splits a text into folded tokens on word boundaries. A word is a run of letters,
/// digits or `_`; a `@` or `#` right before a word marks it as a handle or hashtag.
pub fn tokens(s: &str) -> Vec<Token> {
    let folded = fold(s);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut mark = Mark::Word;
    let mut pending = Mark::Word;
    for c in folded.chars() {
        if c.is_alphanumeric() || c == '_' {
            if cur.is_empty() {
                mark = pending;
            }
            cur.push(c);
        } else {
            if !cur.is_empty() {
                out.push(Token {
                    text: std::mem::take(&mut cur),
                    mark,
                });
            }
            pending = match c {
                '@' => Mark::Handle,
                '#' => Mark::Hashtag,
                _ => Mark::Word,
            };
        }
    }
    if !cur.is_empty() {
        out.push(Token { text: cur, mark });
    }
    out
}

/// Reduces an HTML fragment to clean text: tags dropped, entities decoded,
/// block elements turned into line breaks, runs of blank space collapsed.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return collapse_ws(html);
    }
    let width = 100_000; // no hard wrapping: we want paragraphs, not a terminal layout
    let text = html2text::config::with_decorator(
        html2text::render::text_renderer::TrivialDecorator::new(),
    )
    .string_from_read(html.as_bytes(), width)
    .unwrap_or_else(|_| html.to_string());
    collapse_ws(&text)
}

/// Collapses whitespace: single spaces inside lines, at most one blank line between paragraphs.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(&line);
    }
    out
}

/// A string safe to print on a terminal line: control characters (newlines, escape
/// sequences) are shown escaped (`\n`, `\u{1b}`), so a title cannot forge a line or move
/// the cursor.
pub fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `s` is an http(s) address: the only links vigie stores or renders (a
/// `javascript:` or `data:` link in a page or an HTML e-mail runs in the reader's hands).
pub fn is_web_link(s: &str) -> bool {
    url::Url::parse(s.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Cuts a string to at most `max` bytes on a char boundary, adding "…" when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (#14): feed links other than http(s) were stored and rendered as `href`.
    #[test]
    fn only_http_links_are_web_links() {
        assert!(is_web_link("https://www.lesoir.be/article/551"));
        assert!(is_web_link(" http://example.org "));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<script>x</script>",
            "JaVaScRiPt:alert(1)",
            "file:///etc/passwd",
            "not a link",
            "",
        ] {
            assert!(!is_web_link(bad), "{bad}");
        }
    }

    /// Regression (#14): `vigie mentions` printed terminal escape sequences unescaped.
    #[test]
    fn printable_escapes_control_characters() {
        assert_eq!(printable("MyTax en panne"), "MyTax en panne");
        assert_eq!(
            printable("a\nlogged in user=admin\u{1b}[2J"),
            "a\\nlogged in user=admin\\u{1b}[2J"
        );
    }

    /// `fold` as first written: NFD of the whole string, then marks dropped.
    fn fold_whole(s: &str) -> String {
        let mut out = String::new();
        for c in s.nfd() {
            if unicode_normalization::char::is_combining_mark(c) {
                continue;
            }
            match c {
                'œ' | 'Œ' => out.push_str("oe"),
                'æ' | 'Æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                _ => out.extend(c.to_lowercase()),
            }
        }
        out
    }

    #[test]
    fn fold_char_by_char_equals_fold_of_the_whole_string() {
        for s in [
            "SPF Impôts / FOD Financiën / FÖD Steuern, MyTax @SPFImpots #MyTax",
            "Œuvre, cæcum, Straße, ÆØÅ, İstanbul, ΣΊΣΥΦΟΣ, Ǆemal, ﬁnance, Ⅻ",
            "e\u{301}te\u{301} a\u{323}\u{302} q\u{307}\u{323} \u{1e09}\u{304} 한국어 日本語 😡👍",
            "",
        ] {
            assert_eq!(fold(s), fold_whole(s), "{s}");
        }
    }

    #[test]
    fn folds_accents_case_and_ligatures() {
        assert_eq!(fold("Financiën"), "financien");
        assert_eq!(fold("IMPÔTS"), "impots");
        assert_eq!(fold("Œuvre"), "oeuvre");
        assert_eq!(fold("Straße"), "strasse");
    }

    #[test]
    fn tokens_keep_marks_and_split_on_punctuation() {
        let t = tokens("L'@SPFImpots dit: #MyTax ligt plat! SPF-Finances, spfx.");
        let words: Vec<_> = t.iter().map(|t| (t.text.as_str(), t.mark)).collect();
        assert_eq!(
            words,
            vec![
                ("l", Mark::Word),
                ("spfimpots", Mark::Handle),
                ("dit", Mark::Word),
                ("mytax", Mark::Hashtag),
                ("ligt", Mark::Word),
                ("plat", Mark::Word),
                ("spf", Mark::Word),
                ("finances", Mark::Word),
                ("spfx", Mark::Word),
            ]
        );
    }

    #[test]
    fn html_is_reduced_to_clean_text() {
        let t = html_to_text("<p>La panne de <a href=\"x\">MyTax</a> &amp; l&#39;attente.</p><p>Deuxi&egrave;me<br>ligne</p><img src=x>");
        assert_eq!(t, "La panne de MyTax & l'attente.\n\nDeuxième\nligne");
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("déclaration", 2), "d…");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
