//! What the domain layer's effects do to the opinions of a whole post: planned
//! maintenance silences failure words, a failure or an irony cue turns praise into
//! mockery, and a question without a complaint is no opinion.

use std::borrow::Cow;

use super::domain::{is_break, Family, Lang};
use super::scorer::Opinion;
use super::words::{BOOSTERS, EXCESS, NEGATION_SCOPE, NEGATORS};

/// Where an opinion comes from, as the post-level rules need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A word of the general lexicons.
    Word,
    /// An emoji or emoticon of the general list.
    Emoji,
    /// A domain entry with a polarity.
    Domain(Family),
    /// Domain praise that may be ironic; `interjection` when it stands alone ("Bravo,"
    /// "Great," "Top!" or last in the post).
    Ironic { interjection: bool },
    /// An irony cue (🙄, "na toll").
    Cue,
}

/// What the words of a post said besides their opinions.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Where repetition markers are ("encore", "weer", "again", "wieder").
    pub again: Vec<usize>,
    /// An announcement of planned maintenance.
    pub planned: bool,
}

/// How far after an ironic interjection a repetition marker makes it mock ("Top, weer
/// plat", "Super, MyMinfin ist schon wieder down").
const AGAIN_WITHIN: usize = 5;

/// Token index of opinions that are not words (emoji): outside every sentence.
pub const NOWHERE: usize = usize::MAX;

/// Whether an opinion says something went wrong with the service (or mocks it): what
/// turns praise around. Indignation alone does not ("triste", "absurd" in a review).
fn reports_failure(o: &Opinion) -> bool {
    match o.role {
        Role::Domain(f) => f != Family::Indignation && complains(o),
        Role::Cue => true,
        _ => false,
    }
}

/// Whether an opinion complains: a negative entry of a complaint family, an irony cue, or
/// praise turned into mockery.
fn complains(o: &Opinion) -> bool {
    match o.role {
        Role::Domain(f) => f.complains() && o.polarity * o.factor < 0.0,
        Role::Cue => true,
        Role::Ironic { .. } => o.factor < 0.0,
        Role::Word | Role::Emoji => false,
    }
}

/// Applies the post-level rules of the domain layer, in this order: planned maintenance,
/// irony, questions.
pub fn apply(opinions: &mut Vec<Opinion>, toks: &[String], signals: &Signals) {
    if signals.planned {
        opinions.retain(|o| o.role != Role::Domain(Family::Failure));
    }
    let cue = opinions.iter().any(|o| o.role == Role::Cue);
    let failure = opinions.iter().any(reports_failure);
    for o in opinions.iter_mut() {
        let at = o.at;
        let again =
            || (signals.again.iter()).any(|&a| a > at && a <= at.saturating_add(AGAIN_WITHIN));
        let mocked = match o.role {
            Role::Ironic { interjection } => failure || cue || (interjection && again()),
            // Under an eye-roll, any praise is mockery.
            Role::Word | Role::Emoji | Role::Domain(_) => cue && o.polarity * o.factor > 0.0,
            Role::Cue => false,
        };
        if mocked {
            o.factor = -o.factor.abs() * o.polarity.signum();
        }
    }
    if !cue {
        neutral_questions(opinions, toks);
    }
}

/// A post that only asks (every opinion word in a question) has no opinion, unless a
/// question complains ("Pourquoi est-ce encore en panne ?"). Where the post also says
/// something outside its questions, they are read as the rest of it (a rhetorical
/// question in a review).
fn neutral_questions(opinions: &mut Vec<Opinion>, toks: &[String]) {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.as_str() {
            "." => start = i + 1,
            "?" => {
                spans.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    let asked = |o: &Opinion| spans.iter().any(|s| s.contains(&o.at));
    if spans.is_empty() || opinions.iter().any(|o| o.at != NOWHERE && !asked(o)) {
        return;
    }
    if !opinions.iter().any(|o| asked(o) && complains(o)) {
        opinions.retain(|o| !asked(o));
    }
}

/// The text without links and @handles, whose words are no opinions (and whose ":/" is no
/// frown).
pub fn strip_links(text: &str) -> Cow<'_, str> {
    if !text.contains("://") && !text.contains("www.") && !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let space = &piece[word.len()..];
        if word.starts_with("http://") || word.starts_with("https://") || word.starts_with("www.") {
            out.push_str(space);
        } else if word.starts_with('@') || word.contains('@') {
            // Keep the punctuation after a handle: it may end a clause.
            let end = word
                .trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
                .len();
            out.push_str(&word[end..]);
            out.push_str(space);
        } else {
            out.push_str(piece);
        }
    }
    Cow::Owned(out)
}

/// The words around an opinion, and what they do to it.
pub struct Around<'t> {
    /// The text's words.
    pub toks: &'t [String],
    /// The domain layer's entries for the text's language.
    pub dom: Option<&'t Lang>,
    /// Negators already spent inside a negated domain phrase ("rien à redire").
    pub spent: &'t [bool],
}

impl Around<'_> {
    /// The factor `f` of an opinion (at word `i`, `n` words long) once its context is
    /// read: the booster before it, excess ("too good": criticism, whatever the word's
    /// own sign), and, if `negatable`, a negator before it in its clause or right after it.
    pub fn factor(&self, i: usize, n: usize, mut f: f32, polarity: f32, negatable: bool) -> f32 {
        let toks = self.toks;
        if let Some(prev) = i.checked_sub(1).map(|j| toks[j].as_str()) {
            let listed = || BOOSTERS.iter().find(|(b, _)| *b == prev).map(|x| x.1);
            if let Some(b) = self.dom.and_then(|d| d.boost(prev)).or_else(listed) {
                f *= b;
            }
            if EXCESS.contains(&prev) {
                f = -f.abs() * 0.5 * polarity.signum();
            }
        }
        if !negatable {
            return f;
        }
        let from = i.saturating_sub(NEGATION_SCOPE);
        let window = &toks[from..i];
        let clause = window
            .iter()
            .rposition(|t| is_break(t))
            .map_or(0, |b| b + 1);
        let live = |k: usize| !self.spent.get(from + k).copied().unwrap_or(false);
        if (clause..window.len()).any(|k| NEGATORS.contains(&window[k].as_str()) && live(k)) {
            f *= -0.6;
        }
        // French "ne ... pas" often puts the verb after the negation: also look one word ahead.
        if toks
            .get(i + n)
            .is_some_and(|n| n == "pas" || n == "niet" || n == "nicht" || n == "not")
        {
            f *= -0.6;
        }
        f
    }
}

/// Whether an opinion at word `i` covering `n` words stands alone: nothing after it in
/// its clause.
pub fn interjection(toks: &[String], i: usize, n: usize) -> bool {
    toks.get(i + n).is_none_or(|t| is_break(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_handles_are_dropped_punctuation_kept() {
        assert_eq!(
            strip_links("Merci @SPFFinances, voir https://finances.belgium.be/fr :/ ok"),
            "Merci , voir  :/ ok"
        );
        assert_eq!(strip_links("rien à voir"), "rien à voir");
        assert_eq!(strip_links("mail: jan@example.be."), "mail: .");
    }
}
