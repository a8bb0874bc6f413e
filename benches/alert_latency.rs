//! Time from a mention's fetch to its alert e-mail at an SMTP server (issue 6), with
//! grouping wait 0: the real daemon (`vigie run`), a file source, the in-process SMTP
//! sink of the tests. The fetch moment is read from the daemon's JSON log ("polled"
//! minus its duration), the arrival from the sink's clock: the poll interval is excluded.
//!
//! `cargo bench --bench alert_latency` (release build).

#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::io::BufRead;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const POSTS: [&str; 6] = [
    "MyTax est en panne, impossible de déposer ma déclaration",
    "MyTax ligt plat, storing op de laatste dag van de aangifte",
    "Encore une panne de MyTax le jour de la date limite",
    "MyTax is down again on deadline day",
    "Storing bij MyTax, niemand kan zijn aangifte indienen",
    "Panne MyTax : le SPF Impôts ne répond pas",
];

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn one_round(round: usize) -> f64 {
    let (sink, port) = smtp::start(0);
    let dir = tempfile::tempdir().unwrap();
    let mut feed = String::from("<rss version=\"2.0\"><channel><title>t</title><link>https://p.example.org</link><description>d</description>\n");
    for (i, p) in POSTS.iter().enumerate() {
        feed.push_str(&format!("<item><title>{p}</title><link>https://p.example.org/{round}/{i}</link><guid>{round}-{i}</guid></item>\n"));
    }
    feed.push_str("</channel></rss>");
    std::fs::write(dir.path().join("feed.xml"), feed).unwrap();
    let cfg = format!(
        "[institution]\nname = \"SPF Impôts\"\nkeywords = [\"MyTax\", \"SPF Impôts\"]\n[storage]\nurl = \"sqlite://v.db\"\n\
         [[sources]]\nname = \"posts\"\nkind = \"rss\"\nurl = \"file://feed.xml\"\nevery = \"1h\"\n\
         [smtp]\nurl = \"smtp://127.0.0.1:{port}\"\nfrom = \"vigie@example.org\"\n\
         [[recipients]]\nname = \"Comms\"\nemail = \"comms@example.org\"\nlanguage = \"fr\"\nalerts = true\n\
         [digest]\nenabled = false\n[alerts]\ngroup_wait = \"0s\"\n"
    );
    let path = dir.path().join("v.toml");
    std::fs::write(&path, cfg).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["run", "--log-format", "json", "--config"])
        .arg(&path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let v: serde_json::Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(_) => continue,
            };
            if v["message"] == "polled" && v["new"].as_u64().unwrap_or(0) > 0 {
                let ts =
                    chrono::DateTime::parse_from_rfc3339(v["timestamp"].as_str().unwrap()).unwrap();
                let ms = v["ms"].as_f64().unwrap_or(0.0);
                let _ = tx.send(ts.timestamp_micros() as f64 / 1e6 - ms / 1000.0);
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let arrived = loop {
        if !sink.messages.lock().unwrap().is_empty() {
            break now_s();
        }
        assert!(Instant::now() < deadline, "no alert within 20 s");
        std::thread::sleep(Duration::from_millis(2));
    };
    let fetched = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("poll logged");
    let _ = child.kill();
    let _ = child.wait();
    arrived - fetched
}

fn main() {
    // `cargo test` also builds benches: run only when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rounds = 20;
    let mut lat: Vec<f64> = (0..rounds).map(one_round).collect();
    lat.sort_by(f64::total_cmp);
    let median = lat[rounds / 2];
    let p99 = lat[((rounds as f64 * 0.99).ceil() as usize).min(rounds) - 1];
    println!(
        "{}",
        serde_json::json!({"bench": "fetch_to_alert_email", "rounds": rounds, "median_ms": median * 1000.0, "p99_ms": p99 * 1000.0, "min_ms": lat[0] * 1000.0, "max_ms": lat[rounds - 1] * 1000.0})
    );
}
