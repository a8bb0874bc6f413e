//! `vigie bench questions`: grouping a week of generated questions on the lexicon path
//! (terms, grouping and the description of every group), and the number of groups.

use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::detect::questions::{recurring, Vocabulary, Window};
use crate::store::questions::QuestionRow;

/// What grouping a week of questions took.
#[derive(Debug, Serialize)]
pub struct QuestionsReport {
    /// Questions grouped.
    pub questions: usize,
    /// Groups found.
    pub groups: usize,
    /// Seconds per grouping (median of the rounds), one thread.
    pub seconds: f64,
    /// Rounds measured.
    pub rounds: usize,
}

/// Wordings the generated questions are made from (with random extra words).
const WORDINGS: &[(&str, &str)] = &[
    ("fr", "Quand vais-je recevoir mon remboursement ?"),
    ("fr", "Comment changer mon adresse ?"),
    ("fr", "J'ai oublié mon mot de passe, comment faire ?"),
    ("fr", "Quelle est la date limite pour la déclaration ?"),
    ("fr", "Ce SMS de remboursement, c'est une arnaque ?"),
    ("fr", "Où trouver ma fiche 281.10 ?"),
    ("nl", "Wanneer krijg ik mijn terugbetaling?"),
    ("nl", "Hoe wijzig ik mijn adres?"),
    ("nl", "Kan ik een afbetalingsplan aanvragen?"),
    ("nl", "Waarom neemt niemand de telefoon op?"),
    ("nl", "Wanneer krijg ik mijn aanslagbiljet?"),
    ("en", "When will I get my tax refund?"),
    ("en", "How do I reset my password?"),
    ("en", "Why can't I log in with itsme?"),
    ("en", "Can I pay in instalments?"),
    ("de", "Wann kommt meine Steuererstattung?"),
    ("de", "Wie ändere ich meine Adresse?"),
];

/// Words added at random, so that no two questions read alike.
const EXTRA: &[&str] = &[
    "encore",
    "vraiment",
    "urgent",
    "depuis",
    "lundi",
    "juin",
    "dossier",
    "famille",
    "nog",
    "steeds",
    "dringend",
    "brief",
    "today",
    "again",
    "letter",
    "urgent",
    "heute",
    "bitte",
    "bruxelles",
    "gent",
    "liège",
    "antwerpen",
    "pension",
    "salaire",
    "loon",
    "salary",
];

/// Groups `n` questions spread over a week, `rounds` times.
pub fn questions(n: usize, rounds: usize) -> QuestionsReport {
    let mut rng = rand::rngs::StdRng::seed_from_u64(18);
    let until = Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap();
    let mut rows: Vec<QuestionRow> = (0..n)
        .map(|i| {
            let (lang, w) = WORDINGS[rng.gen_range(0..WORDINGS.len())];
            let extra: Vec<&str> = (0..rng.gen_range(0..4))
                .map(|_| EXTRA[rng.gen_range(0..EXTRA.len())])
                .collect();
            QuestionRow {
                id: i as i64,
                source: ["mastodon", "bluesky", "reddit"][i % 3].into(),
                title: String::new(),
                text: format!("{w} {} #MyTax", extra.join(" ")),
                lang: lang.into(),
                at: until - Duration::seconds(rng.gen_range(1..7 * 86_400)),
                answered_at: None,
            }
        })
        .collect();
    rows.sort_by_key(|r| r.at);
    let vocabulary = Vocabulary::bundled();
    let window = Window::new(None, until);
    let mut times = Vec::new();
    let mut groups = 0;
    for _ in 0..rounds.max(1) {
        let t = std::time::Instant::now();
        groups = std::hint::black_box(recurring(&rows, None, &vocabulary, &window)).len();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.total_cmp(b));
    QuestionsReport {
        questions: n,
        groups,
        seconds: times[times.len() / 2],
        rounds: times.len(),
    }
}
