//! From feed to alert e-mail: crisis words in six mentions raise one signal, which is
//! e-mailed at once to the communication team, in their language; three posts are not a crisis.

mod common;

use common::{smtp, src, Env};

fn feed(n: usize) -> String {
    let mut s = String::from("<rss version=\"2.0\"><channel><title>Posts</title><link>https://posts.example.org</link><description>x</description>\n");
    let texts = [
        "MyTax est en panne, impossible de déposer ma déclaration, c'est honteux",
        "MyTax ligt plat, storing op de laatste dag van de aangifte",
        "Encore une panne de MyTax le jour de la date limite !",
        "MyTax is down again on deadline day, terrible",
        "Storing bij MyTax, niemand kan zijn aangifte indienen",
        "Panne MyTax : le SPF Impôts ne répond pas",
    ];
    for i in 0..n {
        s.push_str(&format!(
            "<item><title>{}</title><link>https://posts.example.org/{i}</link><guid>p{i}</guid></item>\n",
            texts[i % texts.len()]
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn env(port: u16, n: usize) -> Env {
    let extra = format!(
        r#"
[smtp]
url = "smtp://127.0.0.1:{port}?tls=none"
from = "vigie <vigie@example.org>"

[[recipients]]
name = "Cellule communication"
email = "comms@example.org"
language = "fr"
alerts = true

[digest]
enabled = false

[alerts]
group_wait = "0s"
"#
    );
    let env = Env::new(&[src("posts", "file://posts.xml")], &extra);
    std::fs::write(env.path().join("posts.xml"), feed(n)).unwrap();
    env
}

#[test]
fn six_angry_posts_raise_one_signal_and_one_alert_email() {
    let (sink, port) = smtp::start(0);
    let env = env(port, 6);
    let logs = env.run_once();
    assert!(logs.contains("signal raised"), "{logs}");
    let out = env.vigie(&[
        "signals",
        "--config",
        env.config.to_str().unwrap(),
        "--json",
    ]);
    let signals = common::json_lines(&out);
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0]["kind"], "crisis_vocabulary");
    assert_eq!(signals[0]["severity"], "warning");
    assert!(signals[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("6 mentions with crisis words"));
    assert_eq!(signals[0]["evidence"].as_array().unwrap().len(), 6);
    let msgs = sink.messages.lock().unwrap().clone();
    assert_eq!(msgs.len(), 1, "one alert e-mail");
    let m = &msgs[0];
    assert_eq!(smtp::header(m, "X-Vigie-Kind"), Some("alert"));
    assert!(m.contains("Pourquoi"), "French alert:\n{m}");
    // The reason is said in French too.
    assert!(m.contains("mots de crise"), "French reason:\n{m}");
    assert!(
        m.contains("https://posts.example.org/"),
        "links to the posts:\n{m}"
    );
    // The same episode, not grown: no second signal, no second e-mail.
    env.run_once();
    let out = env.vigie(&[
        "signals",
        "--config",
        env.config.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(common::json_lines(&out).len(), 1);
    assert_eq!(sink.messages.lock().unwrap().len(), 1);
}

#[test]
fn three_posts_are_not_a_crisis() {
    let (sink, port) = smtp::start(0);
    let env = env(port, 3);
    env.run_once();
    let out = env.vigie(&[
        "signals",
        "--config",
        env.config.to_str().unwrap(),
        "--json",
    ]);
    assert!(common::json_lines(&out).is_empty());
    assert!(sink.messages.lock().unwrap().is_empty());
}
