//! Impersonation and phishing: domains that look like the institution's, and requests
//! for payment or bank details made in its name.
//!
//! A domain is a look-alike when, without its TLD and after undoing homoglyphs
//! (0→o, 1→l, rn→m, vv→w, Cyrillic look-alikes), it equals an official domain's name
//! with hyphens or dots moved ("finances-belgium.com", "myminfin.com"), is within two
//! edits of it ("myrninfin.be"), or contains it ("myminfin-refund.eu").
//! The official domains themselves and their subdomains never are.

use crate::core::text::fold;

/// Why a domain looks like one of ours.
#[derive(Debug, Clone, PartialEq)]
pub struct LookAlike {
    /// The domain found in the mention.
    pub domain: String,
    /// The official domain it imitates.
    pub imitates: String,
    /// "other_tld", "hyphenated", "edit_distance", "contains_name", "homoglyph".
    pub how: &'static str,
}

/// The official domains, ready for comparison.
#[derive(Debug, Clone, Default)]
pub struct Impersonation {
    official: Vec<(String, String)>,
    payment: Vec<&'static str>,
}

fn strip_tld(domain: &str) -> &str {
    match domain.rfind('.') {
        Some(i) => &domain[..i],
        None => domain,
    }
}

fn unglyph(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(match c {
            '0' => 'o',
            '1' | 'ı' | 'ӏ' => 'l',
            '3' => 'e',
            '5' => 's',
            'а' => 'a',
            'е' => 'e',
            'о' => 'o',
            'р' => 'p',
            'с' => 'c',
            'х' => 'x',
            'і' => 'i',
            _ => c,
        });
    }
    out.replace("rn", "m").replace("vv", "w")
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Domains named in a text (links and bare "name.tld" words), lowercased, without "www.".
pub fn domains(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"') {
        let w = w.trim_matches(|c: char| "()[],;!?'".contains(c));
        let host = if w.contains("://") {
            url::Url::parse(w)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
        } else {
            let h = w.split('/').next().unwrap_or("").trim_end_matches('.');
            let parts: Vec<&str> = h.split('.').collect();
            let tld_ok = parts.last().is_some_and(|t| {
                (2..=6).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphabetic())
            });
            (parts.len() >= 2 && tld_ok && parts.iter().all(|p| !p.is_empty()) && !h.contains('@'))
                .then(|| h.to_string())
        };
        // A host cut short ("myminfin-be.") is no domain.
        let host = host
            .map(|h| h.trim_end_matches('.').to_string())
            .filter(|h| h.rsplit_once('.').is_some_and(|(_, tld)| tld.len() >= 2));
        if let Some(h) = host {
            let h = h.to_lowercase();
            let h = h.trim_start_matches("www.").to_string();
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}

impl Impersonation {
    /// `official`: the institution's domains ("finances.belgium.be", "myminfin.be").
    pub fn new(official: &[String]) -> Impersonation {
        Impersonation {
            official: official
                .iter()
                .map(|d| {
                    let d = d.trim().trim_start_matches("www.").to_lowercase();
                    let name = squash(strip_tld(&d));
                    (d, name)
                })
                .collect(),
            payment: vec![
                "iban",
                "bic",
                "carte bancaire",
                "coordonnees bancaires",
                "numero de compte",
                "payez",
                "paiement",
                "bankgegevens",
                "rekeningnummer",
                "betaal",
                "bankkaart",
                "bank details",
                "card number",
                "pay now",
                "bankverbindung",
                "kreditkarte",
                "zahlen sie",
            ],
        }
    }

    /// Whether any official domain is configured.
    pub fn enabled(&self) -> bool {
        !self.official.is_empty()
    }

    /// Is `domain` one of ours (or a subdomain)?
    pub fn is_official(&self, domain: &str) -> bool {
        self.official
            .iter()
            .any(|(d, _)| domain == d || domain.ends_with(&format!(".{d}")))
    }

    /// Does `domain` imitate one of ours?
    pub fn look_alike(&self, domain: &str) -> Option<LookAlike> {
        let domain = domain.trim_start_matches("www.").to_lowercase();
        if self.is_official(&domain) {
            return None;
        }
        let raw = squash(strip_tld(&domain));
        let cand = squash(&unglyph(strip_tld(&domain)));
        for (off, name) in &self.official {
            let found = |how| {
                Some(LookAlike {
                    domain: domain.clone(),
                    imitates: off.clone(),
                    how,
                })
            };
            if name.len() < 4 {
                continue;
            }
            if raw == *name {
                let how = if strip_tld(&domain) == strip_tld(off) {
                    "other_tld"
                } else {
                    "hyphenated"
                };
                return found(how);
            }
            if cand == *name {
                return found("homoglyph");
            }
            if name.len() >= 6 && levenshtein(&cand, name) <= 2 {
                return found("edit_distance");
            }
            if cand.contains(name.as_str()) {
                return found("contains_name");
            }
        }
        None
    }

    /// Look-alike domains in a text, and whether it asks for payment or bank details.
    pub fn check(&self, text: &str) -> (Vec<LookAlike>, bool) {
        let found: Vec<LookAlike> = domains(text)
            .iter()
            .filter_map(|d| self.look_alike(d))
            .collect();
        let folded = fold(text);
        let pays = self.payment.iter().any(|p| folded.contains(p));
        (found, pays)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imp() -> Impersonation {
        Impersonation::new(&["finances.belgium.be".into(), "myminfin.be".into()])
    }

    #[test]
    fn look_alikes_are_flagged_and_the_official_domains_are_not() {
        let i = imp();
        for (d, how) in [
            ("myminfin.com", "other_tld"),
            ("my-minfin.be", "hyphenated"),
            ("finances-belgium.be", "hyphenated"),
            ("myrninfin.be", "homoglyph"),
            ("myminfln.be", "edit_distance"),
            ("myminfin-remboursement.eu", "contains_name"),
            ("secure.finances-belgium.net", "contains_name"),
        ] {
            let got = i.look_alike(d).unwrap_or_else(|| panic!("{d} not flagged"));
            assert_eq!(got.how, how, "{d}");
        }
        for d in [
            "myminfin.be",
            "www.myminfin.be",
            "eservices.minfin.fgov.be",
            "finances.belgium.be",
            "lesoir.be",
            "sub.finances.belgium.be",
        ] {
            assert_eq!(i.look_alike(d), None, "{d}");
        }
    }

    #[test]
    fn a_phishing_text_gives_its_domain_and_payment_request() {
        let (found, pays) = imp().check("Remboursement de 312 € en attente : confirmez vos coordonnées bancaires sur https://myminfin-be.com/remb");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].domain, "myminfin-be.com");
        assert!(pays);
        let (found, _) = imp().check("Je suis allé sur myminfin.be pour ma déclaration, ça marche");
        assert!(found.is_empty());
    }
}
