//! Plain data passed between stages: what a source yields, what the pipeline makes of it,
//! and what the store gives back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::classification::{Sentiment, TopicScore};

/// One entry as a source delivered it, cleaned to text but not yet matched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// Name of the source (`[[sources]] name`).
    pub source: String,
    /// The source's own id for the entry (RSS guid, Atom id), when it gave one.
    pub guid: Option<String>,
    /// Link to the article or post, as given.
    pub link: Option<String>,
    /// Title, as clean text.
    pub title: String,
    /// Body or summary, as clean text.
    pub text: String,
    /// Publication (or last update) time given by the source.
    pub published_at: Option<DateTime<Utc>>,
    /// Author name or handle.
    pub author: Option<String>,
    /// Followers or audience of the author, when the source says.
    pub reach: Option<i64>,
    /// Language the source declares (feed `<language>`, `xml:lang`), as given.
    pub lang_hint: Option<String>,
    /// Where it sits in a conversation, when the source says.
    pub thread: ThreadLinks,
    /// The author's account id on the platform (Mastodon account id, Bluesky DID, YouTube
    /// channel id, e-mail address): only compared with the institution's own accounts,
    /// never stored.
    pub author_id: Option<String>,
    /// Sent to the institution privately (a direct message, an e-mail): taken whatever it
    /// says, as everything sent to the institution concerns it, and masked for viewers.
    pub direct: bool,
    /// Likes, reposts, replies, quotes and views, as the platform counted them when read.
    pub engagement: Engagement,
}

/// How people reacted to a post, as the platform counted them when it was last read:
/// each figure only when the platform gives it (absent is not zero).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    /// Likes, favourites, upvotes (Reddit: the score).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likes: Option<i64>,
    /// Reposts, reblogs, boosts, crossposts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reposts: Option<i64>,
    /// Replies, comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<i64>,
    /// Quotes (Bluesky).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotes: Option<i64>,
    /// Views (YouTube, Reddit when it says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub views: Option<i64>,
}

impl Engagement {
    /// No figure at all.
    pub fn is_empty(&self) -> bool {
        *self == Engagement::default()
    }

    /// Every figure the platform gave, added up: how many people acted on the post.
    pub fn interactions(&self) -> i64 {
        [self.likes, self.reposts, self.replies, self.quotes]
            .into_iter()
            .flatten()
            .map(|n| n.max(0))
            .sum()
    }
}

/// A post's place in a conversation, as references that are unique across platforms
/// ("at://did:plc:…/app.bsky.feed.post/…", "mastodon:social.example:1093…",
/// "reddit:t1_abc", "youtube:comment:Ugx…", "mail:<id@host>"), so that a reply names
/// its parent the way the parent names itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadLinks {
    /// This post's own reference.
    pub id: Option<String>,
    /// The post it answers.
    pub in_reply_to: Option<String>,
    /// The conversation's first post (a Reddit submission, a Bluesky thread root).
    pub root: Option<String>,
}

/// A mention ready to be stored: matched, keyed, language identified.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewMention {
    /// Dedup keys, strongest first; any key already stored means "same mention".
    pub keys: Vec<String>,
    /// Source that delivered it.
    pub source: String,
    /// Canonical link.
    pub url: Option<String>,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Author.
    pub author: Option<String>,
    /// Audience.
    pub reach: Option<i64>,
    /// Publication time.
    pub published_at: Option<DateTime<Utc>>,
    /// ISO 639-1 code, or "und".
    pub lang: String,
    /// 0..=1
    pub lang_confidence: f64,
    /// Keyword terms that matched.
    pub matched: Vec<String>,
    /// The post it answers, as a platform reference.
    pub in_reply_to: Option<String>,
    /// The conversation's first post, as a platform reference.
    pub thread: Option<String>,
    /// Sent privately to the institution.
    pub direct: bool,
    /// Written by one of the institution's own accounts.
    pub own: bool,
    /// First seen long after it was written (`[ingest] late_after`).
    pub late: bool,
    /// Reactions counted by the platform when read.
    pub engagement: Engagement,
    /// Asks something (see `core::question`).
    pub question: bool,
}

/// A stored mention, as `vigie mentions --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    /// Database id.
    pub id: i64,
    /// First source it was seen in.
    pub source: String,
    /// Every source it was seen in.
    pub sources: Vec<String>,
    /// Canonical link.
    pub url: Option<String>,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Author, when known and not yet purged.
    pub author: Option<String>,
    /// Audience of the author.
    pub reach: Option<i64>,
    /// Publication time from the source.
    pub published_at: Option<DateTime<Utc>>,
    /// When vigie first stored it.
    pub first_seen_at: DateTime<Utc>,
    /// ISO 639-1 code or "und".
    pub lang: String,
    /// Language confidence, 0..=1.
    pub lang_confidence: f64,
    /// Keyword terms that matched.
    pub matched: Vec<String>,
    /// Sentiment, once classified.
    pub sentiment: Option<Sentiment>,
    /// Topics, once classified.
    pub topics: Option<Vec<TopicScore>>,
    /// Model that produced the classification.
    pub model: Option<String>,
    /// The story it belongs to (the id of the story's first mention), once signals ran.
    #[serde(default)]
    pub story: Option<i64>,
    /// The post it answers (a platform reference or link), when the source says.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// The conversation's first post, when the source says.
    #[serde(default)]
    pub thread: Option<String>,
    /// Sent privately to the institution (a direct message, an e-mail).
    #[serde(default)]
    pub direct: bool,
    /// Written by one of the institution's own accounts.
    #[serde(default)]
    pub own: bool,
    /// First seen long after it was written (`[ingest] late_after`): counted in its own
    /// day, never as "now".
    #[serde(default)]
    pub late: bool,
    /// Likes, reposts, replies, quotes and views, as the platform last counted them
    /// (refreshed whenever a poll returns the post again); absent figures are omitted.
    #[serde(default)]
    pub engagement: Engagement,
    /// Asks something: a question mark or a question's opening words.
    #[serde(default)]
    pub question: bool,
}

/// By default, a mention first seen this long after it was written is "late" (`[ingest]
/// late_after`): its clocks still start when it was written, but it never counts as "now".
pub const LATE_AFTER: chrono::Duration = chrono::Duration::hours(2);

/// When something happened (event time): what the source says it was published, unless
/// that is missing or later than when vigie first saw it (a clock in the future).
pub fn event_time(
    published_at: Option<DateTime<Utc>>,
    first_seen_at: DateTime<Utc>,
) -> DateTime<Utc> {
    published_at
        .filter(|p| *p <= first_seen_at)
        .unwrap_or(first_seen_at)
}

/// Whether something written at `event` and seen at `seen` is late, with `late_after`.
pub fn is_late(event: DateTime<Utc>, seen: DateTime<Utc>, late_after: chrono::Duration) -> bool {
    seen - event > late_after
}

impl Mention {
    /// When it was written (event time): what windows, baselines and clocks count in.
    pub fn event_at(&self) -> DateTime<Utc> {
        event_time(self.published_at, self.first_seen_at)
    }
}
