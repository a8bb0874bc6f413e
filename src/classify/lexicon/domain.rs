//! The domain layer: what words and phrases mean in posts to a public administration,
//! over the general lexicons (models/lexicon/domain/, one file per language plus one for
//! emoji, compiled in). Each entry is data: a pattern, its effect, its family and a short
//! reason; this file only reads the entries and finds them in a text. What the effects do
//! to the opinions of a post is in `context.rs`.

use std::collections::HashMap;

use super::tokens::tokens;
use super::words::NEGATORS;
use crate::core::text::fold;

/// The compiled-in layer: one file per language, and emoji for every language.
const DATA: &[(&str, &str)] = &[
    ("fr", include_str!("../../../models/lexicon/domain/fr.tsv")),
    ("nl", include_str!("../../../models/lexicon/domain/nl.tsv")),
    ("en", include_str!("../../../models/lexicon/domain/en.tsv")),
    ("de", include_str!("../../../models/lexicon/domain/de.tsv")),
];
const EMOJI: &str = include_str!("../../../models/lexicon/domain/emoji.tsv");

/// What an entry does to a post.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// An opinion with this polarity, in place of what the general lexicon says of its words.
    Polarity(f32),
    /// Praise (this polarity) that mocks in a post reporting a failure, after an irony
    /// cue, or as an interjection in a post that says "again".
    Ironic(f32),
    /// An opinion with this (negative) polarity that marks the whole post as mocking:
    /// its praise counts against.
    Cue(f32),
    /// "again", "encore", "weer", "wieder": a failure that repeats (see [`Effect::Ironic`]).
    Again,
    /// Multiplies the opinion word that follows.
    Boost(f32),
    /// Not an opinion here: the words it covers are not scored.
    Neutral,
    /// A planned interruption: the post's failure words announce, they do not complain.
    Planned,
}

/// What an entry is about; the sarcasm and question rules read the complaint families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// A service that fails: outage, crash, bug, error, unreachable.
    Failure,
    /// Waiting and silence: still no refund, no answer, on hold.
    Waiting,
    /// Indignation: inadmissible, scandale, schandalig, Frechheit, ridiculous.
    Indignation,
    /// Mockery: "merci pour rien", ironic praise, irony cues, "again".
    Sarcasm,
    /// Thanks (and polite formulas that are not thanks).
    Thanks,
    /// Praise for the service.
    Praise,
    /// A problem solved: réglé, opgelost, fixed, gelöst.
    Resolution,
    /// Words that strengthen the next opinion.
    Intensifier,
    /// The domain's own vocabulary, which the general lexicons misread as opinions.
    Vocabulary,
    /// Announcements of planned maintenance.
    Announcement,
}

impl std::fmt::Display for Effect {
    /// As written in the files.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Polarity(p) => write!(f, "{p}"),
            Effect::Ironic(p) => write!(f, "ironic {p}"),
            Effect::Cue(p) => write!(f, "cue {p}"),
            Effect::Again => f.write_str("again"),
            Effect::Boost(b) => write!(f, "boost {b}"),
            Effect::Neutral => f.write_str("neutral"),
            Effect::Planned => f.write_str("planned"),
        }
    }
}

impl Family {
    /// Its name in the files.
    pub fn name(self) -> &'static str {
        match self {
            Family::Failure => "failure",
            Family::Waiting => "waiting",
            Family::Indignation => "indignation",
            Family::Sarcasm => "sarcasm",
            Family::Thanks => "thanks",
            Family::Praise => "praise",
            Family::Resolution => "resolution",
            Family::Intensifier => "intensifier",
            Family::Vocabulary => "vocabulary",
            Family::Announcement => "announcement",
        }
    }

    fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == s)
    }

    /// Every family, in the files' order.
    pub const ALL: [Family; 10] = [
        Family::Failure,
        Family::Waiting,
        Family::Indignation,
        Family::Sarcasm,
        Family::Thanks,
        Family::Praise,
        Family::Resolution,
        Family::Intensifier,
        Family::Vocabulary,
        Family::Announcement,
    ];

    /// Whether a negative entry of this family is a complaint (it keeps a question an
    /// opinion, and turns ironic praise around).
    pub fn complains(self) -> bool {
        matches!(
            self,
            Family::Failure | Family::Waiting | Family::Indignation | Family::Sarcasm
        )
    }
}

/// One word of a pattern.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// This folded word.
    Word(String),
    /// Any word starting with this ("crash*").
    Prefix(String),
    /// Any one word ("werkt * niet").
    Any,
}

/// One entry of the layer.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The pattern as written in the file.
    pub pattern: String,
    toks: Vec<Tok>,
    /// What it does.
    pub effect: Effect,
    /// What it is about.
    pub family: Family,
    /// Why it is there.
    pub reason: String,
    /// Whether its pattern holds its own negation ("ne fonctionne pas", "still no"): a
    /// negator before it does not turn it over, and its negator reaches no further.
    pub negated: bool,
}

