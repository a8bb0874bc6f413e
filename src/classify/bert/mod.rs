//! The `bert` backend: rust-bert models on libtorch (cargo feature `bert`).
//!
//! - sentiment: a sequence-classification model whose own labels (3 classes, or 1–5
//!   stars) are mapped onto negative / neutral / positive by summing probabilities;
//! - topics: zero-shot NLI, multi-label: each (text, "This text is about {topic}.") pair
//!   scores softmax(entailment, contradiction), as Hugging Face's zero-shot pipeline does
//!   with `multi_label=True`;
//! - embeddings: mean-pooled sentence embeddings (for stories and known claims).

pub mod encoder;

use std::path::Path;

use crate::classify::config::ClassifierConfig;
use crate::classify::models::Task;
use crate::classify::{
    Classifier, ClassifyError, Input, Output, Sentiment, SentimentLabel, Topic, TopicScore,
};
pub use encoder::Encoder;

/// Maps a model's label onto a polarity: from the manifest, else from the label's name.
pub fn polarity(
    label: &str,
    manifest: &std::collections::BTreeMap<String, String>,
) -> Option<SentimentLabel> {
    if let Some(v) = manifest.get(label) {
        return SentimentLabel::parse(v);
    }
    let l = label.trim().to_lowercase();
    if let Some(stars) = l
        .split_whitespace()
        .next()
        .and_then(|d| d.parse::<u8>().ok())
    {
        if l.contains("star") {
            return Some(match stars {
                0..=2 => SentimentLabel::Negative,
                3 => SentimentLabel::Neutral,
                _ => SentimentLabel::Positive,
            });
        }
    }
    if l.starts_with("neg") {
        Some(SentimentLabel::Negative)
    } else if l.starts_with("neu") {
        Some(SentimentLabel::Neutral)
    } else if l.starts_with("pos") {
        Some(SentimentLabel::Positive)
    } else {
        None
    }
}

struct Nli {
    model: Encoder,
    entailment: usize,
    contradiction: usize,
    hypotheses: Vec<(String, String)>,
    threshold: f32,
}

/// Sentiment, zero-shot topics and embeddings on rust-bert.
pub struct BertClassifier {
    sentiment: Encoder,
    classes: Vec<SentimentLabel>,
    nli: Option<Nli>,
    embedder: Option<Encoder>,
    id: String,
}

fn model_err(name: &str, message: impl Into<String>) -> ClassifyError {
    ClassifyError::Model {
        name: name.to_string(),
        message: message.into(),
    }
}

fn expect_task(e: &Encoder, task: Task) -> Result<(), ClassifyError> {
    if e.manifest.task == task {
        Ok(())
    } else {
        Err(model_err(
            &e.manifest.name,
            format!(
                "is a {:?} model, a {task:?} model is needed here",
                e.manifest.task
            ),
        ))
    }
}

