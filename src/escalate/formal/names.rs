//! The sender's first and last name. A name is two to five capitalised words (compound
//! "Jean-Pierre", "Dubois-Martin"; particles "de", "d'", "van der", "von", "ter"; a
//! surname in capitals "DUPUIS Martine"), and only counts where a sender puts it: after
//! "je m'appelle"/"mijn naam is"/"my name is"/"ich heiße", a title at the start of a line
//! (M., Mme, Dhr., Mevr., Herr, Frau, Dr, Mr, Mrs, Ms), a "Nom :"/"Naam:"/"Name:" label,
//! a salutation and a comma ("Bonjour, Marie Dupont, …"), "… ici/hier/here", a sign-off
//! ("Cordialement,", "Met vriendelijke groeten", "Mit freundlichen Grüßen"), or on a line
//! of its own just before the address or the e-mail. Capitalised words elsewhere (a
//! street, an institution, a German noun, someone quoted in a news item) are not a name.

use regex::Regex;

use super::words_data::{
    LABELS, ON_BEHALF, SALUTATIONS, SIGN_OFFS, STOP_WORDS, STRONG_INTRODUCTIONS, TITLES,
    WEAK_INTRODUCTIONS,
};

const GIVEN: &str = r"\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?";
const PARTICLE: &str = r"(?:(?:[dD]e(?:[ \t]+la)?|[dD]u|[dD]es|[vV]an(?:[ \t]+(?:[dD]e|[dD]er|[dD]en))?|[vV]on(?:[ \t]+der)?|vom|zu|[tT]er|[tT]en|te|[lL]e|[lL]a|[dD]i|[dD]a|[dD]el|dos|[eE]l|[aA]l|[oO]p[ \t]+[dD]en?)[ \t]+|[dD]['’][ \t]?)";
const SURNAME: &str =
    r"(?:[OoDd]['’])?(?:\p{Lu}[\p{L}'’]*\p{Ll}[\p{L}'’]*|\p{Lu}{2,})(?:-\p{Lu}[\p{L}'’]+)*";
/// Lower-case names, only after "je m'appelle" and the like ("mijn naam is tom peeters,").
const LOWER: &str = r"\p{Ll}{2,}(?:-\p{Ll}+)?(?:[ \t]+(?:van|de|der|den|von|el|al|ter|ten|d['’]))*[ \t]+\p{Ll}[\p{Ll}'’]+(?:-\p{Ll}+)?";
/// What may follow a name: a comma, a bracket, a dash, the end of the line.
const AFTER: &str = r"[ \t]*(?:[,(<\n–—]|[ \t]-[ \t]|\z)";

fn name() -> String {
    format!("{GIVEN}(?:[ \t]+{GIVEN})?[ \t]+{PARTICLE}*{SURNAME}")
}

/// A surname in capitals first: "DUPUIS Martine", "VAN DAMME Pierre".
fn caps_first() -> String {
    format!(r"\p{{Lu}}{{2,}}(?:[- ]\p{{Lu}}{{2,}})*[ \t]+{GIVEN}")
}

fn alternatives(words: &[&str]) -> String {
    words.join("|")
}

/// A name found: as written (first and last name joined when a form splits them), where,
/// and how it was recognised.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub text: String,
    pub spans: Vec<(usize, usize)>,
    pub how: &'static str,
}

struct Rule {
    how: &'static str,
    re: Regex,
}

pub(super) struct Names {
    rules: Vec<Rule>,
    /// "Prénom : Claire\nNom : Dubois" and the other way round.
    split: Vec<Regex>,
    /// A name alone, or before a comma, at the start of a line or sentence.
    bare: Regex,
    /// The last line of the message, a name alone.
    last_line: Regex,
}

