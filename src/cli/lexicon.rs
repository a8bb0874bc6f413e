//! `vigie lexicon`: tools for the lexicon backend.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::eval::{declared_lang, read_gold};
use super::{fail, load_offline};
use crate::config::Config;

/// `vigie lexicon` subcommands.
#[derive(clap::Subcommand)]
pub enum LexiconCmd {
    /// For each line of a gold file, the opinion words found, their polarity and context
    /// factor, as JSON lines (what scripts/calibrate.py fits the polarities on).
    Opinions {
        /// Config file (TOML): its languages and `[classifier] lexicon_weights`.
        #[arg(long, env = "VIGIE_CONFIG")]
        config: PathBuf,
        /// JSON lines with "text" (and "id", "sentiment", passed through).
        #[arg(long)]
        data: PathBuf,
    },
    /// The domain layer (models/lexicon/domain/), one entry a line: language, pattern,
    /// effect, family and reason, tab-separated.
    Domain {
        /// Only this language ("any" for emoji).
        #[arg(long)]
        lang: Option<String>,
    },
}

/// `vigie lexicon ...` as the command line runs it.
pub fn run(action: LexiconCmd) -> Result<(), ExitCode> {
    match action {
        LexiconCmd::Opinions { config, data } => {
            let cfg = load_offline(&config)?;
            opinions(&cfg, &data, &mut std::io::stdout().lock()).map_err(fail)
        }
        LexiconCmd::Domain { lang } => {
            domain(lang.as_deref(), &mut std::io::stdout().lock()).map_err(|e| fail(e.into()))
        }
    }
}

/// `vigie lexicon domain`: the compiled-in domain layer, with the reason of each entry.
pub fn domain(lang: Option<&str>, out: &mut dyn Write) -> std::io::Result<()> {
    let layer = crate::classify::lexicon::domain::Domain::new();
    writeln!(out, "lang\tpattern\teffect\tfamily\treason")?;
    for (l, e) in layer
        .entries()
        .filter(|(l, _)| lang.is_none_or(|x| x == *l))
    {
        let (p, f, r) = (&e.pattern, e.family.name(), &e.reason);
        writeln!(out, "{l}\t{p}\t{}\t{f}\t{r}", e.effect)?;
    }
    Ok(())
}

/// `vigie lexicon opinions`: for each gold line, the opinion words the lexicon backend
/// finds, with their polarity and context factor (JSON lines, in input order), in the
/// language `vigie eval` would use. scripts/calibrate.py fits polarities on these.
pub fn opinions(cfg: &Config, data: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let classifier = crate::classify::backend::lexicon(&cfg.classifier, &cfg.base_dir())?;
    let lexicon = classifier.lexicon();
    let langs = cfg.institution.language_id();
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
