//! Postal addresses: a street with a number (or a post-office box) near a postcode with
//! its town, in the formats people here write them:
//! - Belgium: "Rue de la Loi 16 bte 3" / "Kerkstraat 12 bus 4" / "Avenue Louise 54/3",
//!   "1000 Bruxelles" / "B-9000 Gent";
//! - France: "12 bis, rue Victor Hugo", "BP 45", "69002 Lyon", "75541 Paris Cedex 11";
//! - the Netherlands: "Spui 70", "Postbus 1234", "2511 BT Den Haag";
//! - Germany, Austria, Switzerland: "Goethestr. 48", "Am Markt 3", "Postfach 10 20 30",
//!   "53105 Bonn", "1060 Wien";
//! - and the UK ("Leeds LS6 1HN"), Ireland ("Dublin D04 X2K8"), the US ("Springfield, IL
//!   62704").
//!
//! Either part alone is not an address: a town named in a news item, a street in a review.

use regex::Regex;

/// How far apart (bytes) a street and its postcode may be.
const MAX_GAP: usize = 60;

/// An address found: the street (or box) and the postcode with its town.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// "street, postcode town", as written.
    pub text: String,
    /// The street (or box), then the postcode with its town.
    pub spans: [(usize, usize); 2],
    /// "street" or "box".
    pub street_how: &'static str,
}

