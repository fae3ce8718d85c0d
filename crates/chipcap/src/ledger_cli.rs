//! `chipcap ledger ...`: the ledger's command-line edge. Reads the clock (for `recorded_at` and the
//! default date) and the environment here, never in the library.
//!
//! Output goes through `outln!`/`out!` (defined in main.rs before `mod ledger_cli;`), which end
//! the process quietly on a closed pipe.
//!
//! Errors are `anyhow::Error`s wrapping [`chipcap_ledger::Error`]; those for which
//! [`chipcap_ledger::Error::is_input`] is true (bad input, a refusal such as a grant past the
//! allocation) should exit with code 2.

use std::fmt::Write as _;
use std::io::Read;

use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;
use chipcap_ledger::balances::{BalanceRow, HistoryFilter};
use chipcap_ledger::entry::{
    Adjustment, AssuranceInput, AttritionInput, BodyInput, Cause, Draw, Entry, EntryInput,
    PartyInput, UsShipment, VeuAuthorizationInput, VeuKind,
};
use chipcap_ledger::{import, Error, GrantInput, Ledger, Meta};
use clap::{Subcommand, ValueEnum};

/// The default ledger file when neither `--db` nor `CHIPCAP_DB` is given.
pub const DEFAULT_DB: &str = "chipcap.db";

