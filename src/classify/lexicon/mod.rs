//! The lexicon backend: sentiment from openly licensed word lists (models/lexicon/,
//! compiled in so it starts in milliseconds with nothing to configure), with negation,
//! intensifiers, contrast ("but"), exclamation and emoji. The published polarities are
//! calibrated on labelled reviews (models/lexicon/calibrated/, scripts/calibrate.py).
//! Topics come from keywords (added by the stage), so this backend returns sentiment only.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use super::{Classifier, ClassifyError, Input, Output, Sentiment, SentimentLabel};
use crate::core::text::fold;

/// The published lexicons, one `word<TAB>polarity` file per language.
const DATA: &[(&str, &str)] = &[
    ("en", include_str!("../../models/lexicon/en.tsv")),
    ("fr", include_str!("../../models/lexicon/fr.tsv")),
    ("nl", include_str!("../../models/lexicon/nl.tsv")),
    ("de", include_str!("../../models/lexicon/de.tsv")),
];

/// Calibrated polarities (scripts/calibrate.py), overriding the published ones for the
/// words they list. German has no labelled development data, so it stays as published.
const CALIBRATED: &[(&str, &str)] = &[
    ("en", include_str!("../../models/lexicon/calibrated/en.tsv")),
    ("fr", include_str!("../../models/lexicon/calibrated/fr.tsv")),
    ("nl", include_str!("../../models/lexicon/calibrated/nl.tsv")),
];

/// The lexicons' languages, in the order that settles ties and unknown languages.
const LANGS: [&str; 4] = ["fr", "nl", "en", "de"];

/// Words that flip the polarity of what follows (within a few words).
const NEGATORS: &[&str] = &[
    // fr
    "pas", "ne", "n", "jamais", "aucun", "aucune", "rien", "sans", "ni", "plus", // nl
    "niet", "geen", "nooit", "niets", "zonder", "noch", // en
    "not", "no", "never", "nothing", "without", "nor", "isnt", "dont", "doesnt", "didnt", "wasnt",
    "cant", "cannot", "wont", "hardly", // de
    "nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "nichts", "ohne",
    // "lack of information", "devoid of any help", "manque de clarté", "gebrek aan", "Mangel an"
    "lack", "lacks", "lacking", "lacked", "devoid", "manque", "gebrek", "mangel",
];

/// Concessive openers: the clause they open is granted, not asserted ("although it is
/// fast, ..."), so its words count half, until the clause ends.
const CONCESSIVE: &[&str] = &[
    "although", "though", "despite", "bien", "malgre", "quoique", "hoewel", "ondanks", "obwohl",
    "trotz", "obgleich",
];

/// Words that strengthen (factor > 1) or soften (< 1) the next opinion word.
const BOOSTERS: &[(&str, f32)] = &[
    ("tres", 1.4),
    ("vraiment", 1.4),
    ("trop", 1.3),
    ("extremement", 1.6),
    ("super", 1.4),
    ("hyper", 1.4),
    ("totalement", 1.4),
    ("si", 1.2),
    ("zeer", 1.4),
    ("erg", 1.4),
    ("heel", 1.4),
    ("echt", 1.4),
    ("super", 1.4),
    ("ontzettend", 1.6),
    ("enorm", 1.5),
    ("zo", 1.2),
    ("very", 1.4),
    ("really", 1.4),
    ("so", 1.2),
    ("extremely", 1.6),
    ("totally", 1.4),
    ("absolutely", 1.5),
    ("incredibly", 1.5),
    ("sehr", 1.4),
    ("wirklich", 1.4),
    ("total", 1.4),
    ("extrem", 1.6),
    ("absolut", 1.5),
    ("echt", 1.4),
    ("peu", 0.6),
    ("assez", 0.8),
    ("plutot", 0.8),
    ("beetje", 0.6),
    ("vrij", 0.8),
    ("nogal", 0.8),
    ("slightly", 0.6),
    ("somewhat", 0.7),
    ("fairly", 0.8),
    ("etwas", 0.6),
    ("ziemlich", 0.8),
];

