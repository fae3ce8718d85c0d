//! chipcap-server: the HTTP edge of chipcap (axum).
//!
//! Stateless determinations (the contract of `docs/contract.md`, the same document
//! `chipcap check` prints), the ledger (apply, grant, reverse, attrition, adjustments, parties,
//! assurances, balances, history, audit), rules in force, chip catalog and classification, under
//! `/v1`; the OpenAPI 3.1 document at `/openapi.json` with an interactive page at `/docs`;
//! `/healthz`, `/readyz`, Prometheus `/metrics`; the dashboard at `/`. Every error is one problem
//! document ([`error::Problem`]). Writes need a bearer token ([`auth`]). The ledger runs on its one
//! writer, [`chipcap_ledger::GroupCommit`] (the one the ledger's race tests exercise): operations
//! in arrival order, the `ledger apply` requests waiting together group-committed.

pub mod api;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod metrics;
pub mod openapi;

// The application steps the routes call live in `chipcap-app`, shared with the CLI; re-exported
// for embedders of the server and its tests.
pub use chipcap_app::clock::{now_rfc3339, today};
pub use chipcap_app::{catalog, lists, lists_update};

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use chipcap_core::params::RuleSet;
use chipcap_ledger::Ledger;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

pub use auth::{Role, TokenRecord, TokenStore};
/// The ledger crate, re-exported for the CLI's `serve`.
pub use chipcap_ledger as ledger;
pub use error::{Problem, ServerError};

/// How the server behaves (limits, CORS, read access).
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body accepted, bytes (413 above).
    pub body_limit: usize,
    /// Longest time a request may take (408 after).
    pub request_timeout: Duration,
    /// Origins allowed by CORS; empty means no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// When true, every `/v1` request needs at least a viewer token (reads too).
    pub private_reads: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            cors_origins: Vec::new(),
            private_reads: false,
        }
    }
}

/// One recent determination, kept in memory for the dashboard.
#[derive(Clone, Debug)]
pub struct Recent {
    /// When (RFC 3339).
    pub at: String,
    /// `check` (stateless) or `apply` (ledger).
    pub source: &'static str,
    /// The request document as sent.
    pub request: Bytes,
    /// The determination (or ledger outcome) document.
    pub result: Bytes,
}

const RECENT_MAX: usize = 50;
const RECENT_MAX_BYTES: usize = 16 * 1024;

/// Most `ledger apply` requests committed in one transaction by the ledger's writer.
const MAX_BATCH: usize = 64;

/// Everything the handlers share.
pub struct AppState {
    /// The rule set in force (leaked once per server: it lives as long as the process).
    pub rules: &'static RuleSet,
    /// The ledger's one writer ([`chipcap_ledger::GroupCommit`]): every ledger operation runs
    /// there in arrival order; the `ledger apply` requests waiting together are group-committed.
    ledger: Option<chipcap_ledger::GroupCommit>,
    /// Bearer tokens.
    pub tokens: TokenStore,
    /// Metrics.
    pub metrics: metrics::Metrics,
    recent: Mutex<VecDeque<Recent>>,
    /// Limits and access.
    pub config: Config,
    /// Restricted-party lists loaded at start (`chipcap serve --lists DIR`), if any were imported.
    lists: std::sync::RwLock<Option<Arc<lists::LoadedLists>>>,
    /// Reviewers' dispositions read from the ledger, and when (re-read every
    /// [`DISPOSITIONS_MAX_AGE`], and at once after this server records one).
    dispositions: std::sync::RwLock<(Option<Instant>, Arc<Vec<lists::DispositionRecord>>)>,
    refreshing: std::sync::atomic::AtomicBool,
}

/// How long the dispositions read from the ledger are used before they are read again (the
/// server's own writes refresh them at once; this bounds how long a disposition recorded by another
/// process, such as `chipcap screen dispose`, takes to apply).
pub const DISPOSITIONS_MAX_AGE: Duration = Duration::from_secs(2);

