//! `vigie health`: asks a running daemon's `/healthz` whether it is up, for a container's
//! HEALTHCHECK (the slim image has no curl) or a monitoring script. Exit code 0 when it
//! answers "ok", 1 otherwise: the only two codes a container engine reads as healthy and
//! unhealthy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::{load_offline, say};

/// `vigie health`'s arguments.
#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// Config file (TOML): the daemon is asked at its `[web] listen` address.
    #[arg(long, env = "VIGIE_CONFIG")]
    pub config: Option<PathBuf>,
    /// The daemon's base URL instead ("http://127.0.0.1:8080"); wins over --config.
    #[arg(long)]
    pub url: Option<String>,
    /// How long to wait for the answer.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// Asks `/healthz`; "ok" on stdout and exit 0, or what went wrong on stderr and exit 1.
pub async fn run(a: HealthArgs) -> Result<(), ExitCode> {
    let url = match (&a.url, &a.config) {
        (Some(u), _) => {
            if !url::Url::parse(u).is_ok_and(|p| p.scheme() == "http" || p.scheme() == "https") {
                say(&format!(
                    "unhealthy: --url {u:?} is not an http(s) URL; write it like http://127.0.0.1:8080"
                ));
                return Err(ExitCode::from(1));
            }
            format!("{}/healthz", u.trim_end_matches('/'))
        }
        (None, Some(path)) => {
            let cfg = load_offline(path)?;
            let Some(web) = &cfg.web else {
                say(&format!(
                    "unhealthy: {} has no [web] section, so the daemon serves no /healthz; add [web] listen = \"127.0.0.1:8080\" or pass --url",
                    path.display()
                ));
                return Err(ExitCode::from(1));
            };
            healthz_url(&web.listen)
        }
        (None, None) => {
            say("unhealthy: give --config FILE (or VIGIE_CONFIG) or --url http://HOST:PORT");
            return Err(ExitCode::from(1));
        }
    };
    match ask(&url, a.timeout).await {
        Ok(()) => {
            println!("ok: {url}");
            Ok(())
        }
        Err(why) => {
            say(&format!("unhealthy: {url}: {why}"));
            Err(ExitCode::from(1))
        }
    }
}

/// The URL of `/healthz` on the daemon listening at `listen`: an unspecified address
/// (0.0.0.0, [::], as in a container) is reached on the loopback of its family.
pub fn healthz_url(listen: &str) -> String {
    let Ok(mut addr) = listen.parse::<SocketAddr>() else {
        // Config validation refuses such a value; say it the same way if one gets here.
        return format!("http://{listen}/healthz");
    };
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    format!("http://{addr}/healthz")
}

/// One GET; Ok when the answer is 200 with the body "ok", else what was wrong.
async fn ask(url: &str, timeout: Duration) -> Result<(), String> {
    // Straight to the daemon: a proxy from the environment would answer for it.
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let resp = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            return format!(
                "no answer within {}; is the daemon stuck, or is something else listening there?",
                humantime::format_duration(timeout)
            );
        }
        // reqwest's own message repeats the URL: its innermost cause says what happened.
        let mut cause: &dyn std::error::Error = &e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        let what = if e.is_connect() {
            "cannot connect"
        } else {
            "request failed"
        };
        format!("{what}: {cause}; is the daemon running, and listening there?")
    })?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if status.is_success() && body.trim() == "ok" {
        Ok(())
    } else {
        let body: String = body.trim().chars().take(200).collect();
        Err(format!("answered {status} {body:?}, not \"ok\""))
    }
}

#[cfg(test)]
mod tests {
    use super::healthz_url;

    #[test]
    fn an_unspecified_listen_address_is_asked_on_the_loopback() {
        assert_eq!(healthz_url("0.0.0.0:8080"), "http://127.0.0.1:8080/healthz");
        assert_eq!(healthz_url("[::]:8080"), "http://[::1]:8080/healthz");
        assert_eq!(
            healthz_url("192.0.2.7:9000"),
            "http://192.0.2.7:9000/healthz"
        );
    }
}
