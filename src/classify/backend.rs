//! Chooses and builds the configured classification backend.

use super::Classifier;
use crate::config::Config;

/// Builds `[classifier] backend`: "lexicon" or, with the `bert` feature, "bert".
pub fn build(cfg: &Config) -> anyhow::Result<Box<dyn Classifier>> {
    match cfg.classifier.backend.as_str() {
        "lexicon" => Ok(Box::new(super::lexicon::LexiconClassifier::new())),
        other => anyhow::bail!("classifier backend {other:?} is not available in this build"),
    }
}
