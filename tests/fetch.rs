//! The watch loop through the real binary against a local HTTP server:
//! conditional GET, Retry-After, timeouts, body cap, dedup across feeds.

mod common;

use std::time::{Duration, Instant};

use common::{rss, src, Env};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn run_once(env: &Env) -> String {
    let cfg = env.config.clone();
    let out = tokio::task::spawn_blocking(move || {
        common::vigie_cmd()
            .args(["run", "--config", cfg.to_str().unwrap(), "--once"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let logs = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "run --once failed: {logs}");
    logs
}

async fn mentions(env: &Env) -> Vec<serde_json::Value> {
    let cfg = env.config.clone();
    tokio::task::spawn_blocking(move || {
        let out = common::vigie_cmd()
            .args(["mentions", "--config", cfg.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        common::json_lines(&out)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_is_honoured_and_second_poll_transfers_no_body() {
    let server = MockServer::start().await;
    let body = rss("e", 3);
    // With the validator: 304, no body.
    Mock::given(method("GET"))
        .and(path("/feed"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"v1\""))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .insert_header("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT")
                .set_body_raw(body, "application/rss+xml"),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let env = Env::new(&[src("news", format!("{}/feed", server.uri()))], "");
    run_once(&env).await;
    assert_eq!(mentions(&env).await.len(), 3);
    let logs = run_once(&env).await;
    assert!(logs.contains("not_modified=true"), "{logs}");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].headers.get("if-none-match").is_none());
    assert_eq!(reqs[1].headers.get("if-none-match").unwrap(), "\"v1\"");
    assert_eq!(
        reqs[1].headers.get("if-modified-since").unwrap(),
        "Mon, 23 Nov 2026 10:00:00 GMT"
    );
    let ua = reqs[0].headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(
        ua.starts_with("vigie/") && ua.contains("mailto:comms@example.org"),
        "{ua}"
    );
    assert_eq!(
        mentions(&env).await.len(),
        3,
        "304 must not add or remove anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_with_retry_after_is_respected() {
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    // Another server (another port): another host, which the wait does not hold.
    let other = MockServer::start().await;
    Mock::given(path("/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rss("ok", 2), "application/rss+xml"))
        .mount(&other)
        .await;
    let env = Env::new(
        &[
            src("limited", format!("{}/limited", server.uri())),
            src("ok", format!("{}/ok", other.uri())),
        ],
        "",
    );
    let logs = run_once(&env).await;
    assert!(logs.contains("slow down"), "{logs}");
    // Second round: the limited source is left alone; the other host is polled again.
    let logs = run_once(&env).await;
    assert!(
        logs.contains("skipped: the server asked us to wait"),
        "{logs}"
    );
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(other.received_requests().await.unwrap().len(), 2);
    assert_eq!(mentions(&env).await.len(), 2);
}

/// #17, point 5: a host's wait is kept in the database. A 429 with `Retry-After` met by
/// one source in one run holds back a source of the same host added for the next run,
/// and a daemon started afterwards; the requests are counted under the host in
/// `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosts_wait_holds_its_other_sources_after_a_restart() {
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    Mock::given(path("/other"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rss("o", 2), "application/rss+xml"))
        .mount(&server)
        .await;
    let env = Env::new(&[src("limited", format!("{}/limited", server.uri()))], "");
    let logs = run_once(&env).await;
    assert!(logs.contains("slow down"), "{logs}");
    // The same store, one more source on that host.
    let config = std::fs::read_to_string(&env.config).unwrap();
    let other = format!(
        "[[sources]]\nname = \"other\"\nkind = \"rss\"\nurl = \"{}/other\"\nevery = \"1m\"\n\n",
        server.uri()
    );
    std::fs::write(&env.config, format!("{other}{config}")).unwrap();
    let logs = run_once(&env).await;
    assert!(
        logs.contains("skipped: its host asked us to wait"),
        "{logs}"
    );
    // The daemon, started after that: a minute is not up, the host is still held.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &env.config,
        format!("[web]\nlisten = \"127.0.0.1:{port}\"\nmetrics_token_env = \"VIGIE_TEST_HOSTS_TOKEN\"\n\n{config}"),
    )
    .unwrap();
    let mut daemon = common::vigie_cmd()
        .args(["run", "--config", env.config.to_str().unwrap()])
        .env("VIGIE_TEST_HOSTS_TOKEN", "hosts-token")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let metrics = format!("http://127.0.0.1:{port}/metrics");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut body = String::new();
    while Instant::now() < deadline {
        let client = reqwest::Client::new();
        if let Ok(r) = client.get(&metrics).bearer_auth("hosts-token").send().await {
            body = r.text().await.unwrap_or_default();
            if body.contains("vigie_host_requests") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    common::flow::sigterm(&daemon);
    assert!(daemon.wait().unwrap().success());
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "only the first 429: {reqs:?}");
    let host = server.uri().trim_start_matches("http://").to_string();
    assert!(
        body.contains(&format!("vigie_host_requests{{host=\"{host}\"}} 1"))
            && body.contains(&format!("vigie_host_rate_limited{{host=\"{host}\"}} 1")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_server_times_out_without_blocking_others() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(rss("slow", 1), "application/rss+xml")
                .set_delay(Duration::from_secs(60)),
        )
        .mount(&server)
        .await;
    Mock::given(path("/fast"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(rss("fast", 4), "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let env = Env::new(
        &[
            src("slow", format!("{}/slow", server.uri())),
            src("fast", format!("{}/fast", server.uri())),
        ],
        "[fetch]\ntimeout = \"2s\"\n",
    );
    let t = Instant::now();
    let logs = run_once(&env).await;
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    assert!(logs.contains("timed out"), "{logs}");
    let m = mentions(&env).await;
    assert_eq!(m.len(), 4);
    assert!(m.iter().all(|m| m["source"] == "fast"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_body_is_refused() {
    let server = MockServer::start().await;
    let mut huge = rss("big", 1).into_bytes();
    huge.resize(50 * 1024 * 1024, b' ');
    Mock::given(path("/huge"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/rss+xml"))
        .mount(&server)
        .await;
    Mock::given(path("/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rss("ok", 1), "application/rss+xml"))
        .mount(&server)
        .await;
    let env = Env::new(
        &[
            src("huge", format!("{}/huge", server.uri())),
            src("ok", format!("{}/ok", server.uri())),
        ],
        "",
    );
    let logs = run_once(&env).await;
    assert!(logs.contains("body larger than 10485760 bytes"), "{logs}");
    let m = mentions(&env).await;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["source"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_article_in_two_feeds_and_republished_is_one_mention() {
    let server = MockServer::start().await;
    let a = r#"<rss version="2.0"><channel><title>A</title><link>https://a.example.org</link><description>x</description>
<item><title>MyTax en panne</title><link>https://news.example.org/mytax-panne?utm_source=a#top</link><guid>a-1</guid><description>Le SPF Impôts confirme une panne.</description><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>
</channel></rss>"#;
    // Feed B carries the same article (other tracking, trailing slash), no guid, new date.
    let b = r#"<rss version="2.0"><channel><title>B</title><link>https://b.example.org</link><description>x</description>
<item><title>MyTax en panne (mise à jour)</title><link>http://www.news.example.org/mytax-panne/?utm_medium=social&amp;fbclid=123</link><description>Le SPF Impôts confirme une panne.</description><pubDate>Mon, 23 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>"#;
    Mock::given(path("/a"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(a, "application/rss+xml"))
        .mount(&server)
        .await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b, "application/rss+xml"))
        .mount(&server)
        .await;
    let env = Env::new(
        &[
            src("a", format!("{}/a", server.uri())),
            src("b", format!("{}/b", server.uri())),
        ],
        "",
    );
    run_once(&env).await;
    run_once(&env).await;
    let m = mentions(&env).await;
    assert_eq!(m.len(), 1, "{m:#?}");
    let mut sources: Vec<String> = m[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    sources.sort();
    assert_eq!(sources, vec!["a", "b"]);
    assert_eq!(m[0]["url"], "https://news.example.org/mytax-panne");
    assert_eq!(m[0]["lang"], "fr");
    assert_eq!(m[0]["matched"], serde_json::json!(["SPF Impôts", "MyTax"]));
    for key in [
        "id",
        "source",
        "url",
        "title",
        "text",
        "published_at",
        "first_seen_at",
        "lang",
        "matched",
    ] {
        assert!(m[0].get(key).is_some(), "missing {key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_back_off_and_the_daemon_keeps_running() {
    let server = MockServer::start().await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/up"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rss("up", 2), "application/rss+xml"))
        .mount(&server)
        .await;
    let env = Env::new(
        &[
            src("down", format!("{}/down", server.uri())),
            src("up", format!("{}/up", server.uri())),
        ],
        "",
    );
    let logs = run_once(&env).await;
    assert!(logs.contains("HTTP 500"), "{logs}");
    assert_eq!(mentions(&env).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_are_asked_for_and_decoded() {
    use std::io::Write;
    let server = MockServer::start().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(rss("gz", 3).as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    Mock::given(path("/gz"))
        .and(wiremock::matchers::header_regex("accept-encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(body, "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let env = Env::new(&[src("gz", format!("{}/gz", server.uri()))], "");
    run_once(&env).await;
    assert_eq!(mentions(&env).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_holds_back_the_other_sources_of_the_same_host() {
    let server = MockServer::start().await;
    for p in ["/one", "/two", "/three"] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "600"))
            .mount(&server)
            .await;
    }
    let env = Env::new(
        &[
            src("one", format!("{}/one", server.uri())),
            src("two", format!("{}/two", server.uri())),
            src("three", format!("{}/three", server.uri())),
        ],
        "",
    );
    let logs = run_once(&env).await;
    // Whichever source of the host goes first gets the 429; the host is then left alone.
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1, "{logs}");
    assert_eq!(
        logs.matches("skipped: its host asked us to wait").count(),
        2,
        "{logs}"
    );
}

/// Regression (#14, point 4): a feed answering `302 Location: http://127.0.0.1:PORT/admin`
/// was followed, and the internal page stored as a mention. The feeds are named by a
/// host that is not local (pinned to the test server, as an operator would pin a name
/// their DNS does not know), so only the redirect target is local: by a literal address
/// and by a name (`localhost`) that resolves to one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_local_addresses_are_refused() {
    let internal = MockServer::start().await;
    Mock::given(path("/admin"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(rss("internal", 2), "application/rss+xml"),
        )
        .mount(&internal)
        .await;
    let port = internal.address().port();
    let feeds = MockServer::start().await;
    for (p, to) in [
        ("/literal", format!("http://127.0.0.1:{port}/admin")),
        ("/named", format!("http://localhost:{port}/admin")),
        ("/moved", "/feed".to_string()),
    ] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(302).insert_header("location", to.as_str()))
            .mount(&feeds)
            .await;
    }
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rss("ok", 1), "application/rss+xml"))
        .mount(&feeds)
        .await;
    let base = format!("http://feeds.example.org:{}", feeds.address().port());
    let sources = [
        src("literal", format!("{base}/literal")),
        src("named", format!("{base}/named")),
        src("moved", format!("{base}/moved")),
    ];
    let fetch = "[fetch]\ncontact = \"mailto:comms@example.org\"\nresolve = { \"feeds.example.org\" = \"127.0.0.1\" }\n";
    let env = Env::new(&sources, fetch);
    let logs = run_once(&env).await;
    assert_eq!(
        internal.received_requests().await.unwrap().len(),
        0,
        "the internal server was reached: {logs}"
    );
    assert!(logs.contains("refused: 127.0.0.1"), "{logs}");
    assert!(logs.contains("refused: localhost"), "{logs}");
    // A redirect within the feed's own host is followed as before.
    let m = mentions(&env).await;
    assert_eq!(m.len(), 1, "{m:#?}");
    assert_eq!(m[0]["source"], "moved");
    // The same feeds with `allow_private` (intranet feeds) do reach it: the check above
    // would see a hit.
    let open = Env::new(&sources, &format!("{fetch}allow_private = true\n"));
    run_once(&open).await;
    assert_eq!(internal.received_requests().await.unwrap().len(), 2);
    assert_eq!(mentions(&open).await.len(), 3);
}

/// Regression (#14, point 9): a 100,000-item feed was taken in one poll (58 s). At most
/// `[fetch] max_items` are, with a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_beyond_max_items_are_ignored_with_a_warning() {
    let server = MockServer::start().await;
    Mock::given(path("/many"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(rss("many", 30), "application/rss+xml"),
        )
        .mount(&server)
        .await;
    let env = Env::new(
        &[src("many", format!("{}/many", server.uri()))],
        "[fetch]\nmax_items = 10\n",
    );
    let logs = run_once(&env).await;
    assert!(
        logs.contains("more items than [fetch] max_items") && logs.contains("ignored=20"),
        "{logs}"
    );
    let m = mentions(&env).await;
    assert_eq!(m.len(), 10);
    // The first ones (a feed lists its newest first).
    assert!(m.iter().any(|m| m["title"] == "MyTax article many 0"));
    assert!(!m.iter().any(|m| m["title"] == "MyTax article many 10"));
}

/// An institution that goes out through a forward proxy sets HTTP(S)_PROXY: the feed's
/// host is never resolved here, the request goes to the proxy (README, "Mirrors and
/// proxies").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_go_through_the_proxy_named_in_the_environment() {
    let proxy = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(rss("p", 2), "application/rss+xml"))
        .expect(1)
        .mount(&proxy)
        .await;
    let env = Env::new(
        &[src("far", "http://feeds.vigie-proxy-test.invalid/feed")],
        "",
    );
    let cfg = env.config.clone();
    let proxy_url = proxy.uri();
    let out = tokio::task::spawn_blocking(move || {
        common::vigie_cmd()
            .env("HTTP_PROXY", &proxy_url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .args(["run", "--config", cfg.to_str().unwrap(), "--once"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mentions(&env).await.len(), 2);
    let seen = proxy.received_requests().await.unwrap();
    let host = seen[0]
        .headers
        .get("host")
        .map(|h| h.to_str().unwrap().to_string());
    assert_eq!(host.as_deref(), Some("feeds.vigie-proxy-test.invalid"));
}
