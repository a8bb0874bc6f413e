//! Chooses and builds the configured classification backend.

use super::lexicon::{LexiconClassifier, Weights};
use super::Classifier;
use crate::config::Config;

/// Builds `[classifier] backend`: "lexicon" or, with the `bert` feature, "bert".
pub fn build(cfg: &Config) -> anyhow::Result<Box<dyn Classifier>> {
    match cfg.classifier.backend.as_str() {
        "lexicon" => Ok(Box::new(lexicon(cfg)?)),
        #[cfg(feature = "bert")]
        "bert" => {
            let dir = models_dir(cfg);
            Ok(Box::new(super::bert::BertClassifier::load(
                &dir,
                &cfg.classifier,
                &cfg.topics,
            )?))
        }
        other => anyhow::bail!("classifier backend {other:?} is not available in this build"),
    }
}

/// The lexicon backend with `[classifier] lexicon_weights`.
pub fn lexicon(cfg: &Config) -> anyhow::Result<LexiconClassifier> {
    let weights = Weights::parse(&cfg.classifier.lexicon_weights, |d| cfg.resolve(d));
    LexiconClassifier::with_weights(&weights)
        .map_err(|e| anyhow::anyhow!("classifier.lexicon_weights: {e}"))
}

/// `[classifier] models_dir`, relative to the config file.
pub fn models_dir(cfg: &Config) -> std::path::PathBuf {
    cfg.base_dir().join(&cfg.classifier.models_dir)
}
