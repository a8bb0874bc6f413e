//! `vigie models list|fetch` against a local hub: checksums, resumed downloads, errors,
//! file names kept inside the model's folder, pinned revisions, size and time limits.

mod common;

use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A made-up commit of the mock hub's repository.
const PIN: &str = "0123456789abcdef0123456789abcdef01234567";

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn manifest(weights: &[u8], config: &[u8]) -> String {
    format!(
        "task = \"sentiment\"\narchitecture = \"bert\"\nhub_id = \"org/tiny\"\nrevision = \"{PIN}\"\nlicence = \"MIT\"\nlanguages = [\"fr\", \"nl\"]\n\n[[files]]\nname = \"config.json\"\nsha256 = \"{}\"\n\n[[files]]\nname = \"model.safetensors\"\nsha256 = \"{}\"\n",
        sha(config),
        sha(weights)
    )
}

fn models_cmd(dir: &std::path::Path, hub: &str, args: &[&str]) -> std::process::Output {
    common::vigie_cmd()
        .arg("models")
        .args(args)
        .args(["--dir", dir.to_str().unwrap()])
        .env("VIGIE_HUB_URL", hub)
        .output()
        .unwrap()
}

#[tokio::test]
async fn fetch_verifies_checksums_and_resumes_an_interrupted_download() {
    let hub = MockServer::start().await;
    let weights: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let config = br#"{"model_type": "bert"}"#.to_vec();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), manifest(&weights, &config)).unwrap();

    let listed = common::json_lines(&models_cmd(dir.path(), &hub.uri(), &["list", "--json"]));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "tiny");
    assert_eq!(listed[0]["installed"], false);
    assert_eq!(listed[0]["missing"].as_array().unwrap().len(), 2);

    // An earlier download stopped after 40,000 bytes: only the rest is asked for.
    std::fs::create_dir_all(dir.path().join("tiny")).unwrap();
    std::fs::write(
        dir.path().join("tiny/model.safetensors.part"),
        &weights[..40_000],
    )
    .unwrap();
    Mock::given(method("GET"))
        .and(path(format!("/org/tiny/resolve/{PIN}/model.safetensors")))
        .and(header("range", "bytes=40000-"))
        .respond_with(ResponseTemplate::new(206).set_body_bytes(weights[40_000..].to_vec()))
        .expect(1)
        .mount(&hub)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/org/tiny/resolve/{PIN}/config.json")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(config.clone()))
        .expect(1)
        .mount(&hub)
        .await;
    let out = models_cmd(dir.path(), &hub.uri(), &["fetch", "tiny"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(dir.path().join("tiny/model.safetensors")).unwrap(),
        weights
    );
    assert!(!dir.path().join("tiny/model.safetensors.part").exists());
    let listed = common::json_lines(&models_cmd(dir.path(), &hub.uri(), &["list", "--json"]));
    assert_eq!(listed[0]["installed"], true);

    // Fetching again downloads nothing (the mocks above expect one call each).
    let out = models_cmd(dir.path(), &hub.uri(), &["fetch", "tiny"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 file(s)"));
}

#[tokio::test]
async fn a_file_that_does_not_match_its_checksum_is_deleted_and_the_fetch_fails() {
    let hub = MockServer::start().await;
    let config = br#"{"model_type": "bert"}"#.to_vec();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tiny.toml"),
        manifest(b"the real weights", &config),
    )
    .unwrap();
    Mock::given(path(format!("/org/tiny/resolve/{PIN}/config.json")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(config))
        .mount(&hub)
        .await;
    Mock::given(path(format!("/org/tiny/resolve/{PIN}/model.safetensors")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"tampered".to_vec()))
        .mount(&hub)
        .await;
    let out = models_cmd(dir.path(), &hub.uri(), &["fetch", "tiny"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not match"), "{err}");
    assert!(!dir.path().join("tiny/model.safetensors").exists());

    // A gated model or a wrong name: the hub's refusal is named.
    hub.reset().await;
    Mock::given(path(format!("/org/tiny/resolve/{PIN}/model.safetensors")))
        .respond_with(ResponseTemplate::new(401))
        .mount(&hub)
        .await;
    let out = models_cmd(dir.path(), &hub.uri(), &["fetch", "tiny"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused access"));

    let out = models_cmd(dir.path(), &hub.uri(), &["fetch", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("known models: tiny"));
}

#[test]
fn the_shipped_manifests_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let listed = vigie::classify::models::list(&dir).expect("manifests");
    let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
    for want in [
        "all-minilm-l6-v2",
        "multilingual-minilm-nli",
        "nlptown-sentiment",
        "paraphrase-multilingual-minilm",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
}

/// A manifest with one file named `file`, at `revision`, no checksum.
fn one_file(revision: &str, file: &str) -> String {
    format!(
        "task = \"sentiment\"\narchitecture = \"bert\"\nhub_id = \"org/tiny\"\nrevision = \"{revision}\"\n\n[[files]]\nname = {file:?}\n"
    )
}

/// Regression (#14, point 11): a file name was joined to the model's folder as given, so
/// `../../x` or an absolute path was written wherever the manifest said.
#[tokio::test]
async fn a_manifest_whose_files_leave_the_model_folder_is_refused() {
    let hub = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"not a model".to_vec()))
        .mount(&hub)
        .await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("a/models");
    std::fs::create_dir_all(&dir).unwrap();
    let absolute = root.path().join("absolute.txt");
    let cases = [
        ("up", "../../x".to_string(), root.path().join("a/x")),
        (
            "abs",
            absolute.to_str().unwrap().to_string(),
            absolute.clone(),
        ),
        (
            "inner",
            "sub/../../../y".to_string(),
            root.path().join("a/y"),
        ),
    ];
    for (name, file, outside) in &cases {
        std::fs::write(dir.join(format!("{name}.toml")), one_file(PIN, file)).unwrap();
        let out = models_cmd(&dir, &hub.uri(), &["fetch", name]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {err}");
        assert!(
            err.contains(&format!("{name}.toml")) && err.contains("inside the model's folder"),
            "{name}: the error names the manifest and the rule: {err}"
        );
        assert!(
            !outside.exists(),
            "{name}: {} was written",
            outside.display()
        );
        std::fs::remove_file(dir.join(format!("{name}.toml"))).unwrap();
    }
    // Nothing was asked of the hub, and the model name itself is a plain name too.
    assert!(hub.received_requests().await.unwrap().is_empty());
    let out = models_cmd(&dir, &hub.uri(), &["fetch", "../models/x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a model name"));
    // A plain name in a subfolder is fine.
    std::fs::write(dir.join("ok.toml"), one_file(PIN, "onnx/model.onnx")).unwrap();
    let out = models_cmd(&dir, &hub.uri(), &["fetch", "ok"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("ok/onnx/model.onnx").is_file());
}

#[tokio::test]
async fn an_unpinned_revision_is_fetched_only_when_allowed() {
    let hub = MockServer::start().await;
    Mock::given(path("/org/tiny/resolve/main/config.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"{}".to_vec()))
        .mount(&hub)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tiny.toml"),
        one_file("main", "config.json"),
    )
    .unwrap();
    let out = models_cmd(dir.path(), &hub.uri(), &["fetch", "tiny"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a commit") && err.contains("--allow-unpinned"),
        "{err}"
    );
    assert!(hub.received_requests().await.unwrap().is_empty());
    let out = models_cmd(
        dir.path(),
        &hub.uri(),
        &["fetch", "tiny", "--allow-unpinned"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_file_over_the_size_cap_is_stopped_and_deleted() {
    let hub = MockServer::start().await;
    let big = vec![7u8; 50_000];
    Mock::given(path(format!("/org/tiny/resolve/{PIN}/model.safetensors")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(big))
        .mount(&hub)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tiny.toml"),
        one_file(PIN, "model.safetensors"),
    )
    .unwrap();
    let out = models_cmd(
        dir.path(),
        &hub.uri(),
        &["fetch", "tiny", "--max-file-bytes", "10000"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("larger than 10000 bytes"), "{err}");
    assert!(!dir.path().join("tiny/model.safetensors").exists());
    assert!(!dir.path().join("tiny/model.safetensors.part").exists());
    // A manifest's size is a limit too.
    std::fs::write(
        dir.path().join("tiny.toml"),
        one_file(PIN, "model.safetensors") + "size = 20000\n",
    )
    .unwrap();
    let out = models_cmd(dir.path(), &hub.uri(), &["fetch", "tiny"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("larger than 20000 bytes"), "{err}");
}

#[tokio::test]
async fn a_fetch_that_outlasts_its_timeout_gives_up() {
    let hub = MockServer::start().await;
    Mock::given(path(format!("/org/tiny/resolve/{PIN}/config.json")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_bytes(b"{}".to_vec())
                .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&hub)
        .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), one_file(PIN, "config.json")).unwrap();
    let t0 = std::time::Instant::now();
    let out = models_cmd(
        dir.path(),
        &hub.uri(),
        &["fetch", "tiny", "--timeout", "1s"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did not finish within 1s"), "{err}");
    assert!(t0.elapsed() < std::time::Duration::from_secs(20));
}

/// Every shipped manifest names a commit, except those listed here, whose commit we could
/// not find from here (no machine of ours reaches the hub).
#[test]
fn the_shipped_manifests_are_pinned() {
    const UNPINNED: &[&str] = &["nlptown-sentiment"];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let listed = vigie::classify::models::list(&dir).expect("manifests");
    assert!(listed.len() >= 4);
    for m in listed {
        let commit = m.revision.len() == 40
            && m.revision
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        assert_eq!(
            commit,
            !UNPINNED.contains(&m.name.as_str()),
            "{}: revision {:?}",
            m.name,
            m.revision
        );
    }
}
