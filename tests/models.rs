//! `vigie models list|fetch` against a local hub: checksums, resumed downloads, errors.

mod common;

use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn manifest(weights: &[u8], config: &[u8]) -> String {
    format!(
        "task = \"sentiment\"\narchitecture = \"bert\"\nhub_id = \"org/tiny\"\nrevision = \"abc123\"\nlicence = \"MIT\"\nlanguages = [\"fr\", \"nl\"]\n\n[[files]]\nname = \"config.json\"\nsha256 = \"{}\"\n\n[[files]]\nname = \"model.safetensors\"\nsha256 = \"{}\"\n",
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
        .and(path("/org/tiny/resolve/abc123/model.safetensors"))
        .and(header("range", "bytes=40000-"))
        .respond_with(ResponseTemplate::new(206).set_body_bytes(weights[40_000..].to_vec()))
        .expect(1)
        .mount(&hub)
        .await;
    Mock::given(method("GET"))
        .and(path("/org/tiny/resolve/abc123/config.json"))
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
    Mock::given(path("/org/tiny/resolve/abc123/config.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(config))
        .mount(&hub)
        .await;
    Mock::given(path("/org/tiny/resolve/abc123/model.safetensors"))
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
    Mock::given(path("/org/tiny/resolve/abc123/model.safetensors"))
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