/// Contrast words: what follows weighs more than what came before.
const BUT: &[&str] = &[
    "mais",
    "maar",
    "but",
    "however",
    "aber",
    "doch",
    "pourtant",
    "toutefois",
    "echter",
];

/// Emoji and emoticons with their polarity.
const EMOJI: &[(&str, f32)] = &[
    ("😡", -0.9),
    ("🤬", -1.0),
    ("😠", -0.8),
    ("😤", -0.6),
    ("😢", -0.6),
    ("😭", -0.7),
    ("😞", -0.6),
    ("😒", -0.5),
    ("🙄", -0.5),
    ("👎", -0.7),
    ("💩", -0.8),
    ("😫", -0.6),
    ("😩", -0.6),
    ("🤦", -0.5),
    ("😱", -0.6),
    ("⚠", -0.2),
    ("🚨", -0.4),
    ("😀", 0.6),
    ("😃", 0.6),
    ("😄", 0.7),
    ("😊", 0.7),
    ("🙂", 0.4),
    ("😍", 0.9),
    ("🥰", 0.9),
    ("👍", 0.7),
    ("👏", 0.7),
    ("🙏", 0.5),
    ("❤", 0.8),
    ("💯", 0.6),
    ("🎉", 0.7),
    ("✅", 0.4),
    (":-(", -0.6),
    (":(", -0.6),
    (":'(", -0.7),
    (">:(", -0.8),
    (":-/", -0.3),
    (":/", -0.3),
    (":-)", 0.6),
    (":)", 0.6),
    (";)", 0.4),
    (":-d", 0.7),
    (":d", 0.7),
    ("<3", 0.8),
];

/// Words after a negator that it still reaches (within the clause).
const NEGATION_SCOPE: usize = 5;

/// Excess words ("too", "trop", "te", "zu"): what they qualify reads as criticism.
const EXCESS: &[&str] = &["too", "trop", "te", "zu", "overly", "teveel"];

/// Below this score (in absolute value) a text is neutral: no opinion to speak of.
pub const NEUTRAL_BAND: f32 = 0.005;

/// A text is positive only above this mean polarity. Opinion lexicons lean positive
/// (criticism is often worded politely), so 0 is not the middle: 0.1 is Pattern's own
/// default for `positive()`; on our dev sets the best threshold was 0.09-0.12 in every
/// language, so we kept Pattern's round figure rather than a tuned one.
pub const POSITIVE_ABOVE: f32 = 0.1;

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
}

/// One opinion word (or emoji) found in a text, as the score uses it; the entry borrows
/// from the lexicon, so scoring allocates nothing per word.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opinion<'a> {
    /// The lexicon entry (folded word, possibly the stem of the word in the text); `None`
    /// for an emoji or emoticon, whose polarity is fixed.
    pub entry: Option<&'a str>,
    /// The entry's polarity in the weights in use.
    pub polarity: f32,
    /// What the context does to it: negation, boosters, contrast, concession, a negating
    /// prefix. The opinion counts `polarity * factor`.
    pub factor: f32,
}

/// The opinions of a text and its exclamation marks: everything the score is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opinions<'a> {
    /// In text order, emoji last.
    pub opinions: Vec<Opinion<'a>>,
    /// Exclamation marks, up to 3.
    pub bangs: u8,
}

impl Opinions<'_> {
    /// The score in [-1, 1]: the mean of the opinions (as Pattern does, so long texts do
    /// not saturate), nudged by exclamation marks.
    pub fn compound(&self) -> f32 {
        if self.opinions.is_empty() {
            return 0.0;
        }
        let sum: f32 = self.opinions.iter().map(|o| o.polarity * o.factor).sum();
        let mean = sum / self.opinions.len() as f32;
        (mean + mean.signum() * 0.05 * f32::from(self.bangs)).clamp(-1.0, 1.0)
    }
}

