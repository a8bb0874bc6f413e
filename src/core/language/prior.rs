//! What is known of a text's language before lingua reads it: the feed's declared
//! language and the function words found in it, as weights on lingua's confidences.

use lingua::LanguageDetector;

use super::{codes, Identified};

/// How much more likely the declared language is taken to be than another.
const DECLARED: f64 = 3.0;
/// How much more likely each function word of a language makes that language.
const PER_WORD: f64 = 4.0;

/// The priors for one text.
pub(super) struct Priors<'a> {
    hint: Option<&'a str>,
    langs: &'a [String],
    counts: &'a [usize],
}

impl<'a> Priors<'a> {
    /// `counts[i]`: the function words of `langs[i]` in the text (empty: none counted).
    pub fn new(hint: Option<&'a str>, langs: &'a [String], counts: &'a [usize]) -> Priors<'a> {
        Priors {
            hint,
            langs,
            counts,
        }
    }

    /// The language with most function words, if it has more than any other: (language,
    /// its count, the next count).
    pub fn leader(&self) -> Option<(&'a str, usize, usize)> {
        let (best, &n) = self.counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
        let second = (self.counts.iter().enumerate())
            .filter(|(i, _)| *i != best)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        (n > second).then(|| (self.langs[best].as_str(), n, second))
    }

    fn weight(&self, code: &str) -> f64 {
        let declared = if self.hint == Some(code) {
            DECLARED
        } else {
            1.0
        };
        let words = (self.langs.iter().position(|l| l == code))
            .and_then(|i| self.counts.get(i))
            .map_or(0, |n| *n);
        declared * PER_WORD.powi(words.min(8) as i32)
    }

    /// lingua's relative confidences, weighted by the priors.
    pub fn lingua(&self, lingua: &LanguageDetector, text: &str) -> Identified {
        let values = lingua.compute_language_confidence_values(text);
        let weighted: Vec<(&str, f64)> = values
            .iter()
            .map(|(l, v)| {
                let code = codes::code_of_lingua(*l);
                (code, v * self.weight(code))
            })
            .collect();
        let total: f64 = weighted.iter().map(|(_, v)| v).sum();
        if total <= 0.0 {
            return self
                .hint
                .map_or_else(Identified::unknown, |h| Identified::new(h, 0.5));
        }
        weighted
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or_else(Identified::unknown, |(code, v)| {
                Identified::new(code, v / total)
            })
    }
}
