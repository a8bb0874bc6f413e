//! Helpers for source tests: build a source from its TOML, as the config would.

use std::path::{Path, PathBuf};

use vigie::core::matching::Matcher;
use vigie::sources::http::Http;
use vigie::sources::{BuildContext, Source, SourceConfig};

/// The HTTP client with default `[fetch]` settings.
pub fn http() -> Http {
    Http::new(&vigie::sources::fetch::Fetch::default()).unwrap()
}

/// The institution's matcher used by the tests.
pub fn matcher() -> Matcher {
    Matcher::new(
        &[
            "SPF Finances".into(),
            "FOD Financiën".into(),
            "MyMinfin".into(),
            "Tax-on-web".into(),
        ],
        &[],
    )
    .unwrap()
}

/// Parses one `[[sources]]` table (TOML without the header), or the errors as `path: message`.
pub fn config(toml_text: &str) -> Result<SourceConfig, Vec<String>> {
    let value: toml::Value = toml::from_str(toml_text).expect("test TOML");
    let mut errors = Vec::new();
    let c = SourceConfig::from_toml("sources[0]", value, &mut |p, m, _| {
        errors.push(format!("{p}: {m}"))
    });
    match c {
        Some(c) if errors.is_empty() => Ok(c),
        _ => Err(errors),
    }
}

/// Builds a polled source from its TOML.
pub fn build(toml_text: &str) -> Box<dyn Source> {
    let c = config(toml_text).unwrap_or_else(|e| panic!("config errors: {e:?}"));
    c.build(&BuildContext {
        http: http(),
        base: PathBuf::from("."),
        matcher: matcher(),
        own: Default::default(),
    })
    .expect("a polled kind")
}

/// Path of tests/fixtures/<kind>/<name>.
pub fn fixture_path(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
        .join(name)
}

/// A fixture's text.
pub fn fixture(kind: &str, name: &str) -> String {
    std::fs::read_to_string(fixture_path(kind, name))
        .unwrap_or_else(|e| panic!("fixture {kind}/{name}: {e}"))
}

/// A JSON fixture.
pub fn json(kind: &str, name: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(kind, name)).expect("fixture JSON")
}
