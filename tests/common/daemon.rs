//! The real daemon (`vigie run`) with its page on port 0: its address is read from the
//! start line of its logs, and every log line is kept (read on a thread, so the daemon
//! never blocks on a full pipe).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running daemon; killed when dropped.
pub struct Daemon {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, where the page listens.
    pub base: String,
    logs: Option<JoinHandle<String>>,
}

impl Daemon {
    /// Spawns `cmd`, a `vigie run` whose config has `[web] listen = "127.0.0.1:0"`, and
    /// waits (30 s at most) for the line that says where the page listens.
    pub fn spawn(mut cmd: Command) -> Daemon {
        let mut child = cmd
            .stderr(Stdio::piped())
            .spawn()
            .expect("vigie run starts");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stderr = child.stderr.take().unwrap();
        let logs = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line.clone());
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the daemon logs where the page listens");
            if let Some(at) = line
                .contains("escalation page")
                .then(|| line.find("127.0.0.1:"))
                .flatten()
            {
                let rest = &line[at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .unwrap_or(rest.len());
                break rest[..end].to_string();
            }
        };
        Daemon {
            child,
            base: format!("http://{addr}"),
            logs: Some(logs),
        }
    }

    /// Stops it with SIGTERM; returns whether it exited cleanly, and all its logs.
    #[cfg(unix)]
    pub fn stop(mut self) -> (bool, String) {
        super::flow::sigterm(&self.child);
        let ok = self.child.wait().unwrap().success();
        let logs = self.logs.take().unwrap().join().unwrap();
        (ok, logs)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
