//! One transformer model loaded from `models/NAME/`: tokenizer, weights, and a forward
//! pass with a real attention mask.
//!
//! rust-bert's `SequenceClassificationModel::predict` pads a batch but passes no attention
//! mask, so a padded text gets a different answer in a batch than alone. Here every
//! forward pass gets the mask (1 on tokens, 0 on padding), and mean pooling for embeddings
//! ignores padding too; `tests/bert.rs` checks batched == unbatched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rust_bert::bert::{BertConfig, BertEmbeddings, BertForSequenceClassification, BertModel};
use rust_bert::roberta::{RobertaEmbeddings, RobertaForSequenceClassification};
use rust_tokenizers::tokenizer::{
    BertTokenizer, Tokenizer, TruncationStrategy, XLMRobertaTokenizer,
};
use rust_tokenizers::vocab::Vocab;
use rust_tokenizers::TokenizedInput;
use tch::{nn, Device, Kind, Tensor};

use crate::classify::models::{Architecture, Manifest, Task};
use crate::classify::ClassifyError;

enum Tok {
    Bert(Box<BertTokenizer>),
    XlmR(Box<XLMRobertaTokenizer>),
}

enum Net {
    BertSeq(BertForSequenceClassification),
    RobertaSeq(RobertaForSequenceClassification),
    Bert(BertModel<BertEmbeddings>),
    Roberta(BertModel<RobertaEmbeddings>),
}

/// A loaded model.
pub struct Encoder {
    /// Its manifest.
    pub manifest: Manifest,
    /// `id2label` from config.json, by class index.
    pub labels: Vec<String>,
    tok: Tok,
    pad_id: i64,
    net: Net,
    // Owns the weights the modules point into.
    _vs: nn::VarStore,
}

fn err(name: &str, message: impl std::fmt::Display) -> ClassifyError {
    ClassifyError::Model {
        name: name.to_string(),
        message: message.to_string(),
    }
}

impl Encoder {
    /// Loads model `name` from `dir` (manifest `dir/NAME.toml`, files in `dir/NAME/`).
    pub fn load(dir: &Path, name: &str) -> Result<Encoder, ClassifyError> {
        let manifest = Manifest::load(dir, name).map_err(|e| err(name, format!("{e:#}")))?;
        let folder = manifest.folder(dir);
        let missing = manifest.missing_files(dir);
        if !missing.is_empty() {
            return Err(ClassifyError::ModelMissing {
                name: name.to_string(),
                path: format!("{} ({} missing)", folder.display(), missing.join(", ")),
            });
        }
        let config_text = std::fs::read_to_string(folder.join("config.json"))
            .map_err(|e| err(name, format!("config.json: {e}")))?;
        let config: BertConfig = serde_json::from_str(&config_text)
            .map_err(|e| err(name, format!("config.json: {e}")))?;
        let mut labels = Vec::new();
        if let Some(map) = &config.id2label {
            let mut pairs: Vec<_> = map.iter().collect();
            pairs.sort_by_key(|(i, _)| **i);
            labels = pairs.into_iter().map(|(_, l)| l.clone()).collect();
        }

        let (tok, pad_id) = match manifest.architecture {
            Architecture::Bert => {
                let lower = manifest
                    .lower_case
                    .or_else(|| tokenizer_lower_case(&folder))
                    .unwrap_or(false);
                let t = BertTokenizer::from_file(folder.join("vocab.txt"), lower, lower)
                    .map_err(|e| err(name, format!("vocab.txt: {e}")))?;
                let pad = t.vocab().token_to_id("[PAD]");
                (Tok::Bert(Box::new(t)), pad)
            }
            Architecture::XlmRoberta => {
                let t = XLMRobertaTokenizer::from_file(
                    folder.join("sentencepiece.bpe.model"),
                    manifest.lower_case.unwrap_or(false),
                )
                .map_err(|e| err(name, format!("sentencepiece.bpe.model: {e}")))?;
                let pad = t.vocab().token_to_id("<pad>");
                (Tok::XlmR(Box::new(t)), pad)
            }
        };

        let mut vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let (net, prefix) = match (manifest.task, manifest.architecture) {
            (Task::Embeddings, Architecture::Bert) => (
                Net::Bert(BertModel::new_with_optional_pooler(&root, &config, false)),
                "bert.",
            ),
            (Task::Embeddings, Architecture::XlmRoberta) => (
                Net::Roberta(BertModel::new_with_optional_pooler(&root, &config, false)),
                "roberta.",
            ),
            (_, Architecture::Bert) => (
                Net::BertSeq(
                    BertForSequenceClassification::new(&root, &config).map_err(|e| err(name, e))?,
                ),
                "",
            ),
            (_, Architecture::XlmRoberta) => (
                Net::RobertaSeq(
                    RobertaForSequenceClassification::new(&root, &config)
                        .map_err(|e| err(name, e))?,
                ),
                "",
            ),
        };
        load_weights(&mut vs, &weights_file(&folder), prefix).map_err(|e| err(name, e))?;
        vs.freeze();
        Ok(Encoder {
            manifest,
            labels,
            tok,
            pad_id,
            net,
            _vs: vs,
        })
    }

