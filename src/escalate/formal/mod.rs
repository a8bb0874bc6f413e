//! Possible formal requests (CRPA L.112-8, R.112-9-1 in France; service charters in
//! Belgium): a message whose sender gives a first and last name, a postal address and an
//! e-mail address, and that actually asks for something, is an electronic request with
//! legal deadlines. We flag it and say which elements were found, how and where (byte
//! offsets), so a person can confirm; the elements themselves never go into logs.
//!
//! People rarely write "my name is": a name stands after a salutation, a title or a
//! "Nom :" label, or as a signature; addresses come in Belgian, French, Dutch and German
//! formats; e-mail addresses are sometimes written "name [at] domain". Each element has
//! its own file; this one puts them together.

mod address;
mod email;
mod names;
mod request;
#[cfg(test)]
mod tests;
mod words_data;

use std::sync::LazyLock;

use serde::Serialize;

/// One of the four elements of a formal request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Element {
    /// First and last name.
    Name,
    /// Postal address.
    Address,
    /// E-mail address.
    Email,
    /// The message asks for something.
    Request,
}

impl Element {
    /// Its name, as [`Identification::found`] lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            Element::Name => "name",
            Element::Address => "address",
            Element::Email => "email",
            Element::Request => "request",
        }
    }
}

/// Where an element was found: byte offsets in the text and how it was recognised (e.g.
/// "signature", "street and postcode", "obfuscated"). Holds no personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Which element.
    pub element: Element,
    /// How it was recognised.
    pub how: &'static str,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// What was found in a message. Its `Debug` shows which elements and where, never the
/// personal data itself, so it is safe in a log line.
#[derive(Clone, PartialEq, Eq, Serialize, Default)]
pub struct Identification {
    /// First and last name, as written.
    pub name: Option<String>,
    /// Postal address, as written ("street, postcode town").
    pub address: Option<String>,
    /// E-mail address (an obfuscated one rewritten as `name@domain`).
    pub email: Option<String>,
    /// The words that make it a request ("je demande", "gelieve", "please send", ...).
    pub request: Option<String>,
    /// Where each element is in the text (a name or an address may have two spans).
    pub spans: Vec<Span>,
}

impl std::fmt::Debug for Identification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identification")
            .field("found", &self.found())
            .field("spans", &self.spans)
            .finish()
    }
}

impl Identification {
    /// All four elements (name, postal address, e-mail, a request): a possible formal request.
    pub fn is_formal_request(&self) -> bool {
        self.name.is_some()
            && self.address.is_some()
            && self.email.is_some()
            && self.request.is_some()
    }

    /// Names of the elements found, e.g. ["name", "email"].
    pub fn found(&self) -> Vec<&'static str> {
        [
            (self.name.is_some(), Element::Name),
            (self.address.is_some(), Element::Address),
            (self.email.is_some(), Element::Email),
            (self.request.is_some(), Element::Request),
        ]
        .into_iter()
        .filter(|(found, _)| *found)
        .map(|(_, e)| e.as_str())
        .collect()
    }

    /// Which elements were found, how and where, without the personal data: e.g.
    /// "name: signature at 120..135; email: obfuscated at 160..190".
    pub fn explain(&self) -> String {
        self.spans
            .iter()
            .map(|s| {
                format!(
                    "{}: {} at {}..{}",
                    s.element.as_str(),
                    s.how,
                    s.start,
                    s.end
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The personal pieces of `text` (the one identified): name, address and e-mail as
    /// written there, for erasure and masking.
    pub fn pieces<'t>(&self, text: &'t str) -> Vec<&'t str> {
        self.spans
            .iter()
            .filter(|s| s.element != Element::Request)
            .filter_map(|s| text.get(s.start..s.end))
            .collect()
    }
}

/// The fr/nl/en/de patterns. Compiled on first use, once per process (a few hundred ms of
/// CPU for names and addresses: the Unicode classes make large automata), so a start-up
/// never waits for them, and most texts (no e-mail address) never need them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Detector;

struct Patterns {
    names: names::Names,
    address: address::Addresses,
    request: request::Requests,
}

/// Names, addresses and requests: compiled when a first e-mail address is found.
fn patterns() -> &'static Patterns {
    static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| Patterns {
        names: names::Names::new(),
        address: address::Addresses::new(),
        request: request::Requests::new(),
    });
    &PATTERNS
}

