//! What each CLI command does, as library functions so tests and benchmarks call the same code.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Config, ConfigErrors};
use crate::notify::digest;
use crate::notify::sender;
use crate::runtime::{mail, open_store, start_classifier};
use crate::store::Store;

/// Loads the config or returns every problem in it.
pub fn load_config(path: &Path) -> Result<Config, ConfigErrors> {
    Config::load(path)
}

/// `vigie mentions`: prints stored mentions, as JSON lines or a short table.
pub async fn mentions(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    limit: i64,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let store = open_store(cfg).await?;
    let list = store.mentions(since, limit).await?;
    for m in &list {
        if json {
            writeln!(out, "{}", serde_json::to_string(m)?)?;
        } else {
            let sentiment = m.sentiment.map(|s| s.label.as_str()).unwrap_or("-");
            writeln!(
                out,
                "{:>6}  {}  {:<3} {:<8} {:<20} {}",
                m.id,
                m.first_seen_at.format("%Y-%m-%d %H:%M"),
                m.lang,
                sentiment,
                crate::core::text::truncate(&m.source, 20),
                crate::core::text::truncate(&m.title, 80)
            )?;
        }
    }
    store.close().await;
    Ok(list.len())
}

/// Output format of `vigie digest --stdout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestFormat {
    /// The HTML part.
    Html,
    /// The plain-text part.
    Text,
}

/// `vigie digest`: renders the digest of `date` to `out`, or sends it now to every
/// digest recipient (`send`).
pub async fn digest(
    cfg: &Config,
    date: Option<NaiveDate>,
    lang: Option<&str>,
    format: DigestFormat,
    send: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let tz: chrono_tz::Tz = cfg
        .digest
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("digest.timezone: {e}"))?;
    let date = date
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive() - chrono::Duration::days(1));
    let notify = cfg.notify();
    let figures = digest::figures(&store, &notify, date).await?;
    let catalog = crate::notify::i18n::Catalog::builtin();
    if send {
        let m = mail(cfg)?
            .ok_or_else(|| anyhow::anyhow!("[smtp] is not configured: nowhere to send"))?;
        let mut n = 0;
        for r in cfg.recipients.iter().filter(|r| r.digest) {
            let email = digest::email_for(&figures, &notify, r, &catalog, None)?;
            store
                .enqueue(&email, &m.mailer.domain(), Utc::now())
                .await?;
            n += 1;
        }
        let pass = sender::send_due(&store, &m.mailer, &m.sender).await?;
        writeln!(
            out,
            "digest of {date}: queued {n}, sent {}, retrying {}, dead {}",
            pass.sent, pass.retried, pass.dead
        )?;
    } else {
        let lang = lang.unwrap_or("en");
        let rd = digest::render(&figures, &notify, lang, &catalog)?;
        match format {
            // Standalone preview: the chart inlined as a data: URI instead of a MIME part.
            DigestFormat::Html => {
                let html = match &rd.png {
                    Some(png) => {
                        use base64::Engine;
                        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
                        rd.html
                            .replace("cid:chart", &format!("data:image/png;base64,{b64}"))
                    }
                    None => rd.html.clone(),
                };
                writeln!(out, "{html}")?
            }
            DigestFormat::Text => writeln!(out, "Subject: {}\n\n{}", rd.subject, rd.text)?,
        }
    }
    store.close().await;
    Ok(())
}

/// `vigie outbox`: the e-mails queued, sent and dead-lettered.
pub async fn outbox(
    cfg: &Config,
    state: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    for q in store.outbox(state, 10_000).await? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&q)?)?;
        } else {
            writeln!(
                out,
                "{:>6}  {:<8} {:<7} {:>2}  {:<30} {}",
                q.id,
                q.state,
                q.kind,
                q.attempts,
                crate::core::text::truncate(&q.to, 30),
                q.subject
            )?;
        }
    }
    store.close().await;
    Ok(())
}

/// One line of `vigie classify` output.
#[derive(Debug, serde::Serialize)]
pub struct Classified {
    /// The input's id.
    pub id: String,
    /// ISO 639-1 or "und".
    pub lang: String,
    /// 0..=1
    pub lang_confidence: f64,
    /// Sentiment.
    pub sentiment: crate::core::classification::Sentiment,
    /// Topics, best first.
    pub topics: Vec<crate::core::classification::TopicScore>,
}

