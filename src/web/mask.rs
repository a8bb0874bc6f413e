//! What a reader who may not see citizens' personal data (a viewer) is shown: every
//! string of an escalation that may hold such data passes through one [`Masking`].

use crate::core::privacy;
use crate::escalate::formal::Detector;

/// How one page masks personal data for its reader.
pub(super) struct Masking<'a> {
    detector: &'a Detector,
    /// The authors' names, handles and e-mail addresses; `None` when the reader may see them.
    pieces: Option<Vec<String>>,
    /// The same pieces, compiled once for every string of the page.
    scrubber: privacy::Scrubber,
}

impl<'a> Masking<'a> {
    /// For a reader who may (`personal`) or may not see personal data, on a page about
    /// mentions given as (author, link, title, text).
    pub(super) fn new<'m>(
        detector: &'a Detector,
        personal: bool,
        mentions: impl IntoIterator<Item = (Option<&'m str>, Option<&'m str>, &'m str, &'m str)>,
    ) -> Masking<'a> {
        let pieces = (!personal).then(|| {
            privacy::normalise(
                mentions
                    .into_iter()
                    .flat_map(|(a, u, t, x)| privacy::pieces(a, u, t, x))
                    .collect(),
            )
        });
        let scrubber = privacy::Scrubber::new(pieces.as_deref().unwrap_or_default());
        Masking {
            detector,
            pieces,
            scrubber,
        }
    }

    /// `s` as the reader may see it: authors' names and handles, and the name, postal
    /// address and e-mail a message gives, masked (`J*** D*****`).
    pub(super) fn text(&self, s: &str) -> String {
        match &self.pieces {
            None => s.to_string(),
            Some(_) => self.detector.redact(&self.scrubber.scrub(s, privacy::mask)),
        }
    }

    /// A mention's title or text: as [`Masking::text`], except that for a private message
    /// (`private` holds the placeholder) a reader who may not see personal data gets the
    /// placeholder instead of the text.
    pub(super) fn message(&self, s: &str, private: Option<&str>) -> String {
        match (&self.pieces, private) {
            (Some(_), Some(placeholder)) => placeholder.to_string(),
            _ => self.text(s),
        }
    }

    /// An optional string, masked.
    pub(super) fn opt(&self, s: Option<String>) -> Option<String> {
        match &self.pieces {
            None => s,
            Some(_) => s.map(|s| self.text(&s)),
        }
    }

    /// An author: only for readers who may see it.
    pub(super) fn author(&self, a: Option<String>) -> Option<String> {
        self.pieces.is_none().then_some(a).flatten()
    }

    /// A link, if it is a web link and, for a viewer, names nobody (`/@handle/…`).
    pub(super) fn link(&self, url: Option<String>) -> Option<String> {
        let url = url.filter(|u| crate::core::text::is_web_link(u))?;
        match &self.pieces {
            None => Some(url),
            Some(p) if privacy::holds(&url, p) || !privacy::handles_in_url(&url).is_empty() => None,
            Some(_) => Some(url),
        }
    }
}
