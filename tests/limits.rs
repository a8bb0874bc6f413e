//! Issue 14, points 5 and 9, through the real binary: what a hostile feed can make the
//! daemon do is bounded (time on nested HTML, size of what is stored and e-mailed).

mod common;

use common::{src, Env};

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
