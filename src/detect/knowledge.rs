//! The knowledge base: known false claims and rumours, and the approved answers to
//! recurring questions, each with its answer in fr/nl/en and the reference page. Mentions
//! that match a claim (its keyword queries, or closely enough one of its example wordings)
//! are flagged with the claim and the approved answer in the mention's language.
//!
//! `config/knowledge.toml`, or a folder of such TOML files:
//!
//! ```toml
//! [[claims]]
//! id = "savings-tax"
//! kind = "false_claim"          # or "faq"
//! match = ["(taxe OR impôt OR belasting OR tax) AND (épargne OR spaarrekening OR savings)"]
//! examples = ["l'administration va taxer votre compte épargne", "..."]
//! url = "https://finances.belgium.be/fr/..."
//! [claims.answer]
//! fr = "Faux : ..."
//! nl = "Onjuist: ..."
//! en = "False: ..."
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::core::matching::Matcher;
use crate::core::text::fold;

/// One entry of the knowledge base.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Stable id.
    pub id: String,
    /// "false_claim" (default) or "faq".
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Keyword queries (same syntax as `[institution] keywords`); any one matching flags.
    #[serde(default, rename = "match")]
    pub queries: Vec<String>,
    /// Typical wordings in any language; a mention close enough to one is flagged.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Approved answer per language code.
    #[serde(default)]
    pub answer: BTreeMap<String, String>,
    /// Reference page on the institution's website.
    #[serde(default)]
    pub url: Option<String>,
}

fn default_kind() -> String {
    "false_claim".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    claims: Vec<Claim>,
}

/// A match: the claim and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index into the base's claims.
    pub claim: usize,
    /// 1.0 for a keyword query, else the similarity with the closest example.
    pub score: f32,
}

/// The loaded knowledge base.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    /// The entries.
    pub claims: Vec<Claim>,
    matchers: Vec<Option<Matcher>>,
    examples: Vec<Vec<HashSet<String>>>,
    /// Minimum similarity with an example (share of the example's content words, with
    /// their stems, found in the mention).
    pub threshold: f32,
}

/// Content words of a text, folded and cut to a 5-letter stem so that inflections and
/// close paraphrases ("taxer", "taxera", "taxation") meet.
fn stems(text: &str) -> HashSet<String> {
    const STOP: &[&str] = &[
        "le", "la", "les", "de", "des", "du", "un", "une", "et", "est", "va", "vont", "votre",
        "vos", "sur", "pour", "que", "qui", "dans", "the", "a", "an", "of", "to", "is", "are",
        "will", "your", "on", "in", "and", "for", "de", "het", "een", "van", "op", "is", "uw",
        "je", "gaat", "zal", "en", "die", "dat", "der", "die", "das", "und", "ihr", "wird",
    ];
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !STOP.contains(w))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

