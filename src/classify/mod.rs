//! Classify: language, sentiment and topics for each mention.
//!
//! Backends sit behind the [`Classifier`] trait so that the daemon, `vigie classify`
//! and `vigie eval` drive the lexicon backend and the rust-bert backend the same way.
//! Inference is synchronous and CPU-bound: callers run it on a dedicated thread
//! (see `stage.rs`), never on the async runtime.

pub mod backend;
#[cfg(feature = "bert")]
pub mod bert;
pub mod config;
pub mod eval;
pub mod lexicon;
pub mod models;
pub mod stage;
pub use crate::core::classification::{
    Input, Output, Sentiment, SentimentLabel, Topic, TopicScore,
};
pub use backend::build;

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
