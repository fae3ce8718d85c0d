//! `chipcap`: the command-line edge. Thin: reads input, reads the clock for the default date, calls the
//! core, prints. Exit codes: 0 an answer (any determination), 2 input it cannot read, 1 anything else.

use chipcap_core::params::RuleSetId;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chipcap_app::pipeline;
use chipcap_core::classify::{classify_chip, Outside};
use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;
use chipcap_core::units::{parse_milli, ratio_milli, write_milli_grouped, Tpp};
use chipcap_core::wire;
use clap::{Parser, Subcommand, ValueEnum};

/// `println!` that ends the process quietly when the reader has gone (`chipcap chips | head`),
/// instead of panicking on a broken pipe.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// `print!` with the same broken-pipe handling as `outln!`.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod ledger_cli;
mod screen_cli;
mod serve_cli;
mod sim_cli;

#[derive(Parser)]
#[command(
    name = "chipcap",
    version,
    about = "Export-control determinations for advanced AI chips and model weights under the AI Diffusion framework (90 FR 4544)",
    after_help = "Examples:\n  chipcap check examples/tier2-licence.json\n  chipcap check --format table examples/lpp-small-order.json\n  echo '{\"destination\":\"IN\",\"items\":[{\"chip\":\"nvidia-h100-sxm\",\"quantity\":8}]}' | chipcap check -\n  chipcap classify nvidia-l40\n  chipcap chips\n  chipcap rules --date 2026-03-01"
)]
struct Cli {
    /// Read rule files from this folder instead of the embedded copy (laid out as `rules/`).
    #[arg(long, global = true, env = "CHIPCAP_RULES")]
    rules: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Json,
    Table,
}