impl AppState {
    /// State over a rule set, an optional ledger store, tokens and a configuration.
    pub fn new(
        rules: RuleSet,
        store: Option<Box<dyn chipcap_ledger::Store>>,
        tokens: TokenStore,
        config: Config,
    ) -> Arc<AppState> {
        // One rule set shared by the handlers (`&'static`, leaked once per server) and the writer.
        let shared: &'static Arc<RuleSet> = Box::leak(Box::new(Arc::new(rules)));
        let ledger =
            store.map(|s| chipcap_ledger::GroupCommit::start(s, Arc::clone(shared), MAX_BATCH));
        Arc::new(AppState {
            rules: shared,
            ledger,
            tokens,
            metrics: metrics::Metrics::default(),
            recent: Mutex::new(VecDeque::with_capacity(RECENT_MAX)),
            config,
            lists: std::sync::RwLock::new(None),
            dispositions: std::sync::RwLock::new((None, Arc::new(Vec::new()))),
            refreshing: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Uses these restricted-party lists for screening from now on.
    pub fn set_lists(&self, l: Option<lists::LoadedLists>) {
        if let Ok(mut g) = self.lists.write() {
            *g = l.map(Arc::new);
        }
    }

    /// The lists in use, if any.
    pub fn lists(&self) -> Option<Arc<lists::LoadedLists>> {
        self.lists.read().ok().and_then(|g| g.clone())
    }

    /// Reads the dispositions from the ledger now.
    pub async fn refresh_dispositions(
        &self,
    ) -> Result<Arc<Vec<lists::DispositionRecord>>, Problem> {
        if self.ledger.is_none() {
            return Ok(Arc::new(Vec::new()));
        }
        let entries = self.with_ledger(|l| l.dispositions()).await?;
        let d = Arc::new(lists::dispositions_from_entries(&entries));
        if let Ok(mut g) = self.dispositions.write() {
            *g = (Some(Instant::now()), Arc::clone(&d));
        }
        Ok(d)
    }

    /// The dispositions to screen with: read from the ledger on first use, then re-read in the
    /// background when older than [`DISPOSITIONS_MAX_AGE`].
    pub async fn dispositions(
        self: &Arc<Self>,
    ) -> Result<Arc<Vec<lists::DispositionRecord>>, Problem> {
        let (at, d) = match self.dispositions.read() {
            Ok(g) => (g.0, Arc::clone(&g.1)),
            Err(_) => (None, Arc::new(Vec::new())),
        };
        match at {
            None => self.refresh_dispositions().await,
            Some(t) => {
                if t.elapsed() > DISPOSITIONS_MAX_AGE
                    && !self.refreshing.swap(true, Ordering::AcqRel)
                {
                    let st = Arc::clone(self);
                    tokio::spawn(async move {
                        if let Err(e) = st.refresh_dispositions().await {
                            tracing::warn!(error = ?e, "cannot re-read the dispositions");
                        }
                        st.refreshing.store(false, Ordering::Release);
                    });
                }
                Ok(d)
            }
        }
    }

    /// Decides and records a prepared `ledger apply` on the ledger's writer, group-committed with
    /// the other applies waiting there.
    pub async fn apply(
        &self,
        p: chipcap_ledger::PreparedApply,
    ) -> Result<chipcap_ledger::Outcome, Problem> {
        match self.apply_many(vec![p]).await?.pop() {
            Some(r) => r.map_err(Problem::from),
            None => {
                tracing::error!("a ledger apply failed without an answer");
                Err(Problem::internal())
            }
        }
    }

    /// Decides and records a client's batch of prepared applies on the ledger's writer, in order
    /// and in one transaction (shared with the other applies waiting there).
    pub async fn apply_many(
        &self,
        p: Vec<chipcap_ledger::PreparedApply>,
    ) -> Result<Vec<Result<chipcap_ledger::Outcome, chipcap_ledger::Error>>, Problem> {
        if p.is_empty() {
            return Ok(Vec::new());
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.writer()?.submit_applies(
            p,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        if sent.is_err() {
            tracing::error!("the ledger's writer has stopped");
            return Err(Problem::internal());
        }
        rx.await.map_err(|_| {
            tracing::error!("a ledger apply failed without an answer");
            Problem::internal()
        })
    }

    fn writer(&self) -> Result<&chipcap_ledger::GroupCommit, Problem> {
        self.ledger.as_ref().ok_or_else(|| {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_ledger",
                "this server runs without a ledger",
            )
        })
    }

    /// The ledger backend's name (`sqlite`, `postgres`, `memory`, or `none`).
    pub fn backend(&self) -> &'static str {
        self.ledger.as_ref().map_or("none", |l| l.backend())
    }

    /// Runs `f` alone on the ledger's writer, in its turn. A write that started completes even if
    /// the client goes away.
    pub async fn with_ledger<T, F>(&self, f: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: for<'r> FnOnce(&mut Ledger<'r>) -> Result<T, chipcap_ledger::Error> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self
            .writer()?
            .submit(Box::new(move |ledger: &mut Ledger<'_>| {
                let _ = tx.send(f(ledger));
            }));
        if sent.is_err() {
            tracing::error!("the ledger's writer has stopped");
            return Err(Problem::internal());
        }
        match rx.await {
            Ok(r) => r.map_err(Problem::from),
            Err(_) => {
                tracing::error!("a ledger operation failed without an answer");
                Err(Problem::internal())
            }
        }
    }

    /// Remembers a determination for the dashboard.
    pub fn remember(&self, source: &'static str, request: Bytes, result: Bytes) {
        if request.len() > RECENT_MAX_BYTES || result.len() > RECENT_MAX_BYTES * 4 {
            return;
        }
        if let Ok(mut g) = self.recent.lock() {
            if g.len() == RECENT_MAX {
                g.pop_front();
            }
            g.push_back(Recent {
                at: now_rfc3339(),
                source,
                request,
                result,
            });
        }
    }

    /// The recent determinations, newest first.
    pub fn recent(&self) -> Vec<Recent> {
        self.recent
            .lock()
            .map(|g| g.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

/// Request ids: a process-unique prefix and a counter (`x-request-id`; a client's own id is kept).
#[derive(Clone)]
struct Ids {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for Ids {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

async fn track(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    st.metrics.start();
    let resp = next.run(req).await;
    st.metrics
        .finish(&method, &route, resp.status().as_u16(), start.elapsed());
    resp
}

/// In private mode every `/v1` request needs at least a viewer token.
async fn guard_reads(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if st.config.private_reads && req.uri().path().starts_with("/v1/") {
        if let Err(p) =
            api::caller_of(&st, req.headers()).and_then(|c| c.require(Role::Viewer).map(|_| ()))
        {
            return p.into_response();
        }
    }
    next.run(req).await
}

/// Turns every error the framework raises (404, 405, 408, 413, ...) into a problem document.
async fn problems(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let st = resp.status();
    if !(st.is_client_error() || st.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == error::PROBLEM_JSON.as_bytes());
    if is_problem {
        return resp;
    }
    let mut p = Problem::from_status(st).into_response();
    if let Some(allow) = resp.headers().get(header::ALLOW) {
        p.headers_mut().insert(header::ALLOW, allow.clone());
    }
    p
}

/// Answers 413 at once when the declared `Content-Length` is over the body limit, before a byte of
/// the body is read (otherwise the request would wait for a body that never comes).
async fn declared_length(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let limit = u64::try_from(st.config.body_limit).unwrap_or(u64::MAX);
    if declared.is_some_and(|n| n > limit) {
        return Problem::from_status(StatusCode::PAYLOAD_TOO_LARGE).into_response();
    }
    next.run(req).await
}

async fn fallback() -> Problem {
    Problem::from_status(StatusCode::NOT_FOUND)
}

/// The application: every route, with limits, timeouts, request ids, tracing and metrics.
pub fn router(state: Arc<AppState>) -> Router {
    let v1 = Router::new()
        .route("/v1/determinations", post(api::determine))
        .route("/v1/determinations/compare", post(api::compare))
        .route("/v1/screenings", post(api::screen))
        .route(
            "/v1/screenings/dispositions",
            get(api::dispositions_list).post(api::disposition_create),
        )
        .route("/v1/determinations/recent", get(api::recent))
        .route("/v1/rules", get(api::rules))
        .route("/v1/chips", get(api::chips))
        .route("/v1/tiers", get(api::tiers))
        .route("/v1/classifications", post(api::classify))
        .route("/v1/simulations", post(api::simulate))
        .route("/v1/ledger/apply", post(api::ledger_apply))
        .route("/v1/ledger/apply/batch", post(api::ledger_apply_batch))
        .route("/v1/ledger/grants", post(api::ledger_grant))
        .route("/v1/ledger/reversals", post(api::ledger_reverse))
        .route("/v1/ledger/attritions", post(api::ledger_attrition))
        .route("/v1/ledger/adjustments", post(api::ledger_adjust))
        .route("/v1/ledger/us-shipments", post(api::ledger_us_shipment))
        .route(
            "/v1/ledger/parties",
            get(api::ledger_parties).post(api::ledger_party),
        )
        .route(
            "/v1/ledger/assurances",
            get(api::ledger_assurances).post(api::ledger_assurance),
        )
        .route("/v1/ledger/balances", get(api::ledger_balances))
        .route("/v1/ledger/history", get(api::ledger_history))
        .route("/v1/ledger/audit", get(api::ledger_audit))
        .route("/v1/tokens", get(api::tokens_list).post(api::tokens_create))
        .route("/v1/tokens/{id}", delete(api::tokens_revoke))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/openapi.json", get(api::openapi_json))
        .merge(dashboard::routes())
        .merge(openapi::swagger_ui())
        .fallback(fallback);

    let ids = Ids {
        prefix: Arc::from(format!("{:x}", std::process::id())),
        next: Arc::new(AtomicU64::new(1)),
    };
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &axum::http::Request<Body>| {
            let id = req
                .headers()
                .get(&X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        })
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Micros),
        );
    let timeout = state.config.request_timeout;
    let cors = cors_layer(&state.config.cors_origins);
    let mut app = v1
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn(problems))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            declared_length,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), guard_reads))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(trace)
        .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), ids));
    if let Some(c) = cors {
        app = app.layer(c);
    }
    app.with_state(state)
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(list))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
    )
}

