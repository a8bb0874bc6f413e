//! The classification stage between the pipeline and the signals.
//!
//! The model lives on its own thread (as rust-bert's pipelines suggest); the async world
//! hands it length-sorted batches through a bounded channel. The database is the queue:
//! new mentions are stored unclassified and the stage picks them up, so a burst never
//! blocks fetching, never grows memory beyond one batch, and a crash loses nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Notify};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::{Classifier, ClassifyError, Input, Output, Topic, TopicScore};
use crate::core::matching::Matcher;
use crate::store::Store;

struct Job {
    inputs: Vec<Input>,
    reply: oneshot::Sender<Result<Vec<Output>, ClassifyError>>,
}

/// Handle to the thread that owns the model.
#[derive(Clone)]
pub struct Worker {
    tx: std::sync::mpsc::SyncSender<Job>,
    model_id: String,
    preferred_batch: Option<usize>,
    keyword_topics: Arc<Vec<(String, Matcher)>>,
}

impl Worker {
    /// Moves `classifier` onto a dedicated thread. `topics` with keywords are forced
    /// onto any text their keywords match, with score 1.0, whatever the backend says.
    pub fn spawn(mut classifier: Box<dyn Classifier>, topics: &[Topic]) -> Worker {
        let model_id = classifier.model_id();
        let preferred_batch = classifier.preferred_batch();
        // One batch queued while one runs: enough to keep the model busy, no more.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(1);
        std::thread::Builder::new()
            .name("vigie-classify".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    let r = classifier.classify(&job.inputs);
                    let _ = job.reply.send(r);
                }
            })
            .expect("spawning the classification thread");
        let keyword_topics = topics
            .iter()
            .filter(|t| !t.keywords.is_empty())
            .filter_map(|t| {
                Matcher::new(&t.keywords, &[])
                    .ok()
                    .map(|m| (t.id.clone(), m))
            })
            .collect();
        Worker {
            tx,
            model_id,
            preferred_batch,
            keyword_topics: Arc::new(keyword_topics),
        }
    }

    /// Name and version of the models, stored with each result.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The backend's own batch size, when it has one (see [`Classifier::preferred_batch`]).
    pub fn preferred_batch(&self) -> Option<usize> {
        self.preferred_batch
    }

    /// Classifies a batch on the model thread; outputs are in input order.
    pub async fn classify(&self, inputs: Vec<Input>) -> Result<Vec<Output>, ClassifyError> {
        let texts: Vec<String> = inputs.iter().map(|i| i.text.clone()).collect();
        let (reply, rx) = oneshot::channel();
        let tx = self.tx.clone();
        // `send` blocks while the model is busy: that is the backpressure, kept off the runtime.
        tokio::task::spawn_blocking(move || tx.send(Job { inputs, reply }))
            .await
            .map_err(|e| self.dead(e.to_string()))?
            .map_err(|e| self.dead(e.to_string()))?;
        let mut outs = rx.await.map_err(|e| self.dead(e.to_string()))??;
        for (out, text) in outs.iter_mut().zip(&texts) {
            self.force_keyword_topics(text, out);
        }
        Ok(outs)
    }

    fn dead(&self, why: String) -> ClassifyError {
        ClassifyError::Model {
            name: self.model_id.clone(),
            message: format!("classification thread stopped: {why}"),
        }
    }

    fn force_keyword_topics(&self, text: &str, out: &mut Output) {
        for (id, m) in self.keyword_topics.iter() {
            if m.check(text).is_some() {
                out.topics.retain(|t| &t.id != id);
                out.topics.insert(
                    0,
                    TopicScore {
                        id: id.clone(),
                        score: 1.0,
                    },
                );
            }
        }
        out.topics.sort_by(|a, b| b.score.total_cmp(&a.score));
    }
}

/// Drives the worker over unclassified mentions in the store.
pub struct Stage {
    store: Store,
    worker: Worker,
    batch_size: usize,
    max_wait: Duration,
    classified: Option<Arc<Notify>>,
}

impl Stage {
    /// `batch_size` and `max_wait` come from `[classifier]`; a backend with a batch size
    /// of its own (the lexicon's) uses that instead of `batch_size`.
    pub fn new(store: Store, worker: Worker, batch_size: usize, max_wait: Duration) -> Stage {
        let batch_size = worker.preferred_batch().unwrap_or(batch_size);
        Stage {
            store,
            worker,
            batch_size: batch_size.max(1),
            max_wait,
            classified: None,
        }
    }

    /// Wakes `n` after each classified batch (detection and escalation listen); only an
    /// early wake-up: they also look on their own schedule.
    pub fn notify_classified(mut self, n: Arc<Notify>) -> Stage {
        self.classified = Some(n);
        self
    }

    /// Classifies every pending mention; returns how many were done.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut done = 0;
        loop {
            let pending = self.store.unclassified(self.batch_size as i64).await?;
            if pending.is_empty() {
                return Ok(done);
            }
            let n = pending.len();
            // Sorted by length so a batch pads little.
            let mut pending = pending;
            pending.sort_by_key(|p| p.text.len());
            let ids: Vec<i64> = pending.iter().map(|p| p.id).collect();
            let inputs = pending
                .into_iter()
                .map(|p| Input {
                    id: p.id.to_string(),
                    text: p.text,
                    lang: Some(p.lang).filter(|l| l != "und"),
                })
                .collect();
            let started = Instant::now();
            let outs = self.worker.classify(inputs).await?;
            if outs.len() != n {
                anyhow::bail!(
                    "model {} returned {} results for {n} texts",
                    self.worker.model_id(),
                    outs.len()
                );
            }
            let results: Vec<(i64, Output)> = ids.into_iter().zip(outs).collect();
            self.store
                .save_classifications(&results, self.worker.model_id(), chrono::Utc::now())
                .await?;
            if let Some(n) = &self.classified {
                n.notify_one();
            }
            info!(
                batch = n,
                ms = started.elapsed().as_millis() as u64,
                model = self.worker.model_id(),
                "classified"
            );
            done += n;
        }
    }

    /// Runs until shutdown: drains whenever woken, and at least every `max_wait`.
    pub async fn run(&self, wake: Arc<Notify>, shutdown: CancellationToken) {
        let mut failures = 0u32;
        loop {
            match self.drain().await {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    error!(error = %e, failures, "classification failed; mentions stay queued and will be retried");
                }
            }
            let pause = if failures > 0 {
                Duration::from_secs(2u64.saturating_pow(failures.min(8)))
            } else {
                self.max_wait.max(Duration::from_millis(10)) * 25
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = wake.notified() => {
                    // Gather a little more before starting a batch.
                    tokio::time::sleep(self.max_wait).await;
                }
                _ = tokio::time::sleep(pause) => {}
            }
        }
        if let Err(e) = self.drain().await {
            warn!(error = %e, "could not classify the last mentions before shutdown; they stay queued");
        }
    }
}
