//! The lexicon backend: sentiment from openly licensed word lists (models/lexicon/,
//! compiled in so it starts in milliseconds with nothing to configure), with negation,
//! intensifiers, contrast ("but"), exclamation and emoji. The published polarities are
//! calibrated on labelled reviews (models/lexicon/calibrated/, scripts/calibrate.py).
//! A domain layer (models/lexicon/domain/) says what words, phrases, sarcasm and
//! questions mean in posts to a public administration, over the general lexicons.
//! Topics come from keywords (added by the stage), so this backend returns sentiment only.

mod context;
pub mod domain;
mod emoji;
mod scorer;
mod tokens;
mod weights;
mod words;

pub use scorer::{LexiconSentiment, Opinion, Opinions, NEUTRAL_BAND, POSITIVE_ABOVE};
pub use weights::Weights;

use super::{Classifier, ClassifyError, Input, Output};

/// The lexicons' languages, in the order that settles ties and unknown languages.
const LANGS: [&str; 4] = ["fr", "nl", "en", "de"];

/// The lexicon backend behind the [`Classifier`] trait.
#[derive(Debug, Clone, Default)]
pub struct LexiconClassifier {
    lexicon: LexiconSentiment,
    /// Names the weights in the model id ("" for the calibrated default).
    weights: String,
}

impl LexiconClassifier {
    /// Loads the lexicons with their calibrated polarities.
    pub fn new() -> LexiconClassifier {
        LexiconClassifier {
            lexicon: LexiconSentiment::new(),
            weights: String::new(),
        }
    }

    /// The lexicons it scores with.
    pub fn lexicon(&self) -> &LexiconSentiment {
        &self.lexicon
    }

    /// Loads the lexicons with the given polarities.
    pub fn with_weights(weights: &Weights) -> std::io::Result<LexiconClassifier> {
        Ok(LexiconClassifier {
            lexicon: LexiconSentiment::with_weights(weights)?,
            weights: match weights {
                Weights::Calibrated => String::new(),
                Weights::Published => "+published".into(),
                Weights::Dir(d) => format!(
                    "+{}",
                    d.file_name()
                        .map_or("custom".into(), |n| n.to_string_lossy())
                ),
            },
        })
    }

    /// Without the domain layer (`[classifier] lexicon_domain = false`): the general
    /// lexicons alone, to measure what the layer adds.
    pub fn without_domain(self) -> LexiconClassifier {
        LexiconClassifier {
            lexicon: self.lexicon.without_domain(),
            weights: format!("{}+nodomain", self.weights),
        }
    }
}

impl Classifier for LexiconClassifier {
    fn model_id(&self) -> String {
        format!("lexicon-{}{}", env!("CARGO_PKG_VERSION"), self.weights)
    }

    fn classify(&mut self, batch: &[Input]) -> Result<Vec<Output>, ClassifyError> {
        Ok(batch
            .iter()
            .map(|i| Output {
                sentiment: self.lexicon.sentiment(&i.text, i.lang.as_deref()),
                topics: Vec::new(),
            })
            .collect())
    }

    /// Tens of microseconds per text: batches of 16 would spend their time committing.
    fn preferred_batch(&self) -> Option<usize> {
        Some(LEXICON_BATCH)
    }
}

/// Mentions per batch, and per transaction of results, with the lexicon backend.
pub const LEXICON_BATCH: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::SentimentLabel::*;

    #[test]
    fn classifier_returns_one_output_per_input() {
        let mut c = LexiconClassifier::new();
        let out = c
            .classify(&[
                Input {
                    id: "1".into(),
                    text: "excellent".into(),
                    lang: Some("fr".into()),
                },
                Input {
                    id: "2".into(),
                    text: "".into(),
                    lang: None,
                },
            ])
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].sentiment.label, Neutral);
    }
}
