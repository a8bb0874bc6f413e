//! Test harness: a temporary folder with a config, the real `vigie` binary, and helpers
//! to read what it stored. Every test gets its own folder and database.
#![allow(dead_code)]

pub mod daemon;
pub mod flow;
pub mod pg;
pub mod smtp;
pub mod sources;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Keywords that match the bundled fixtures about the fictional tax service.
pub const KEYWORDS: &str = r#"["SPF Impôts", "FOD Belastingen", "FÖD Steuern", "Federal Tax Service", "MyTax", "@SPFImpots", "@FODBelastingen"]"#;

/// A temporary vigie installation.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

/// One `[[sources]]` entry.
pub struct Src<'a> {
    pub name: &'a str,
    pub url: String,
    pub every: &'a str,
}

pub fn src<'a>(name: &'a str, url: impl Into<String>) -> Src<'a> {
    Src {
        name,
        url: url.into(),
        every: "15m",
    }
}

impl Env {
    /// A config with these sources; `extra` is appended verbatim (e.g. a [fetch] section).
    pub fn new(sources: &[Src], extra: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = format!(
            "[institution]\nname = \"SPF Impôts\"\nkeywords = {KEYWORDS}\nexclude = [\"\\\"impôts en France\\\"\"]\n\n[storage]\nurl = \"sqlite://vigie.db\"\n\n"
        );
        for s in sources {
            cfg.push_str(&format!(
                "[[sources]]\nname = \"{}\"\nkind = \"rss\"\nurl = \"{}\"\nevery = \"{}\"\n\n",
                s.name, s.url, s.every
            ));
        }
        cfg.push_str(extra);
        if !extra.contains("[fetch]") {
            cfg.push_str("\n[fetch]\ncontact = \"mailto:comms@example.org\"\n");
        }
        let config = dir.path().join("vigie.toml");
        std::fs::write(&config, cfg).expect("write config");
        Env { dir, config }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `vigie ARGS` to completion.
    pub fn vigie(&self, args: &[&str]) -> Output {
        vigie_cmd().args(args).output().expect("running vigie")
    }

    /// `vigie run --config X --once`, asserting success; returns stderr (the logs).
    pub fn run_once(&self) -> String {
        self.run_once_with(&[])
    }

    /// The same with these environment variables set (sources' credentials).
    pub fn run_once_with(&self, vars: &[(&str, &str)]) -> String {
        let out = vigie_cmd()
            .envs(vars.iter().copied())
            .args(["run", "--config", self.config.to_str().unwrap(), "--once"])
            .output()
            .expect("running vigie");
        let logs = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "vigie run --once failed: {logs}");
        logs
    }

    /// `vigie escalations --json`, parsed.
    pub fn escalations(&self) -> Vec<Value> {
        json_lines(&self.vigie(&[
            "escalations",
            "--config",
            self.config.to_str().unwrap(),
            "--json",
        ]))
    }

    /// `vigie mentions --json`, parsed.
    pub fn mentions(&self) -> Vec<Value> {
        let out = self.vigie(&[
            "mentions",
            "--config",
            self.config.to_str().unwrap(),
            "--json",
        ]);
        json_lines(&out)
    }
}

/// `vigie check-config FILE` passes (panics with what it printed otherwise).
pub fn assert_config_valid(config: &Path) {
    let out = vigie_cmd()
        .args(["check-config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses a successful command's stdout as JSON lines (panics with its stderr otherwise).
pub fn json_lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// `vigie ARGS` that prints one JSON document (`eval --json`), parsed; panics with its
/// stderr when it fails. `VIGIE_CONFIG` is unset, so only the arguments count.
pub fn vigie_json<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> Value {
    let out = vigie_cmd()
        .env_remove("VIGIE_CONFIG")
        .args(args)
        .output()
        .expect("running vigie");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON document")
}

/// The JSON lines of a file under tests/data/.
pub fn data_lines(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// `vigie eval --json` on these gold lines, with a config of the four languages and
/// `extra` appended (e.g. a `[classifier]` table).
pub fn eval_lines<'a>(lines: impl IntoIterator<Item = &'a Value>, extra: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gold.jsonl");
    let text: String = lines.into_iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&data, text).unwrap();
    let config = dir.path().join("vigie.toml");
    std::fs::write(
        &config,
        format!(
            "[institution]\nname = \"t\"\nkeywords = [\"t\"]\nlanguages = [\"fr\", \"nl\", \"en\", \"de\"]\n{extra}"
        ),
    )
    .unwrap();
    vigie_json([
        "eval".as_ref(),
        "--json".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ])
}

pub fn vigie_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigie"));
    c.env("VIGIE_LOG", "info");
    c
}

/// Path of a file under tests/fixtures/feeds.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// An RSS 2.0 document with `n` items, all mentioning the institution, ids `prefix-i`.
pub fn rss(prefix: &str, n: usize) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://news.example.org</link><description>d</description><language>fr-BE</language>\n");
    for i in 0..n {
        s.push_str(&format!(
            "<item><title>MyTax article {prefix} {i}</title><link>https://news.example.org/{prefix}/{i}?utm_source=rss</link><guid isPermaLink=\"false\">{prefix}-{i}</guid><description>Le SPF Impôts annonce la mesure {i} pour la déclaration fiscale de cette année.</description><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}
