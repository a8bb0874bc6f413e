//! Answers seen where they are given (#15): the institution's own account replies in a
//! thread on the platform, and the escalation of the citizen's question moves to
//! "answered" with that answer (who, when, link, text), counted by `vigie escalations
//! stats`. One thread-shaped fixture per platform, through the real daemon.

mod common;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use common::{json_lines, Env};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn stats(env: &Env) -> Vec<Value> {
    json_lines(&env.vigie(&[
        "escalations",
        "--config",
        env.config.to_str().unwrap(),
        "stats",
        "--weeks",
        "520",
        "--json",
    ]))
}

/// The one escalation, answered at `at` with a text holding `says`; and the figures.
fn assert_answered(env: &Env, asked: DateTime<Utc>, at: DateTime<Utc>, says: &str, logs: &str) {
    let list = env.escalations();
    assert_eq!(list.len(), 1, "{list:?}\n{logs}");
    let e = &list[0];
    assert_eq!(e["state"], "answered", "{e}\n{logs}");
    assert_eq!(e["opened_at"], json!(ts(asked)), "{e}");
    assert_eq!(e["answered_at"], json!(ts(at)), "{e}");
    // The history (export) keeps who answered and what was said.
    let export = env.vigie(&[
        "escalations",
        "--config",
        env.config.to_str().unwrap(),
        "export",
    ]);
    let export = String::from_utf8_lossy(&export.stdout).to_string();
    assert!(export.contains(says), "the answer's text: {export}");
    let all: Vec<Value> = stats(env)
        .into_iter()
        .filter(|s| s["by"] == "all")
        .collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["answered"], 1);
    let minutes = (at - asked).num_minutes() as f64;
    assert_eq!(all[0]["median_minutes"], json!(minutes), "{all:?}");
}

