//! The outputs of a run: a JSON document, CSV series and a table for a person. TPP is written as
//! exact numbers (three decimals at most); H100-equivalents are for display only (reading D11).

use std::fmt::Write as _;

use chipcap_core::units::{ratio_milli, write_milli_grouped};
use chipcap_ledger::ledger::milli_json;
use serde_json::{json, Value};

use crate::engine::{CountryRun, Run};
use crate::montecarlo::McResult;
use crate::scenario::Scenario;

/// The thresholds reported for the country allocation, percent used.
pub const THRESHOLDS: [u32; 4] = [80, 90, 95, 100];

/// Thousandths of H100-equivalents of an amount of milli-TPP (rounded).
pub fn h100e_milli(tpp_milli: i64, h100_milli: u64) -> i64 {
    let neg = tpp_milli < 0;
    let v = ratio_milli(
        u128::from(tpp_milli.unsigned_abs()),
        u128::from(h100_milli.max(1)),
    )
    .and_then(|v| i64::try_from(v).ok())
    .unwrap_or(i64::MAX);
    if neg {
        -v
    } else {
        v
    }
}

fn grouped(milli: i64, decimals: bool) -> String {
    let mut s = String::new();
    let v = if decimals {
        i128::from(milli)
    } else {
        i128::from(milli) / 1000 * 1000
    };
    let _ = write_milli_grouped(&mut s, v);
    s
}

fn quarter_of(run: &Run, k: Option<usize>) -> Value {
    k.and_then(|k| run.quarters.get(k))
        .map_or(Value::Null, |q| Value::from(q.to_string()))
}

fn country_json(sc: &Scenario, run: &Run, c: &CountryRun) -> Value {
    let h = sc.h100_tpp_milli;
    let thresholds: serde_json::Map<String, Value> = THRESHOLDS
        .iter()
        .map(|t| (t.to_string(), quarter_of(run, c.threshold(*t))))
        .collect();
    let allocation: Vec<Value> = run
        .quarters
        .iter()
        .enumerate()
        .map(|(k, q)| {
            json!({
                "quarter": q.to_string(),
                "tier": c.tier[k],
                "cap_tpp": c.cap[k].map(milli_json),
                "used_tpp": milli_json(c.used[k]),
                "remaining_tpp": c.cap[k].map(|cap| milli_json(cap - c.used[k])),
                "remaining_h100e": c.cap[k].map(|cap| milli_json(h100e_milli(cap - c.used[k], h))),
            })
        })
        .collect();
    let channels: Vec<Value> = c
        .channels
        .iter()
        .map(|(ch, s)| {
            let series: Vec<Value> = run
                .quarters
                .iter()
                .enumerate()
                .map(|(k, q)| {
                    json!({
                        "quarter": q.to_string(),
                        "demanded_tpp": milli_json(s.demanded[k]),
                        "granted_tpp": milli_json(s.granted[k]),
                        "refused_tpp": milli_json(s.refused[k]),
                        "refused_for_allocation_tpp": milli_json(s.refused_for_allocation[k]),
                        "remaining_tpp": s.remaining[k].map(milli_json),
                        "demanded_h100e": milli_json(h100e_milli(s.demanded[k], h)),
                        "granted_h100e": milli_json(h100e_milli(s.granted[k], h)),
                        "refused_h100e": milli_json(h100e_milli(s.refused[k], h)),
                        "remaining_h100e": s.remaining[k].map(|r| milli_json(h100e_milli(r, h))),
                    })
                })
                .collect();
            json!({"channel": ch.as_str(), "series": series})
        })
        .collect();
    let by_auth: serde_json::Map<String, Value> = c
        .granted_by_authorization
        .iter()
        .map(|(a, v)| {
            (
                a.clone(),
                Value::Array(v.iter().map(|m| milli_json(*m)).collect()),
            )
        })
        .collect();
    let (d, g, r) = totals(c);
    json!({
        "country": c.country.as_str(),
        "exhausted": quarter_of(run, c.exhausted),
        "thresholds": thresholds,
        "demanded_tpp": milli_json(d),
        "granted_tpp": milli_json(g),
        "refused_tpp": milli_json(r),
        "allocation": allocation,
        "channels": channels,
        "granted_by_authorization_tpp": by_auth,
    })
}