/// The entries of one language, indexed by their first word.
#[derive(Debug, Clone, Default)]
pub struct Lang {
    entries: Vec<Entry>,
    by_first: HashMap<String, Vec<usize>>,
    by_prefix: Vec<(String, usize)>,
}

/// The whole layer.
#[derive(Debug, Clone)]
pub struct Domain {
    langs: HashMap<&'static str, Lang>,
    /// Emoji and emoticons, for every language: matched in the text, not in its words.
    pub emoji: Vec<Entry>,
}

impl Default for Domain {
    fn default() -> Self {
        Self::new()
    }
}

/// A token that ends a clause or a sentence.
pub(super) fn is_break(t: &str) -> bool {
    matches!(t, "|" | "." | "?")
}

impl Domain {
    /// The compiled-in layer.
    pub fn new() -> Domain {
        let mut langs = HashMap::new();
        for (lang, tsv) in DATA {
            let entries = parse(tsv).unwrap_or_else(|e| panic!("domain/{lang}.tsv: {e}"));
            langs.insert(*lang, Lang::index(entries));
        }
        let emoji = parse(EMOJI).unwrap_or_else(|e| panic!("domain/emoji.tsv: {e}"));
        Domain { langs, emoji }
    }

    /// The entries of a language.
    pub fn lang(&self, lang: &str) -> Option<&Lang> {
        self.langs.get(lang)
    }

    /// Every entry with its language ("any" for emoji), languages in a fixed order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry)> {
        let langs = DATA
            .iter()
            .filter_map(|(l, _)| Some((*l, self.langs.get(l)?)));
        langs
            .flat_map(|(l, d)| d.entries.iter().map(move |e| (l, e)))
            .chain(self.emoji.iter().map(|e| ("any", e)))
    }

    /// Whether any language lists this hyphenated word whole ("ras-le-bol").
    pub fn knows(&self, word: &str) -> bool {
        self.langs.values().any(|l| l.by_first.contains_key(word))
    }
}

impl Lang {
    fn index(entries: Vec<Entry>) -> Lang {
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_prefix = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match &e.toks[0] {
                Tok::Word(w) => by_first.entry(w.clone()).or_default().push(i),
                Tok::Prefix(p) => by_prefix.push((p.clone(), i)),
                Tok::Any => {}
            }
        }
        Lang {
            entries,
            by_first,
            by_prefix,
        }
    }

    /// The longest entry that starts at word `i` and its length in words (ties: a listed
    /// word before a prefix, then the file's order).
    pub fn longest_at(&self, toks: &[String], i: usize) -> Option<(&Entry, usize)> {
        let first = toks[i].as_str();
        let listed = self.by_first.get(first).into_iter().flatten().copied();
        let prefixed = self
            .by_prefix
            .iter()
            .filter(|(p, _)| first.starts_with(p.as_str()))
            .map(|(_, i)| *i);
        let mut best: Option<(&Entry, usize)> = None;
        for e in listed.chain(prefixed).map(|k| &self.entries[k]) {
            let n = e.toks.len();
            if best.is_some_and(|(_, m)| m >= n) || i + n > toks.len() {
                continue;
            }
            if e.toks[1..]
                .iter()
                .zip(&toks[i + 1..i + n])
                .all(|(p, t)| p.matches(t))
            {
                best = Some((e, n));
            }
        }
        best
    }

    /// The factor of a one-word intensifier.
    pub fn boost(&self, word: &str) -> Option<f32> {
        self.by_first.get(word)?.iter().find_map(|k| {
            let e = &self.entries[*k];
            match e.effect {
                Effect::Boost(b) if e.toks.len() == 1 => Some(b),
                _ => None,
            }
        })
    }
}

impl Tok {
    fn matches(&self, t: &str) -> bool {
        match self {
            Tok::Word(w) => w == t,
            Tok::Prefix(p) => t.starts_with(p.as_str()),
            Tok::Any => !is_break(t),
        }
    }
}

impl Effect {
    fn parse(s: &str) -> Option<Effect> {
        let num = |v: &str| v.trim().parse::<f32>().ok().filter(|p| p.abs() <= 1.0);
        Some(match s.split_once(' ') {
            Some(("ironic", p)) => Effect::Ironic(num(p).filter(|p| *p > 0.0)?),
            Some(("cue", p)) => Effect::Cue(num(p).filter(|p| *p < 0.0)?),
            Some(("boost", b)) => Effect::Boost(b.trim().parse().ok().filter(|b| *b > 0.0)?),
            None if s == "again" => Effect::Again,
            None if s == "neutral" => Effect::Neutral,
            None if s == "planned" => Effect::Planned,
            None => Effect::Polarity(num(s)?),
            _ => return None,
        })
    }
}