impl KnowledgeBase {
    /// Reads a TOML file, or every `*.toml` in a folder. Errors name the file and the key.
    pub fn load(path: &Path) -> anyhow::Result<KnowledgeBase> {
        let mut files = Vec::new();
        if path.is_dir() {
            for e in std::fs::read_dir(path)? {
                let p = e?.path();
                if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p);
                }
            }
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        let mut claims = Vec::new();
        for f in files {
            let text =
                std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
            let parsed: File = toml::from_str(&text).with_context(|| format!("{}", f.display()))?;
            claims.extend(parsed.claims);
        }
        KnowledgeBase::new(claims)
    }

    /// The file's entries (if any) and the approved answers kept in the database, as one
    /// base; a stored answer whose id the file already uses is left out (the file wins).
    pub fn with_approved(
        file: Option<&KnowledgeBase>,
        approved: &[crate::store::knowledge::StoredAnswer],
    ) -> anyhow::Result<Option<KnowledgeBase>> {
        if approved.is_empty() {
            return Ok(file.cloned());
        }
        let mut claims: Vec<Claim> = file.map(|f| f.claims.clone()).unwrap_or_default();
        for a in approved {
            if claims.iter().any(|c| c.id == a.id) || a.examples.is_empty() {
                continue;
            }
            claims.push(Claim {
                id: a.id.clone(),
                kind: "faq".into(),
                queries: Vec::new(),
                examples: a.examples.clone(),
                answer: a.answers.clone(),
                url: a.url.clone(),
            });
        }
        KnowledgeBase::new(claims).map(Some)
    }

    /// The entries as a knowledge file (`[[claims]]`), to keep or to share.
    pub fn to_toml(claims: &[Claim]) -> String {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            claims: &'a [Claim],
        }
        toml::to_string(&Out { claims }).unwrap_or_default()
    }

    /// Compiles the queries; an invalid one is an error naming the claim.
    pub fn new(claims: Vec<Claim>) -> anyhow::Result<KnowledgeBase> {
        let mut ids = HashSet::new();
        let mut matchers = Vec::new();
        let mut examples = Vec::new();
        for c in &claims {
            anyhow::ensure!(
                ids.insert(c.id.clone()),
                "claim {:?} is defined twice",
                c.id
            );
            anyhow::ensure!(
                !c.queries.is_empty() || !c.examples.is_empty(),
                "claim {:?} has neither `match` nor `examples`",
                c.id
            );
            matchers.push(if c.queries.is_empty() {
                None
            } else {
                Some(
                    Matcher::new(&c.queries, &[])
                        .map_err(|e| anyhow::anyhow!("claim {:?}: match: {e:?}", c.id))?,
                )
            });
            examples.push(c.examples.iter().map(|e| stems(e)).collect());
        }
        Ok(KnowledgeBase {
            claims,
            matchers,
            examples,
            threshold: 0.6,
        })
    }

    /// The best matching claim of a text, if any.
    pub fn check(&self, text: &str) -> Option<Hit> {
        let words = stems(text);
        let mut best: Option<Hit> = None;
        for (i, c) in self.claims.iter().enumerate() {
            let _ = c;
            let score = if self.matchers[i]
                .as_ref()
                .is_some_and(|m| m.check(text).is_some())
            {
                1.0
            } else {
                self.examples[i]
                    .iter()
                    .filter(|e| e.len() >= 3)
                    .map(|e| e.intersection(&words).count() as f32 / e.len() as f32)
                    .fold(0.0, f32::max)
            };
            if score >= self.threshold && best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Hit { claim: i, score });
            }
        }
        best
    }

    /// The approved answer in `lang`, else English, else any.
    pub fn answer<'a>(&'a self, claim: &'a Claim, lang: &str) -> Option<(&'a str, &'a str)> {
        claim
            .answer
            .get_key_value(lang)
            .or_else(|| claim.answer.get_key_value("en"))
            .or_else(|| claim.answer.iter().next())
            .map(|(l, a)| (l.as_str(), a.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> KnowledgeBase {
        let text = r#"
[[claims]]
id = "savings-tax"
match = ["(taxe OR taxer OR impôt OR belasting OR tax) AND (\"compte épargne\" OR spaarrekening OR \"savings account\")"]
examples = ["l'administration va taxer tous les comptes d'épargne à 30 %", "de fiscus gaat alle spaarrekeningen belasten"]
url = "https://finances.example.be/epargne"
[claims.answer]
fr = "Faux : aucune taxe nouvelle sur l'épargne."
nl = "Onjuist: er komt geen nieuwe belasting op spaargeld."
en = "False: there is no new tax on savings."
"#;
        let f: File = toml::from_str(text).unwrap();
        KnowledgeBase::new(f.claims).unwrap()
    }

    #[test]
    fn a_paraphrase_matches_and_the_answer_is_in_its_language() {
        let kb = base();
        let hit = kb
            .check(
                "Vous saviez que l'administration fiscale va bientôt taxer les comptes d'épargne ?",
            )
            .expect("paraphrase");
        let c = &kb.claims[hit.claim];
        assert_eq!(c.id, "savings-tax");
        assert_eq!(
            kb.answer(c, "fr").unwrap().1,
            "Faux : aucune taxe nouvelle sur l'épargne."
        );
        assert!(kb
            .check("Gaat de fiscus nu echt mijn spaarrekening belasten?")
            .is_some());
        assert_eq!(kb.answer(c, "de").unwrap().0, "en");
        assert!(kb
            .check("Merci au SPF Finances pour la réponse rapide sur ma déclaration")
            .is_none());
    }
}
