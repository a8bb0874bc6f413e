//! Every social kind in one config through the real daemon (`vigie run --once`), against
//! local servers answering like the platforms' APIs (their field names and paging, and
//! pages of 3 where a client asks for more, as real servers may): Mastodon, Reddit
//! (posts and comments), YouTube (search, comments and replies), Bluesky search and Bluesky's
//! Jetstream. Two runs, the second after newer posts arrived: every mentioning item is
//! stored once, older pages included, a Jetstream delete removes its post, replies
//! carry their thread link, and engagement figures are kept.

// tungstenite's handshake callback type returns a large error: not ours to shrink.
#![allow(clippy::result_large_err)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use common::sources::fixture;
use common::Env;
use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::handshake::server::{Request as WsRequest, Response};
use tokio_tungstenite::tungstenite::Message;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A page's size, whatever the client asks for.
const PAGE: usize = 3;
/// The post Jetstream deletes in the second run.
const DELETED: u32 = 3;
/// The YouTube thread with replies (more than it carries: the rest by `comments`).
const THREAD: u32 = 5;
const REPLIES: u32 = 4;

/// What the platforms hold: posts 1..=n on each, the odd ones mentioning the
/// institution; a post's time grows with its number.
#[derive(Clone)]
struct World {
    base: DateTime<Utc>,
    n: Arc<Mutex<u32>>,
    deleted: Arc<Mutex<bool>>,
}