/// `vigie classify`: JSON lines `{"id", "text", "lang"?}` in, one result line per input
/// out, in order. A malformed line gives `{"id", "error"}` and the rest goes on.
pub async fn classify(
    cfg: &Config,
    input: impl std::io::BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let worker = start_classifier(cfg)?;
    let langs = crate::core::language::LanguageId::new(&cfg.institution.languages);
    let batch = cfg.classifier.batch_size.max(1);
    let mut pending: Vec<
        Result<
            (
                crate::core::classification::Input,
                crate::core::language::Identified,
            ),
            (String, String),
        >,
    > = Vec::new();
    let mut n = 0;
    let mut lines = input.lines();
    loop {
        let line = lines.next();
        let end = line.is_none();
        if let Some(line) = line {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            pending.push(match serde_json::from_str::<crate::core::classification::Input>(&line) {
                Ok(i) => {
                    let id = langs.identify(&i.text, i.lang.as_deref());
                    Ok((crate::core::classification::Input { lang: Some(id.lang.clone()).filter(|l| l != "und"), ..i }, id))
                }
                Err(e) => {
                    let id = serde_json::from_str::<serde_json::Value>(&line)
                        .ok()
                        .and_then(|v| v.get("id").map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())))
                        .unwrap_or_default();
                    Err((id, format!("invalid input line: {e}; expected {{\"id\": \"...\", \"text\": \"...\"}}")))
                }
            });
        }
        if pending.len() >= batch || (end && !pending.is_empty()) {
            let inputs: Vec<crate::core::classification::Input> = pending
                .iter()
                .filter_map(|p| p.as_ref().ok().map(|(i, _)| i.clone()))
                .collect();
            let mut outs = worker.classify(inputs).await?.into_iter();
            for p in pending.drain(..) {
                match p {
                    Ok((i, lang)) => {
                        let o = outs
                            .next()
                            .ok_or_else(|| anyhow::anyhow!("backend returned too few results"))?;
                        let c = Classified {
                            id: i.id,
                            lang: lang.lang,
                            lang_confidence: lang.confidence,
                            sentiment: o.sentiment,
                            topics: o.topics,
                        };
                        writeln!(out, "{}", serde_json::to_string(&c)?)?;
                    }
                    Err((id, error)) => {
                        writeln!(out, "{}", serde_json::json!({"id": id, "error": error}))?
                    }
                }
                n += 1;
            }
            out.flush()?;
        }
        if end {
            return Ok(n);
        }
    }
}

/// `vigie eval`: scores the configured backend on a gold file.
pub async fn eval(
    cfg: &Config,
    data: &std::path::Path,
) -> anyhow::Result<crate::classify::eval::Report> {
    use crate::classify::eval::{block, topic_micro_f1, Report};
    use crate::core::classification::SentimentLabel;
    let golds = read_gold(data)?;
    let worker = start_classifier(cfg)?;
    let langs = crate::core::language::LanguageId::new(&cfg.institution.languages);
    // Language accuracy is measured on the text alone; for sentiment, a gold language is
    // a declared one, as `vigie classify` takes a "lang" hint (and the daemon a feed's
    // declared language).
    let identified: Vec<_> = golds
        .iter()
        .map(|g| langs.identify(&g.text, None))
        .collect();
    let mut preds = Vec::with_capacity(golds.len());
    for chunk in golds.chunks(cfg.classifier.batch_size.max(1) * 4) {
        let inputs = chunk
            .iter()
            .map(|g| crate::core::classification::Input {
                id: g.id.clone().unwrap_or_default(),
                text: g.text.clone(),
                lang: Some(declared_lang(&langs, g)).filter(|l| l != "und"),
            })
            .collect();
        preds.extend(worker.classify(inputs).await?);
    }
    let mut per_lang: BTreeMap<String, Vec<(SentimentLabel, SentimentLabel)>> = BTreeMap::new();
    let mut all = Vec::new();
    let (mut lang_n, mut lang_ok) = (0usize, 0usize);
    let mut topic_pairs = Vec::new();
    for ((g, id), p) in golds.iter().zip(&identified).zip(&preds) {
        if let Some(gs) = g.sentiment.as_deref() {
            let gl = SentimentLabel::parse(gs)
                .ok_or_else(|| anyhow::anyhow!("unknown gold sentiment {gs:?}"))?;
            let key = g.lang.clone().unwrap_or_else(|| id.lang.clone());
            per_lang
                .entry(key)
                .or_default()
                .push((gl, p.sentiment.label));
            all.push((gl, p.sentiment.label));
        }
        if let Some(gl) = &g.lang {
            lang_n += 1;
            lang_ok += usize::from(gl == &id.lang);
        }
        if let Some(gt) = &g.topics {
            topic_pairs.push((gt.clone(), p.topics.iter().map(|t| t.id.clone()).collect()));
        }
    }
    Ok(Report {
        overall: (!all.is_empty()).then(|| block(&all)),
        per_language: per_lang
            .iter()
            .map(|(k, v)| (k.clone(), block(v)))
            .collect(),
        language: (lang_n > 0).then(|| (lang_n, lang_ok as f64 / lang_n as f64)),
        topics: (!topic_pairs.is_empty())
            .then(|| (topic_pairs.len(), topic_micro_f1(&topic_pairs))),
    })
}

