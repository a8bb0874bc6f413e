//! The store against both real backends: a SQLite file and the PostgreSQL service
//! (one fresh database per test; set VIGIE_TEST_POSTGRES to point elsewhere).

use chrono::{TimeZone, Utc};
use vigie::classify::{Output, Sentiment, SentimentLabel, TopicScore};
use vigie::core::model::NewMention;
use vigie::sources::SourceState;
use vigie::store::Store;

mod common;
use common::pg::PgDb;

fn mention(keys: &[&str], source: &str, title: &str) -> NewMention {
    NewMention {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        source: source.into(),
        url: Some(format!("https://example.org/{title}")),
        title: title.into(),
        text: "Le SPF Impôts".into(),
        author: Some("Jean Dupont".into()),
        reach: Some(1200),
        published_at: Some(Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()),
        lang: "fr".into(),
        lang_confidence: 0.9,
        matched: vec!["SPF Impôts".into()],
        ..NewMention::default()
    }
}

async fn exercise(store: Store) {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    // Source state round trip.
    let st = SourceState {
        etag: Some("\"v1\"".into()),
        error_count: 2,
        next_check_at: Some(now),
        last_error: Some("HTTP 500".into()),
        cursor: Some("113540861230459906".into()),
        ..SourceState::default()
    };
    store.save_source_state("a", &st).await.unwrap();
    assert_eq!(store.source_state("a").await.unwrap(), st);
    // The cursor moves on, and can be cleared.
    let moved = SourceState {
        cursor: Some("1732435200000000".into()),
        ..st.clone()
    };
    store.save_source_state("a", &moved).await.unwrap();
    assert_eq!(store.source_state("a").await.unwrap(), moved);
    store.save_source_state("a", &st).await.unwrap();
    assert_eq!(
        store.source_state("never").await.unwrap(),
        SourceState::default()
    );

    // Dedup: a shares a key with c; b is new.
    let r = store
        .ingest(
            &[
                mention(&["guid:a:1", "link:x"], "a", "one"),
                mention(&["link:y"], "a", "two"),
            ],
            now,
        )
        .await
        .unwrap();
    assert!(r.iter().all(|i| i.new));
    let r2 = store
        .ingest(&[mention(&["guid:b:9", "link:x"], "b", "one-again")], now)
        .await
        .unwrap();
    assert_eq!(r2[0].id, r[0].id);
    assert!(!r2[0].new);
    // The new key was learned: a third feed using only it maps to the same mention.
    let r3 = store
        .ingest(&[mention(&["guid:b:9"], "c", "x")], now)
        .await
        .unwrap();
    assert_eq!(r3[0].id, r[0].id);
    let all = store.mentions(None, 100).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].sources, vec!["a", "b", "c"]);
    assert_eq!(
        all[0].published_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap())
    );

    // Classification queue.
    let pending = store.unclassified(10).await.unwrap();
    assert_eq!(pending.len(), 2);
    let out = Output {
        sentiment: Sentiment {
            label: SentimentLabel::Negative,
            score: 0.75,
        },
        topics: vec![TopicScore {
            id: "outage".into(),
            score: 1.0,
        }],
    };
    store
        .save_classifications(&[(pending[0].id, out.clone())], "lexicon-1", now)
        .await
        .unwrap();
    assert_eq!(store.unclassified(10).await.unwrap().len(), 1);
    let m = store.mentions_by_id(&[pending[0].id]).await.unwrap();
    assert_eq!(m[0].sentiment, Some(out.sentiment));
    assert_eq!(m[0].topics, Some(out.topics));
    assert_eq!(m[0].model.as_deref(), Some("lexicon-1"));

    // Escalations: open once per key, move along, history kept.
    use vigie::escalate::state::{Action, State};
    use vigie::escalate::{open::Opening, stage::Escalate, EscalationConfig};
    let opening = Opening {
        severity: "warning".into(),
        topic: Some("refunds".into()),
        reason: "a mention by Jean Dupont".into(),
        mention_ids: vec![pending[0].id],
        formal: None,
        dedup_key: Some("k1".into()),
    };
    let tz = chrono_tz::Europe::Brussels;
    let stage = Escalate::new(EscalationConfig::default(), tz);
    let id = stage.open(&store, &opening, now).await.unwrap().unwrap();
    assert!(stage.open(&store, &opening, now).await.unwrap().is_none());
    assert_eq!(
        store
            .act(id, Action::Assign, "a@example.org", None, None, now)
            .await
            .unwrap(),
        State::Assigned
    );
    assert!(store
        .act(id, Action::Close, "a@example.org", None, None, now)
        .await
        .is_err());
    let list = store.escalations(None, now).await.unwrap();
    assert_eq!(list[0].assignee.as_deref(), Some("a@example.org"));
    assert_eq!(
        list[0].due_at,
        "2026-11-25T09:00:00Z"
            .parse::<chrono::DateTime<Utc>>()
            .unwrap()
    );
    assert_eq!(store.escalation_events(id).await.unwrap().len(), 2);

    // Retention: personal data older than the cut is erased with the copies made of it
    // (here the escalation's reason); titles go too, the classification stays.
    use vigie::runtime::privacy::{forget, purge, Person};
    store
        .act(
            id,
            Action::Answer,
            "a@example.org",
            None,
            Some("Bonjour Jean Dupont"),
            now,
        )
        .await
        .unwrap();
    let erased = purge(&store, now + chrono::Duration::seconds(1), now)
        .await
        .unwrap();
    assert_eq!(erased.mentions, 2);
    let m = store.mentions(None, 10).await.unwrap();
    assert!(
        m.iter().all(|m| m.author.is_none()
            && m.text.is_empty()
            && m.title.is_empty()
            && m.url.as_deref() == Some("https://example.org/")),
        "{m:?}"
    );
    assert_eq!(m.iter().filter(|m| m.sentiment.is_some()).count(), 1);
    assert_eq!(store.count_mentions().await.unwrap(), 2);
    let list = store.escalations(None, now).await.unwrap();
    assert_eq!(list[0].reason, "a mention by [erased]");
    let notes: Vec<Option<String>> = store
        .escalation_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.note)
        .collect();
    assert!(
        notes.contains(&Some("Bonjour [erased]".into())),
        "{notes:?}"
    );
    // A second purge finds nothing left to do; the erasure was recorded once.
    assert_eq!(
        purge(&store, now + chrono::Duration::seconds(1), now)
            .await
            .unwrap()
            .rows,
        0
    );
    assert_eq!(store.erasures().await.unwrap().len(), 1);
    // An erased post is not taken again: its keys stay (hashed).
    let again = store
        .ingest(&[mention(&["link:x"], "a", "one")], now)
        .await
        .unwrap();
    assert!(!again[0].new);

    // An erasure request: the person's own post erased whole, their name elsewhere scrubbed.
    let mut own = mention(&["link:z"], "a", "three");
    own.author = Some("@marie_d".into());
    own.text = "Je suis furieuse, écrivez-moi : marie.d@example.be".into();
    let mut other = mention(&["link:w"], "a", "four");
    other.text = "Réponse à @marie_d : appelez le 02".into();
    store.ingest(&[own, other], now).await.unwrap();
    let done = forget(&store, &Person::Handle("marie_d".into()), now)
        .await
        .unwrap();
    assert_eq!(done.mentions, 1);
    let m = store.mentions(None, 10).await.unwrap();
    for x in &m {
        let all = format!("{:?} {} {} {:?}", x.author, x.title, x.text, x.url);
        assert!(!all.contains("marie"), "{all}");
    }
    assert!(m
        .iter()
        .any(|x| x.text == "Réponse à [erased] : appelez le 02"));
    let kinds: Vec<String> = store
        .erasures()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(kinds, vec!["handle", "retention"]);
}

