//! Word polarities: the published lexicons compiled in, with calibrated or custom
//! polarities over them (`[classifier] lexicon_weights`).

use std::collections::HashMap;
use std::path::PathBuf;

use super::LANGS;
use crate::core::text::fold;

/// language -> folded word -> polarity in [-1, 1]
pub(super) type Words = HashMap<&'static str, HashMap<String, f32>>;

/// The published lexicons, one `word<TAB>polarity` file per language.
const DATA: &[(&str, &str)] = &[
    ("en", include_str!("../../../models/lexicon/en.tsv")),
    ("fr", include_str!("../../../models/lexicon/fr.tsv")),
    ("nl", include_str!("../../../models/lexicon/nl.tsv")),
    ("de", include_str!("../../../models/lexicon/de.tsv")),
];

/// Calibrated polarities (scripts/calibrate.py), overriding the published ones for the
/// words they list. German has no labelled development data, so it stays as published.
const CALIBRATED: &[(&str, &str)] = &[
    (
        "en",
        include_str!("../../../models/lexicon/calibrated/en.tsv"),
    ),
    (
        "fr",
        include_str!("../../../models/lexicon/calibrated/fr.tsv"),
    ),
    (
        "nl",
        include_str!("../../../models/lexicon/calibrated/nl.tsv"),
    ),
];

/// Which word polarities the lexicon uses (`[classifier] lexicon_weights`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Weights {
    /// The published lexicons with the calibrated polarities over them (the default).
    #[default]
    Calibrated,
    /// The published lexicons alone.
    Published,
    /// The published lexicons with the `LANG.tsv` files of this folder over them (what
    /// scripts/calibrate.py writes).
    Dir(PathBuf),
}

impl Weights {
    /// Parses the config value: "calibrated", "published" or a folder (resolved by the caller).
    pub fn parse(value: &str, resolve: impl FnOnce(&str) -> PathBuf) -> Weights {
        match value {
            "calibrated" => Weights::Calibrated,
            "published" => Weights::Published,
            dir => Weights::Dir(resolve(dir)),
        }
    }

    /// Every lexicon with these polarities: language -> folded word -> polarity.
    pub(super) fn load(&self) -> std::io::Result<Words> {
        let mut words = HashMap::new();
        for (lang, tsv) in DATA {
            let mut m = HashMap::with_capacity(8000);
            parse_tsv(tsv, &mut m, false);
            words.insert(*lang, m);
        }
        match self {
            Weights::Published => {}
            Weights::Calibrated => {
                for (lang, tsv) in CALIBRATED {
                    parse_tsv(tsv, words.get_mut(lang).expect("a published lexicon"), true);
                }
            }
            Weights::Dir(dir) => {
                let mut found = false;
                for lang in LANGS {
                    let path = dir.join(format!("{lang}.tsv"));
                    match std::fs::read_to_string(&path) {
                        Ok(tsv) => {
                            found = true;
                            parse_tsv(&tsv, words.get_mut(lang).expect("a lexicon"), true);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(std::io::Error::new(
                                e.kind(),
                                format!("{}: {e}", path.display()),
                            ))
                        }
                    }
                }
                if !found {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!(
                            "{} holds none of en.tsv, fr.tsv, nl.tsv, de.tsv",
                            dir.display()
                        ),
                    ));
                }
            }
        }
        Ok(words)
    }
}

fn parse_tsv(tsv: &str, into: &mut HashMap<String, f32>, replace: bool) {
    for line in tsv.lines() {
        if let Some((w, p)) = line.split_once('\t') {
            if let Ok(p) = p.trim().parse::<f32>() {
                if replace {
                    into.insert(fold(w), p);
                } else {
                    into.entry(fold(w)).or_insert(p);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::LexiconSentiment;
    use super::*;
    use crate::classify::SentimentLabel::{Negative, Positive};

    #[test]
    fn weights_from_a_folder_override_the_published_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("en.tsv"), "# a comment line\ngood\t-0.9\n").unwrap();
        let l = LexiconSentiment::with_weights(&Weights::Dir(dir.path().into())).unwrap();
        assert_eq!(l.sentiment("good", Some("en")).label, Negative);
        let published = LexiconSentiment::with_weights(&Weights::Published).unwrap();
        assert_eq!(published.sentiment("good", Some("en")).label, Positive);
        // Other languages keep their lexicons.
        assert_eq!(l.sentiment("excellent", Some("fr")).label, Positive);
        let empty = tempfile::tempdir().unwrap();
        let err = LexiconSentiment::with_weights(&Weights::Dir(empty.path().into())).unwrap_err();
        assert!(err.to_string().contains("en.tsv"), "{err}");
    }

    #[test]
    fn calibrated_weights_differ_from_the_published_ones() {
        // The compiled-in calibration is not empty and moves some polarities.
        for (lang, tsv) in CALIBRATED {
            assert!(
                tsv.lines().filter(|l| l.contains('\t')).count() > 100,
                "{lang}"
            );
        }
        let c = Weights::Calibrated.load().unwrap();
        let p = Weights::Published.load().unwrap();
        let moved = c["en"]
            .iter()
            .filter(|(w, v)| (p["en"][*w] - **v).abs() > 0.01)
            .count();
        assert!(moved > 100, "{moved}");
    }
}
