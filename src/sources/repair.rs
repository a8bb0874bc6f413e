//! One repair attempt for feeds as they exist in the wild: wrong encoding, bare `&`,
//! HTML entities XML does not know, control characters, truncated documents.
//! Learned from Miniflux and FreshRSS, which both meet these daily.

use std::borrow::Cow;

/// The repaired document and what was changed.
#[derive(Debug)]
pub struct Repaired {
    /// New bytes (UTF-8).
    pub bytes: Vec<u8>,
    /// Human-readable list of fixes; empty when nothing could be done.
    pub changes: Vec<String>,
}

/// Says why the bytes are clearly not a feed (an HTML page, an empty body), if so.
pub fn not_a_feed(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Some("empty document: the server sent no feed".into());
    }
    let is_html = trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || (trimmed.contains("<html")
            && !trimmed.contains("<rss")
            && !trimmed.contains("<feed")
            && !trimmed.contains("<rdf"));
    if is_html {
        let all = String::from_utf8_lossy(bytes);
        let alt = discover_feed_link(&all);
        return Some(match alt {
            Some(href) => format!(
                "got an HTML page, not a feed; the page advertises a feed at {href}: use that URL"
            ),
            None => "got an HTML page, not a feed: check the source URL".into(),
        });
    }
    None
}

