//! Links (#14, point 6) through the real binary: a feed item whose link is `javascript:`
//! or `data:` is stored without a link (so no page can render one), and the alert e-mail
//! carries none.

mod common;

use common::{src, Env};

fn feed() -> String {
    let item = |i: usize, link: &str| {
        format!(
            "<item><title>Le SPF Impôts est inacceptable et scandaleux {i}</title><link>{link}</link>\
             <guid isPermaLink=\"false\">g{i}</guid><dc:creator>Jan Peeters</dc:creator>\
             <description>Le SPF Impôts est inacceptable et scandaleux, je suis furieux.</description>\
             <pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate></item>"
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title><link>https://news.example.org/</link><description>d</description>{}{}</channel></rss>\n",
        item(1, "javascript:alert(document.cookie)"),
        item(2, "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    )
}

#[test]
fn script_links_are_neither_stored_nor_mailed() {
    let extra = "[signals]\nmedia = [\"Jan Peeters\"]\n\n[smtp]\nurl = \"file://mail\"\nfrom = \"vigie <vigie@example.org>\"\n\n\
                 [[recipients]]\nname = \"Com\"\nemail = \"com@example.org\"\nlanguage = \"fr\"\nalerts = true\n\n\
                 [alerts]\ngroup_wait = \"0s\"\n";
    let env = Env::new(&[src("inbox", "file://inbox.xml")], extra);
    std::fs::write(env.path().join("inbox.xml"), feed()).unwrap();
    env.run_once();
    let mentions = env.mentions();
    assert_eq!(mentions.len(), 2, "both items are kept: {mentions:?}");
    assert!(
        mentions.iter().all(|m| m["url"].is_null()),
        "no link stored: {mentions:?}"
    );
    let mut mails = 0;
    for f in std::fs::read_dir(env.path().join("mail")).unwrap() {
        let body = std::fs::read_to_string(f.unwrap().path()).unwrap();
        mails += 1;
        assert!(
            !body.contains("javascript:") && !body.contains("data:text"),
            "{body}"
        );
    }
    assert!(mails > 0, "an alert was mailed");
}
