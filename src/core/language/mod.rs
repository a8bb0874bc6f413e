//! Language identification with whatlang, restricted to the configured languages,
//! using a feed's declared language as a prior when the text alone is not conclusive.

use whatlang::{Detector, Lang};

/// ISO 639-1 ↔ whatlang, for the languages a European public body meets.
const CODES: &[(&str, Lang)] = &[
    ("fr", Lang::Fra),
    ("nl", Lang::Nld),
    ("en", Lang::Eng),
    ("de", Lang::Deu),
    ("es", Lang::Spa),
    ("it", Lang::Ita),
    ("pt", Lang::Por),
    ("pl", Lang::Pol),
    ("ro", Lang::Ron),
    ("tr", Lang::Tur),
    ("ar", Lang::Ara),
    ("ru", Lang::Rus),
    ("uk", Lang::Ukr),
    ("da", Lang::Dan),
    ("sv", Lang::Swe),
];

/// whatlang language for an ISO 639-1 code.
pub fn lang_from_code(code: &str) -> Option<Lang> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

fn code_of(lang: Lang) -> &'static str {
    CODES
        .iter()
        .find(|(_, l)| *l == lang)
        .map(|(c, _)| *c)
        .unwrap_or("und")
}

/// The result: an ISO 639-1 code ("und" when unsure) and a confidence in 0..=1.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    /// "fr", "nl", ... or "und".
    pub lang: String,
    /// 0..=1
    pub confidence: f64,
}

/// A language identifier restricted to a set of languages.
#[derive(Debug, Clone)]
pub struct LanguageId {
    detector: Detector,
    allowed: Vec<String>,
}

/// Below this whatlang confidence a text alone does not decide.
const SURE: f64 = 0.5;

impl LanguageId {
    /// `allowed`: ISO 639-1 codes (unknown ones are ignored; config validation reports them).
    pub fn new(allowed: &[String]) -> LanguageId {
        let langs: Vec<Lang> = allowed.iter().filter_map(|c| lang_from_code(c)).collect();
        let allowed: Vec<String> = langs.iter().map(|l| code_of(*l).to_string()).collect();
        let detector = if langs.len() >= 2 {
            Detector::with_allowlist(langs)
        } else {
            Detector::new()
        };
        LanguageId { detector, allowed }
    }

    /// Identifies the language of `text`; `hint` is a declared language ("fr-BE", "nl").
    pub fn identify(&self, text: &str, hint: Option<&str>) -> Identified {
        let hint = hint
            .map(|h| h.trim().to_ascii_lowercase())
            .and_then(|h| h.split(['-', '_']).next().map(str::to_string))
            .filter(|h| self.allowed.contains(h));
        if self.allowed.len() == 1 {
            return Identified {
                lang: self.allowed[0].clone(),
                confidence: 1.0,
            };
        }
        let info = self.detector.detect(text);
        let (guess, conf) = match &info {
            Some(i) => (Some(code_of(i.lang())), i.confidence()),
            None => (None, 0.0),
        };
        match (guess, hint) {
            // The text and the declaration agree: as sure as it gets.
            (Some(g), Some(h)) if g == h => Identified {
                lang: h,
                confidence: (conf + 1.0) / 2.0,
            },
            (Some(g), _) if conf >= SURE && info.as_ref().is_some_and(|i| i.is_reliable()) => {
                Identified {
                    lang: g.to_string(),
                    confidence: conf,
                }
            }
            // The text is not conclusive: the feed's declared language wins.
            (_, Some(h)) => Identified {
                lang: h,
                confidence: 0.5 + conf.min(0.5) / 2.0,
            },
            (Some(g), None) if conf >= 0.2 => Identified {
                lang: g.to_string(),
                confidence: conf,
            },
            _ => Identified {
                lang: "und".into(),
                confidence: 0.0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> LanguageId {
        LanguageId::new(&["fr".into(), "nl".into(), "en".into(), "de".into()])
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
    fn results_stay_within_the_allowed_languages() {
        let l = LanguageId::new(&["fr".into(), "nl".into()]);
        let r = l.identify(
            "The tax office website is down again today, people are furious about it",
            None,
        );
        assert!(r.lang == "fr" || r.lang == "nl" || r.lang == "und");
    }
}
