//! Language identification restricted to the configured languages, with a feed's
//! declared language as a prior when the text alone is not conclusive.
//!
//! Short posts are hard for a letter-statistics identifier: "MyMinfin is down again"
//! reads as Dutch to whatlang. Three detectors (`[institution] language_detector`):
//! - `whatlang`: fastest, about 89 % on short posts (3 to 30 words);
//! - `lingua`: about a tenth of its speed, about 98 %;
//! - `combined` (the default): function words first (`words.rs`: "het", "the", "und"
//!   decide a three-word post that letter statistics get wrong), then whatlang when it is
//!   sure and no function word contradicts it, lingua otherwise with the function words
//!   and the declared language as priors (`prior.rs`); more accurate than lingua at
//!   several times its speed. BENCHMARKS.md ("Language identification").
//!
//! Before any of them reads a text, links, handles, numbers and brand names are taken
//! out ([`clean`]).

pub mod clean;
mod codes;
mod prior;
mod words;

use std::collections::HashSet;
use std::sync::Arc;

use lingua::{LanguageDetector, LanguageDetectorBuilder};
use prior::Priors;
use serde::Deserialize;
use whatlang::{Detector, Lang};
use words::FunctionWords;

pub use codes::{code_of, lang_from_code, lingua_codes, lingua_from_code};

/// How languages are identified (`[institution] language_detector`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// whatlang alone.
    Whatlang,
    /// lingua alone (high-accuracy mode).
    Lingua,
    /// whatlang when it is sure, lingua otherwise.
    #[default]
    Combined,
}

impl Method {
    /// Every method, for benchmarks.
    pub const ALL: [Method; 3] = [Method::Whatlang, Method::Lingua, Method::Combined];

    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            Method::Whatlang => "whatlang",
            Method::Lingua => "lingua",
            Method::Combined => "combined",
        }
    }
}

/// The result: an ISO 639-1 code ("und" when unsure) and a confidence in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    /// "fr", "nl", ... or "und".
    pub lang: String,
    /// 0..=1
    pub confidence: f64,
}

impl Identified {
    fn new(lang: &str, confidence: f64) -> Identified {
        Identified {
            lang: lang.to_string(),
            confidence,
        }
    }

    fn unknown() -> Identified {
        Identified::new("und", 0.0)
    }
}

/// A language identifier restricted to a set of languages.
#[derive(Clone)]
pub struct LanguageId {
    whatlang: Detector,
    /// Set when lingua is used and has a model for every allowed language.
    lingua: Option<Arc<LanguageDetector>>,
    /// Set for `combined` when every allowed language has a list of function words.
    words: Option<Arc<FunctionWords>>,
    method: Method,
    allowed: Vec<String>,
    names: Arc<HashSet<String>>,
    /// Whether links, handles, numbers and brands are taken out first (always, but for
    /// the benchmark of the identifiers as they come).
    clean: bool,
}

impl std::fmt::Debug for LanguageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanguageId")
            .field("method", &self.method)
            .field("allowed", &self.allowed)
            .field("lingua", &self.lingua.is_some())
            .finish()
    }
}

/// Below this whatlang confidence a text alone does not decide (whatlang alone).
const SURE: f64 = 0.5;
/// Above this whatlang confidence (and "reliable"), `combined` does not ask lingua.
const SURE_COMBINED: f64 = 0.9;
/// A text of fewer words than this cannot overrule a declared language.
const MIN_WORDS_AGAINST_HINT: usize = 3;
/// By how many function words one language must lead the others to decide alone.
const WORDS_AHEAD: usize = 2;

impl LanguageId {
    /// `allowed`: ISO 639-1 codes (unknown ones are ignored; config validation reports
    /// them), identified by the default method.
    pub fn new(allowed: &[String]) -> LanguageId {
        LanguageId::with_method(allowed, Method::default())
    }