impl BertClassifier {
    /// Loads the models named in `[classifier] models` (keys `sentiment`, and optionally
    /// `topics` and `embeddings`) from `models_dir`.
    pub fn load(
        models_dir: &Path,
        cfg: &ClassifierConfig,
        topics: &[Topic],
    ) -> Result<BertClassifier, ClassifyError> {
        let name = cfg
            .models
            .get("sentiment")
            .ok_or_else(|| model_err("sentiment", "[classifier] models.sentiment is not set"))?;
        let sentiment = Encoder::load(models_dir, name)?;
        expect_task(&sentiment, Task::Sentiment)?;
        let mut classes = Vec::new();
        for l in &sentiment.labels {
            classes.push(polarity(l, &sentiment.manifest.labels).ok_or_else(|| {
                model_err(
                    name,
                    format!("label {l:?} maps to no polarity: add it to [labels] in the manifest"),
                )
            })?);
        }
        if classes.is_empty() {
            return Err(model_err(name, "config.json has no id2label"));
        }
        let mut id = format!("bert:{}@{}", name, short(&sentiment.manifest.revision));

        let nli = match cfg.models.get("topics") {
            Some(n) if !topics.is_empty() => {
                let model = Encoder::load(models_dir, n)?;
                expect_task(&model, Task::Nli)?;
                let find = |want: &str| {
                    model.labels.iter().position(|l| {
                        let mapped = model.manifest.labels.get(l).map(|s| s.as_str());
                        mapped
                            .unwrap_or(l.as_str())
                            .to_lowercase()
                            .starts_with(want)
                    })
                };
                let (Some(entailment), Some(contradiction)) = (find("entail"), find("contra"))
                else {
                    return Err(model_err(
                        n,
                        "labels need an entailment and a contradiction class",
                    ));
                };
                let hypotheses = topics
                    .iter()
                    .map(|t| {
                        let what = if !t.description.is_empty() {
                            t.description.clone()
                        } else {
                            t.labels.get("en").cloned().unwrap_or_else(|| t.id.clone())
                        };
                        (t.id.clone(), cfg.hypothesis.replace("{}", &what))
                    })
                    .collect();
                id.push_str(&format!("+{}@{}", n, short(&model.manifest.revision)));
                Some(Nli {
                    model,
                    entailment,
                    contradiction,
                    hypotheses,
                    threshold: cfg.topic_threshold,
                })
            }
            _ => None,
        };
        let embedder = match cfg.models.get("embeddings") {
            Some(n) => {
                let e = Encoder::load(models_dir, n)?;
                expect_task(&e, Task::Embeddings)?;
                id.push_str(&format!("+{}@{}", n, short(&e.manifest.revision)));
                Some(e)
            }
            None => None,
        };
        Ok(BertClassifier {
            sentiment,
            classes,
            nli,
            embedder,
            id,
        })
    }

    fn sentiments(&self, texts: &[&str]) -> Result<Vec<Sentiment>, ClassifyError> {
        let probs = self.sentiment.classify(texts)?;
        Ok(probs
            .into_iter()
            .map(|p| {
                let mut sums = [0f32; 3];
                for (i, pr) in p.iter().enumerate() {
                    sums[self.classes[i] as usize] += pr;
                }
                let best = (0..3)
                    .max_by(|&a, &b| sums[a].total_cmp(&sums[b]))
                    .unwrap_or(1);
                let label = [
                    SentimentLabel::Negative,
                    SentimentLabel::Neutral,
                    SentimentLabel::Positive,
                ][best];
                Sentiment {
                    label,
                    score: sums[best],
                }
            })
            .collect())
    }

    fn topics(&self, texts: &[&str]) -> Result<Vec<Vec<TopicScore>>, ClassifyError> {
        let Some(nli) = &self.nli else {
            return Ok(vec![Vec::new(); texts.len()]);
        };
        let mut pairs = Vec::with_capacity(texts.len() * nli.hypotheses.len());
        for t in texts {
            for (_, h) in &nli.hypotheses {
                pairs.push((*t, h.as_str()));
            }
        }
        let probs = nli.model.classify_pairs(&pairs)?;
        let mut out = Vec::with_capacity(texts.len());
        for chunk in probs.chunks(nli.hypotheses.len()) {
            let mut scores: Vec<TopicScore> = chunk
                .iter()
                .zip(&nli.hypotheses)
                .map(|(p, (id, _))| {
                    let (e, c) = (p[nli.entailment], p[nli.contradiction]);
                    TopicScore {
                        id: id.clone(),
                        score: e / (e + c).max(1e-9),
                    }
                })
                .filter(|t| t.score >= nli.threshold)
                .collect();
            scores.sort_by(|a, b| b.score.total_cmp(&a.score));
            out.push(scores);
        }
        Ok(out)
    }
}

fn short(rev: &str) -> &str {
    &rev[..rev.len().min(8)]
}

impl Classifier for BertClassifier {
    fn model_id(&self) -> String {
        self.id.clone()
    }

    fn classify(&mut self, batch: &[Input]) -> Result<Vec<Output>, ClassifyError> {
        let texts: Vec<&str> = batch.iter().map(|i| i.text.as_str()).collect();
        let sentiments = self.sentiments(&texts)?;
        let topics = self.topics(&texts)?;
        Ok(sentiments
            .into_iter()
            .zip(topics)
            .map(|(sentiment, topics)| Output { sentiment, topics })
            .collect())
    }

    fn embed(&mut self, texts: &[String]) -> Option<Result<Vec<Vec<f32>>, ClassifyError>> {
        let e = self.embedder.as_ref()?;
        let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
        Some(e.embed(&refs))
    }
}
