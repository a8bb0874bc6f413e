//! Decoding one Jetstream event and filtering it: a post in a wanted language that
//! matches the institution's keywords becomes an item.

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use crate::core::matching::Matcher;
use crate::core::model::Item;
use crate::sources::api;

#[derive(Debug, Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    did: &'a str,
    time_us: i64,
    kind: &'a str,
    #[serde(default, borrow)]
    commit: Option<Commit<'a>>,
}

#[derive(Debug, Deserialize)]
struct Commit<'a> {
    operation: &'a str,
    collection: &'a str,
    rkey: &'a str,
    #[serde(default)]
    record: Option<Record>,
}

#[derive(Debug, Deserialize)]
struct Record {
    #[serde(default)]
    text: String,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(rename = "createdAt", default)]
    created_at: Option<String>,
    #[serde(default)]
    reply: Option<api::BskyReply>,
}

/// What one event means to us.
#[derive(Debug)]
pub enum Decoded {
    /// A post that passes the filter, with its stream position.
    Post(i64, Box<Item>),
    /// A post deleted by its author: its reference (`at://…`), with its position. Any post's
    /// deletion comes through; the store knows which ones were kept.
    Delete(i64, String),
    /// Anything else (other posts, identity and account events), with its position.
    Skip(i64),
    /// Not a Jetstream event.
    Malformed(String),
}

/// The local filter: languages, then the institution's keywords.
#[derive(Debug, Clone)]
pub struct Filter {
    matcher: Matcher,
    languages: Vec<String>,
    pub(super) source: String,
    /// The institution's own DIDs: their replies pass whatever they say (answers).
    own: Vec<String>,
}

impl Filter {
    /// `languages` empty keeps every language.
    pub fn new(source: &str, matcher: Matcher, languages: &[String]) -> Filter {
        Filter {
            matcher,
            languages: languages.to_vec(),
            source: source.to_string(),
            own: Vec::new(),
        }
    }

    /// The institution's own DIDs, whose replies are answers to keep.
    pub fn with_own(mut self, dids: Vec<String>) -> Filter {
        self.own = dids;
        self
    }

    fn language_ok(&self, langs: &[String]) -> bool {
        self.languages.is_empty()
            || langs.is_empty()
            || langs.iter().any(|l| {
                let base = l.split(['-', '_']).next().unwrap_or(l);
                self.languages.iter().any(|w| w.eq_ignore_ascii_case(base))
            })
    }