/// The language a gold line is classified in: its gold language, if any, taken as
/// declared (the text can still overrule it), as `vigie classify` takes a "lang" hint.
fn declared_lang(
    langs: &crate::core::language::LanguageId,
    g: &crate::classify::eval::Gold,
) -> String {
    langs.identify(&g.text, g.lang.as_deref()).lang
}

/// Reads a gold file (JSON lines; blank lines skipped), naming the line of any error.
fn read_gold(data: &Path) -> anyhow::Result<Vec<crate::classify::eval::Gold>> {
    let text = std::fs::read_to_string(data)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", data.display()))?;
    let mut golds = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        golds.push(
            serde_json::from_str(line)
                .map_err(|e| anyhow::anyhow!("{}:{}: {e}", data.display(), i + 1))?,
        );
    }
    Ok(golds)
}

/// `vigie lexicon opinions`: for each gold line, the opinion words the lexicon backend
/// finds, with their polarity and context factor (JSON lines, in input order), in the
/// language `vigie eval` would use. scripts/calibrate.py fits polarities on these.
pub fn lexicon_opinions(cfg: &Config, data: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let classifier = crate::classify::backend::lexicon(&cfg.classifier, &cfg.base_dir())?;
    let lexicon = classifier.lexicon();
    let langs = crate::core::language::LanguageId::new(&cfg.institution.languages);
    #[derive(serde::Serialize)]
    struct Line<'a> {
        id: Option<&'a str>,
        lang: &'a str,
        sentiment: Option<&'a str>,
        #[serde(flatten)]
        opinions: &'a crate::classify::lexicon::Opinions<'a>,
        compound: f32,
    }
    for g in read_gold(data)? {
        let lang = declared_lang(&langs, &g);
        let o = lexicon.opinions(&g.text, Some(lang.as_str()).filter(|l| *l != "und"));
        let line = Line {
            id: g.id.as_deref(),
            lang: &lang,
            sentiment: g.sentiment.as_deref(),
            opinions: &o,
            compound: o.compound(),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    Ok(())
}

/// `vigie escalations`: the list, as JSON lines or a table.
pub async fn escalations(
    cfg: &Config,
    state: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    use crate::escalate::state::State;
    let state = match state {
        Some(s) => Some(State::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown state {s:?}: new, acknowledged, assigned, answered, closed or dismissed"
            )
        })?),
        None => None,
    };
    let store = open_store(cfg).await?;
    let tz = cfg.tz();
    for e in store.escalations(state, Utc::now()).await? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&e)?)?;
        } else {
            writeln!(
                out,
                "{:>5}  {:<12} {:<8} due {}{}  {:<24} {}{}",
                e.id,
                e.state.as_str(),
                e.severity,
                e.due_at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                if e.overdue { " OVERDUE" } else { "" },
                e.assignee.as_deref().unwrap_or("-"),
                if e.formal_request { "[formal] " } else { "" },
                e.reason
            )?;
        }
    }
    store.close().await;
    Ok(())
}

