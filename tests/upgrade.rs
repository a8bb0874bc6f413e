//! Upgrades (#19): a database made by an earlier release opens under this one.
//! `tests/fixtures/upgrade/vigie-7ae61db.db` was made by main at 7ae61db (2026-12-01,
//! migrations up to 0014) running the offline demo once (`vigie run --config
//! config/demo.toml --once`); tests/fixtures/upgrade/README.md gives its counts.
//! `vigie migrate --check` lists what is pending, `vigie migrate` applies it, and every
//! mention, escalation and outbox row is still there.

mod common;

use common::{json_lines, src, Env};

/// What the fixture holds (counted with the release that made it).
const MENTIONS: usize = 17;
const ESCALATIONS: usize = 3;
const OUTBOX: usize = 9;

fn list(env: &Env, what: &str) -> usize {
    json_lines(&env.vigie(&[what, "--config", env.config.to_str().unwrap(), "--json"])).len()
}

#[test]
fn a_database_made_by_the_previous_release_opens_with_everything_in_it() {
    let env = Env::new(&[src("x", "file://none.xml")], "");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upgrade/vigie-7ae61db.db");
    std::fs::copy(&fixture, env.path().join("vigie.db")).unwrap();
    let cfg = env.config.to_str().unwrap();

    let check = env.vigie(&["migrate", "--config", cfg, "--check"]);
    let listed = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "pending migrations: {listed}");
    assert!(listed.contains("0014 store flags: applied"), "{listed}");
    assert!(listed.contains("0015 hosts: pending"), "{listed}");

    let out = env.vigie(&["migrate", "--config", cfg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = env.vigie(&["migrate", "--config", cfg, "--check"]);
    assert_eq!(check.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&check.stdout).contains("pending"));

    assert_eq!(list(&env, "mentions"), MENTIONS);
    assert_eq!(list(&env, "escalations"), ESCALATIONS);
    assert_eq!(list(&env, "outbox"), OUTBOX);
    // And the daemon runs on it.
    env.run_once();
    assert!(list(&env, "mentions") >= MENTIONS);
}
