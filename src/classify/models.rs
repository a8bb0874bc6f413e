//! Model manifests (`models/NAME.toml`) and `vigie models list|fetch`.
//!
//! A manifest says where a model comes from (hub id, pinned revision), which files make
//! it (with their sha256 when known), its architecture and how its own labels map onto
//! vigie's. The files themselves live in `models/NAME/` and are never committed: users
//! fetch them with `vigie models fetch NAME`, which verifies checksums and resumes
//! interrupted downloads. This module needs no libtorch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// What a model is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Sequence classification into polarity classes (or 1–5 stars).
    Sentiment,
    /// Natural-language inference, used for zero-shot topics.
    Nli,
    /// Sentence embeddings (mean pooling).
    Embeddings,
}

/// Transformer family: decides the tokenizer and the weight layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// BERT and its distilled variants (WordPiece `vocab.txt`).
    Bert,
    /// XLM-RoBERTa and multilingual MiniLM on its vocabulary (`sentencepiece.bpe.model`).
    XlmRoberta,
}

/// One file of a model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Path inside the hub repository and inside `models/NAME/`.
    pub name: String,
    /// Expected sha256 (hex); checked by `vigie models fetch` when present.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Size in bytes, when known.
    #[serde(default)]
    pub size: Option<u64>,
}

/// `models/NAME.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Name used in the config and on the command line (the file stem).
    #[serde(default)]
    pub name: String,
    /// What the model does.
    pub task: Task,
    /// Model family.
    pub architecture: Architecture,
    /// Hugging Face hub id, e.g. "nlptown/bert-base-multilingual-uncased-sentiment".
    pub hub_id: String,
    /// Pinned revision (commit) on the hub.
    pub revision: String,
    /// Licence of the weights.
    #[serde(default)]
    pub licence: String,
    /// Languages the model was trained or evaluated on.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Why this model (shown by `vigie models list`).
    #[serde(default)]
    pub description: String,
    /// Model label (as in config.json `id2label`) → vigie label: "negative", "neutral",
    /// "positive" for sentiment; "entailment", "neutral", "contradiction" for NLI.
    /// When empty, labels are recognised from their names.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Lowercase (and strip accents) before WordPiece; default from tokenizer_config.json.
    #[serde(default)]
    pub lower_case: Option<bool>,
    /// Longest input in tokens (longer texts are truncated).
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    /// L2-normalise embeddings (sentence-transformers' Normalize module).
    #[serde(default)]
    pub normalize: bool,
    /// The files to fetch.
    pub files: Vec<ModelFile>,
}

fn default_max_len() -> usize {
    256
}

impl Manifest {
    /// Reads `dir/NAME.toml`.
    pub fn load(dir: &Path, name: &str) -> anyhow::Result<Manifest> {
        let path = dir.join(format!("{name}.toml"));
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no manifest {} (known models: {})",
                path.display(),
                names(dir).unwrap_or_default().join(", ")
            )
        })?;
        let mut m: Manifest =
            toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        m.name = name.to_string();
        Ok(m)
    }

    /// Where the files live: `dir/NAME/`.
    pub fn folder(&self, dir: &Path) -> PathBuf {
        dir.join(&self.name)
    }

    /// Files of the manifest not present in the model's folder.
    pub fn missing_files(&self, dir: &Path) -> Vec<String> {
        let folder = self.folder(dir);
        self.files
            .iter()
            .filter(|f| !folder.join(&f.name).is_file())
            .map(|f| f.name.clone())
            .collect()
    }
}

/// Names of all manifests in `dir`, sorted.
pub fn names(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                out.push(stem.to_string());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One row of `vigie models list`.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// Manifest name.
    pub name: String,
    /// Task.
    pub task: Task,
    /// Hub id.
    pub hub_id: String,
    /// Pinned revision.
    pub revision: String,
    /// Languages.
    pub languages: Vec<String>,
    /// Licence.
    pub licence: String,
    /// Whether every file is on disk.
    pub installed: bool,
    /// Files not on disk.
    pub missing: Vec<String>,
}

/// Every manifest in `dir` with its install state.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    for name in names(dir)? {
        let m = Manifest::load(dir, &name)?;
        let missing = m.missing_files(dir);
        out.push(Listed {
            installed: missing.is_empty(),
            missing,
            name: m.name,
            task: m.task,
            hub_id: m.hub_id,
            revision: m.revision,
            languages: m.languages,
            licence: m.licence,
        });
    }
    Ok(out)
}

/// The hub to download from: `VIGIE_HUB_URL` (a mirror) or huggingface.co.
pub fn hub_url() -> String {
    std::env::var("VIGIE_HUB_URL").unwrap_or_else(|_| "https://huggingface.co".to_string())
}

/// Downloads every missing or incomplete file of model `name` into `dir/NAME/`.
///
/// Each file goes to `FILE.part` first; an interrupted download resumes with an HTTP
/// Range request. A file whose sha256 does not match the manifest is deleted and the
/// fetch fails. Returns the files downloaded (already complete ones are skipped after a
/// checksum check).
pub async fn fetch(dir: &Path, name: &str, hub: &str) -> anyhow::Result<Vec<String>> {
    let m = Manifest::load(dir, name)?;
    let folder = m.folder(dir);
    let client = reqwest::Client::builder()
        .user_agent(concat!(
            "vigie/",
            env!("CARGO_PKG_VERSION"),
            " (models fetch)"
        ))
        .connect_timeout(std::time::Duration::from_secs(20))
        .build()?;
    let mut fetched = Vec::new();
    for file in &m.files {
        let target = folder.join(&file.name);
        if target.is_file() {
            if let Some(want) = &file.sha256 {
                let have = sha256_file(&target)?;
                if &have == want {
                    continue;
                }
                tracing::warn!(file = %target.display(), "checksum differs from the manifest; downloading again");
                std::fs::remove_file(&target)?;
            } else {
                continue;
            }
        }
        let url = format!(
            "{}/{}/resolve/{}/{}",
            hub.trim_end_matches('/'),
            m.hub_id,
            m.revision,
            file.name
        );
        download(&client, &url, &target)
            .await
            .with_context(|| format!("fetching {url}"))?;
        let have = sha256_file(&target)?;
        match &file.sha256 {
            Some(want) if &have != want => {
                std::fs::remove_file(&target)?;
                bail!(
                    "{}: sha256 {have} does not match the manifest's {want}; the file was deleted",
                    file.name
                );
            }
            Some(_) => {}
            None => tracing::warn!(
                file = %file.name,
                sha256 = %have,
                "the manifest has no checksum for this file; record this one to pin it"
            ),
        }
        fetched.push(file.name.clone());
    }
    Ok(fetched)
}

async fn download(client: &reqwest::Client, url: &str, target: &Path) -> anyhow::Result<()> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let part = target.with_file_name(format!(
        "{}.part",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("download")
    ));
    let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let mut req = client.get(url);
    if have > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let mut resp = req.send().await?;
    let status = resp.status();
    let append = match status.as_u16() {
        206 if have > 0 => true,
        200 => false,
        // The part file is already whole.
        416 if have > 0 => {
            std::fs::rename(&part, target)?;
            return Ok(());
        }
        401 | 403 => bail!("HTTP {status}: the hub refused access (gated model or token needed)"),
        _ => bail!("HTTP {status}"),
    };
    let mut out = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(&part)
        .await?;
    while let Some(chunk) = resp.chunk().await? {
        out.write_all(&chunk).await?;
    }
    out.flush().await?;
    drop(out);
    std::fs::rename(&part, target)?;
    Ok(())
}

/// Hex sha256 of a file.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}
