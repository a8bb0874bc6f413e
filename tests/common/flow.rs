//! The end-to-end scenario of issue 13's acceptance tests, seen only through the binary's
//! documented contracts (config, `vigie run`, and the JSON of `mentions`, `signals`,
//! `escalations`, `outbox`), so the tests outlive any redesign of the inside.
//!
//! One feed carries an outage burst (crisis words, published minutes ago, so it counts as
//! "now"), formal requests (name, postal address and e-mail addressed to the institution)
//! and ordinary mentions. Through the whole flow that gives: mentions, classifications, a
//! `crisis_vocabulary` signal, the escalation for its episode, an alert e-mail to each
//! alert recipient over SMTP, and one escalation per formal request.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{json_lines, smtp, src, vigie_cmd, Env};

/// The alert recipients of the scenario (both also get the digest).
pub const RECIPIENTS: [&str; 2] = ["comms@example.org", "woordvoerder@example.org"];

/// Crisis posts in the burst.
pub const BURST: usize = 8;

const CRISIS: [&str; 6] = [
    "MyTax est en panne, impossible de déposer ma déclaration, c'est honteux",
    "MyTax ligt plat, storing op de laatste dag van de aangifte",
    "Encore une panne de MyTax le jour de la date limite !",
    "MyTax is down again on deadline day, terrible outage",
    "Storing bij MyTax, niemand kan zijn aangifte indienen",
    "Panne MyTax : le SPF Impôts ne répond pas",
];

/// People who send formal requests (first and last name).
const PEOPLE: [(&str, &str); 8] = [
    ("Marie", "Dupont"),
    ("Jan", "Peeters"),
    ("Sophie", "Martin"),
    ("Luc", "Janssens"),
    ("Emma", "Lambert"),
    ("Thomas", "Jacobs"),
    ("Julie", "Maes"),
    ("Lucas", "Claes"),
];

/// A formal request: name, postal address and e-mail, addressed to the institution.
fn formal(i: usize) -> String {
    let (first, last) = PEOPLE[i % PEOPLE.len()];
    format!(
        "Bonjour SPF Impôts, je m'appelle {first} {last}, j'habite {} rue de la Loi, 1000 Bruxelles. Je demande le réexamen de mon avertissement-extrait de rôle numéro {i}. Mon e-mail : {}.{}{i}@example.be",
        i + 1,
        first.to_lowercase(),
        last.to_lowercase()
    )
}

