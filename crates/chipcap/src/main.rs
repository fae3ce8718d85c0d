//! `chipcap`: the command-line edge. Thin: reads input, reads the clock for the default date, calls the
//! core, prints. Exit codes: 0 an answer (any determination), 2 input it cannot read, 1 anything else.

use chipcap_core::params::RuleSetId;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
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
    /// Restricted-party lists: import dated versions, show them, diff them.
    #[command(
        after_help = "Examples:\n  chipcap lists import --format csl-csv --date 2026-11-20 consolidated.csv\n  chipcap lists show\n  chipcap lists diff"
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
    Rules {
        /// The date (default: today, UTC).
        #[arg(long)]
        date: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
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
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    Date::from_days_since_epoch(days).unwrap_or(Date::UNIX_EPOCH)
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
        Command::Lists { cmd, store } => screen_cli::run_lists(cmd, &store),
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
            if server.is_some() && (rule_set.is_some() || compare) {
                return Err(input_err(
                    "`--rule-set` and `--compare` are local options: name `rule_set` in the request for `--server`",
                ));
            }
            if let Some(url) = server {
                if format == Format::Table {
                    return Err(input_err(
                        "`--format table` is not available with `--server`",
                    ));
                }
                let text = read_input(&file)?;
                return match serve_cli::remote_check(&url, &text, date.as_deref())? {
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
            let mut parsed = wire::parse_request(&text, &rules, default_date)
                .map_err(|e| input_err(e.to_string()))?;
            if skip_screening || parsed.request.options.skip_screening {
                parsed.request.context.screening.status =
                    chipcap_core::request::ScreeningStatus::Skipped;
            } else if !parsed.screening_given {
                // The edge gathers the screening context; the core decides what a hit means.
                let parties = parsed.parties_to_screen();
                parsed.request.context.screening =
                    screen_cli::screen_parties(&store, &ledger, &rules, &parties)?;
            }
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
            let det = chipcap_core::determine(&parsed.request, &rules)
                .map_err(|e| input_err(e.to_string()))?;
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
        Command::Rules { date, json } => {
            let d = match date {
                Some(d) => parse_date(&d, "--date")?,
                None => today(),
            };
            show_rules(&rules, d, json)
        }
    }
}

/// `check --compare`: the request decided under both rule versions, and what differs.
fn compare_lines(
    req: &chipcap_core::request::Request,
    rules: &RuleSet,
    format: Format,
) -> anyhow::Result<()> {
    let mut dets = Vec::new();
    for id in RuleSetId::ALL {
        let mut r = req.clone();
        r.rule_set = Some(id);
        let det = chipcap_core::determine(&r, rules).map_err(|e| input_err(e.to_string()))?;
        dets.push((id, det));
    }
    let values: Vec<serde_json::Value> = dets
        .iter()
        .map(|(_, d)| serde_json::from_str(&wire::to_json(d)).unwrap_or(serde_json::Value::Null))
        .collect();
    let fields = [
        "decision",
        "authorization",
        "review_policy",
        "tier",
        "eccn",
        "tpp",
    ];
    let mut changed = Vec::new();
    for f in fields {
        let a = &values[0][f];
        let b = &values[1][f];
        if a != b {
            changed.push(serde_json::json!({"field": f, RuleSetId::ALL[0].as_str(): a, RuleSetId::ALL[1].as_str(): b}));
        }
    }
    match format {
        Format::Json => {
            let mut by = serde_json::Map::new();
            for ((id, _), v) in dets.iter().zip(values) {
                by.insert(id.as_str().to_string(), v);
            }
            let doc = serde_json::json!({
                "enforced": RuleSetId::AdvancedComputing2023.as_str(),
                "changed": changed,
                "determinations": by,
            });
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Format::Table => {
            outln!(
                "{:<16} {:<28} {:<28}",
                "",
                RuleSetId::ALL[0].as_str(),
                RuleSetId::ALL[1].as_str()
            );
            for f in fields {
                let show = |v: &serde_json::Value| match v {
                    serde_json::Value::Null => "-".to_string(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let a = show(
                    &serde_json::from_str::<serde_json::Value>(&wire::to_json(&dets[0].1))
                        .unwrap_or_default()[f],
                );
                let b = show(
                    &serde_json::from_str::<serde_json::Value>(&wire::to_json(&dets[1].1))
                        .unwrap_or_default()[f],
                );
                outln!(
                    "{:<16} {:<28} {:<28}{}",
                    f,
                    a,
                    b,
                    if a != b { "  changed" } else { "" }
                );
            }
            outln!("\n{} is the version enforced; {} is printed in the CFR but not enforced (BIS, 2025-05-13).", RuleSetId::ALL[0].as_str(), RuleSetId::ALL[1].as_str());
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
        let v = chipcap_server::catalog::classify_json(rules, &label, t, area, dc)
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
        let v = chipcap_server::catalog::chips_json(rules, today());
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

fn show_rules(rules: &RuleSet, date: Date, json: bool) -> anyhow::Result<()> {
    // One source for the parameters in force: the API's `GET /v1/rules` writer; the table reads it.
    let v = chipcap_server::catalog::rules_json(rules, date);
    if json {
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
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