/// Subcommands of `chipcap ledger`.
#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Create the ledger (SQLite file or PostgreSQL schema) if it does not exist, and apply migrations.
    Init,
    /// Decide a request against the ledger and record it when authorised, in one transaction.
    #[command(
        after_help = "The request is the determination contract plus `id` (required) and, optionally, `licence` (a granted licence to ship under). The ledger fills `context`. Prints the determination with `\"recorded\": true|false`; re-applying an id prints the first result.\n\nSeveral requests (a JSON array, or one request per line) are applied in order in one transaction, each decided against the balances the ones before it left, with one durable commit; every request is read first and nothing is applied if one is invalid. The results are printed in order (an array, or one per line); a request refused when applied (an id reused for another request, an unknown licence) carries `error` and makes the exit status non-zero.\n\nExample:\n  chipcap ledger apply request.json\n  echo '{\"id\":\"s-1\",\"date\":\"2025-06-15\",\"destination\":\"IN\",\"items\":[{\"chip\":\"nvidia-h100-sxm\",\"quantity\":100}],\"consignee\":{\"name\":\"Example AI LLC\"}}' | chipcap ledger apply -"
    )]
    Apply {
        /// The request file, or `-` for standard input.
        file: String,
        /// Decision date when the request has none (default: today, UTC).
        #[arg(long)]
        date: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
        /// The restricted-party list store the parties are screened against (`chipcap lists import`).
        #[arg(long = "lists", env = "CHIPCAP_LISTS", default_value = "chipcap-lists")]
        lists: std::path::PathBuf,
    },
    /// Grant a licence; refused when it would exceed the destination's country allocation unless
    /// forced with a reason.
    Grant {
        /// Client id (idempotency key).
        #[arg(long)]
        id: String,
        /// Licence number.
        #[arg(long)]
        licence: String,
        /// Ultimate consignee.
        #[arg(long)]
        consignee: String,
        /// Destination (ISO 3166-1 alpha-2).
        #[arg(long)]
        destination: String,
        /// An item, `CHIP:QUANTITY` (repeat for several).
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// Grant date (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Last day the licence is valid.
        #[arg(long)]
        valid_to: String,
        /// Grant past the allocation; the reason goes into the audit log.
        #[arg(long)]
        force: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Record a party (consignee) with its headquarters and VEU authorisations; a later record
    /// supersedes an earlier one.
    Party {
        /// Client id.
        #[arg(long)]
        id: String,
        /// Name, as requests name the consignee.
        #[arg(long)]
        name: String,
        /// Headquarters of the party or its ultimate parent.
        #[arg(long)]
        headquarters: String,
        /// An NVEU authorisation, `COUNTRY:FROM[:TO]` (repeatable).
        #[arg(long)]
        nveu: Vec<String>,
        /// A UVEU authorisation, `FROM[:TO]` (repeatable; data centers anywhere eligible).
        #[arg(long)]
        uveu: Vec<String>,
        /// Effective date (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Record government-to-government assurances for a country, with the allocation uplift.
    Assurance {
        /// Client id.
        #[arg(long)]
        id: String,
        /// The country.
        #[arg(long)]
        country: String,
        /// Uplift of the allocation, percent (0 to 100).
        #[arg(long)]
        uplift: u32,
        /// Effective date (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Record attrition of VEU-installed chips (they no longer count toward the installed base).
    Attrition {
        /// Client id.
        #[arg(long)]
        id: String,
        /// The VEU.
        #[arg(long)]
        consignee: String,
        /// Where the chips were installed.
        #[arg(long)]
        country: String,
        /// Which installed base.
        #[arg(long, value_enum)]
        veu: VeuArg,
        /// TPP leaving the installed base (exact to 0.001).
        #[arg(long)]
        tpp: String,
        /// Why.
        #[arg(long, value_enum)]
        cause: CauseArg,
        /// Effective date (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Record units of a product shipped to end-use customers in the United States: the base of
    /// the 50% certification of 91 FR 1684 (China and Macau shipments of a product at most half of
    /// its US end-use shipments; checked by `apply` for products tracked here).
    UsShipment {
        /// Client id.
        #[arg(long)]
        id: String,
        /// The product (catalog chip id).
        #[arg(long)]
        chip: String,
        /// Units shipped to US end-use customers.
        #[arg(long)]
        quantity: u64,
        /// Effective date (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Reverse an entry (the correction of an append-only ledger).
    Reverse {
        /// Client id of the reversal.
        #[arg(long)]
        id: String,
        /// Client id of the entry to reverse.
        #[arg(long)]
        of: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
        /// Effective date (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Record an audited manual adjustment of one allowance.
    Adjust {
        /// Client id.
        #[arg(long)]
        id: String,
        /// The allowance: `country_allocation|AE`, `lpp|NAME|YEAR`, `nveu|NAME|CC`, `uveu|NAME|CC`,
        /// `aia|NAME`, `licence|NUMBER`.
        #[arg(long)]
        key: String,
        /// Signed TPP (exact to 0.001), e.g. `-1000`.
        #[arg(long, allow_hyphen_values = true)]
        tpp: String,
        /// Why (required).
        #[arg(long)]
        reason: String,
        /// Effective date (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Every allowance: cap, used, remaining, percent, H100-equivalents, 80/90/95/100% flags.
    Balances {
        /// Answer for a past date (default: today).
        #[arg(long)]
        as_of: Option<String>,
        /// Only the allowances of one rule version: `advanced-computing-2023` (licences, US
        /// end-use shipments, the 50% China/US share) or `ai-diffusion-2025` (the framework's
        /// allocations and exceptions, kept for analysis). Default: both, each row labelled.
        #[arg(long)]
        rule_set: Option<String>,
        /// Print JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV.
        #[arg(long)]
        csv: bool,
    },
    /// Entries, filtered.
    History {
        /// A party (consignee, VEU, licence holder).
        #[arg(long)]
        party: Option<String>,
        /// A country.
        #[arg(long)]
        country: Option<String>,
        /// An allowance: `country_allocation`, `lpp`, `nveu_allocation`, `uveu_installed`, `aia`, `licence`.
        #[arg(long)]
        allowance: Option<String>,
        /// First date.
        #[arg(long)]
        from: Option<String>,
        /// Last date.
        #[arg(long)]
        to: Option<String>,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Re-derive every balance from the entries, tie every entry to its audit record, check every
    /// cap and the audit chain; exit non-zero on any discrepancy.
    Verify {
        /// An audit hash printed by an earlier write (`audit head: ...`) or by `ledger head`: the
        /// chain must still contain it, so a ledger whose tail was cut off fails (repeatable).
        #[arg(long = "expect-head", value_name = "HASH")]
        expect_head: Vec<String>,
    },
    /// Print the head of the audit chain (`SEQ HASH`): a checkpoint to keep elsewhere for
    /// `ledger verify --expect-head`.
    Head,
    /// Import shipments and licences from a CSV or JSON file, all or nothing.
    Import {
        /// `FILE.csv` or `FILE.json`.
        file: String,
        /// Who records it (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
}

/// Which VEU installed base.
#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum VeuArg {
    /// National VEU.
    Nveu,
    /// Universal VEU.
    Uveu,
}

/// Why chips left the installed base.
#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum CauseArg {
    /// Loss.
    Loss,
    /// Damage.
    Damage,
    /// Failure.
    Failure,
    /// Relocation.
    Relocation,
    /// Resale.
    Resale,
}

/// `verify` found discrepancies (exit code 1, after the report is printed).
#[derive(Debug, thiserror::Error)]
#[error("the ledger does not verify: {0} problem(s)")]
pub struct VerifyFailed(pub usize);

/// Says on stderr which audit record a write left at the head of the chain: a checkpoint for
/// `ledger verify --expect-head` (stdout keeps only the result document).
fn audit_head_note(hash: &str) {
    eprintln!("audit head: {hash}");
}

fn bad(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Error::Input(msg.into()))
}

fn date_arg(s: &Option<String>, flag: &str, today: Date) -> anyhow::Result<Date> {
    match s {
        None => Ok(today),
        Some(s) => s
            .parse::<Date>()
            .map_err(|e| bad(format!("option `{flag}` {e}, got `{s}`"))),
    }
}

fn now_rfc3339() -> String {
    chipcap_app::now_rfc3339()
}

fn meta(by: &Option<String>) -> Meta {
    Meta {
        recorded_by: by
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "chipcap".into()),
        recorded_at: now_rfc3339(),
    }
}

fn entry(id: &str, date: Date, by: &Option<String>, body: BodyInput) -> EntryInput {
    let m = meta(by);
    EntryInput {
        client_id: id.to_string(),
        recorded_by: m.recorded_by,
        recorded_at: m.recorded_at,
        date,
        body,
    }
}

fn read_input(file: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| bad(format!("cannot read standard input: {e}")))?;
    } else {
        s = std::fs::read_to_string(file).map_err(|e| bad(format!("cannot read `{file}`: {e}")))?;
    }
    Ok(s)
}

/// Prints the results of a batch of applies: a JSON array when the input was one, else one compact
/// document per line (as the input came). Fails (after printing) when a request was refused.
fn print_batch(docs: &[String], array: bool) -> anyhow::Result<()> {
    let values: Vec<serde_json::Value> = docs
        .iter()
        .map(|d| serde_json::from_str(d))
        .collect::<Result<_, _>>()?;
    if array {
        outln!("{}", serde_json::to_string_pretty(&values)?);
    } else {
        for d in docs {
            outln!("{d}");
        }
    }
    let refused = values.iter().filter(|v| v.get("error").is_some()).count();
    if refused > 0 {
        return Err(bad(format!(
            "{refused} of {} requests were refused (their results carry `error`); the others were applied",
            docs.len()
        )));
    }
    Ok(())
}

/// A JSON document indented, keys sorted, every number and string exactly as written (`1e2` stays
/// `1e2`: reading it into a `serde_json::Value` would print `100.0`).
fn pretty(json: &str) -> String {
    serde_json::from_str::<AsWritten>(json)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| json.to_string())
}

/// A JSON value whose leaves keep their text.
enum AsWritten {
    Object(std::collections::BTreeMap<String, AsWritten>),
    Array(Vec<AsWritten>),
    Leaf(Box<serde_json::value::RawValue>),
}

impl<'de> serde::Deserialize<'de> for AsWritten {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AsWritten, D::Error> {
        use serde::de::Error as _;
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        let text = raw.get().trim_start();
        if text.starts_with('{') {
            serde_json::from_str(text)
                .map(AsWritten::Object)
                .map_err(D::Error::custom)
        } else if text.starts_with('[') {
            serde_json::from_str(text)
                .map(AsWritten::Array)
                .map_err(D::Error::custom)
        } else {
            Ok(AsWritten::Leaf(raw))
        }
    }
}

impl serde::Serialize for AsWritten {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AsWritten::Object(m) => m.serialize(s),
            AsWritten::Array(a) => a.serialize(s),
            AsWritten::Leaf(r) => r.serialize(s),
        }
    }
}