/// E-mail addresses: the first thing looked for, and on most texts the only one.
fn emails() -> &'static email::Emails {
    static EMAILS: LazyLock<email::Emails> = LazyLock::new(email::Emails::new);
    &EMAILS
}

impl Detector {
    /// The detector (its patterns are compiled on first use).
    pub fn new() -> Detector {
        Detector
    }

    /// What [`Detector::identify`] finds, when it is a possible formal request. Cheap on
    /// the texts most mentions are: without an `@` or an obfuscated one ("[at]", "(at)",
    /// "name at domain dot be") there is no e-mail address, and nothing else is looked at.
    pub fn formal_request(&self, text: &str) -> Option<Identification> {
        if !email::may_hold_email(text) {
            return None;
        }
        let email = emails().find(text)?;
        Some(self.identify_with(text, Some(email))).filter(Identification::is_formal_request)
    }

    /// Looks for a name, a postal address, an e-mail address and a request.
    pub fn identify(&self, text: &str) -> Identification {
        let email = emails().find(text);
        self.identify_with(text, email)
    }

    fn identify_with(&self, text: &str, email: Option<email::Found>) -> Identification {
        let p = patterns();
        let mut id = Identification::default();
        let address = p.address.find(text);
        let request = p.request.find(text);
        // A bare name line counts when the address or the e-mail follows it at once.
        let anchors: Vec<usize> = address
            .iter()
            .map(|a| a.spans[0].0)
            .chain(email.iter().map(|e| e.start))
            .collect();
        if let Some(n) = p.names.find(text, &anchors) {
            for &(start, end) in &n.spans {
                id.spans.push(span(Element::Name, n.how, start, end));
            }
            id.name = Some(n.text);
        }
        if let Some(a) = address {
            for &(start, end, how) in &a.spans_how() {
                id.spans.push(span(Element::Address, how, start, end));
            }
            id.address = Some(a.text);
        }
        if let Some(e) = email {
            id.spans.push(span(Element::Email, e.how, e.start, e.end));
            id.email = Some(e.address);
        }
        if let Some(r) = request {
            id.spans.push(span(Element::Request, r.how, r.start, r.end));
            id.request = Some(text[r.start..r.end].to_string());
        }
        id.spans.sort_by_key(|s| s.start);
        id
    }

    /// The text with the sender's name, address and e-mail masked (`J*** D*****`), for
    /// readers who may not see personal data. Every e-mail address is masked, plain or
    /// obfuscated, and the name and address wherever they occur again.
    pub fn redact(&self, text: &str) -> String {
        let id = self.identify(text);
        let mut ranges: Vec<(usize, usize)> = emails().all(text);
        ranges.extend(
            id.spans
                .iter()
                .filter(|s| s.element != Element::Request)
                .map(|s| (s.start, s.end)),
        );
        for piece in id.pieces(text) {
            if piece.len() > 2 {
                ranges.extend(text.match_indices(piece).map(|(i, p)| (i, i + p.len())));
            }
        }
        masked(text, ranges)
    }
}

fn span(element: Element, how: &'static str, start: usize, end: usize) -> Span {
    Span {
        element,
        how,
        start,
        end,
    }
}

/// `text` with each of `ranges` (byte offsets on char boundaries, overlapping or not)
/// masked.
fn masked(text: &str, mut ranges: Vec<(usize, usize)>) -> String {
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in merged {
        out.push_str(&text[at..s]);
        out.push_str(&mask_keeping_breaks(&text[s..e]));
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// [`crate::core::privacy::mask`] word by word, keeping the spaces and line breaks
/// between words, so a masked letter keeps its shape.
fn mask_keeping_breaks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_inclusive(char::is_whitespace) {
        let body = word.trim_end_matches(char::is_whitespace);
        out.push_str(&crate::core::privacy::mask(body));
        out.push_str(&word[body.len()..]);
    }
    out
}
