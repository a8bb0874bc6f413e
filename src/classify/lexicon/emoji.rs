//! Emoji and emoticons as opinions: the domain layer's (models/lexicon/domain/emoji.tsv),
//! then those of the general list it does not redefine.

use super::context::{Role, NOWHERE};
use super::domain::{Effect, Entry};
use super::scorer::Opinion;
use super::words::EMOJI;

/// Adds the emoji and emoticons of `text` to `opinions` (each at most three times), the
/// domain layer's entries (`domain`, empty without the layer) before the general list.
pub fn opinions<'a>(domain: &'a [Entry], text: &str, opinions: &mut Vec<Opinion<'a>>) {
    // Every emoji is outside ASCII and every emoticon has one of these: most posts have none.
    if text.is_ascii() && !text.contains([':', ';', '<']) {
        return;
    }
    let lower = text.to_lowercase();
    let mut push = |n: usize, polarity: f32, role: Role, pattern: Option<&'a str>| {
        for _ in 0..n.min(3) {
            opinions.push(Opinion {
                entry: None,
                domain: pattern,
                polarity,
                factor: 1.0,
                at: NOWHERE,
                role,
            });
        }
    };
    for e in domain {
        let (polarity, role) = match e.effect {
            Effect::Polarity(p) => (p, Role::Domain(e.family)),
            Effect::Ironic(p) => (p, Role::Ironic { interjection: true }),
            Effect::Cue(p) => (p, Role::Cue),
            _ => continue,
        };
        push(
            lower.matches(e.pattern.as_str()).count(),
            polarity,
            role,
            Some(&e.pattern),
        );
    }
    for (e, p) in EMOJI {
        if !domain.iter().any(|d| d.pattern == *e) {
            push(lower.matches(e).count(), *p, Role::Emoji, None);
        }
    }
}
