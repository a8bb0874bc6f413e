//! Words, dates and numbers in the reader's language (fr, nl, en).

use std::collections::BTreeMap;

use chrono::{DateTime, Locale, NaiveDate};
use chrono_tz::Tz;
use num_format::ToFormattedString;

/// The catalogue of user-facing strings, per language.
#[derive(Debug, Clone)]
pub struct Catalog {
    langs: BTreeMap<String, BTreeMap<String, String>>,
}

/// A signal's reason in the reader's language: the catalogue's `reason_<kind>` (or
/// `reason_<kind>_<basis>` when the figures name a basis, e.g. a `high_reach` signal
/// raised on engagement) filled with the signal's figures, or the stored (English)
/// reason when there is no such entry.
pub fn reason(
    catalog: &Catalog,
    lang: &str,
    kind: &str,
    figures: &BTreeMap<String, String>,
    fallback: &str,
) -> String {
    let key = match figures.get("basis") {
        Some(b) => format!("reason_{kind}_{b}"),
        None => format!("reason_{kind}"),
    };
    if figures.is_empty() || !catalog.strings(lang).contains_key(&key) {
        return fallback.to_string();
    }
    let args: Vec<(&str, &str)> = figures
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    catalog.t(lang, &key, &args)
}

/// Languages e-mails exist in.
pub const LANGUAGES: &[&str] = &["fr", "nl", "en"];

impl Catalog {
    /// The built-in catalogue.
    pub fn builtin() -> Catalog {
        Catalog::parse(include_str!("templates/strings.toml"))
            .expect("templates/strings.toml is valid (tested)")
    }

    /// A catalogue from TOML text: one table per language, `key = "text with {placeholders}"`.
    pub fn parse(text: &str) -> Result<Catalog, toml::de::Error> {
        Ok(Catalog {
            langs: toml::from_str(text)?,
        })
    }

    /// Every key of every language, to check that none is missing.
    pub fn languages(&self) -> impl Iterator<Item = (&String, &BTreeMap<String, String>)> {
        self.langs.iter()
    }

    /// All strings of a language (English for an unknown one).
    pub fn strings(&self, lang: &str) -> &BTreeMap<String, String> {
        self.langs
            .get(lang)
            .or_else(|| self.langs.get("en"))
            .expect("English strings exist")
    }

    /// One string, with `{name}` placeholders filled.
    pub fn t(&self, lang: &str, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self
            .strings(lang)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string());
        for (k, v) in args {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

fn locale(lang: &str) -> Locale {
    match lang {
        "fr" => Locale::fr_BE,
        "nl" => Locale::nl_BE,
        _ => Locale::en_GB,
    }
}

/// "mardi 24 novembre 2026", "dinsdag 24 november 2026", "Tuesday 24 November 2026".
pub fn long_date(d: NaiveDate, lang: &str) -> String {
    d.format_localized("%A %-d %B %Y", locale(lang)).to_string()
}

/// "24 nov. 2026 08:00" style, in the given time zone.
pub fn date_time(t: DateTime<chrono::Utc>, tz: Tz, lang: &str) -> String {
    let local = t.with_timezone(&tz);
    let fmt = match lang {
        "en" => "%-d %b %Y, %H:%M",
        _ => "%-d %b %Y %H:%M",
    };
    local.format_localized(fmt, locale(lang)).to_string()
}

/// 1 234 (fr), 1.234 (nl), 1,234 (en).
pub fn number(n: i64, lang: &str) -> String {
    match lang {
        "fr" => n.to_formatted_string(&num_format::Locale::fr),
        "nl" => n.to_formatted_string(&num_format::Locale::nl),
        _ => n.to_formatted_string(&num_format::Locale::en),
    }
}

/// 12,5 % (fr, nl) or 12.5% (en).
pub fn percent(share: f64, lang: &str) -> String {
    let v = format!("{:.1}", share * 100.0);
    match lang {
        "fr" => format!("{} %", v.replace('.', ",")),
        "nl" => format!("{}%", v.replace('.', ",")),
        _ => format!("{v}%"),
    }
}

/// A span of minutes for a reader: "45 min" under two hours, else "2,5 h" (fr, nl) or
/// "2.5 h" (en); "–" when there is none.
pub fn minutes(m: Option<f64>, lang: &str) -> String {
    match m {
        None => "–".into(),
        Some(m) if m < 120.0 => format!("{m:.0} min"),
        Some(m) => {
            let h = format!("{:.1} h", m / 60.0);
            if lang == "en" {
                h
            } else {
                h.replace('.', ",")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key() {
        let c = Catalog::builtin();
        let en: Vec<&String> = c.strings("en").keys().collect();
        for l in LANGUAGES {
            let keys: Vec<&String> = c.strings(l).keys().collect();
            assert_eq!(keys, en, "language {l}");
        }
    }

    #[test]
    fn dates_and_numbers_follow_the_language() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(long_date(d, "fr"), "mardi 24 novembre 2026");
        assert_eq!(long_date(d, "nl"), "dinsdag 24 november 2026");
        assert_eq!(long_date(d, "en"), "Tuesday 24 November 2026");
        assert_eq!(number(1234567, "en"), "1,234,567");
        assert_eq!(number(1234567, "nl"), "1.234.567");
        assert!(
            number(1234, "fr").starts_with('1')
                && number(1234, "fr").ends_with("234")
                && !number(1234, "fr").contains(',')
        );
        assert_eq!(percent(0.125, "fr"), "12,5 %");
        assert_eq!(percent(0.125, "en"), "12.5%");
        let c = Catalog::builtin();
        assert_eq!(
            c.t("nl", "digest_subject", &[("name", "FOD"), ("date", "x")]),
            "FOD — overzicht van x"
        );
    }
}
