//! `chipcap simulate`: reads scenario files, runs them (crates/chipcap-sim), prints and writes.
//! Nothing is written unless every scenario reads and runs.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chipcap_core::params::RuleSet;
use chipcap_sim::{montecarlo, report, Run, Scenario, SimError};

use crate::input_err;

/// Arguments of `chipcap simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The scenario file (TOML; see docs/simulate.md). A second file compares the two side by side.
    #[arg(required = true, num_args = 1..=2)]
    files: Vec<String>,
    /// Compare with this scenario (the same as giving it as the second file).
    #[arg(long)]
    compare: Option<String>,
    /// Print the JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// Write the series as CSV files into this folder (created if needed).
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
    /// Write SVG charts into this folder (created if needed).
    #[arg(long, value_name = "DIR")]
    chart: Option<PathBuf>,
    /// Monte Carlo runs (overrides `[monte_carlo] runs`).
    #[arg(long)]
    runs: Option<u32>,
    /// Monte Carlo seed (overrides `[monte_carlo] seed`).
    #[arg(long)]
    seed: Option<u64>,
}

fn read(path: &str, rules: &RuleSet) -> anyhow::Result<Scenario> {
    let text = crate::read_input(path)?;
    let stem = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    let mut sc =
        chipcap_sim::parse(&text, stem, rules).map_err(|e| input_err(format!("{path}: {e}")))?;
    if let Some(db) = sc.replay_ledger.clone() {
        let is_url = db.starts_with("postgres://") || db.starts_with("postgresql://");
        let db = if is_url || Path::new(&db).is_absolute() {
            db
        } else {
            let dir = Path::new(path).parent().unwrap_or(Path::new("."));
            dir.join(&db).to_string_lossy().to_string()
        };
        // A missing SQLite file would be created empty: refuse it instead.
        if !is_url && !Path::new(&db).is_file() {
            return Err(input_err(format!(
                "{path}: field `replay_ledger`: no ledger at `{db}`"
            )));
        }
        let store = chipcap_ledger::open(&db)
            .map_err(|e| input_err(format!("{path}: field `replay_ledger`: {e}")))?;
        let entries = chipcap_ledger::Ledger::new(store, rules)
            .entries()
            .with_context(|| format!("reading the ledger `{db}`"))?;
        let s = chipcap_sim::replay::add(&mut sc, &entries);
        eprintln!(
            "replayed {} shipments and {} assurances from `{db}` ({} outside the period or reversed)",
            s.shipments, s.assurances, s.skipped
        );
    }
    Ok(sc)
}

fn sim_err(path: &str, e: SimError) -> anyhow::Error {
    match e {
        SimError::Schema { .. } | SimError::Compare(_) => input_err(format!("{path}: {e}")),
        other => anyhow::Error::new(other).context(path.to_string()),
    }
}

struct Done {
    sc: Scenario,
    run: Run,
    mc: Option<montecarlo::McResult>,
}

fn run_one(path: &str, rules: &RuleSet, a: &SimulateArgs) -> anyhow::Result<Done> {
    let sc = read(path, rules)?;
    let run = chipcap_sim::simulate(&sc).map_err(|e| sim_err(path, e))?;
    let wants_mc = sc.monte_carlo.is_some() || a.runs.is_some() || a.seed.is_some();
    let has_dist = sc.demand.iter().any(|d| d.distribution.is_some());
    if (a.runs.is_some() || a.seed.is_some()) && !has_dist {
        return Err(input_err(format!(
            "{path}: `--runs` and `--seed` need a demand line with a `distribution`"
        )));
    }
    let mc = if wants_mc && has_dist {
        let runs = a
            .runs
            .or(sc.monte_carlo.as_ref().map(|m| m.runs))
            .unwrap_or(1000);
        let seed = a
            .seed
            .or(sc.monte_carlo.as_ref().map(|m| m.seed))
            .unwrap_or(0);
        if runs == 0 {
            return Err(input_err("option `--runs` must be at least 1"));
        }
        Some(montecarlo::run(&sc, runs, seed).map_err(|e| sim_err(path, e))?)
    } else {
        None
    };
    Ok(Done { sc, run, mc })
}

fn write_files(dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("writing `{}`", p.display()))?;
    }
    Ok(())
}

fn prefixed(prefix: &str, files: Vec<(String, String)>) -> Vec<(String, String)> {
    files
        .into_iter()
        .map(|(n, t)| (format!("{prefix}{n}"), t))
        .collect()
}

/// Runs `chipcap simulate`.
pub fn run(a: SimulateArgs, rules: &RuleSet) -> anyhow::Result<()> {
    let mut paths = a.files.clone();
    if let Some(c) = &a.compare {
        paths.push(c.clone());
    }
    if paths.len() > 2 {
        return Err(input_err("give one scenario, or two to compare"));
    }
    // Read and run everything first: nothing is written when a scenario is bad.
    let mut done = Vec::new();
    for p in &paths {
        done.push(run_one(p, rules, &a)?);
    }
    let mut csv_files = Vec::new();
    let mut svg_files = Vec::new();
    for (i, d) in done.iter().enumerate() {
        let prefix = if done.len() > 1 {
            format!("{}-", if i == 0 { "a" } else { "b" })
        } else {
            String::new()
        };
        if a.csv.is_some() {
            csv_files.push((
                format!("{prefix}series.csv"),
                report::series_csv(&d.sc, &d.run),
            ));
            csv_files.push((
                format!("{prefix}countries.csv"),
                report::countries_csv(&d.run),
            ));
            csv_files.push((
                format!("{prefix}allocation.csv"),
                report::allocation_csv(&d.run),
            ));
        }
        if a.chart.is_some() {
            let charts =
                chipcap_sim::chart::charts(&d.sc, &d.run).map_err(|e| sim_err(&paths[i], e))?;
            svg_files.extend(prefixed(&prefix, charts));
        }
    }
    let text = match done.as_slice() {
        [one] => {
            if a.json {
                format!(
                    "{:#}\n",
                    report::to_json(&one.sc, &one.run, one.mc.as_ref())
                )
            } else {
                report::table(&one.sc, &one.run, one.mc.as_ref())
            }
        }
        [x, y] => {
            if a.json {
                format!(
                    "{:#}\n",
                    report::compare_json((&x.sc, &x.run), (&y.sc, &y.run))
                )
            } else {
                report::compare_table((&x.sc, &x.run), (&y.sc, &y.run))
            }
        }
        _ => String::new(),
    };
    if let Some(dir) = &a.csv {
        write_files(dir, &csv_files)?;
    }
    if let Some(dir) = &a.chart {
        write_files(dir, &svg_files)?;
    }
    out!("{text}");
    Ok(())
}