    /// Decodes and filters one event.
    pub fn decode(&self, line: &str) -> Decoded {
        let ev: Event = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => return Decoded::Malformed(e.to_string()),
        };
        let Some(c) = ev
            .commit
            .as_ref()
            .filter(|c| ev.kind == "commit" && c.collection == "app.bsky.feed.post")
        else {
            return Decoded::Skip(ev.time_us);
        };
        if c.operation == "delete" {
            let uri = format!("at://{}/app.bsky.feed.post/{}", ev.did, c.rkey);
            return Decoded::Delete(ev.time_us, uri);
        }
        if c.operation != "create" {
            return Decoded::Skip(ev.time_us);
        }
        let Some(r) = &c.record else {
            return Decoded::Skip(ev.time_us);
        };
        let answer = r.reply.is_some() && self.own.iter().any(|d| d == ev.did);
        if !answer && (!self.language_ok(&r.langs) || self.matcher.check(&r.text).is_none()) {
            return Decoded::Skip(ev.time_us);
        }
        let uri = format!("at://{}/app.bsky.feed.post/{}", ev.did, c.rkey);
        let published = r
            .created_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| Utc.timestamp_micros(ev.time_us).single());
        let item = Item {
            source: self.source.clone(),
            guid: Some(uri.clone()),
            link: Some(format!(
                "https://bsky.app/profile/{}/post/{}",
                ev.did, c.rkey
            )),
            title: api::post_title(&r.text),
            text: r.text.clone(),
            published_at: published,
            author: Some(ev.did.to_string()),
            reach: None,
            lang_hint: r.langs.first().cloned(),
            thread: api::bsky_thread(&uri, r.reply.clone()),
            author_id: Some(ev.did.to_string()),
            ..Default::default()
        };
        Decoded::Post(ev.time_us, Box::new(item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(langs: &[&str]) -> Filter {
        let m = Matcher::new(&["SPF Finances".into(), "MyMinfin".into()], &[]).unwrap();
        let langs: Vec<String> = langs.iter().map(|s| s.to_string()).collect();
        Filter::new("bsky", m, &langs)
    }

    const POST: &str = r#"{"did":"did:plc:eygmaihciaxprqvxpfvl6flk","time_us":1732430000123456,"kind":"commit","commit":{"rev":"3lbotn3ox2k2u","operation":"create","collection":"app.bsky.feed.post","rkey":"3lbotn3ntxk2u","record":{"$type":"app.bsky.feed.post","createdAt":"2026-11-24T08:15:00.000Z","langs":["fr"],"text":"MyMinfin est encore en panne 😡"},"cid":"bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"}}"#;

    #[test]
    fn decodes_matching_posts_and_skips_the_rest() {
        let f = filter(&["fr", "nl"]);
        match f.decode(POST) {
            Decoded::Post(t, item) => {
                assert_eq!(t, 1732430000123456);
                assert_eq!(
                    item.guid.as_deref(),
                    Some("at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3lbotn3ntxk2u")
                );
                assert_eq!(
                    item.link.as_deref(),
                    Some("https://bsky.app/profile/did:plc:eygmaihciaxprqvxpfvl6flk/post/3lbotn3ntxk2u")
                );
                assert_eq!(item.lang_hint.as_deref(), Some("fr"));
                assert_eq!(
                    item.published_at.unwrap().to_rfc3339(),
                    "2026-11-24T08:15:00+00:00"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            filter(&["nl"]).decode(POST),
            Decoded::Skip(1732430000123456)
        ));
        assert!(matches!(filter(&[]).decode(POST), Decoded::Post(..)));
        let other = POST.replace("MyMinfin", "Le train");
        assert!(matches!(f.decode(&other), Decoded::Skip(_)));
        let delete = r#"{"did":"did:plc:x","time_us":5,"kind":"commit","commit":{"rev":"r","operation":"delete","collection":"app.bsky.feed.post","rkey":"k"}}"#;
        match f.decode(delete) {
            Decoded::Delete(5, uri) => assert_eq!(uri, "at://did:plc:x/app.bsky.feed.post/k"),
            other => panic!("{other:?}"),
        }
        let update = delete.replace("\"delete\"", "\"update\"");
        assert!(matches!(f.decode(&update), Decoded::Skip(5)));
        let identity = r#"{"did":"did:plc:x","time_us":6,"kind":"identity","identity":{"did":"did:plc:x","handle":"a.bsky.social","seq":1,"time":"2026-11-24T08:15:00.000Z"}}"#;
        assert!(matches!(f.decode(identity), Decoded::Skip(6)));
        assert!(matches!(f.decode("{\"nope\":1}"), Decoded::Malformed(_)));
        let regional = POST.replace("[\"fr\"]", "[\"fr-BE\"]");
        assert!(matches!(f.decode(&regional), Decoded::Post(..)));
    }

    #[test]
    fn the_institution_s_replies_pass_whatever_they_say_with_their_thread_links() {
        let own = "did:plc:eygmaihciaxprqvxpfvl6flk";
        let parent = "at://did:plc:citizen/app.bsky.feed.post/3kq1";
        let reply = POST
            .replace("MyMinfin est encore en panne 😡", "Bonjour, c'est rétabli.")
            .replace(
                "\"langs\":[\"fr\"],",
                &format!("\"langs\":[\"fr\"],\"reply\":{{\"parent\":{{\"uri\":\"{parent}\",\"cid\":\"c\"}},\"root\":{{\"uri\":\"{parent}\",\"cid\":\"c\"}}}},"),
            );
        // Not a mention: skipped, unless written by one of the institution's DIDs.
        assert!(matches!(filter(&["fr"]).decode(&reply), Decoded::Skip(_)));
        let f = filter(&["nl"]).with_own(vec![own.into()]);
        match f.decode(&reply) {
            Decoded::Post(_, item) => {
                assert_eq!(item.thread.in_reply_to.as_deref(), Some(parent));
                assert_eq!(item.thread.root.as_deref(), Some(parent));
                assert_eq!(item.author_id.as_deref(), Some(own));
                assert_eq!(item.thread.id, item.guid);
            }
            other => panic!("{other:?}"),
        }
        // Its own posts that answer nobody are filtered like anyone's.
        assert!(matches!(
            filter(&["fr"])
                .with_own(vec![own.into()])
                .decode(&POST.replace("MyMinfin", "Le train")),
            Decoded::Skip(_)
        ));
    }
}