fn mastodon_status(
    id: u64,
    acct: &str,
    account: &str,
    text: &str,
    reply_to: Option<u64>,
    at: DateTime<Utc>,
) -> Value {
    json!({
        "id": id.to_string(),
        "created_at": ts(at),
        "in_reply_to_id": reply_to.map(|r| r.to_string()),
        "spoiler_text": "",
        "language": "fr",
        "uri": format!("https://masto.example/users/{acct}/statuses/{id}"),
        "url": format!("https://masto.example/@{acct}/{id}"),
        "content": format!("<p>{text}</p>"),
        "account": {"id": account, "acct": acct, "followers_count": 10},
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn mastodon_reply_from_the_institution_answers_the_question() {
    let server = MockServer::start().await;
    // Friday 27 November 2026 16:30 in Brussels, answered Monday 09:00: 64.5 hours, of
    // which 1.5 working hours (16:30–17:00 and 08:00–09:00).
    let asked: DateTime<Utc> = "2026-11-27T15:30:00Z".parse().unwrap();
    let answered: DateTime<Utc> = "2026-11-30T08:00:00Z".parse().unwrap();
    let question = mastodon_status(
        7001,
        "citoyen",
        "111",
        "@SPFImpots MyTax refuse ma connexion, que faire ?",
        None,
        asked,
    );
    // Someone else's reply answers nothing.
    let other = mastodon_status(
        7002,
        "voisin",
        "222",
        "Pareil chez moi, MyTax est en panne",
        Some(7001),
        asked + Duration::minutes(5),
    );
    let reply = mastodon_status(
        7003,
        "SPFImpots",
        "999",
        "Bonjour, une maintenance est en cours jusqu'à 10 h.",
        Some(7001),
        answered,
    );
    Mock::given(method("GET"))
        .and(path("/api/v1/timelines/tag/MyTax"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![other, question]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/lookup"))
        .and(query_param("acct", "SPFImpots"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "999", "acct": "SPFImpots"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/999/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(vec![reply]))
        .mount(&server)
        .await;
    let env = Env::new(
        &[],
        &format!(
            "[[sources]]\nname = \"masto-tag\"\nkind = \"mastodon\"\ninstance = \"{0}\"\nhashtag = \"MyTax\"\nevery = \"5m\"\n\n\
             [[sources]]\nname = \"masto-own\"\nkind = \"mastodon\"\ninstance = \"{0}\"\naccount = \"SPFImpots\"\nevery = \"5m\"\n\n\
             [escalation]\nhandles = [\"@SPFImpots\"]\n",
            server.uri()
        ),
    );
    let logs = env.run_once();
    assert_answered(&env, asked, answered, "maintenance est en cours", &logs);
    let mentions = env.mentions();
    let ours: Vec<&Value> = mentions.iter().filter(|m| m["own"] == true).collect();
    assert_eq!(ours.len(), 1, "{mentions:?}");
    let parent = ours[0]["in_reply_to"].as_str().unwrap();
    assert!(
        parent.starts_with("mastodon:") && parent.ends_with(":7001"),
        "{parent}"
    );
    let all = stats(&env).into_iter().find(|s| s["by"] == "all").unwrap();
    assert_eq!(all["median_minutes"], json!(3870.0), "{all}");
    assert_eq!(all["median_working_minutes"], json!(90.0), "{all}");
    assert_eq!(all["mean_working_minutes"], json!(90.0), "{all}");
    assert_eq!(all["within_rule"], json!(1.0), "due Monday 16:30: {all}");
    // The digest of that Friday shows its response times, in the reader's language.
    let digest = env.vigie(&[
        "digest",
        "--config",
        env.config.to_str().unwrap(),
        "--date",
        "2026-11-27",
        "--stdout",
        "--format",
        "text",
        "--language",
        "fr",
    ]);
    let text = String::from_utf8_lossy(&digest.stdout).to_string();
    assert!(
        text.contains("Délai de réponse")
            && text.contains("1/1 répondus")
            && text.contains("64,5 h (90 min en temps ouvré)"),
        "{text}\n{}",
        String::from_utf8_lossy(&digest.stderr)
    );

    // A second run records nothing twice.
    env.run_once();
    let e = &env.escalations()[0];
    assert_eq!(e["state"], "answered");
}

fn bsky_post(
    did: &str,
    handle: &str,
    rkey: &str,
    text: &str,
    reply_to: Option<&str>,
    at: DateTime<Utc>,
) -> Value {
    let mut record =
        json!({"$type": "app.bsky.feed.post", "text": text, "langs": ["fr"], "createdAt": ts(at)});
    if let Some(parent) = reply_to {
        record["reply"] =
            json!({"parent": {"uri": parent, "cid": "x"}, "root": {"uri": parent, "cid": "x"}});
    }
    json!({
        "uri": format!("at://{did}/app.bsky.feed.post/{rkey}"),
        "cid": "bafy",
        "author": {"did": did, "handle": handle},
        "record": record,
        "indexedAt": ts(at),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn bluesky_reply_by_the_institution_s_did_answers_the_question() {
    let server = MockServer::start().await;
    let asked = Utc::now() - Duration::minutes(80);
    let answered = asked + Duration::minutes(61);
    let q_uri = "at://did:plc:citizen/app.bsky.feed.post/3kq1";
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"accessJwt": "jwt", "refreshJwt": "r", "did": "did:plc:me", "handle": "me"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.searchPosts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"posts": [
            bsky_post("did:plc:spf", "spf-impots.be", "3kq9", "Bonjour, votre avertissement-extrait de rôle est disponible dans MyTax.", Some(q_uri), answered),
            bsky_post("did:plc:citizen", "lea.bsky.social", "3kq1", "@SPFImpots où trouver mon avertissement-extrait de rôle dans MyTax ?", None, asked),
        ]})))
        .mount(&server)
        .await;
    let env = Env::new(
        &[],
        &format!(
            "[[sources]]\nname = \"bsky\"\nkind = \"bluesky_search\"\nquery = \"MyTax\"\nidentifier_env = \"VIGIE_TEST_BSKY_ID\"\napp_password_env = \"VIGIE_TEST_BSKY_PW\"\nevery = \"10m\"\nservice = \"{}\"\n\n\
             [escalation]\nhandles = [\"@SPFImpots\"]\naccounts = {{ bsky = [\"did:plc:spf\"] }}\n",
            server.uri()
        ),
    );
    let logs = env.run_once_with(&[("VIGIE_TEST_BSKY_ID", "me"), ("VIGIE_TEST_BSKY_PW", "pw")]);
    assert_answered(
        &env,
        asked,
        answered,
        "avertissement-extrait de rôle est disponible",
        &logs,
    );
    let mentions = env.mentions();
    let reply = mentions
        .iter()
        .find(|m| m["own"] == true)
        .expect("our reply is stored");
    assert_eq!(reply["in_reply_to"], q_uri);
    assert_eq!(reply["thread"], q_uri);
}

fn reddit_listing(children: Vec<Value>) -> Value {
    json!({"kind": "Listing", "data": {"after": null, "before": null, "children": children}})
}

#[tokio::test(flavor = "multi_thread")]
async fn reddit_comment_of_the_institution_s_account_answers_a_later_run() {
    let server = MockServer::start().await;
    let asked = Utc::now() - Duration::minutes(100);
    let answered = asked + Duration::minutes(47);
    Mock::given(method("POST"))
        .and(path("/api/v1/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "tok", "token_type": "bearer", "expires_in": 3600}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reddit_listing(vec![json!({"kind": "t3", "data": {
            "name": "t3_q1", "title": "u/SPFImpots pourquoi MyTax refuse-t-il ma déclaration ?",
            "selftext": "Erreur 500 à chaque envoi.", "author": "citoyen_be",
            "permalink": "/r/belgium/comments/q1/mytax/", "created_utc": asked.timestamp() as f64,
        }})])))
        .mount(&server)
        .await;
    let env = Env::new(
        &[],
        &format!(
            "[[sources]]\nname = \"reddit\"\nkind = \"reddit\"\nquery = \"MyTax\"\nclient_id_env = \"VIGIE_TEST_R_ID\"\nclient_secret_env = \"VIGIE_TEST_R_SECRET\"\nevery = \"5m\"\ntoken_url = \"{0}/api/v1/access_token\"\napi_url = \"{0}\"\n\n\
             [[sources]]\nname = \"reddit-own\"\nkind = \"reddit\"\nuser = \"SPFImpots\"\nclient_id_env = \"VIGIE_TEST_R_ID\"\nclient_secret_env = \"VIGIE_TEST_R_SECRET\"\nevery = \"5m\"\ntoken_url = \"{0}/api/v1/access_token\"\napi_url = \"{0}\"\n\n\
             [escalation]\nhandles = [\"u/SPFImpots\"]\naccounts = {{ reddit-own = [\"SPFImpots\"] }}\n",
            server.uri()
        ),
    );
    let vars = [("VIGIE_TEST_R_ID", "id"), ("VIGIE_TEST_R_SECRET", "secret")];
    // First run: the question, no answer yet.
    let empty = Mock::given(method("GET"))
        .and(path("/user/SPFImpots/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reddit_listing(vec![])))
        .mount_as_scoped(&server)
        .await;
    env.run_once_with(&vars);
    assert_eq!(env.escalations()[0]["state"], "new");
    drop(empty);
    // Later: the account's comment under it, in a later poll.
    Mock::given(method("GET"))
        .and(path("/user/SPFImpots/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reddit_listing(vec![json!({"kind": "t1", "data": {
            "name": "t1_a1", "body": "Bonjour, le correctif est en ligne : réessayez svp.",
            "author": "SPFImpots", "parent_id": "t3_q1", "link_id": "t3_q1", "link_title": "MyTax",
            "permalink": "/r/belgium/comments/q1/mytax/a1/", "created_utc": answered.timestamp() as f64,
        }})])))
        .mount(&server)
        .await;
    let logs = env.run_once_with(&vars);
    assert_answered(&env, asked, answered, "le correctif est en ligne", &logs);
}

