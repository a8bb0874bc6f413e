//! `kind = "webhook"`: the ingest router on its own listener (port 0), posted to concurrently.

mod common;

use std::sync::Arc;

use common::sources::{config, matcher};
use serde_json::{json, Value};
use vigie::core::pipeline::Pipeline;
use vigie::sources::webhook::{router, IngestState};
use vigie::sources::SourceConfig;
use vigie::store::Store;

struct Server {
    url: String,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn serve(max_body_kib: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open("sqlite://vigie.db", dir.path()).await.unwrap();
    serve_on(store, dir, max_body_kib).await
}

async fn serve_on(store: Store, dir: tempfile::TempDir, max_body_kib: usize) -> Server {
    std::env::set_var("VIGIE_TEST_INGEST_X", "x-secret-token");
    std::env::set_var("VIGIE_TEST_INGEST_CRM", "crm-secret-token");
    let cfg = match config(&format!(
        "name = \"push\"\nkind = \"webhook\"\nmax_body_kib = {max_body_kib}\nclients = [{{ name = \"x-export\", token_env = \"VIGIE_TEST_INGEST_X\" }}, {{ name = \"crm\", token_env = \"VIGIE_TEST_INGEST_CRM\" }}]\n"
    ))
    .unwrap()
    {
        SourceConfig::Webhook(c) => c,
        other => panic!("{other:?}"),
    };
    let pipeline = Pipeline::new(matcher(), &["fr".into(), "nl".into(), "en".into()]);
    let notify = Arc::new(tokio::sync::Notify::new());
    let state = IngestState::new(&cfg, store.clone(), pipeline, Some(notify)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    Server {
        url: format!("http://{addr}/ingest"),
        store,
        _dir: dir,
    }
}

fn mention(batch: usize, i: usize) -> Value {
    json!({
        "id": format!("{batch}-{i}"),
        "url": format!("https://x.com/citoyen{i}/status/{batch}{i:04}"),
        "text": format!("Le SPF Finances ne répond pas, message {batch}/{i}"),
        "author": format!("@citoyen{i}"),
        "reach": 120 + i,
        "published_at": "2026-11-24T08:15:00Z",
        "lang": "fr"
    })
}

fn batch(b: usize, n: usize) -> Value {
    json!({ "mentions": (0..n).map(|i| mention(b, i)).collect::<Vec<_>>() })
}

async fn post(url: &str, token: Option<&str>, body: String) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_mentions_posted_concurrently_are_stored_exactly_once() {
    ten_thousand(serve(4096).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_on_postgresql_through_two_instances() {
    let db = common::pg::PgDb::new().await;
    let a = Store::open(&db.url, std::path::Path::new("."))
        .await
        .unwrap();
    let b = Store::open(&db.url, std::path::Path::new("."))
        .await
        .unwrap();
    let sa = serve_on(a, tempfile::tempdir().unwrap(), 4096).await;
    let sb = serve_on(b, tempfile::tempdir().unwrap(), 4096).await;
    // Two vigie instances behind a load balancer, each request sent to both: every
    // mention arrives twice, concurrently, and must be stored once.
    let posts = (0..50).flat_map(|n| {
        [sa.url.clone(), sb.url.clone()].map(|url| async move {
            post(&url, Some("x-secret-token"), batch(n, 100).to_string()).await
        })
    });
    let results = futures::future::join_all(posts).await;
    let mut new = 0;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
        new += body["new"].as_u64().unwrap();
    }
    assert_eq!(new, 5000, "each mention new exactly once");
    assert_eq!(sa.store.count_mentions().await.unwrap(), 5000);
    sa.store.close().await;
    sb.store.close().await;
    db.drop_db().await;
}

async fn ten_thousand(s: Server) {
    let posts = (0..100).map(|b| {
        let url = s.url.clone();
        async move { post(&url, Some("x-secret-token"), batch(b, 100).to_string()).await }
    });
    let results = futures::future::join_all(posts).await;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["new"], 100, "{body}");
    }
    assert_eq!(s.store.count_mentions().await.unwrap(), 10_000);
    // Resending (a client retrying after a timeout) stores nothing twice.
    let resend = (0..10).map(|b| {
        let url = s.url.clone();
        async move { post(&url, Some("x-secret-token"), batch(b, 100).to_string()).await }
    });
    for (status, body) in futures::future::join_all(resend).await {
        assert_eq!(status, 200);
        assert_eq!(body["new"], 0, "{body}");
        assert_eq!(body["matched"], 100, "{body}");
    }
    assert_eq!(s.store.count_mentions().await.unwrap(), 10_000);
    let stored = s.store.mentions(None, 1).await.unwrap();
    assert_eq!(stored[0].source, "push");
    assert_eq!(stored[0].lang, "fr");
    assert!(stored[0].reach.is_some());
}

#[tokio::test]
async fn ids_are_per_client() {
    let s = serve(64).await;
    let one = json!({ "mentions": [{ "id": "1", "text": "Le SPF Finances répond enfin" }] });
    let other = json!({ "mentions": [{ "id": "1", "text": "MyMinfin fonctionne à nouveau" }] });
    let (st, b) = post(&s.url, Some("x-secret-token"), one.to_string()).await;
    assert_eq!((st, b["new"].as_u64()), (200, Some(1)));
    let (st, b) = post(&s.url, Some("crm-secret-token"), other.to_string()).await;
    assert_eq!(
        (st, b["new"].as_u64()),
        (200, Some(1)),
        "same id, other client: another mention"
    );
    let off_topic = json!({ "mentions": [{ "id": "2", "text": "Il pleut à Namur" }] });
    let (st, b) = post(&s.url, Some("crm-secret-token"), off_topic.to_string()).await;
    assert_eq!((st, b["ignored"].as_u64()), (200, Some(1)));
    assert_eq!(s.store.count_mentions().await.unwrap(), 2);
}

#[tokio::test]
async fn bad_tokens_bad_json_and_big_bodies_are_refused_and_nothing_is_stored() {
    let s = serve(64).await;
    let body = batch(0, 3).to_string();
    let (st, _) = post(&s.url, None, body.clone()).await;
    assert_eq!(st, 401);
    let (st, b) = post(&s.url, Some("x-secret-tokeN"), body.clone()).await;
    assert_eq!(st, 401);
    assert!(b["error"].as_str().unwrap().contains("bearer"), "{b}");

    let (st, b) = post(&s.url, Some("x-secret-token"), "{\"mentions\": [".into()).await;
    assert_eq!(st, 400);
    assert!(
        b["error"].as_str().unwrap().starts_with("invalid JSON"),
        "{b}"
    );
    let typo = json!({ "mentions": [{ "id": "1", "txt": "SPF Finances" }] });
    let (st, b) = post(&s.url, Some("x-secret-token"), typo.to_string()).await;
    assert_eq!(st, 400);
    let msg = b["error"].as_str().unwrap();
    assert!(msg.contains("mentions[0]") && msg.contains("txt"), "{msg}");

    // One bad mention refuses the whole request.
    let mut mixed = batch(1, 5);
    mixed["mentions"][3]["url"] = "javascript:alert(1)".into();
    let (st, b) = post(&s.url, Some("x-secret-token"), mixed.to_string()).await;
    assert_eq!(st, 400);
    let msg = b["error"].as_str().unwrap();
    assert!(
        msg.contains("mentions[3].url") && msg.contains("nothing was stored"),
        "{msg}"
    );
    let mut no_id = batch(2, 2);
    no_id["mentions"][1]["id"] = "".into();
    let (st, _) = post(&s.url, Some("x-secret-token"), no_id.to_string()).await;
    assert_eq!(st, 400);

    let big = batch(3, 1000).to_string();
    assert!(big.len() > 64 * 1024);
    let (st, b) = post(&s.url, Some("x-secret-token"), big).await;
    assert_eq!(st, 413, "{b}");
    assert_eq!(s.store.count_mentions().await.unwrap(), 0);
}

#[test]
fn config_errors_name_their_keys_and_missing_tokens_name_their_variable() {
    let errs = config(
        "name = \"push\"\nkind = \"webhook\"\nmax_body_kib = 0\nclients = [{ name = \"a b\", token_env = \"1BAD\" }]\n",
    )
    .unwrap_err();
    for p in [
        "sources[0].max_body_kib:",
        "sources[0].clients[0].name:",
        "sources[0].clients[0].token_env:",
    ] {
        assert!(errs.iter().any(|e| e.starts_with(p)), "{p} {errs:?}");
    }
    let errs = config("name = \"push\"\nkind = \"webhook\"\nclients = []\n").unwrap_err();
    assert!(
        errs.iter().any(|e| e.starts_with("sources[0].clients:")),
        "{errs:?}"
    );
    let c = match config(
        "name = \"push\"\nkind = \"webhook\"\nclients = [{ name = \"a\", token_env = \"VIGIE_TEST_INGEST_NEVER_SET\" }]\n",
    )
    .unwrap()
    {
        SourceConfig::Webhook(c) => c,
        other => panic!("{other:?}"),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(Store::open("sqlite://v.db", dir.path()))
        .unwrap();
    let e = IngestState::new(&c, store, Pipeline::new(matcher(), &[]), None)
        .err()
        .unwrap();
    assert!(e.to_string().contains("VIGIE_TEST_INGEST_NEVER_SET"), "{e}");
}

#[tokio::test]
async fn the_router_comes_from_the_config_and_one_webhook_only() {
    std::env::set_var("VIGIE_TEST_INGEST_CFG", "cfg-token");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.toml");
    let base = "[institution]\nname = \"SPF Finances\"\nkeywords = [\"SPF Finances\"]\n\n[storage]\nurl = \"sqlite://vigie.db\"\n\n[web]\nlisten = \"127.0.0.1:0\"\n\n\
         [[sources]]\nname = \"push\"\nkind = \"webhook\"\nclients = [{ name = \"crm\", token_env = \"VIGIE_TEST_INGEST_CFG\" }]\n";
    let cfg = vigie::config::Config::parse(base, &path).unwrap();
    let store = Store::open("sqlite://vigie.db", dir.path()).await.unwrap();
    let app = vigie::sources::webhook::from_config(&cfg.sources(), store.clone(), None)
        .unwrap()
        .expect("a router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ingest", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let body = json!({"mentions": [{"id": "9", "title": "Le SPF Finances recrute"}]});
    let (st, b) = post(&url, Some("cfg-token"), body.to_string()).await;
    assert_eq!((st, b["new"].as_u64()), (200, Some(1)), "{b}");
    let two = format!("{base}\n[[sources]]\nname = \"push2\"\nkind = \"webhook\"\nclients = [{{ name = \"x\", token_env = \"X\" }}]\n");
    let e = vigie::config::Config::parse(&two, &path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("sources[1].kind"), "{e}");
    // The webhook is served on the web listener: without [web] the config says so.
    let no_web = base.replace("[web]\nlisten = \"127.0.0.1:0\"\n", "");
    let e = vigie::config::Config::parse(&no_web, &path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("sources[0].kind") && e.contains("[web]"), "{e}");
}

/// #15: a webhook source with `direct = true` (private messages pushed from a platform's
/// inbox) takes every message, none keyword-filtered, and marks it direct; the same
/// endpoint still filters what the other webhook's clients push.
#[tokio::test]
async fn direct_messages_are_taken_whatever_they_say_and_marked_private() {
    std::env::set_var("VIGIE_TEST_INGEST_PUB", "pub-token");
    std::env::set_var("VIGIE_TEST_INGEST_DM", "dm-token");
    let hook = |text: &str| match config(text).unwrap() {
        SourceConfig::Webhook(c) => c,
        other => panic!("{other:?}"),
    };
    let public = hook("name = \"push\"\nkind = \"webhook\"\nclients = [{ name = \"x-export\", token_env = \"VIGIE_TEST_INGEST_PUB\" }]\n");
    let inbox = hook("name = \"inbox\"\nkind = \"webhook\"\ndirect = true\nclients = [{ name = \"dm\", token_env = \"VIGIE_TEST_INGEST_DM\" }]\n");
    assert!(inbox.direct && !public.direct);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open("sqlite://vigie.db", dir.path()).await.unwrap();
    let pipeline = Pipeline::new(matcher(), &["fr".into()]);
    let state = IngestState::for_sources(&[public, inbox], store.clone(), pipeline, None).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ingest", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    // Nothing in it names the institution: everything sent to it concerns it.
    let dm = json!({"mentions": [{"id": "conv-1", "text": "Bonjour, je n'ai toujours pas reçu mon remboursement de 2025.", "author": "@citoyenne"}]});
    let (status, body) = post(&url, Some("pub-token"), dm.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ignored"], 1, "the public webhook filters: {body}");
    let (status, body) = post(&url, Some("dm-token"), dm.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["new"], 1, "{body}");
    let stored = store.mentions(None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].direct && stored[0].matched.is_empty(),
        "{:?}",
        stored[0]
    );
    assert_eq!(stored[0].source, "inbox");
}
