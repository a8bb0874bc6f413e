//! SQLite specifics: file URL resolution, WAL and busy timeout on every connection.

use std::path::Path;

/// Turns `sqlite://PATH` (relative to `base`) into a URL sqlx accepts, creating the folder.
pub fn url(raw: &str, base: &Path) -> std::io::Result<String> {
    let rest = raw.strip_prefix("sqlite://").unwrap_or(raw);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path == ":memory:" {
        return Ok("sqlite::memory:".into());
    }
    let p = Path::new(path);
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    // sqlx reads "sqlite://a/../b" badly: resolve the folder to a clean absolute path.
    let p = match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir)?;
            std::fs::canonicalize(dir)?.join(name)
        }
        _ => std::env::current_dir()?.join(&p),
    };
    let query = if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        query.to_string()
    };
    Ok(format!("sqlite://{}?{}", p.display(), query))
}

/// Run on every new connection. WAL lets readers (the CLI, the web page) work while the
/// daemon writes; the busy timeout turns short lock waits into waits rather than errors.
pub const PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
    // Erased personal data (retention, `vigie forget`) is overwritten in the file too,
    // not left in free pages where a copy of the file would still hold it.
    "PRAGMA secure_delete = ON",
];
