//! `[classifier]`: which backend, its models and batches.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::core::config::humantime_serde_compat;

/// `[classifier]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierConfig {
    /// "lexicon" (default, no libtorch) or "bert" (cargo feature `bert`).
    #[serde(default = "default_backend")]
    pub backend: String,
    /// Largest batch handed to the model (bert; the lexicon backend takes its own, 500).
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Longest wait to fill a batch, e.g. "200ms".
    #[serde(default = "default_max_wait", with = "humantime_serde_compat")]
    pub max_wait: Duration,
    /// Folder holding the models (relative to the config file).
    #[serde(default = "default_models_dir")]
    pub models_dir: String,
    /// Model names per task, as in `vigie models list`: `sentiment`, `topics` (NLI) and
    /// `embeddings` (bert backend).
    #[serde(default)]
    pub models: BTreeMap<String, String>,
    /// Zero-shot topics: minimum entailment score for a topic to be kept (bert backend).
    #[serde(default = "default_topic_threshold")]
    pub topic_threshold: f32,
    /// Zero-shot topics: the NLI hypothesis, `{}` standing for the topic's description.
    #[serde(default = "default_hypothesis")]
    pub hypothesis: String,
    /// Lexicon backend: "calibrated" (default: the published lexicons with the polarities
    /// calibrated on labelled reviews), "published" (the lexicons as published), or a
    /// folder of `LANG.tsv` files written by scripts/calibrate.py (relative to the config).
    #[serde(default = "default_lexicon_weights")]
    pub lexicon_weights: String,
    /// Lexicon backend: read posts with the domain layer (models/lexicon/domain/: service
    /// failures, indignation, thanks, sarcasm, questions) over the general lexicons
    /// (default true; false gives the general lexicons alone, to compare).
    #[serde(default = "default_true")]
    pub lexicon_domain: bool,
}

fn default_true() -> bool {
    true
}

fn default_lexicon_weights() -> String {
    "calibrated".into()
}

fn default_topic_threshold() -> f32 {
    0.5
}
fn default_hypothesis() -> String {
    "This text is about {}.".into()
}

fn default_backend() -> String {
    "lexicon".into()
}
fn default_batch() -> usize {
    16
}
fn default_max_wait() -> Duration {
    Duration::from_millis(200)
}
fn default_models_dir() -> String {
    "../models".into()
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            backend: default_backend(),
            batch_size: default_batch(),
            max_wait: default_max_wait(),
            models_dir: default_models_dir(),
            models: BTreeMap::new(),
            topic_threshold: default_topic_threshold(),
            hypothesis: default_hypothesis(),
            lexicon_weights: default_lexicon_weights(),
            lexicon_domain: true,
        }
    }
}
