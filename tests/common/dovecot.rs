//! A real Dovecot (Debian's dovecot-imapd) for one test: its own folder, ports, private CA
//! and server certificate, one user with a plain password; killed on drop. And a small
//! IMAP client (APPEND, SEARCH, folder changes) to play the mail's senders and readers.
//! Only `tests/sources_imap.rs` uses it (not part of `common`: only it needs Dovecot).
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream as StdTcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// The binary `apt-get install dovecot-imapd` brings.
pub const DOVECOT: &str = "/usr/sbin/dovecot";
/// The mailbox's user and password.
pub const USER: &str = "contact@institution.example";
pub const PASSWORD: &str = "S3cret-imap-pass";

/// A running Dovecot.
pub struct Dovecot {
    pub dir: tempfile::TempDir,
    /// Implicit TLS (IMAPS).
    pub imaps: u16,
    /// Plain IMAP that requires STARTTLS.
    pub imap: u16,
    /// The private CA's certificate (PEM): what vigie's `ca_file` names.
    pub ca_file: PathBuf,
    child: Child,
}

pub type Session = async_imap::Session<TlsStream<TcpStream>>;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The uid and gid of a system user (from /etc/passwd).
fn ids(user: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with(&format!("{user}:")))
        .unwrap_or_else(|| panic!("no user {user}: is dovecot-imapd installed?"));
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().unwrap(), f[3].parse().unwrap())
}

/// A CA, and a certificate for 127.0.0.1 and localhost signed by it: (ca, cert, key) PEM.
fn certificates() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "vigie test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert = leaf
        .signed_by(&key, &Issuer::from_params(&ca, &ca_key))
        .unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

impl Dovecot {
    /// Starts one, and waits until it answers.
    pub fn start() -> Dovecot {
        assert!(
            Path::new(DOVECOT).exists(),
            "{DOVECOT} not found: install Debian's dovecot-imapd (apt-get install dovecot-imapd), as .ci/run does"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Dovecot's own users must reach the mail under it.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (ca, cert, key) = certificates();
        let ca_file = d.join("ca.pem");
        std::fs::write(&ca_file, ca).unwrap();
        std::fs::write(d.join("cert.pem"), cert).unwrap();
        std::fs::write(d.join("key.pem"), key).unwrap();
        std::fs::write(d.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let mail = d.join("mail");
        std::fs::create_dir(&mail).unwrap();
        let (uid, gid) = ids("dovecot");
        std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).unwrap();
        let (imaps, imap) = (free_port(), free_port());
        let p = d.display();
        let conf = format!(
            r#"protocols = imap
listen = 127.0.0.1
base_dir = {p}/run
state_dir = {p}/state
log_path = {p}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
ssl = required
ssl_cert = <{p}/cert.pem
ssl_key = <{p}/key.pem
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {p}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={p}/mail/%u mail=maildir:{p}/mail/%u/Maildir
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
"#
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("stderr.log")).unwrap())
            .spawn()
            .expect("dovecot starts");
        let mut dovecot = Dovecot {
            dir,
            imaps,
            imap,
            ca_file,
            child,
        };
        dovecot.wait_ready();
        dovecot
    }

    /// Until both ports greet (the login process starts after the master).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [self.imap, self.imaps] {
            loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    panic!("dovecot exited ({status}): {}", self.log());
                }
                if StdTcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "dovecot not listening: {}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Its logs, for failure messages.
    pub fn log(&self) -> String {
        let mut s = String::new();
        for f in ["stderr.log", "dovecot.log"] {
            if let Ok(mut file) = std::fs::File::open(self.dir.path().join(f)) {
                let _ = file.read_to_string(&mut s);
            }
        }
        s
    }

    /// The `[[sources]]` block of a vigie config reading `folder` over IMAPS.
    pub fn source(&self, name: &str, folder: &str, var: &str, extra: &str) -> String {
        format!(
            "[[sources]]\nname = \"{name}\"\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\nusername = \"{USER}\"\npassword_env = \"{var}\"\nfolder = \"{folder}\"\nevery = \"10m\"\nca_file = \"{}\"\n{extra}\n",
            self.imaps,
            self.ca_file.display()
        )
    }

    /// A logged-in session over IMAPS.
    pub async fn login(&self) -> Session {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(&self.ca_file).unwrap();
        for c in
            <rustls::pki_types::CertificateDer as rustls::pki_types::pem::PemObject>::pem_slice_iter(
                &pem,
            )
        {
            roots.add(c.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tcp = TcpStream::connect(("127.0.0.1", self.imaps)).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(name, tcp)
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tls);
        client.read_response().await.unwrap().expect("greeting");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    /// Puts messages in `folder` (created if missing), as a mail server delivering them.
    pub async fn deliver(&self, folder: &str, messages: &[String]) {
        let mut s = self.login().await;
        let _ = s.create(folder).await;
        for m in messages {
            s.append(folder, None, None, m.as_bytes()).await.unwrap();
        }
        s.logout().await.unwrap();
    }

    /// Deletes `folder` and makes it anew with `messages`: a new UIDVALIDITY.
    pub async fn recreate(&self, folder: &str, messages: &[String]) {
        let mut s = self.login().await;
        s.delete(folder).await.unwrap();
        s.logout().await.unwrap();
        self.deliver(folder, messages).await;
    }

    /// UIDs in `folder` matching a SEARCH, looked at read-only.
    pub async fn search(&self, folder: &str, query: &str) -> usize {
        let mut s = self.login().await;
        s.examine(folder).await.unwrap();
        let n = s.uid_search(query).await.unwrap().len();
        s.logout().await.unwrap();
        n
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // Its children leave when the master is gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An e-mail as a citizen's mail program would write it.
pub fn mail(id: &str, from: &str, subject: &str, date: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: contact@institution.example\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
        body.replace('\n', "\r\n")
    )
}