/// Sentiment lexicons for the four languages.
#[derive(Debug, Clone)]
pub struct LexiconSentiment {
    /// language -> folded word -> polarity in [-1, 1]
    words: HashMap<&'static str, HashMap<String, f32>>,
}

impl Default for LexiconSentiment {
    fn default() -> Self {
        Self::new()
    }
}

/// Folded words; elisions (l', d', qu', n') split off; apostrophes inside English
/// contractions dropped (don't -> dont); hyphenated compounds kept whole ("ill-conceived",
/// split later if the lexicon does not know them). Clause punctuation becomes a "|"
/// token: negation does not reach across it.
fn tokens(text: &str) -> Vec<String> {
    fn push_word(out: &mut Vec<String>, raw: &str) {
        let w = raw.replace('’', "'");
        let w = w.trim_matches('\'');
        if w.is_empty() {
            return;
        }
        match w.split_once('\'') {
            Some((head, tail)) if head.len() <= 3 && !tail.is_empty() && tail != "t" => {
                out.push(head.to_string());
                out.push(tail.replace('\'', ""));
            }
            _ => out.push(w.replace('\'', "")),
        }
    }
    let mut out = Vec::new();
    let mut word = String::new();
    let folded = fold(text);
    let mut chars = folded.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        let inner_hyphen =
            c == '-' && prev.is_alphanumeric() && chars.peek().is_some_and(|n| n.is_alphanumeric());
        prev = c;
        if c.is_alphanumeric() || c == '\'' || c == '’' || inner_hyphen {
            word.push(c);
            continue;
        }
        push_word(&mut out, &word);
        word.clear();
        if matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '(' | ')') {
            out.push("|".to_string());
        }
    }
    push_word(&mut out, &word);
    out
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

impl LexiconSentiment {
    /// Loads the compiled-in lexicons with their calibrated polarities (a few milliseconds).
    pub fn new() -> LexiconSentiment {
        Self::with_weights(&Weights::Calibrated).expect("compiled-in lexicons load")
    }

    /// Loads the lexicons with the given polarities; only a folder can fail to load.
    pub fn with_weights(weights: &Weights) -> std::io::Result<LexiconSentiment> {
        let mut words = HashMap::new();
        for (lang, tsv) in DATA {
            let mut m = HashMap::with_capacity(8000);
            parse_tsv(tsv, &mut m, false);
            words.insert(*lang, m);
        }
        match weights {
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
        Ok(LexiconSentiment { words })
    }

    /// The entry and polarity of a word as listed.
    fn exact<'a>(&'a self, lang: Option<&str>, w: &str) -> Option<(&'a str, f32)> {
        let get = |l: &str| {
            self.words
                .get(l)?
                .get_key_value(w)
                .map(|(k, p)| (k.as_str(), *p))
        };
        match lang.filter(|l| self.words.contains_key(l)) {
            Some(l) => get(l),
            // Unknown language: the first lexicon that knows the word.
            None => LANGS.iter().find_map(|l| get(l)),
        }
    }

