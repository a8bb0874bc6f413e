//! `vigie replay` on synthetic data made here: four quiet weeks with a daily and weekly
//! rhythm and Poisson noise, then a surge on one topic; and the per-mention detectors
//! (known false claims, look-alike domains) and stories.

mod common;

use std::io::Write;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Brussels;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const TOPICS: &str = r#"
[[topics]]
id = "refunds"
keywords = ["remboursement", "terugbetaling"]

[[topics]]
id = "tax_return"
keywords = ["déclaration", "aangifte"]

[[topics]]
id = "outage"
keywords = ["panne", "storing", "inaccessible"]
"#;

fn poisson(rng: &mut impl Rng, lambda: f64) -> u32 {
    // Knuth: fine for the small rates of a 5-minute bucket.
    let l = (-lambda).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Mentions per hour on a quiet day: busy office hours, quieter evenings, calm nights and
/// weekends.
fn hourly_rate(t: DateTime<Utc>) -> f64 {
    use chrono::{Datelike, Timelike};
    let local = t.with_timezone(&Brussels);
    let weekend = local.weekday().number_from_monday() >= 6;
    let h = local.hour();
    let day = match h {
        8..=17 => 8.0,
        18..=22 => 4.0,
        _ => 0.6,
    };
    if weekend {
        day * 0.35
    } else {
        day
    }
}

const BACKGROUND: &[&str] = &[
    "Question sur mon remboursement d'impôt {n}, quelqu'un sait quand il arrive ? SPF Finances",
    "J'ai rentré ma déclaration {n} sur MyMinfin hier, merci SPF Finances, c'était simple",
    "Wanneer komt mijn terugbetaling {n} van de FOD Financiën?",
    "Aangifte {n} ingediend via MyMinfin, vlot gegaan bij de FOD Financiën",
    "J'attends toujours mon remboursement {n} du SPF Finances, c'est long et pénible",
    "Le SPF Finances publie le guide {n} de la déclaration fiscale",
    "De FOD Financiën legt de nieuwe regels {n} uit",
];

fn write_jsonl(path: &std::path::Path, rows: &[Value]) {
    let mut f = std::fs::File::create(path).unwrap();
    for r in rows {
        writeln!(f, "{r}").unwrap();
    }
}

fn replay(env: &common::Env, input: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "replay",
        "--config",
        env.config.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = env.vigie(&args);
    common::json_lines(&out)
}

#[test]
fn a_surge_is_signalled_within_30_minutes_and_four_quiet_weeks_stay_quiet() {
    let env = common::Env::new(
        &[common::src("a", "https://example.org/rss")],
        &format!("{TOPICS}\n[digest]\ntimezone = \"Europe/Brussels\"\n"),
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    let start = Brussels
        .with_ymd_and_hms(2026, 10, 5, 0, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let surge = Brussels
        .with_ymd_and_hms(2026, 11, 2, 10, 7, 0)
        .unwrap()
        .with_timezone(&Utc);
    let mut rows = Vec::new();
    let mut n = 0;
    let mut t = start;
    // Background until two hours after the surge starts.
    while t < surge + Duration::hours(2) {
        let k = poisson(&mut rng, hourly_rate(t) / 12.0);
        for _ in 0..k {
            n += 1;
            let at = t + Duration::seconds(rng.gen_range(0..300));
            let text =
                BACKGROUND[rng.gen_range(0..BACKGROUND.len())].replace("{n}", &n.to_string());
            rows.push(
                json!({"id": format!("bg-{n}"), "text": text, "published_at": at.to_rfc3339()}),
            );
        }
        t += Duration::minutes(5);
    }
    let quiet = rows.len();
    // The surge: the online service down, 40 posts an hour, in French and Dutch.
    for i in 0..80 {
        let at = surge + Duration::seconds(i * 90 + rng.gen_range(0..60));
        let text = if i % 2 == 0 {
            format!("MyMinfin est encore en panne, impossible d'envoyer ma déclaration ! ({i})")
        } else {
            format!("Storing bij MyMinfin, al een uur onbereikbaar, ik kan mijn aangifte niet doen ({i})")
        };
        rows.push(json!({"id": format!("surge-{i}"), "text": text, "published_at": at.to_rfc3339(), "source": "mastodon"}));
    }
    assert!(quiet > 2000, "{quiet} background mentions");
    let input = env.path().join("four-weeks.jsonl");
    write_jsonl(&input, &rows);
    let signals = replay(&env, &input, &[]);

    let at = |s: &Value| s["at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    let before: Vec<&Value> = signals.iter().filter(|s| at(s) < surge).collect();
    let warnings = before.iter().filter(|s| s["severity"] == "warning").count();
    let criticals = before
        .iter()
        .filter(|s| s["severity"] == "critical")
        .count();
    let summary: Vec<String> = before
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {}",
                s["at"], s["kind"], s["severity"], s["reason"]
            )
        })
        .collect();
    assert!(
        warnings <= 1,
        "quiet weeks raised {warnings} warnings: {summary:#?}"
    );
    assert_eq!(criticals, 0, "{before:#?}");

    let spike = signals
        .iter()
        .find(|s| s["kind"] == "volume_spike" && s["topic"] == "outage")
        .unwrap_or_else(|| panic!("no outage spike in {signals:#?}"));
    let delay = at(spike) - surge;
    eprintln!(
        "{} mentions; outage spike raised {} min after the surge began ({}); quiet weeks: {summary:?}",
        rows.len(),
        delay.num_minutes(),
        spike["reason"]
    );
    assert!(
        delay <= Duration::minutes(30),
        "signalled after {} min",
        delay.num_minutes()
    );
    assert!(spike["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.as_str().unwrap().starts_with("surge-")));
    // One signal per topic per episode: the outage spike is not repeated every 5 minutes.
    let outage_spikes = signals
        .iter()
        .filter(|s| s["kind"] == "volume_spike" && s["topic"] == "outage")
        .count();
    assert!(outage_spikes <= 3, "{outage_spikes} outage spike signals");
}

#[test]
fn known_claims_look_alike_domains_and_stories() {
    let env = common::Env::new(
        &[common::src("a", "https://example.org/rss")],
        &format!(
            "{TOPICS}\n[signals]\nknowledge = \"knowledge.toml\"\nofficial_domains = [\"finances.belgium.be\", \"myminfin.be\"]\n"
        ),
    );
    std::fs::write(
        env.path().join("knowledge.toml"),
        r#"
[[claims]]
id = "savings-tax"
match = ["(taxer OR taxe OR belasten OR belasting) AND (\"compte épargne\" OR \"comptes d'épargne\" OR spaarrekening OR spaarrekeningen)"]
examples = ["l'administration va taxer tous les comptes d'épargne", "de fiscus gaat alle spaarrekeningen belasten"]
url = "https://finances.belgium.be/fr/epargne"
[claims.answer]
fr = "Faux : il n'y a pas de nouvelle taxe sur les comptes d'épargne."
nl = "Onjuist: er komt geen nieuwe belasting op spaarrekeningen."
en = "False: there is no new tax on savings accounts."
"#,
    )
    .unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let row = |id: &str, text: &str, min: i64| json!({"id": id, "text": text, "published_at": (t0 + Duration::minutes(min)).to_rfc3339()});
    let original = "Attention : faux SMS au nom du SPF Finances qui promet un remboursement de 312 euros, ne cliquez surtout pas sur le lien reçu ce matin";
    let rows = vec![
        row("claim-nl", "Klopt het dat de fiscus volgend jaar alle spaarrekeningen gaat belasten? FOD Financiën", 0),
        row("phish", "SPF Finances : votre remboursement de 312 € est en attente, confirmez vos coordonnées bancaires sur https://myminfin-be.com/remboursement", 5),
        row("official", "Faites votre déclaration sur https://myminfin.be avant le 15 juillet (SPF Finances)", 10),
        row("story-1", original, 20),
        row("story-2", &format!("RT @citoyen: {original}"), 25),
        row("story-3", "Attention: faux SMS au nom du SPF Finances qui promet un remboursement de 312 €, ne cliquez surtout pas sur le lien reçu ce matin !!", 30),
        row("other", "Le SPF Finances prolonge le délai de la déclaration fiscale pour les indépendants jusqu'au 15 juillet", 35),
        // A French and a Dutch post sharing one article (the lexicon path's way of
        // joining languages: the shared link, canonicalised).
        json!({"id": "link-fr", "text": "Le SPF Finances réforme les frais professionnels : notre analyse", "url": "https://www.lesoir.be/article/551?utm_source=twitter", "published_at": (t0 + Duration::minutes(40)).to_rfc3339()}),
        json!({"id": "link-nl", "text": "FOD Financiën hervormt de beroepskosten, lees de analyse", "url": "https://lesoir.be/article/551", "published_at": (t0 + Duration::minutes(45)).to_rfc3339()}),
    ];
    let input = env.path().join("claims.jsonl");
    write_jsonl(&input, &rows);
    let db = env.path().join("replayed.db");
    let store = format!("sqlite://{}", db.display());
    let signals = replay(&env, &input, &["--store", &store]);

    let claim = signals
        .iter()
        .find(|s| s["kind"] == "known_claim")
        .unwrap_or_else(|| panic!("no known claim in {signals:#?}"));
    assert_eq!(claim["evidence"], json!(["claim-nl"]));
    assert!(
        claim["reason"]
            .as_str()
            .unwrap()
            .contains("Onjuist: er komt geen nieuwe belasting op spaarrekeningen."),
        "the answer in the mention's language: {claim}"
    );
    let scam = signals
        .iter()
        .find(|s| s["kind"] == "scam" || s["kind"] == "impersonation")
        .unwrap_or_else(|| panic!("no impersonation in {signals:#?}"));
    assert_eq!(scam["evidence"], json!(["phish"]));
    assert!(
        scam["reason"].as_str().unwrap().contains("myminfin-be.com"),
        "{scam}"
    );
    assert!(
        !signals.iter().any(|s| s["evidence"]
            .as_array()
            .unwrap()
            .contains(&json!("official"))),
        "the official domain was flagged: {signals:#?}"
    );

    // Stories, from the store the replay left.
    let cfg = std::fs::read_to_string(&env.config)
        .unwrap()
        .replace("sqlite://vigie.db", &store);
    std::fs::write(&env.config, cfg).unwrap();
    let stories = common::json_lines(&env.vigie(&[
        "stories",
        "--config",
        env.config.to_str().unwrap(),
        "--json",
    ]));
    let biggest = &stories[0];
    assert_eq!(biggest["mention_count"], 3, "{stories:#?}");
    assert_eq!(stories.len(), rows.len() - 3, "{stories:#?}");
    let mentions = env.mentions();
    let story_of = |rid: &str| {
        let title_start: String = rows.iter().find(|r| r["id"] == rid).unwrap()["text"]
            .as_str()
            .unwrap()
            .chars()
            .take(40)
            .collect();
        mentions
            .iter()
            .find(|m| m["title"].as_str().unwrap().starts_with(&title_start))
            .unwrap()["story"]
            .clone()
    };
    assert_eq!(story_of("story-1"), story_of("story-2"));
    assert_eq!(story_of("story-1"), story_of("story-3"));
    assert_ne!(story_of("story-1"), story_of("other"));
    assert_eq!(story_of("link-fr"), story_of("link-nl"));
    assert_ne!(story_of("link-fr"), story_of("other"));
}