#[derive(Subcommand)]
enum Command {
    /// Decide one proposed export (JSON request, see shared contract) and print the determination.
    #[command(
        after_help = "Examples:\n  chipcap check examples/tier2-licence.json\n  chipcap check --format table examples/uveu-share-exceeded.json\n  cat request.json | chipcap check -\n\nExit codes: 0 a determination was made (whatever it says); 2 the request cannot be read (the message names the field); 1 other errors."
    )]
    Check {
        /// The request file, or `-` for standard input.
        file: String,
        /// Output format: `json` (default) or `table` for a person.
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Decision date when the request has none (default: today, UTC).
        #[arg(long)]
        date: Option<String>,
        /// Do not screen the parties against the restricted-party lists (the determination says so).
        #[arg(long)]
        skip_screening: bool,
        /// Decide under this rule version: `advanced-computing-2023` (the controls enforced; the
        /// default on every date) or `ai-diffusion-2025` (the framework as printed, not enforced).
        #[arg(long)]
        rule_set: Option<String>,
        /// Decide under both rule versions and show what changes for this export.
        #[arg(long, conflicts_with = "rule_set")]
        compare: bool,
        #[command(flatten)]
        store: screen_cli::StoreArgs,
        #[command(flatten)]
        ledger: screen_cli::LedgerDbArg,
        /// Ask a running chipcap server (`chipcap serve`) instead of deciding locally; the server
        /// fills the date when the request has none. `CHIPCAP_TOKEN` is sent as a bearer token if set.
        #[arg(long, env = "CHIPCAP_SERVER")]
        server: Option<String>,
    },
    /// Serve the HTTP API, its OpenAPI document and the dashboard (SQLite ledger by default).
    #[command(
        after_help = "Examples:\n  chipcap serve\n  chipcap serve --listen 0.0.0.0:8080 --db postgres://chipcap@db.internal/chipcap\n\nThe dashboard is at http://127.0.0.1:8080/ , the interactive API page at /docs/ ."
    )]
    Serve(serve_cli::ServeArgs),
    /// Create, list and revoke the API's bearer tokens (roles viewer, officer, admin).
    Token(serve_cli::TokenArgs),
    /// Restricted-party lists: import dated versions, update them from their official locations, show them, diff them.
    #[command(
        after_help = "Examples:\n  chipcap lists import --format csl-csv --date 2026-11-20 consolidated.csv\n  chipcap lists update\n  chipcap lists show\n  chipcap lists diff"
    )]
    Lists {
        #[command(subcommand)]
        cmd: screen_cli::ListsCommand,
        #[command(flatten)]
        store: screen_cli::StoreArgs,
    },
    /// Screen a name or a file of parties against the imported lists; score two names; record dispositions.
    #[command(
        after_help = "Examples:\n  chipcap screen \"Harrowfield Bearings\" --country GB\n  chipcap screen --file parties.csv --csv > results.csv\n  chipcap screen score \"OOO Vektor\" \"Vektor LLC\" --json\n  chipcap screen rescreen"
    )]
    Screen {
        #[command(flatten)]
        args: screen_cli::ScreenArgs,
        #[command(flatten)]
        store: screen_cli::StoreArgs,
    },
    /// Classify a catalog chip, or a chip given by its figures, under ECCN 3A090.
    #[command(
        after_help = "Examples:\n  chipcap classify nvidia-h20\n  chipcap classify --tpp 4992 --die-area 826 --datacenter true\n  chipcap classify --tpp 4750 --die-area 750 --datacenter false --json"
    )]
    Classify {
        /// A catalog chip id (see `chipcap chips`).
        chip: Option<String>,
        /// TPP per unit (exact to 0.001).
        #[arg(long, conflicts_with = "chip")]
        tpp: Option<String>,
        /// Applicable die area in mm^2.
        #[arg(long = "die-area", conflicts_with = "chip")]
        die_area: Option<String>,
        /// Designed or marketed for datacenters.
        #[arg(long, conflicts_with = "chip")]
        datacenter: Option<bool>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the chip catalog with TPP, performance density, ECCN and H100-equivalents.
    #[command(after_help = "Examples:\n  chipcap chips\n  chipcap chips --json")]
    Chips {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the rule parameters in force on a date, with their citations.
    #[command(after_help = "Examples:\n  chipcap rules\n  chipcap rules --date 2026-07-01 --json")]
    #[command(
        after_help = "Examples:\n  chipcap rules                                   # both versions today, the enforced one first\n  chipcap rules --rule-set advanced-computing-2023 --date 2026-01-15\n  chipcap rules diff 2026-01-14 2026-01-15        # the enforced line, day before and day of 91 FR 1684\n  chipcap rules diff advanced-computing-2023 ai-diffusion-2025 --date 2025-06-15\n  chipcap rules diff ai-diffusion-2025@2025-06-15 advanced-computing-2023@2026-12-06"
    )]
    Rules {
        /// The date (default: today, UTC).
        #[arg(long, global = true)]
        date: Option<String>,
        /// Print JSON.
        #[arg(long, global = true)]
        json: bool,
        /// Show one version only: `advanced-computing-2023` or `ai-diffusion-2025`.
        #[arg(long, global = true)]
        rule_set: Option<String>,
        #[command(subcommand)]
        cmd: Option<RulesCmd>,
    },
    /// Run a scenario (TOML) quarter by quarter through the rules: when each country's allocation
    /// runs out, what each channel is granted; two files compare (see docs/simulate.md).
    #[command(
        after_help = "Examples:\n  chipcap simulate examples/scenarios/my-th-assurances.toml\n  chipcap simulate examples/scenarios/my-th-assurances.toml --json\n  chipcap simulate examples/scenarios/headline-tier2.toml --csv out/ --chart out/\n  chipcap simulate examples/scenarios/my-th-assurances.toml examples/scenarios/my-th-advanced-computing.toml\n\nExit codes: 0 the scenario ran; 2 the scenario cannot be read (the message names the field and line; nothing is written); 1 other errors."
    )]
    Simulate(sim_cli::SimulateArgs),
    /// The allowance ledger: parties, licences, shipments, balances, audit log (see docs/ledger.md).
    Ledger {
        /// The ledger: an SQLite file (default `chipcap.db`) or `postgres://user@host:port/db`.
        #[arg(long, env = "CHIPCAP_DB", global = true)]
        db: Option<String>,
        /// Send the subcommand to a running `chipcap serve` instead (one ledger for a team); writes
        /// are recorded under the name of the token in `CHIPCAP_TOKEN`.
        #[arg(long, env = "CHIPCAP_SERVER", global = true)]
        server: Option<String>,
        #[command(subcommand)]
        cmd: ledger_cli::LedgerCommand,
    },
}