    /// The entry of a word, its polarity and a factor: the word as listed, else its stem
    /// without a common inflection (plural, feminine, adjective endings, -ly), else the
    /// word after a negating prefix (un-, in-, on-: "unfunny", "inacceptable",
    /// "onaanvaardbaar") with a factor of -0.8.
    fn entry<'a>(&'a self, lang: Option<&str>, w: &str) -> Option<(&'a str, f32, f32)> {
        if w.chars().count() < 2 {
            return None;
        }
        if let Some((k, p)) = self.exact(lang, w) {
            return Some((k, p, 1.0));
        }
        const SUFFIXES: &[&str] = &[
            "s", "es", "e", "en", "er", "ly", "ed", "ment", "ement", "te", "ten", "st", "ste",
            "ness", "ing", "ingly", "edly", "heid", "keit", "ite",
        ];
        for suf in SUFFIXES {
            if let Some(stem) = w.strip_suffix(suf).filter(|s| s.chars().count() >= 4) {
                if let Some((k, p)) = self.exact(lang, stem) {
                    return Some((k, p, 1.0));
                }
            }
        }
        for pre in ["un", "in", "im", "on", "dis", "non"] {
            if let Some(rest) = w.strip_prefix(pre).filter(|r| r.chars().count() >= 4) {
                if let Some((k, p)) = self.exact(lang, rest) {
                    return Some((k, p, -0.8));
                }
            }
        }
        None
    }

    /// The language whose lexicon knows most of these words (ties: fr, nl, en, de).
    fn likeliest(&self, toks: &[String]) -> Option<&'static str> {
        let mut best = None;
        let mut most = 0;
        for lang in LANGS {
            let known = toks
                .iter()
                .filter(|t| self.entry(Some(lang), t).is_some())
                .count();
            if known > most {
                most = known;
                best = Some(lang);
            }
        }
        best
    }

    /// The opinion words of a text with what their context does to them: negation,
    /// boosters, contrast ("but"), concession, excess ("too"); emoji and emoticons count
    /// as opinions too.
    pub fn opinions(&self, text: &str, lang: Option<&str>) -> Opinions<'_> {
        // A hyphenated compound the lexicon does not know is read as its parts.
        let mut toks = Vec::new();
        for t in tokens(text) {
            if t.contains('-') && self.entry(lang, &t).is_none() {
                toks.extend(t.split('-').filter(|p| !p.is_empty()).map(str::to_string));
            } else {
                toks.push(t);
            }
        }
        // Language unknown (too short to tell, or not one of ours): the lexicon that
        // knows most of the words.
        let lang = match lang.filter(|l| self.words.contains_key(l)) {
            Some(l) => Some(l),
            None => self.likeliest(&toks),
        };
        let mut opinions: Vec<Opinion> = Vec::new();
        let mut weight = 1.0f32;
        let mut conceded = false;
        for (i, w) in toks.iter().enumerate() {
            if w == "|" {
                conceded = false;
                continue;
            }
            // "bien que" is concessive, "bien" alone is not.
            if CONCESSIVE.contains(&w.as_str())
                && (w != "bien" || toks.get(i + 1).is_some_and(|n| n == "que" || n == "qu"))
            {
                conceded = true;
                continue;
            }
            if BUT.contains(&w.as_str()) {
                // What came before a "but" counts half as much as what follows.
                for o in opinions.iter_mut() {
                    o.factor *= 0.5;
                }
                weight = 1.5;
                continue;
            }
            let Some((entry, polarity, mut f)) = self.entry(lang, w) else {
                continue;
            };
            if let Some(prev) = i.checked_sub(1).map(|j| toks[j].as_str()) {
                if let Some((_, b)) = BOOSTERS.iter().find(|(b, _)| *b == prev) {
                    f *= b;
                }
                if EXCESS.contains(&prev) {
                    // "too good": criticism, whatever the word's own sign.
                    f = -f.abs() * 0.5 * polarity.signum();
                }
            }
            let window = &toks[i.saturating_sub(NEGATION_SCOPE)..i];
            let clause = window
                .iter()
                .rposition(|t| t == "|")
                .map_or(window, |b| &window[b + 1..]);
            if clause.iter().any(|t| NEGATORS.contains(&t.as_str())) {
                f *= -0.6;
            }
            // French "ne ... pas" often puts the verb after the negation: also look one word ahead.
            if toks
                .get(i + 1)
                .is_some_and(|n| n == "pas" || n == "niet" || n == "nicht" || n == "not")
            {
                f *= -0.6;
            }
            opinions.push(Opinion {
                entry: Some(entry),
                polarity,
                factor: f * weight * if conceded { 0.5 } else { 1.0 },
            });
        }
        let lower = text.to_lowercase();
        for (e, p) in EMOJI {
            for _ in 0..lower.matches(e).count().min(3) {
                opinions.push(Opinion {
                    entry: None,
                    polarity: *p,
                    factor: 1.0,
                });
            }
        }
        Opinions {
            opinions,
            bangs: text.matches('!').count().min(3) as u8,
        }
    }

    /// Scores a text in [-1, 1] (see [`Opinions::compound`]).
    pub fn compound(&self, text: &str, lang: Option<&str>) -> f32 {
        self.opinions(text, lang).compound()
    }

    /// Sentiment with a confidence in [0, 1].
    pub fn sentiment(&self, text: &str, lang: Option<&str>) -> Sentiment {
        let c = self.compound(text, lang);
        let label = if c.abs() < NEUTRAL_BAND {
            SentimentLabel::Neutral
        } else if c > POSITIVE_ABOVE {
            SentimentLabel::Positive
        } else {
            SentimentLabel::Negative
        };
        let score = match label {
            SentimentLabel::Neutral => 1.0 - c.abs() / NEUTRAL_BAND,
            _ => 0.5 + (c - POSITIVE_ABOVE).abs().min(1.0) / 2.0,
        };
        Sentiment {
            label,
            score: score.clamp(0.0, 1.0),
        }
    }
}

