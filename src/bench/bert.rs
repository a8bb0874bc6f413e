//! `vigie bench bert`: bert backend throughput and peak memory.

use std::path::Path;

use serde::Serialize;

/// Texts from a JSON-lines file (`text` field), the first `n`.
pub fn read_texts(path: &Path, n: usize) -> anyhow::Result<Vec<String>> {
    let data = std::fs::read_to_string(path)?;
    let texts: Vec<String> = data
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .take(n)
        .collect();
    anyhow::ensure!(!texts.is_empty(), "no texts in {}", path.display());
    Ok(texts)
}

/// One run of the bert backend (same measure as benches/transformers_bench.py).
#[derive(Debug, Serialize)]
pub struct BertReport {
    /// "vigie (rust-bert)".
    pub tool: &'static str,
    /// Model name.
    pub model: String,
    /// Texts per batch.
    pub batch: usize,
    /// Texts encoded (after warm-up).
    pub texts: usize,
    /// Intra-op threads.
    pub threads: i32,
    /// Texts per second.
    pub texts_per_s: f64,
    /// Peak resident memory of the whole process, MiB.
    pub peak_rss_mib: f64,
}

/// Encodes `texts` in batches of `batch` with model `name` (its task decides: embeddings
/// or class probabilities), after one warm-up batch.
#[cfg(feature = "bert")]
pub fn bert(
    models: &Path,
    name: &str,
    texts: &[String],
    batch: usize,
    threads: i32,
) -> anyhow::Result<BertReport> {
    use crate::classify::bert::Encoder;
    use crate::classify::models::Task;
    tch::set_num_threads(threads);
    let enc = Encoder::load(models, name)?;
    let run = |chunk: &[String]| -> anyhow::Result<usize> {
        let refs: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        Ok(match enc.manifest.task {
            Task::Embeddings => enc.embed(&refs)?.len(),
            _ => enc.classify(&refs)?.len(),
        })
    };
    run(&texts[..batch.min(texts.len())])?;
    let start = std::time::Instant::now();
    let mut done = 0;
    for chunk in texts.chunks(batch) {
        done += run(chunk)?;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(BertReport {
        tool: "vigie (rust-bert)",
        model: name.to_string(),
        batch,
        texts: done,
        threads,
        texts_per_s: done as f64 / secs,
        peak_rss_mib: super::own_peak_rss_mib(),
    })
}