/// An error that is the user's input: exit code 2.
#[derive(Debug)]
struct InputError(String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn input_err(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(InputError(msg.into()))
}

fn today() -> Date {
    chipcap_app::today()
}

fn parse_date(s: &str, flag: &str) -> anyhow::Result<Date> {
    s.parse::<Date>()
        .map_err(|e| input_err(format!("option `{flag}` {e}, got `{s}`")))
}

fn load_rules(dir: &Option<PathBuf>) -> anyhow::Result<RuleSet> {
    match dir {
        Some(d) => chipcap_rules::load_dir(d).context("loading rules"),
        None => chipcap_rules::embedded().context("loading the embedded rules"),
    }
}

fn read_input(file: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| input_err(format!("cannot read standard input: {e}")))?;
    } else {
        s = std::fs::read_to_string(file)
            .map_err(|e| input_err(format!("cannot read `{file}`: {e}")))?;
    }
    Ok(s)
}

fn milli_text(m: i128) -> String {
    let mut s = String::new();
    let _ = write_milli_grouped(&mut s, m);
    s
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let ledger_input = e
                .downcast_ref::<chipcap_ledger::Error>()
                .is_some_and(chipcap_ledger::Error::is_input);
            if e.downcast_ref::<InputError>().is_some() || ledger_input {
                eprintln!("error: {e}");
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let rules = load_rules(&cli.rules)?;
    match cli.command {
        Command::Serve(args) => serve_cli::run(args, rules),
        Command::Token(args) => serve_cli::run_token(args),
        Command::Simulate(args) => sim_cli::run(args, &rules),
        Command::Lists { cmd, store } => screen_cli::run_lists(cmd, &store, &rules),
        Command::Screen { args, store } => screen_cli::run_screen(args, &store, &rules),
        Command::Check {
            file,
            format,
            date,
            skip_screening,
            rule_set,
            compare,
            store,
            ledger,
            server,
        } => {
            if server.is_some() && rule_set.is_some() {
                return Err(input_err(
                    "`--rule-set` is a local option: name `rule_set` in the request for `--server`",
                ));
            }
            if let Some(url) = server {
                if format == Format::Table {
                    return Err(input_err(
                        "`--format table` is not available with `--server`",
                    ));
                }
                let text = read_input(&file)?;
                let answer = if compare {
                    serve_cli::remote_compare(&url, &text, date.as_deref())?
                } else {
                    serve_cli::remote_check(&url, &text, date.as_deref())?
                };
                return match answer {
                    Ok(json) => {
                        outln!("{json}");
                        Ok(())
                    }
                    Err(msg) => Err(input_err(msg)),
                };
            }
            let default_date = match date {
                Some(d) => parse_date(&d, "--date")?,
                None => today(),
            };
            let text = read_input(&file)?;
            let mut parsed = pipeline::parse(&text, &rules, default_date)
                .map_err(|e| input_err(e.to_string()))?;
            // The edge gathers the screening context; the core decides what a hit means.
            let (lists, disps) = if pipeline::wants_screening(&parsed, skip_screening) {
                screen_cli::screening_sources(&store, &ledger, &rules)?
            } else {
                (None, Vec::new())
            };
            let sources = chipcap_app::ScreeningSources {
                lists: lists.as_ref(),
                dispositions: &disps,
            };
            pipeline::screen(&mut parsed, skip_screening, sources);
            if let Some(name) = rule_set {
                let id = RuleSetId::parse(&name).ok_or_else(|| {
                    input_err(format!("--rule-set: names an unknown rule set, got `{name}` (known: `advanced-computing-2023`, `ai-diffusion-2025`)"))
                })?;
                if parsed.request.rule_set.is_some_and(|r| r != id) {
                    return Err(input_err(format!(
                        "--rule-set: `{name}` differs from the request's `rule_set`"
                    )));
                }
                parsed.request.rule_set = Some(id);
            }
            if compare {
                return compare_lines(&parsed.request, &rules, format);
            }
            let det = pipeline::decide(&parsed, &rules).map_err(|e| input_err(e.to_string()))?;
            match format {
                Format::Json => outln!("{}", wire::to_json_pretty(&det)),
                Format::Table => out!("{}", wire::render_text(&det)),
            }
            Ok(())
        }
        Command::Classify {
            chip,
            tpp,
            die_area,
            datacenter,
            json,
        } => classify(&rules, chip, tpp, die_area, datacenter, json),
        Command::Chips { json } => chips(&rules, json),
        Command::Ledger { db, server, cmd } => ledger_cli::run(cmd, db, server, &rules, today()),
        Command::Rules {
            date,
            json,
            rule_set,
            cmd,
        } => {
            let d = match date {
                Some(d) => parse_date(&d, "--date")?,
                None => today(),
            };
            let only = rule_set
                .as_deref()
                .map(|n| rule_set_arg(n, "--rule-set"))
                .transpose()?;
            match cmd {
                Some(RulesCmd::Diff { a, b }) => rules_diff(&rules, &a, &b, only, d, json),
                None => show_rules(&rules, d, json, only),
            }
        }
    }
}

/// `chipcap rules` subcommands.
#[derive(Subcommand, Debug)]
enum RulesCmd {
    /// The parameters, country groups, review policies and amendments that differ between two
    /// versions or two dates, with citations. A side is a version name, a date (YYYY-MM-DD), or
    /// `version@date`; a side without a date takes `--date` (default today), a side without a
    /// version takes `--rule-set` (default: the version enforced, advanced-computing-2023).
    Diff {
        /// Side A.
        a: String,
        /// Side B.
        b: String,
    },
}

fn rule_set_arg(name: &str, flag: &str) -> anyhow::Result<RuleSetId> {
    RuleSetId::parse(name).ok_or_else(|| {
        input_err(format!(
            "{flag}: names an unknown rule set, got `{name}` (known: `advanced-computing-2023`, `ai-diffusion-2025`)"
        ))
    })
}

fn rule_side(
    rules: &RuleSet,
    text: &str,
    which: &str,
    default_set: Option<RuleSetId>,
    default_date: Date,
) -> anyhow::Result<chipcap_core::rules_view::Side> {
    let (name, date) = match text.split_once('@') {
        Some((n, d)) => (Some(n), Some(d)),
        None if text.parse::<Date>().is_ok() => (None, Some(text)),
        None if text.len() == 10 && text.as_bytes().get(4) == Some(&b'-') => (None, Some(text)),
        None => (Some(text), None),
    };
    let rule_set = match name {
        Some(n) => rule_set_arg(n, which)?,
        None => default_set.unwrap_or(RuleSetId::AdvancedComputing2023),
    };
    let date = match date {
        Some(d) => parse_date(d, which)?,
        None => default_date,
    };
    rules
        .select(Some(rule_set), date)
        .map_err(|e| input_err(format!("{which}: {e}")))?;
    Ok(chipcap_core::rules_view::Side { rule_set, date })
}

fn rules_diff(
    rules: &RuleSet,
    a: &str,
    b: &str,
    default_set: Option<RuleSetId>,
    date: Date,
    json: bool,
) -> anyhow::Result<()> {
    let sa = rule_side(rules, a, "A", default_set, date)?;
    let sb = rule_side(rules, b, "B", default_set, date)?;
    let v = chipcap_app::catalog::diff_json(rules, sa, sb);
    if json {
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let t = |x: &serde_json::Value| x.as_str().unwrap_or("-").to_string();
    outln!(
        "A = {} on {}    B = {} on {}",
        sa.rule_set,
        sa.date,
        sb.rule_set,
        sb.date
    );
    let rows = v["differences"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        outln!("no differences");
    }
    for r in rows {
        match r["kind"].as_str() {
            Some("parameter") => outln!(
                "parameter  {:<38} A: {:<34} B: {:<34} [{}]",
                t(&r["name"]),
                t(&r["a"]["value"]),
                t(&r["b"]["value"]),
                if r["b"].is_null() {
                    t(&r["a"]["reference"])
                } else {
                    t(&r["b"]["reference"])
                }
            ),
            Some("group") => {
                let list = |k: &str| {
                    r[k].as_array()
                        .into_iter()
                        .flatten()
                        .map(t)
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let only = match r["only_on"].as_str() {
                    Some(side) => format!(" (only on {})", side.to_uppercase()),
                    None => String::new(),
                };
                outln!(
                    "group      {:<10}{only} added on B: {}  removed on B: {}  [{}]",
                    t(&r["name"]),
                    list("added"),
                    list("removed"),
                    t(&r["reference"])
                )
            }
            Some("policy") => outln!(
                "policy     {:<56} A: {:<24} B: {:<24} [{}]",
                t(&r["case"]),
                t(&r["a"]["policy"]),
                t(&r["b"]["policy"]),
                if r["b"].is_null() {
                    t(&r["a"]["citation"])
                } else {
                    t(&r["b"]["citation"])
                }
            ),
            Some("amendment") => outln!(
                "amendment  {:<38} {} effective {}: in force on {} only",
                t(&r["key"]),
                t(&r["citation"]),
                t(&r["effective_from"]),
                t(&r["in_force_on"]).to_uppercase()
            ),
            _ => {}
        }
    }
    Ok(())
}

/// `check --compare`: the request decided under both rule versions, and what differs.
fn compare_lines(
    req: &chipcap_core::request::Request,
    rules: &RuleSet,
    format: Format,
) -> anyhow::Result<()> {
    let c = chipcap_core::compare::compare(req, rules).map_err(|e| input_err(e.to_string()))?;
    match format {
        Format::Json => {
            let v: serde_json::Value = serde_json::from_str(&chipcap_core::compare::to_json(&c))?;
            outln!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Table => {
            let mut head = format!("{:<16}", "");
            for (id, _) in &c.determinations {
                head.push_str(&format!(" {:<26}", id.as_str()));
            }
            outln!("{}", head.trim_end());
            let docs: Vec<serde_json::Value> = c
                .determinations
                .iter()
                .map(|(_, d)| serde_json::from_str(&wire::to_json(d)).unwrap_or_default())
                .collect();
            for field in [
                "decision",
                "authorization",
                "review_policy",
                "tier",
                "eccn",
                "tpp",
            ] {
                let mut row = format!("{field:<16}");
                for v in &docs {
                    let shown = match &v[field] {
                        serde_json::Value::Null => "-".to_string(),
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    row.push_str(&format!(" {shown:<26}"));
                }
                if c.changed.iter().any(|ch| ch.field == field) {
                    row.push_str(" changed");
                }
                outln!("{}", row.trim_end());
            }
            outln!(
                "\n{} is the version enforced on {}; {} is printed in the CFR but not enforced (BIS, 2025-05-13).",
                c.enforced.as_str(),
                req.date,
                RuleSetId::AiDiffusion2025.as_str()
            );
        }
    }
    Ok(())
}

fn band_text(band: Result<chipcap_core::classify::Band, Outside>) -> (&'static str, &'static str) {
    match band {
        Ok(b) if b.is_a() => ("3A090.a", b.as_str()),
        Ok(b) => ("3A090.b", b.as_str()),
        Err(Outside::Note2) => ("none", "Note 2 to 3A090 (non-datacenter, TPP < 4800)"),
        Err(Outside::BelowThresholds) => ("none", "below the 3A090 thresholds"),
    }
}

fn classify(
    rules: &RuleSet,
    chip: Option<String>,
    tpp: Option<String>,
    die_area: Option<String>,
    datacenter: Option<bool>,
    json: bool,
) -> anyhow::Result<()> {
    let (label, t, area, dc) = match (chip, tpp) {
        (Some(id), _) => {
            let c = rules.catalog.get(&id).ok_or_else(|| {
                input_err(format!(
                    "chip `{id}` is not in the catalog (see `chipcap chips`)"
                ))
            })?;
            let t = c
                .tpp()
                .ok_or_else(|| input_err(format!("chip `{id}` has no throughput figures")))?;
            (c.id.to_string(), t, c.die_area_milli_mm2, c.datacenter)
        }
        (None, Some(t)) => {
            let v =
                parse_milli(&t).map_err(|e| input_err(format!("option `--tpp` {e}, got `{t}`")))?;
            let a = die_area
                .map(|a| {
                    parse_milli(&a)
                        .map_err(|e| input_err(format!("option `--die-area` {e}, got `{a}`")))
                        .and_then(|v| {
                            if v == 0 {
                                Err(input_err(
                                    "option `--die-area` must be greater than zero, got `0`",
                                ))
                            } else {
                                Ok(v)
                            }
                        })
                })
                .transpose()?;
            let dc = datacenter.ok_or_else(|| {
                input_err("option `--datacenter true|false` is required with `--tpp`")
            })?;
            ("(specification)".to_string(), Tpp::from_milli(v), a, dc)
        }
        (None, None) => {
            return Err(input_err(
                "give a chip id or `--tpp` with `--die-area` and `--datacenter`",
            ))
        }
    };
    let c = classify_chip(t, area, dc, &rules.eccn_3a090).map_err(|e| input_err(e.to_string()))?;
    let (eccn, para) = band_text(c.band);
    if json {
        // The same writer as the API's `POST /v1/classifications`.
        let v = chipcap_app::catalog::classify_json(rules, &label, t, area, dc)
            .map_err(|e| input_err(e.to_string()))?;
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!("chip:                {label}");
        outln!("tpp:                 {t}");
        outln!(
            "performance density: {}",
            c.pd_milli
                .map(|p| milli_text(p.into()))
                .unwrap_or_else(|| "unknown (no die area)".into())
        );
        outln!("datacenter:          {dc}");
        outln!("eccn:                {eccn} ({para})");
    }
    Ok(())
}

fn chips(rules: &RuleSet, json: bool) -> anyhow::Result<()> {
    let h100 = *rules.params.h100_tpp.at(today()).value;
    let mut rows = Vec::new();
    for c in rules.catalog.chips() {
        let t = c.tpp().unwrap_or(Tpp::ZERO);
        let class = classify_chip(t, c.die_area_milli_mm2, c.datacenter, &rules.eccn_3a090);
        let (eccn, para) = class.map(|k| band_text(k.band)).unwrap_or(("?", "?"));
        let pd = class.ok().and_then(|k| k.pd_milli);
        let h = ratio_milli(t.milli().into(), h100.milli().max(1).into()).unwrap_or(0);
        rows.push((c, t, pd, eccn, para, h));
    }
    if json {
        // The same writer as the API's `GET /v1/chips`.
        let v = chipcap_app::catalog::chips_json(rules, today());
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!(
        "{:<22} {:<8} {:<34} {:>10} {:>8} {:<10} {:>7}",
        "id",
        "vendor",
        "model",
        "TPP",
        "PD",
        "ECCN",
        "H100e"
    );
    for (c, t, pd, eccn, para, h) in rows {
        let e = if eccn == "none" {
            "none".to_string()
        } else {
            para.to_string()
        };
        let dc = if c.datacenter { "" } else { " (non-DC)" };
        outln!(
            "{:<22} {:<8} {:<34} {:>10} {:>8} {:<10} {:>7}",
            c.id,
            c.vendor,
            format!("{}{dc}", c.model),
            t.to_string(),
            pd.map(|p| milli_text(p.into()))
                .unwrap_or_else(|| "-".into()),
            e,
            milli_text(h.try_into().unwrap_or(0))
        );
    }
    outln!("\nTPP = max over precisions of dense rate x bit length; PD = TPP / applicable die area (ECCN 3A090 Technical Notes).\nH100e = TPP / {h100} (display only, reading D11).");
    Ok(())
}

fn show_version(rules: &RuleSet, id: RuleSetId, date: Date) {
    let v = chipcap_app::catalog::version_json(rules, id, date);
    let text = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    if id == RuleSetId::AdvancedComputing2023 {
        outln!(
            "rule set {} — {} ({}); enforced; covers dates from {}",
            id,
            text(&v["title"]),
            text(&v["citation"]),
            text(&v["covered_from"])
        );
        outln!("amendments in force on {date}:");
        for a in v["amendments"].as_array().into_iter().flatten() {
            outln!(
                "  {} {:<30} {} [{}] ({})",
                text(&a["effective_from"]),
                text(&a["key"]),
                text(&a["title"]),
                text(&a["reference"]),
                text(&a["evidence"])
            );
        }
    }
    outln!("parameters in force on {date}:");
    for p in v["parameters"].as_array().into_iter().flatten() {
        outln!(
            "  {:<38} {:<34} [{}] ({})",
            text(&p["name"]),
            text(&p["value"]),
            text(&p["reference"]),
            text(&p["evidence"])
        );
    }
    outln!("licence review policies:");
    for p in v["policies"].as_array().into_iter().flatten() {
        outln!(
            "  {:<58} {:<24} [{}]",
            text(&p["case"]),
            text(&p["policy"]),
            text(&p["citation"])
        );
    }
    outln!("country groups:");
    for g in v["country_groups"].as_array().into_iter().flatten() {
        let members: Vec<String> = g["members"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        outln!(
            "  {:<7} [{}] ({}): {}",
            text(&g["group"]),
            text(&g["reference"]),
            text(&g["evidence"]),
            members.join(" ")
        );
    }
}

fn show_rules(
    rules: &RuleSet,
    date: Date,
    json: bool,
    only: Option<RuleSetId>,
) -> anyhow::Result<()> {
    // One source for the parameters in force: the API's `GET /v1/rules` writer; the table reads it.
    if json {
        let v = match only {
            Some(id) => chipcap_app::catalog::version_json(rules, id, date),
            None => chipcap_app::catalog::rules_json(rules, date),
        };
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if only != Some(RuleSetId::AiDiffusion2025) {
        show_version(rules, RuleSetId::AdvancedComputing2023, date);
        if only.is_some() {
            return Ok(());
        }
        outln!();
    }
    let v = chipcap_app::catalog::rules_json(rules, date);
    let text = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    outln!(
        "rule set {} — {} ({})",
        rules.name,
        rules.title,
        rules.citation
    );
    outln!(
        "effective {}, compliance {}, security compliance {}, not enforced from {}",
        rules.effective_from,
        rules.compliance_from,
        rules.security_compliance_from,
        rules
            .not_enforced_from
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    outln!("parameters in force on {date}:");
    for p in v["parameters"].as_array().into_iter().flatten() {
        let outside = if p["outside_window"].as_bool() == Some(true) {
            " (outside its dates: nearest value)"
        } else {
            ""
        };
        outln!(
            "  {:<36} {:<36} [{}] ({}){outside}",
            text(&p["name"]),
            text(&p["value"]),
            text(&p["reference"]),
            text(&p["evidence"])
        );
    }
    if let Some((q, o)) = rules.nveu_cap(date) {
        outln!(
            "  {:<36} {:<36} [{}] ({}){}",
            format!("nveu_cap ({})", date.quarter()),
            format!("{} TPP", q.cap),
            q.source.reference,
            q.source.evidence.as_str(),
            if o {
                " (outside the schedule: nearest quarter)"
            } else {
                ""
            }
        );
    }
    outln!("country groups:");
    for g in v["country_groups"].as_array().into_iter().flatten() {
        let members: Vec<String> = g["members"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        outln!(
            "  {:<7} [{}] ({}): {}",
            text(&g["group"]),
            text(&g["reference"]),
            text(&g["evidence"]),
            members.join(" ")
        );
    }
    Ok(())
}
