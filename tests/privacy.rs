//! Citizens' personal data through the real binary (#14, point 8): a post planted with a
//! name, a handle and an e-mail address goes through the whole flow (mention, media
//! signal, formal-request escalation, alert e-mails); then `vigie forget`, or retention
//! with `retention_days = 0`, must leave no copy of any of the three in the database,
//! neither in a dump of every table nor in the bytes of the file; and no log names them.

mod common;

use common::{src, vigie_cmd, Env};
use sqlx::{Column, Row};

const NAME: &str = "Marie Dupont";
const HANDLE: &str = "mdupont";
const EMAIL: &str = "marie.dupont@example.be";

fn feed() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>inbox</title><link>https://social.example/</link><description>d</description>
<item><title>{NAME} : le SPF Impôts ne répond pas</title>
<link>https://social.example/@{HANDLE}/1</link><guid isPermaLink="true">https://social.example/@{HANDLE}/1</guid>
<dc:creator>{NAME}</dc:creator>
<description>Bonjour, je m'appelle {NAME}, j'habite 12 rue de la Loi, 1000 Bruxelles. Le SPF Impôts est inacceptable et scandaleux, je suis furieuse. Je demande le réexamen de mon avertissement-extrait de rôle. Mon e-mail : {EMAIL}</description>
<pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>
"#
    )
}

/// A config with the planted post in a file feed, its author on the media list (so a
/// signal names them) and alert e-mails written to files.
fn env(retention_days: u32) -> Env {
    let extra = format!(
        "[signals]\nmedia = [\"{NAME}\"]\n\n[smtp]\nurl = \"file://mail\"\nfrom = \"vigie <vigie@example.org>\"\n\n\
         [[recipients]]\nname = \"Com\"\nemail = \"com@example.org\"\nlanguage = \"fr\"\nalerts = true\n\n\
         [alerts]\ngroup_wait = \"0s\"\n"
    );
    let env = Env::new(&[src("inbox", "file://inbox.xml")], &extra);
    std::fs::write(env.path().join("inbox.xml"), feed()).unwrap();
    let text = std::fs::read_to_string(&env.config).unwrap().replace(
        "url = \"sqlite://vigie.db\"\n",
        &format!("url = \"sqlite://vigie.db\"\nretention_days = {retention_days}\n"),
    );
    std::fs::write(&env.config, text).unwrap();
    env
}

/// Every value of every table, as text: what `.dump` would show.
async fn dump(env: &Env) -> String {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", env.path().join("vigie.db").display());
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = String::new();
    for t in tables {
        for r in sqlx::query(&format!("SELECT * FROM \"{t}\""))
            .fetch_all(&pool)
            .await
            .unwrap()
        {
            for (i, c) in r.columns().iter().enumerate() {
                let v = r
                    .try_get::<Option<String>, _>(i)
                    .ok()
                    .flatten()
                    .or_else(|| {
                        r.try_get::<Option<i64>, _>(i)
                            .ok()
                            .flatten()
                            .map(|v| v.to_string())
                    })
                    .or_else(|| {
                        r.try_get::<Option<f64>, _>(i)
                            .ok()
                            .flatten()
                            .map(|v| v.to_string())
                    })
                    .or_else(|| {
                        r.try_get::<Option<Vec<u8>>, _>(i)
                            .ok()
                            .flatten()
                            .map(|v| String::from_utf8_lossy(&v).into_owned())
                    })
                    .unwrap_or_default();
                // One line per value, so a value is found by its table and column.
                out.push_str(&format!("{t}.{}={}\n", c.name(), v.replace('\n', "\\n")));
            }
        }
    }
    pool.close().await;
    out
}

/// The database file's bytes (and its WAL, if any), as lossy text.
fn file_bytes(env: &Env) -> String {
    let mut out = String::new();
    for f in ["vigie.db", "vigie.db-wal"] {
        if let Ok(b) = std::fs::read(env.path().join(f)) {
            out.push_str(&String::from_utf8_lossy(&b));
        }
    }
    out
}

fn planted(s: &str) -> Vec<&'static str> {
    let lower = s.to_lowercase();
    [NAME, HANDLE, EMAIL, "Dupont"]
        .into_iter()
        .filter(|p| lower.contains(&p.to_lowercase()))
        .collect()
}

/// Runs the flow once and checks the planted data went everywhere it is expected.
async fn flow(env: &Env) -> String {
    let logs = env.run_once();
    let before = dump(env).await;
    for table in [
        "mentions.title",
        "mentions.author",
        "signals.reason",
        "outbox.body_text",
    ] {
        assert!(
            before
                .lines()
                .any(|l| l.starts_with(table) && l.to_lowercase().contains("dupont")),
            "the planted name should be in {table} before the erasure:\n{before}"
        );
    }
    assert!(
        before
            .lines()
            .any(|l| l.starts_with("escalations.formal_request=1")),
        "a formal request is opened"
    );
    logs
}

#[tokio::test]
async fn forget_erases_a_person_everywhere_and_records_it() {
    let env = env(365);
    let logs = flow(&env).await;
    assert_eq!(
        planted(&logs),
        Vec::<&str>::new(),
        "logs name nobody:\n{logs}"
    );

    let out = vigie_cmd()
        .args([
            "forget",
            "--config",
            env.config.to_str().unwrap(),
            "--author",
            NAME,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("erased: 1 of their own mentions"),
        "{stderr}"
    );
    assert_eq!(planted(&stderr), Vec::<&str>::new(), "{stderr}");

    let after = dump(&env).await;
    assert_eq!(
        planted(&after),
        Vec::<&str>::new(),
        "dump after forget:\n{after}"
    );
    assert_eq!(
        planted(&file_bytes(&env)),
        Vec::<&str>::new(),
        "file bytes after forget"
    );
    assert!(after.contains("erasures.kind=author"), "{after}");
    // What is not personal stays: the mention, its site, its classification and signal.
    assert!(
        after.contains("mentions.url=https://social.example/"),
        "{after}"
    );
    assert!(after.contains("signals.kind=media"), "{after}");

    // The same post is not taken again on the next poll.
    env.run_once();
    assert_eq!(planted(&dump(&env).await), Vec::<&str>::new());
}

#[tokio::test]
async fn retention_zero_leaves_no_copy() {
    let env = env(0);
    flow(&env).await;
    // The next round purges everything first seen before it started.
    let logs = env.run_once();
    assert!(
        logs.contains("personal data past retention erased"),
        "{logs}"
    );
    let after = dump(&env).await;
    assert_eq!(
        planted(&after),
        Vec::<&str>::new(),
        "dump after purge:\n{after}"
    );
    assert_eq!(
        planted(&file_bytes(&env)),
        Vec::<&str>::new(),
        "file bytes after purge"
    );
    assert!(after.contains("erasures.kind=retention"), "{after}");
}

#[test]
fn forget_needs_someone_to_forget() {
    let env = env(365);
    let out = vigie_cmd()
        .args(["forget", "--config", env.config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = vigie_cmd()
        .args([
            "forget",
            "--config",
            env.config.to_str().unwrap(),
            "--handle",
            "@",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
