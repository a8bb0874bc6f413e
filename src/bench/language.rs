//! `vigie bench language`: accuracy, speed and memory of each language identifier on
//! labelled short posts (JSON lines with "lang" and "text"), each in its own process so
//! that its memory is its own.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::core::language::{LanguageId, Method};

/// One identifier's figures.
#[derive(Debug, Serialize, Deserialize)]
pub struct LanguageReport {
    /// "whatlang-raw" (whatlang on the text as it comes: vigie before issue 16),
    /// "whatlang", "lingua", "combined" (the last three read the cleaned text).
    pub method: String,
    /// Posts scored.
    pub n: usize,
    /// Share identified right.
    pub accuracy: f64,
    /// Share right per gold language.
    pub per_language: BTreeMap<String, f64>,
    /// Posts identified per second, one thread (the posts read in turn, `texts` times).
    pub texts_per_s: f64,
    /// Peak resident memory of the process that measured it, MiB.
    pub peak_rss_mib: f64,
    /// The posts it got wrong: "id: gold -> found".
    pub errors: Vec<String>,
}

#[derive(Deserialize)]
struct Post {
    #[serde(default)]
    id: Option<String>,
    lang: String,
    text: String,
    #[serde(default)]
    split: Option<String>,
}

/// Every identifier, each measured by `exe bench language --method M` in its own process.
pub fn language_all(
    exe: &Path,
    data: &Path,
    split: Option<&str>,
    texts: usize,
) -> anyhow::Result<Vec<LanguageReport>> {
    let mut out = Vec::new();
    for method in ["whatlang-raw", "whatlang", "lingua", "combined"] {
        let mut cmd = std::process::Command::new(exe);
        cmd.args(["bench", "language", "--method", method, "--texts"])
            .arg(texts.to_string())
            .arg("--data")
            .arg(data);
        if let Some(s) = split {
            cmd.args(["--split", s]);
        }
        let o = cmd.output()?;
        anyhow::ensure!(
            o.status.success(),
            "bench language --method {method}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let mut r: Vec<LanguageReport> = serde_json::from_slice(&o.stdout)?;
        out.append(&mut r);
    }
    Ok(out)
}

/// One identifier, in this process. `languages`: the configured ones (the gold
/// languages of the data when empty).
pub fn language(
    method: &str,
    data: &Path,
    split: Option<&str>,
    texts: usize,
) -> anyhow::Result<LanguageReport> {
    let posts = read(data, split)?;
    anyhow::ensure!(!posts.is_empty(), "no posts in {}", data.display());
    let mut langs: Vec<String> = posts.iter().map(|p| p.lang.clone()).collect();
    langs.sort();
    langs.dedup();
    let id = match method {
        "whatlang-raw" => LanguageId::with_method(&langs, Method::Whatlang).without_cleaning(),
        "whatlang" => LanguageId::with_method(&langs, Method::Whatlang),
        "lingua" => LanguageId::with_method(&langs, Method::Lingua),
        "combined" => LanguageId::with_method(&langs, Method::Combined),
        other => {
            anyhow::bail!("unknown method {other:?}: whatlang-raw, whatlang, lingua or combined")
        }
    };
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut errors = Vec::new();
    for p in &posts {
        let found = id.identify(&p.text, None).lang;
        let e = per.entry(p.lang.clone()).or_default();
        e.0 += 1;
        if found == p.lang {
            e.1 += 1;
        } else {
            errors.push(format!(
                "{}: {} -> {found}",
                p.id.as_deref().unwrap_or("?"),
                p.lang
            ));
        }
    }
    let t = Instant::now();
    for i in 0..texts {
        std::hint::black_box(id.identify(&posts[i % posts.len()].text, None));
    }
    let secs = t.elapsed().as_secs_f64();
    let right: usize = per.values().map(|v| v.1).sum();
    Ok(LanguageReport {
        method: method.to_string(),
        n: posts.len(),
        accuracy: right as f64 / posts.len() as f64,
        per_language: per
            .into_iter()
            .map(|(k, (n, ok))| (k, ok as f64 / n as f64))
            .collect(),
        texts_per_s: texts as f64 / secs,
        peak_rss_mib: super::own_peak_rss_mib(),
        errors,
    })
}

fn read(data: &Path, split: Option<&str>) -> anyhow::Result<Vec<Post>> {
    let text = std::fs::read_to_string(data)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", data.display()))?;
    let mut posts = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let p: Post = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", data.display(), i + 1))?;
        if split.is_none() || p.split.as_deref() == split {
            posts.push(p);
        }
    }
    Ok(posts)
}