/// Demanded, granted and refused over the whole period, milli-TPP.
pub fn totals(c: &CountryRun) -> (i64, i64, i64) {
    let mut t = (0i64, 0i64, 0i64);
    for s in c.channels.values() {
        t.0 = s.demanded.iter().fold(t.0, |a, b| a.saturating_add(*b));
        t.1 = s.granted.iter().fold(t.1, |a, b| a.saturating_add(*b));
        t.2 = s.refused.iter().fold(t.2, |a, b| a.saturating_add(*b));
    }
    t
}

/// The JSON document of one scenario's run (and its Monte Carlo, if any).
pub fn to_json(sc: &Scenario, run: &Run, mc: Option<&McResult>) -> Value {
    serde_json::to_value(document(sc, run, mc)).unwrap_or(Value::Null)
}

/// The run of a scenario (what [`to_json`] writes).
pub fn document(sc: &Scenario, run: &Run, mc: Option<&McResult>) -> Document {
    let veu: Vec<Value> = run
        .veu
        .iter()
        .map(|v| {
            json!({
                "kind": v.kind,
                "consignee": v.consignee,
                "country": v.country,
                "installed_tpp": v.installed.iter().map(|m| milli_json(*m)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Document {
        scenario: sc.name.clone(),
        rule_set: sc.rule_set.as_str(),
        start: run.quarters.first().map(|q| q.to_string()),
        end: run.quarters.last().map(|q| q.to_string()),
        quarters: run.quarters.iter().map(|q| q.to_string()).collect(),
        h100_tpp: milli_json(i64::try_from(sc.h100_tpp_milli).unwrap_or(i64::MAX)),
        fill: sc.fill,
        determinations: run.determinations,
        countries: run
            .countries
            .iter()
            .map(|c| country_json(sc, run, c))
            .collect(),
        veu,
        nveu_cap_tpp: run.nveu_cap.iter().map(|c| c.map(milli_json)).collect(),
        monte_carlo: mc.map(|m| m.to_json(run)),
    }
}

/// The run of a scenario as `chipcap simulate --json` prints it (docs/simulate.md).
#[derive(serde::Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = SimulationRunDoc))]
pub struct Document {
    /// The scenario's name.
    scenario: String,
    /// The rule version it ran under.
    rule_set: &'static str,
    /// The first quarter, `YYYYQn`.
    start: Option<String>,
    /// The last quarter.
    end: Option<String>,
    /// The quarters, `YYYYQn`.
    quarters: Vec<String>,
    /// The H100 TPP used for H100 equivalents.
    #[cfg_attr(feature = "schema", schema(value_type = f64))]
    h100_tpp: Value,
    /// Whether refused demand was asked for again in the whole chips that still fit.
    fill: bool,
    /// Determinations made.
    determinations: u64,
    /// Per country: `country`, `exhausted` (the first quarter with demand refused for lack of
    /// allocation, or null), `thresholds`, `allocation` and `channels` series per quarter.
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Object>))]
    countries: Vec<Value>,
    /// VEU installed bases per quarter.
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Object>))]
    veu: Vec<Value>,
    /// The NVEU cap per quarter, TPP (null where none).
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Option<f64>>))]
    nveu_cap_tpp: Vec<Option<Value>>,
    /// P10/P50/P90 exhaustion quarters when the scenario has a Monte Carlo.
    #[cfg_attr(feature = "schema", schema(value_type = Option<Object>))]
    monte_carlo: Option<Value>,
}

/// Two runs side by side.
pub fn compare_json(a: (&Scenario, &Run), b: (&Scenario, &Run)) -> Value {
    let mut codes: Vec<String> =
        a.1.countries
            .iter()
            .chain(b.1.countries.iter())
            .map(|c| c.country.as_str().to_string())
            .collect();
    codes.sort();
    codes.dedup();
    let rows: Vec<Value> = codes
        .iter()
        .map(|code| {
            let side = |(_, run): (&Scenario, &Run)| match run.country(code) {
                Some(c) => {
                    let (d, g, r) = totals(c);
                    json!({"exhausted": quarter_of(run, c.exhausted), "demanded_tpp": milli_json(d), "granted_tpp": milli_json(g), "refused_tpp": milli_json(r)})
                }
                None => Value::Null,
            };
            json!({"country": code, "a": side(a), "b": side(b)})
        })
        .collect();
    json!({
        "scenarios": [to_json(a.0, a.1, None), to_json(b.0, b.1, None)],
        "comparison": rows,
    })
}

