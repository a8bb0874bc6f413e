//! An in-process SMTP sink that records messages and can be told to answer 4xx/5xx or
//! to stall, for delivery tests over real SMTP on localhost. (mailin-embedded left the
//! client hanging after an error reply, which is exactly the path these tests exercise,
//! so this speaks the few commands a client needs itself, one thread per connection.)
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the sink has received and how it should behave.
#[derive(Default)]
pub struct State {
    /// Complete messages accepted (raw RFC 5322 text).
    pub messages: Mutex<Vec<String>>,
    /// Answer 451 to the end of DATA this many more times.
    pub fail_4xx: AtomicUsize,
    /// Recipients refused with 550.
    pub reject_rcpt: Mutex<Vec<String>>,
    /// Hold every new connection before the greeting (a server that hangs before any mail moves).
    pub stall: AtomicBool,
    /// Milliseconds to wait, after a message is recorded, before answering 250 to its
    /// end of DATA: a client killed meanwhile has had its message accepted by the server
    /// without knowing it (the window where a resend is legitimate).
    pub delay_250_ms: AtomicU64,
    /// TCP connections accepted so far.
    pub connections: AtomicUsize,
    /// The verb of every command received (EHLO, AUTH, MAIL, ...), in order.
    pub commands: Mutex<Vec<String>>,
    /// Offer STARTTLS too (and answer it with 220; the sink speaks no TLS, so the
    /// client's handshake then fails: what matters is what it sent before).
    pub starttls: AtomicBool,
}

fn serve(stream: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    while state.stall.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    let mut say = |s: &str| -> std::io::Result<()> { out.write_all(format!("{s}\r\n").as_bytes()) };
    say("220 sink.test ESMTP")?;
    let mut rcpt_ok = false;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        let verb = cmd.split_whitespace().next().unwrap_or("").to_string();
        state.commands.lock().unwrap().push(verb);
        if cmd.starts_with("EHLO") {
            // It offers AUTH but not STARTTLS: a client that logs in here sends its
            // password in clear.
            say("250-sink.test")?;
            if state.starttls.load(Ordering::SeqCst) {
                say("250-STARTTLS")?;
            }
            say("250-AUTH PLAIN LOGIN")?;
            say("250 8BITMIME")?;
        } else if cmd.starts_with("HELO")
            || cmd.starts_with("NOOP")
            || cmd.starts_with("MAIL FROM")
            || cmd.starts_with("RSET")
        {
            rcpt_ok = false;
            say("250 OK")?;
        } else if cmd.starts_with("RCPT TO") {
            let refused = state
                .reject_rcpt
                .lock()
                .unwrap()
                .iter()
                .any(|r| cmd.contains(&r.to_ascii_uppercase()));
            if refused {
                say("550 5.1.1 Mailbox unavailable")?;
            } else {
                rcpt_ok = true;
                say("250 OK")?;
            }
        } else if cmd == "DATA" {
            if !rcpt_ok {
                say("554 5.5.1 No valid recipients")?;
                continue;
            }
            say("354 End data with <CR><LF>.<CR><LF>")?;
            let mut msg = String::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    return Ok(()); // client gone mid-message: nothing accepted
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                msg.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            let n = state.fail_4xx.load(Ordering::SeqCst);
            if n > 0 {
                state.fail_4xx.store(n - 1, Ordering::SeqCst);
                say("451 4.3.0 Try again later")?;
            } else {
                state.messages.lock().unwrap().push(msg);
                let delay = state.delay_250_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    std::thread::sleep(std::time::Duration::from_millis(delay));
                }
                say("250 OK queued")?;
            }
        } else if cmd == "STARTTLS" && state.starttls.load(Ordering::SeqCst) {
            say("220 2.0.0 Ready to start TLS")?;
            // What follows is a TLS ClientHello this sink cannot answer.
            return Ok(());
        } else if cmd.starts_with("QUIT") {
            say("221 Bye")?;
            return Ok(());
        } else {
            say("502 5.5.2 Command not implemented")?;
        }
    }
}

/// Starts a sink on `port` (0: any free port); returns its state and port.
pub fn start(port: u16) -> (Arc<State>, u16) {
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind SMTP sink");
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(State::default());
    let s = state.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let s = s.clone();
            s.connections.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || serve(stream, s));
        }
    });
    (state, port)
}

/// A port that nothing listens on (just now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of a header in a raw message.
pub fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    msg.lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim())
}