    /// `allowed` identified by `method`. lingua is used only when it has a model for
    /// every allowed language; otherwise whatlang alone decides.
    pub fn with_method(allowed: &[String], method: Method) -> LanguageId {
        let langs: Vec<Lang> = allowed.iter().filter_map(|c| lang_from_code(c)).collect();
        let allowed: Vec<String> = langs.iter().map(|l| code_of(*l).to_string()).collect();
        let whatlang = if langs.len() >= 2 {
            Detector::with_allowlist(langs)
        } else {
            Detector::new()
        };
        let lingua_langs: Vec<_> = allowed.iter().filter_map(|c| lingua_from_code(c)).collect();
        let lingua = (method != Method::Whatlang
            && lingua_langs.len() >= 2
            && lingua_langs.len() == allowed.len())
        .then(|| {
            Arc::new(
                LanguageDetectorBuilder::from_languages(&lingua_langs)
                    .with_preloaded_language_models()
                    .build(),
            )
        });
        let function_words = FunctionWords::default();
        let words = (method == Method::Combined
            && allowed.len() >= 2
            && allowed.iter().all(|l| function_words.knows(l)))
        .then(|| Arc::new(function_words));
        LanguageId {
            whatlang,
            lingua,
            words,
            method,
            allowed,
            names: Arc::default(),
            clean: true,
        }
    }

    /// Words not to read (the institution's names), lower-case.
    pub fn with_names(mut self, names: HashSet<String>) -> LanguageId {
        self.names = Arc::new(names);
        self
    }

    /// Reads texts as they come (the benchmark's baseline: whatlang as vigie used it).
    pub fn without_cleaning(mut self) -> LanguageId {
        self.clean = false;
        self
    }

    /// Identifies the language of `text`; `hint` is a declared language ("fr-BE", "nl").
    pub fn identify(&self, text: &str, hint: Option<&str>) -> Identified {
        let hint = hint
            .map(|h| h.trim().to_ascii_lowercase())
            .and_then(|h| h.split(['-', '_']).next().map(str::to_string))
            .filter(|h| self.allowed.contains(h));
        if self.allowed.len() == 1 {
            return Identified::new(&self.allowed[0], 1.0);
        }
        let cleaned;
        let text = if self.clean {
            cleaned = clean::for_identification(text, &self.names);
            &cleaned
        } else {
            text
        };
        if let Some(h) = &hint {
            if text.split_whitespace().count() < MIN_WORDS_AGAINST_HINT {
                return Identified::new(h, 0.5);
            }
        }
        match (&self.lingua, self.method) {
            (Some(lingua), Method::Lingua) => {
                Priors::new(hint.as_deref(), &[], &[]).lingua(lingua, text)
            }
            (Some(lingua), Method::Combined) => self.combined(lingua, text, hint.as_deref()),
            _ => self.by_whatlang(text, hint),
        }
    }

    /// Function words first: a language whose function words outnumber the others' by
    /// [`WORDS_AHEAD`] is the answer. Then whatlang when it agrees with the declared
    /// language, or is sure and not contradicted by a function word; else lingua, with
    /// the declared language and the function words as priors.
    fn combined(&self, lingua: &LanguageDetector, text: &str, hint: Option<&str>) -> Identified {
        let counts = match &self.words {
            Some(w) => w.count(text, &self.allowed),
            None => Vec::new(),
        };
        let priors = Priors::new(hint, &self.allowed, &counts);
        let leader = priors.leader();
        if let Some((lang, n, second)) = leader {
            if n >= second + WORDS_AHEAD {
                return Identified::new(lang, n as f64 / (n + second + 1) as f64);
            }
        }
        match self.whatlang.detect(text) {
            Some(i) if hint == Some(code_of(i.lang())) => {
                Identified::new(code_of(i.lang()), (i.confidence() + 1.0) / 2.0)
            }
            Some(i)
                if i.is_reliable()
                    && i.confidence() >= SURE_COMBINED
                    && leader.is_none_or(|(l, _, _)| l == code_of(i.lang())) =>
            {
                Identified::new(code_of(i.lang()), i.confidence())
            }
            _ => priors.lingua(lingua, text),
        }
    }

