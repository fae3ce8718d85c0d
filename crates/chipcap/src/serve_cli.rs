//! `chipcap serve`, `chipcap token`, and the client side of `--server URL`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use chipcap_core::params::RuleSet;
use chipcap_server::{Config, Role, TokenStore};
use clap::{Args, Subcommand, ValueEnum};

/// The default ledger when neither `--db` nor `CHIPCAP_DB` is given (as `chipcap ledger`).
const DEFAULT_DB: &str = "chipcap.db";

/// Log output.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// `chipcap serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. A non-loopback address needs at least one token (`chipcap token create`).
    #[arg(long, env = "CHIPCAP_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The ledger: an SQLite file (created on first use), `postgres://...`, or `:memory:`.
    #[arg(long, env = "CHIPCAP_DB")]
    pub db: Option<String>,
    /// The token file (default: `<db>.tokens.json` beside an SQLite ledger, else `chipcap-tokens.json`).
    #[arg(long, env = "CHIPCAP_TOKENS")]
    pub tokens: Option<PathBuf>,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Longest time a request may take, seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Longest time a client may take to send a request's headers, and to keep a connection idle
    /// between requests, seconds.
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// On SIGTERM or Ctrl-C: how long requests in flight may take to finish before the remaining
    /// connections are closed, seconds.
    #[arg(long, default_value_t = 5)]
    pub shutdown_grace: u64,
    /// Allow this origin to call the API from a browser (CORS; repeat for several). None by default.
    #[arg(long = "cors-origin")]
    pub cors_origins: Vec<String>,
    /// Require a viewer token for reads too (every `/v1` request).
    #[arg(long)]
    pub private: bool,
    /// The restricted-party list store (`chipcap lists import`) used to screen determinations and for
    /// `POST /v1/screenings`; read at start.
    #[arg(long = "lists", env = "CHIPCAP_LISTS", default_value = "chipcap-lists")]
    pub lists: PathBuf,
    /// Run `chipcap lists update` on the list store every so often (`30m`, `24h`, `7d`; the first
    /// one interval after start): the sources and locations of `lists.toml` in the store folder; an
    /// imported version is screened against at once and the ledger's parties are re-screened; the
    /// outcome is logged and a failure never stops the server. Off by default.
    #[arg(long, env = "CHIPCAP_LISTS_UPDATE_EVERY", value_parser = parse_every)]
    pub lists_update_every: Option<Duration>,
    /// Log format (the level comes from `RUST_LOG`, e.g. `info`, `warn`, `chipcap_server=debug`).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// `90s`, `30m`, `24h`, `7d`: a whole number and a unit, at least one second.
fn parse_every(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as `30m`, `24h` or `7d`"))?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }
    .filter(|x| *x > 0)
    .ok_or_else(|| {
        format!(
            "`{s}` is not a duration such as `30m`, `24h` or `7d` (units s, m, h, d; at least 1s)"
        )
    })?;
    Ok(Duration::from_secs(secs))
}

/// `chipcap token`.
#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
    /// The ledger the tokens belong to (locates the default token file).
    #[arg(long, env = "CHIPCAP_DB", global = true)]
    db: Option<String>,
    /// The token file.
    #[arg(long, env = "CHIPCAP_TOKENS", global = true)]
    tokens: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a token and print it (once: only its hash is stored).
    #[command(
        after_help = "Examples:\n  chipcap token create --role officer --name order-system\n  TOKEN=$(chipcap token create --role admin)"
    )]
    Create {
        /// `viewer` reads; `officer` applies and grants; `admin` adjusts, forces and manages tokens.
        #[arg(long, value_parser = ["viewer", "officer", "admin"])]
        role: String,
        /// Who holds it (shown in the audit log).
        #[arg(long)]
        name: Option<String>,
    },
    /// List the tokens (ids, names, roles; never the secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token's id (see `chipcap token list`).
        id: String,
    },
}

fn token_path(db: &Option<String>, tokens: &Option<PathBuf>) -> PathBuf {
    tokens.clone().unwrap_or_else(|| {
        chipcap_server::auth::default_token_path(db.as_deref().unwrap_or(DEFAULT_DB))
    })
}