/// Engagement figures refreshed when an item is seen again, and a post deleted on its
/// platform erased and gone from lists and counts (#17).
async fn engagement_and_deletions(store: &Store) {
    use vigie::core::model::Engagement;
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let at = "at://did:plc:e2e/app.bsky.feed.post/3lbdel";
    let key = vigie::core::dedup::post_key(at);
    let mut m = mention(&[&key], "bsky", "deleted-later");
    m.engagement = Engagement {
        likes: Some(3),
        views: Some(40),
        ..Engagement::default()
    };
    let id = store.ingest(&[m.clone()], now).await.unwrap()[0].id;
    let before = store.count_mentions().await.unwrap();
    m.engagement = Engagement {
        likes: Some(9),
        replies: Some(2),
        ..Engagement::default()
    };
    assert!(!store.ingest(&[m], now).await.unwrap()[0].new);
    let got = store.mentions_by_id(&[id]).await.unwrap();
    assert_eq!(
        got[0].engagement,
        Engagement {
            likes: Some(9),
            replies: Some(2),
            views: Some(40),
            ..Engagement::default()
        },
        "new figures replace old ones; one the platform no longer gives keeps its value"
    );
    let json = serde_json::to_value(got[0].engagement).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"likes": 9, "replies": 2, "views": 40})
    );

    let refs = vec![
        at.to_string(),
        "at://did:plc:never/app.bsky.feed.post/x".into(),
    ];
    assert_eq!(store.delete_posts(&refs, now).await.unwrap(), vec![id]);
    // Deleted once: a second delete of the same post changes nothing.
    assert!(store.delete_posts(&refs, now).await.unwrap().is_empty());
    assert_eq!(store.count_mentions().await.unwrap(), before - 1);
    assert!(store.mentions_by_id(&[id]).await.unwrap().is_empty());
    assert!(store
        .mentions(None, 100)
        .await
        .unwrap()
        .iter()
        .all(|x| x.id != id && x.title != "deleted-later"));
}

#[tokio::test]
async fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open("sqlite://nested/dir/vigie.db", dir.path())
        .await
        .unwrap();
    exercise(store.clone()).await;
    engagement_and_deletions(&store).await;
    store.close().await;
    // Reopening runs no migration twice and keeps the data.
    let store = Store::open("sqlite://nested/dir/vigie.db", dir.path())
        .await
        .unwrap();
    assert_eq!(store.count_mentions().await.unwrap(), 4);
}

#[tokio::test]
async fn postgres_store() {
    let db = PgDb::new().await;
    let store = Store::open(&db.url, std::path::Path::new("."))
        .await
        .unwrap();
    exercise(store.clone()).await;
    engagement_and_deletions(&store).await;
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_concurrent_ingest_of_the_same_keys_gives_one_mention() {
    let db = PgDb::new().await;
    let a = Store::open(&db.url, std::path::Path::new("."))
        .await
        .unwrap();
    let b = Store::open(&db.url, std::path::Path::new("."))
        .await
        .unwrap();
    let now = Utc::now();
    let batch: Vec<NewMention> = (0..50)
        .map(|i| mention(&[&format!("link:{i}")], "a", &format!("t{i}")))
        .collect();
    let (ra, rb) = tokio::join!(a.ingest(&batch, now), b.ingest(&batch, now));
    // One of the two may lose a race on a key and retry; both must end up agreeing.
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(x.id, y.id);
    }
    assert_eq!(a.count_mentions().await.unwrap(), 50);
    a.close().await;
    b.close().await;
    db.drop_db().await;
}
