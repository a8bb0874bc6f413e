//! `vigie bench once`: the real binary, `vigie run --once`, on a generated feed of news
//! items of which some mention the institution, a new SQLite database each round;
//! start-up, fetch, parse, match, store, classification, detection and the e-mail
//! round all included. Python feedparser parses the same file in the same run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::store::Store;

/// The institution as the generated config names it.
const KEYWORDS: &[&str] = &[
    "SPF Impôts",
    "FOD Belastingen",
    "FÖD Steuern",
    "Federal Tax Service",
    "MyTax",
    "@SPFImpots",
    "@FODBelastingen",
    "#MyTax",
];

/// Items that mention the institution: (language, title, body).
const HITS: &[(&str, &str, &str)] = &[
    (
        "fr",
        "MyTax inaccessible à la veille de la date limite",
        "Des milliers de contribuables n'ont pas pu se connecter à MyTax mardi soir. Le SPF Impôts \
         évoque une surcharge des serveurs et promet un report du délai pour les déclarations \
         rentrées en retard. Sur les réseaux sociaux, la colère monte : « c'est inadmissible, \
         chaque année la même chose », écrit une internaute liégeoise.",
    ),
    (
        "fr",
        "Le SPF Impôts met en garde contre de faux SMS de remboursement",
        "Des messages frauduleux promettant un remboursement d'impôt circulent depuis lundi. Le \
         SPF Impôts rappelle qu'il ne demande jamais de coordonnées bancaires par SMS ni par \
         e-mail et invite les citoyens à signaler ces tentatives d'hameçonnage sur le site \
         safeonweb.be.",
    ),
    (
        "nl",
        "FOD Belastingen betaalt teruggave sneller uit dan vorig jaar",
        "Wie zijn aangifte via MyTax indiende, krijgt dit jaar gemiddeld drie weken sneller zijn \
         geld terug. Dat meldt de FOD Belastingen in een persbericht. De vereenvoudigde aangifte \
         blijft populair: bijna vier miljoen Belgen keurden het voorstel goed zonder iets te \
         wijzigen.",
    ),
    (
        "nl",
        "Storing bij MyTax: aangifte indienen urenlang onmogelijk",
        "Door een technisch probleem konden belastingplichtigen woensdag urenlang geen aangifte \
         indienen. De FOD Belastingen verontschuldigt zich en belooft dat niemand een boete krijgt \
         door de storing. Op sociale media klagen gebruikers over lange wachttijden bij de \
         telefonische hulplijn.",
    ),
    (
        "en",
        "Federal Tax Service confirms delays in refunds for self-employed",
        "Belgium's Federal Tax Service said on Thursday that refunds for some self-employed \
         taxpayers would arrive later than usual because of a change in the processing software. \
         Accountants called the announcement disappointing and asked for clearer information on \
         MyTax.",
    ),
    (
        "en",
        "Taxpayers praise the new MyTax chat assistant",
        "The Federal Tax Service launched a chat assistant on MyTax last month. Early feedback is \
         positive: users say answers are quick and helpful, and the waiting time on the phone line \
         has dropped by half according to the administration.",
    ),
];

