//! Formal requests (#15) through the real binary: `vigie eval --task formal` on the
//! development set meets the targets in every language (precision ≥ 0.95, recall ≥ 0.90),
//! and the same check fails on a set labelled the other way round; the set has the shape
//! the issue asks for; a formal request in a feed is logged by its elements and offsets,
//! never by the sender's name or e-mail.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use common::{src, vigie_cmd, Env};
use serde_json::Value;

const LANGS: [&str; 4] = ["fr", "nl", "en", "de"];

fn dev_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formal.jsonl")
}

fn eval_json(data: &Path) -> Value {
    common::vigie_json([
        "eval".as_ref(),
        "--task".as_ref(),
        "formal".as_ref(),
        "--json".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
    ])
}

/// The languages where precision < 0.95 or recall < 0.90, with their figures.
fn below_target(report: &Value) -> Vec<String> {
    LANGS
        .iter()
        .filter_map(|lang| {
            let s = &report["per_language"][lang];
            let p = s["precision"].as_f64().unwrap_or(0.0);
            let r = s["recall"].as_f64().unwrap_or(0.0);
            (p < 0.95 || r < 0.90).then(|| format!("{lang}: precision {p:.3}, recall {r:.3}"))
        })
        .collect()
}

#[test]
fn the_development_set_meets_the_targets_in_every_language() {
    let report = eval_json(&dev_set());
    assert_eq!(report["task"], "formal");
    let missing = below_target(&report);
    assert!(
        missing.is_empty(),
        "below target: {missing:?}\nerrors: {}",
        report["errors"]
    );
    for lang in LANGS {
        let s = &report["per_language"][lang];
        let n = s["n"].as_u64().unwrap();
        let sum: u64 = ["tp", "fp", "fn", "tn"]
            .iter()
            .map(|k| s[k].as_u64().unwrap())
            .sum();
        assert_eq!(sum, n, "{lang}: {s}");
    }
    assert!(report["overall"]["n"].as_u64().unwrap() >= 200);
}

#[test]
fn the_check_fails_on_a_set_labelled_the_other_way_round() {
    let dir = tempfile::tempdir().unwrap();
    let flipped = dir.path().join("flipped.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(dev_set())
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v["formal"] = Value::Bool(!v["formal"].as_bool().unwrap());
            v.to_string()
        })
        .collect();
    std::fs::write(&flipped, lines.join("\n")).unwrap();
    let report = eval_json(&flipped);
    assert_eq!(below_target(&report).len(), 4, "{report}");
    // Errors are listed by id and elements, never by text.
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("fr-f01") && !errors.contains("@example"),
        "{errors}"
    );
}

#[test]
fn the_development_set_has_the_shape_the_issue_asks_for() {
    let text = std::fs::read_to_string(dev_set()).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(rows.len() >= 200, "{} messages", rows.len());
    let formal = rows.iter().filter(|r| r["formal"] == true).count();
    let share = formal as f64 / rows.len() as f64;
    assert!(
        (0.45..=0.55).contains(&share),
        "{formal} formal of {}",
        rows.len()
    );
    let mut per_lang: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut ids = HashSet::new();
    for r in &rows {
        assert!(
            ids.insert(r["id"].as_str().unwrap()),
            "duplicate id {}",
            r["id"]
        );
        let e = per_lang.entry(r["lang"].as_str().unwrap()).or_default();
        e.0 += 1;
        e.1 += usize::from(r["formal"] == true);
    }
    assert_eq!(
        per_lang.keys().copied().collect::<Vec<_>>(),
        ["de", "en", "fr", "nl"]
    );
    for (lang, (n, f)) in &per_lang {
        let share = *n as f64 / rows.len() as f64;
        assert!(
            (0.22..=0.28).contains(&share),
            "{lang}: {n} of {}",
            rows.len()
        );
        assert!(
            *f * 3 >= *n && *f * 3 <= *n * 2,
            "{lang}: {f} formal of {n}"
        );
    }
    // Hard negatives in every language: a news item quoting an address, an address
    // given without a request, a request without an address.
    for lang in LANGS {
        for shape in ["news-address", "thanks-full-identity", "request-no-address"] {
            assert!(
                rows.iter().any(|r| r["lang"] == lang
                    && r["formal"] == false
                    && r["shape"].as_str().unwrap().starts_with(shape)),
                "{lang}: no {shape}"
            );
        }
    }
}

#[test]
fn eval_classify_still_needs_a_config_and_says_so() {
    let out = vigie_cmd()
        .env_remove("VIGIE_CONFIG")
        .args(["eval", "--data"])
        .arg(dev_set())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--config"), "{err}");
    // The table: one row per language and overall.
    let out = vigie_cmd()
        .env_remove("VIGIE_CONFIG")
        .args(["eval", "--task", "formal", "--data"])
        .arg(dev_set())
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    for row in ["de ", "en ", "fr ", "nl ", "overall "] {
        assert!(table.lines().any(|l| l.starts_with(row)), "{table}");
    }
    assert!(
        table.contains("precision") && table.contains("recall"),
        "{table}"
    );
}

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Messages</title><link>https://inbox.example.org</link><description>x</description>
<item><title>Demande</title><guid>m1</guid><link>https://inbox.example.org/m1</link>
<description>Madame, Monsieur, je demande au SPF Impôts un délai de paiement.
Cordialement,
Pierre-Yves Van Damme
Rue du Bailli 41
1050 Bruxelles
py.vandamme [at] example [dot] be</description></item>
</channel></rss>"#;

#[test]
fn a_formal_request_is_logged_by_its_elements_never_by_its_data() {
    let env = Env::new(
        &[src("inbox", "file://inbox.xml")],
        "[escalation]\ncountry = \"BE\"\n",
    );
    std::fs::write(env.path().join("inbox.xml"), FEED).unwrap();
    let out = vigie_cmd()
        .env("VIGIE_LOG", "info,vigie::escalate=debug")
        .args(["run", "--once", "--config", env.config.to_str().unwrap()])
        .output()
        .unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{logs}");
    assert!(logs.contains("possible formal request"), "{logs}");
    assert!(logs.contains("name: signature at"), "{logs}");
    for secret in ["vandamme", "Van Damme", "Pierre-Yves", "Bailli"] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
    let list = vigie_cmd()
        .args([
            "escalations",
            "--json",
            "--config",
            env.config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let escalations = common::json_lines(&list);
    assert_eq!(escalations.len(), 1, "{escalations:?}");
    assert_eq!(escalations[0]["formal_request"], true);
    assert_eq!(
        escalations[0]["formal_elements"],
        serde_json::json!(["name", "address", "email", "request"])
    );
}
