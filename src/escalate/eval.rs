//! `vigie eval --task formal`: the formal-request detector scored on a labelled file
//! (JSON lines `{"id", "lang", "text", "formal": bool}`), per language and overall.
//! Errors are listed by id and by the elements found, never by text: the file may hold
//! personal data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::formal::Detector;

/// One labelled message.
#[derive(Debug, Clone, Deserialize)]
pub struct Gold {
    /// Line id, echoed in the list of errors.
    #[serde(default)]
    pub id: Option<String>,
    /// Its language (fr, nl, en, de).
    pub lang: String,
    /// The message.
    pub text: String,
    /// Whether it is a formal request.
    pub formal: bool,
}

/// Counts and scores for one group of messages.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Scores {
    /// Messages.
    pub n: usize,
    /// Formal requests flagged.
    pub tp: usize,
    /// Other messages flagged.
    pub fp: usize,
    /// Formal requests missed.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Other messages left alone.
    pub tn: usize,
    /// tp / (tp + fp); none when nothing was flagged.
    pub precision: Option<f64>,
    /// tp / (tp + fn); none when there is no formal request.
    pub recall: Option<f64>,
}

impl Scores {
    fn add(&mut self, gold: bool, flagged: bool) {
        self.n += 1;
        match (gold, flagged) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
        let ratio = |a: usize, b: usize| (a + b > 0).then(|| a as f64 / (a + b) as f64);
        self.precision = ratio(self.tp, self.fp);
        self.recall = ratio(self.tp, self.fn_);
    }
}

/// A message the detector got wrong: its id, and which elements it found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Miss {
    /// The gold line's id (or its line number).
    pub id: String,
    /// Its language.
    pub lang: String,
    /// Gold label.
    pub formal: bool,
    /// Elements the detector found.
    pub found: Vec<&'static str>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// "formal".
    pub task: &'static str,
    /// Over every message.
    pub overall: Scores,
    /// Per gold language.
    pub per_language: BTreeMap<String, Scores>,
    /// False positives and false negatives.
    pub errors: Vec<Miss>,
}

/// Scores the detector on labelled messages.
pub fn score(golds: &[Gold], detector: &Detector) -> Report {
    let mut overall = Scores::default();
    let mut per_language: BTreeMap<String, Scores> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, g) in golds.iter().enumerate() {
        let id = detector.identify(&g.text);
        let flagged = id.is_formal_request();
        overall.add(g.formal, flagged);
        per_language
            .entry(g.lang.clone())
            .or_default()
            .add(g.formal, flagged);
        if flagged != g.formal {
            errors.push(Miss {
                id: g.id.clone().unwrap_or_else(|| format!("line {}", i + 1)),
                lang: g.lang.clone(),
                formal: g.formal,
                found: id.found(),
            });
        }
    }
    Report {
        task: "formal",
        overall,
        per_language,
        errors,
    }
}

/// Why a labelled file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file itself.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// One line of it.
    #[error(
        "{path}:{line}: {source} (expected {{\"id\", \"lang\", \"text\", \"formal\": true|false}})"
    )]
    Line {
        /// The file.
        path: PathBuf,
        /// Its line number, from 1.
        line: usize,
        /// What is wrong with it.
        source: serde_json::Error,
    },
}

/// Reads a labelled file (JSON lines; blank lines skipped), naming the line of any error.
pub fn read(path: &Path) -> Result<Vec<Gold>, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|source| ReadError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                source,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(lang: &str, text: &str, formal: bool) -> Gold {
        Gold {
            id: None,
            lang: lang.into(),
            text: text.into(),
            formal,
        }
    }

    #[test]
    fn counts_per_language_and_overall() {
        let formal = "Je m'appelle Marie Dupont, rue de la Loi 16, 1000 Bruxelles, marie.dupont@example.be. Je demande un délai.";
        let golds = [
            gold("fr", formal, true),
            gold("fr", "MyMinfin est en panne.", false),
            gold("nl", "Mijn naam is Jan Peeters, jan@example.be.", true),
            gold("nl", formal, false),
        ];
        let r = score(&golds, &Detector::new());
        let fr = &r.per_language["fr"];
        assert_eq!((fr.n, fr.tp, fr.fp, fr.fn_, fr.tn), (2, 1, 0, 0, 1));
        assert_eq!((fr.precision, fr.recall), (Some(1.0), Some(1.0)));
        let nl = &r.per_language["nl"];
        assert_eq!((nl.tp, nl.fp, nl.fn_), (0, 1, 1));
        assert_eq!((nl.precision, nl.recall), (Some(0.0), Some(0.0)));
        assert_eq!(r.overall.n, 4);
        assert_eq!(r.errors.len(), 2);
        assert_eq!(r.errors[0].id, "line 3");
        // Errors name the elements, never the text.
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            !json.contains("Dupont") && !json.contains("@example"),
            "{json}"
        );
        assert!(json.contains("\"fn\":"), "{json}");
    }
}