fn tpp_arg(s: &str, flag: &str) -> anyhow::Result<i64> {
    chipcap_core::units::parse_signed_milli(s)
        .map_err(|e| bad(format!("option `{flag}` {e}, got `{s}`")))
}

fn veu_dates(spec: &str, flag: &str) -> anyhow::Result<(Date, Option<Date>)> {
    let mut parts = spec.splitn(2, ':');
    let from = parts.next().unwrap_or_default();
    let from = from
        .parse::<Date>()
        .map_err(|e| bad(format!("option `{flag}` {e}, got `{spec}`")))?;
    let to = match parts.next() {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<Date>()
                .map_err(|e| bad(format!("option `{flag}` {e}, got `{spec}`")))?,
        ),
    };
    Ok((from, to))
}

fn milli(m: i64) -> String {
    let mut s = String::new();
    let _ = chipcap_core::units::write_milli_plain(&mut s, i128::from(m));
    s
}

fn grouped(m: i64) -> String {
    let mut s = String::new();
    let _ = chipcap_core::units::write_milli_grouped(&mut s, i128::from(m));
    s
}

fn percent(bp: Option<i64>) -> String {
    bp.map(|b| format!("{}.{:02}", b / 100, (b % 100).abs()))
        .unwrap_or_default()
}

/// `--rule-set` of `ledger balances`, checked.
fn rule_set_filter(name: Option<&str>) -> anyhow::Result<Option<&'static str>> {
    match name {
        None => Ok(None),
        Some(n) => chipcap_core::params::RuleSetId::parse(n)
            .map(|id| Some(id.as_str()))
            .ok_or_else(|| {
                bad(format!(
                    "option `--rule-set` must be `advanced-computing-2023` or `ai-diffusion-2025`, got `{n}`"
                ))
            }),
    }
}

