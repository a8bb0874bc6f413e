//! `vigie classify`: JSON lines in, one classification per line out.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{fail, load_offline};
use crate::config::Config;
use crate::runtime::start_classifier;

/// `vigie classify` as the command line runs it: stdin to stdout, exit codes.
pub async fn run(config: &Path) -> Result<(), ExitCode> {
    let cfg = load_offline(config)?;
    let stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    classify(&cfg, stdin, &mut out)
        .await
        .map(|_| ())
        .map_err(fail)
}

/// One line of `vigie classify` output.
#[derive(Debug, serde::Serialize)]
pub struct Classified {
    /// The input's id.
    pub id: String,
    /// ISO 639-1 or "und".
    pub lang: String,
    /// 0..=1
    pub lang_confidence: f64,
    /// Sentiment.
    pub sentiment: crate::core::classification::Sentiment,
    /// Topics, best first.
    pub topics: Vec<crate::core::classification::TopicScore>,
}

/// `vigie classify`: JSON lines `{"id", "text", "lang"?}` in, one result line per input
/// out, in order. A malformed line gives `{"id", "error"}` and the rest goes on.
pub async fn classify(
    cfg: &Config,
    input: impl std::io::BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let worker = start_classifier(cfg)?;
    let langs = cfg.institution.language_id();
    let batch = cfg.classifier.batch_size.max(1);
    let mut pending: Vec<
        Result<
            (
                crate::core::classification::Input,
                crate::core::language::Identified,
            ),
            (String, String),
        >,
    > = Vec::new();
    let mut n = 0;
    let mut lines = input.lines();
    loop {
        let line = lines.next();
        let end = line.is_none();
        if let Some(line) = line {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            pending.push(match serde_json::from_str::<crate::core::classification::Input>(&line) {
                Ok(i) => {
                    let id = langs.identify(&i.text, i.lang.as_deref());
                    Ok((crate::core::classification::Input { lang: Some(id.lang.clone()).filter(|l| l != "und"), ..i }, id))
                }
                Err(e) => {
                    let id = serde_json::from_str::<serde_json::Value>(&line)
                        .ok()
                        .and_then(|v| v.get("id").map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())))
                        .unwrap_or_default();
                    Err((id, format!("invalid input line: {e}; expected {{\"id\": \"...\", \"text\": \"...\"}}")))
                }
            });
        }
        if pending.len() >= batch || (end && !pending.is_empty()) {
            let inputs: Vec<crate::core::classification::Input> = pending
                .iter()
                .filter_map(|p| p.as_ref().ok().map(|(i, _)| i.clone()))
                .collect();
            let mut outs = worker.classify(inputs).await?.into_iter();
            for p in pending.drain(..) {
                match p {
                    Ok((i, lang)) => {
                        let o = outs
                            .next()
                            .ok_or_else(|| anyhow::anyhow!("backend returned too few results"))?;
                        let c = Classified {
                            id: i.id,
                            lang: lang.lang,
                            lang_confidence: lang.confidence,
                            sentiment: o.sentiment,
                            topics: o.topics,
                        };
                        writeln!(out, "{}", serde_json::to_string(&c)?)?;
                    }
                    Err((id, error)) => {
                        writeln!(out, "{}", serde_json::json!({"id": id, "error": error}))?
                    }
                }
                n += 1;
            }
            out.flush()?;
        }
        if end {
            return Ok(n);
        }
    }
}
