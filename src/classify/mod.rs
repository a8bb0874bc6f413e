//! Classify: language, sentiment and topics for each mention.
//!
//! Backends sit behind the [`Classifier`] trait so that the daemon, `vigie classify`
//! and `vigie eval` drive the lexicon backend and the rust-bert backend the same way.
//! Inference is synchronous and CPU-bound: callers run it on a dedicated thread
//! (see `stage.rs`), never on the async runtime.

pub mod backend;
#[cfg(feature = "bert")]
pub mod bert;
pub mod eval;
pub mod language;
pub mod lexicon;
pub mod models;
pub mod stage;
pub use backend::build;

use serde::{Deserialize, Serialize};

/// One text to classify.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Input {
    /// Caller's id, echoed back.
    pub id: String,
    /// The text (title and body already joined and cleaned).
    pub text: String,
    /// ISO 639-1 code when known (from whatlang or the caller's hint).
    #[serde(default)]
    pub lang: Option<String>,
}

/// Three-way polarity; every model's own labels map onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    /// Angry, worried, complaining.
    Negative,
    /// Factual or mixed.
    Neutral,
    /// Satisfied, thankful.
    Positive,
}

impl SentimentLabel {
    /// Lowercase name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }

    /// Parses "negative" | "neutral" | "positive" (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "negative" | "neg" => Some(SentimentLabel::Negative),
            "neutral" | "neu" => Some(SentimentLabel::Neutral),
            "positive" | "pos" => Some(SentimentLabel::Positive),
            _ => None,
        }
    }
}

/// Sentiment with the backend's confidence in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// The winning class.
    pub label: SentimentLabel,
    /// Confidence of that class, 0..=1.
    pub score: f32,
}

/// One topic assigned to a text, with its score in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicScore {
    /// The institution's own topic id (from `[[topics]] id`).
    pub id: String,
    /// 0..=1; keyword-forced topics score 1.0.
    pub score: f32,
}

/// What a backend says about one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// Polarity of the text.
    pub sentiment: Sentiment,
    /// Topics above the backend's threshold, best first.
    pub topics: Vec<TopicScore>,
}

/// Errors from a classification backend.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A model file named in the config is not on disk.
    #[error("model {name} is missing at {path}: run `vigie models fetch {name}`")]
    ModelMissing {
        /// Model name, as in `vigie models list`.
        name: String,
        /// Where it was looked for.
        path: String,
    },
    /// Loading or running the model failed.
    #[error("model {name}: {message}")]
    Model {
        /// Model name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// A classification backend. Implementations are synchronous and may be slow;
/// they are called from a dedicated thread with batches of inputs.
pub trait Classifier: Send {
    /// Name and version of the models that produced results, stored with each result.
    fn model_id(&self) -> String;

    /// Classifies a batch; returns exactly one output per input, in order.
    fn classify(&mut self, batch: &[Input]) -> Result<Vec<Output>, ClassifyError>;

    /// Sentence embeddings for similarity (stories, known claims), when the backend has them.
    fn embed(&mut self, _texts: &[String]) -> Option<Result<Vec<Vec<f32>>, ClassifyError>> {
        None
    }

    /// Mentions per batch (and so per transaction of results) this backend prefers;
    /// `None`: `[classifier] batch_size`, what a model runs at once (bert).
    fn preferred_batch(&self) -> Option<usize> {
        None
    }
}

/// One of the institution's topics (`[[topics]]` in the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Stable id used in JSON output and routing rules, e.g. "phishing".
    pub id: String,
    /// Display label per language code ("fr", "nl", "en", "de").
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Short English description, used as the NLI hypothesis by the bert backend.
    #[serde(default)]
    pub description: String,
    /// Keyword query (same syntax as `[institution] keywords`) that forces the topic.
    #[serde(default)]
    pub keywords: Vec<String>,
}
