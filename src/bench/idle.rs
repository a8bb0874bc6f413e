//! `vigie bench idle`: resident memory of an idle daemon with many sources.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::write_feed;

/// Memory of an idle daemon.
#[derive(Debug, Serialize)]
pub struct IdleReport {
    /// Sources configured.
    pub sources: usize,
    /// Seconds waited after start.
    pub settle_s: u64,
    /// Resident set size, MiB.
    pub rss_mib: f64,
    /// Peak resident set size, MiB.
    pub peak_rss_mib: f64,
}

/// Starts `vigie run` on `sources` file:// feeds, lets it poll once and settle,
/// then reads its RSS from /proc.
pub fn idle(exe: &Path, sources: usize, settle: Duration) -> anyhow::Result<IdleReport> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().to_path_buf();
    let feed = dir.join("feed.xml");
    write_feed(&feed, 20)?;
    let mut cfg = String::from("[institution]\nname = \"SPF Impôts\"\nkeywords = [\"SPF Impôts\", \"MyTax\", \"FOD Belastingen\"]\n[storage]\nurl = \"sqlite://idle.db\"\n");
    for i in 0..sources {
        cfg.push_str(&format!(
            "[[sources]]\nname = \"s{i}\"\nkind = \"rss\"\nurl = \"file://{}\"\nevery = \"1h\"\n",
            feed.display()
        ));
    }
    let cfg_path = dir.join("idle.toml");
    std::fs::write(&cfg_path, cfg)?;
    let mut child = std::process::Command::new(exe)
        .args(["run", "--config"])
        .arg(&cfg_path)
        .env("VIGIE_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(settle);
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    let _ = child.kill();
    let _ = child.wait();
    let status = status?;
    let kb = |key: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    Ok(IdleReport {
        sources,
        settle_s: settle.as_secs(),
        rss_mib: kb("VmRSS:") / 1024.0,
        peak_rss_mib: kb("VmHWM:") / 1024.0,
    })
}
