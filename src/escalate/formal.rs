//! Possible formal requests (CRPA L.112-8, R.112-9-1 in France; service charters in
//! Belgium): a message whose sender gives a first and last name, a postal address and an
//! e-mail address is an electronic request with legal deadlines. We flag it and say which
//! of the three elements were found, so a person can confirm.

use crate::core::privacy::{email_pattern, mask};
use regex::Regex;
use serde::Serialize;

/// What was found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Identification {
    /// First and last name, as written.
    pub name: Option<String>,
    /// Postal address, as written.
    pub address: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

impl Identification {
    /// All three elements: a possible formal request.
    pub fn is_formal_request(&self) -> bool {
        self.name.is_some() && self.address.is_some() && self.email.is_some()
    }

    /// Names of the elements found, e.g. ["name", "email"].
    pub fn found(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.name.is_some() {
            v.push("name");
        }
        if self.address.is_some() {
            v.push("address");
        }
        if self.email.is_some() {
            v.push("email");
        }
        v
    }
}

/// The fr/nl/en patterns. Compiled on first use, once per process (some 50 ms of CPU:
/// the Unicode classes make large automata), so a start-up never waits for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Detector;

#[derive(Debug)]
struct Patterns {
    street: Vec<Regex>,
    postcode: Regex,
    name: Vec<Regex>,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: std::sync::LazyLock<Patterns> = std::sync::LazyLock::new(Patterns::new);
    &PATTERNS
}

const NAME: &str = r"(\p{Lu}[\p{Ll}'’-]+(?:[ -](?:de|du|des|van|der|den|von|le|la|d'|De|Van|Von|Le|La))*[ -]\p{Lu}[\p{L}'’-]+)";

impl Detector {
    /// The detector (its patterns are compiled on first use).
    pub fn new() -> Detector {
        Detector
    }
}

impl Patterns {
    fn new() -> Patterns {
        let r = |s: &str| Regex::new(s).expect("static pattern");
        Patterns {
            street: vec![
                // fr: "12 rue de la Loi", "rue de la Loi 16", "avenue Louise, 54"
                r(r"(?i)\b\d{1,4}\s?(?:bis|ter|[a-z])?,?\s+(?:rue|avenue|av\.|boulevard|bd|chaussée|place|chemin|allée|quai|square|impasse|route|clos|drève)\s+[\p{L}'’ .-]{2,50}"),
                r(r"(?i)\b(?:rue|avenue|av\.|boulevard|bd|chaussée|place|chemin|allée|quai|square|impasse|route|clos|drève)\s+[\p{L}'’ .-]{2,50}?,?\s+\d{1,4}\s?[a-z]?\b"),
                // nl: "Kerkstraat 12", "Frankrijklei 5 bus 3"
                r(r"(?i)\b[\p{L}-]{2,}(?:straat|laan|weg|plein|lei|dreef|steenweg|kaai|singel|gracht|dijk|markt|hof|pad)\s+\d{1,4}\s?[a-z]?\b"),
                // en: "221B Baker Street", "10 Downing St"
                r(r"(?i)\b\d{1,5}[a-z]?\s+[\p{L} ]{2,40}\s(?:street|st\.?|road|rd\.?|avenue|ave\.?|lane|drive|way|square|place)\b"),
            ],
            // BE/NL 4 digits (+ NL letters), FR 5 digits, followed by a capitalised town; UK postcodes.
            postcode: r(r"\b(?:(?:B-|F-|NL-)?\d{4}(?:\s?[A-Z]{2})?|\d{5})\s+\p{Lu}[\p{L}'’ -]{1,40}|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"),
            name: vec![
                // introductions
                Regex::new(&format!(r"(?i:je m'appelle|je m’appelle|mon nom est|je suis|ik ben|mijn naam is|my name is|i am|i'm|soussigné[e]?|ondergetekende)\s+(?i:madame\s+|monsieur\s+|mevrouw\s+|meneer\s+|mrs?\.?\s+|ms\.?\s+)?{NAME}")).expect("static"),
                // sign-offs on their own line, then the name
                Regex::new(&format!(r"(?m)(?i:cordialement|bien à vous|salutations distinguées|sincères salutations|met vriendelijke groet(?:en)?|vriendelijke groeten|hoogachtend|mvg|kind regards|best regards|regards|sincerely|yours faithfully|yours sincerely)[,.!]?\s*\n\s*{NAME}\s*$")).expect("static"),
                // "Nom : Jean Dupont" forms
                Regex::new(&format!(r"(?i:nom|naam|name)\s*:\s*{NAME}")).expect("static"),
            ],
        }
    }
}