/// Whether an address is on the loopback interface.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Refuses to listen on a non-loopback address without any token configured.
pub fn check_exposure(addr: &SocketAddr, tokens: &TokenStore) -> Result<(), ServerError> {
    if !is_loopback(addr) && tokens.is_empty() {
        return Err(ServerError::Config(format!(
            "refusing to listen on `{addr}` (not loopback) with no tokens configured: create one with `chipcap token create --role admin`"
        )));
    }
    Ok(())
}

/// Connection-level bounds of [`serve_with`].
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Longest time a client may take to send a request's headers, counted from when the server
    /// starts waiting for them: a connection that trickles header bytes is closed after it, and so
    /// is a kept-alive connection idle that long between requests (the idle timeout).
    pub header_read_timeout: Duration,
    /// After shutdown is requested: how long requests in flight (ledger writes included) may take
    /// to finish before the remaining connections (half-sent requests) are closed.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, finishes the
/// requests in flight (ledger writes included) and returns; see [`serve_with`] for the bounds.
pub async fn serve<F>(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: F,
) -> Result<(), ServerError>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_with(listener, app, shutdown, ServeOptions::default()).await
}

/// As [`serve`], with the header-read (and idle) timeout and the shutdown grace of `opts`. Each
/// connection is served by hyper's HTTP/1 server with a timer, so a client can hold a connection
/// only while it sends a request promptly; once `shutdown` resolves, idle connections close at
/// once, requests in flight get `opts.shutdown_grace` to finish, and what is left is closed.
pub async fn serve_with<F>(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: F,
    opts: ServeOptions,
) -> Result<(), ServerError>
where
    F: Future<Output = ()> + Send + 'static,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    let shutdown = shutdown;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((s, _)) => s,
                    Err(e) => {
                        // Out of file descriptors and the like: the listener itself is fine.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::task::yield_now().await;
                        continue;
                    }
                };
                let svc = hyper_util::service::TowerToHyperService::new(app.clone());
                let mut stop = closed.clone();
                conns.spawn(async move {
                    let mut b = hyper::server::conn::http1::Builder::new();
                    b.timer(TokioTimer::new())
                        .header_read_timeout(opts.header_read_timeout);
                    let conn = b.serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        r = conn.as_mut() => {
                            if let Err(e) = r {
                                tracing::debug!(error = %e, "connection closed");
                            }
                        }
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(opts.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            open = conns.len(),
            "shutdown: closing connections whose requests did not finish in time"
        );
        conns.shutdown().await;
    }
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested: finishing requests in flight");
}

