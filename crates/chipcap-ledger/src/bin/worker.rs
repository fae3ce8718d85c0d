//! Test helper for the race and crash tests: a ledger writer in its own process.
//!
//! `chipcap-ledger-worker apply DB PREFIX N REQUEST` applies REQUEST N times with ids PREFIX-0..N
//! and prints `ack ID recorded|refused` after each commit.
//! `chipcap-ledger-worker grant DB PREFIX N UNITS DEST` grants N licences of UNITS x 100,000 TPP to
//! DEST and prints `ack ID recorded|refused` after each.
//! `chipcap-ledger-worker import DB PREFIX BATCHES ROWS` imports BATCHES files of ROWS LPP shipments
//! (ids PREFIX-B-R), each all-or-nothing, and prints `ack PREFIX-B` after each commit.

use std::io::Write;
use std::process::ExitCode;

use chipcap_core::date::Date;
use chipcap_ledger::{import, Ledger, Meta};

fn run(args: &[String]) -> Result<(), String> {
    let rules = chipcap_rules::embedded().map_err(|e| e.to_string())?;
    let today = Date::new(2025, 6, 1).ok_or("date")?;
    let meta = Meta {
        recorded_by: "worker".into(),
        recorded_at: "2025-06-01T00:00:00Z".into(),
    };
    let mut out = std::io::stdout().lock();
    match args {
        [cmd, db, prefix, n, req] if cmd == "apply" => {
            let n: usize = n.parse().map_err(|_| "N")?;
            let mut l = Ledger::new(chipcap_ledger::open(db).map_err(|e| e.to_string())?, &rules);
            let mut v: serde_json::Value = serde_json::from_str(req).map_err(|e| e.to_string())?;
            for i in 0..n {
                let id = format!("{prefix}-{i}");
                v["id"] = id.clone().into();
                let o = l.apply(&v.to_string(), &meta, today).map_err(|e| e.to_string())?;
                let word = if o.recorded { "recorded" } else { "refused" };
                writeln!(out, "ack {id} {word}").map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        [cmd, db, prefix, n, units, dest] if cmd == "grant" => {
            let n: usize = n.parse().map_err(|_| "N")?;
            let units: u64 = units.parse().map_err(|_| "UNITS")?;
            let mut l = Ledger::new(chipcap_ledger::open(db).map_err(|e| e.to_string())?, &rules);
            for i in 0..n {
                let id = format!("{prefix}-{i}");
                let g = chipcap_ledger::GrantInput {
                    client_id: id.clone(),
                    number: format!("L-{id}"),
                    consignee: "Acme".into(),
                    destination: dest.clone(),
                    items: serde_json::json!([{"tpp": 100000, "die_area_mm2": 800, "datacenter": true, "quantity": units}]),
                    date: Date::new(2025, 3, 1).ok_or("date")?,
                    valid_to: Date::new(2026, 3, 1).ok_or("date")?,
                    force: None,
                };
                let word = match l.grant(&g, &meta) {
                    Ok(_) => "recorded",
                    Err(chipcap_ledger::Error::CapExceeded { .. }) => "refused",
                    Err(e) => return Err(e.to_string()),
                };
                writeln!(out, "ack {id} {word}").map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        [cmd, db, prefix, batches, rows] if cmd == "import" => {
            let batches: usize = batches.parse().map_err(|_| "BATCHES")?;
            let rows: usize = rows.parse().map_err(|_| "ROWS")?;
            let mut l = Ledger::new(chipcap_ledger::open(db).map_err(|e| e.to_string())?, &rules);
            for b in 0..batches {
                let mut csv = String::from("kind,id,date,consignee,destination,chip,quantity\n");
                for r in 0..rows {
                    csv.push_str(&format!(
                        "shipment,{prefix}-{b}-{r},2025-06-01,Consignee {prefix} {b} {r},IN,nvidia-h100-sxm,1\n"
                    ));
                }
                let parsed = import::parse_csv(&csv).map_err(|e| e.to_string())?;
                l.import(&parsed, &meta, today, &mut |_| {})
                    .map_err(|e| e.to_string())?;
                writeln!(out, "ack {prefix}-{b}").map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        _ => Err("usage: chipcap-ledger-worker apply DB PREFIX N REQUEST | import DB PREFIX BATCHES ROWS".into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
