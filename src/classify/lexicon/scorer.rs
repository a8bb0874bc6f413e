//! Scoring a text: its opinion words, what their context does to them, and the sentiment
//! they add up to.

use serde::Serialize;

use super::context::{self, Around, Role, Signals};
use super::domain::{is_break, Domain, Effect, Lang};
use super::emoji;
use super::tokens::tokens;
use super::weights::{Weights, Words};
use super::words::{BUT, CONCESSIVE};
use super::LANGS;
use crate::classify::{Sentiment, SentimentLabel};

/// Below this score (in absolute value) a text is neutral: no opinion to speak of.
pub const NEUTRAL_BAND: f32 = 0.005;

/// A text is positive only above this mean polarity. Opinion lexicons lean positive
/// (criticism is often worded politely), so 0 is not the middle: 0.1 is Pattern's own
/// default for `positive()`; on our dev sets the best threshold was 0.09-0.12 in every
/// language, so we kept Pattern's round figure rather than a tuned one.
pub const POSITIVE_ABOVE: f32 = 0.1;

/// One opinion word (or emoji) found in a text, as the score uses it; the entry borrows
/// from the lexicon, so scoring allocates nothing per word.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opinion<'a> {
    /// The lexicon entry (folded word, possibly the stem of the word in the text); `None`
    /// for an emoji, an emoticon or a domain entry, whose polarity is fixed.
    pub entry: Option<&'a str>,
    /// The domain layer's pattern, when the opinion comes from it (models/lexicon/domain/).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<&'a str>,
    /// The entry's polarity in the weights in use.
    pub polarity: f32,
    /// What the context does to it: negation, boosters, contrast, concession, a negating
    /// prefix, irony. The opinion counts `polarity * factor`.
    pub factor: f32,
    /// Index of its first word in the text's tokens ([`context::NOWHERE`] for emoji).
    #[serde(skip)]
    pub(super) at: usize,
    /// Where it comes from, for the post-level rules of the domain layer.
    #[serde(skip)]
    pub(super) role: Role,
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
    words: Words,
    /// The domain layer over the general lexicons (`None`: the general lexicons alone).
    domain: Option<Domain>,
}

impl Default for LexiconSentiment {
    fn default() -> Self {
        Self::new()
    }
}

impl LexiconSentiment {
    /// Loads the compiled-in lexicons with their calibrated polarities (a few milliseconds).
    pub fn new() -> LexiconSentiment {
        Self::with_weights(&Weights::Calibrated).expect("compiled-in lexicons load")
    }

    /// Loads the lexicons with the given polarities; only a folder can fail to load.
    pub fn with_weights(weights: &Weights) -> std::io::Result<LexiconSentiment> {
        Ok(LexiconSentiment {
            words: weights.load()?,
            domain: Some(Domain::new()),
        })
    }