fn discover_feed_link(html: &str) -> Option<String> {
    let re =
        regex::Regex::new(r#"(?is)<link\b[^>]*type=["']application/(?:rss|atom)\+xml["'][^>]*>"#)
            .ok()?;
    let tag = re.find(html)?.as_str();
    let href = regex::Regex::new(r#"(?is)href=["']([^"']+)["']"#).ok()?;
    href.captures(tag).map(|c| c[1].to_string())
}

/// Applies every fix that applies.
pub fn repair(bytes: &[u8]) -> Repaired {
    let mut changes = Vec::new();
    let text = decode(bytes, &mut changes);
    let mut s = text.into_owned();

    let cleaned: String = s.chars().filter(|&c| !is_xml_illegal(c)).collect();
    if cleaned.len() != s.len() {
        changes.push("removed control characters".to_string());
        s = cleaned;
    }
    let (escaped, n_amp, n_ent) = fix_ampersands(&s);
    if n_amp > 0 {
        changes.push(format!("escaped {n_amp} bare '&'"));
    }
    if n_ent > 0 {
        changes.push(format!("converted {n_ent} HTML entities"));
    }
    s = escaped;
    if let Some(closed) = close_truncated(&s) {
        changes.push("closed a truncated document after its last complete item".to_string());
        s = closed;
    }
    let version =
        regex::Regex::new(r#"(<rss\b[^>]*\bversion=["'])([^"']*)(["'])"#).expect("static regex");
    if let Some(c) = version.captures(&s) {
        if !matches!(&c[2], "0.91" | "0.92" | "2.0") {
            changes.push(format!("replaced unknown RSS version {:?} by 2.0", &c[2]));
            s = version.replace(&s, "${1}2.0${3}").into_owned();
        }
    }
    Repaired {
        bytes: s.into_bytes(),
        changes,
    }
}

fn is_xml_illegal(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Decodes to UTF-8: honours a declared encoding, falls back to Windows-1252 when the
/// bytes are not UTF-8 whatever the declaration says, and rewrites the declaration.
fn decode<'a>(bytes: &'a [u8], changes: &mut Vec<String>) -> Cow<'a, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    let declared = regex::Regex::new(r#"<\?xml[^>]*encoding=["']([a-z0-9_.:-]+)["']"#)
        .expect("static regex")
        .captures(&head)
        .map(|c| c[1].to_string());
    let declared_enc = declared
        .as_deref()
        .and_then(|d| encoding_rs::Encoding::for_label(d.as_bytes()));
    let out: Cow<str> = match (std::str::from_utf8(bytes), declared_enc) {
        (Ok(s), None) => Cow::Borrowed(s),
        (Ok(s), Some(enc)) if enc == encoding_rs::UTF_8 => Cow::Borrowed(s),
        (Ok(s), Some(enc)) if s.is_ascii() => {
            let _ = enc;
            Cow::Borrowed(s)
        }
        (Ok(s), Some(enc)) => {
            // Valid UTF-8 but declared otherwise: trust the bytes, the declaration is the liar.
            changes.push(format!(
                "document is UTF-8 although it declares {}",
                enc.name()
            ));
            Cow::Borrowed(s)
        }
        (Err(_), Some(enc)) if enc != encoding_rs::UTF_8 => {
            let (s, _, _) = enc.decode(bytes);
            changes.push(format!("decoded from {}", enc.name()));
            Cow::Owned(s.into_owned())
        }
        (Err(_), _) => {
            let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            changes.push("document is not UTF-8: decoded as Windows-1252".to_string());
            Cow::Owned(s.into_owned())
        }
    };
    if declared.is_some() && !matches!(out, Cow::Borrowed(_))
        || declared
            .as_deref()
            .is_some_and(|d| d != "utf-8" && d != "utf8")
    {
        let re = regex::Regex::new(r#"(?i)(<\?xml[^>]*encoding=["'])([^"']+)(["'])"#)
            .expect("static regex");
        return Cow::Owned(re.replace(&out, "${1}UTF-8${3}").into_owned());
    }
    out
}

/// Escapes `&` that start no entity and turns HTML named entities into numeric ones.
fn fix_ampersands(s: &str) -> (String, usize, usize) {
    let mut out = String::with_capacity(s.len() + 16);
    let (mut bare, mut named) = (0, 0);
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').filter(|&e| e <= 32);
        let name = end.map(|e| &after[..e]);
        match name {
            Some(n)
                if n.starts_with('#')
                    && n.len() > 1
                    && (n[1..].chars().all(|c| c.is_ascii_digit())
                        || (n[1..].starts_with(['x', 'X'])
                            && n.len() > 2
                            && n[2..].chars().all(|c| c.is_ascii_hexdigit()))) =>
            {
                out.push('&');
                out.push_str(n);
                out.push(';');
                rest = &after[n.len() + 1..];
            }
            Some(n) if matches!(n, "amp" | "lt" | "gt" | "quot" | "apos") => {
                out.push('&');
                out.push_str(n);
                out.push(';');
                rest = &after[n.len() + 1..];
            }
            Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric()) => {
                let entity = format!("&{n};");
                let decoded = html_escape::decode_html_entities(&entity);
                if decoded != entity {
                    for c in decoded.chars() {
                        out.push_str(&format!("&#{};", c as u32));
                    }
                    named += 1;
                } else {
                    out.push_str("&amp;");
                    out.push_str(n);
                    out.push(';');
                    bare += 1;
                }
                rest = &after[n.len() + 1..];
            }
            _ => {
                out.push_str("&amp;");
                bare += 1;
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, bare, named)
}

/// Cuts a truncated RSS/Atom document after its last complete item and closes it.
fn close_truncated(s: &str) -> Option<String> {
    let trimmed = s.trim_end();
    let lower = trimmed.to_ascii_lowercase();
    let (item_end, closing) = if lower.contains("<rss") {
        if lower.ends_with("</rss>") {
            return None;
        }
        ("</item>", "\n</channel>\n</rss>\n")
    } else if lower.contains("<feed") {
        if lower.ends_with("</feed>") {
            return None;
        }
        ("</entry>", "\n</feed>\n")
    } else if lower.contains("<rdf:rdf") {
        if lower.ends_with("</rdf:rdf>") {
            return None;
        }
        ("</item>", "\n</rdf:RDF>\n")
    } else {
        return None;
    };
    let cut = lower.rfind(item_end)? + item_end.len();
    Some(format!("{}{}", &trimmed[..cut], closing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ampersands_and_entities() {
        let (s, bare, named) =
            fix_ampersands("Tom & Jerry &amp; co &eacute;t&eacute; &#233; &#xE9; &bogus; &");
        assert_eq!(
            s,
            "Tom &amp; Jerry &amp; co &#233;t&#233; &#233; &#xE9; &amp;bogus; &amp;"
        );
        assert_eq!((bare, named), (3, 2));
    }

    #[test]
    fn truncated_rss_is_closed_after_last_item() {
        let doc = "<rss><channel><item><title>a</title></item><item><title>b</ti";
        assert_eq!(
            close_truncated(doc).unwrap(),
            "<rss><channel><item><title>a</title></item>\n</channel>\n</rss>\n"
        );
        assert!(close_truncated("<rss><channel></channel></rss>").is_none());
    }

    #[test]
    fn latin1_declared_utf8_is_decoded() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><t>d\xe9claration</t></rss>";
        let mut ch = Vec::new();
        let s = decode(bytes, &mut ch);
        assert!(s.contains("déclaration"));
        assert_eq!(ch.len(), 1);
    }

    #[test]
    fn html_page_is_recognised_and_feed_link_offered() {
        let page = b"<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"https://x.example/rss\"></head></html>";
        let why = not_a_feed(page).unwrap();
        assert!(why.contains("https://x.example/rss"), "{why}");
        assert!(not_a_feed(b"<?xml version=\"1.0\"?><rss></rss>").is_none());
    }
}
