//! ISO 639-1 codes and the language types of the two identifiers.

use lingua::Language;
use whatlang::Lang;

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

/// The languages whose lingua models are compiled in (about 5 MB each): Belgium's three
/// languages and English. Other configured languages are identified by whatlang alone.
const LINGUA: &[(&str, Language)] = &[
    ("fr", Language::French),
    ("nl", Language::Dutch),
    ("en", Language::English),
    ("de", Language::German),
];

/// whatlang language for an ISO 639-1 code.
pub fn lang_from_code(code: &str) -> Option<Lang> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// ISO 639-1 code of a whatlang language ("und" for one vigie does not list).
pub fn code_of(lang: Lang) -> &'static str {
    CODES
        .iter()
        .find(|(_, l)| *l == lang)
        .map(|(c, _)| *c)
        .unwrap_or("und")
}

/// lingua language for an ISO 639-1 code, when its model is compiled in.
pub fn lingua_from_code(code: &str) -> Option<Language> {
    LINGUA.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// ISO 639-1 code of a lingua language ("und" for one not compiled in).
pub fn code_of_lingua(lang: Language) -> &'static str {
    LINGUA
        .iter()
        .find(|(_, l)| *l == lang)
        .map(|(c, _)| *c)
        .unwrap_or("und")
}

/// The codes lingua can identify here, for messages.
pub fn lingua_codes() -> Vec<&'static str> {
    LINGUA.iter().map(|(c, _)| *c).collect()
}
