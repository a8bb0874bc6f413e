//! `kind = "youtube"` with `comments_of_channel`: comments on a channel's latest uploads
//! (the institution's own videos), where citizens ask and complain.
//!
//! The uploads feed (no key) lists the latest videos; for each, `commentThreads` (one
//! quota unit per page) newest first, until a comment older than the cursor: the newest
//! comment time seen on any of them. Comments at the cursor's second come again and the
//! store's link keys recognise them. Videos with comments turned off are skipped.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Deserialize;
use tracing::{debug, warn};

use super::api;
use super::http::Http;
use super::youtube::{api_error, feed_url, reasons, YoutubeConfig};
use super::{feed, Poll, Source, SourceError, SourceState};
use crate::core::model::{Engagement, Item, ThreadLinks};
use crate::core::secret::EnvSecret;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadList {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Thread {
    id: String,
    snippet: ThreadSnippet,
    /// The first replies (the API gives up to five with the thread).
    #[serde(default)]
    replies: Option<Replies>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Replies {
    #[serde(default)]
    comments: Vec<Reply>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reply {
    id: String,
    snippet: CommentSnippet,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadSnippet {
    video_id: String,
    top_level_comment: Comment,
    /// All the replies, of which the thread carries at most five.
    #[serde(default)]
    total_reply_count: usize,
}

/// `comments.list?parentId=…`: a thread's replies beyond the first five.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplyList {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Comment {
    snippet: CommentSnippet,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentSnippet {
    #[serde(default)]
    text_original: Option<String>,
    #[serde(default)]
    text_display: String,
    #[serde(default)]
    author_display_name: Option<String>,
    #[serde(default)]
    author_channel_id: Option<ChannelId>,
    published_at: DateTime<Utc>,
    #[serde(default)]
    like_count: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct ChannelId {
    value: String,
}

/// Comments on a channel's latest uploads.
pub struct CommentsSource {
    cfg: YoutubeConfig,
    http: Http,
    key: EnvSecret,
}

impl CommentsSource {
    /// Reads the key from the environment now.
    pub fn new(cfg: YoutubeConfig, http: Http) -> CommentsSource {
        let key = EnvSecret::from_env(
            cfg.key_env.as_deref().unwrap_or_default(),
            "a YouTube Data API key",
        );
        CommentsSource { cfg, http, key }
    }

    /// Video ids of the channel's latest uploads, newest first.
    async fn videos(&self) -> Result<Vec<String>, SourceError> {
        let channel = self.cfg.comments_of_channel.as_deref().unwrap_or_default();
        let r = self
            .http
            .get(&feed_url(&self.cfg, channel), None, None)
            .await?;
        let body = r.body.unwrap_or_default();
        let (name, max) = (self.cfg.name.clone(), self.http.max_items());
        let parsed = super::blocking(move || feed::parse_at_most(&body, &name, max))
            .await?
            .map_err(SourceError::Parse)?;
        Ok(parsed
            .items
            .iter()
            .filter_map(|i| {
                i.guid
                    .as_deref()
                    .and_then(|g| g.strip_prefix("yt:video:"))
                    .map(str::to_string)
            })
            .collect())
    }

    /// Decodes a page of comment threads (JSON, entities) into the next page's token,
    /// (time, item) pairs newest first, and the threads with more replies than they
    /// carry: CPU work, run off the async workers.
    async fn threads(&self, body: Vec<u8>) -> Result<Threads, SourceError> {
        let (source, language) = (self.cfg.name.clone(), self.cfg.language.clone());
        super::blocking(move || {
            let list: ThreadList = api::json(&body, "YouTube comment threads")?;
            let (threads, skipped) = api::lenient::<Thread>(list.items, &source, "comment thread");
            let mut more = Vec::new();
            let mut items = Vec::new();
            // A thread's replies come with it and go by its time (threads are in order).
            for t in threads {
                let at = t.snippet.top_level_comment.snippet.published_at;
                let carried = t.replies.as_ref().map_or(0, |r| r.comments.len());
                if t.snippet.total_reply_count > carried {
                    more.push(LongThread {
                        id: t.id.clone(),
                        video: t.snippet.video_id.clone(),
                        at,
                    });
                }
                items.extend(
                    items_of(&source, language.as_deref(), t)
                        .into_iter()
                        .map(|i| (at, i)),
                );
            }
            Ok(Threads {
                next: list.next_page_token,
                items,
                more,
                skipped,
            })
        })
        .await?
    }

    /// Every reply of a thread (`comments.list?parentId=`), up to `max_pages` pages.
    async fn replies(&self, key: &str, thread: &LongThread) -> Result<Vec<Item>, SourceError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..self.cfg.max_pages {
            let mut u = url::Url::parse(&format!(
                "{}/comments",
                self.cfg.api_url.trim_end_matches('/')
            ))
            .map_err(|e| SourceError::Transport(e.to_string()))?;
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("part", "snippet")
                    .append_pair("parentId", &thread.id)
                    .append_pair("maxResults", "100")
                    .append_pair("textFormat", "plainText");
                if let Some(t) = &token {
                    q.append_pair("pageToken", t);
                }
                q.append_pair("key", key);
            }
            let mut raw = self.http.send(self.http.client().get(u.as_str())).await?;
            if !(200..300).contains(&raw.status) {
                return Err(api_error(&raw, u.as_str(), &self.key.var));
            }
            let list: ReplyList =
                api::json_off(std::mem::take(&mut raw.body), "YouTube replies").await?;
            let (replies, skipped) = api::lenient::<Reply>(list.items, &self.cfg.name, "reply");
            if skipped > 0 {
                warn!(source = %self.cfg.name, skipped, "unreadable replies skipped");
            }
            out.extend(replies.into_iter().map(|r| {
                let lang = self.cfg.language.as_deref();
                comment(
                    &self.cfg.name,
                    lang,
                    &thread.video,
                    &r.id,
                    Some(&thread.id),
                    r.snippet,
                )
            }));
            token = list.next_page_token;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }
}

/// A thread with more replies than it carries.
struct LongThread {
    id: String,
    video: String,
    at: DateTime<Utc>,
}

/// A page of comment threads.
struct Threads {
    next: Option<String>,
    /// (time, item), newest first.
    items: Vec<(DateTime<Utc>, Item)>,
    more: Vec<LongThread>,
    skipped: usize,
}

/// A thread's top-level comment and its replies, each with its thread links (a reply
/// answers the top-level comment; the top-level comment's id is the thread's).
fn items_of(source: &str, language: Option<&str>, t: Thread) -> Vec<Item> {
    let video = t.snippet.video_id;
    let mut top = comment(
        source,
        language,
        &video,
        &t.id,
        None,
        t.snippet.top_level_comment.snippet,
    );
    top.engagement.replies = Some(t.snippet.total_reply_count as i64);
    let mut out = vec![top];
    for r in t.replies.map(|r| r.comments).unwrap_or_default() {
        out.push(comment(
            source,
            language,
            &video,
            &r.id,
            Some(&t.id),
            r.snippet,
        ));
    }
    out
}

fn comment(
    source: &str,
    language: Option<&str>,
    video: &str,
    id: &str,
    parent: Option<&str>,
    c: CommentSnippet,
) -> Item {
    let link = format!("https://www.youtube.com/watch?v={video}&lc={id}");
    let reference = |id: &str| format!("youtube:comment:{id}");
    let text = c
        .text_original
        .unwrap_or_else(|| html_escape::decode_html_entities(&c.text_display).into_owned());
    Item {
        source: source.to_string(),
        guid: Some(link.clone()),
        link: Some(link),
        title: api::post_title(&text),
        text,
        published_at: Some(c.published_at),
        author: c.author_display_name,
        reach: None,
        lang_hint: language.map(str::to_string),
        thread: ThreadLinks {
            id: Some(reference(id)),
            in_reply_to: parent.map(reference),
            root: None,
        },
        author_id: c.author_channel_id.map(|c| c.value),
        engagement: Engagement {
            likes: c.like_count,
            ..Engagement::default()
        },
        ..Default::default()
    }
}

#[async_trait]
impl Source for CommentsSource {
    fn name(&self) -> &str {
        &self.cfg.name
    }

    fn host(&self) -> Option<String> {
        super::api::host_of(&self.cfg.api_url)
    }

    /// The Data API, and the site whose uploads feed lists the channel's videos.
    fn hosts(&self) -> Vec<String> {
        let feeds = super::api::host_of(&self.cfg.feeds_url);
        self.host().into_iter().chain(feeds).collect()
    }

    async fn poll(&self, state: &SourceState) -> Result<Poll, SourceError> {
        let key = self.key.get()?;
        let since = api::cursor_time(state.cursor.as_deref(), self.cfg.lookback);
        let mut poll = Poll::default();
        let mut newest = since;
        for video in self.videos().await? {
            let mut token: Option<String> = None;
            'pages: for page_no in 1..=self.cfg.max_pages {
                let mut u = url::Url::parse(&format!(
                    "{}/commentThreads",
                    self.cfg.api_url.trim_end_matches('/')
                ))
                .map_err(|e| SourceError::Transport(e.to_string()))?;
                {
                    let mut q = u.query_pairs_mut();
                    q.append_pair("part", "snippet,replies")
                        .append_pair("videoId", &video)
                        .append_pair("order", "time")
                        .append_pair("maxResults", "100")
                        .append_pair("textFormat", "plainText");
                    if let Some(t) = &token {
                        q.append_pair("pageToken", t);
                    }
                    q.append_pair("key", key.expose_secret());
                }
                let raw = self.http.send(self.http.client().get(u.as_str())).await?;
                if !(200..300).contains(&raw.status) {
                    if reasons(&raw).0.iter().any(|r| r == "commentsDisabled") {
                        debug!(source = %self.cfg.name, video = %video, "comments turned off");
                        break 'pages;
                    }
                    if raw.status == 404 {
                        warn!(source = %self.cfg.name, video = %video, "video gone");
                        break 'pages;
                    }
                    return Err(api_error(&raw, u.as_str(), &self.key.var));
                }
                let page = self.threads(raw.body).await?;
                poll.skipped += page.skipped;
                for t in page.more.iter().filter(|t| t.at >= since) {
                    poll.items
                        .extend(self.replies(key.expose_secret(), t).await?);
                }
                for (at, item) in page.items {
                    if at < since {
                        // Newest first: the rest of this video is older still.
                        break 'pages;
                    }
                    newest = newest.max(at);
                    poll.items.push(item);
                }
                token = page.next;
                if token.is_none() {
                    break;
                }
                if page_no == self.cfg.max_pages {
                    poll.left_behind += 1;
                    warn!(source = %self.cfg.name, video = %video, pages = page_no, "more comments than max_pages fetch: older ones of this video are skipped until they are newer than the cursor; raise max_pages");
                }
            }
        }
        poll.cursor = Some(newest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(poll)
    }
}