    /// The same lexicons without the domain layer (`[classifier] lexicon_domain = false`):
    /// the general lexicons alone, as before the layer existed.
    pub fn without_domain(mut self) -> LexiconSentiment {
        self.domain = None;
        self
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
    /// as opinions too. With the domain layer, its entries come before the general
    /// lexicons, links and handles are not read, and the post-level rules apply
    /// (`context.rs`).
    pub fn opinions(&self, text: &str, lang: Option<&str>) -> Opinions<'_> {
        let text = match &self.domain {
            Some(_) => context::strip_links(text),
            None => text.into(),
        };
        // A hyphenated compound the lexicons do not know is read as its parts.
        let mut toks = Vec::new();
        for t in tokens(&text) {
            let known = |t: &str| {
                self.entry(lang, t).is_some() || self.domain.as_ref().is_some_and(|d| d.knows(t))
            };
            if t.contains('-') && !known(&t) {
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
        let dom = self.domain.as_ref().zip(lang).and_then(|(d, l)| d.lang(l));
        let (mut opinions, signals) = self.word_opinions(&toks, lang, dom);
        let emoji = self.domain.as_ref().map_or(&[][..], |d| &d.emoji[..]);
        emoji::opinions(emoji, &text, &mut opinions);
        if self.domain.is_some() {
            context::apply(&mut opinions, &toks, &signals);
        }
        Opinions {
            opinions,
            bangs: text.matches('!').count().min(3) as u8,
        }
    }

    /// The opinions of the words, in text order, and what else the domain layer saw.
    fn word_opinions<'a>(
        &'a self,
        toks: &[String],
        lang: Option<&str>,
        dom: Option<&'a Lang>,
    ) -> (Vec<Opinion<'a>>, Signals) {
        let mut opinions: Vec<Opinion> = Vec::new();
        let mut signals = Signals::default();
        // Negators inside a negated domain phrase ("rien à redire") reach no further.
        let mut spent = vec![false; if dom.is_some() { toks.len() } else { 0 }];
        let mut weight = 1.0f32;
        let mut conceded = false;
        let mut i = 0;
        while i < toks.len() {
            let w = toks[i].as_str();
            let next = i + 1;
            if is_break(w) {
                conceded = false;
            } else if CONCESSIVE.contains(&w)
                // "bien que" is concessive, "bien" alone is not.
                && (w != "bien" || toks.get(next).is_some_and(|n| n == "que" || n == "qu"))
            {
                conceded = true;
            } else if BUT.contains(&w) {
                // What came before a "but" counts half as much as what follows.
                for o in opinions.iter_mut() {
                    o.factor *= 0.5;
                }
                weight = 1.5;
            } else if let Some((e, n)) = dom.and_then(|d| d.longest_at(toks, i)) {
                let opinion = match e.effect {
                    Effect::Polarity(p) => {
                        Some((self.stronger(lang, w, n, p), Role::Domain(e.family)))
                    }
                    Effect::Ironic(p) => {
                        let interjection = context::interjection(toks, i, n);
                        Some((self.stronger(lang, w, n, p), Role::Ironic { interjection }))
                    }
                    Effect::Cue(p) => Some((p, Role::Cue)),
                    Effect::Again | Effect::Planned | Effect::Boost(_) | Effect::Neutral => None,
                };
                if e.effect == Effect::Again {
                    signals.again.push(i);
                }
                signals.planned |= e.effect == Effect::Planned;
                if e.negated {
                    spent[i..i + n].iter_mut().for_each(|s| *s = true);
                }
                if let Some((polarity, role)) = opinion {
                    let around = Around {
                        toks,
                        dom,
                        spent: &spent,
                    };
                    let f = around.factor(i, n, 1.0, polarity, !e.negated);
                    opinions.push(Opinion {
                        entry: None,
                        domain: Some(&e.pattern),
                        polarity,
                        factor: f * weight * if conceded { 0.5 } else { 1.0 },
                        at: i,
                        role,
                    });
                }
                i += n;
                continue;
            } else if let Some((entry, polarity, f)) = self.entry(lang, w) {
                let around = Around {
                    toks,
                    dom,
                    spent: &spent,
                };
                let f = around.factor(i, 1, f, polarity, true);
                opinions.push(Opinion {
                    entry: Some(entry),
                    domain: None,
                    polarity,
                    factor: f * weight * if conceded { 0.5 } else { 1.0 },
                    at: i,
                    role: Role::Word,
                });
            }
            i = next;
        }
        (opinions, signals)
    }

    /// The polarity of a domain entry of `n` words starting with `word`: its own, or, for
    /// one word that the general lexicons score more strongly with the same sign, theirs
    /// (the layer says what a word means here; the calibration how strongly it counts).
    fn stronger(&self, lang: Option<&str>, word: &str, n: usize, p: f32) -> f32 {
        match self.entry(lang, word) {
            Some((_, g, f)) if n == 1 && f == 1.0 && g * p > 0.0 && g.abs() > p.abs() => g,
            _ => p,
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
}
