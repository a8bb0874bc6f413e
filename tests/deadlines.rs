//! Deadline table (#15): reply clocks start when the citizen wrote, on the working-day
//! calendar (holidays 2026–2028, long weekends, DST changes, messages written outside
//! working hours), however late vigie reads them. Through the real binary: a feed of
//! questions dated over three years, read at once on 15 January 2029 (`run --once --now`).

mod common;

use std::collections::BTreeMap;

use common::{json_lines, src, Env};

/// (written, in UTC; due, in UTC; why). One working day = 08:00–17:00 local.
const BE: &[(&str, &str, &str)] = &[
    (
        "2026-04-03T15:55:00Z",
        "2026-04-07T15:00:00Z",
        "Friday after hours, then Easter Monday",
    ),
    (
        "2026-05-13T14:00:00Z",
        "2026-05-15T14:00:00Z",
        "the eve of Ascension Day",
    ),
    (
        "2026-05-22T08:00:00Z",
        "2026-05-26T08:00:00Z",
        "Whit Monday weekend",
    ),
    (
        "2026-03-27T14:00:00Z",
        "2026-03-30T13:00:00Z",
        "Friday before summer time begins",
    ),
    (
        "2026-10-23T10:00:00Z",
        "2026-10-26T11:00:00Z",
        "Friday before summer time ends",
    ),
    (
        "2026-11-10T19:30:00Z",
        "2026-11-12T16:00:00Z",
        "evening before Armistice Day",
    ),
    (
        "2026-12-24T15:30:00Z",
        "2026-12-28T15:30:00Z",
        "Christmas Eve, Christmas on Friday",
    ),
    (
        "2027-03-28T09:00:00Z",
        "2027-03-30T15:00:00Z",
        "Easter Sunday 2027, also the DST change",
    ),
    (
        "2027-10-29T14:00:00Z",
        "2027-11-02T15:00:00Z",
        "DST ends, then All Saints' Monday",
    ),
    (
        "2027-11-10T08:00:00Z",
        "2027-11-12T08:00:00Z",
        "Armistice Day on a Thursday",
    ),
    (
        "2027-12-31T12:00:00Z",
        "2028-01-03T12:00:00Z",
        "New Year's Eve, New Year on Saturday",
    ),
    (
        "2028-04-13T15:30:00Z",
        "2028-04-14T15:00:00Z",
        "after hours before Good Friday (open)",
    ),
    (
        "2028-05-24T12:00:00Z",
        "2028-05-26T12:00:00Z",
        "the eve of Ascension Day 2028",
    ),
    (
        "2028-06-02T06:30:00Z",
        "2028-06-06T06:30:00Z",
        "before opening, then Whit Monday",
    ),
    (
        "2028-03-25T09:00:00Z",
        "2028-03-27T15:00:00Z",
        "Saturday of the DST change",
    ),
    (
        "2028-07-20T13:00:00Z",
        "2028-07-24T13:00:00Z",
        "National Day on a Friday",
    ),
];

/// France (Europe/Paris): Bastille Day and Victory in Europe Day.
const FR: &[(&str, &str, &str)] = &[
    (
        "2028-07-13T14:00:00Z",
        "2028-07-17T14:00:00Z",
        "Bastille Day on a Friday",
    ),
    (
        "2026-05-07T13:00:00Z",
        "2026-05-11T13:00:00Z",
        "8 May on a Friday",
    ),
];

fn feed(cases: &[(&str, &str, &str)]) -> String {
    let items: String = cases
        .iter()
        .enumerate()
        .map(|(i, (written, _, _))| {
            let date = chrono::DateTime::parse_from_rfc3339(written)
                .unwrap()
                .to_rfc2822();
            format!(
                "<item><title>case {i}</title><link>https://social.example/q/{i}</link>\
                 <description>@SPFImpots quand recevrai-je mon remboursement MyTax ?</description>\
                 <pubDate>{date}</pubDate></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>t</title>\
         <link>https://social.example/</link><description>d</description>{items}</channel></rss>\n"
    )
}

fn check(cases: &[(&str, &str, &str)], escalation: &str) {
    let env = Env::new(
        &[src("questions", "file://questions.xml")],
        &format!("[escalation]\nhandles = [\"@SPFImpots\"]\n{escalation}"),
    );
    std::fs::write(env.path().join("questions.xml"), feed(cases)).unwrap();
    let cfg = env.config.to_str().unwrap();
    let out = env.vigie(&[
        "run",
        "--config",
        cfg,
        "--once",
        "--now",
        "2029-01-15T10:00:00Z",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let titles: BTreeMap<i64, String> = env
        .mentions()
        .iter()
        .map(|m| {
            (
                m["id"].as_i64().unwrap(),
                m["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let list = json_lines(&env.vigie(&["escalations", "--config", cfg, "--json"]));
    assert_eq!(list.len(), cases.len(), "{list:?}");
    let mut wrong = Vec::new();
    for e in &list {
        let mention = e["mention_ids"][0].as_i64().unwrap();
        let i: usize = titles[&mention]
            .trim_start_matches("case ")
            .parse()
            .unwrap();
        let (written, due, why) = cases[i];
        if e["opened_at"] != written || e["due_at"] != due {
            wrong.push(format!(
                "{why}: written {written}, due {due}; got opened {} due {}",
                e["opened_at"], e["due_at"]
            ));
        }
        assert_eq!(e["late"], true, "{e}");
        // `vigie escalations` judges overdue by the real clock.
        let past = chrono::DateTime::parse_from_rfc3339(due).unwrap() < chrono::Utc::now();
        assert_eq!(e["overdue"], past, "{e}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn belgian_deadlines_2026_to_2028_count_from_when_it_was_written() {
    check(BE, "country = \"BE\"\nworking_hours = \"08:00-17:00\"\n");
}

#[test]
fn french_deadlines_count_french_holidays() {
    check(
        FR,
        "country = \"FR\"\nworking_hours = \"08:00-17:00\"\n\n[digest]\ntimezone = \"Europe/Paris\"\n",
    );
}