/// The lexicon backend behind the [`Classifier`] trait.
#[derive(Debug, Clone, Default)]
pub struct LexiconClassifier {
    lexicon: LexiconSentiment,
    /// Names the weights in the model id ("" for the calibrated default).
    weights: String,
}

impl LexiconClassifier {
    /// Loads the lexicons with their calibrated polarities.
    pub fn new() -> LexiconClassifier {
        LexiconClassifier {
            lexicon: LexiconSentiment::new(),
            weights: String::new(),
        }
    }

    /// The lexicons it scores with.
    pub fn lexicon(&self) -> &LexiconSentiment {
        &self.lexicon
    }

    /// Loads the lexicons with the given polarities.
    pub fn with_weights(weights: &Weights) -> std::io::Result<LexiconClassifier> {
        Ok(LexiconClassifier {
            lexicon: LexiconSentiment::with_weights(weights)?,
            weights: match weights {
                Weights::Calibrated => String::new(),
                Weights::Published => "+published".into(),
                Weights::Dir(d) => format!(
                    "+{}",
                    d.file_name()
                        .map_or("custom".into(), |n| n.to_string_lossy())
                ),
            },
        })
    }
}

impl Classifier for LexiconClassifier {
    fn model_id(&self) -> String {
        format!("lexicon-{}{}", env!("CARGO_PKG_VERSION"), self.weights)
    }

