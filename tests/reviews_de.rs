//! German reviews (#16, point 3): the project's own labelled set (tests/data/reviews-de.jsonl,
//! no openly licensed one could be found). The German entries of the domain layer were
//! written on the odd lines only; the even lines are scored here through the real binary.

mod common;

use std::path::Path;

use serde_json::Value;

fn reviews() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reviews-de.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_set_is_balanced_german_reviews() {
    let r = reviews();
    assert_eq!(r.len(), 360);
    for s in ["positive", "negative"] {
        assert_eq!(r.iter().filter(|x| x["sentiment"] == s).count(), 180, "{s}");
    }
    assert!(r.iter().all(|x| x["lang"] == "de"));
}

#[test]
fn the_even_lines_kept_out_of_tuning_reach_0_70() {
    let dir = tempfile::tempdir().unwrap();
    let even: String = (reviews().iter().skip(1).step_by(2))
        .map(|x| format!("{x}\n"))
        .collect();
    let data = dir.path().join("even.jsonl");
    std::fs::write(&data, even).unwrap();
    let config = dir.path().join("vigie.toml");
    std::fs::write(
        &config,
        "[institution]\nname = \"t\"\nkeywords = [\"t\"]\nlanguages = [\"fr\", \"nl\", \"en\", \"de\"]\n",
    )
    .unwrap();
    let report = common::vigie_json([
        "eval".as_ref(),
        "--json".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    let f1 = report["per_language"]["de"]["macro_f1"].as_f64().unwrap();
    assert_eq!(report["per_language"]["de"]["n"], 180);
    assert!(f1 >= 0.70, "German reviews, even lines: {f1:.3}");
}
