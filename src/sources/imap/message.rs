//! One e-mail as an [`Item`]: From, Subject, Date and the text of its body (HTML turned
//! into text); attachments are counted, never kept.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{MessageParser, PartType};

use crate::core::model::{Item, ThreadLinks};
use crate::core::text::{collapse_ws, html_to_text};

/// What the server told us about a message besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Envelope {
    /// When the server received it (INTERNALDATE): the time when the Date header is
    /// missing or unreadable.
    pub received: Option<DateTime<Utc>>,
    /// Its whole size, when only its first bytes were read (`max_message_kib`).
    pub cut_from: Option<u32>,
}

/// The item for one raw message, or None when it cannot be read as a message at all.
pub(super) fn to_item(source: &str, raw: &[u8], env: Envelope) -> Option<Item> {
    let msg = MessageParser::default().parse(raw)?;
    // The parser takes anything; what has none of the headers every mail program writes
    // (From, Date, Subject, Message-ID) is not an e-mail.
    if msg.from().is_none()
        && msg.date().is_none()
        && msg.subject().is_none()
        && msg.message_id().is_none()
    {
        return None;
    }
    let reference = |id: &str| format!("mail:<{}>", id.trim().trim_matches(['<', '>']));
    let message_id = msg.message_id().filter(|id| !id.trim().is_empty());
    let first = |v: &mail_parser::HeaderValue| {
        v.as_text_list().and_then(|l| {
            l.iter()
                .find(|s| !s.trim().is_empty())
                .map(|s| reference(s))
        })
    };
    let from = msg.from().and_then(|a| a.first());
    let address = from
        .and_then(|a| a.address.as_deref())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty());
    let author = match (from.and_then(|a| a.name.as_deref()), &address) {
        (Some(n), Some(a)) if !n.trim().is_empty() => Some(format!("{} <{a}>", n.trim())),
        (Some(n), None) if !n.trim().is_empty() => Some(n.trim().to_string()),
        (_, a) => a.clone(),
    };
    let published_at = msg
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single())
        .or(env.received);
    let lang_hint = msg
        .header_raw("Content-Language")
        .and_then(|l| l.split(',').next())
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty());
    Some(Item {
        source: source.to_string(),
        guid: message_id.map(|id| id.trim().to_string()),
        link: None,
        title: collapse_ws(msg.subject().unwrap_or_default()),
        text: body(&msg, env.cut_from),
        published_at,
        author,
        lang_hint,
        thread: ThreadLinks {
            id: message_id.map(reference),
            in_reply_to: first(msg.in_reply_to()),
            root: first(msg.references()),
        },
        author_id: address,
        direct: true,
        ..Item::default()
    })
}

