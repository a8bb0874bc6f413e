//! The classification stage's backpressure: a slow model never blocks ingestion, never
//! holds more than a batch or two in memory, and catches up without losing a mention.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use vigie::classify::stage::{Stage, Worker};
use vigie::classify::{Classifier, ClassifyError, Input, Output, Sentiment, SentimentLabel};
use vigie::core::model::NewMention;
use vigie::store::Store;

/// A model that waits for the test to open the gate before each batch.
struct Gated {
    gate: Arc<(Mutex<bool>, std::sync::Condvar)>,
    largest_batch: Arc<AtomicUsize>,
    seen: Arc<AtomicUsize>,
}

impl Classifier for Gated {
    fn model_id(&self) -> String {
        "gated".into()
    }
    fn classify(&mut self, batch: &[Input]) -> Result<Vec<Output>, ClassifyError> {
        let (lock, cv) = &*self.gate;
        let mut open = lock.lock().unwrap();
        while !*open {
            open = cv.wait(open).unwrap();
        }
        self.largest_batch.fetch_max(batch.len(), Ordering::SeqCst);
        self.seen.fetch_add(batch.len(), Ordering::SeqCst);
        Ok(batch
            .iter()
            .map(|_| Output {
                sentiment: Sentiment {
                    label: SentimentLabel::Neutral,
                    score: 1.0,
                },
                topics: vec![],
            })
            .collect())
    }
}

fn mention(i: usize) -> NewMention {
    NewMention {
        keys: vec![format!("k{i}")],
        source: "burst".into(),
        url: Some(format!("https://example.org/{i}")),
        title: format!("post {i}"),
        text: format!("Le SPF Impôts, message {i}"),
        author: None,
        reach: None,
        published_at: None,
        lang: "fr".into(),
        lang_confidence: 0.9,
        matched: vec!["SPF Impôts".into()],
        ..NewMention::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_model_never_blocks_ingestion_and_the_backlog_stays_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open("sqlite://stage.db", dir.path()).await.unwrap();
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let largest = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let model = Gated {
        gate: gate.clone(),
        largest_batch: largest.clone(),
        seen: seen.clone(),
    };
    let worker = Worker::spawn(Box::new(model), &[]);
    let stage = Arc::new(Stage::new(
        store.clone(),
        worker,
        8,
        Duration::from_millis(10),
    ));
    let wake = Arc::new(tokio::sync::Notify::new());
    let shutdown = CancellationToken::new();
    let runner = {
        let (stage, wake, shutdown) = (stage.clone(), wake.clone(), shutdown.clone());
        tokio::spawn(async move { stage.run(wake, shutdown).await })
    };

    // A burst of 2,000 mentions in 20 polls while the model is stuck: every poll is
    // stored at once, none waits for the model.
    for poll in 0..20 {
        let batch: Vec<NewMention> = (0..100).map(|i| mention(poll * 100 + i)).collect();
        tokio::time::timeout(Duration::from_secs(10), store.ingest(&batch, Utc::now()))
            .await
            .expect("ingestion waited for the model")
            .unwrap();
        wake.notify_one();
    }
    assert_eq!(store.count_mentions().await.unwrap(), 2000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Nothing classified yet, and the stage took no more than what it can hand over:
    // one batch in the model's hands and one queued in the bounded channel.
    assert_eq!(seen.load(Ordering::SeqCst), 0);
    let pending = store.unclassified(10_000).await.unwrap().len();
    assert_eq!(pending, 2000, "results were stored without the model");

    // Open the gate: the stage catches up, in batches of at most 8.
    {
        let (lock, cv) = &*gate;
        *lock.lock().unwrap() = true;
        cv.notify_all();
    }
    wake.notify_one();
    tokio::time::timeout(Duration::from_secs(60), async {
        while !store.unclassified(1).await.unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the stage did not catch up");
    assert!(largest.load(Ordering::SeqCst) <= 8);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2000,
        "each mention classified once"
    );
    shutdown.cancel();
    runner.await.unwrap();
}