/// The series as CSV: one row per country, channel and quarter.
pub fn series_csv(sc: &Scenario, run: &Run) -> String {
    let h = sc.h100_tpp_milli;
    let mut out = String::from("country,channel,quarter,tier,demanded_tpp,granted_tpp,refused_tpp,refused_for_allocation_tpp,remaining_tpp,demanded_h100e,granted_h100e,refused_h100e,remaining_h100e\n");
    let n = |m: i64| milli_json(m).to_string();
    for c in &run.countries {
        for (ch, s) in &c.channels {
            for (k, q) in run.quarters.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    c.country.as_str(),
                    ch.as_str(),
                    q,
                    c.tier[k].map(|t| t.to_string()).unwrap_or_default(),
                    n(s.demanded[k]),
                    n(s.granted[k]),
                    n(s.refused[k]),
                    n(s.refused_for_allocation[k]),
                    s.remaining[k].map(n).unwrap_or_default(),
                    n(h100e_milli(s.demanded[k], h)),
                    n(h100e_milli(s.granted[k], h)),
                    n(h100e_milli(s.refused[k], h)),
                    s.remaining[k]
                        .map(|r| n(h100e_milli(r, h)))
                        .unwrap_or_default(),
                );
            }
        }
    }
    out
}

/// The allocation per country and quarter as CSV.
pub fn allocation_csv(run: &Run) -> String {
    let mut out = String::from("country,quarter,tier,cap_tpp,used_tpp,remaining_tpp\n");
    let n = |m: i64| milli_json(m).to_string();
    for c in &run.countries {
        for (k, q) in run.quarters.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                c.country.as_str(),
                q,
                c.tier[k].map(|t| t.to_string()).unwrap_or_default(),
                c.cap[k].map(n).unwrap_or_default(),
                n(c.used[k]),
                c.cap[k].map(|cap| n(cap - c.used[k])).unwrap_or_default(),
            );
        }
    }
    out
}

/// One row per country: exhaustion and threshold quarters, totals.
pub fn countries_csv(run: &Run) -> String {
    let mut out = String::from("country,exhausted,reached_80,reached_90,reached_95,reached_100,demanded_tpp,granted_tpp,refused_tpp\n");
    let q = |k: Option<usize>| {
        k.and_then(|k| run.quarters.get(k))
            .map(|q| q.to_string())
            .unwrap_or_default()
    };
    for c in &run.countries {
        let (d, g, r) = totals(c);
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            c.country.as_str(),
            q(c.exhausted),
            q(c.threshold(80)),
            q(c.threshold(90)),
            q(c.threshold(95)),
            q(c.threshold(100)),
            milli_json(d),
            milli_json(g),
            milli_json(r),
        );
    }
    out
}

fn pad(s: &str, w: usize) -> String {
    format!("{s:<w$}")
}

fn rpad(s: &str, w: usize) -> String {
    format!("{s:>w$}")
}