    fn classify(&mut self, batch: &[Input]) -> Result<Vec<Output>, ClassifyError> {
        Ok(batch
            .iter()
            .map(|i| Output {
                sentiment: self.lexicon.sentiment(&i.text, i.lang.as_deref()),
                topics: Vec::new(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::*;

    #[test]
    fn short_posts_in_four_languages() {
        let l = LexiconSentiment::new();
        let cases: &[(&str, &str, SentimentLabel)] = &[
            (
                "fr",
                "MyTax est encore en panne, c'est inadmissible et honteux 😡",
                Negative,
            ),
            (
                "fr",
                "Merci au SPF Impôts pour la réponse rapide, service excellent !",
                Positive,
            ),
            (
                "fr",
                "Le remboursement n'est pas correct, très mauvais service",
                Negative,
            ),
            ("fr", "Ce n'est pas mauvais du tout", Positive),
            (
                "nl",
                "MyTax ligt weer plat, dit is echt slecht en onaanvaardbaar",
                Negative,
            ),
            (
                "nl",
                "Snelle terugbetaling, heel goed geregeld door de FOD, bedankt 👍",
                Positive,
            ),
            ("nl", "Niet goed: de aangifte lukt niet", Negative),
            (
                "en",
                "The tax website is down again, terrible and frustrating!!",
                Negative,
            ),
            (
                "en",
                "Great job by the Federal Tax Service, quick and helpful answer :)",
                Positive,
            ),
            ("en", "Not good at all, the refund is late", Negative),
            (
                "de",
                "Die Website ist schon wieder kaputt, schrecklich und ärgerlich",
                Negative,
            ),
            (
                "de",
                "Sehr gute und schnelle Antwort vom FÖD Steuern, danke",
                Positive,
            ),
        ];
        // Calibrated on reviews or as published, the same labels on posts to an institution.
        let published = LexiconSentiment::with_weights(&Weights::Published).unwrap();
        for (name, l) in [("calibrated", &l), ("published", &published)] {
            for (lang, text, want) in cases {
                assert_eq!(
                    l.sentiment(text, Some(lang)).label,
                    *want,
                    "{name} {lang}: {text} ({})",
                    l.compound(text, Some(lang))
                );
            }
            assert_eq!(
                l.sentiment(
                    "Le SPF Impôts publie le calendrier des déclarations.",
                    Some("fr")
                )
                .label,
                Neutral
            );
        }
    }

    #[test]
    fn contrast_weighs_the_second_part() {
        let l = LexiconSentiment::new();
        assert_eq!(
            l.sentiment("The form is good but the service is terrible", Some("en"))
                .label,
            Negative
        );
        assert_eq!(
            l.sentiment(
                "Le site était lent mais la réponse était excellente",
                Some("fr")
            )
            .label,
            Positive
        );
    }

    #[test]
    fn tokens_split_elisions_and_keep_contractions() {
        assert_eq!(
            tokens("L'attente n'est pas finie"),
            vec!["l", "attente", "n", "est", "pas", "finie"]
        );
        assert_eq!(
            tokens("pas bon, mauvais."),
            vec!["pas", "bon", "|", "mauvais", "|"]
        );
        assert_eq!(tokens("It doesn't work"), vec!["it", "doesnt", "work"]);
        assert_eq!(
            tokens("an ill-conceived -- 'synthetic' film"),
            vec!["an", "ill-conceived", "synthetic", "film"]
        );
    }

    #[test]
    fn hyphenated_compounds_are_words_or_their_parts() {
        let l = LexiconSentiment::with_weights(&Weights::Published).unwrap();
        // Listed as a compound: one opinion.
        let o = l.opinions("an ill-conceived plan", Some("en"));
        assert_eq!(o.opinions.len(), 1, "{o:?}");
        assert_eq!(o.opinions[0].entry, Some("ill-conceived"));
        // Not listed: its parts are read ("bad" is an opinion word).
        let o = l.opinions("a bad-tempered reply", Some("en"));
        assert!(o.opinions.iter().any(|x| x.entry == Some("bad")));
    }

    #[test]
    fn opinions_carry_their_context_factor() {
        let l = LexiconSentiment::with_weights(&Weights::Published).unwrap();
        let o = l.opinions("not good, very bad!", Some("en"));
        assert_eq!(o.bangs, 1);
        let good = &o.opinions[0];
        assert_eq!(good.entry, Some("good"));
        assert!((good.factor + 0.6).abs() < 1e-6, "negated: {good:?}");
        let bad = o.opinions.iter().find(|x| x.entry == Some("bad")).unwrap();
        assert!((bad.factor - 1.4).abs() < 1e-6, "boosted: {bad:?}");
        assert!((o.compound() - l.compound("not good, very bad!", Some("en"))).abs() < 1e-6);
    }

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
        let c = LexiconSentiment::new();
        let p = LexiconSentiment::with_weights(&Weights::Published).unwrap();
        let moved = c.words["en"]
            .iter()
            .filter(|(w, v)| (p.words["en"][*w] - **v).abs() > 0.01)
            .count();
        assert!(moved > 100, "{moved}");
    }

    #[test]
    fn classifier_returns_one_output_per_input() {
        let mut c = LexiconClassifier::new();
        let out = c
            .classify(&[
                Input {
                    id: "1".into(),
                    text: "excellent".into(),
                    lang: Some("fr".into()),
                },
                Input {
                    id: "2".into(),
                    text: "".into(),
                    lang: None,
                },
            ])
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].sentiment.label, Neutral);
    }
}
