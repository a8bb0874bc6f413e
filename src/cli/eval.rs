//! `vigie eval`: the configured classifier scored on a gold file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{fail, load_offline, say};
use crate::config::Config;
use crate::runtime::start_classifier;

/// What `vigie eval` scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Task {
    /// The configured classifier: sentiment, language, topics (needs the config).
    #[default]
    Classify,
    /// The formal-request detector (no config needed).
    Formal,
}

/// `vigie eval` as the command line runs it: a report as tables or JSON on stdout.
pub async fn run(
    task: Task,
    config: Option<PathBuf>,
    data: &Path,
    json: bool,
) -> Result<(), ExitCode> {
    if task == Task::Formal {
        return run_formal(data, json);
    }
    let config = config.ok_or_else(|| {
        say("error: `vigie eval --task classify` scores the configured classifier: give --config FILE (or VIGIE_CONFIG)");
        ExitCode::from(2)
    })?;
    let cfg = load_offline(&config)?;
    let report = eval(&cfg, data).await.map_err(fail)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| fail(e.into()))?
        );
    } else {
        print!("{}", crate::classify::eval::render(&report));
    }
    Ok(())
}

/// `vigie eval --task formal`: precision and recall of the formal-request detector per
/// language and overall, and the ids it got wrong.
fn run_formal(data: &Path, json: bool) -> Result<(), ExitCode> {
    use crate::escalate::eval::{read, score};
    let golds = read(data).map_err(|e| fail(e.into()))?;
    let report = score(&golds, &crate::escalate::formal::Detector::new());
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| fail(e.into()))?
        );
    } else {
        print!("{}", render_formal(&report));
    }
    Ok(())
}

/// The formal-request report as a table, then the ids it got wrong.
pub fn render_formal(r: &crate::escalate::eval::Report) -> String {
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
    let mut out =
        String::from("formal requests\nlang        n    tp   fp   fn   tn  precision  recall\n");
    let rows = r.per_language.iter().map(|(k, v)| (k.as_str(), v));
    for (lang, s) in rows.chain(std::iter::once(("overall", &r.overall))) {
        out.push_str(&format!(
            "{lang:<8} {:>4} {:>5} {:>4} {:>4} {:>4}  {:>9}  {:>6}\n",
            s.n,
            s.tp,
            s.fp,
            s.fn_,
            s.tn,
            pct(s.precision),
            pct(s.recall)
        ));
    }
    for m in &r.errors {
        let kind = if m.formal { "missed" } else { "false alarm" };
        out.push_str(&format!(
            "{kind}: {} ({}), found {:?}\n",
            m.id, m.lang, m.found
        ));
    }
    out
}

/// `vigie eval`: scores the configured backend on a gold file.
pub async fn eval(
    cfg: &Config,
    data: &std::path::Path,
) -> anyhow::Result<crate::classify::eval::Report> {
    use crate::classify::eval::{block, topic_micro_f1, Report};
    use crate::core::classification::SentimentLabel;
    let golds = read_gold(data)?;
    let worker = start_classifier(cfg)?;
    let langs = cfg.institution.language_id();
    // Language accuracy is measured on the text alone; for sentiment, a gold language is
    // a declared one, as `vigie classify` takes a "lang" hint (and the daemon a feed's
    // declared language).
    let identified: Vec<_> = golds
        .iter()
        .map(|g| langs.identify(&g.text, None))
        .collect();
    let mut preds = Vec::with_capacity(golds.len());
    for chunk in golds.chunks(cfg.classifier.batch_size.max(1) * 4) {
        let inputs = chunk
            .iter()
            .map(|g| crate::core::classification::Input {
                id: g.id.clone().unwrap_or_default(),
                text: g.text.clone(),
                lang: Some(declared_lang(&langs, g)).filter(|l| l != "und"),
            })
            .collect();
        preds.extend(worker.classify(inputs).await?);
    }
    let mut per_lang: BTreeMap<String, Vec<(SentimentLabel, SentimentLabel)>> = BTreeMap::new();
    let mut all = Vec::new();
    let (mut lang_n, mut lang_ok) = (0usize, 0usize);
    let mut topic_pairs = Vec::new();
    for ((g, id), p) in golds.iter().zip(&identified).zip(&preds) {
        if let Some(gs) = g.sentiment.as_deref() {
            let gl = SentimentLabel::parse(gs)
                .ok_or_else(|| anyhow::anyhow!("unknown gold sentiment {gs:?}"))?;
            let key = g.lang.clone().unwrap_or_else(|| id.lang.clone());
            per_lang
                .entry(key)
                .or_default()
                .push((gl, p.sentiment.label));
            all.push((gl, p.sentiment.label));
        }
        if let Some(gl) = &g.lang {
            lang_n += 1;
            lang_ok += usize::from(gl == &id.lang);
        }
        if let Some(gt) = &g.topics {
            topic_pairs.push((gt.clone(), p.topics.iter().map(|t| t.id.clone()).collect()));
        }
    }
    Ok(Report {
        overall: (!all.is_empty()).then(|| block(&all)),
        per_language: per_lang
            .iter()
            .map(|(k, v)| (k.clone(), block(v)))
            .collect(),
        language: (lang_n > 0).then(|| (lang_n, lang_ok as f64 / lang_n as f64)),
        topics: (!topic_pairs.is_empty())
            .then(|| (topic_pairs.len(), topic_micro_f1(&topic_pairs))),
    })
}

/// The language a gold line is classified in: its gold language, if any, taken as
/// declared (the text can still overrule it), as `vigie classify` takes a "lang" hint.
pub(super) fn declared_lang(
    langs: &crate::core::language::LanguageId,
    g: &crate::classify::eval::Gold,
) -> String {
    langs.identify(&g.text, g.lang.as_deref()).lang
}

/// Reads a gold file (JSON lines; blank lines skipped), naming the line of any error.
pub(super) fn read_gold(data: &Path) -> anyhow::Result<Vec<crate::classify::eval::Gold>> {
    let text = std::fs::read_to_string(data)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", data.display()))?;
    let mut golds = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        golds.push(
            serde_json::from_str(line)
                .map_err(|e| anyhow::anyhow!("{}:{}: {e}", data.display(), i + 1))?,
        );
    }
    Ok(golds)
}
