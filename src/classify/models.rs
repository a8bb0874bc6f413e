//! Model manifests (`models/NAME.toml`) and `vigie models list|fetch`.
//!
//! A manifest says where a model comes from (hub id, pinned revision), which files make
//! it (with their sha256 when known), its architecture and how its own labels map onto
//! vigie's. The files themselves live in `models/NAME/` and are never committed: users
//! fetch them with `vigie models fetch NAME`, which verifies checksums and resumes
//! interrupted downloads. This module needs no libtorch.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

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
    /// Pinned revision on the hub: a commit (40 hex digits); `vigie models fetch` refuses a
    /// branch or tag unless told `--allow-unpinned`.
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
    /// Reads `dir/NAME.toml`; every file name must be a plain relative path.
    pub fn load(dir: &Path, name: &str) -> anyhow::Result<Manifest> {
        if !plain_path(name) || name.contains('/') {
            bail!("{name:?} is not a model name (a manifest's file name without .toml)");
        }
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
        for f in &m.files {
            if !plain_path(&f.name) {
                bail!(
                    "{}: file name {:?} must be a relative path inside the model's folder \
                     (no absolute path, no `..`, no `.`, no empty part, no backslash)",
                    path.display(),
                    f.name
                );
            }
        }
        Ok(m)
    }

    /// Whether the revision is a commit, so the files cannot change under this manifest.
    pub fn pinned(&self) -> bool {
        self.revision.len() == 40
            && self
                .revision
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
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

/// A relative path of plain parts separated by `/`: nothing that could leave the folder it
/// is joined to (`..`, a root, a Windows drive or backslash), nothing ambiguous (`.`, `//`).
fn plain_path(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['\\', ':', '\0'])
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
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

/// Limits of one `vigie models fetch`.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Fetch a manifest whose revision is a branch or tag, not a commit.
    pub allow_unpinned: bool,
    /// The whole fetch, every file, gives up after this long (what is already downloaded
    /// stays, and the next fetch resumes it).
    pub timeout: Duration,
    /// Largest file accepted, in bytes (a manifest's `size`, when given, is the limit).
    pub max_file_bytes: u64,
}

/// Default overall limit of a fetch: about 1 GB at 150 kB/s.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(2 * 3600);

/// Default largest file: 2 GiB, above every model we ship.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 << 30;

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            allow_unpinned: false,
            timeout: DEFAULT_FETCH_TIMEOUT,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Downloads every missing or incomplete file of model `name` into `dir/NAME/`.
///
/// Each file goes to `FILE.part` first; an interrupted download resumes with an HTTP
/// Range request. A file whose sha256 does not match the manifest is deleted and the
/// fetch fails, as is one larger than allowed. Returns the files downloaded (already
/// complete ones are skipped after a checksum check).
pub async fn fetch(
    dir: &Path,
    name: &str,
    hub: &str,
    opts: &FetchOptions,
) -> anyhow::Result<Vec<String>> {
    let m = Manifest::load(dir, name)?;
    if !m.pinned() && !opts.allow_unpinned {
        bail!(
            "{name}: revision {:?} is not a commit (40 hex digits), so the files could change \
             under the same manifest; pin it in {}, or pass --allow-unpinned",
            m.revision,
            dir.join(format!("{name}.toml")).display()
        );
    }
    match tokio::time::timeout(opts.timeout, fetch_files(dir, &m, hub, opts)).await {
        Ok(r) => r,
        Err(_) => bail!(
            "{name}: the fetch did not finish within {} (what was downloaded is kept; \
             run it again to resume, or give --timeout)",
            humantime::format_duration(opts.timeout)
        ),
    }
}

async fn fetch_files(
    dir: &Path,
    m: &Manifest,
    hub: &str,
    opts: &FetchOptions,
) -> anyhow::Result<Vec<String>> {
    let folder = m.folder(dir);
    let client = reqwest::Client::builder()
        .user_agent(concat!(
            "vigie/",
            env!("CARGO_PKG_VERSION"),
            " (models fetch)"
        ))
        .connect_timeout(Duration::from_secs(20))
        // A stalled transfer fails instead of hanging until the overall timeout.
        .read_timeout(Duration::from_secs(60))
        .build()?;
    let mut fetched = Vec::new();
    for file in &m.files {
        let target = folder.join(&file.name);
        // Checked at load already; a second look where the path is used.
        if !target.starts_with(&folder) || target.components().any(|c| c == Component::ParentDir) {
            bail!("{}: {:?} leaves the model's folder", m.name, file.name);
        }
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
        let cap = file
            .size
            .map_or(opts.max_file_bytes, |s| s.min(opts.max_file_bytes));
        download(&client, &url, &target, cap)
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

async fn download(
    client: &reqwest::Client,
    url: &str,
    target: &Path,
    cap: u64,
) -> anyhow::Result<()> {
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
        416 if have > 0 && have <= cap => {
            std::fs::rename(&part, target)?;
            return Ok(());
        }
        401 | 403 => bail!("HTTP {status}: the hub refused access (gated model or token needed)"),
        _ => bail!("HTTP {status}"),
    };
    let mut written = if append { have } else { 0 };
    let too_big = |n: u64| -> anyhow::Error {
        let _ = std::fs::remove_file(&part);
        anyhow::anyhow!(
            "larger than {cap} bytes ({n} or more); the download was stopped and deleted"
        )
    };
    if let Some(len) = resp.content_length() {
        if written.saturating_add(len) > cap {
            return Err(too_big(written.saturating_add(len)));
        }
    }
    let mut out = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(&part)
        .await?;
    while let Some(chunk) = resp.chunk().await? {
        written += chunk.len() as u64;
        if written > cap {
            drop(out);
            return Err(too_big(written));
        }
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
