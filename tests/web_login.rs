//! Logins against the real daemon under a flood (#14, point 2): an attempt is counted
//! before its password is checked, only a few checks run at once (each takes about 19 MiB),
//! and wrong passwords from one address never lock the account out of another. Clients
//! connect from several loopback addresses (127.0.0.0/8 is all local on Linux).

#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::process::Stdio;
use std::time::Duration;

use common::web::hidden;
use common::{src, Env};
use reqwest::StatusCode;

const EMAIL: &str = "anna@example.be";
const PASSWORD: &str = "a long enough passphrase";
const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Messages</title><link>https://inbox.example.org</link><description>x</description></channel></rss>"#;

/// `vigie run` with the page on port 0 and one user; killed when dropped.
struct Daemon {
    run: common::daemon::Daemon,
    base: String,
    _env: Env,
}

impl Daemon {
    fn start() -> Daemon {
        let env = Env::new(
            &[src("inbox", "file://inbox.xml")],
            "[web]\nlisten = \"127.0.0.1:0\"\n",
        );
        std::fs::write(env.path().join("inbox.xml"), FEED).unwrap();
        let config = env.config.to_str().unwrap().to_string();
        let mut add = common::vigie_cmd()
            .args(["user", "add", "--config", &config, "--email", EMAIL])
            .args(["--role", "responder", "--language", "en"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        let out = add.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let mut cmd = common::vigie_cmd();
        cmd.args(["run", "--config", &config]);
        let run = common::daemon::Daemon::spawn(cmd);
        Daemon {
            base: run.base.clone(),
            run,
            _env: env,
        }
    }

    /// A login form token pair, as a browser would get it.
    async fn token(&self) -> String {
        let html = reqwest::get(format!("{}/login", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        hidden(&html, "csrf").expect("login form has a csrf field")
    }

    /// Peak resident memory of the daemon so far, in MiB (VmHWM).
    fn peak_rss_mib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.run.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        kib / 1024
    }
}

/// A client connecting from `from`.
fn client(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

async fn login(c: &reqwest::Client, d: &Daemon, token: &str, password: &str) -> StatusCode {
    c.post(format!("{}/login", d.base))
        .header("cookie", format!("vigie_login={token}"))
        .form(&[("email", EMAIL), ("password", password), ("csrf", token)])
        .send()
        .await
        .unwrap()
        .status()
}

fn count(statuses: &[StatusCode], s: StatusCode) -> usize {
    statuses.iter().filter(|x| **x == s).count()
}

/// Regression: 150 concurrent attempts from 150 addresses ran 150 argon2 checks at once
/// and took the daemon from 50 MB to 2.97 GB.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_logins_from_many_addresses_stays_within_memory() {
    let d = Daemon::start();
    let token = d.token().await;
    let before = d.peak_rss_mib();
    // Two floods: the second must not pile up on what the first left.
    for flood in 1..=2 {
        let tries = (1..=150).map(|i| {
            let c = client(&format!("127.0.{flood}.{i}"));
            let (token, d) = (token.clone(), &d);
            async move { login(&c, d, &token, "wrong password!!").await }
        });
        let statuses = futures::future::join_all(tries).await;
        let peak = d.peak_rss_mib();
        let (checked, busy) = (
            count(&statuses, StatusCode::UNAUTHORIZED),
            count(&statuses, StatusCode::SERVICE_UNAVAILABLE),
        );
        println!(
            "flood {flood}: peak RSS {before} MiB before, {peak} MiB after 150 concurrent \
             logins; {checked} checked, {busy} told to retry (503)"
        );
        assert_eq!(checked + busy, 150, "{statuses:?}");
        assert!(checked >= 4, "passwords were checked: {statuses:?}");
        assert!(peak < 300, "flood {flood}: peak RSS {peak} MiB");
    }
}

/// Regression: the limit was checked before argon2 and the failure recorded after it, so 40
/// concurrent wrong passwords for one account from one address got 26 checks, not 5.
#[tokio::test]
async fn concurrent_wrong_passwords_get_no_more_checks_than_allowed() {
    let d = Daemon::start();
    let token = d.token().await;
    let c = client("127.0.0.1");
    let statuses =
        futures::future::join_all((0..40).map(|_| login(&c, &d, &token, "wrong password!!"))).await;
    let checked = count(&statuses, StatusCode::UNAUTHORIZED);
    println!("{checked} of 40 concurrent wrong passwords were checked");
    assert!((1..=5).contains(&checked), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| [401, 429, 503].contains(&s.as_u16())),
        "{statuses:?}"
    );
}

/// Regression: five wrong passwords from one address locked the account for 15 minutes
/// from every address, so anyone could lock the crisis cell out.
#[tokio::test]
async fn an_account_locked_from_one_address_still_logs_in_from_another() {
    let d = Daemon::start();
    let token = d.token().await;
    let attacker = client("127.0.0.2");
    for i in 0..5 {
        let s = login(&attacker, &d, &token, "wrong password!!").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(
        login(&attacker, &d, &token, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the address that failed waits"
    );
    let owner = client("127.0.0.3");
    assert_eq!(
        login(&owner, &d, &token, PASSWORD).await,
        StatusCode::SEE_OTHER,
        "the owner, elsewhere, logs in"
    );
}