/// The text parts in order (an HTML-only part turned into text), then a line saying how
/// many attachments were left out and whether the message was cut.
fn body(msg: &mail_parser::Message, cut_from: Option<u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for id in &msg.text_body {
        let text = match msg.parts.get(*id as usize).map(|p| &p.body) {
            Some(PartType::Text(t)) => collapse_ws(t),
            Some(PartType::Html(h)) => html_to_text(h),
            _ => continue,
        };
        if !text.is_empty() {
            parts.push(text);
        }
    }
    let attachments = msg
        .attachments
        .iter()
        .filter(|id| !msg.text_body.contains(id) && !msg.html_body.contains(id))
        .count();
    match attachments {
        0 => {}
        1 => parts.push("[1 attachment not kept]".into()),
        n => parts.push(format!("[{n} attachments not kept]")),
    }
    if let Some(size) = cut_from {
        parts.push(format!(
            "[message of {} KiB: only its beginning was read]",
            size.div_ceil(1024)
        ));
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(raw: &str) -> Item {
        to_item("mailbox", raw.as_bytes(), Envelope::default()).expect("a message")
    }

    #[test]
    fn plain_text_message_with_its_headers() {
        let i = item(concat!(
            "From: Marie Dupont <Marie.Dupont@Example.be>\r\n",
            "To: contact@spf.example\r\n",
            "Subject: =?UTF-8?Q?Demande_de_r=C3=A9examen?=\r\n",
            "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n",
            "Message-ID: <abc.123@example.be>\r\n",
            "In-Reply-To: <prev@spf.example>\r\n",
            "References: <root@example.be> <prev@spf.example>\r\n",
            "Content-Language: fr-BE\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "\r\n",
            "Bonjour,\r\nJe demande le réexamen.\r\n\r\nCordialement,\r\nMarie Dupont\r\n",
        ));
        assert_eq!(i.title, "Demande de réexamen");
        assert_eq!(i.guid.as_deref(), Some("abc.123@example.be"));
        assert_eq!(i.link, None);
        assert_eq!(
            i.author.as_deref(),
            Some("Marie Dupont <marie.dupont@example.be>")
        );
        assert_eq!(i.author_id.as_deref(), Some("marie.dupont@example.be"));
        assert!(i.direct);
        assert_eq!(
            i.published_at.unwrap().to_rfc3339(),
            "2026-11-23T09:00:00+00:00"
        );
        assert_eq!(i.lang_hint.as_deref(), Some("fr-BE"));
        assert_eq!(i.thread.id.as_deref(), Some("mail:<abc.123@example.be>"));
        assert_eq!(
            i.thread.in_reply_to.as_deref(),
            Some("mail:<prev@spf.example>")
        );
        assert_eq!(i.thread.root.as_deref(), Some("mail:<root@example.be>"));
        assert_eq!(
            i.text,
            "Bonjour,\nJe demande le réexamen.\n\nCordialement,\nMarie Dupont"
        );
    }

    #[test]
    fn html_only_body_becomes_text_and_attachments_are_counted() {
        let i = item(concat!(
            "From: jan@example.be\r\n",
            "Subject: Vraag\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n",
            "\r\n",
            "--b\r\n",
            "Content-Type: text/html; charset=utf-8\r\n",
            "\r\n",
            "<html><body><p>Goedendag,</p><p>Wanneer komt mijn <b>terugbetaling</b>?</p><script>x()</script></body></html>\r\n",
            "--b\r\n",
            "Content-Type: application/pdf; name=\"scan.pdf\"\r\n",
            "Content-Disposition: attachment; filename=\"scan.pdf\"\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "JVBERi0xLjQK\r\n",
            "--b\r\n",
            "Content-Type: image/png\r\n",
            "Content-Disposition: attachment; filename=\"a.png\"\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "iVBORw0KGgo=\r\n",
            "--b--\r\n",
        ));
        assert_eq!(i.author.as_deref(), Some("jan@example.be"));
        assert!(i.text.contains("Goedendag,"), "{}", i.text);
        assert!(
            i.text.contains("Wanneer komt mijn terugbetaling?"),
            "{}",
            i.text
        );
        assert!(
            !i.text.contains('<') && !i.text.contains("x()"),
            "{}",
            i.text
        );
        assert!(i.text.ends_with("[2 attachments not kept]"), "{}", i.text);
        assert!(!i.text.contains("JVBER"));
        assert_eq!(i.guid, None);
        assert_eq!(i.thread, ThreadLinks::default());
    }

    #[test]
    fn alternative_parts_keep_the_plain_text_and_received_time_stands_in_for_date() {
        let received = Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap();
        let raw = concat!(
            "From: \"Dupont, Marie\" <marie@example.be>\r\n",
            "Subject: Question\r\n",
            "Date: not a date\r\n",
            "Content-Type: multipart/alternative; boundary=\"b\"\r\n",
            "\r\n",
            "--b\r\n",
            "Content-Type: text/plain\r\n",
            "\r\n",
            "Plain version\r\n",
            "--b\r\n",
            "Content-Type: text/html\r\n",
            "\r\n",
            "<p>HTML version</p>\r\n",
            "--b--\r\n",
        );
        let env = Envelope {
            received: Some(received),
            cut_from: Some(3 * 1024 * 1024),
        };
        let i = to_item("mailbox", raw.as_bytes(), env).unwrap();
        assert_eq!(
            i.text,
            "Plain version\n\n[message of 3072 KiB: only its beginning was read]"
        );
        assert_eq!(i.published_at, Some(received));
        assert_eq!(
            i.author.as_deref(),
            Some("Dupont, Marie <marie@example.be>")
        );
    }

    #[test]
    fn what_is_not_a_message_is_refused() {
        assert!(to_item("m", b"", Envelope::default()).is_none());
        assert!(to_item("m", b"\x00\x01\x02 random bytes", Envelope::default()).is_none());
        assert!(to_item("m", b"X-Only: header\r\n\r\nbody", Envelope::default()).is_none());
    }
}
