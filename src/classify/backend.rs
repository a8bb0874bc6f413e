//! Chooses and builds the configured classification backend.

use std::path::{Path, PathBuf};

use super::config::ClassifierConfig;
use super::lexicon::{LexiconClassifier, Weights};
use super::Classifier;
use crate::core::classification::Topic;

/// Builds `[classifier] backend`: "lexicon" or, with the `bert` feature, "bert".
/// Relative paths are resolved against `base`, the config file's folder.
pub fn build(
    cfg: &ClassifierConfig,
    topics: &[Topic],
    base: &Path,
) -> anyhow::Result<Box<dyn Classifier>> {
    let _ = topics;
    match cfg.backend.as_str() {
        "lexicon" => Ok(Box::new(lexicon(cfg, base)?)),
        #[cfg(feature = "bert")]
        "bert" => Ok(Box::new(super::bert::BertClassifier::load(
            &models_dir(cfg, base),
            cfg,
            topics,
        )?)),
        other => anyhow::bail!("classifier backend {other:?} is not available in this build"),
    }
}

/// The lexicon backend with `[classifier] lexicon_weights` and `lexicon_domain`.
pub fn lexicon(cfg: &ClassifierConfig, base: &Path) -> anyhow::Result<LexiconClassifier> {
    let weights = Weights::parse(&cfg.lexicon_weights, |d| resolve(base, d));
    let lexicon = LexiconClassifier::with_weights(&weights)
        .map_err(|e| anyhow::anyhow!("classifier.lexicon_weights: {e}"))?;
    Ok(if cfg.lexicon_domain {
        lexicon
    } else {
        lexicon.without_domain()
    })
}

/// `[classifier] models_dir`, relative to the config file.
pub fn models_dir(cfg: &ClassifierConfig, base: &Path) -> PathBuf {
    resolve(base, &cfg.models_dir)
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}