impl Names {
    pub(super) fn new() -> Names {
        let name = name();
        let caps = caps_first();
        let titles = alternatives(TITLES);
        let title = format!(r"(?i:{titles})[ \t]+");
        let salutations = alternatives(SALUTATIONS);
        let sign_offs = alternatives(SIGN_OFFS);
        let r = |s: String| Regex::new(&s).expect("static pattern");
        let rule = |how, s: String| Rule { how, re: r(s) };
        Names {
            rules: vec![
                rule(
                    "label",
                    format!(
                        r"(?m)^[ \t]*(?i:{LABELS})[ \t]*:[ \t]*(?:{title})?(?P<n>{name}|{caps}){AFTER}"
                    ),
                ),
                rule(
                    "introduction",
                    format!(r"(?i:\b(?:{STRONG_INTRODUCTIONS}))[ \t,]+(?:{title})?(?P<n>{name})"),
                ),
                rule(
                    "introduction",
                    format!(
                        r"(?i:\b(?:{STRONG_INTRODUCTIONS}))[ \t]+(?P<n>{LOWER})[ \t]*(?:[,.;\n]|\z|[ \t](?:et|en|and|und)[ \t])"
                    ),
                ),
                rule(
                    "on behalf",
                    format!(
                        r"(?i:\b(?:{ON_BEHALF}))[ \t]*:?[ \t]*(?:{title})?(?P<n>{name}){AFTER}"
                    ),
                ),
                rule(
                    "title",
                    format!(r"(?m)^[ \t]*(?:[-–—]+[ \t]*)?(?:{title})(?P<n>{name}){AFTER}"),
                ),
                rule(
                    "signature",
                    format!(
                        r"(?im:\b(?:{sign_offs}))[ \t]*[,.!]?[ \t]*\n(?:[ \t]*\n)*[ \t]*(?:[-–—]+[ \t]*\n?[ \t]*)?(?:{title})?(?P<n>{name}|{caps}){AFTER}"
                    ),
                ),
                rule(
                    "signature",
                    format!(
                        r"(?m)(?:^|[.!?][ \t]+)(?i:{sign_offs})[ \t]*,[ \t]*(?:{title})?(?P<n>{name}){AFTER}"
                    ),
                ),
                rule(
                    "signature",
                    format!(
                        r"(?m)^[ \t]*(?:--|—|–)[ \t]*\n(?:[ \t]*\n)*[ \t]*(?:{title})?(?P<n>{name}|{caps}){AFTER}"
                    ),
                ),
                rule(
                    "salutation",
                    format!(
                        r"(?m)^[ \t]*(?i:{salutations})[ \t]*(?:[,!:][ \t]*\n?|\n)[ \t\n]*(?P<n>{name}){AFTER}"
                    ),
                ),
                rule(
                    "salutation",
                    format!(
                        r"(?m)^[ \t]*(?i:{salutations})[ \t]*[,!:]?[ \t\n]*(?i:met|ici|hier|this is|it['’]s|c['’]est|hier ist)[ \t]+(?P<n>{name}){AFTER}"
                    ),
                ),
                rule(
                    "here",
                    format!(
                        r"(?m)(?:^|[.!?,:][ \t]+)(?P<n>{name})[ \t]+(?i:ici|here|hier|speaking|aan het woord)\b"
                    ),
                ),
                rule(
                    "introduction",
                    format!(r"(?i:\b(?:{WEAK_INTRODUCTIONS}))[ \t]+(?:{title})?(?P<n>{name})"),
                ),
                rule(
                    "introduction",
                    format!(r"(?i:\b(?:{WEAK_INTRODUCTIONS}))[ \t]+(?P<n>{LOWER})[ \t]*,"),
                ),
            ],
            split: split_forms(),
            bare: r(format!(
                r"(?m)(?:^|[.!?:;][ \t]+)[ \t]*(?:[-–—]+[ \t]*)?(?:{title})?(?P<n>{name}|{caps})[ \t]*(?:[,(<–—-][ \t]*|\n[ \t\n]*)"
            )),
            last_line: r(format!(
                r"(?m)^[ \t]*(?:[-–—]+[ \t]*)?(?:{title})?(?P<n>{name}|{caps})[ \t]*\z"
            )),
        }
    }