/// Items that do not: (language, title, body).
const OTHERS: &[(&str, &str, &str)] = &[
    (
        "fr",
        "Budget : la majorité discute d'une réforme des allocations familiales",
        "Les partenaires de la majorité se sont réunis jusque tard dans la nuit sans parvenir à un \
         accord sur la réforme des allocations familiales. Les discussions reprendront lundi, a \
         indiqué le porte-parole du gouvernement, qui se veut confiant.",
    ),
    (
        "fr",
        "Météo : des orages attendus ce week-end sur la moitié sud du pays",
        "L'Institut royal météorologique a émis un avertissement jaune pour les provinces de \
         Namur, de Luxembourg et du Hainaut. Des averses orageuses, localement accompagnées de \
         grêle, sont attendues samedi après-midi.",
    ),
    (
        "fr",
        "Football : le Standard s'impose à Charleroi dans le derby wallon",
        "Les Rouches ont pris le dessus en seconde période grâce à un doublé de leur attaquant \
         et remontent à la sixième place du classement. L'entraîneur a salué l'état d'esprit de \
         son groupe.",
    ),
    (
        "nl",
        "Voetbal: Club Brugge wint met 3-1 van Anderlecht",
        "Club Brugge heeft zondag de topper tegen Anderlecht gewonnen. Na een gelijkopgaande \
         eerste helft maakten de Bruggelingen het verschil na de rust. De trainer sprak van een \
         verdiende overwinning.",
    ),
    (
        "nl",
        "Files op de Antwerpse ring door ongeval met vrachtwagen",
        "Een ongeval met een vrachtwagen zorgde dinsdagochtend voor lange files op de ring rond \
         Antwerpen. Twee rijstroken waren urenlang afgesloten. Het Verkeerscentrum raadt aan de \
         drukte te vermijden.",
    ),
    (
        "nl",
        "Nieuwe tentoonstelling over Bruegel opent in Brussel",
        "Het museum verwacht meer dan honderdduizend bezoekers voor de tentoonstelling, die \
         werken uit vijf landen samenbrengt. De tickets voor de eerste weekends zijn al bijna \
         uitverkocht.",
    ),
    (
        "en",
        "Brussels airport expects record summer traffic",
        "Brussels Airport said it expects more than three million passengers in July, a record \
         for the month. The operator has hired extra security staff to keep waiting times at \
         checkpoints under fifteen minutes.",
    ),
    (
        "en",
        "Weather: storms expected across the region this weekend",
        "Forecasters warned of heavy thunderstorms on Saturday afternoon, with hail and strong \
         gusts possible in the south. Organisers of outdoor events were advised to follow the \
         latest updates.",
    ),
];

/// Writes a deterministic RSS 2.0 feed of `items` news items in French, Dutch and English,
/// `matching` of them (spread evenly) mentioning the institution.
pub fn write_feed(path: &Path, items: usize, matching: usize) -> std::io::Result<()> {
    let mut s = String::with_capacity(items * 1000);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Bench news</title><link>https://news.example.org</link><description>bench</description>\n");
    let mut hits = 0;
    for i in 0..items {
        // Item i mentions the institution when it brings the count of hits to its share.
        let hit = matching > 0 && (i + 1) * matching / items > hits;
        let (lang, title, body) = if hit {
            hits += 1;
            HITS[i % HITS.len()]
        } else {
            OTHERS[i % OTHERS.len()]
        };
        let _ = writeln!(
            s,
            "<item><title>{title} ({i})</title><link>https://news.example.org/{lang}/article/{i}?utm_source=rss&amp;utm_medium=feed</link>\
             <guid isPermaLink=\"false\">bench-once-{i}</guid><pubDate>Tue, 01 Dec 2026 {:02}:{:02}:{:02} GMT</pubDate>\
             <description>&lt;p&gt;{body}&lt;/p&gt;&lt;p&gt;Ref. {i}, &lt;a href=\"https://news.example.org/{lang}\"&gt;news.example.org&lt;/a&gt;&lt;/p&gt;</description></item>",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60
        );
    }
    s.push_str("</channel></rss>\n");
    std::fs::write(path, s)
}

/// The config of one round: lexicon backend, a new SQLite file, the feed of `items`
/// items as a file:// source (all of them taken in one poll), no SMTP.
pub fn write_config(path: &Path, feed: &Path, db: &str, items: usize) -> std::io::Result<()> {
    let keywords: Vec<String> = KEYWORDS.iter().map(|k| format!("{k:?}")).collect();
    let cfg = format!(
        "[institution]\nname = \"SPF Impôts / FOD Belastingen\"\nkeywords = [{}]\nlanguages = [\"fr\", \"nl\", \"en\", \"de\"]\n\
         [storage]\nurl = \"sqlite://{db}\"\n\
         [classifier]\nbackend = \"lexicon\"\n\
         [fetch]\nmax_items = {items}\n\
         [[sources]]\nname = \"bench-news\"\nkind = \"rss\"\nurl = \"file://{}\"\nevery = \"1h\"\n",
        keywords.join(", "),
        feed.display()
    );
    std::fs::write(path, cfg)
}

