//! The bert backend for real, on models made by scripts/test-models.sh (tiny random BERT and
//! XLM-R saved as on the hub, and the real all-MiniLM-L6-v2), compared with what Python
//! transformers computes on the same files.
#![cfg(feature = "bert")]

mod common;

use std::path::PathBuf;

use serde_json::Value;
use vigie::classify::bert::{BertClassifier, Encoder};
use vigie::classify::config::ClassifierConfig;
use vigie::classify::{Classifier, ClassifyError, Input, SentimentLabel, Topic};

fn models() -> PathBuf {
    let dir = std::env::var("VIGIE_TEST_MODELS").expect(
        "VIGIE_TEST_MODELS is not set: run `eval \"$(bash scripts/test-models.sh --env)\"` \
         (scripts/test.sh does it)",
    );
    PathBuf::from(dir)
}

fn reference(name: &str) -> Value {
    let path = models().join(format!("{name}.reference.json"));
    serde_json::from_slice(&std::fs::read(&path).expect("reference file")).expect("JSON")
}

fn texts(r: &Value) -> Vec<String> {
    r["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

fn floats(v: &Value) -> Vec<Vec<f32>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}

fn max_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.len(), y.len());
            x.iter().zip(y).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f32::max)
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

fn one_by_one(f: impl Fn(&[&str]) -> Vec<Vec<f32>>, texts: &[String]) -> Vec<Vec<f32>> {
    texts.iter().map(|t| f(&[t.as_str()]).remove(0)).collect()
}

#[test]
fn sequence_classification_matches_python_batched_and_alone() {
    for name in ["tiny-bert-stars", "tiny-xlmr-sentiment"] {
        let enc = Encoder::load(&models(), name).expect("load");
        let r = reference(name);
        let texts = texts(&r);
        let want = floats(&r["probs"]);
        let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
        let batched = enc.classify(&refs).expect("batched");
        let alone = one_by_one(|t| enc.classify(t).unwrap(), &texts);
        // The inputs differ in length, so the batch is padded: with the attention mask the
        // padded texts get the same answer as alone.
        assert!(
            max_diff(&batched, &alone) < 1e-5,
            "{name}: batched != unbatched ({})",
            max_diff(&batched, &alone)
        );
        assert!(
            max_diff(&alone, &want) < 1e-4,
            "{name}: differs from Python transformers by {}",
            max_diff(&alone, &want)
        );
        // The random weights make the answers depend on the text (the test would not see
        // a wrong tokenizer otherwise).
        assert!(
            max_diff(&want[..1], &want[1..2]) > 0.01,
            "{name}: outputs do not vary"
        );
    }
}

fn classifier_config(models: &[(&str, &str)]) -> ClassifierConfig {
    let mut c = ClassifierConfig {
        backend: "bert".into(),
        ..Default::default()
    };
    for (task, name) in models {
        c.models.insert(task.to_string(), name.to_string());
    }
    c
}

fn inputs(texts: &[String]) -> Vec<Input> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| Input {
            id: i.to_string(),
            text: t.clone(),
            lang: None,
        })
        .collect()
}

#[test]
fn star_labels_map_onto_polarity_by_summed_probability() {
    let r = reference("tiny-bert-stars");
    let texts = texts(&r);
    let want = floats(&r["probs"]);
    let mut c = BertClassifier::load(
        &models(),
        &classifier_config(&[("sentiment", "tiny-bert-stars")]),
        &[],
    )
    .expect("load");
    assert_eq!(c.model_id(), "bert:tiny-bert-stars@00000000");
    let out = c.classify(&inputs(&texts)).expect("classify");
    for (o, p) in out.iter().zip(&want) {
        let sums = [p[0] + p[1], p[2], p[3] + p[4]];
        let best = (0..3).max_by(|&a, &b| sums[a].total_cmp(&sums[b])).unwrap();
        let label = [
            SentimentLabel::Negative,
            SentimentLabel::Neutral,
            SentimentLabel::Positive,
        ][best];
        assert_eq!(o.sentiment.label, label, "{p:?}");
        assert!((o.sentiment.score - sums[best]).abs() < 1e-4);
        assert!(o.topics.is_empty());
    }
}

#[test]
fn zero_shot_topics_score_entailment_against_contradiction() {
    let r = reference("tiny-bert-nli");
    let texts = texts(&r);
    let want = floats(&r["probs"]);
    let topics = vec![Topic {
        id: "online".into(),
        labels: Default::default(),
        description: "online services".into(),
        keywords: vec![],
    }];
    let mut cfg = classifier_config(&[
        ("sentiment", "tiny-bert-stars"),
        ("topics", "tiny-bert-nli"),
    ]);
    cfg.topic_threshold = 0.0;
    let mut c = BertClassifier::load(&models(), &cfg, &topics).expect("load");
    assert_eq!(
        c.model_id(),
        "bert:tiny-bert-stars@00000000+tiny-bert-nli@00000000"
    );
    let out = c.classify(&inputs(&texts)).expect("classify");
    assert_eq!(r["hypothesis"], "This text is about online services.");
    for (o, p) in out.iter().zip(&want) {
        // labels: entailment, neutral, contradiction
        let expected = p[0] / (p[0] + p[2]);
        assert_eq!(o.topics.len(), 1);
        assert_eq!(o.topics[0].id, "online");
        assert!(
            (o.topics[0].score - expected).abs() < 1e-3,
            "{} vs {expected}",
            o.topics[0].score
        );
    }
    // With a threshold, low-scoring topics are dropped.
    cfg.topic_threshold = 0.999;
    let mut c = BertClassifier::load(&models(), &cfg, &topics).expect("load");
    let out = c.classify(&inputs(&texts)).expect("classify");
    let kept = out.iter().filter(|o| !o.topics.is_empty()).count();
    let expected = want
        .iter()
        .filter(|p| p[0] / (p[0] + p[2]) >= 0.999)
        .count();
    assert_eq!(kept, expected);
}