impl Found {
    /// The two spans with how each was recognised.
    pub(super) fn spans_how(&self) -> [(usize, usize, &'static str); 2] {
        [
            (self.spans[0].0, self.spans[0].1, self.street_how),
            (self.spans[1].0, self.spans[1].1, "postcode and town"),
        ]
    }
}

pub(super) struct Addresses {
    streets: Vec<Regex>,
    boxes: Regex,
    postcodes: Vec<Regex>,
    /// A postcode with a town in lower case, after "in", "à", "te": "in 1300 wavre".
    lower_town: Regex,
    /// "Cedex 11": the number after a Cedex.
    cedex_number: Regex,
    /// The last comma- or line-separated segment before a postcode: "Spui 70", "Meir 88".
    segment: Regex,
}

/// A number after a street name, with its letter, box and the like: "16", "12a",
/// "54/3", "210 bte 4", "112 box 7", "120/3", "5 bus 12".
const NUMBER: &str = r"\d{1,4}(?:[ \t]?[a-zA-Z])?\b(?:[ \t]*/[ \t]*\d{1,4}[a-zA-Z]?|,?[ \t]*(?i:bus|bte\.?|boîte|boite|box|b\.)[ \t]*\d{1,4}[a-zA-Z]?)?";

/// Small words inside a street name: "Laan van Meerdervoort", "Quai au Foin".
const PARTICLES: &str = r"van|de|der|den|du|des|la|le|les|au|aux|am|an|op|ten|ter|'t|d['’]\p{Lu}[\p{L}-]*|l['’]\p{Lu}[\p{L}-]*";

/// French and Belgian street words that come before the name.
const FR_STREET: &str = r"rue|avenue|av\.|boulevard|bd\.?|chaussée|place|grand-place|grand['’]place|chemin|allée|quai|square|impasse|route|clos|drève|rempart|sentier|galerie|parvis|cour|promenade|esplanade|passage|ruelle|venelle|cité|résidence|faubourg|rond-point|voie";

/// Dutch and German street words that end the name ("Kerkstraat", "Goethestr.").
const GLUED: &str = r"straat|laan|weg|plein|lei|dreef|steenweg|baan|kaai|singel|gracht|dijk|markt|hof|dries|kouter|plaats|kade|straße|strasse|str\.|allee|platz|gasse|damm|ufer|chaussee|pfad|bahn|steig|berg|gässchen|zeile";

/// English street words that end the name ("Baker Street", "Elm Grove").
const EN_STREET: &str = r"street|st\.?|road|rd\.?|avenue|ave\.?|lane|drive|way|grove|close|crescent|terrace|court|gardens|place|square|row|hill|park|walk|mews|boulevard|blvd\.?";

/// A town after a postcode: capitalised words, with hyphens, "lez", "sur", "aan", "am"…
/// ("St. Vith" keeps its dot; any other dot ends the town).
const TOWN: &str = r"(?:(?:St|Ste|Sv)\.[ \t]*\p{Lu}[\p{L}'’-]*|\p{Lu}[\p{L}'’-]*(?:[ \t]*-[ \t]*\p{Lu}[\p{L}'’-]*|[ \t]+(?:(?:sur|sous|lez|lès|en|aan|de|den|der|am|an|im|bei|la|le|les)[ \t]+)?(?:\p{Lu}[\p{L}'’-]*|[lLdD]['’]\p{Lu}[\p{L}-]*))*)";

impl Addresses {
    pub(super) fn new() -> Addresses {
        let r = |s: &str| Regex::new(s).expect("static pattern");
        Addresses {
            streets: vec![
                // "12 rue de la Loi", "12 bis, rue Victor Hugo", "5, impasse des Lilas"
                r(&format!(
                    r"(?i)\b\d{{1,4}}(?:[ \t]?(?:bis|ter|[a-z]))?,?[ \t]+(?:{FR_STREET})[ \t]+[\p{{L}}'’ .-]{{2,50}}"
                )),
                // "rue de la Loi 16", "Chaussée de Wavre 210 bte 4", "Grand-Place 39"
                r(&format!(
                    r"(?i)\b(?:{FR_STREET})(?:[ \t]+[\p{{L}}'’.-]+){{0,6}}?,?[ \t]+{NUMBER}"
                )),
                // "Kerkstraat 12 bus 4", "Goethestr. 48", "Sint-Jansplein 3"
                r(&format!(
                    r"(?:\b(?:Lange|Korte|Oude|Nieuwe|Grote|Kleine|Hoge|Brede|Alte|Neue|Große|Obere|Untere|Koning|Koningin|Prins|Prinses)[ \t]+)?(?i:\b[\p{{L}}'’-]{{2,}}(?:{GLUED}),?[ \t]*{NUMBER})"
                )),
                // "Aachener Straße 12", "Laan van Meerdervoort 45", "Neuer Weg 19"
                r(&format!(
                    r"\b\p{{Lu}}[\p{{L}}.-]+(?:[ \t]+(?:van|de|der|den|von|am|an)?[ \t]*\p{{Lu}}[\p{{L}}.-]+)?[ \t]+(?i:straße|strasse|str\.|weg|allee|platz|gasse|ring|markt|laan|straat|dreef|plein|kaai|steenweg)[ \t]+{NUMBER}"
                )),
                r(&format!(
                    r"\bLaan[ \t]+van[ \t]+\p{{Lu}}[\p{{L}}-]+[ \t]+{NUMBER}"
                )),
                // "Am Markt 3", "An der Kirche 5", "Zum See 2"
                r(&format!(
                    r"\b(?:Am|An der|An den|Auf dem|Auf der|Im|In der|Zum|Zur|Unter den|Hinter der|Vor dem)[ \t]+\p{{Lu}}[\p{{L}}-]+[ \t]+{NUMBER}"
                )),
                // "221B Baker Street", "27 Queen's Road", "1420 Elm Street"
                r(&format!(
                    r"(?i)\b\d{{1,5}}[a-z]?[ \t]+(?:[\p{{L}}'’]+[ \t]+){{1,4}}(?:{EN_STREET})\b"
                )),
            ],
            boxes: r(
                r"(?i)\b(?:postbus|postfach|boîte postale|p\.?[ \t]?o\.?[ \t]+box)[ \t]*\d[\d \t]{0,10}\d?|\b(?:BP|B\.P\.|CS)[ \t]*\d{1,6}",
            ),
            postcodes: vec![
                // NL before BE: "2511 BT Den Haag"
                r(&format!(r"\b(?:NL-)?\d{{4}}[ \t]?[A-Z]{{2}}[ \t]+{TOWN}")),
                // FR, DE: five digits, "Cedex 11"
                r(&format!(
                    r"\b(?:[FD]-)?\d{{5}}[ \t]+{TOWN}(?:[ \t]+(?i:cedex)(?:[ \t]+\d{{1,2}})?)?"
                )),
                // BE, AT, CH, LU: four digits
                r(&format!(r"\b(?:[BLA]-|CH-)?\d{{4}}[ \t]+{TOWN}")),
                // UK: "Leeds LS6 1HN"; US: "Springfield, IL 62704"
                r(r"\b(?:\p{Lu}[\p{L}-]+[ \t]+)?[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}\b"),
                r(r"\b\p{Lu}[\p{L}.' -]+,[ \t]+[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?\b"),
                // Ireland (Eircode): "Dublin D04 X2K8"
                r(r"\b(?:\p{Lu}[\p{L}-]+[ \t]+)?[AC-FHKNPRTV-Y]\d{2}[ \t]?[AC-FHKNPRTV-Y0-9]{4}\b"),
            ],
            lower_town: r(r"(?i:\b(?:in|à|te))[ \t]+(?P<p>\d{4,5}[ \t]+\p{Ll}[\p{Ll}'’-]{2,})"),
            cedex_number: r(r"\A[ \t]+\d{1,2}\b"),
            segment: r(&format!(
                r"(?:^|[\n,;:(]|[.!?][ \t])[ \t]*(?P<s>\p{{Lu}}[\p{{L}}'’.-]*(?:[ \t]+(?:\p{{Lu}}[\p{{L}}'’.-]*|{PARTICLES})){{0,4}}[ \t]+{NUMBER})[ \t]*(?:,|\n|[ \t]+-|[ \t]+–)?[ \t]*\z"
            )),
        }
    }