/// `vigie escalations ack|assign|answer|close|dismiss ID --by EMAIL`; an answer with its
/// text or link is recorded as proof of what was said.
pub async fn escalation_act(
    cfg: &Config,
    id: i64,
    action: crate::escalate::state::Action,
    by: &str,
    to: Option<&str>,
    note: Option<&str>,
    answer: Option<crate::escalate::answer::Answer>,
) -> anyhow::Result<crate::escalate::state::State> {
    let store = open_store(cfg).await?;
    let r = match answer {
        Some(a) => crate::escalate::answer::record(&store, id, &a).await,
        None => store.act(id, action, by, to, note, Utc::now()).await,
    };
    store.close().await;
    Ok(r?)
}

/// `vigie escalations stats`: time to first answer per week, channel and language.
pub async fn escalation_stats(
    cfg: &Config,
    weeks: i64,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let now = Utc::now();
    let figures = crate::escalate::answer::response_times(
        &store,
        now - chrono::Duration::weeks(weeks.max(1)),
        now,
    )
    .await;
    store.close().await;
    for f in figures? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&f)?)?;
        } else {
            let m = |v: Option<f64>| {
                v.map(|v| format!("{v:.0} min"))
                    .unwrap_or_else(|| "-".into())
            };
            writeln!(
                out,
                "{:<9} {:<16} opened {:>5}  answered {:>5}  median {:>9}  p90 {:>9}  within rule {}",
                f.by,
                f.key,
                f.opened,
                f.answered,
                m(f.median_minutes),
                m(f.p90_minutes),
                f.within_rule
                    .map(|w| format!("{:.0}%", w * 100.0))
                    .unwrap_or_else(|| "-".into())
            )?;
        }
    }
    Ok(())
}

/// `vigie user add`: adds or updates a user of the escalation page.
pub async fn user_add(
    cfg: &Config,
    email: &str,
    role: &str,
    language: &str,
    password: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let role = crate::web::users::Role::parse(role)
        .ok_or_else(|| anyhow::anyhow!("--role {role:?}: use viewer, responder or admin"))?;
    if !crate::web::view::LANGUAGES.contains(&language) {
        anyhow::bail!("--language {language:?}: use fr, nl or en");
    }
    let store = open_store(cfg).await?;
    let r = crate::web::users::put_user(&store, email, role, language, password, Utc::now()).await;
    store.close().await;
    let u = r?;
    writeln!(
        out,
        "user {} ({}, {})",
        u.email,
        u.role.as_str(),
        u.language
    )?;
    Ok(())
}

/// `vigie user list`.
pub async fn user_list(cfg: &Config, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let users = store.users().await;
    store.close().await;
    for u in users? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&u)?)?;
        } else {
            writeln!(
                out,
                "{:<40} {:<10} {}",
                u.email,
                u.role.as_str(),
                u.language
            )?;
        }
    }
    Ok(())
}