    fn encode(&self, texts: &[&str]) -> Vec<TokenizedInput> {
        let max = self.manifest.max_len;
        let strategy = TruncationStrategy::LongestFirst;
        match &self.tok {
            Tok::Bert(t) => t.encode_list(texts, max, &strategy, 0),
            Tok::XlmR(t) => t.encode_list(texts, max, &strategy, 0),
        }
    }

    fn encode_pairs(&self, pairs: &[(&str, &str)]) -> Vec<TokenizedInput> {
        let max = self.manifest.max_len;
        let strategy = TruncationStrategy::LongestFirst;
        match &self.tok {
            Tok::Bert(t) => t.encode_pair_list(pairs, max, &strategy, 0),
            Tok::XlmR(t) => t.encode_pair_list(pairs, max, &strategy, 0),
        }
    }

    /// Pads to the longest input: (ids, mask, token types).
    fn tensors(&self, inputs: &[TokenizedInput]) -> (Tensor, Tensor, Tensor) {
        let len = inputs
            .iter()
            .map(|i| i.token_ids.len())
            .max()
            .unwrap_or(1)
            .max(1);
        let n = inputs.len();
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        let mut types = Vec::with_capacity(n * len);
        for i in inputs {
            let pad = len - i.token_ids.len();
            ids.extend_from_slice(&i.token_ids);
            ids.extend(std::iter::repeat_n(self.pad_id, pad));
            mask.extend(std::iter::repeat_n(1i64, i.token_ids.len()));
            mask.extend(std::iter::repeat_n(0i64, pad));
            let is_bert = matches!(self.tok, Tok::Bert(_));
            types.extend(
                i.segment_ids
                    .iter()
                    .map(|&s| if is_bert { s as i64 } else { 0 }),
            );
            types.extend(std::iter::repeat_n(0i64, pad));
        }
        let shape = [n as i64, len as i64];
        (
            Tensor::from_slice(&ids).view(shape),
            Tensor::from_slice(&mask).view(shape),
            Tensor::from_slice(&types).view(shape),
        )
    }

    fn logits(&self, inputs: &[TokenizedInput]) -> Result<Vec<Vec<f32>>, ClassifyError> {
        let (ids, mask, types) = self.tensors(inputs);
        let logits = tch::no_grad(|| match &self.net {
            Net::BertSeq(m) => Ok(m
                .forward_t(Some(&ids), Some(&mask), Some(&types), None, None, false)
                .logits),
            Net::RobertaSeq(m) => Ok(m
                .forward_t(Some(&ids), Some(&mask), None, None, None, false)
                .logits),
            _ => Err(err(&self.manifest.name, "not a classification model")),
        })?;
        let probs = logits.softmax(-1, Kind::Float);
        Vec::<Vec<f32>>::try_from(&probs).map_err(|e| err(&self.manifest.name, e))
    }

