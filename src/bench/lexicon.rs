//! `vigie bench lexicon`: lexicon backend throughput on short posts.

use serde::Serialize;

/// Lexicon backend throughput.
#[derive(Debug, Serialize)]
pub struct LexiconReport {
    /// Texts classified.
    pub texts: usize,
    /// Texts per second, one thread.
    pub texts_per_s: f64,
    /// Average text length in characters.
    pub avg_chars: usize,
}

/// Classifies short social-media-style posts in four languages with the lexicon backend.
pub fn lexicon(n: usize) -> LexiconReport {
    use crate::classify::lexicon::LexiconSentiment;
    let posts = [
        (
            "fr",
            "MyTax est encore en panne le jour de la date limite, c'est inadmissible 😡 @SPFImpots",
        ),
        (
            "fr",
            "Merci au SPF Impôts pour la réponse rapide, mon remboursement est arrivé !",
        ),
        (
            "nl",
            "MyTax ligt weer plat, dit is echt slecht georganiseerd door de FOD Belastingen",
        ),
        ("nl", "Snelle terugbetaling, heel goed geregeld, bedankt 👍"),
        (
            "en",
            "The tax website is down again on deadline day, terrible and frustrating!!",
        ),
        (
            "en",
            "Great job by the Federal Tax Service, quick and helpful answer :)",
        ),
        (
            "de",
            "Die Website vom FÖD Steuern ist schon wieder kaputt, sehr ärgerlich",
        ),
        ("de", "Sehr gute und schnelle Antwort, danke!"),
    ];
    let lex = LexiconSentiment::new();
    let t = std::time::Instant::now();
    let mut checksum = 0.0f32;
    for i in 0..n {
        let (lang, text) = posts[i % posts.len()];
        checksum += lex.compound(text, Some(lang));
    }
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box(checksum);
    LexiconReport {
        texts: n,
        texts_per_s: n as f64 / secs,
        avg_chars: posts.iter().map(|p| p.1.chars().count()).sum::<usize>() / posts.len(),
    }
}