impl World {
    fn n(&self) -> u32 {
        *self.n.lock().unwrap()
    }
    fn at(&self, i: u32) -> DateTime<Utc> {
        self.base + chrono::Duration::minutes(5 * i64::from(i))
    }
    fn rfc(&self, i: u32) -> String {
        self.at(i).to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

fn text(platform: &str, i: u32) -> String {
    if i % 2 == 1 {
        format!("MyTax est encore en panne ({platform} {i})")
    } else {
        format!("Belle journée à Namur ({platform} {i})")
    }
}

fn query(req: &Request) -> HashMap<String, String> {
    req.url.query_pairs().into_owned().collect()
}

/// The numbers on one page, newest first: the `PAGE` immediately newer than `newer_than`
/// when only it is given (forward paging), else the newest under `older_than` and above
/// `newer_than`. Also whether older ones remain beyond the page.
fn page(n: u32, newer_than: Option<u32>, older_than: Option<u32>) -> (Vec<u32>, bool) {
    let lo = newer_than.unwrap_or(0);
    let hi = older_than.unwrap_or(n + 1);
    let all: Vec<u32> = (lo + 1..hi.min(n + 1)).collect();
    let mut p: Vec<u32> = if newer_than.is_some() && older_than.is_none() {
        all.iter().take(PAGE).copied().collect()
    } else {
        all.iter().rev().take(PAGE).copied().collect()
    };
    p.sort_unstable_by(|a, b| b.cmp(a));
    let more = p.last().is_some_and(|last| *last > lo + 1);
    (p, more)
}

/// Offset paging (Bluesky search, YouTube): newest first from `token`, and the next token.
fn offset_page(items: Vec<u32>, token: Option<&String>) -> (Vec<u32>, Option<String>) {
    let from: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
    let p: Vec<u32> = items.iter().rev().skip(from).take(PAGE).copied().collect();
    let next = (from + PAGE < items.len()).then(|| (from + PAGE).to_string());
    (p, next)
}

fn mastodon(w: &World, req: &Request) -> Value {
    let q = query(req);
    let id = |k: &str| q.get(k).map(|v| v.parse::<u32>().unwrap() - 1000);
    let (p, _) = page(w.n(), id("min_id"), id("max_id"));
    let template: Value = serde_json::from_str(&fixture("mastodon", "status.json")).unwrap();
    Value::Array(
        p.into_iter()
            .map(|i| {
                let mut s = template.clone();
                let id = 1000 + i;
                s["id"] = id.to_string().into();
                s["created_at"] = w.rfc(i).into();
                s["uri"] = format!("https://mastodon.social/users/c/statuses/{id}").into();
                s["url"] = format!("https://mastodon.social/@c/{id}").into();
                s["content"] = format!("<p>{}</p>", text("mastodon", i)).into();
                s["favourites_count"] = (10 * i).into();
                s["reblogs_count"] = i.into();
                s
            })
            .collect(),
    )
}

fn reddit(w: &World, req: &Request, comments: bool) -> Value {
    let q = query(req);
    let prefix = if comments { "t1_c" } else { "t3_p" };
    let num = |k: &str| {
        q.get(k)
            .map(|v| v.trim_start_matches(prefix).parse::<u32>().unwrap())
    };
    let (p, more) = page(w.n(), num("before"), num("after"));
    let children: Vec<Value> = p
        .iter()
        .map(|&i| {
            let created = w.at(i).timestamp() as f64;
            if comments {
                json!({"kind": "t1", "data": {
                    "name": format!("t1_c{i:04}"), "body": text("reddit-comment", i),
                    "parent_id": "t3_p9000", "link_id": "t3_p9000", "link_title": "Aide déclaration",
                    "author": "citoyen", "created_utc": created, "score": i,
                    "permalink": format!("/r/belgium/comments/p9000/aide/c{i:04}/")}})
            } else {
                json!({"kind": "t3", "data": {
                    "name": format!("t3_p{i:04}"), "title": text("reddit", i), "selftext": "",
                    "author": "citoyen", "created_utc": created, "score": i, "num_comments": 2,
                    "subreddit_subscribers": 512304,
                    "url": format!("https://www.lesoir.be/article/{i}"),
                    "permalink": format!("/r/belgium/comments/p{i:04}/x/")}})
            }
        })
        .collect();
    let after = more.then(|| format!("{prefix}{:04}", p.last().unwrap()));
    json!({"kind": "Listing", "data": {"after": after, "before": null, "dist": children.len(), "children": children}})
}

fn bluesky_search(w: &World, req: &Request) -> Value {
    let q = query(req);
    let since = q
        .get("since")
        .map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
    let items: Vec<u32> = (1..=w.n())
        .filter(|&i| since.is_none_or(|s| w.at(i) >= s))
        .collect();
    let (p, next) = offset_page(items, q.get("cursor"));
    let posts: Vec<Value> = p
        .iter()
        .map(|&i| {
            json!({"uri": format!("at://did:plc:e2esearch/app.bsky.feed.post/s{i:04}"),
                "cid": "bafy", "author": {"did": "did:plc:e2esearch", "handle": "marie.bsky.social"},
                "record": {"$type": "app.bsky.feed.post", "createdAt": w.rfc(i), "langs": ["fr"], "text": text("bluesky-search", i)},
                "likeCount": 100 + i, "repostCount": 2, "replyCount": 1, "quoteCount": 0,
                "indexedAt": w.rfc(i)})
        })
        .collect();
    json!({"cursor": next, "posts": posts})
}

fn youtube_threads(w: &World, req: &Request) -> Value {
    let q = query(req);
    if q.get("videoId").map(String::as_str) != Some("Qb3x9LmTt2E") {
        return json!({"items": []});
    }
    assert_eq!(q.get("part").map(String::as_str), Some("snippet,replies"));
    let (p, next) = offset_page((1..=w.n()).collect(), q.get("pageToken"));
    let items: Vec<Value> = p
        .iter()
        .map(|&i| {
            let id = format!("UgzE2E{i:04}");
            let mut t = json!({"kind": "youtube#commentThread", "id": id,
                "snippet": {"videoId": "Qb3x9LmTt2E", "totalReplyCount": 0,
                    "topLevelComment": {"kind": "youtube#comment", "id": id,
                        "snippet": comment_snippet(&text("youtube", i), &w.rfc(i), 7)}}});
            if i == THREAD {
                t["snippet"]["totalReplyCount"] = REPLIES.into();
                t["replies"] =
                    json!({"comments": (1..=2).map(|k| reply(w, k)).collect::<Vec<_>>()});
            }
            t
        })
        .collect();
    json!({"items": items, "nextPageToken": next})
}

fn youtube_search(w: &World, req: &Request) -> Value {
    let q = query(req);
    let after = DateTime::parse_from_rfc3339(&q["publishedAfter"]).unwrap();
    let items: Vec<u32> = (1..=w.n()).filter(|&i| w.at(i) >= after).collect();
    let (p, next) = offset_page(items, q.get("pageToken"));
    let items: Vec<Value> = p
        .iter()
        .map(|&i| {
            json!({"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": format!("Vde2e{i:06}")},
                "snippet": {"publishedAt": w.at(i).to_rfc3339_opts(SecondsFormat::Secs, true),
                    "channelId": "UCnews", "channelTitle": "RTBF Info",
                    "title": text("youtube-search", i), "description": "Reportage"}})
        })
        .collect();
    json!({"kind": "youtube#searchListResponse", "items": items, "nextPageToken": next})
}

fn comment_snippet(text: &str, at: &str, likes: u32) -> Value {
    json!({"videoId": "Qb3x9LmTt2E", "textOriginal": text, "textDisplay": text,
        "authorDisplayName": "@someone", "likeCount": likes, "publishedAt": at})
}

fn reply(w: &World, k: u32) -> Value {
    json!({"kind": "youtube#comment", "id": format!("UgzE2E{THREAD:04}.r{k}"),
        "snippet": comment_snippet(&format!("Réponse {k} : MyTax fonctionne à nouveau"), &w.rfc(THREAD), 1)})
}

fn youtube_replies(w: &World, req: &Request) -> Value {
    let q = query(req);
    assert_eq!(
        q.get("parentId").map(String::as_str),
        Some(format!("UgzE2E{THREAD:04}").as_str())
    );
    let (p, next) = offset_page((1..=REPLIES).rev().collect(), q.get("pageToken"));
    json!({"items": p.into_iter().map(|k| reply(w, k)).collect::<Vec<_>>(), "nextPageToken": next})
}

/// The HTTP platforms on one local server.
struct Platforms(World);

impl Respond for Platforms {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let w = &self.0;
        let body = match req.url.path() {
            "/api/v1/timelines/tag/MyTax" => mastodon(w, req),
            "/api/v1/access_token" => {
                return ResponseTemplate::new(200).set_body_string(fixture("reddit", "token.json"))
            }
            "/search" => reddit(w, req, false),
            "/r/belgium/comments" => reddit(w, req, true),
            "/xrpc/com.atproto.server.createSession" => {
                return ResponseTemplate::new(200)
                    .set_body_string(fixture("bluesky", "session.json"))
            }
            "/xrpc/app.bsky.feed.searchPosts" => bluesky_search(w, req),
            "/feeds/videos.xml" => {
                return ResponseTemplate::new(200)
                    .set_body_string(fixture("youtube", "channel_two.xml"))
            }
            "/youtube/v3/commentThreads" => youtube_threads(w, req),
            "/youtube/v3/comments" => youtube_replies(w, req),
            "/youtube/v3/search" => youtube_search(w, req),
            other => panic!("unexpected request {other}"),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// A Jetstream server: each connection gets every event from its cursor (creates of
/// posts 1..=n, and the delete once it happened), then stays open.
async fn jetstream(w: World) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let w = w.clone();
            tokio::spawn(async move {
                let mut cursor = 0;
                let cb = |req: &WsRequest, resp: Response| {
                    let q = url::Url::parse(&format!("ws://x{}", req.uri())).unwrap();
                    cursor = q
                        .query_pairs()
                        .find(|(k, _)| k == "cursor")
                        .map_or(0, |(_, v)| v.parse::<i64>().unwrap());
                    Ok(resp)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, cb).await else {
                    return;
                };
                for e in jet_events(&w).into_iter().filter(|(t, _)| *t >= cursor) {
                    if ws.send(Message::text(e.1)).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
        }
    });
    format!("ws://{addr}/subscribe")
}

fn jet_events(w: &World) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = (1..=w.n())
        .map(|i| {
            let t = w.at(i).timestamp_micros();
            let e = json!({"did": "did:plc:e2ejet", "time_us": t, "kind": "commit",
                "commit": {"rev": format!("r{i}"), "operation": "create", "collection": "app.bsky.feed.post",
                    "rkey": format!("j{i:04}"), "cid": "bafy",
                    "record": {"$type": "app.bsky.feed.post", "createdAt": w.rfc(i), "langs": ["fr"], "text": text("jetstream", i)}}});
            (t, e.to_string())
        })
        .collect();
    if *w.deleted.lock().unwrap() {
        let t = w.at(w.n()).timestamp_micros() + 1;
        let e = json!({"did": "did:plc:e2ejet", "time_us": t, "kind": "commit",
            "commit": {"rev": "rdel", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": format!("j{DELETED:04}")}});
        out.push((t, e.to_string()));
    }
    out
}

/// The (canonical) links of the mentioning items the platforms hold (`deleted`: without the
/// Jetstream post deleted).
fn expected(n: u32, deleted: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for i in (1..=n).filter(|i| i % 2 == 1) {
        out.insert(format!("https://mastodon.social/@c/{}", 1000 + i));
        out.insert(format!("https://reddit.com/r/belgium/comments/p{i:04}/x"));
        out.insert(format!(
            "https://reddit.com/r/belgium/comments/p9000/aide/c{i:04}"
        ));
        out.insert(format!(
            "https://bsky.app/profile/did:plc:e2esearch/post/s{i:04}"
        ));
        if !(deleted && i == DELETED) {
            out.insert(format!(
                "https://bsky.app/profile/did:plc:e2ejet/post/j{i:04}"
            ));
        }
        out.insert(format!(
            "https://youtube.com/watch?lc=UgzE2E{i:04}&v=Qb3x9LmTt2E"
        ));
        out.insert(format!("https://youtube.com/watch?v=Vde2e{i:06}"));
    }
    if n >= THREAD {
        for k in 1..=REPLIES {
            out.insert(format!(
                "https://youtube.com/watch?lc=UgzE2E{THREAD:04}.r{k}&v=Qb3x9LmTt2E"
            ));
        }
    }
    out
}

fn config(http: &str, ws: &str) -> String {
    format!(
        "[[sources]]\nname = \"masto\"\nkind = \"mastodon\"\ninstance = \"{http}\"\nhashtag = \"MyTax\"\nevery = \"5m\"\n\n\
         [[sources]]\nname = \"reddit\"\nkind = \"reddit\"\nquery = \"MyTax\"\nclient_id_env = \"VIGIE_E2E_REDDIT_ID\"\nclient_secret_env = \"VIGIE_E2E_REDDIT_SECRET\"\nevery = \"5m\"\ntoken_url = \"{http}/api/v1/access_token\"\napi_url = \"{http}\"\n\n\
         [[sources]]\nname = \"reddit-comments\"\nkind = \"reddit\"\nmode = \"comments\"\nsubreddit = \"belgium\"\nclient_id_env = \"VIGIE_E2E_REDDIT_ID\"\nclient_secret_env = \"VIGIE_E2E_REDDIT_SECRET\"\nevery = \"5m\"\ntoken_url = \"{http}/api/v1/access_token\"\napi_url = \"{http}\"\n\n\
         [[sources]]\nname = \"bsky-search\"\nkind = \"bluesky_search\"\nquery = \"MyTax\"\nidentifier_env = \"VIGIE_E2E_BSKY_ID\"\napp_password_env = \"VIGIE_E2E_BSKY_PW\"\nevery = \"10m\"\nservice = \"{http}\"\n\n\
         [[sources]]\nname = \"bsky\"\nkind = \"bluesky\"\nevery = \"30s\"\nendpoint = \"{ws}\"\nlanguages = [\"fr\"]\n\n\
         [[sources]]\nname = \"yt-comments\"\nkind = \"youtube\"\ncomments_of_channel = \"UCrtbfN1qgu2U3AwXOwHHAuw\"\nkey_env = \"VIGIE_E2E_YT_KEY\"\nmax_pages = 5\nevery = \"30m\"\nfeeds_url = \"{http}/feeds/videos.xml\"\napi_url = \"{http}/youtube/v3\"\n\n\
         [[sources]]\nname = \"yt-search\"\nkind = \"youtube\"\nsearch = \"MyTax\"\nkey_env = \"VIGIE_E2E_YT_KEY\"\nmax_pages = 5\nevery = \"30m\"\napi_url = \"{http}/youtube/v3\"\n\n"
    )
}

const VARS: [(&str, &str); 5] = [
    ("VIGIE_E2E_REDDIT_ID", "app-id"),
    ("VIGIE_E2E_REDDIT_SECRET", "app-secret"),
    ("VIGIE_E2E_BSKY_ID", "vigie-monitor.bsky.social"),
    ("VIGIE_E2E_BSKY_PW", "abcd-efgh-ijkl-mnop"),
    ("VIGIE_E2E_YT_KEY", "AIzaSyTESTKEY"),
];

/// Stored links, asserting that none is stored twice.
fn stored(env: &Env) -> (BTreeSet<String>, Vec<Value>) {
    let ms = env.mentions();
    let links: Vec<String> = ms
        .iter()
        .map(|m| m["url"].as_str().unwrap_or_default().to_string())
        .collect();
    let set: BTreeSet<String> = links.iter().cloned().collect();
    assert_eq!(set.len(), links.len(), "duplicates stored: {links:#?}");
    (set, ms)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_social_kind_through_run_once_misses_nothing() {
    let world = World {
        base: Utc::now() - chrono::Duration::hours(6),
        n: Arc::new(Mutex::new(8)),
        deleted: Arc::default(),
    };
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Platforms(world.clone()))
        .mount(&server)
        .await;
    let ws = jetstream(world.clone()).await;
    let env = Env::new(&[], &config(&server.uri(), &ws));

    env.run_once_with(&VARS);
    let (links, _) = stored(&env);
    let missing: Vec<_> = expected(8, false).difference(&links).cloned().collect();
    assert!(
        missing.is_empty(),
        "missing after the first run: {missing:#?}\nstored: {links:#?}"
    );
    let extra: Vec<_> = links.difference(&expected(8, false)).cloned().collect();
    assert!(extra.is_empty(), "not mentioning, yet stored: {extra:#?}");

    // Newer posts, more than a page on each platform, and a delete on Jetstream.
    *world.n.lock().unwrap() = 15;
    *world.deleted.lock().unwrap() = true;
    let logs = env.run_once_with(&VARS);
    let (links, ms) = stored(&env);
    assert_eq!(links, expected(15, true), "after the second run\n{logs}");
    assert!(logs.contains("deleted=1"), "{logs}");

    // Replies carry their thread: YouTube replies point at their top-level comment.
    let replies: Vec<&Value> = ms
        .iter()
        .filter(|m| m["url"].as_str().unwrap().contains(".r"))
        .collect();
    assert_eq!(replies.len(), REPLIES as usize);
    for r in &replies {
        assert_eq!(
            r["in_reply_to"],
            format!("youtube:comment:UgzE2E{THREAD:04}"),
            "{r}"
        );
    }
    let comment = ms
        .iter()
        .find(|m| m["url"].as_str().unwrap().ends_with("/c0001"))
        .unwrap();
    assert!(comment["in_reply_to"].as_str().is_some(), "{comment}");
    // Engagement, as each platform counts it; absent figures are omitted.
    let masto = ms
        .iter()
        .find(|m| m["url"] == "https://mastodon.social/@c/1001")
        .unwrap();
    assert_eq!(masto["engagement"]["likes"], 10, "{masto}");
    assert_eq!(masto["engagement"]["reposts"], 1);
    let jet = ms
        .iter()
        .find(|m| m["url"].as_str().unwrap().contains("e2ejet"))
        .unwrap();
    assert_eq!(jet["engagement"], json!({}), "{jet}");
    let search = ms
        .iter()
        .find(|m| m["url"].as_str().unwrap().ends_with("s0001"))
        .unwrap();
    assert_eq!(search["engagement"]["likes"], 101, "{search}");
}