    fn by_whatlang(&self, text: &str, hint: Option<String>) -> Identified {
        let info = self.whatlang.detect(text);
        let (guess, conf) = match &info {
            Some(i) => (Some(code_of(i.lang())), i.confidence()),
            None => (None, 0.0),
        };
        match (guess, hint) {
            // The text and the declaration agree: as sure as it gets.
            (Some(g), Some(h)) if g == h => Identified::new(&h, (conf + 1.0) / 2.0),
            (Some(g), _) if conf >= SURE && info.as_ref().is_some_and(|i| i.is_reliable()) => {
                Identified::new(g, conf)
            }
            // The text is not conclusive: the feed's declared language wins.
            (_, Some(h)) => Identified::new(&h, 0.5 + conf.min(0.5) / 2.0),
            (Some(g), None) if conf >= 0.2 => Identified::new(g, conf),
            _ => Identified::unknown(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn four() -> Vec<String> {
        ["fr", "nl", "en", "de"].map(String::from).to_vec()
    }

    fn id() -> LanguageId {
        LanguageId::new(&four())
    }

    #[test]
    fn identifies_the_four_languages() {
        let l = id();
        for (text, want) in [
            ("Le site MyTax est encore en panne le jour de la date limite de la déclaration, c'est inadmissible", "fr"),
            ("De website van MyTax ligt weer plat op de laatste dag van de aangifte, dit is onaanvaardbaar", "nl"),
            ("The MyTax website is down again on the last day to file the tax return, this is unacceptable", "en"),
            ("Die MyTax-Website ist am letzten Tag der Steuererklärung schon wieder nicht erreichbar", "de"),
        ] {
            assert_eq!(l.identify(text, None).lang, want, "{text}");
        }
    }

    #[test]
    fn declared_language_decides_short_texts() {
        let l = id();
        assert_eq!(l.identify("MyTax ok", Some("nl-BE")).lang, "nl");
        assert_eq!(l.identify("", None).lang, "und");
        // A confident text beats a wrong declaration.
        let r = l.identify(
            "Le site MyTax est encore en panne le jour de la date limite de la déclaration fiscale",
            Some("nl"),
        );
        assert_eq!(r.lang, "fr");
    }

    #[test]
    fn short_posts_with_brands_handles_and_links_are_read_right() {
        let keywords = ["\"SPF Finances\" OR MyMinfin OR @SPFFinances".to_string()];
        for method in [Method::Lingua, Method::Combined] {
            let l = LanguageId::with_method(&four(), method)
                .with_names(clean::names_from_keywords(&keywords));
            for (text, want) in [
                ("MyMinfin is down again, cannot file my return", "en"),
                ("MyMinfin ligt weer plat #fail", "nl"),
                (
                    "@SPFFinances toujours pas de remboursement https://finances.belgium.be",
                    "fr",
                ),
                ("Danke fürs Nichts, SPF Finances", "de"),
                ("still waiting 🙄", "en"),
            ] {
                assert_eq!(l.identify(text, None).lang, want, "{method:?}: {text}");
            }
        }
    }

    #[test]
    fn the_declared_language_is_a_prior_not_a_verdict() {
        for method in Method::ALL {
            let l = LanguageId::with_method(&four(), method);
            // Too short to tell alone: the feed's language decides.
            assert_eq!(
                l.identify("MyTax ok", Some("nl-BE")).lang,
                "nl",
                "{method:?}"
            );
            assert_eq!(l.identify("MyTax ok", Some("fr")).lang, "fr", "{method:?}");
            // Clear text against a wrong declaration: the text decides.
            let r = l.identify("Toujours pas de remboursement, c'est une honte", Some("nl"));
            assert_eq!(r.lang, "fr", "{method:?}");
        }
    }

    #[test]
    fn lingua_is_only_used_when_it_knows_every_language() {
        let l = LanguageId::with_method(&["fr".into(), "nl".into(), "es".into()], Method::Lingua);
        assert!(l.lingua.is_none());
        assert!(LanguageId::with_method(&four(), Method::Lingua)
            .lingua
            .is_some());
        assert!(LanguageId::with_method(&four(), Method::Whatlang)
            .lingua
            .is_none());
        // whatlang alone still answers within the allowed languages.
        let r = l.identify(
            "Le site est encore en panne aujourd'hui, impossible de se connecter",
            None,
        );
        assert_eq!(r.lang, "fr");
    }

    #[test]
    fn results_stay_within_the_allowed_languages() {
        let l = LanguageId::new(&["fr".into(), "nl".into()]);
        let r = l.identify(
            "The tax office website is down again today, people are furious about it",
            None,
        );
        assert!(r.lang == "fr" || r.lang == "nl" || r.lang == "und");
    }
}
