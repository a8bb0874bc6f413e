//! `vigie bench`: throughput and memory figures for BENCHMARKS.md, measured on this
//! machine, with the Python tool a user would otherwise pick run on the same input.

mod bert;
mod idle;
mod ingest;
mod jetstream;
mod language;
mod lexicon;
pub mod once;
mod questions;
pub mod signals;
pub mod web;

#[cfg(feature = "bert")]
pub use bert::bert;
pub use bert::{read_texts, BertReport};
pub use idle::{idle, IdleReport};
pub use ingest::{ingest, write_feed, IngestReport};
pub use jetstream::{jetstream, jetstream_events, JetstreamReport};
pub use language::{language, language_all, LanguageReport};
pub use lexicon::{lexicon, LexiconReport};
pub use questions::{questions, QuestionsReport};

/// Reads `VmHWM` (peak resident set) of this process, MiB.
pub fn own_peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// Current resident memory of this process, MiB (Linux).
pub fn own_rss_mib() -> f64 {
    status_mib("VmRSS:")
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