    /// The sender's name: the first rule (in order of trust) with a match that is a name;
    /// `anchors` are where the address and the e-mail start (a name line just before
    /// either is a signature).
    pub(super) fn find(&self, text: &str, anchors: &[usize]) -> Option<Found> {
        for rule in &self.rules {
            for c in rule.re.captures_iter(text) {
                let Some(n) = c.name("n") else { continue };
                if let Some((s, e)) = trimmed(text, n.start(), n.end()) {
                    return Some(found(text, vec![(s, e)], rule.how));
                }
            }
        }
        for re in &self.split {
            if let Some(c) = re.captures(text) {
                let (f, l) = (c.name("f")?, c.name("l")?);
                if is_name(&format!("{} {}", f.as_str(), l.as_str())) {
                    let mut spans = vec![(f.start(), f.end()), (l.start(), l.end())];
                    spans.sort();
                    return Some(Found {
                        text: format!("{} {}", f.as_str(), l.as_str()),
                        spans,
                        how: "form fields",
                    });
                }
            }
        }
        for c in self.bare.captures_iter(text) {
            let (Some(whole), Some(n)) = (c.get(0), c.name("n")) else {
                continue;
            };
            if anchors.contains(&whole.end()) {
                if let Some((s, e)) = trimmed(text, n.start(), n.end()) {
                    return Some(found(text, vec![(s, e)], "before address or e-mail"));
                }
            }
        }
        let trimmed_text = text.trim_end();
        let n = self.last_line.captures(trimmed_text)?.name("n")?;
        let (s, e) = trimmed(text, n.start(), n.end())?;
        Some(found(text, vec![(s, e)], "last line"))
    }
}

/// "Prénom : Claire\nNom : Dubois", and the other way round.
fn split_forms() -> Vec<Regex> {
    vec![
        Regex::new(&format!(
            r"(?im)^[ \t]*(?:prénom|voornaam|first name|given name|vorname)[ \t]*:[ \t]*(?-i:(?P<f>{GIVEN}))[ \t]*\n[ \t]*(?:nom(?: de famille)?|achternaam|familienaam|last name|surname|family name|nachname|familienname)[ \t]*:[ \t]*(?-i:(?P<l>{PARTICLE}*{SURNAME}))[ \t]*$"
        ))
        .expect("static pattern"),
        Regex::new(&format!(
            r"(?im)^[ \t]*(?:nom(?: de famille)?|achternaam|familienaam|last name|surname|family name|nachname|familienname)[ \t]*:[ \t]*(?-i:(?P<l>{PARTICLE}*{SURNAME}))[ \t]*\n[ \t]*(?:prénom|voornaam|first name|given name|vorname)[ \t]*:[ \t]*(?-i:(?P<f>{GIVEN}))[ \t]*$"
        ))
        .expect("static pattern"),
    ]
}

fn found(text: &str, spans: Vec<(usize, usize)>, how: &'static str) -> Found {
    Found {
        text: text[spans[0].0..spans[0].1].to_string(),
        spans,
        how,
    }
}

/// The candidate, cut before its first word that is no name ("Marie Dupont Rue" →
/// "Marie Dupont"), if two words or more remain and the first one is a name's.
fn trimmed(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let candidate = &text[start..end];
    let mut last_end = None;
    let mut count = 0;
    for (i, word) in word_spans(candidate) {
        if is_stop(word) {
            break;
        }
        count += 1;
        last_end = Some(i + word.len());
    }
    let end = start + last_end?;
    let kept = &text[start..end];
    // Nor does it start with one ("De Bescheid", "Van Hier").
    let first = kept.split_whitespace().next()?;
    // A name ends with a surname, not a particle left behind by the cut.
    let last = kept.split_whitespace().last()?;
    (count >= 2 && is_name(kept) && !is_particle(last) && !is_particle(first))
        .then_some((start, end))
}

fn word_spans(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split_whitespace()
        .map(move |w| (w.as_ptr() as usize - s.as_ptr() as usize, w))
}

/// No word of `s` is a stop word (a greeting, a street word, an institution's...).
fn is_name(s: &str) -> bool {
    s.split_whitespace().count() >= 2 && !s.split_whitespace().any(is_stop)
}

fn is_stop(word: &str) -> bool {
    let w = word.to_lowercase();
    STOP_WORDS.contains(&w.as_str()) || w.split('-').any(|part| STOP_WORDS.contains(&part))
}

fn is_particle(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "de" | "du"
            | "des"
            | "la"
            | "le"
            | "van"
            | "der"
            | "den"
            | "von"
            | "vom"
            | "zu"
            | "ter"
            | "ten"
            | "te"
            | "d'"
            | "d’"
            | "op"
            | "el"
            | "al"
            | "di"
            | "da"
            | "del"
            | "dos"
    )
}