fn filter_rows(rows: Vec<BalanceRow>, only: Option<&str>) -> Vec<BalanceRow> {
    match only {
        None => rows,
        Some(v) => rows
            .into_iter()
            .filter(|r| chipcap_ledger::balances::allowance_rule_set(r.allowance) == v)
            .collect(),
    }
}

fn print_balances(rows: &[BalanceRow], as_of: Date, json: bool, csv: bool) {
    if json {
        let v: Vec<serde_json::Value> = rows.iter().map(BalanceRow::to_json).collect();
        let doc = serde_json::json!({"as_of": as_of.to_string(), "balances": v});
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    if csv {
        outln!("allowance,entity,country,period,limit_kind,cap_tpp,used_tpp,remaining_tpp,percent,h100_equivalents,thresholds_reached");
        for r in rows {
            let q = |s: &Option<String>| {
                let s = s.clone().unwrap_or_default();
                if s.contains([',', '"', '\n']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s
                }
            };
            outln!(
                "{},{},{},{},{},{},{},{},{},{},{}",
                r.allowance,
                q(&r.entity),
                q(&r.country),
                q(&r.period),
                r.cap
                    .map(|_| if r.minimum { "minimum" } else { "maximum" })
                    .unwrap_or(""),
                r.cap.map(milli).unwrap_or_default(),
                milli(r.used),
                r.remaining.map(milli).unwrap_or_default(),
                percent(r.percent_bp),
                milli(r.h100e_milli),
                r.thresholds
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(";")
            );
        }
        return;
    }
    outln!("balances as of {as_of} (advanced-computing-2023: the controls enforced; ai-diffusion-2025: the framework's allowances, kept for analysis)");
    if rows.is_empty() {
        outln!("  (no allowance has been drawn)");
        return;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:<26} {:<22} {:<14} {:<10} {:>18} {:>18} {:>18} {:>8} {:>12}  flags",
        "rule set",
        "allowance",
        "entity",
        "country",
        "period",
        "cap",
        "used",
        "remaining",
        "%",
        "H100e"
    );
    for r in rows {
        let cap = r
            .cap
            .map(|c| format!("{}{}", if r.minimum { ">=" } else { "" }, grouped(c)))
            .unwrap_or_else(|| "-".into());
        let flags = r
            .thresholds
            .iter()
            .map(|t| format!("{t}%"))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            out,
            "{:<24} {:<26} {:<22} {:<14} {:<10} {:>18} {:>18} {:>18} {:>8} {:>12}  {}",
            chipcap_ledger::balances::allowance_rule_set(r.allowance),
            r.allowance,
            r.entity.clone().unwrap_or_else(|| "-".into()),
            r.country.clone().unwrap_or_else(|| "-".into()),
            r.period.clone().unwrap_or_else(|| "-".into()),
            cap,
            grouped(r.used),
            r.remaining.map(grouped).unwrap_or_else(|| "-".into()),
            percent(r.percent_bp),
            grouped(r.h100e_milli),
            flags
        );
    }
    out!("{out}");
}

fn print_history(rows: &[(Entry, Vec<Draw>)], json: bool) {
    for (e, draws) in rows {
        if json {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["draws"] = draws
                .iter()
                .map(|d| serde_json::json!({"key": d.key, "date": d.date.to_string(), "tpp": chipcap_ledger::ledger::milli_json(d.amount)}))
                .collect();
            outln!("{v}");
        } else {
            let ds = draws
                .iter()
                .map(|d| format!("{} {}", d.key, grouped(d.amount)))
                .collect::<Vec<_>>()
                .join("; ");
            outln!(
                "{:>6}  {}  {:<14} {:<24} {:<30} {}",
                e.seq,
                e.date,
                e.body.kind(),
                e.client_id,
                e.body.subject(),
                ds
            );
        }
    }
}

