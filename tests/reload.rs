//! Reloading the config without a restart (`SIGHUP`, what `systemctl reload vigie` sends),
//! and the systemd notifications of a `Type=notify` unit, through the real binary.
#![cfg(unix)]

mod common;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use common::{rss, Env};

/// A daemon's logs, line by line, read on a thread as it runs.
struct Daemon {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Daemon {
    fn spawn(env: &Env, vars: &[(&str, &str)]) -> Daemon {
        use std::io::BufRead;
        let mut child = common::vigie_cmd()
            .envs(vars.iter().copied())
            .args(["run", "--config", daemon_config(env).to_str().unwrap()])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        Daemon {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a log line containing `what` (panics with every line seen so far).
    fn wait_log(&mut self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(what) {
                        return line;
                    }
                }
                Err(_) => panic!("no log line with {what:?}; logs:\n{}", self.seen.join("\n")),
            }
        }
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
    }

    /// SIGTERM, and the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        self.signal("-TERM");
        self.child.wait().unwrap()
    }
}

impl Drop for Daemon {
    /// A failed test must not leave its daemon running.
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Waits until the store holds `n` mentions.
fn wait_mentions(env: &Env, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.mentions().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(env.mentions().len(), n);
}

fn source(name: &str, every: &str) -> String {
    format!("[[sources]]\nname = \"{name}\"\nkind = \"rss\"\nurl = \"file://{name}.xml\"\nevery = \"{every}\"\n\n")
}

/// The daemon's config file; the test's own (`env.config`, for `vigie mentions`) stays
/// valid while the daemon's is broken on purpose.
fn daemon_config(env: &Env) -> std::path::PathBuf {
    env.path().join("daemon.toml")
}

/// Writes the daemon's config: these sources, on the test's store.
fn config(env: &Env, body: &str) {
    let head = format!(
        "[institution]\nname = \"SPF Impôts\"\nkeywords = {}\n\n[storage]\nurl = \"sqlite://vigie.db\"\n\n[fetch]\ncontact = \"mailto:comms@example.org\"\n\n",
        common::KEYWORDS
    );
    std::fs::write(daemon_config(env), head + body).unwrap();
}

#[test]
fn sighup_applies_a_new_source_and_refuses_a_broken_config() {
    let env = Env::new(&[common::src("a", "file://a.xml")], "");
    std::fs::write(env.path().join("a.xml"), rss("a", 2)).unwrap();
    std::fs::write(env.path().join("b.xml"), rss("b", 3)).unwrap();
    config(&env, &source("a", "1h"));
    let mut daemon = Daemon::spawn(&env, &[]);
    wait_mentions(&env, 2);

    // A source added and one rescheduled (1 h to 10 s), without a restart.
    config(&env, &(source("a", "10s") + &source("b", "10s")));
    daemon.signal("-HUP");
    daemon.wait_log("config reloaded");
    wait_mentions(&env, 5);

    // A broken config: every problem logged with its key path, the old config kept.
    config(
        &env,
        &(source("a", "often")
            + "[[sources]]\nname = \"c\"\nkind = \"rss\"\nurl = \"gopher://x\"\nevery = \"1m\"\n"),
    );
    daemon.signal("-HUP");
    assert!(daemon
        .wait_log("config reload refused")
        .contains("sources[0].every"));
    assert!(daemon
        .wait_log("config reload refused")
        .contains("sources[1].url"));
    daemon.wait_log("the running config stays");
    // Still watching both sources on the schedule of the last good config: a new item in
    // each arrives within 10 s (a's old period was an hour).
    std::fs::write(env.path().join("a.xml"), rss("a", 3)).unwrap();
    std::fs::write(env.path().join("b.xml"), rss("b", 4)).unwrap();
    wait_mentions(&env, 7);

    // A config the daemon cannot apply (another store) is refused too.
    config(&env, &source("a", "10s"));
    let moved = std::fs::read_to_string(daemon_config(&env))
        .unwrap()
        .replace("sqlite://vigie.db", "sqlite://other.db");
    std::fs::write(daemon_config(&env), moved).unwrap();
    daemon.signal("-HUP");
    assert!(daemon
        .wait_log("config reload refused")
        .contains("storage.url"));
    daemon.wait_log("the running config stays");
    assert!(!env.path().join("other.db").exists());
    assert!(daemon.stop().success());
}

/// The datagrams the daemon sends to `NOTIFY_SOCKET`, as systemd would receive them.
struct Systemd {
    socket: UnixDatagram,
    seen: Vec<String>,
}

impl Systemd {
    /// Waits for a notification containing `what`.
    fn wait(&mut self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            if let Ok(n) = self.socket.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).to_string();
                self.seen.push(msg.clone());
                if msg.lines().any(|l| l == what) {
                    return;
                }
            }
        }
        panic!("no {what:?} from the daemon; got {:?}", self.seen);
    }
}

#[test]
fn systemd_is_told_ready_reloading_watchdog_and_stopping() {
    let env = Env::new(&[common::src("a", "file://a.xml")], "");
    std::fs::write(env.path().join("a.xml"), rss("a", 1)).unwrap();
    config(
        &env,
        &(source("a", "1m") + "[web]\nlisten = \"127.0.0.1:0\"\n"),
    );
    let path = env.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut systemd = Systemd {
        socket,
        seen: Vec::new(),
    };
    let mut daemon = Daemon::spawn(
        &env,
        &[
            ("NOTIFY_SOCKET", path.to_str().unwrap()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    systemd.wait("READY=1");
    // READY=1 comes once the page listens: it answers at once.
    let line = daemon.wait_log("escalation page");
    let at = line.find("127.0.0.1:").unwrap();
    let addr: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    assert_eq!(healthz(&addr), "ok");
    systemd.wait("WATCHDOG=1");
    systemd.seen.clear();
    systemd.wait("WATCHDOG=1");

    daemon.signal("-HUP");
    systemd.wait("RELOADING=1");
    systemd.wait("READY=1");
    daemon.wait_log("config reloaded");
    // The same socket serves the page after the reload.
    assert_eq!(healthz(&addr), "ok");

    daemon.signal("-TERM");
    systemd.wait("STOPPING=1");
    assert!(daemon.child.wait().unwrap().success());
}

/// `GET /healthz` over a plain socket: the body.
fn healthz(addr: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    out.rsplit("\r\n\r\n").next().unwrap().trim().to_string()
}