    /// Class probabilities (softmax over the model's labels) for each text.
    pub fn classify(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ClassifyError> {
        let inputs = self.encode(texts);
        by_length(&inputs, |chunk| self.logits(chunk))
    }

    /// Class probabilities for (premise, hypothesis) pairs.
    pub fn classify_pairs(&self, pairs: &[(&str, &str)]) -> Result<Vec<Vec<f32>>, ClassifyError> {
        let inputs = self.encode_pairs(pairs);
        by_length(&inputs, |chunk| self.logits(chunk))
    }

    /// Sentence embeddings: mean of the last hidden states over real tokens.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ClassifyError> {
        let inputs = self.encode(texts);
        by_length(&inputs, |chunk| self.pooled(chunk))
    }

    fn pooled(&self, inputs: &[TokenizedInput]) -> Result<Vec<Vec<f32>>, ClassifyError> {
        let (ids, mask, types) = self.tensors(inputs);
        let name = &self.manifest.name;
        let hidden = tch::no_grad(|| {
            let out = match &self.net {
                Net::Bert(m) => m.forward_t(
                    Some(&ids),
                    Some(&mask),
                    Some(&types),
                    None,
                    None,
                    None,
                    None,
                    false,
                ),
                Net::Roberta(m) => {
                    m.forward_t(Some(&ids), Some(&mask), None, None, None, None, None, false)
                }
                _ => return Err(err(name, "not an embeddings model")),
            };
            out.map(|o| o.hidden_state).map_err(|e| err(name, e))
        })?;
        let m = mask.unsqueeze(-1).to_kind(Kind::Float);
        let summed = (hidden * &m).sum_dim_intlist([1i64].as_slice(), false, Kind::Float);
        let counts = m
            .sum_dim_intlist([1i64].as_slice(), false, Kind::Float)
            .clamp_min(1e-9);
        let mut pooled = summed / counts;
        if self.manifest.normalize {
            let norm = pooled
                .norm_scalaropt_dim(2, [1i64].as_slice(), true)
                .clamp_min(1e-12);
            pooled /= norm;
        }
        Vec::<Vec<f32>>::try_from(&pooled).map_err(|e| err(name, e))
    }
}

/// Texts per forward pass once sorted by length: small enough that a batch's texts pad
/// to nearly the same length, large enough to keep the matrix products efficient.
const SUB_BATCH: usize = 8;

/// Runs `f` on sub-batches of similar token length and returns the results in input order.
fn by_length(
    inputs: &[TokenizedInput],
    f: impl Fn(&[TokenizedInput]) -> Result<Vec<Vec<f32>>, ClassifyError>,
) -> Result<Vec<Vec<f32>>, ClassifyError> {
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| inputs[i].token_ids.len());
    let mut out = vec![Vec::new(); inputs.len()];
    for chunk in order.chunks(SUB_BATCH) {
        let batch: Vec<TokenizedInput> = chunk.iter().map(|&i| inputs[i].clone()).collect();
        for (&i, r) in chunk.iter().zip(f(&batch)?) {
            out[i] = r;
        }
    }
    Ok(out)
}