/// Runs `chipcap lists update` every `schedule.every` in the background (the first one interval
/// after the call): the sources of `lists.toml` in the store folder, refusing what the command
/// refuses; an imported version is screened against from then on, the parties the ledger knows are
/// re-screened, and the outcome is logged. A failure is logged and never stops the server. The
/// receiver sees each round's outcome.
pub fn spawn_list_updates(
    state: Arc<AppState>,
    schedule: lists_update::Schedule,
) -> tokio::sync::watch::Receiver<lists_update::Round> {
    let (tx, rx) = tokio::sync::watch::channel(lists_update::Round::default());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(schedule.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick completes at once.
        tick.tick().await;
        let mut number = 0u64;
        loop {
            tick.tick().await;
            number += 1;
            let round = scheduled_list_update(&state, &schedule, number).await;
            tx.send_replace(round);
        }
    });
    rx
}

async fn scheduled_list_update(
    state: &Arc<AppState>,
    schedule: &lists_update::Schedule,
    number: u64,
) -> lists_update::Round {
    use lists_update::{Outcome, Round};
    let mut round = Round {
        number,
        ..Round::default()
    };
    let sched = schedule.clone();
    let ran = tokio::task::spawn_blocking(move || lists_update::scheduled_update(&sched)).await;
    let (run, loaded) = match ran {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            tracing::error!(round = number, error = %e, "scheduled list update failed");
            round.failed.push(e);
            return round;
        }
        Err(e) => {
            tracing::error!(round = number, error = %e, "scheduled list update failed");
            round.failed.push(e.to_string());
            return round;
        }
    };
    for (source, r) in &run.sources {
        match r {
            Ok(rep) => match &rep.outcome {
                Outcome::Imported {
                    version, changes, ..
                } => {
                    tracing::info!(round = number, source = source.name(), %version, added = changes.added, removed = changes.removed, changed = changes.changed, "list updated");
                    round.imported.push(source.name().to_string());
                }
                Outcome::NotModified | Outcome::SameContent => {
                    tracing::info!(round = number, source = source.name(), "list unchanged");
                    round.unchanged.push(source.name().to_string());
                }
            },
            Err(e) => {
                tracing::error!(round = number, source = source.name(), error = %e, "list update refused or failed; the lists in use are unchanged");
                round.failed.push(format!("{}: {e}", source.name()));
            }
        }
    }
    if !run.imported() {
        return round;
    }
    if loaded.is_some() {
        state.set_lists(loaded);
    }
    let entries = if state.ledger.is_some() {
        match state.with_ledger(|l| l.entries()).await {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(round = number, error = ?e, "cannot read the ledger's parties to re-screen them");
                return round;
            }
        }
    } else {
        Vec::new()
    };
    let changed =
        tokio::task::spawn_blocking(move || lists_update::rescreen_ledger(&run, &entries))
            .await
            .unwrap_or_default();
    for c in &changed {
        tracing::warn!(
            round = number,
            party = %c.party,
            new_hits = c.new_hits.len(),
            hits_gone = c.hits_gone.len(),
            changed_entries = c.changed_entries.len(),
            dispositions_back_for_review = c.dispositions_back_for_review.len(),
            "screening of a ledger party changed with the list update"
        );
    }
    round.parties_changed = changed.len();
    round
}
