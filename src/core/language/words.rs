//! Function words: the short words ("het", "the", "und", "c'est") that a post of three
//! words still has, and that tell its language where letter statistics cannot ("top
//! service vandaag"). The lists are data (`models/language/function-words.tsv`); a word
//! is listed under one language only when no other of the four uses it.

use std::collections::HashMap;

const DATA: &str = include_str!("../../../models/language/function-words.tsv");

/// French elision: "c'est", "j'ai", "l'impôt", "qu'il" (not Dutch "z'n", "m'n").
const ELIDED: &[&str] = &["c", "j", "l", "d", "qu", "n", "s", "m"];

/// Word → language, for the languages with a list.
#[derive(Debug, Clone)]
pub struct FunctionWords {
    words: HashMap<&'static str, &'static str>,
}

impl Default for FunctionWords {
    fn default() -> FunctionWords {
        FunctionWords::parse(DATA)
    }
}

impl FunctionWords {
    fn parse(data: &'static str) -> FunctionWords {
        let words = data
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .flat_map(|(lang, ws)| ws.split_whitespace().map(move |w| (w, lang)))
            .collect();
        FunctionWords { words }
    }

    /// Whether `lang` has a list.
    pub fn knows(&self, lang: &str) -> bool {
        self.words.values().any(|l| *l == lang)
    }

    /// The language of one word, if it is a listed function word.
    fn lang_of(&self, token: &str) -> Option<&'static str> {
        let t = token.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’');
        let t = t.trim_matches(['\'', '’']);
        if t.is_empty() {
            return None;
        }
        let lower;
        let t = if t.chars().any(|c| c.is_uppercase() || c == '’') {
            lower = t.to_lowercase().replace('’', "'");
            lower.as_str()
        } else {
            t
        };
        if let Some(l) = self.words.get(t) {
            return Some(l);
        }
        let (head, tail) = t.split_once('\'')?;
        let starts_vowel = tail
            .chars()
            .next()
            .is_some_and(|c| "aeiouyhéèêàâîôû".contains(c));
        (ELIDED.contains(&head) && starts_vowel).then_some("fr")
    }

    /// How many function words of each of `langs` the text has, in the order of `langs`.
    pub fn count(&self, text: &str, langs: &[String]) -> Vec<usize> {
        let mut counts = vec![0; langs.len()];
        for token in text.split_whitespace() {
            if let Some(l) = self.lang_of(token) {
                if let Some(i) = langs.iter().position(|x| x == l) {
                    counts[i] += 1;
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn four() -> Vec<String> {
        ["fr", "nl", "en", "de"].map(String::from).to_vec()
    }

    #[test]
    fn no_word_is_listed_under_two_languages() {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let mut langs = HashSet::new();
        for line in DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (lang, ws) = line.split_once('\t').expect("lang<TAB>words");
            langs.insert(lang);
            for w in ws.split_whitespace() {
                if let Some(other) = seen.insert(w, lang) {
                    assert_eq!(other, lang, "{w} listed under {other} and {lang}");
                }
                assert_eq!(w, w.to_lowercase(), "{w}");
            }
        }
        assert_eq!(langs, HashSet::from(["fr", "nl", "en", "de"]));
    }

    #[test]
    fn counts_function_words_per_language() {
        let w = FunctionWords::default();
        assert_eq!(
            w.count("top service vandaag, merci", &four()),
            vec![1, 0, 0, 0]
        );
        assert_eq!(
            w.count("Het werkt NIET, weer eens", &four()),
            vec![0, 4, 0, 0]
        );
        assert_eq!(
            w.count("C'est la 3e fois qu’il plante", &four()),
            vec![3, 0, 0, 0]
        );
        assert_eq!(w.count("m'n aangifte is weg", &four()), vec![0, 0, 0, 0]);
        assert_eq!(w.count("why is it down again?!", &four()), vec![0, 0, 3, 0]);
        assert_eq!(
            w.count("Geht schon wieder nicht.", &four()),
            vec![0, 0, 0, 4]
        );
        // Only the languages asked for are counted.
        assert_eq!(
            w.count("the app und die", &["fr".into(), "de".into()]),
            vec![0, 1]
        );
        assert!(w.knows("nl") && !w.knows("es"));
    }
}
