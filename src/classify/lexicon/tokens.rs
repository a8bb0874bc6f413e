//! Splitting a text into the folded words the lexicon scores.

use crate::core::text::fold;

/// Folded words; elisions (l', d', qu', n') split off; apostrophes inside English
/// contractions dropped (don't -> dont); hyphenated compounds kept whole ("ill-conceived",
/// split later if the lexicon does not know them). Punctuation becomes a break token that
/// negation does not reach across: "?" after a question, "." after a sentence (. or !),
/// "|" after a clause (, ; : and brackets).
pub(super) fn tokens(text: &str) -> Vec<String> {
    fn push_word(out: &mut Vec<String>, raw: &str) {
        let w = raw.replace('’', "'");
        let w = w.trim_matches('\'');
        if w.is_empty() {
            return;
        }
        match w.split_once('\'') {
            Some((head, tail)) if head.len() <= 3 && !tail.is_empty() && tail != "t" => {
                out.push(head.to_string());
                out.push(tail.replace('\'', ""));
            }
            _ => out.push(w.replace('\'', "")),
        }
    }
    let mut out = Vec::new();
    let mut word = String::new();
    let folded = fold(text);
    let mut chars = folded.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        let inner_hyphen =
            c == '-' && prev.is_alphanumeric() && chars.peek().is_some_and(|n| n.is_alphanumeric());
        prev = c;
        if c.is_alphanumeric() || c == '\'' || c == '’' || inner_hyphen {
            word.push(c);
            continue;
        }
        push_word(&mut out, &word);
        word.clear();
        match c {
            ',' | ';' | ':' | '(' | ')' => out.push("|".to_string()),
            '.' | '!' => out.push(".".to_string()),
            '?' => out.push("?".to_string()),
            _ => {}
        }
    }
    push_word(&mut out, &word);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_elisions_and_keep_contractions() {
        assert_eq!(
            tokens("L'attente n'est pas finie"),
            vec!["l", "attente", "n", "est", "pas", "finie"]
        );
        assert_eq!(
            tokens("pas bon, mauvais. Non ?"),
            vec!["pas", "bon", "|", "mauvais", ".", "non", "?"]
        );
        assert_eq!(tokens("It doesn't work"), vec!["it", "doesnt", "work"]);
        assert_eq!(
            tokens("an ill-conceived -- 'synthetic' film"),
            vec!["an", "ill-conceived", "synthetic", "film"]
        );
    }
}