/// A table for a person: one row per country, then the remaining allocation by quarter.
pub fn table(sc: &Scenario, run: &Run, mc: Option<&McResult>) -> String {
    let h = sc.h100_tpp_milli;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario `{}` under {}, {} to {} (H100e = {} TPP; display only)",
        sc.name,
        sc.rule_set,
        run.quarters
            .first()
            .map(|q| q.to_string())
            .unwrap_or_default(),
        run.quarters
            .last()
            .map(|q| q.to_string())
            .unwrap_or_default(),
        grouped(i64::try_from(h).unwrap_or(0), true),
    );
    let q = |k: Option<usize>| {
        k.and_then(|k| run.quarters.get(k))
            .map_or("-".to_string(), |q| q.to_string())
    };
    let _ = writeln!(
        out,
        "{}{}{}{}{}{}{}{}{}{}",
        pad("country", 9),
        pad("tier", 6),
        pad("exhausted", 11),
        pad("80%", 8),
        pad("90%", 8),
        pad("95%", 8),
        pad("100%", 8),
        rpad("demanded H100e", 16),
        rpad("granted H100e", 16),
        rpad("refused H100e", 16),
    );
    for c in &run.countries {
        let (d, g, r) = totals(c);
        let tier = c
            .tier
            .iter()
            .rev()
            .flatten()
            .next()
            .map_or("-".to_string(), |t| t.to_string());
        let _ = writeln!(
            out,
            "{}{}{}{}{}{}{}{}{}{}",
            pad(c.country.as_str(), 9),
            pad(&tier, 6),
            pad(&q(c.exhausted), 11),
            pad(&q(c.threshold(80)), 8),
            pad(&q(c.threshold(90)), 8),
            pad(&q(c.threshold(95)), 8),
            pad(&q(c.threshold(100)), 8),
            rpad(&grouped(h100e_milli(d, h), false), 16),
            rpad(&grouped(h100e_milli(g, h), false), 16),
            rpad(&grouped(h100e_milli(r, h), false), 16),
        );
    }
    if run
        .countries
        .iter()
        .any(|c| c.cap.iter().any(Option::is_some))
    {
        let _ = writeln!(
            out,
            "\ncountry allocation remaining at the end of each quarter (H100e):"
        );
        let _ = write!(out, "{}", pad("quarter", 9));
        for c in &run.countries {
            let _ = write!(out, "{}", rpad(c.country.as_str(), 12));
        }
        let _ = writeln!(out);
        for (k, qq) in run.quarters.iter().enumerate() {
            let _ = write!(out, "{}", pad(&qq.to_string(), 9));
            for c in &run.countries {
                let cell = c.cap[k].map_or("-".to_string(), |cap| {
                    grouped(h100e_milli(cap - c.used[k], h), false)
                });
                let _ = write!(out, "{}", rpad(&cell, 12));
            }
            let _ = writeln!(out);
        }
    }
    if let Some(m) = mc {
        let _ = writeln!(out, "\nMonte Carlo: {} runs, seed {} (quarter of exhaustion; `never` = not within the period)", m.runs, m.seed);
        let _ = writeln!(
            out,
            "{}{}{}{}exhausted in",
            pad("country", 9),
            pad("P10", 9),
            pad("P50", 9),
            pad("P90", 9)
        );
        for c in &m.countries {
            let p = |v: Option<usize>| {
                v.and_then(|k| run.quarters.get(k))
                    .map_or("never".to_string(), |q| q.to_string())
            };
            let _ = writeln!(
                out,
                "{}{}{}{}{} of {} runs",
                pad(&c.country, 9),
                pad(&p(c.p10), 9),
                pad(&p(c.p50), 9),
                pad(&p(c.p90), 9),
                c.exhausted_runs,
                m.runs
            );
        }
    }
    out
}

/// Two runs side by side for a person.
pub fn compare_table(a: (&Scenario, &Run), b: (&Scenario, &Run)) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "A: `{}` under {}", a.0.name, a.0.rule_set);
    let _ = writeln!(out, "B: `{}` under {}", b.0.name, b.0.rule_set);
    let _ = writeln!(
        out,
        "{}{}{}{}{}",
        pad("country", 9),
        pad("A exhausted", 13),
        pad("B exhausted", 13),
        rpad("A granted H100e", 17),
        rpad("B granted H100e", 17)
    );
    let mut codes: Vec<&str> =
        a.1.countries
            .iter()
            .chain(b.1.countries.iter())
            .map(|c| c.country.as_str())
            .collect();
    codes.sort();
    codes.dedup();
    for code in codes {
        let side = |(sc, run): (&Scenario, &Run)| match run.country(code) {
            Some(c) => (
                c.exhausted
                    .and_then(|k| run.quarters.get(k))
                    .map_or("-".to_string(), |q| q.to_string()),
                grouped(h100e_milli(totals(c).1, sc.h100_tpp_milli), false),
            ),
            None => ("n/a".to_string(), "n/a".to_string()),
        };
        let (ea, ga) = side(a);
        let (eb, gb) = side(b);
        let _ = writeln!(
            out,
            "{}{}{}{}{}",
            pad(code, 9),
            pad(&ea, 13),
            pad(&eb, 13),
            rpad(&ga, 17),
            rpad(&gb, 17)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h100e_is_rounded_to_thousandths() {
        assert_eq!(h100e_milli(15_832_000, 15_832_000), 1000);
        assert_eq!(h100e_milli(-15_832_000, 15_832_000), -1000);
        assert_eq!(h100e_milli(1, 3000), 0);
    }
}
