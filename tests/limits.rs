//! Issue 14, points 5 and 9, through the real binary: what a hostile feed can make the
//! daemon do is bounded (time on nested HTML, size of what is stored and e-mailed).

mod common;

use common::{smtp, src, Env};

/// Regression (#14, point 9): an 8 MB title gave a 16.6 MB alert e-mail (and a 746 MB
/// memory peak). Six angry posts raise a crisis signal whose title is the newest one's:
/// that one carries the 8 MB title.
#[test]
fn an_8_mb_title_gives_an_alert_email_under_100_kb() {
    let (sink, port) = smtp::start(0);
    let extra = format!(
        "[smtp]\nurl = \"smtp://127.0.0.1:{port}?tls=none\"\nfrom = \"vigie <vigie@example.org>\"\n\n\
         [[recipients]]\nname = \"Cellule communication\"\nemail = \"comms@example.org\"\nlanguage = \"fr\"\nalerts = true\n\n\
         [digest]\nenabled = false\n\n[alerts]\ngroup_wait = \"0s\"\n"
    );
    let env = Env::new(&[src("posts", "file://posts.xml")], &extra);
    let huge = format!(
        "Panne MyTax : le SPF Impots ne repond pas, {}",
        "toujours en panne ".repeat(8_000_000 / 18)
    );
    assert!(huge.len() >= 8_000_000);
    let mut feed = String::from("<rss version=\"2.0\"><channel><title>Posts</title><link>https://posts.example.org</link><description>x</description>\n");
    for i in 0..6 {
        let title = if i == 5 {
            huge.clone()
        } else {
            format!("MyTax est en panne, impossible de déposer ma déclaration ({i})")
        };
        feed.push_str(&format!(
            "<item><title>{title}</title><link>https://posts.example.org/{i}</link><guid>p{i}</guid></item>\n"
        ));
    }
    feed.push_str("</channel></rss>");
    std::fs::write(env.path().join("posts.xml"), feed).unwrap();
    let logs = env.run_once();
    let msgs = sink.messages.lock().unwrap().clone();
    let alerts: Vec<&String> = msgs
        .iter()
        .filter(|m| smtp::header(m, "X-Vigie-Kind") == Some("alert"))
        .collect();
    assert_eq!(alerts.len(), 1, "{logs}");
    let alert = alerts[0];
    // The long title did reach the e-mail, cut.
    assert!(alert.contains("toujours en panne"), "{alert}");
    eprintln!("alert e-mail for an 8 MB title: {} bytes", alert.len());
    assert!(alert.len() < 100 * 1024, "alert of {} bytes", alert.len());
    let stored = env.mentions();
    let title = stored
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .find(|t| t.starts_with("Panne MyTax"))
        .unwrap();
    assert!(title.len() <= 1_000 + '…'.len_utf8(), "{}", title.len());
}

/// Regression (#14, point 5): one item of N nested `<div>` took 45 s at N = 100,000
/// (a 1.1 MB feed). Now the poll, fetch to storage, takes milliseconds; the bound is
/// generous for a loaded test machine and far below the old behaviour.
#[test]
fn an_item_of_100_000_nested_divs_is_handled_quickly() {
    let n = 100_000;
    let env = Env::new(&[src("nested", "file://nested.xml")], "");
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>t</title><link>https://news.example.org</link><description>d</description>\n\
         <item><title>MyTax en panne</title><link>https://news.example.org/1</link><guid>n1</guid>\
         <description><![CDATA[Le SPF Impôts confirme la panne.{}détails{}]]></description></item>\n</channel></rss>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    assert!(feed.len() > 1_000_000);
    std::fs::write(env.path().join("nested.xml"), feed).unwrap();
    let logs = env.run_once();
    let ms: u64 = logs
        .lines()
        .find(|l| l.contains("polled") && l.contains("nested"))
        .and_then(|l| l.split("ms=").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no poll time in: {logs}"));
    eprintln!("poll of one item of {n} nested divs: {ms} ms");
    assert!(ms < 5_000, "the poll took {ms} ms");
    let m = env.mentions();
    assert_eq!(m.len(), 1);
    assert!(
        m[0]["text"]
            .as_str()
            .unwrap()
            .contains("Le SPF Impôts confirme la panne."),
        "{m:#?}"
    );
}