/// The entry a recording subcommand (party, assurance, attrition, reverse, adjust) describes, or
/// `None` for the others.
fn entry_of(cmd: &LedgerCommand, today: Date) -> anyhow::Result<Option<EntryInput>> {
    Ok(Some(match cmd {
        LedgerCommand::Party {
            id,
            name,
            headquarters,
            nveu,
            uveu,
            date,
            by,
        } => {
            let mut veu = Vec::new();
            for n in nveu {
                let (c, rest) = n.split_once(':').ok_or_else(|| {
                    bad(format!(
                        "option `--nveu` must be COUNTRY:FROM[:TO], got `{n}`"
                    ))
                })?;
                let (from, to) = veu_dates(rest, "--nveu")?;
                veu.push(VeuAuthorizationInput {
                    kind: VeuKind::Nveu,
                    countries: vec![c.to_string()],
                    from,
                    to,
                });
            }
            for u in uveu {
                let (from, to) = veu_dates(u, "--uveu")?;
                veu.push(VeuAuthorizationInput {
                    kind: VeuKind::Uveu,
                    countries: Vec::new(),
                    from,
                    to,
                });
            }
            let d = date_arg(date, "--date", today)?;
            entry(
                id,
                d,
                by,
                BodyInput::Party(PartyInput {
                    name: name.clone(),
                    headquarters: headquarters.clone(),
                    veu,
                }),
            )
        }
        LedgerCommand::Assurance {
            id,
            country,
            uplift,
            date,
            by,
        } => {
            let d = date_arg(date, "--date", today)?;
            entry(
                id,
                d,
                by,
                BodyInput::Assurance(AssuranceInput {
                    country: country.clone(),
                    uplift_percent: *uplift,
                }),
            )
        }
        LedgerCommand::Attrition {
            id,
            consignee,
            country,
            veu,
            tpp,
            cause,
            date,
            by,
        } => {
            let t = tpp_arg(tpp, "--tpp")?;
            let t = u64::try_from(t)
                .map_err(|_| bad(format!("option `--tpp` must be positive, got `{tpp}`")))?;
            let d = date_arg(date, "--date", today)?;
            let body = BodyInput::Attrition(AttritionInput {
                consignee: consignee.clone(),
                country: country.clone(),
                veu: match veu {
                    VeuArg::Nveu => VeuKind::Nveu,
                    VeuArg::Uveu => VeuKind::Uveu,
                },
                tpp: chipcap_core::units::Tpp::from_milli(t),
                cause: match cause {
                    CauseArg::Loss => Cause::Loss,
                    CauseArg::Damage => Cause::Damage,
                    CauseArg::Failure => Cause::Failure,
                    CauseArg::Relocation => Cause::Relocation,
                    CauseArg::Resale => Cause::Resale,
                },
            });
            entry(id, d, by, body)
        }
        LedgerCommand::UsShipment {
            id,
            chip,
            quantity,
            date,
            by,
        } => {
            let d = date_arg(date, "--date", today)?;
            entry(
                id,
                d,
                by,
                BodyInput::UsShipment(UsShipment {
                    chip: chip.clone(),
                    quantity: *quantity,
                    unit_tpp: chipcap_core::units::Tpp::ZERO,
                }),
            )
        }
        LedgerCommand::Reverse {
            id,
            of,
            reason,
            date,
            by,
        } => {
            let d = date_arg(date, "--date", today)?;
            entry(
                id,
                d,
                by,
                BodyInput::Reversal {
                    of: of.clone(),
                    reason: reason.clone(),
                },
            )
        }
        LedgerCommand::Adjust {
            id,
            key,
            tpp,
            reason,
            date,
            by,
        } => {
            let amount_milli = tpp_arg(tpp, "--tpp")?;
            let d = date_arg(date, "--date", today)?;
            entry(
                id,
                d,
                by,
                BodyInput::Adjustment(Adjustment {
                    key: key.clone(),
                    amount_milli,
                    reason: reason.clone(),
                }),
            )
        }
        _ => return Ok(None),
    }))
}

fn grant_items(items: &[String]) -> anyhow::Result<serde_json::Value> {
    let mut list = Vec::new();
    for it in items {
        let (chip, qty) = it
            .rsplit_once(':')
            .ok_or_else(|| bad(format!("option `--item` must be CHIP:QUANTITY, got `{it}`")))?;
        let q: u64 = qty.parse().ok().filter(|q| *q > 0).ok_or_else(|| {
            bad(format!(
                "option `--item` quantity must be a positive whole number, got `{it}`"
            ))
        })?;
        list.push(serde_json::json!({"chip": chip, "quantity": q}));
    }
    Ok(serde_json::Value::Array(list))
}

