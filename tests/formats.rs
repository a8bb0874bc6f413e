//! Feeds in every format, and the usual breakage, through the real binary over HTTP.
//! Each broken feed is repaired or gives a logged error; the others are never affected.

mod common;

use common::{src, Env};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const RSS091: &str = r#"<?xml version="1.0"?>
<rss version="0.91"><channel><title>Le Courrier</title><link>https://courrier.example.org</link><description>x</description><language>fr</language>
<item><title>MyTax : la déclaration simplifiée arrive</title><link>https://courrier.example.org/a1</link><description>Le SPF Impôts envoie les propositions de déclaration simplifiée cette semaine.</description></item>
</channel></rss>"#;

const RSS1: &str = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://krant.example.org"><title>De Krant</title><link>https://krant.example.org</link><description>x</description></channel>
<item rdf:about="https://krant.example.org/b1"><title>FOD Belastingen verlengt de termijn voor de aangifte</title><link>https://krant.example.org/b1</link><description>De FOD Belastingen geeft burgers twee weken extra om hun aangifte in te dienen via MyTax.</description><dc:date>2026-11-23T09:00:00Z</dc:date><dc:language>nl</dc:language></item>
</rdf:RDF>"#;

const RSS2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Brussels Daily</title><link>https://daily.example.org</link><description>x</description><language>en</language>
<item><title>Federal Tax Service warns of refund scam</title><link>https://daily.example.org/c1</link><guid>c1</guid><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[<p>The <b>Federal Tax Service</b> says text messages promising a refund are a scam.</p>]]></description></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de"><title>Grenzecho</title><id>urn:x</id><updated>2026-11-23T10:00:00Z</updated>
<entry><title>FÖD Steuern: MyTax wieder erreichbar</title><id>urn:grenzecho:d1</id><link href="https://grenzecho.example.org/d1"/><updated>2026-11-23T10:00:00Z</updated><summary type="html">&lt;p&gt;Nach der Störung ist die Plattform MyTax des FÖD Steuern wieder erreichbar.&lt;/p&gt;</summary></entry>
</feed>"#;

const JSONFEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Blog","home_page_url":"https://blog.example.org","language":"fr",
"items":[{"id":"e1","url":"https://blog.example.org/e1","title":"Rembourser ses impôts: le SPF Impôts répond","content_html":"<p>Le <i>SPF Impôts</i> répond aux questions sur les remboursements.</p>","date_published":"2026-11-23T11:00:00Z"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_yields_its_mentions_with_clean_text_and_language() {
    let server = MockServer::start().await;
    let feeds = [
        ("rss091", RSS091, "application/rss+xml"),
        ("rss1", RSS1, "application/rdf+xml"),
        ("rss2", RSS2, "application/rss+xml"),
        ("atom", ATOM, "application/atom+xml"),
        ("json", JSONFEED, "application/feed+json"),
    ];
    for (name, body, ct) in feeds {
        Mock::given(path(format!("/{name}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, ct))
            .mount(&server)
            .await;
    }
    let sources: Vec<_> = feeds
        .iter()
        .map(|(n, _, _)| src(n, format!("{}/{n}", server.uri())))
        .collect();
    let env = Env::new(&sources, "");
    let m = tokio::task::spawn_blocking(move || {
        let logs = env.run_once();
        assert!(!logs.contains("ERROR"), "{logs}");
        env.mentions()
    })
    .await
    .unwrap();
    assert_eq!(m.len(), 5, "{m:#?}");
    let by_source = |s: &str| {
        m.iter()
            .find(|x| x["source"] == s)
            .unwrap_or_else(|| panic!("no mention from {s}"))
    };
    assert_eq!(by_source("rss091")["lang"], "fr");
    assert_eq!(by_source("rss1")["lang"], "nl");
    assert_eq!(by_source("rss2")["lang"], "en");
    assert_eq!(by_source("atom")["lang"], "de");
    assert_eq!(by_source("json")["lang"], "fr");
    assert_eq!(
        by_source("rss2")["text"],
        "The Federal Tax Service says text messages promising a refund are a scam."
    );
    assert_eq!(
        by_source("atom")["text"],
        "Nach der Störung ist die Plattform MyTax des FÖD Steuern wieder erreichbar."
    );
    assert_eq!(by_source("json")["url"], "https://blog.example.org/e1");
    assert_eq!(by_source("rss1")["published_at"], "2026-11-23T09:00:00Z");
}

fn broken() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let ok_item = "<item><title>MyTax en panne</title><link>https://x.example.org/1</link><description>Le SPF Impôts confirme.</description></item>";
    let mut latin1 = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://l.example.org</link><description>d</description><item><title>MyTax: d\xe9claration et r\xe9ponse du SPF Imp\xf4ts</title><link>https://l.example.org/1</link></item></channel></rss>".to_vec();
    latin1.push(b'\n');
    vec![
        (
            "bare-ampersand",
            format!("<rss version=\"2.0\"><channel><title>Tom & Jerry</title><link>https://a.example.org</link><description>a & b</description>{}<item><title>MyTax & le SPF Impôts</title><link>https://a.example.org/2?x=1&y=2</link></item></channel></rss>", ok_item).into_bytes(),
            "repaired",
        ),
        (
            "html-entities",
            "<rss version=\"2.0\"><channel><title>t</title><link>https://e.example.org</link><description>d</description><item><title>MyTax&nbsp;: d&eacute;claration</title><link>https://e.example.org/1</link></item></channel></rss>".as_bytes().to_vec(),
            "ok",
        ),
        (
            "wrong-version",
            format!("<rss version=\"3.7\"><channel><title>t</title><link>https://v.example.org</link><description>d</description>{ok_item}</channel></rss>").into_bytes(),
            "repaired",
        ),
        (
            "truncated",
            format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>https://t.example.org</link><description>d</description>{ok_item}<item><title>MyTax seco").into_bytes(),
            "repaired",
        ),
        ("wrong-encoding", latin1, "repaired"),
        (
            "html-page",
            b"<!DOCTYPE html><html><head><title>News</title><link rel=\"alternate\" type=\"application/rss+xml\" href=\"https://h.example.org/rss.xml\"></head><body>MyTax</body></html>".to_vec(),
            "error",
        ),
        ("empty", Vec::new(), "error"),
        ("garbage", b"\x00\x01\x02 not xml at all {".to_vec(), "error"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_feeds_are_repaired_or_reported_and_never_stop_the_daemon() {
    let server = MockServer::start().await;
    let cases = broken();
    for (name, body, _) in &cases {
        Mock::given(path(format!("/{name}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body.clone(), "application/rss+xml"),
            )
            .mount(&server)
            .await;
    }
    Mock::given(path("/good"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(common::rss("good", 2), "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let mut sources: Vec<_> = cases
        .iter()
        .map(|(n, _, _)| src(n, format!("{}/{n}", server.uri())))
        .collect();
    sources.push(src("good", format!("{}/good", server.uri())));
    let env = Env::new(&sources, "");
    let (logs, m) = tokio::task::spawn_blocking(move || {
        let logs = env.run_once();
        (logs, env.mentions())
    })
    .await
    .unwrap();
    let count = |s: &str| {
        m.iter()
            .filter(|x| x["sources"].as_array().unwrap().iter().any(|v| v == s))
            .count()
    };
    assert_eq!(
        count("good"),
        2,
        "a broken neighbour must not affect a good feed"
    );
    for (name, _, outcome) in &cases {
        let line = logs
            .lines()
            .filter(|l| l.contains(&format!("source=\"{name}\"")))
            .collect::<Vec<_>>()
            .join("\n");
        match *outcome {
            "repaired" => {
                assert!(line.contains("malformed feed repaired"), "{name}: {line}");
                assert!(
                    count(name) >= 1,
                    "{name} should yield its items after repair:\n{logs}"
                );
            }
            "ok" => assert!(count(name) >= 1, "{name}:\n{logs}"),
            _ => {
                assert!(line.contains("poll failed"), "{name}: {line}");
                assert_eq!(count(name), 0);
            }
        }
    }
    assert!(
        logs.contains("https://h.example.org/rss.xml"),
        "the HTML page's feed link is suggested:\n{logs}"
    );
    let latin = m.iter().find(|x| x["source"] == "wrong-encoding").unwrap();
    assert_eq!(
        latin["title"],
        "MyTax: déclaration et réponse du SPF Impôts"
    );
    let ent = m.iter().find(|x| x["source"] == "html-entities").unwrap();
    assert_eq!(ent["title"], "MyTax : déclaration");
}
