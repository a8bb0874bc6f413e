//! The request itself: a message that gives a name, an address and an e-mail but asks for
//! nothing (thanks, a change of address for information, a news item) is no formal
//! request. A request is a request, complaint, appeal or objection verb or phrase in fr,
//! nl, en or de ("je demande", "gelieve", "please send", "ich beantrage", "Objet :
//! réclamation"), or a question about the writer's own affairs ("Où en est mon dossier ?").

use regex::Regex;

/// Verbs and phrases that ask for something. Case-insensitive, on word boundaries.
const PHRASES: &[&str] = &[
    // fr
    r"je (?:vous )?(?:demande|sollicite|réclame|conteste|souhaite(?:rais)?|voudrais|désire(?:rais)?|aimerais|prie|saurais gré|serais reconnaissante?|dépose|introduis|forme|fais (?:appel|opposition))",
    r"j['’](?:aimerais|introduis|ai l['’]honneur de (?:solliciter|demander|vous demander))",
    r"veuillez (?:m['’]|me |nous |bien vouloir|trouver|corriger|revoir|envoyer|transmettre|confirmer)",
    r"merci (?:d['’]avance|par avance|de (?:bien vouloir|me |m['’]|nous |corriger|vérifier|répondre|confirmer|traiter|revoir|transmettre|renvoyer|accuser|m['’]indiquer))",
    r"pourriez[- ]vous|pouvez[- ]vous|pourrais[- ]je|puis[- ]je",
    r"(?:forme|former|introduis|introduire|dépose|déposer|adresse|adresser|envoie|transmets|fais)\s+(?:un |une |ma |mon |la |le )?(?:recours|réclamation|plainte|requête|contestation|opposition)",
    r"recours (?:contre|administratif|gracieux)",
    r"(?:répondez|écrivez|envoyez|renvoyez|indiquez|dites|faites)[- ]moi",
    r"objet\s*:\s*(?:demande|réclamation|recours|contestation)",
    r"demande officielle",
    r"(?:sollicite|demande|réclame|conteste)\s+(?:l['’]|la |le |les |un |une |que |qu['’])",
    // nl
    r"ik (?:verzoek|vraag|wil|wens|zou graag|had graag|dien|teken|maak)",
    r"(?:verzoek|vraag|wil|wens|dien|teken|maak|zou) ik",
    r"(?:hierbij )?verzoek (?:ik|om)|verzoek u",
    r"graag|gelieve|a\.?u\.?b\.?|alstublieft|alsjeblieft",
    r"kunt u|kan u|kunnen jullie|kan je|kun je|zou u|wilt u|zouden jullie|mag ik",
    r"(?:dien|teken|maak)\w*\s+(?:ik\s+)?(?:hierbij\s+)?bezwaar",
    r"bezwaar\s+(?:in|aan)\b|officieel verzoek",
    r"betreft\s*:\s*(?:verzoek|aanvraag|bezwaar)",
    r"(?:vraagt|verzoekt)\s+(?:de|het|een|om|u)",
    // en
    r"i (?:request|ask|would like|['’]d like|wish to|want to|hereby (?:request|object|appeal)|appeal|object to|dispute|kindly ask|am writing to (?:ask|request|appeal|object|complain))",
    r"please|kindly|could you|can you|would you|will you",
    r"(?:file|lodge|submit|make|raise) an? (?:formal )?(?:complaint|objection|appeal|request)",
    r"formal request|re\s*:\s*request",
    r"(?:and|to|hereby|we) (?:request|ask for|apply for|object to|appeal against)|writing to (?:ask|request|appeal|object|complain)",
    r"(?:requests|asks for|applies for)\s+(?:a|an|the|his|her|their)",
    // de
    r"ich (?:beantrage|bitte|möchte|ersuche|fordere|brauche|lege)",
    r"bitte|könnten sie|können sie|würden sie|möchte ich|hiermit lege",
    r"(?:beantrage|bitte|ersuche|fordere|lege|brauche) ich|bittet um|beantragt|ersucht um",
    r"(?:einspruch|widerspruch|beschwerde)\s+(?:ein|gegen)",
    r"betreff\s*:\s*(?:antrag|einspruch|widerspruch|beschwerde)",
];

/// Words that make a question about the writer's own affairs, or addressed to the reader.
const QUESTION_WORDS: &str = r"(?i)\b(?:vous|votre|vos|mon|ma|mes|je|j['’]|u|uw|jullie|mijn|ik|you|your|my|i|sie|ihr|ihnen|mein|meine|ich)\b";

/// A request found: where, and "phrase" or "question".
#[derive(Debug, Clone, Copy)]
pub(super) struct Found {
    pub start: usize,
    pub end: usize,
    pub how: &'static str,
}

pub(super) struct Requests {
    phrases: Regex,
    question: Regex,
    question_words: Regex,
}

impl Requests {
    pub(super) fn new() -> Requests {
        let alternatives = PHRASES.join("|");
        Requests {
            phrases: Regex::new(&format!(r"(?i)\b(?:{alternatives})\b")).expect("static pattern"),
            question: Regex::new(r"[^.!?\n]{8,}\?").expect("static pattern"),
            question_words: Regex::new(QUESTION_WORDS).expect("static pattern"),
        }
    }

    /// The first request phrase, else the first question about the writer's affairs.
    pub(super) fn find(&self, text: &str) -> Option<Found> {
        if let Some(m) = self.phrases.find(text) {
            return Some(Found {
                start: m.start(),
                end: m.end(),
                how: "phrase",
            });
        }
        self.question
            .find_iter(text)
            .find(|m| self.question_words.is_match(m.as_str()))
            .map(|m| {
                let lead = m.as_str().len() - m.as_str().trim_start().len();
                Found {
                    start: m.start() + lead,
                    end: m.end(),
                    how: "question",
                }
            })
    }
}
