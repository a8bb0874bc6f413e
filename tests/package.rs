//! The Debian package's config (packaging/debian/vigie.toml, installed as
//! /etc/vigie/vigie.toml) passes `vigie check-config` and stays the example config with
//! absolute paths. `scripts/deb.sh` builds the packaged binary through this test.

use std::path::Path;
use std::process::Command;

use vigie::config::Config;

fn read(rel: &str) -> (String, std::path::PathBuf) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    (std::fs::read_to_string(&path).unwrap(), path)
}

#[test]
fn the_debian_config_passes_check_config() {
    let (_, path) = read("packaging/debian/vigie.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_debian_config_is_the_example_with_absolute_paths() {
    let (deb_text, deb_path) = read("packaging/debian/vigie.toml");
    let (ex_text, ex_path) = read("config/vigie.example.toml");
    let deb = Config::parse(&deb_text, &deb_path).expect("the Debian config");
    let ex = Config::parse(&ex_text, &ex_path).expect("the example config");
    // The service may write only in its StateDirectory.
    assert_eq!(deb.storage.url, "sqlite:///var/lib/vigie/vigie.db");
    assert_eq!(deb.classifier.models_dir, "/var/lib/vigie/models");
    assert_eq!(
        deb.web.as_ref().map(|w| w.listen.clone()),
        Some("127.0.0.1:8080".to_string())
    );
    // Everything else as in the example: same keywords, sources, recipients and topics.
    assert_eq!(deb.institution.keywords, ex.institution.keywords);
    let names = |c: &Config| {
        c.sources
            .iter()
            .map(|s| s.name().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&deb), names(&ex));
    assert_eq!(deb.recipients.len(), ex.recipients.len());
    let topics = |c: &Config| c.topics.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
    assert_eq!(topics(&deb), topics(&ex));
    assert_eq!(
        deb_text.matches("\n# [[sources]]").count(),
        ex_text.matches("\n# [[sources]]").count(),
        "the commented sources too"
    );
}
