//! What classification says about a text: language-tagged input, sentiment, topics.

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
