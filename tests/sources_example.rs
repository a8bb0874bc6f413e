//! The example config's commented-out source blocks are valid once uncommented.

use std::path::Path;

use vigie::config::Config;

#[test]
fn every_commented_source_in_the_example_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/vigie.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    Config::parse(&text, &path).expect("the example as shipped");
    let start = text.find("sources (begin)").unwrap();
    let end = text.find("sources (end)").unwrap();
    let mut uncommented = String::new();
    for line in text[start..end].lines() {
        let Some(l) = line.strip_prefix("# ") else {
            continue;
        };
        let is_toml = l.starts_with("[[sources]]")
            || l.split_once(" = ")
                .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        if is_toml {
            if l.starts_with("[[sources]]") {
                uncommented.push('\n');
            }
            uncommented.push_str(l);
            uncommented.push('\n');
        }
    }
    let kinds = uncommented.matches("kind = ").count();
    assert_eq!(kinds, 14, "{uncommented}");
    // Sources must come before the next table: put them right after the shipped ones.
    let full = text.replacen("\n[smtp]", &format!("{uncommented}\n[smtp]"), 1);
    let cfg = Config::parse(&full, &path).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    let mut names: Vec<&str> = cfg.sources.iter().map(|s| s.name()).collect();
    names.sort();
    for k in [
        "mastodon-myminfin",
        "mastodon-spf",
        "mastodon-search",
        "google-news-fr",
        "gdelt",
        "reddit-belgium",
        "reddit-belgium-comments",
        "youtube-spf",
        "youtube-search",
        "youtube-comments",
        "bluesky",
        "bluesky-search",
        "push",
        "mailbox",
    ] {
        assert!(names.contains(&k), "{k} {names:?}");
    }
}