/// A pattern's words, folded and split as the text's are ("n'importe quoi" is three).
fn pattern(p: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for piece in p.split_whitespace() {
        if piece == "*" {
            out.push(Tok::Any);
        } else if let Some(stem) = piece.strip_suffix('*') {
            out.push(Tok::Prefix(fold(stem)));
        } else if piece.chars().any(char::is_alphanumeric) {
            out.extend(
                tokens(piece)
                    .into_iter()
                    .filter(|t| !is_break(t))
                    .map(Tok::Word),
            );
        } else {
            // An emoji or emoticon: matched in the text as written.
            out.push(Tok::Word(piece.to_lowercase()));
        }
    }
    out
}

/// Reads one file: `pattern<TAB>effect<TAB>family<TAB>reason`, `#` comments.
pub fn parse(tsv: &str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (n, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: {line:?}", n + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        let [pat, effect, family, reason] = cols[..] else {
            return Err(bad(
                "expected pattern, effect, family and reason, tab-separated",
            ));
        };
        let toks = pattern(pat);
        let effect = Effect::parse(effect).ok_or_else(|| bad("unknown effect"))?;
        let family = Family::parse(family).ok_or_else(|| bad("unknown family"))?;
        if toks.is_empty() || toks[0] == Tok::Any {
            return Err(bad("a pattern starts with a word"));
        }
        if reason.trim().is_empty() {
            return Err(bad("every entry gives its reason"));
        }
        if matches!(effect, Effect::Boost(_)) && !matches!(toks[..], [Tok::Word(_)]) {
            return Err(bad("an intensifier is one word"));
        }
        let negated = toks
            .iter()
            .any(|t| matches!(t, Tok::Word(w) if NEGATORS.contains(&w.as_str())));
        out.push(Entry {
            pattern: pat.to_string(),
            toks,
            effect,
            family,
            reason: reason.trim().to_string(),
            negated,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_a_family_its_effect_fits() {
        let d = Domain::new();
        for (lang, l) in &d.langs {
            let mut seen = std::collections::HashSet::new();
            for e in &l.entries {
                assert!(seen.insert(&e.pattern), "{lang}: {} twice", e.pattern);
                let fits = match (e.family, e.effect) {
                    (f, Effect::Polarity(p)) if f.complains() => p < 0.0,
                    (Family::Sarcasm, Effect::Ironic(_) | Effect::Cue(_) | Effect::Again) => true,
                    (Family::Thanks | Family::Praise | Family::Resolution, Effect::Polarity(p)) => {
                        p > 0.0
                    }
                    // Politeness: "merci d'avance" closes a request, it thanks no one.
                    (Family::Thanks, Effect::Neutral) => true,
                    (Family::Intensifier, Effect::Boost(b)) => b > 1.0,
                    (Family::Vocabulary, Effect::Neutral) => true,
                    (Family::Announcement, Effect::Planned) => true,
                    _ => false,
                };
                assert!(
                    fits,
                    "{lang}: {} {:?} as {:?}",
                    e.pattern, e.effect, e.family
                );
            }
            for family in Family::ALL {
                assert!(
                    l.entries.iter().any(|e| e.family == family),
                    "{lang}: no {family:?}"
                );
            }
            for effect in [Effect::Again, Effect::Ironic(0.6), Effect::Neutral] {
                let kind = std::mem::discriminant(&effect);
                assert!(
                    l.entries
                        .iter()
                        .any(|e| std::mem::discriminant(&e.effect) == kind),
                    "{lang}: no {effect:?}"
                );
            }
        }
        assert!(d.emoji.iter().any(|e| matches!(e.effect, Effect::Cue(_))));
    }

    #[test]
    fn the_longest_pattern_wins_and_wildcards_match() {
        let d = Domain::new();
        let words = |s: &str| tokens(s);
        let fr = d.lang("fr").unwrap();
        let t = words("le site ne fonctionne toujours pas");
        let (e, n) = fr.longest_at(&t, 3).unwrap();
        assert_eq!((e.pattern.as_str(), n), ("fonctionne * pas", 3));
        assert!(e.negated, "its own negation");
        let t = words("merci pour rien");
        assert_eq!(fr.longest_at(&t, 0).unwrap().0.pattern, "merci pour rien");
        let en = d.lang("en").unwrap();
        let t = words("the app crashed");
        assert_eq!(en.longest_at(&t, 2).unwrap().0.pattern, "crash*");
        // A wildcard does not reach across a clause.
        let nl = d.lang("nl").unwrap();
        let t = words("werkt, niet");
        assert!(nl.longest_at(&t, 0).is_none_or(|(_, n)| n == 1));
        assert_eq!(fr.boost("completement"), Some(1.5));
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = parse("panne\t-0.6\tfailure\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let err = parse("# c\npanne\t-2\tfailure\ttoo strong\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("effect"), "{err}");
        let err = parse("panne\t-0.6\tfailure\t \n").unwrap_err();
        assert!(err.contains("reason"), "{err}");
        let err = parse("tres bien\tboost 1.2\tintensifier\ttwo words\n").unwrap_err();
        assert!(err.contains("one word"), "{err}");
        let ok = parse("ligt plat\t-0.7\tfailure\tdown\n").unwrap();
        assert_eq!(ok[0].toks.len(), 2);
    }
}