    /// The first street (or box) with a postcode and town close to it.
    pub(super) fn find(&self, text: &str) -> Option<Found> {
        let postcodes = self.postcodes_in(text);
        if postcodes.is_empty() {
            return None;
        }
        let mut streets: Vec<Street> = self
            .streets
            .iter()
            .flat_map(|r| r.find_iter(text))
            .map(|m| (m.start(), trim_end(text, m.start(), m.end()), "street"))
            .chain(
                self.boxes
                    .find_iter(text)
                    .map(|m| (m.start(), trim_end(text, m.start(), m.end()), "box")),
            )
            .collect();
        // The segment just before each postcode: a street in any language with a number.
        for &(ps, _) in &postcodes {
            let from = floor_char(text, ps.saturating_sub(80));
            let Some(c) = self.segment.captures(&text[from..ps]) else {
                continue;
            };
            // `^` is the text's start only when the window starts there.
            let whole = c.get(0).expect("group 0");
            let starts_cleanly = whole.start() > 0
                || from == 0
                || text[from..].starts_with(['\n', ',', ';', ':', '(', '.', '!', '?']);
            if let (true, Some(s)) = (starts_cleanly, c.name("s")) {
                streets.push((from + s.start(), from + s.end(), "street"));
            }
        }
        streets.sort();
        let (st, pc) = closest(&streets, &postcodes)?;
        let street = text[st.0..st.1].trim();
        let postcode = text[pc.0..pc.1].trim();
        Some(Found {
            text: format!("{street}, {postcode}"),
            spans: [(st.0, st.1), pc],
            street_how: st.2,
        })
    }

    fn postcodes_in(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        let lower = self
            .lower_town
            .captures_iter(text)
            .filter_map(|c| c.name("p"));
        for m in self
            .postcodes
            .iter()
            .flat_map(|r| r.find_iter(text))
            .chain(lower)
        {
            let (s, mut e) = (m.start(), trim_end(text, m.start(), m.end()));
            if text[..e].to_lowercase().ends_with("cedex") {
                e += self.cedex_number.find(&text[e..]).map_or(0, |n| n.end());
            }
            if !out.iter().any(|&(os, oe)| s < oe && os < e) {
                out.push((s, e));
            }
        }
        out
    }
}

/// A street or box found: start, end, and "street" or "box".
type Street = (usize, usize, &'static str);

/// The first street (in text order) with a postcode close to it, before or after, and
/// that postcode (the nearest). A postcode inside the street is no postcode of it.
fn closest(streets: &[Street], postcodes: &[(usize, usize)]) -> Option<(Street, (usize, usize))> {
    streets.iter().find_map(|&st| {
        postcodes
            .iter()
            .filter(|pc| !(pc.0 < st.1 && st.0 < pc.1))
            .map(|&pc| {
                let gap = if st.0 <= pc.0 {
                    pc.0.saturating_sub(st.1)
                } else {
                    st.0.saturating_sub(pc.1)
                };
                (gap, pc)
            })
            .filter(|(gap, _)| *gap <= MAX_GAP)
            .min()
            .map(|(_, pc)| (st, pc))
    })
}

/// `end` moved back over trailing spaces and punctuation.
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    start
        + text[start..end]
            .trim_end_matches([' ', '\t', ',', '.', '-', '\n'])
            .len()
}

/// The largest char boundary at or before `i`.
fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