#[tokio::test(flavor = "multi_thread")]
async fn youtube_reply_of_the_channel_owner_answers_the_comment() {
    let server = MockServer::start().await;
    let asked = Utc::now() - Duration::minutes(30);
    let answered = asked + Duration::minutes(12);
    let channel = "UCspfimpots0000000000000";
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:yt=\"http://www.youtube.com/xml/schemas/2015\">\n<title>SPF Impôts</title>\n<entry><id>yt:video:Vid00000001</id><yt:videoId>Vid00000001</yt:videoId><title>MyTax en 3 minutes</title><link rel=\"alternate\" href=\"https://www.youtube.com/watch?v=Vid00000001\"/><published>{}</published></entry>\n</feed>\n",
        ts(asked - Duration::days(1))
    );
    let comment = |id: &str, author: &str, channel: &str, text: &str, at: DateTime<Utc>| {
        json!({"id": id, "snippet": {"videoId": "Vid00000001", "textOriginal": text, "textDisplay": text,
            "authorDisplayName": author, "authorChannelId": {"value": channel}, "publishedAt": ts(at)}})
    };
    let mut reply = comment(
        "Ugq1.r1",
        "@SPFImpots",
        channel,
        "Bonjour, la déclaration simplifiée arrive en juin.",
        answered,
    );
    reply["snippet"]["parentId"] = json!("Ugq1");
    Mock::given(method("GET"))
        .and(path("/feeds/videos.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_string(feed))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/commentThreads"))
        .and(query_param("part", "snippet,replies"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": [{
            "id": "Ugq1",
            "snippet": {"videoId": "Vid00000001", "topLevelComment": comment("Ugq1", "@jan", "UCjan", "@SPFImpots quand arrive la déclaration simplifiée dans MyTax ?", asked)},
            "replies": {"comments": [reply]},
        }]})))
        .mount(&server)
        .await;
    let env = Env::new(
        &[],
        &format!(
            "[[sources]]\nname = \"yt\"\nkind = \"youtube\"\ncomments_of_channel = \"{channel}\"\nkey_env = \"VIGIE_TEST_YT_K\"\nevery = \"30m\"\nfeeds_url = \"{0}/feeds/videos.xml\"\napi_url = \"{0}/youtube/v3\"\n\n\
             [escalation]\nhandles = [\"@SPFImpots\"]\n",
            server.uri()
        ),
    );
    let logs = env.run_once_with(&[("VIGIE_TEST_YT_K", "key")]);
    assert_answered(
        &env,
        asked,
        answered,
        "la déclaration simplifiée arrive en juin",
        &logs,
    );
}
