//! `vigie bench questions`: grouping a week of generated questions on the lexicon path
//! (terms, grouping and the description of every group), and the number of groups.

use std::path::Path;

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
    /// The same texts grouped by scikit-learn (benches/questions_bench.py), when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python: Option<serde_json::Value>,
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

/// Groups `n` questions spread over a week, `rounds` times; with `python`, also runs
/// `script` (scikit-learn) on the same texts.
pub fn questions(
    n: usize,
    rounds: usize,
    python: Option<&Path>,
    script: &Path,
) -> anyhow::Result<QuestionsReport> {
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
    let python = match python {
        Some(p) => Some(scikit(p, script, &rows, rounds)?),
        None => None,
    };
    Ok(QuestionsReport {
        questions: n,
        groups,
        seconds: times[times.len() / 2],
        rounds: times.len(),
        python,
    })
}

/// Runs the scikit-learn script on the texts of `rows`.
fn scikit(
    python: &Path,
    script: &Path,
    rows: &[QuestionRow],
    rounds: usize,
) -> anyhow::Result<serde_json::Value> {
    use std::io::Write;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("questions.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for r in rows {
        writeln!(f, "{}", serde_json::json!({"text": r.text}))?;
    }
    f.flush()?;
    drop(f);
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&path)
        .arg(rounds.max(1).to_string())
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", python.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}