/// `vigie escalations export --format csv`.
pub async fn escalations_csv(cfg: &Config, out: &mut dyn Write) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "state",
        "severity",
        "topic",
        "reason",
        "opened_at",
        "due_at",
        "overdue",
        "assignee",
        "formal_request",
        "formal_elements",
        "ack_due_at",
        "receipt_due_at",
        "decision_due_at",
        "silence_accept_at",
        "mention_ids",
        "history",
    ])?;
    let t = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    for e in store.escalations(None, Utc::now()).await? {
        let history = store
            .escalation_events(e.id)
            .await?
            .iter()
            .map(|ev| {
                format!(
                    "{} {} {}→{}{}",
                    ev.at.to_rfc3339(),
                    ev.actor,
                    ev.from.as_deref().unwrap_or("-"),
                    ev.to,
                    ev.note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(" | ");
        w.write_record([
            e.id.to_string(),
            e.state.as_str().to_string(),
            e.severity.clone(),
            e.topic.clone().unwrap_or_default(),
            e.reason.clone(),
            e.opened_at.to_rfc3339(),
            e.due_at.to_rfc3339(),
            e.overdue.to_string(),
            e.assignee.clone().unwrap_or_default(),
            e.formal_request.to_string(),
            e.formal_elements.join(";"),
            t(e.ack_due_at),
            t(e.receipt_due_at),
            t(e.decision_due_at),
            t(e.silence_accept_at),
            e.mention_ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(";"),
            history,
        ])?;
    }
    w.flush()?;
    store.close().await;
    Ok(())
}

/// `vigie signals`: signals raised, as JSON lines or a table.
pub async fn signals(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    for s in store.signals(since).await? {
        if json {
            writeln!(out, "{}", serde_json::to_string(&s)?)?;
        } else {
            writeln!(
                out,
                "{:>5}  {}  {:<8} {:<18} {}",
                s.id,
                s.at.format("%Y-%m-%d %H:%M"),
                s.severity,
                s.kind,
                s.reason
            )?;
        }
    }
    store.close().await;
    Ok(())
}

/// `vigie replay`: recorded mentions through the pipeline on simulated time.
pub async fn replay(
    cfg: &Config,
    input: &std::path::Path,
    store_url: Option<&str>,
    step: std::time::Duration,
    out: &mut dyn Write,
) -> anyhow::Result<crate::runtime::replay::ReplayReport> {
    let (records, skipped) = crate::runtime::replay::read(input)?;
    let tmp = tempfile::tempdir()?;
    let store = match store_url {
        Some(u) => Store::open(u, &cfg.base_dir()).await?,
        None => Store::open("sqlite://replay.db", tmp.path()).await?,
    };
    let report = crate::runtime::replay::replay(cfg, records, skipped, &store, step, out).await?;
    store.close().await;
    Ok(report)
}

/// One story as `vigie stories --json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct StoryLine {
    /// Story id (its first mention's id).
    pub id: i64,
    /// Title of its first mention.
    pub title: String,
    /// First and last mention.
    pub first_seen_at: DateTime<Utc>,
    /// Last mention.
    pub last_seen_at: DateTime<Utc>,
    /// Mentions in it.
    pub mention_count: usize,
    /// Languages, most frequent first.
    pub languages: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
    /// Mentions per sentiment label.
    pub sentiment: BTreeMap<String, usize>,
    /// Sum of the authors' reach, where known.
    pub reach: i64,
    /// Mention ids.
    pub mention_ids: Vec<i64>,
}

/// `vigie stories`: stories with mentions since `since`, largest first.
pub async fn stories(
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = open_store(cfg).await?;
    let list = store.mentions(since, 1_000_000).await?;
    let mut by: BTreeMap<i64, Vec<&crate::core::model::Mention>> = BTreeMap::new();
    for m in &list {
        if let Some(s) = m.story {
            by.entry(s).or_default().push(m);
        }
    }
    let mut lines: Vec<StoryLine> = by
        .into_iter()
        .map(|(id, ms)| {
            let mut langs: BTreeMap<String, usize> = BTreeMap::new();
            let mut sentiment = BTreeMap::new();
            let mut sources: Vec<String> = Vec::new();
            for m in &ms {
                *langs.entry(m.lang.clone()).or_default() += 1;
                if let Some(s) = m.sentiment {
                    *sentiment.entry(s.label.as_str().to_string()).or_default() += 1;
                }
                for s in &m.sources {
                    if !sources.contains(s) {
                        sources.push(s.clone());
                    }
                }
            }
            let mut languages: Vec<(String, usize)> = langs.into_iter().collect();
            languages.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            let first = ms.iter().min_by_key(|m| (m.first_seen_at, m.id)).unwrap();
            StoryLine {
                id,
                title: first.title.clone(),
                first_seen_at: first.first_seen_at,
                last_seen_at: ms.iter().map(|m| m.first_seen_at).max().unwrap(),
                mention_count: ms.len(),
                languages: languages.into_iter().map(|(l, _)| l).collect(),
                sources,
                sentiment,
                reach: ms.iter().filter_map(|m| m.reach).sum(),
                mention_ids: ms.iter().map(|m| m.id).collect(),
            }
        })
        .collect();
    lines.sort_by_key(|l| (std::cmp::Reverse(l.mention_count), l.id));
    for l in &lines {
        if json {
            writeln!(out, "{}", serde_json::to_string(l)?)?;
        } else {
            writeln!(
                out,
                "{:>6}  {:>4} mentions  {:<8} {}",
                l.id,
                l.mention_count,
                l.languages.join(","),
                l.title.chars().take(80).collect::<String>()
            )?;
        }
    }
    store.close().await;
    Ok(())
}