/// Percent-encodes a query value.
fn query_value(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn answered(a: crate::serve_cli::Answer) -> anyhow::Result<String> {
    a.map_err(bad)
}

fn milli_of(v: &serde_json::Value) -> anyhow::Result<i64> {
    let t = v.to_string();
    chipcap_core::units::parse_signed_milli(&t)
        .map_err(|e| anyhow::anyhow!("the server sent a bad amount `{t}`: {e}"))
}

/// `chipcap ledger --server URL ...`: the same subcommands against a running `chipcap serve`, so one
/// ledger serves a team. Writes are recorded under the bearer token's name (`CHIPCAP_TOKEN`).
fn run_remote(cmd: LedgerCommand, url: &str, today: Date) -> anyhow::Result<()> {
    use crate::serve_cli::{remote_get, remote_post};
    let by_given = matches!(
        &cmd,
        LedgerCommand::Apply { by: Some(_), .. }
            | LedgerCommand::Grant { by: Some(_), .. }
            | LedgerCommand::Party { by: Some(_), .. }
            | LedgerCommand::Assurance { by: Some(_), .. }
            | LedgerCommand::Attrition { by: Some(_), .. }
            | LedgerCommand::Reverse { by: Some(_), .. }
            | LedgerCommand::Adjust { by: Some(_), .. }
            | LedgerCommand::UsShipment { by: Some(_), .. }
    );
    if by_given {
        return Err(bad(
            "option `--by` is not used with `--server`: the server records the name of the token in `CHIPCAP_TOKEN`",
        ));
    }
    if let Some(e) = entry_of(&cmd, today)? {
        let path = match e.body.kind() {
            "party" => "/v1/ledger/parties",
            "assurance" => "/v1/ledger/assurances",
            "attrition" => "/v1/ledger/attritions",
            "adjustment" => "/v1/ledger/adjustments",
            "us_shipment" => "/v1/ledger/us-shipments",
            _ => "/v1/ledger/reversals",
        };
        let mut v = serde_json::to_value(&e.body)?;
        if let Some(o) = v.as_object_mut() {
            o.remove("kind");
            o.insert("id".into(), serde_json::Value::String(e.client_id.clone()));
            o.insert("date".into(), serde_json::Value::String(e.date.to_string()));
        }
        outln!(
            "{}",
            pretty(&answered(remote_post(url, path, &v.to_string())?)?)
        );
        return Ok(());
    }
    match cmd {
        LedgerCommand::Apply { file, date, .. } => {
            let text = read_input(&file)?;
            if let Ok(chipcap_ledger::ApplyInput::Many { requests, array }) =
                chipcap_ledger::split_apply_input(&text)
            {
                let answer = crate::serve_cli::remote_apply_batch(url, &requests, date.as_deref())?;
                #[derive(serde::Deserialize)]
                struct Results<'a> {
                    #[serde(borrow)]
                    results: Vec<&'a serde_json::value::RawValue>,
                }
                let text = answered(answer)?;
                let r: Results<'_> = serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("the server's answer cannot be read: {e}"))?;
                let docs: Vec<String> = r.results.iter().map(|d| d.get().to_string()).collect();
                return print_batch(&docs, array);
            }
            let answer = crate::serve_cli::remote_apply(url, &text, date.as_deref())?;
            outln!("{}", pretty(&answered(answer)?));
            Ok(())
        }
        LedgerCommand::Grant {
            id,
            licence,
            consignee,
            destination,
            items,
            date,
            valid_to,
            force,
            ..
        } => {
            let body = serde_json::json!({
                "id": id,
                "licence": licence,
                "consignee": consignee,
                "destination": destination,
                "items": grant_items(&items)?,
                "date": date_arg(&date, "--date", today)?.to_string(),
                "valid_to": date_arg(&Some(valid_to), "--valid-to", today)?.to_string(),
                "force": force,
            });
            outln!(
                "{}",
                pretty(&answered(remote_post(url, "/v1/ledger/grants", &body.to_string())?)?)
            );
            Ok(())
        }
        LedgerCommand::Balances {
            as_of,
            rule_set,
            json,
            csv,
        } => {
            let d = date_arg(&as_of, "--as-of", today)?;
            let filter = rule_set_filter(rule_set.as_deref())?;
            let text = answered(remote_get(url, &format!("/v1/ledger/balances?as_of={d}"))?)?;
            let doc: serde_json::Value = serde_json::from_str(&text)?;
            let rows = doc["balances"]
                .as_array()
                .map(|a| a.iter().map(BalanceRow::from_json).collect::<Result<Vec<_>, _>>())
                .transpose()?
                .unwrap_or_default();
            let rows = filter_rows(rows, filter);
            print_balances(&rows, d, json, csv);
            Ok(())
        }
        LedgerCommand::History {
            party,
            country,
            allowance,
            from,
            to,
            json,
        } => {
            let mut q = String::new();
            for (k, v) in [
                ("party", party),
                ("country", country),
                ("allowance", allowance),
                ("from", from),
                ("to", to),
            ] {
                if let Some(v) = v {
                    q.push_str(&format!("&{k}={}", query_value(&v)));
                }
            }
            let mut rows = Vec::new();
            let mut offset = 0usize;
            loop {
                let text = answered(remote_get(
                    url,
                    &format!("/v1/ledger/history?limit=1000&offset={offset}{q}"),
                )?)?;
                let page: serde_json::Value = serde_json::from_str(&text)?;
                let items = page["items"].as_array().cloned().unwrap_or_default();
                for it in &items {
                    let e: Entry = serde_json::from_value(it["entry"].clone())?;
                    let mut draws = Vec::new();
                    for d in it["draws"].as_array().cloned().unwrap_or_default() {
                        draws.push(Draw {
                            key: d["key"].as_str().unwrap_or_default().to_string(),
                            date: d["date"].as_str().unwrap_or_default().parse::<Date>().map_err(|e| anyhow::anyhow!("the server sent a bad date: {e}"))?,
                            amount: milli_of(&d["amount_tpp"])?,
                        });
                    }
                    rows.push((e, draws));
                }
                offset += items.len();
                let total = page["total"].as_u64().unwrap_or(0);
                if items.is_empty() || u64::try_from(offset).unwrap_or(u64::MAX) >= total {
                    break;
                }
            }
            print_history(&rows, json);
            Ok(())
        }
        LedgerCommand::Init
        | LedgerCommand::Verify { .. }
        | LedgerCommand::Head
        | LedgerCommand::Import { .. } => Err(bad(
            "`ledger init`, `verify`, `head` and `import` work on a ledger database (`--db`), not with `--server`",
        )),
        _ => Err(bad("this subcommand is not available with `--server`")),
    }
}