/// The scenario's feed: the burst and `formal` formal requests (each from someone else)
/// published in the last minutes, and `calm` ordinary mentions without a date (they give
/// fetching and classification some length; undated, they count when first seen, as the
/// burst does, so there is no older history for a volume spike to stand out against). `tag` keeps ids apart.
pub fn feed(tag: &str, formal_requests: usize, calm: usize) -> String {
    let now = chrono::Utc::now();
    let date = |mins: i64| (now - chrono::Duration::minutes(mins)).to_rfc2822();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Posts</title><link>https://posts.example.org</link><description>x</description>\n");
    for i in 0..BURST {
        s.push_str(&format!(
            "<item><title>{}</title><link>https://posts.example.org/{tag}/crisis/{i}</link><guid>{tag}-crisis-{i}</guid><pubDate>{}</pubDate></item>\n",
            format_args!("{} ({tag} {i})", CRISIS[i % CRISIS.len()]),
            date(1 + i as i64)
        ));
    }
    for i in 0..formal_requests {
        s.push_str(&format!(
            "<item><title>Demande de réexamen {i}</title><link>https://inbox.example.org/{tag}/m{i}</link><guid>{tag}-formal-{i}</guid><description>{}</description><pubDate>{}</pubDate></item>\n",
            formal(i),
            date(3)
        ));
    }
    for i in 0..calm {
        s.push_str(&format!(
            "<item><title>MyTax : nouvelle fonction {tag} {i}</title><link>https://posts.example.org/{tag}/calm/{i}</link><guid>{tag}-calm-{i}</guid><description>Le SPF Impôts présente la fonction {i} de MyTax pour la déclaration de cette année.</description></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// How the scenario's config is set up.
pub struct Setup {
    /// `[storage] url`; None: the default SQLite file beside the config.
    pub storage: Option<String>,
    /// Schedule the daily digest so that it is already due when the daemon starts.
    pub digest: bool,
    /// `every` of the feed.
    pub every: &'static str,
    /// Write the feed now (false: [`Scenario::write_feed`] later).
    pub feed_now: bool,
    /// `[smtp] lease`.
    pub lease: &'static str,
    /// Formal requests in the feed (each opens its own escalation).
    pub formal: usize,
    /// Ordinary (old) mentions in the feed beside the burst and the formal requests.
    pub calm: usize,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            storage: None,
            digest: false,
            every: "1m",
            feed_now: true,
            lease: "2s",
            formal: 1,
            calm: 4,
        }
    }
}

/// A vigie installation with the scenario's config, and the SMTP sink it sends to.
pub struct Scenario {
    pub env: Env,
    pub sink: Arc<smtp::State>,
    pub port: u16,
    /// Formal requests in the feed.
    pub formal: usize,
    /// Ordinary mentions in the feed.
    pub calm: usize,
}

impl Scenario {
    /// A new sink on a free port and a config pointing at it.
    pub fn new(setup: Setup) -> Scenario {
        let (sink, port) = smtp::start(0);
        Scenario::with_sink(setup, sink, port)
    }

    /// A config sending to an existing sink.
    pub fn with_sink(setup: Setup, sink: Arc<smtp::State>, port: u16) -> Scenario {
        let digest = if setup.digest {
            // Due since midnight UTC: the first round of the day queues it.
            "[digest]\nenabled = true\nat = \"00:00\"\ntimezone = \"UTC\"\n"
        } else {
            "[digest]\nenabled = false\n"
        };
        let lease = setup.lease;
        let extra = format!(
            r#"
[smtp]
url = "smtp://127.0.0.1:{port}?tls=none"
from = "vigie <vigie@example.org>"
lease = "{lease}"
retry_base = "1s"
retry_max = "2s"

[[recipients]]
name = "Cellule communication"
email = "{}"
language = "fr"
alerts = true
digest = true

[[recipients]]
name = "Woordvoerder"
email = "{}"
language = "nl"
alerts = true
digest = true

{digest}
[alerts]
group_wait = "0s"

[escalation]
country = "BE"
working_hours = "08:00-17:00"

# The scenario's feed is taken whole in one poll.
[fetch]
contact = "mailto:comms@example.org"
max_items = 5000
"#,
            RECIPIENTS[0], RECIPIENTS[1]
        );
        let mut posts = src("posts", "file://posts.xml");
        posts.every = setup.every;
        let env = Env::new(&[posts], &extra);
        if let Some(url) = &setup.storage {
            let cfg = std::fs::read_to_string(&env.config)
                .unwrap()
                .replace("url = \"sqlite://vigie.db\"", &format!("url = \"{url}\""));
            std::fs::write(&env.config, cfg).unwrap();
        }
        let s = Scenario {
            env,
            sink,
            port,
            formal: setup.formal,
            calm: setup.calm,
        };
        if setup.feed_now {
            s.write_feed();
        }
        s
    }

    /// Writes (or rewrites) the scenario's feed with fresh publication times.
    pub fn write_feed(&self) {
        let tmp = self.env.path().join("posts.xml.tmp");
        std::fs::write(&tmp, feed("s", self.formal, self.calm)).unwrap();
        std::fs::rename(&tmp, self.env.path().join("posts.xml")).unwrap();
    }

    pub fn config(&self) -> &str {
        self.env.config.to_str().unwrap()
    }

    /// `vigie run --config F` in the background, logs to `log` (a file in the env) or nowhere.
    pub fn spawn_daemon(&self, log: Option<&str>) -> Child {
        let stderr = match log {
            Some(name) => Stdio::from(std::fs::File::create(self.env.path().join(name)).unwrap()),
            None => Stdio::null(),
        };
        vigie_cmd()
            .args(["run", "--config", self.config()])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("spawning vigie run")
    }

    /// A log file written by [`Scenario::spawn_daemon`].
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.env.path().join(name)).unwrap_or_default()
    }

    /// How many mentions the scenario stores: the burst, the formal requests, the calm ones.
    pub fn mentions(&self) -> usize {
        BURST + self.formal + self.calm
    }

    /// `vigie run --config F --once`.
    pub fn run_once(&self) -> String {
        self.env.run_once()
    }

    fn list(&self, cmd: &str) -> Vec<Value> {
        json_lines(&self.env.vigie(&[cmd, "--config", self.config(), "--json"]))
    }

    /// The database as the CLI shows it, and what the sink received.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            expected: self.mentions(),
            formal: self.formal,
            mentions: self.list("mentions"),
            signals: self.list("signals"),
            escalations: self.list("escalations"),
            outbox: self.list("outbox"),
            received: self.sink.messages.lock().unwrap().clone(),
        }
    }

    /// Polls the snapshot until `done` holds or `secs` pass; returns the last snapshot.
    pub fn wait_for(&self, secs: u64, mut done: impl FnMut(&Snapshot) -> bool) -> Snapshot {
        let t = Instant::now();
        loop {
            let s = self.snapshot();
            if done(&s) || t.elapsed() > Duration::from_secs(secs) {
                return s;
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

/// A piece of work the flow has begun and not finished, as seen from outside; a kill is
/// told apart by the ones under way at that moment (several run at once: detection and
/// e-mail start while classification goes on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Nothing stored yet (starting, or fetching: a poll's mentions are stored at once).
    NothingStored,
    /// Mentions stored, some not classified yet.
    Classifying,
    /// A formal request classified whose escalation is not open (yet).
    ClassifiedNotEscalated,
    /// The burst classified, its crisis signal not raised yet.
    Detecting,
    /// The crisis signal raised, its escalation not open yet.
    SignalNotEscalated,
    /// A signal escalation open, alert e-mails not queued for every recipient yet.
    EscalatedNotQueued,
    /// E-mails queued and not sent yet (none accepted by the server unbeknown to us).
    Sending,
    /// The server accepted an e-mail our outbox does not show as sent.
    AcceptedNotBooked,
    /// Nothing under way: the scenario has run its course.
    Done,
}

/// What the CLI and the sink show at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Mentions the scenario stores when complete.
    pub expected: usize,
    /// Formal requests among them.
    pub formal: usize,
    pub mentions: Vec<Value>,
    pub signals: Vec<Value>,
    pub escalations: Vec<Value>,
    pub outbox: Vec<Value>,
    /// Raw messages the sink received, in order.
    pub received: Vec<String>,
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

impl Snapshot {
    /// Mentions that carry a classification (a sentiment).
    pub fn classified(&self) -> usize {
        self.mentions
            .iter()
            .filter(|m| m["sentiment"].is_object())
            .count()
    }

    pub fn formal_escalations(&self) -> usize {
        self.escalations
            .iter()
            .filter(|e| e["formal_request"] == true)
            .count()
    }

    pub fn signal_escalations(&self) -> usize {
        self.escalations
            .iter()
            .filter(|e| e["formal_request"] != true)
            .count()
    }

    pub fn crisis_signals(&self) -> usize {
        self.signals
            .iter()
            .filter(|s| s["kind"] == "crisis_vocabulary")
            .count()
    }

    pub fn outbox_of(&self, kind: &str) -> Vec<&Value> {
        self.outbox.iter().filter(|r| r["kind"] == kind).collect()
    }

    pub fn outbox_in(&self, state: &str) -> usize {
        self.outbox.iter().filter(|r| r["state"] == state).count()
    }

    /// Message-IDs (without angle brackets) the sink received, with how often.
    pub fn received_ids(&self) -> BTreeMap<String, usize> {
        let mut n = BTreeMap::new();
        for m in &self.received {
            let id = smtp::header(m, "Message-ID")
                .unwrap_or("<none>")
                .trim_matches(|c| c == '<' || c == '>')
                .to_string();
            *n.entry(id).or_insert(0) += 1;
        }
        n
    }

    /// Message-IDs received more than once, with the number of extra copies.
    pub fn resends(&self) -> BTreeMap<String, usize> {
        self.received_ids()
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(id, n)| (id, n - 1))
            .collect()
    }

    /// Ids of the mentions whose url contains `part` (the scenario's own urls tell the
    /// burst, `/crisis/`, and the formal requests, `inbox.example.org`, apart).
    fn ids_with(&self, part: &str) -> Vec<i64> {
        self.mentions
            .iter()
            .filter(|m| str_of(m, "url").contains(part))
            .filter_map(|m| m["id"].as_i64())
            .collect()
    }

    fn is_classified(&self, id: i64) -> bool {
        self.mentions
            .iter()
            .any(|m| m["id"].as_i64() == Some(id) && m["sentiment"].is_object())
    }

    /// Formal requests classified but with no formal-request escalation listing them.
    pub fn formal_without_escalation(&self) -> Vec<i64> {
        let escalated: BTreeSet<i64> = self
            .escalations
            .iter()
            .filter(|e| e["formal_request"] == true)
            .flat_map(|e| e["mention_ids"].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_i64())
            .collect();
        self.ids_with("inbox.example.org")
            .into_iter()
            .filter(|id| self.is_classified(*id) && !escalated.contains(id))
            .collect()
    }

    /// The work under way at this moment (`[Done]` when none is).
    pub fn stages(&self) -> Vec<Stage> {
        let mut v = Vec::new();
        if self.mentions.is_empty() {
            v.push(Stage::NothingStored);
        }
        if !self.mentions.is_empty() && self.classified() < self.mentions.len() {
            v.push(Stage::Classifying);
        }
        if !self.formal_without_escalation().is_empty() {
            v.push(Stage::ClassifiedNotEscalated);
        }
        let burst = self.ids_with("/crisis/");
        let burst_done = burst.len() == BURST && burst.iter().all(|id| self.is_classified(*id));
        if burst_done && self.crisis_signals() == 0 {
            v.push(Stage::Detecting);
        }
        if self.crisis_signals() > 0 && self.signal_escalations() == 0 {
            v.push(Stage::SignalNotEscalated);
        }
        let alerts_to: BTreeSet<&str> = self
            .outbox_of("alert")
            .iter()
            .map(|r| str_of(r, "to"))
            .collect();
        if self.signal_escalations() > 0 && !RECIPIENTS.iter().all(|r| alerts_to.contains(r)) {
            v.push(Stage::EscalatedNotQueued);
        }
        let sent: BTreeSet<&str> = self
            .outbox
            .iter()
            .filter(|r| r["state"] == "sent")
            .map(|r| str_of(r, "message_id"))
            .collect();
        if self
            .received_ids()
            .keys()
            .any(|id| !sent.contains(id.as_str()))
        {
            v.push(Stage::AcceptedNotBooked);
        } else if self.outbox.iter().any(|r| r["state"] != "sent") {
            v.push(Stage::Sending);
        }
        if v.is_empty() {
            v.push(Stage::Done);
        }
        v
    }

    /// One line of counts, for the test's output.
    pub fn counts(&self) -> String {
        format!(
            "mentions {} classified {} signals {} escalations {} (formal {}) outbox sent {} queued {} received {}",
            self.mentions.len(),
            self.classified(),
            self.signals.len(),
            self.escalations.len(),
            self.formal_escalations(),
            self.outbox_in("sent"),
            self.outbox.len() - self.outbox_in("sent"),
            self.received.len()
        )
    }

    /// Whether the scenario has run its course: everything stored, classified, signalled,
    /// escalated, alerted and sent (used to know when to stop waiting, not to judge).
    pub fn settled(&self, digests: bool) -> bool {
        let alerts_to: BTreeSet<&str> = self
            .outbox_of("alert")
            .iter()
            .map(|r| str_of(r, "to"))
            .collect();
        let digests_to: BTreeSet<&str> = self
            .outbox_of("digest")
            .iter()
            .map(|r| str_of(r, "to"))
            .collect();
        self.mentions.len() >= self.expected
            && self.classified() >= self.expected
            && self.crisis_signals() > 0
            && self.formal_escalations() >= self.formal
            && self.signal_escalations() > 0
            && RECIPIENTS.iter().all(|r| alerts_to.contains(r))
            && (!digests || RECIPIENTS.iter().all(|r| digests_to.contains(r)))
            && self.outbox.iter().all(|r| r["state"] == "sent")
            && self.received_ids().len() >= self.outbox.len()
    }

    /// Everything that must hold once the scenario has run its course, however many
    /// daemons ran it and however often they were killed. Returns the problems found.
    pub fn problems(&self, digests: bool) -> Vec<String> {
        let mut p = Vec::new();
        // Mentions: each once, each classified.
        if self.mentions.len() != self.expected {
            p.push(format!(
                "{} mentions stored, expected {}",
                self.mentions.len(),
                self.expected
            ));
        }
        let urls: BTreeSet<&str> = self.mentions.iter().map(|m| str_of(m, "url")).collect();
        if urls.len() != self.mentions.len() {
            p.push(format!(
                "{} mentions for {} distinct urls",
                self.mentions.len(),
                urls.len()
            ));
        }
        if self.classified() != self.mentions.len() {
            p.push(format!(
                "{} of {} mentions classified",
                self.classified(),
                self.mentions.len()
            ));
        }
        // Signals: one per episode (kind and group), at least the crisis one.
        let mut episodes: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
        for s in &self.signals {
            episodes
                .entry((str_of(s, "kind").into(), str_of(s, "group_key").into()))
                .or_default()
                .push(s["id"].as_i64().unwrap_or(-1));
        }
        for ((kind, group), ids) in &episodes {
            if ids.len() != 1 {
                p.push(format!(
                    "signal {kind} of episode {group} stored {} times (ids {ids:?})",
                    ids.len()
                ));
            }
        }
        if self.crisis_signals() == 0 {
            p.push("no crisis_vocabulary signal".into());
        }
        // Escalations: one per group of warning/critical signals, one formal request.
        let groups: BTreeSet<&str> = self
            .signals
            .iter()
            .filter(|s| s["severity"] == "warning" || s["severity"] == "critical")
            .map(|s| str_of(s, "group_key"))
            .collect();
        if self.signal_escalations() != groups.len() {
            p.push(format!(
                "{} signal escalations for {} signal episodes ({groups:?})",
                self.signal_escalations(),
                groups.len()
            ));
        }
        let orphans = self.formal_without_escalation();
        if !orphans.is_empty() {
            p.push(format!(
                "{} formal requests classified without an escalation (mention ids {orphans:?})",
                orphans.len()
            ));
        }
        if self.formal_escalations() != self.formal {
            p.push(format!(
                "{} formal-request escalations for {} formal requests",
                self.formal_escalations(),
                self.formal
            ));
        }
        // E-mails: all sent; each alert and digest queued once per recipient (and, for
        // alerts, per subject: one group of signals); each Message-ID received.
        if self.outbox.iter().any(|r| r["state"] != "sent") {
            let states: Vec<String> = self
                .outbox
                .iter()
                .map(|r| format!("{} {} {}", str_of(r, "kind"), str_of(r, "to"), r["state"]))
                .collect();
            p.push(format!("outbox not all sent: {states:?}"));
        }
        for who in RECIPIENTS {
            let alerts = self
                .outbox_of("alert")
                .into_iter()
                .filter(|r| str_of(r, "to") == who)
                .count();
            if alerts != 1 {
                p.push(format!(
                    "{alerts} alert e-mails queued for {who}, expected 1"
                ));
            }
            let digests_n = self
                .outbox_of("digest")
                .into_iter()
                .filter(|r| str_of(r, "to") == who)
                .count();
            let want = usize::from(digests);
            if digests_n != want {
                p.push(format!(
                    "{digests_n} digests queued for {who}, expected {want}"
                ));
            }
        }
        let mut per_group: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for m in &self.received {
            if smtp::header(m, "X-Vigie-Kind") != Some("alert") {
                continue;
            }
            per_group
                .entry((
                    smtp::header(m, "To").unwrap_or("").to_string(),
                    smtp::header(m, "Subject").unwrap_or("").to_string(),
                ))
                .or_default()
                .insert(smtp::header(m, "Message-ID").unwrap_or("").to_string());
        }
        for ((to, subject), ids) in &per_group {
            if ids.len() != 1 {
                p.push(format!(
                    "{} distinct alert e-mails (Message-IDs) to {to} with subject {subject:?}",
                    ids.len()
                ));
            }
        }
        let received = self.received_ids();
        for r in &self.outbox {
            let id = str_of(r, "message_id");
            if !received.contains_key(id) {
                p.push(format!(
                    "{} e-mail to {} ({id}) never reached the server",
                    str_of(r, "kind"),
                    str_of(r, "to")
                ));
            }
        }
        let queued: BTreeSet<&str> = self
            .outbox
            .iter()
            .map(|r| str_of(r, "message_id"))
            .collect();
        for id in received.keys() {
            if !queued.contains(id.as_str()) {
                p.push(format!(
                    "the server got {id}, which the outbox does not list"
                ));
            }
        }
        p
    }
}

/// Sends SIGTERM to a child.
#[cfg(unix)]
pub fn sigterm(child: &Child) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM {}", child.id());
}

/// Waits for a child to exit, at most `limit`; returns how long it took (None: still running).
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(t.elapsed());
        }
        if t.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Stops a daemon: SIGTERM, then SIGKILL if it is still there after `grace`.
#[cfg(unix)]
pub fn stop(child: &mut Child, grace: Duration) {
    sigterm(child);
    if wait_exit(child, grace).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}