#[test]
fn embeddings_of_a_prefixless_checkpoint_match_python() {
    let enc = Encoder::load(&models(), "tiny-bert-embed").expect("load");
    let r = reference("tiny-bert-embed");
    let texts = texts(&r);
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let batched = enc.embed(&refs).expect("embed");
    let alone = one_by_one(|t| enc.embed(t).unwrap(), &texts);
    assert!(max_diff(&batched, &alone) < 1e-5);
    assert!(max_diff(&alone, &floats(&r["embeddings"])) < 1e-4);
}

#[test]
fn real_all_minilm_l6_v2_embeddings_match_python_transformers() {
    let enc = Encoder::load(&models(), "all-minilm-l6-v2").expect("load");
    let r = reference("all-minilm-l6-v2");
    let texts = texts(&r);
    assert!(texts.len() >= 300, "only {} sentences", texts.len());
    let want = floats(&r["embeddings"]);
    let mut worst = 1.0f32;
    for (chunk, want) in texts.chunks(32).zip(want.chunks(32)) {
        let refs: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        let got = enc.embed(&refs).expect("embed");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.len(), 384);
            worst = worst.min(cosine(g, w));
        }
    }
    assert!(worst >= 0.999, "lowest cosine with Python: {worst}");
}

#[test]
fn a_missing_model_names_the_fetch_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        models().join("tiny-bert-stars.toml"),
        dir.path().join("tiny-bert-stars.toml"),
    )
    .unwrap();
    let err = match Encoder::load(dir.path(), "tiny-bert-stars") {
        Err(e) => e,
        Ok(_) => panic!("loaded a model whose files are absent"),
    };
    assert!(matches!(err, ClassifyError::ModelMissing { .. }));
    assert!(
        err.to_string()
            .contains("vigie models fetch tiny-bert-stars"),
        "{err}"
    );
}

fn bert_config() -> String {
    format!(
        "\n[classifier]\nbackend = \"bert\"\nmodels_dir = \"{}\"\nbatch_size = 4\nmax_wait = \"50ms\"\nmodels = {{ sentiment = \"tiny-bert-stars\", topics = \"tiny-bert-nli\" }}\ntopic_threshold = 0.0\n\n[[topics]]\nid = \"online\"\ndescription = \"online services\"\n",
        models().display()
    )
}

#[test]
fn classify_command_runs_the_bert_backend() {
    let env = common::Env::new(&[common::src("a", "https://example.org/rss")], "");
    let cfg = std::fs::read_to_string(&env.config).unwrap() + &bert_config();
    std::fs::write(&env.config, cfg).unwrap();
    let mut child = common::vigie_cmd()
        .args(["classify", "--config", env.config.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(
            stdin,
            r#"{{"id": "a", "text": "Le site des impôts est encore en panne."}}"#
        )
        .unwrap();
        writeln!(stdin, "not json").unwrap();
        writeln!(
            stdin,
            r#"{{"id": "b", "text": "Thanks for the fast refund, great service.", "lang": "en"}}"#
        )
        .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let lines = common::json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["lang"], "fr");
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["id"], "b");
    for l in [&lines[0], &lines[2]] {
        let label = l["sentiment"]["label"].as_str().unwrap();
        assert!(["negative", "neutral", "positive"].contains(&label));
        assert_eq!(l["topics"][0]["id"], "online");
    }
}

#[test]
fn daemon_with_the_bert_backend_classifies_mentions_as_they_arrive() {
    let server = tokio::runtime::Runtime::new().unwrap();
    let mock = server.block_on(async {
        let mock = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .set_body_raw(common::rss("b", 6), "application/rss+xml"),
            )
            .mount(&mock)
            .await;
        mock
    });
    let env = common::Env::new(&[common::src("news", format!("{}/feed", mock.uri()))], "");
    let cfg = std::fs::read_to_string(&env.config).unwrap() + &bert_config();
    std::fs::write(&env.config, cfg).unwrap();
    env.run_once();
    let mentions = env.mentions();
    assert_eq!(mentions.len(), 6);
    for m in &mentions {
        assert_eq!(
            m["model"],
            "bert:tiny-bert-stars@00000000+tiny-bert-nli@00000000"
        );
        assert!(m["sentiment"]["label"].is_string(), "{m}");
        assert_eq!(m["topics"][0]["id"], "online");
    }
    drop(mock);
}

#[test]
fn daemon_refuses_to_start_when_a_configured_model_is_missing() {
    let env = common::Env::new(&[common::src("a", "https://example.org/rss")], "");
    let cfg = std::fs::read_to_string(&env.config).unwrap()
        + "\n[classifier]\nbackend = \"bert\"\nmodels_dir = \"models\"\nmodels = { sentiment = \"tiny-bert-stars\" }\n";
    std::fs::write(&env.config, cfg).unwrap();
    std::fs::create_dir(env.path().join("models")).unwrap();
    std::fs::copy(
        models().join("tiny-bert-stars.toml"),
        env.path().join("models/tiny-bert-stars.toml"),
    )
    .unwrap();
    let out = env.vigie(&["run", "--config", env.config.to_str().unwrap(), "--once"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("vigie models fetch tiny-bert-stars"), "{err}");
}