/// Runs `chipcap token ...`.
pub fn run_token(args: TokenArgs) -> anyhow::Result<()> {
    let path = token_path(&args.db, &args.tokens);
    let store = TokenStore::open(&path)?;
    match args.command {
        TokenCommand::Create { role, name } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!("option `--role` must be viewer, officer or admin")
            })?;
            let name = name.unwrap_or_else(|| role.as_str().to_string());
            let (token, rec) = store.create(role, &name, &chipcap_app::now_rfc3339())?;
            println!("{token}");
            eprintln!(
                "created token {} ({}, role {}) in {}; it is shown only now",
                rec.id,
                rec.name,
                rec.role.as_str(),
                path.display()
            );
        }
        TokenCommand::List => {
            for r in store.list() {
                println!(
                    "{}  {:<8} {:<24} {}",
                    r.id,
                    r.role.as_str(),
                    r.name,
                    r.created_at
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke(&id)? {
                anyhow::bail!("no token with id `{id}` in {}", path.display());
            }
            eprintln!("revoked {id}");
        }
    }
    Ok(())
}

fn init_logs(format: LogFormat) {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::prelude::*;
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let reg = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => reg.with(fmt).try_init(),
        LogFormat::Json => reg.with(fmt.json().with_current_span(true)).try_init(),
    };
}