/// Figures of `vigie bench once`.
#[derive(Debug, Serialize)]
pub struct OnceReport {
    /// Items in the feed.
    pub items: usize,
    /// Items that mention the institution.
    pub matching: usize,
    /// Feed size, bytes.
    pub feed_bytes: u64,
    /// Rounds of `vigie run --once`, each on a new database.
    pub rounds: usize,
    /// Wall time of each round (the child process, start to exit), seconds.
    pub wall_s: Vec<f64>,
    /// Median wall time, seconds.
    pub median_s: f64,
    /// Items of the feed per second of median wall time (start-up included).
    pub items_per_s: f64,
    /// Mentions stored (and all classified) by each round.
    pub stored: i64,
    /// Python feedparser parsing the same file (parse only), items per second.
    pub feedparser_items_per_s: Option<f64>,
    /// Seconds feedparser takes to parse the file once.
    pub feedparser_s_per_file: Option<f64>,
    /// vigie's whole run over feedparser's parse alone, same file, same run.
    pub speedup_vs_feedparser: Option<f64>,
}

/// Median of a non-empty list.
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs `exe run --once` `rounds` times on a new SQLite database each time, in `dir`
/// (kept) or a temporary folder; `python` times feedparser on the same file.
pub async fn once(
    exe: &Path,
    items: usize,
    matching: usize,
    rounds: usize,
    dir: Option<&Path>,
    python: Option<&Path>,
    script: &Path,
) -> anyhow::Result<OnceReport> {
    anyhow::ensure!(matching <= items, "--matching must not exceed --items");
    anyhow::ensure!(rounds > 0, "--rounds must be at least 1");
    let tmp;
    let dir: PathBuf = match dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            std::fs::canonicalize(d)?
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let feed = dir.join("once-feed.xml");
    write_feed(&feed, items, matching)?;
    let mut wall_s = Vec::with_capacity(rounds);
    let mut stored = 0;
    for r in 0..rounds {
        let db = format!("once-{r}.db");
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("{db}{ext}")));
        }
        let cfg = dir.join(format!("once-{r}.toml"));
        write_config(&cfg, &feed, &db, items)?;
        let t = Instant::now();
        let out = std::process::Command::new(exe)
            .args(["run", "--once", "--config"])
            .arg(&cfg)
            .env("VIGIE_LOG", "warn")
            .output()?;
        wall_s.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            out.status.success(),
            "vigie run --once failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Check the round did the whole job (outside the timing).
        let store = Store::open(&format!("sqlite://{db}"), &dir).await?;
        stored = store.count_mentions().await?;
        let pending = store.unclassified(1).await?.len();
        store.close().await;
        anyhow::ensure!(
            stored == matching as i64 && pending == 0,
            "round {r}: {stored} mentions stored ({matching} expected), {pending} left unclassified"
        );
    }
    let median_s = median(&wall_s);
    let feedparser_items_per_s = match python {
        Some(py) => Some(super::ingest::run_feedparser(py, script, &feed, rounds)?),
        None => None,
    };
    let items_per_s = items as f64 / median_s;
    Ok(OnceReport {
        items,
        matching,
        feed_bytes: std::fs::metadata(&feed)?.len(),
        rounds,
        wall_s,
        median_s,
        items_per_s,
        stored,
        feedparser_s_per_file: feedparser_items_per_s.map(|f| items as f64 / f),
        speedup_vs_feedparser: feedparser_items_per_s.map(|f| items_per_s / f),
        feedparser_items_per_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_has_the_asked_share_of_matching_items() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("f.xml");
        write_feed(&feed, 500, 100).unwrap();
        let bytes = std::fs::read(&feed).unwrap();
        let parsed = crate::sources::feed::parse(&bytes, "t").unwrap();
        assert_eq!(parsed.items.len(), 500);
        let keywords: Vec<String> = KEYWORDS.iter().map(|k| k.to_string()).collect();
        let m = crate::core::matching::Matcher::new(&keywords, &[]).unwrap();
        let hits = parsed
            .items
            .iter()
            .filter(|i| m.check(&format!("{}\n{}", i.title, i.text)).is_some())
            .count();
        assert_eq!(hits, 100);
    }

    #[test]
    fn median_of_odd_and_even_lists() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