impl Detector {
    /// What [`Detector::identify`] finds, when it is a possible formal request. Cheap on
    /// the texts most mentions are: without an `@` there is no e-mail address.
    pub fn formal_request(&self, text: &str) -> Option<Identification> {
        if !text.contains('@') {
            return None;
        }
        Some(self.identify(text)).filter(Identification::is_formal_request)
    }

    /// Looks for a name, a postal address and an e-mail address.
    pub fn identify(&self, text: &str) -> Identification {
        let p = patterns();
        let email = email_pattern().find(text).map(|m| m.as_str().to_string());
        let street = p
            .street
            .iter()
            .find_map(|r| r.find(text))
            .map(|m| m.as_str().trim().to_string());
        let postcode = p.postcode.find(text).map(|m| m.as_str().trim().to_string());
        // An address is a street with a number AND a postcode with a town.
        let address = match (street, postcode) {
            (Some(s), Some(p)) => Some(if s.contains(&p) {
                s
            } else {
                format!("{s}, {p}")
            }),
            _ => None,
        };
        let name = p
            .name
            .iter()
            .find_map(|r| r.captures(text))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string());
        Identification {
            name,
            address,
            email,
        }
    }
}

impl Detector {
    /// The text with the sender's name, address and e-mail masked, for readers who may
    /// not see personal data.
    pub fn redact(&self, text: &str) -> String {
        let id = self.identify(text);
        let mut out = email_pattern()
            .replace_all(text, |c: &regex::Captures| mask(&c[0]))
            .into_owned();
        for part in [id.name, id.address].into_iter().flatten() {
            for piece in part.split(", ") {
                if piece.len() > 2 {
                    out = out.replace(piece, &mask(piece));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_messages_with_and_without_each_element() {
        let d = Detector::new();
        // (text, name?, address?, email?)
        let cases: &[(&str, bool, bool, bool)] = &[
            (
                "Bonjour, je m'appelle Marie Dupont, j'habite 12 rue de la Loi, 1000 Bruxelles. Je demande le réexamen de mon avertissement-extrait de rôle. Mon e-mail : marie.dupont@example.be",
                true, true, true,
            ),
            (
                "Madame, Monsieur,\nJe conteste la majoration appliquée.\nAdresse : avenue Louise 54, 1050 Ixelles\nmarie.d@example.org\nCordialement,\nMarie Dupont",
                true, true, true,
            ),
            (
                "Goedendag, mijn naam is Jan Van den Broeck, Kerkstraat 12, 9000 Gent. Ik vraag een afbetalingsplan aan. jan.vdb@example.be",
                true, true, true,
            ),
            (
                "Ik wil bezwaar indienen tegen mijn aanslagbiljet.\nFrankrijklei 5, 2000 Antwerpen\nan.peeters@example.be\nMet vriendelijke groeten,\nAn Peeters",
                true, true, true,
            ),
            (
                "Hello, my name is John Smith, 221B Baker Street, London NW1 6XE, john.smith@example.co.uk. I request a review of my assessment.",
                true, true, true,
            ),
            // one element missing each time
            ("Je m'appelle Marie Dupont, 12 rue de la Loi, 1000 Bruxelles. Je demande un délai de paiement.", true, true, false),
            ("Je m'appelle Marie Dupont, écrivez-moi à marie@example.be pour mon remboursement.", true, false, true),
            ("12 rue de la Loi, 1000 Bruxelles, marie@example.be : où en est mon remboursement ?", false, true, true),
            ("Mijn naam is Jan Peeters, jan@example.be, ik woon in Gent.", true, false, true),
            // ordinary questions: nothing
            ("Bonjour, MyTax est en panne, quand sera-t-il rétabli ?", false, false, false),
            ("Wanneer komt mijn terugbetaling? Al drie maanden niets gehoord van de FOD.", false, false, false),
            ("Is the tax return deadline extended because the website is down?", false, false, false),
            ("Le SPF Impôts au 1000 Bruxelles ouvre à 9h", false, false, false),
        ];
        for (text, name, address, email) in cases {
            let id = d.identify(text);
            assert_eq!(
                (id.name.is_some(), id.address.is_some(), id.email.is_some()),
                (*name, *address, *email),
                "{text}\n -> {id:?}"
            );
            assert_eq!(
                id.is_formal_request(),
                *name && *address && *email,
                "{text}"
            );
        }
    }

    #[test]
    fn found_elements_are_named_and_logs_are_masked() {
        let id = Detector::new().identify("My name is John Smith, john@example.org");
        assert_eq!(id.found(), vec!["name", "email"]);
        assert_eq!(id.name.as_deref(), Some("John Smith"));
        assert_eq!(mask("John Smith"), "J*** S****");
    }
}
