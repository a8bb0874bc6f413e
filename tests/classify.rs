//! `vigie classify` and `vigie eval` through the binary, with the lexicon backend.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{json_lines, src, Env};

const TOPICS: &str = r#"
[[topics]]
id = "outage"
labels = { fr = "Panne", nl = "Storing", en = "Outage" }
description = "the online services being down"
keywords = ["panne OR storing OR \"ligt plat\" OR down"]

[[topics]]
id = "refunds"
labels = { fr = "Remboursements", nl = "Terugbetalingen", en = "Refunds" }
keywords = ["remboursement* OR terugbetaling* OR refund*"]
"#;

#[test]
fn classify_reads_json_lines_and_answers_in_order_even_past_bad_lines() {
    let env = Env::new(&[src("a", "https://example.org/rss")], TOPICS);
    let mut child = common::vigie_cmd()
        .args(["classify", "--config", env.config.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = concat!(
        "{\"id\": \"1\", \"text\": \"MyTax est encore en panne, c'est inadmissible et honteux\"}\n",
        "not json at all\n",
        "{\"id\": \"3\", \"text\": \"Snelle terugbetaling, heel goed geregeld, bedankt!\"}\n",
        "{\"id\": 4, \"txt\": \"missing text\"}\n",
        "{\"id\": \"5\", \"text\": \"ok\", \"lang\": \"nl\"}\n",
        "{\"id\": \"6\", \"text\": \"Great job by the people at the tax office, they gave me a quick and helpful answer about my refund :)\"}\n",
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["id"], "1");
    assert_eq!(lines[0]["lang"], "fr");
    assert_eq!(lines[0]["sentiment"]["label"], "negative");
    assert!(lines[0]["sentiment"]["score"].as_f64().unwrap() > 0.5);
    assert_eq!(lines[0]["topics"][0]["id"], "outage");
    assert_eq!(lines[0]["topics"][0]["score"], 1.0);
    assert!(lines[0]["lang_confidence"].as_f64().unwrap() > 0.5);
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .contains("invalid input line"));
    assert_eq!(lines[2]["id"], "3");
    assert_eq!(lines[2]["lang"], "nl");
    assert_eq!(lines[2]["sentiment"]["label"], "positive");
    assert_eq!(lines[2]["topics"][0]["id"], "refunds");
    assert_eq!(lines[3]["id"], "4");
    assert!(lines[3]["error"].is_string());
    assert_eq!(lines[4]["lang"], "nl", "the hint decides a two-letter text");
    assert_eq!(lines[4]["sentiment"]["label"], "neutral");
    assert_eq!(lines[5]["sentiment"]["label"], "positive");
    assert_eq!(lines[5]["lang"], "en");
}

#[test]
fn eval_prints_accuracy_macro_f1_and_confusion_per_language() {
    let env = Env::new(&[src("a", "https://example.org/rss")], TOPICS);
    let gold = env.path().join("gold.jsonl");
    std::fs::write(
        &gold,
        concat!(
            "{\"id\": \"a\", \"lang\": \"fr\", \"sentiment\": \"negative\", \"topics\": [\"outage\"], \"text\": \"MyTax est en panne, c'est honteux et inadmissible\"}\n",
            "{\"id\": \"b\", \"lang\": \"fr\", \"sentiment\": \"positive\", \"topics\": [], \"text\": \"Merci pour la réponse rapide, service excellent\"}\n",
            "{\"id\": \"c\", \"lang\": \"en\", \"sentiment\": \"negative\", \"topics\": [\"refunds\"], \"text\": \"My refund is late again, terrible and frustrating service\"}\n",
            "{\"id\": \"d\", \"lang\": \"en\", \"sentiment\": \"positive\", \"topics\": [], \"text\": \"The people at the office were excellent and helpful, it was a great service, thank you very much\"}\n",
        ),
    )
    .unwrap();
    let out = env.vigie(&[
        "eval",
        "--config",
        env.config.to_str().unwrap(),
        "--data",
        gold.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["overall"]["n"], 4);
    assert_eq!(r["overall"]["accuracy"], 1.0);
    assert_eq!(r["overall"]["macro_f1"], 1.0);
    assert_eq!(
        r["per_language"]["fr"]["confusion"],
        serde_json::json!([[1, 0, 0], [0, 0, 0], [0, 0, 1]])
    );
    assert_eq!(r["language"], serde_json::json!([4, 1.0]));
    assert_eq!(r["topics"], serde_json::json!([4, 1.0]));
    let text = env.vigie(&[
        "eval",
        "--config",
        env.config.to_str().unwrap(),
        "--data",
        gold.to_str().unwrap(),
    ]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(
        t.contains("sentiment [fr]: n=2 accuracy=1.000 macro-F1=1.000"),
        "{t}"
    );
    assert!(t.contains("gold \\ predicted"), "{t}");
    let bad = env.vigie(&[
        "eval",
        "--config",
        env.config.to_str().unwrap(),
        "--data",
        "/nonexistent.jsonl",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read /nonexistent.jsonl"));
}

#[test]
fn lexicon_opinions_show_the_score_and_weights_from_a_folder_change_it() {
    let weights = tempfile::tempdir().unwrap();
    // A calibration folder that turns "excellent" negative in English.
    std::fs::write(weights.path().join("en.tsv"), "excellent\t-0.8\n").unwrap();
    let extra = format!(
        "{TOPICS}\n[classifier]\nlexicon_weights = {:?}\n",
        weights.path().to_str().unwrap()
    );
    let custom = Env::new(&[src("a", "https://example.org/rss")], &extra);
    let default = Env::new(&[src("a", "https://example.org/rss")], TOPICS);
    let gold = default.path().join("gold.jsonl");
    std::fs::write(
        &gold,
        concat!(
            "{\"id\": \"x\", \"lang\": \"en\", \"sentiment\": \"positive\", \"text\": \"Not bad at all, an excellent answer!\"}\n",
            "{\"id\": \"y\", \"lang\": \"fr\", \"sentiment\": \"negative\", \"text\": \"Service vraiment mauvais\"}\n",
        ),
    )
    .unwrap();
    let run = |env: &Env| {
        json_lines(&env.vigie(&[
            "lexicon",
            "opinions",
            "--config",
            env.config.to_str().unwrap(),
            "--data",
            gold.to_str().unwrap(),
        ]))
    };
    let lines = run(&default);
    assert_eq!(lines.len(), 2);
    let x = &lines[0];
    assert_eq!(
        (x["id"].as_str(), x["lang"].as_str()),
        (Some("x"), Some("en"))
    );
    assert_eq!(x["sentiment"], "positive");
    assert_eq!(x["bangs"], 1);
    let ops = x["opinions"].as_array().unwrap();
    assert_eq!(ops[0]["entry"], "bad");
    assert!(ops[0]["factor"].as_f64().unwrap() < 0.0, "negated: {x}");
    // The score is the mean of polarity x factor, nudged by the "!".
    let mean = ops
        .iter()
        .map(|o| o["polarity"].as_f64().unwrap() * o["factor"].as_f64().unwrap())
        .sum::<f64>()
        / ops.len() as f64;
    let compound = x["compound"].as_f64().unwrap();
    assert!(
        (compound - (mean + 0.05 * mean.signum())).abs() < 1e-4,
        "{x}"
    );
    assert!(compound > 0.1, "{x}");
    assert!(lines[1]["compound"].as_f64().unwrap() < 0.0);

    // With the folder's weights, "excellent" is negative and so is the text.
    let lines = run(&custom);
    let ops = lines[0]["opinions"].as_array().unwrap();
    let excellent = ops.iter().find(|o| o["entry"] == "excellent").unwrap();
    assert!((excellent["polarity"].as_f64().unwrap() + 0.8).abs() < 1e-6);
    assert!(lines[0]["compound"].as_f64().unwrap() < 0.1);
    // French keeps its (published) lexicon.
    assert!(lines[1]["compound"].as_f64().unwrap() < 0.0);
    let eval = |env: &Env| {
        let out = env.vigie(&[
            "eval",
            "--config",
            env.config.to_str().unwrap(),
            "--data",
            gold.to_str().unwrap(),
            "--json",
        ]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(eval(&default)["overall"]["accuracy"], 1.0);
    assert_eq!(eval(&custom)["overall"]["accuracy"], 0.5);
}

#[test]
fn lexicon_weights_must_name_a_folder() {
    let extra = format!("{TOPICS}\n[classifier]\nlexicon_weights = \"no-such-folder\"\n");
    let env = Env::new(&[src("a", "https://example.org/rss")], &extra);
    let out = env.vigie(&["check-config", env.config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("classifier.lexicon_weights"), "{err}");
    assert!(err.contains("no-such-folder"), "{err}");
}

/// #16: the commands that never fetch need only `[institution]` and `[classifier]`; the
/// daemon still asks for sources, and says so with the key.
#[test]
fn classify_and_eval_work_with_a_minimal_config_and_the_daemon_still_needs_sources() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("minimal.toml");
    std::fs::write(
        &config,
        "[institution]\nname = \"SPF Impôts\"\nkeywords = [\"MyTax\"]\n\n[classifier]\nbackend = \"lexicon\"\n",
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let mut child = common::vigie_cmd()
        .args(["classify", "--config", cfg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"{\"id\": \"1\", \"text\": \"MyTax est encore en panne, c'est inadmissible et honteux\"}\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["sentiment"]["label"], "negative", "{lines:?}");
    let gold = dir.path().join("gold.jsonl");
    std::fs::write(
        &gold,
        "{\"text\": \"Merci beaucoup, service rapide et efficace\", \"lang\": \"fr\", \"sentiment\": \"positive\"}\n",
    )
    .unwrap();
    let out = common::vigie_cmd()
        .args([
            "eval",
            "--config",
            cfg,
            "--data",
            gold.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::vigie_cmd()
        .args(["check-config", cfg])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sources") && err.contains("no source configured"),
        "{err}"
    );
}