/// Runs `chipcap serve` until SIGTERM or Ctrl-C; in-flight requests (ledger writes included) finish
/// before it returns.
pub fn run(args: ServeArgs, rules: RuleSet) -> anyhow::Result<()> {
    init_logs(args.log_format);
    let db = args.db.clone().unwrap_or_else(|| DEFAULT_DB.to_string());
    let store = chipcap_ledger::open(&db).with_context(|| "opening the ledger".to_string())?;
    let tokens = TokenStore::open(&token_path(&args.db, &args.tokens))?;
    chipcap_server::check_exposure(&args.listen, &tokens)?;
    let config = Config {
        body_limit: args.body_limit,
        request_timeout: Duration::from_secs(args.timeout.max(1)),
        cors_origins: args.cors_origins.clone(),
        private_reads: args.private,
    };
    let state = chipcap_server::AppState::new(rules, Some(store), tokens, config);
    let lists = chipcap_app::lists::LoadedLists::load(&args.lists)
        .with_context(|| format!("loading the lists in `{}`", args.lists.display()))?;
    match &lists {
        Some(l) => tracing::info!(lists = ?l.names, "screening against the imported lists"),
        None => {
            tracing::warn!(dir = %args.lists.display(), "no restricted-party lists imported: determinations will say the parties were not screened")
        }
    }
    state.set_lists(lists);
    let backend = state.backend();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on `{}`", args.listen))?;
        let addr = listener.local_addr()?;
        if let Some(every) = args.lists_update_every {
            tracing::info!(every_secs = every.as_secs(), dir = %args.lists.display(), "restricted-party lists will be updated on a schedule");
            let _rounds = chipcap_server::spawn_list_updates(
                state.clone(),
                chipcap_app::lists_update::Schedule {
                    dir: args.lists.clone(),
                    every,
                    timeout: Duration::from_secs(300),
                },
            );
        }
        tracing::info!(%addr, ledger = backend, "chipcap serving: dashboard http://{addr}/ , API http://{addr}/v1 , docs http://{addr}/docs/");
        let opts = chipcap_server::ServeOptions {
            header_read_timeout: Duration::from_secs(args.header_timeout.max(1)),
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
        };
        chipcap_server::serve_with(listener, chipcap_server::router(state.clone()), chipcap_server::shutdown_signal(), opts).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

/// What a server answered: the JSON text on success, or the problem's message (field and detail)
/// for a request it cannot read (the CLI exits 2 with it).
pub type Answer = Result<String, String>;

/// Sends `body` to `server` + `path` (POST, JSON) with the bearer token from `CHIPCAP_TOKEN` if set.
pub fn remote_post(server: &str, path: &str, body: &str) -> anyhow::Result<Answer> {
    remote(server, path, Some(body))
}

/// GETs `server` + `path` (with the query) with the bearer token from `CHIPCAP_TOKEN` if set.
pub fn remote_get(server: &str, path: &str) -> anyhow::Result<Answer> {
    remote(server, path, None)
}

fn remote(server: &str, path: &str, body: Option<&str>) -> anyhow::Result<Answer> {
    let url = format!("{}{path}", server.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let token = std::env::var("CHIPCAP_TOKEN")
        .ok()
        .map(|t| format!("Bearer {}", t.trim()));
    let sent = match body {
        Some(body) => {
            let mut req = agent.post(&url).header("Content-Type", "application/json");
            if let Some(t) = &token {
                req = req.header("Authorization", t);
            }
            req.send(body)
        }
        None => {
            let mut req = agent.get(&url);
            if let Some(t) = &token {
                req = req.header("Authorization", t);
            }
            req.call()
        }
    };
    let mut resp = sent.with_context(|| format!("cannot reach the server at `{url}`"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .read_to_string()
        .with_context(|| format!("cannot read the answer of `{url}`"))?;
    if (200..300).contains(&status) {
        return Ok(Ok(text));
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let detail = v["detail"].as_str().unwrap_or(text.as_str()).to_string();
    let msg = match v["field"].as_str() {
        Some(f) if !f.is_empty() => format!("field `{f}` {detail}"),
        _ => detail,
    };
    if (400..500).contains(&status) {
        Ok(Err(msg))
    } else {
        anyhow::bail!("the server answered {status}: {msg}")
    }
}

/// `chipcap check --server URL`: the determination from a running server, pretty-printed.
/// `default_date` (from `--date`) fills an absent `date`, as the local `check` does.
pub fn remote_check(
    server: &str,
    request: &str,
    default_date: Option<&str>,
) -> anyhow::Result<Answer> {
    Ok(remote_post(
        server,
        "/v1/determinations",
        &with_date(request, default_date),
    )?
    .map(|t| pretty(&t)))
}

/// `chipcap check --compare --server`: `POST /v1/determinations/compare`.
pub fn remote_compare(
    server: &str,
    request: &str,
    default_date: Option<&str>,
) -> anyhow::Result<Answer> {
    Ok(remote_post(
        server,
        "/v1/determinations/compare",
        &with_date(request, default_date),
    )?
    .map(|t| pretty(&t)))
}

/// `chipcap ledger apply --server`: `POST /v1/ledger/apply`, the date filled as for `check`.
pub fn remote_apply(
    server: &str,
    request: &str,
    default_date: Option<&str>,
) -> anyhow::Result<Answer> {
    remote_post(
        server,
        "/v1/ledger/apply",
        &with_date(request, default_date),
    )
}

/// `POST /v1/ledger/apply/batch`: several requests, each with `date` set to `default_date` when it
/// has none.
pub fn remote_apply_batch(
    server: &str,
    requests: &[String],
    default_date: Option<&str>,
) -> anyhow::Result<Answer> {
    let mut body = String::from("[");
    for (i, r) in requests.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&with_date(r, default_date));
    }
    body.push(']');
    remote_post(server, "/v1/ledger/apply/batch", &body)
}

/// The request with `date` set to `default_date` when it has none.
fn with_date(request: &str, default_date: Option<&str>) -> String {
    let mut body = request.to_string();
    if let Some(d) = default_date {
        if let Ok(serde_json::Value::Object(mut o)) =
            serde_json::from_str::<serde_json::Value>(request)
        {
            if !o.contains_key("date") {
                o.insert("date".into(), serde_json::Value::String(d.to_string()));
                body = serde_json::Value::Object(o).to_string();
            }
        }
    }
    body
}

fn pretty(t: &str) -> String {
    serde_json::from_str::<serde_json::Value>(t)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn schedule_intervals_parse_with_their_unit() {
        assert_eq!(parse_every("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_every("30m").unwrap(), Duration::from_secs(1_800));
        assert_eq!(parse_every("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_every("90s").unwrap(), Duration::from_secs(90));
        for bad in ["", "24", "h", "0h", "1w", "-1h", "1.5h"] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
    }
}