fn tokenizer_lower_case(folder: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(folder.join("tokenizer_config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("do_lower_case")?.as_bool()
}

fn weights_file(folder: &Path) -> PathBuf {
    let st = folder.join("model.safetensors");
    if st.is_file() {
        st
    } else {
        folder.join("rust_model.ot")
    }
}

/// Copies the tensors of a safetensors (as published on the hub) or a rust-bert `.ot`
/// file into `vs`. Checkpoints are saved either with the base model's prefix
/// ("bert.embeddings...") or without it ("embeddings..."): a variable missing under its
/// own name is looked up with `prefix` added.
pub fn load_weights(vs: &mut nn::VarStore, path: &Path, prefix: &str) -> Result<(), String> {
    if path.extension().is_some_and(|e| e == "safetensors") {
        return load_safetensors(vs, path, prefix);
    }
    let named: HashMap<String, Tensor> = Tensor::load_multi(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .into_iter()
        .collect();
    let mut missing = Vec::new();
    let mut vars = vs.variables();
    tch::no_grad(|| {
        for (name, var) in vars.iter_mut() {
            let src = named
                .get(name)
                .or_else(|| named.get(&format!("{prefix}{name}")));
            match src {
                Some(src) if src.size() == var.size() => {
                    var.copy_(&src.to_kind(var.kind()));
                }
                Some(src) => missing.push(format!(
                    "{name} (shape {:?} in the file, {:?} expected)",
                    src.size(),
                    var.size()
                )),
                None => missing.push(name.clone()),
            }
        }
    });
    if missing.is_empty() {
        Ok(())
    } else {
        missing.sort();
        Err(format!(
            "{} does not fit the model ({} tensors missing or mis-shaped, e.g. {})",
            path.display(),
            missing.len(),
            missing
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Reads a safetensors file one tensor at a time, straight into the variables' memory
/// when the dtypes match (else through one buffer): the peak is the model itself, not two
/// or three copies of it.
fn load_safetensors(vs: &mut nn::VarStore, path: &Path, prefix: &str) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let ctx = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut f = std::fs::File::open(path).map_err(|e| ctx(&e))?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|e| ctx(&e))?;
    let len = u64::from_le_bytes(len);
    if len > 100 << 20 {
        return Err(ctx(&"header too large: not a safetensors file"));
    }
    let mut header = vec![0u8; len as usize];
    f.read_exact(&mut header).map_err(|e| ctx(&e))?;
    let header: HashMap<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|e| ctx(&e))?;
    let base = 8 + len;
    let mut missing = Vec::new();
    let mut vars = vs.variables();
    let mut buf = Vec::new();
    for (name, var) in vars.iter_mut() {
        let entry = header
            .get(name)
            .or_else(|| header.get(&format!("{prefix}{name}")));
        let Some(entry) = entry else {
            missing.push(name.clone());
            continue;
        };
        let kind = match entry["dtype"].as_str() {
            Some("F32") => Kind::Float,
            Some("F16") => Kind::Half,
            Some("BF16") => Kind::BFloat16,
            Some("F64") => Kind::Double,
            Some("I64") => Kind::Int64,
            other => return Err(ctx(&format!("{name}: unsupported dtype {other:?}"))),
        };
        let shape: Vec<i64> = entry["shape"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
            .unwrap_or_default();
        if shape != var.size() {
            missing.push(format!(
                "{name} (shape {shape:?} in the file, {:?} expected)",
                var.size()
            ));
            continue;
        }
        let (Some(start), Some(end)) = (
            entry["data_offsets"][0].as_u64(),
            entry["data_offsets"][1].as_u64(),
        ) else {
            return Err(ctx(&format!("{name}: no data_offsets")));
        };
        let nbytes = (end - start) as usize;
        f.seek(SeekFrom::Start(base + start)).map_err(|e| ctx(&e))?;
        let direct = cfg!(target_endian = "little")
            && kind == var.kind()
            && var.device() == tch::Device::Cpu
            && var.is_contiguous()
            && var.numel() * kind.elt_size_in_bytes() == nbytes;
        if direct {
            // The file's little-endian bytes are the variable's memory layout: read them
            // straight into it, so loading needs no second copy of any tensor.
            // SAFETY: `var` is a contiguous CPU tensor of exactly `nbytes` bytes of this
            // dtype, owned by the VarStore for the whole call, and nothing else reads or
            // writes it meanwhile; every bit pattern is a valid value of these dtypes.
            let dst = unsafe { std::slice::from_raw_parts_mut(var.data_ptr() as *mut u8, nbytes) };
            f.read_exact(dst).map_err(|e| ctx(&e))?;
        } else {
            buf.resize(nbytes, 0);
            f.read_exact(&mut buf).map_err(|e| ctx(&e))?;
            let t = Tensor::f_from_data_size(&buf, &shape, kind).map_err(|e| ctx(&e))?;
            tch::no_grad(|| var.copy_(&t.to_kind(var.kind())));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        missing.sort();
        Err(format!(
            "{} does not fit the model ({} tensors missing or mis-shaped, e.g. {})",
            path.display(),
            missing.len(),
            missing
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}
