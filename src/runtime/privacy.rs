//! Citizens' personal data kept no longer than `[storage] retention_days`, and one
//! person's data erased on request (`vigie forget`). Logs say how many rows, never whose.

use chrono::{DateTime, Utc};
use tracing::info;

use crate::core::privacy;
use crate::escalate::formal::Detector;
use crate::store::erasures::{PersonalData, Scope};
use crate::store::Store;

/// Mentions erased per transaction by the retention purge.
const PURGE_BATCH: i64 = 500;

/// Whose data an erasure request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    /// An author's name as a source gives it (`Marie Dupont`, `@marie`).
    Author(String),
    /// A handle on a social network (`@marie`, `marie.bsky.social`).
    Handle(String),
    /// An e-mail address written in a message.
    Email(String),
}

impl Person {
    /// What the erasure record says: the kind, never the value.
    pub fn kind(&self) -> &'static str {
        match self {
            Person::Author(_) => "author",
            Person::Handle(_) => "handle",
            Person::Email(_) => "email",
        }
    }

    fn value(&self) -> &str {
        match self {
            Person::Author(v) | Person::Handle(v) | Person::Email(v) => v.trim(),
        }
    }

    /// The forms the value is written in.
    fn pieces(&self) -> Vec<String> {
        let v = self.value();
        let bare = v.trim_start_matches('@');
        let mut out = vec![v.to_string(), bare.to_string()];
        if !matches!(self, Person::Email(_)) {
            out.push(format!("@{bare}"));
        }
        privacy::normalise(out)
    }

    /// Whether `m` is this person's own message (erased whole), not one that names them.
    fn wrote(&self, m: &PersonalData) -> bool {
        let v = self.value().trim_start_matches('@').to_lowercase();
        match self {
            Person::Author(_) | Person::Handle(_) => {
                m.author
                    .as_deref()
                    .is_some_and(|a| a.trim().trim_start_matches('@').to_lowercase() == v)
                    || m.url.as_deref().is_some_and(|u| {
                        privacy::handles_in_url(u)
                            .iter()
                            .any(|h| h.to_lowercase() == v)
                    })
            }
            Person::Email(_) => {
                let v = [v];
                privacy::holds(&m.title, &v) || privacy::holds(&m.text, &v)
            }
        }
    }
}

/// What an erasure changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Mentions whose personal data was erased.
    pub mentions: u64,
    /// Rows changed in all (mentions and every copy).
    pub rows: u64,
}

/// Everything that identifies the author of `m`: name and handles, e-mail addresses,
/// and the name and postal address a formal request gives.
fn pieces_of(m: &PersonalData, detector: &Detector) -> Vec<String> {
    let mut out = privacy::pieces(m.author.as_deref(), m.url.as_deref(), &m.title, &m.text);
    let whole = format!("{}\n{}", m.title, m.text);
    let id = detector.identify(&whole);
    // As written (an obfuscated e-mail, a name split over form fields) and as read.
    out.extend(id.pieces(&whole).into_iter().map(str::to_string));
    out.extend(id.email.clone());
    out.extend(id.name);
    if let Some(a) = id.address {
        out.extend(a.split(", ").map(str::to_string));
    }
    privacy::normalise(out)
}

/// Erases personal data first seen before `before`, and the copies made of it.
pub async fn purge(
    store: &Store,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Erased> {
    let detector = Detector::new();
    let mut done = Erased::default();
    loop {
        let batch = store.personal_data_before(before, PURGE_BATCH).await?;
        if batch.is_empty() {
            break;
        }
        let ids: Vec<i64> = batch.iter().map(|m| m.id).collect();
        let pieces =
            privacy::normalise(batch.iter().flat_map(|m| pieces_of(m, &detector)).collect());
        done.rows += store.erase(&ids, &pieces, Scope::CopiesOf, now).await?;
        done.mentions += ids.len() as u64;
    }
    done.rows += store.expire_copies(before).await?;
    if done.rows > 0 {
        store.record_erasure("retention", done.rows, now).await?;
        info!(
            mentions = done.mentions,
            rows = done.rows,
            "personal data past retention erased"
        );
    }
    Ok(done)
}

/// Erases one person's data everywhere: their own messages whole, and their name,
/// handles and e-mail address wherever a copy holds them. Records that it happened.
pub async fn forget(store: &Store, who: &Person, now: DateTime<Utc>) -> anyhow::Result<Erased> {
    let detector = Detector::new();
    let mut pieces = who.pieces();
    let found = store.personal_data_holding(&pieces).await?;
    let own: Vec<&PersonalData> = found.iter().filter(|m| who.wrote(m)).collect();
    for m in &own {
        pieces.extend(pieces_of(m, &detector));
    }
    let pieces = privacy::normalise(pieces);
    let ids: Vec<i64> = own.iter().map(|m| m.id).collect();
    let rows = store.erase(&ids, &pieces, Scope::Everywhere, now).await?;
    store.record_erasure(who.kind(), rows, now).await?;
    info!(
        kind = who.kind(),
        mentions = ids.len(),
        rows,
        "erasure request carried out"
    );
    Ok(Erased {
        mentions: ids.len() as u64,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(author: Option<&str>, url: Option<&str>, text: &str) -> PersonalData {
        PersonalData {
            id: 1,
            author: author.map(str::to_string),
            url: url.map(str::to_string),
            title: String::new(),
            text: text.into(),
        }
    }

    #[test]
    fn own_messages_are_told_from_messages_naming_someone() {
        let a = Person::Author("Marie Dupont".into());
        assert!(a.wrote(&m(Some("marie dupont"), None, "")));
        assert!(!a.wrote(&m(Some("Jan"), None, "I met Marie Dupont")));
        let h = Person::Handle("@mdupont".into());
        assert!(h.wrote(&m(None, Some("https://social.example/@mdupont/1"), "")));
        assert!(h.wrote(&m(Some("@MDupont"), None, "")));
        let e = Person::Email("marie@example.be".into());
        assert!(e.wrote(&m(None, None, "write to MARIE@example.be")));
        assert!(!e.wrote(&m(None, None, "write to jan@example.be")));
        assert_eq!(h.pieces(), vec!["@mdupont", "mdupont"]);
        assert_eq!(e.kind(), "email");
    }
}
