//! What a question is about, as terms: the concepts it names (one id in every language)
//! and the stems of its other content words. Read from `vocabulary.toml`.

use std::collections::{BTreeSet, HashSet};

use serde::Deserialize;

use crate::core::text::fold;

/// The bundled vocabulary (a tax administration's, with generic public-service terms).
const BUNDLED: &str = include_str!("vocabulary.toml");

/// Letters kept of a word that is not a concept: enough to tell "rembours" from
/// "rendez", few enough that "formulaire" and "formulier" meet.
const STEM: usize = 6;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    stop: std::collections::BTreeMap<String, Vec<String>>,
    concepts: Vec<ConceptEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptEntry {
    id: String,
    #[allow(dead_code)]
    why: String,
    words: Vec<String>,
}

/// Stop words and concepts, ready to read texts with.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    stop: HashSet<String>,
    /// Single words: (folded word, concept index, whether it matches word beginnings).
    words: Vec<(String, usize, bool)>,
    /// Phrases of several words (folded, space-separated), with their concept.
    phrases: Vec<(String, usize)>,
    ids: Vec<String>,
}

impl Vocabulary {
    /// The vocabulary that ships with vigie.
    pub fn bundled() -> Vocabulary {
        Vocabulary::parse(BUNDLED).expect("the bundled vocabulary is valid")
    }

    /// Also reads past these words (the institution's own names and handles, which
    /// nearly every question carries and which say nothing about what it asks).
    pub fn ignoring<'a>(mut self, texts: impl IntoIterator<Item = &'a String>) -> Vocabulary {
        for t in texts {
            for w in fold(t).split(|c: char| !c.is_alphanumeric()) {
                if !w.is_empty() && !matches!(w, "and" | "or" | "not") {
                    self.stop.insert(w.to_string());
                }
            }
        }
        self
    }

    /// Reads a vocabulary file's text.
    pub fn parse(text: &str) -> Result<Vocabulary, toml::de::Error> {
        let f: File = toml::from_str(text)?;
        let stop = f.stop.values().flatten().map(|w| fold(w)).collect();
        let mut words = Vec::new();
        let mut phrases = Vec::new();
        let mut ids = Vec::new();
        for (i, c) in f.concepts.into_iter().enumerate() {
            for w in c.words {
                let w = fold(&w);
                if w.contains(' ') {
                    phrases.push((w, i));
                } else {
                    // Short words match whole ("plat" is not "plateforme").
                    let prefix = w.chars().count() >= 5;
                    words.push((w, i, prefix));
                }
            }
            ids.push(c.id);
        }
        Ok(Vocabulary {
            stop,
            words,
            phrases,
            ids,
        })
    }

    /// The terms of a text: `c:<concept>` for each concept named, and the stems of the
    /// other content words (links, @handles and numbers under three digits left out).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let mut out = BTreeSet::new();
        let words: Vec<&str> = folded
            .split_whitespace()
            .filter(|w| !w.starts_with("http") && !w.starts_with('@') && !w.starts_with("www."))
            .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .collect();
        // Phrases first; their words are read no further.
        let mut rest = format!(" {} ", words.join(" "));
        for (p, c) in &self.phrases {
            let p = format!(" {p}");
            if rest.contains(&p) {
                out.insert(format!("c:{}", self.ids[*c]));
                rest = rest.replace(&p, " ");
            }
        }
        for w in rest.split_whitespace() {
            if let Some((_, c, _)) = self.words.iter().find(|(k, _, prefix)| {
                if *prefix {
                    w.starts_with(k.as_str())
                } else {
                    w == k
                }
            }) {
                out.insert(format!("c:{}", self.ids[*c]));
                continue;
            }
            let digits = w.chars().all(|c| c.is_ascii_digit());
            if (digits && w.len() >= 3)
                || (!digits && w.chars().count() >= 3 && !self.stop.contains(w))
            {
                out.insert(w.chars().take(STEM).collect());
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordings_and_languages_meet_on_concepts() {
        let v = Vocabulary::bundled();
        let a = v.terms("Quand vais-je recevoir mon remboursement ?");
        let b = v.terms("toujours pas de remboursement, c'est pour quand ?");
        let c = v.terms("Wanneer krijg ik mijn terugbetaling van @FODFin?");
        let d = v.terms("Still no tax refund, any news? https://example.org/x");
        for t in [&a, &b, &c] {
            assert_eq!(t, &vec!["c:refund".to_string()], "{t:?}");
        }
        assert_eq!(d, vec!["c:refund", "news", "tax"]);
        assert_eq!(
            v.terms("Comment changer mon mot de passe MyMinfin ?"),
            vec!["c:password", "change", "myminf"]
        );
        // A short word matches whole: a platform is not an outage.
        assert!(!v.terms("la plateforme").contains(&"c:outage".to_string()));
        assert!(v
            .terms("MyMinfin ligt plat")
            .contains(&"c:outage".to_string()));
    }

    #[test]
    fn a_vocabulary_file_with_an_unknown_key_is_refused() {
        assert!(Vocabulary::parse(
            "[stop]\nfr = []\n[[concepts]]\nid = \"x\"\nwhy = \"y\"\nwords = []\nextra = 1\n"
        )
        .is_err());
    }
}
