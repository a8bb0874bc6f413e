//! The daemon as a run of generations: one config, one set of stage tasks. A reload
//! (`SIGHUP`) builds the next generation from the new config while the current one runs;
//! only when everything in it could be built (sources, classifier, mailer, web page, the
//! listener) is the current one stopped, its in-flight rounds given time to finish, and
//! the next one started on the same store and the same socket. A config that cannot be
//! applied is refused with every reason logged, and the running one stays.
//!
//! Nothing is lost in the switch: every stage works from durable cursors in the store, so
//! a round cut short at the end of the grace period is done again by the next generation.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use super::{systemd, tasks::Flow, Clock};
use crate::config::Config;
use crate::store::Store;

/// The web listener, bound once and handed to each generation (a reload keeps the socket,
/// so connections arriving during the switch wait in its backlog).
struct Listener {
    listen: String,
    socket: std::net::TcpListener,
}

impl Listener {
    async fn bind(listen: &str) -> anyhow::Result<Listener> {
        let socket = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("web.listen: cannot listen on {listen}"))?
            .into_std()?;
        Ok(Listener {
            listen: listen.to_string(),
            socket,
        })
    }

    /// A handle on the same socket for one generation's server.
    fn share(&self) -> anyhow::Result<tokio::net::TcpListener> {
        let socket = self.socket.try_clone()?;
        socket.set_nonblocking(true)?;
        Ok(tokio::net::TcpListener::from_std(socket)?)
    }
}

/// The listener `cfg` asks for: the current one when the address is unchanged.
async fn listener(
    cfg: &Config,
    current: Option<Arc<Listener>>,
) -> anyhow::Result<Option<Arc<Listener>>> {
    let Some(w) = &cfg.web else { return Ok(None) };
    match current {
        Some(l) if l.listen == w.listen => Ok(Some(l)),
        _ => Ok(Some(Arc::new(Listener::bind(&w.listen).await?))),
    }
}

/// A generation built and ready to start.
struct Next {
    cfg: Config,
    web: Option<Arc<Listener>>,
    flow: Flow,
    app: Option<axum::Router>,
}

/// Builds everything `cfg` needs; an error means nothing of it runs.
async fn prepare(
    cfg: Config,
    store: &Store,
    clock: &Clock,
    web: Option<Arc<Listener>>,
) -> anyhow::Result<Next> {
    let web = listener(&cfg, web).await?;
    let flow = Flow::build(&cfg, store.clone(), super::mail(&cfg)?, clock.clone())?;
    let app = match &web {
        Some(_) => Some(flow.web_app()?),
        None => None,
    };
    Ok(Next {
        cfg,
        web,
        flow,
        app,
    })
}

/// What a reload may not change: the store the daemon holds.
fn refusals(old: &Config, new: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if old.storage.url != new.storage.url || old.base_dir() != new.base_dir() {
        out.push(
            "storage.url: the store cannot change while the daemon runs (restart vigie to move it)"
                .to_string(),
        );
    }
    out
}

/// One generation's tasks.
struct Running {
    cfg: Config,
    web: Option<Arc<Listener>>,
    stop: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Starts `next`; returns once its sources are scheduled (or it ended).
    async fn start(next: Next, shutdown: &CancellationToken) -> anyhow::Result<Running> {
        let stop = shutdown.child_token();
        let server = match (&next.web, next.app) {
            (Some(l), Some(app)) => {
                info!(listen = %l.socket.local_addr()?, "escalation page");
                Some((l.share()?, app))
            }
            _ => None,
        };
        let (ready, scheduled) = oneshot::channel();
        let handle = tokio::spawn(next.flow.run(server, stop.clone(), ready));
        // The sender is dropped without a word if the generation ends before scheduling.
        let _ = scheduled.await;
        Ok(Running {
            cfg: next.cfg,
            web: next.web,
            stop,
            handle,
        })
    }

    /// Stops the stages, letting in-flight rounds finish within the grace period.
    async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.handle.await?
    }
}

/// The daemon until `shutdown`, applying each config that arrives on `reloads`.
pub async fn run(
    cfg: Config,
    store: Store,
    clock: Clock,
    shutdown: CancellationToken,
    mut reloads: mpsc::Receiver<Result<Config, Vec<String>>>,
) -> anyhow::Result<()> {
    let watchdog = systemd::watchdog(shutdown.clone());
    let next = prepare(cfg, &store, &clock, None).await?;
    let mut running = Running::start(next, &shutdown).await?;
    systemd::ready("watching");
    let result = loop {
        tokio::select! {
            r = &mut running.handle => break r.map_err(anyhow::Error::from).and_then(|r| r),
            Some(new) = reloads.recv() => {
                running = reload(running, new, &store, &clock, &shutdown).await?;
            }
        }
    };
    systemd::stopping();
    if let Some(w) = watchdog {
        w.abort();
    }
    result
}

/// Applies `new` in place of `running`'s config, or refuses it (a config that could not
/// be read comes as its problems) and keeps `running`.
async fn reload(
    running: Running,
    new: Result<Config, Vec<String>>,
    store: &Store,
    clock: &Clock,
    shutdown: &CancellationToken,
) -> anyhow::Result<Running> {
    systemd::reloading();
    let next = match new {
        Err(problems) => Err(problems),
        Ok(new) => match refusals(&running.cfg, &new) {
            problems if !problems.is_empty() => Err(problems),
            _ => prepare(new, store, clock, running.web.clone())
                .await
                .map_err(|e| vec![format!("{e:#}")]),
        },
    };
    let next = match next {
        Ok(next) => next,
        Err(problems) => {
            for p in &problems {
                error!(problem = %p, "config reload refused");
            }
            error!(
                problems = problems.len(),
                "config reload refused; the running config stays"
            );
            systemd::ready("watching (the last reload was refused: see the logs)");
            return Ok(running);
        }
    };
    let sources = next.cfg.sources.len();
    if let Err(e) = running.stop().await {
        error!(error = %format!("{e:#}"), "the previous config's stages stopped with an error");
    }
    let running = Running::start(next, shutdown).await?;
    info!(sources, "config reloaded");
    systemd::ready("watching");
    Ok(running)
}
