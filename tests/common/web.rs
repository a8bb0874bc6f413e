//! The escalation page on port 0 over a real database, with users and escalations made
//! through the library, for HTTP and browser tests.

use chrono::{Duration, Utc};
use tokio_util::sync::CancellationToken;
use vigie::classify::{Output, Sentiment, SentimentLabel};
use vigie::config::Config;
use vigie::core::model::NewMention;
use vigie::escalate::open::Opening;
use vigie::store::Store;
use vigie::web::users::Role;

pub const PASSWORD: &str = "correct horse battery staple";

pub const KNOWLEDGE: &str = r#"
[[claims]]
id = "myminfin-outage"
kind = "faq"
match = ["MyMinfin AND (panne OR storing OR down OR inaccessible OR plat)"]
url = "https://finances.belgium.be/fr/myminfin-statut"
[claims.answer]
fr = "MyMinfin est temporairement indisponible. Le délai de dépôt est prolongé ; suivez l'état du service sur notre site."
nl = "MyMinfin is tijdelijk onbeschikbaar. De indieningstermijn wordt verlengd; volg de status op onze website."
en = "MyMinfin is temporarily unavailable. The filing deadline is extended; follow the service status on our website."
"#;

/// A running page.
pub struct WebApp {
    pub base: String,
    pub store: Store,
    pub cfg: Config,
    pub dir: tempfile::TempDir,
    shutdown: CancellationToken,
}

impl Drop for WebApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Config text for a page over `url`, with `extra` appended.
pub fn config_text(url: &str, extra: &str) -> String {
    format!(
        r#"
[institution]
name = "SPF Finances"
keywords = ["SPF Finances", "MyMinfin"]

[storage]
url = "{url}"

[[sources]]
kind = "rss"
name = "inbox"
url = "file://inbox.xml"
every = "5m"

[[topics]]
id = "outage"
labels = {{ fr = "Panne", nl = "Storing", en = "Outage" }}

[signals]
knowledge = "knowledge.toml"

[web]
listen = "127.0.0.1:0"
{extra}
"#
    )
}

/// Starts the page over a fresh SQLite file, or over `url` when given.
pub async fn start(url: Option<&str>, extra: &str) -> WebApp {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("vigie=info")
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("knowledge.toml"), KNOWLEDGE).unwrap();
    let url = url.unwrap_or("sqlite://vigie.db").to_string();
    let path = dir.path().join("vigie.toml");
    let text = config_text(&url, extra);
    std::fs::write(&path, &text).unwrap();
    let cfg = Config::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&cfg.storage.url, dir.path()).await.unwrap();
    let page = cfg.page();
    let state = vigie::web::AppState::new(page, store.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    tokio::spawn(vigie::web::serve(listener, state, shutdown.clone()));
    WebApp {
        base,
        store,
        cfg,
        dir,
        shutdown,
    }
}

impl WebApp {
    /// Adds a user with [`PASSWORD`].
    pub async fn user(&self, email: &str, role: Role, lang: &str) {
        vigie::web::users::put_user(&self.store, email, role, lang, PASSWORD, Utc::now())
            .await
            .unwrap();
    }

    /// Stores one mention and opens an escalation for it; returns (escalation, mention).
    pub async fn escalation(
        &self,
        key: &str,
        text: &str,
        lang: &str,
        severity: &str,
        formal: bool,
    ) -> (i64, i64) {
        let m = NewMention {
            keys: vec![key.into()],
            source: "inbox".into(),
            url: Some(format!("https://social.example/{key}")),
            title: text.chars().take(60).collect(),
            text: text.into(),
            author: Some("Marie Dupont".into()),
            reach: Some(120),
            published_at: Some(Utc::now() - Duration::minutes(30)),
            lang: lang.into(),
            lang_confidence: 0.9,
            matched: vec!["MyMinfin".into()],
            ..NewMention::default()
        };
        self.open(m, key, severity, formal).await
    }

    /// A private message sent to the institution (`direct`), with its escalation.
    pub async fn direct_message(&self, key: &str, text: &str) -> (i64, i64) {
        let m = NewMention {
            keys: vec![key.into()],
            source: "dm".into(),
            title: text.chars().take(60).collect(),
            text: text.into(),
            author: Some("Marie Dupont".into()),
            published_at: Some(Utc::now() - Duration::minutes(30)),
            lang: "fr".into(),
            lang_confidence: 0.9,
            direct: true,
            ..NewMention::default()
        };
        self.open(m, key, "info", false).await
    }

    async fn open(&self, m: NewMention, key: &str, severity: &str, formal: bool) -> (i64, i64) {
        let text = m.text.clone();
        let id = self.store.ingest(&[m], Utc::now()).await.unwrap()[0].id;
        self.store
            .save_classifications(
                &[(
                    id,
                    Output {
                        sentiment: Sentiment {
                            label: SentimentLabel::Negative,
                            score: 0.8,
                        },
                        topics: vec![],
                    },
                )],
                "test",
                Utc::now(),
            )
            .await
            .unwrap();
        let detector = vigie::escalate::formal::Detector::new();
        let o = Opening {
            severity: severity.into(),
            topic: Some("outage".into()),
            reason: format!("question addressed to @SPFFinances ({key})"),
            mention_ids: vec![id],
            formal: formal.then(|| detector.identify(&text)),
            dedup_key: Some(format!("mention:{id}")),
        };
        let stage =
            vigie::escalate::stage::Escalate::new(self.cfg.escalation.clone(), self.cfg.tz());
        let e = stage
            .open(&self.store, &o, Utc::now())
            .await
            .unwrap()
            .unwrap();
        (e, id)
    }

    /// A client that keeps cookies and does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Logs `client` in; returns the response to the login POST.
    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = client
            .get(format!("{}/login", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf").expect("login form has a csrf field");
        client
            .post(format!("{}/login", self.base))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}
