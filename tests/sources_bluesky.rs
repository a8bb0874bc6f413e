//! `kind = "bluesky"` against a local WebSocket server speaking Jetstream's protocol
//! (JSON text frames, `cursor` in µs), which drops the first connection mid-burst.

// tungstenite's handshake callback type returns a large error: not ours to shrink.
#![allow(clippy::result_large_err)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::sources::build;
use futures::SinkExt;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use vigie::sources::{Source, SourceState};

const T0: i64 = 1_732_430_000_000_000;
const N: usize = 3000;
const DROP_AFTER: usize = 1000;

fn time(i: usize) -> i64 {
    T0 + i as i64 * 1000
}

/// Event i: a matching French post when i % 3 == 0, an off-topic post when 1, a
/// matching post in Japanese (filtered out) or a delete when 2.
fn event(i: usize) -> String {
    let did = format!("did:plc:user{:04}", i % 97);
    let post = |text: &str, lang: &str| {
        serde_json::json!({
            "did": did, "time_us": time(i), "kind": "commit",
            "commit": {"rev": format!("3lb{i:06}"), "operation": "create", "collection": "app.bsky.feed.post",
                "rkey": format!("3lbk{i:06}"),
                "record": {"$type": "app.bsky.feed.post", "createdAt": "2026-11-24T08:15:00.000Z", "langs": [lang], "text": text},
                "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"}
        })
        .to_string()
    };
    match i % 3 {
        0 => post(&format!("Le SPF Finances ne répond plus ({i})"), "fr"),
        1 => post("Quel beau temps à Namur", "fr"),
        _ if i.is_multiple_of(2) => post("SPF Finances 税金", "ja"),
        _ => serde_json::json!({"did": did, "time_us": time(i), "kind": "commit",
            "commit": {"rev": "r", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": "old"}})
        .to_string(),
    }
}

fn expected() -> HashSet<String> {
    (0..N)
        .filter(|i| i % 3 == 0)
        .map(|i| {
            format!(
                "at://did:plc:user{:04}/app.bsky.feed.post/3lbk{i:06}",
                i % 97
            )
        })
        .collect()
}

/// Serves the events from each connection's cursor; the first connection is cut after
/// DROP_AFTER events. Returns the address and the cursors asked for.
async fn jetstream() -> (String, Arc<Mutex<Vec<Option<i64>>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cursors: Arc<Mutex<Vec<Option<i64>>>> = Arc::default();
    let seen = cursors.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            n += 1;
            let seen = seen.clone();
            let first = n == 1;
            tokio::spawn(async move {
                let mut cursor = None;
                let cb = |req: &Request, resp: Response| {
                    let q = url::Url::parse(&format!("ws://x{}", req.uri())).unwrap();
                    assert!(q
                        .query_pairs()
                        .any(|(k, v)| k == "wantedCollections" && v == "app.bsky.feed.post"));
                    cursor = q
                        .query_pairs()
                        .find(|(k, _)| k == "cursor")
                        .map(|(_, v)| v.parse::<i64>().unwrap());
                    Ok(resp)
                };
                let mut ws = tokio_tungstenite::accept_hdr_async(tcp, cb).await.unwrap();
                seen.lock().unwrap().push(cursor);
                let from = cursor.map_or(0, |c| ((c - T0).max(0) / 1000) as usize);
                for (sent, i) in (from..N).enumerate() {
                    if first && sent == DROP_AFTER {
                        // Cut mid-burst, without a close frame.
                        return;
                    }
                    if ws.send(Message::text(event(i))).await.is_err() {
                        return;
                    }
                }
                // Live tail: nothing more for now; keep the connection open.
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
        }
    });
    (format!("ws://{addr}/subscribe"), cursors)
}

fn source(endpoint: &str) -> Box<dyn Source> {
    build(&format!(
        "name = \"bsky\"\nkind = \"bluesky\"\nevery = \"30s\"\nendpoint = \"{endpoint}\"\nlanguages = [\"fr\", \"nl\"]\noverlap = \"100ms\"\nmax_buffer = 50\n"
    ))
}

/// Polls until the cursor reaches `last` (or 20 s), as the daemon would.
async fn drain(src: &dyn Source, state: &mut SourceState, last: i64) -> Vec<String> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while state.cursor.as_deref() != Some(&last.to_string()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stuck at {:?}",
            state.cursor
        );
        let p = src.poll(state).await.unwrap();
        got.extend(p.items.into_iter().map(|i| i.guid.unwrap()));
        if p.cursor.is_some() {
            state.cursor = p.cursor;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    got
}

#[tokio::test]
async fn a_dropped_connection_loses_and_duplicates_nothing() {
    let (endpoint, cursors) = jetstream().await;
    let src = source(&endpoint);
    let mut state = SourceState {
        cursor: Some(T0.to_string()),
        ..SourceState::default()
    };
    let got = drain(src.as_ref(), &mut state, time(N - 1)).await;
    let unique: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len(), "duplicates delivered");
    assert_eq!(unique, expected());
    let cursors = cursors.lock().unwrap().clone();
    assert!(cursors.len() >= 2, "{cursors:?}");
    // Reconnected from the last event processed, minus the 100 ms overlap.
    assert_eq!(cursors[0], Some(T0 - 100_000));
    assert_eq!(cursors[1], Some(time(DROP_AFTER - 1) - 100_000));
}

#[tokio::test]
async fn a_restart_resumes_from_the_stored_cursor() {
    let (endpoint, cursors) = jetstream().await;
    let state = SourceState {
        cursor: Some(time(1999).to_string()),
        ..SourceState::default()
    };
    let mut st = state.clone();
    let got = drain(source(&endpoint).as_ref(), &mut st, time(N - 1)).await;
    assert_eq!(cursors.lock().unwrap()[0], Some(time(1899)));
    let unique: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len());
    // Everything after the cursor, plus at most the overlap's worth before it
    // (the store's keys recognise those).
    let after: HashSet<String> = expected()
        .into_iter()
        .filter(|k| k[k.len() - 6..].parse::<usize>().unwrap() > 1999)
        .collect();
    assert!(unique.is_superset(&after));
    assert!(unique.len() <= after.len() + 34, "{}", unique.len());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_poll_error() {
    // A port nobody listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let src = source(&format!("ws://{addr}/subscribe"));
    let state = SourceState::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match src.poll(&state).await {
            Err(e) => {
                assert!(e.to_string().contains("cannot connect"), "{e}");
                break;
            }
            Ok(p) => assert!(p.items.is_empty()),
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