/// Runs one `chipcap ledger` subcommand. `db` is `--db`/`CHIPCAP_DB` (default `chipcap.db`);
/// `server` (`--server`/`CHIPCAP_SERVER`) sends it to a running `chipcap serve` instead.
pub fn run(
    cmd: LedgerCommand,
    db: Option<String>,
    server: Option<String>,
    rules: &RuleSet,
    today: Date,
) -> anyhow::Result<()> {
    if let Some(url) = server.filter(|s| !s.is_empty()) {
        return run_remote(cmd, &url, today);
    }
    let db = db
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| DEFAULT_DB.to_string());
    let store = chipcap_ledger::open(&db)?;
    let mut l = Ledger::new(store, rules);
    let record = |l: &mut Ledger<'_>, e: EntryInput| -> anyhow::Result<()> {
        let o = l.record_input(&e)?;
        outln!("{}", pretty(&o.json));
        audit_head_note(&o.audit_hash);
        Ok(())
    };
    match cmd {
        LedgerCommand::Init => {
            outln!("ledger ready: {db} ({})", l.backend());
            Ok(())
        }
        LedgerCommand::Apply {
            file,
            date,
            by,
            lists,
        } => {
            let default_date = date_arg(&date, "--date", today)?;
            let text = read_input(&file)?;
            // Screen the parties against the imported lists, as `chipcap check` does.
            let loaded = chipcap_app::lists::LoadedLists::load(&lists)?;
            let disps = match &loaded {
                Some(_) => chipcap_app::lists::dispositions_from_entries(&l.dispositions()?),
                None => Vec::new(),
            };
            let sources = chipcap_app::ScreeningSources {
                lists: loaded.as_ref(),
                dispositions: &disps,
            };
            let screen = |p: &chipcap_core::wire::ParsedRequest| sources.screen(p);
            match chipcap_ledger::split_apply_input(&text) {
                Ok(chipcap_ledger::ApplyInput::Many { requests, array }) => {
                    let results =
                        l.apply_many_screened(&requests, &meta(&by), default_date, &screen)?;
                    let docs: Vec<String> = results
                        .iter()
                        .map(|(id, r)| chipcap_ledger::batch_result_json(id, r))
                        .collect();
                    print_batch(&docs, array)?;
                    if let Some(h) = results
                        .iter()
                        .filter_map(|(_, r)| r.as_ref().ok())
                        .map(|o| o.audit_hash.as_str())
                        .next_back()
                    {
                        audit_head_note(h);
                    }
                    Ok(())
                }
                Err(e) if text.trim().is_empty() => Err(e.into()),
                // One request (or an input that is not JSON: its error is the one-request one).
                _ => {
                    let o = l.apply_screened(&text, &meta(&by), default_date, &screen)?;
                    outln!("{}", pretty(&o.json));
                    audit_head_note(&o.audit_hash);
                    Ok(())
                }
            }
        }
        LedgerCommand::Grant {
            id,
            licence,
            consignee,
            destination,
            items,
            date,
            valid_to,
            force,
            by,
        } => {
            let g = GrantInput {
                client_id: id,
                number: licence,
                consignee,
                destination,
                items: grant_items(&items)?,
                date: date_arg(&date, "--date", today)?,
                valid_to: date_arg(&Some(valid_to), "--valid-to", today)?,
                force,
            };
            let o = l.grant(&g, &meta(&by))?;
            outln!("{}", pretty(&o.json));
            audit_head_note(&o.audit_hash);
            Ok(())
        }
        LedgerCommand::Party { .. }
        | LedgerCommand::Assurance { .. }
        | LedgerCommand::Attrition { .. }
        | LedgerCommand::Reverse { .. }
        | LedgerCommand::Adjust { .. }
        | LedgerCommand::UsShipment { .. } => match entry_of(&cmd, today)? {
            Some(e) => record(&mut l, e),
            None => Err(bad("this subcommand records nothing")),
        },
        LedgerCommand::Balances {
            as_of,
            rule_set,
            json,
            csv,
        } => {
            let d = date_arg(&as_of, "--as-of", today)?;
            let filter = rule_set_filter(rule_set.as_deref())?;
            let rows = filter_rows(l.balances(d)?, filter);
            print_balances(&rows, d, json, csv);
            Ok(())
        }
        LedgerCommand::History {
            party,
            country,
            allowance,
            from,
            to,
            json,
        } => {
            let f = HistoryFilter {
                party,
                country,
                allowance,
                from: from
                    .as_ref()
                    .map(|s| date_arg(&Some(s.clone()), "--from", today))
                    .transpose()?,
                to: to
                    .as_ref()
                    .map(|s| date_arg(&Some(s.clone()), "--to", today))
                    .transpose()?,
            };
            print_history(&l.history(&f)?, json);
            Ok(())
        }
        LedgerCommand::Head => {
            match l.audit_head()? {
                Some((seq, hash)) => outln!("{seq} {hash}"),
                None => outln!("0 {}", chipcap_ledger::audit::GENESIS),
            }
            Ok(())
        }
        LedgerCommand::Verify { expect_head } => {
            let v = l.verify_against(&expect_head)?;
            outln!(
                "checked {} entries, {} allowances, {} audit records",
                v.entries,
                v.allowances,
                v.audit_records
            );
            for p in &v.problems {
                outln!("PROBLEM: {p}");
            }
            if v.problems.is_empty() {
                outln!("ok: every balance re-derives from the entries, every entry is the one its audit record recorded, every cap holds, the audit chain is intact");
                Ok(())
            } else {
                Err(anyhow::Error::new(VerifyFailed(v.problems.len())))
            }
        }
        LedgerCommand::Import { file, by } => {
            let text = read_input(&file)?;
            let rows = if file.ends_with(".json") {
                import::parse_json(&text)?
            } else if file.ends_with(".csv") {
                import::parse_csv(&text)?
            } else {
                return Err(bad(format!(
                    "import file must end in `.csv` or `.json`, got `{file}`"
                )));
            };
            let bar = indicatif::ProgressBar::new(u64::try_from(rows.len()).unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let res = l.import(&rows, &meta(&by), today, &mut |n| {
                bar.set_position(u64::try_from(n).unwrap_or(0));
            });
            bar.finish_and_clear();
            let s = res?;
            outln!(
                "imported {file}: {} rows, {} recorded, {} already in the ledger",
                s.rows,
                s.recorded,
                s.replayed
            );
            if let Some((_, h)) = l.audit_head()? {
                audit_head_note(&h);
            }
            Ok(())
        }
    }
}
