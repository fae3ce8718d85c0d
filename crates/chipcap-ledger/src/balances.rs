//! Balances as a pure function of the entries (shared by every backend), history, and verify.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chipcap_core::country::CountryCode;
use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;

use crate::audit;
use crate::entry::*;
use crate::error::Error;
use crate::ledger::{by_seq, country_cap_pure, uplift_pure};
use crate::store::AuditRecord;

/// One allowance in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceRow {
    /// `country_allocation`, `lpp`, `nveu_allocation`, `uveu_country_share`,
    /// `uveu_outside_tier1_share`, `uveu_us_share`, `aia`, `licence`.
    pub allowance: &'static str,
    /// The entity (consignee, VEU) or licence number, if any.
    pub entity: Option<String>,
    /// The country, if any (`outside_tier1` for that share).
    pub country: Option<String>,
    /// The period (`2025-2027`, `2025`, `2025Q2`), if any.
    pub period: Option<String>,
    /// The cap (for a share: the share of the entity's installed base), milli-TPP.
    pub cap: Option<i64>,
    /// True for a minimum (the US share), false for a maximum.
    pub minimum: bool,
    /// Used, milli-TPP.
    pub used: i64,
    /// Cap minus used (for a minimum: used minus the minimum), milli-TPP.
    pub remaining: Option<i64>,
    /// Used as a share of the cap, hundredths of a percent.
    pub percent_bp: Option<i64>,
    /// Used in H100-equivalents, thousandths (display only, reading D11).
    pub h100e_milli: i64,
    /// Thresholds reached among 80, 90, 95, 100 percent (maximums only).
    pub thresholds: Vec<u32>,
}

/// The allowance names a [`BalanceRow`] can carry.
pub const ALLOWANCES: [&str; 10] = [
    "country_allocation",
    "lpp",
    "nveu_allocation",
    "uveu_country_share",
    "uveu_outside_tier1_share",
    "uveu_us_share",
    "aia",
    "licence",
    "china_us_share",
    "us_end_use",
];

/// The rule version an allowance belongs to: the framework's allocations and exceptions are kept
/// for analysis (`ai-diffusion-2025`); licences, US end-use shipments and the 50% China/US share are
/// the enforced line's (`advanced-computing-2023`).
pub fn allowance_rule_set(allowance: &str) -> &'static str {
    match allowance {
        "licence" | "china_us_share" | "us_end_use" => "advanced-computing-2023",
        _ => "ai-diffusion-2025",
    }
}

impl BalanceRow {
    /// The row as the CLI (`--json`) and the API (`/v1/ledger/balances`) write it: TPP as exact
    /// JSON numbers, percent with two decimals of precision.
    pub fn to_json(&self) -> serde_json::Value {
        let n = crate::ledger::milli_json;
        serde_json::json!({
            "allowance": self.allowance,
            "rule_set": allowance_rule_set(self.allowance),
            "entity": self.entity,
            "country": self.country,
            "period": self.period,
            "limit_kind": self.cap.map(|_| if self.minimum { "minimum" } else { "maximum" }),
            "cap_tpp": self.cap.map(n),
            "used_tpp": n(self.used),
            "remaining_tpp": self.remaining.map(n),
            "percent": self.percent_bp.map(|b| n(b * 10)),
            "h100_equivalents": n(self.h100e_milli),
            "thresholds_reached": self.thresholds,
        })
    }

    /// Reads a row written by [`BalanceRow::to_json`] (a server's answer), naming what is wrong.
    pub fn from_json(v: &serde_json::Value) -> Result<BalanceRow, Error> {
        let bad = |what: &str| Error::Input(format!("a balance row has a bad `{what}`: {v}"));
        let milli = |key: &str| -> Result<Option<i64>, Error> {
            match v.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::Number(n)) => {
                    chipcap_core::units::parse_signed_milli(&n.to_string())
                        .map(Some)
                        .map_err(|_| bad(key))
                }
                Some(_) => Err(bad(key)),
            }
        };
        let text = |key: &str| -> Result<Option<String>, Error> {
            match v.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(bad(key)),
            }
        };
        let name = text("allowance")?.ok_or_else(|| bad("allowance"))?;
        let allowance = ALLOWANCES
            .iter()
            .find(|a| **a == name)
            .copied()
            .ok_or_else(|| bad("allowance"))?;
        let thresholds = match v.get("thresholds_reached") {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|t| {
                    t.as_u64()
                        .and_then(|t| u32::try_from(t).ok())
                        .ok_or_else(|| bad("thresholds_reached"))
                })
                .collect::<Result<Vec<u32>, Error>>()?,
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(_) => return Err(bad("thresholds_reached")),
        };
        Ok(BalanceRow {
            allowance,
            entity: text("entity")?,
            country: text("country")?,
            period: text("period")?,
            cap: milli("cap_tpp")?,
            minimum: text("limit_kind")?.as_deref() == Some("minimum"),
            used: milli("used_tpp")?.ok_or_else(|| bad("used_tpp"))?,
            remaining: milli("remaining_tpp")?,
            percent_bp: milli("percent")?.map(|m| m / 10),
            h100e_milli: milli("h100_equivalents")?.unwrap_or(0),
            thresholds,
        })
    }
}

/// Reversals by the id they reverse, with their dates.
pub(crate) fn reversals(entries: &[Entry]) -> BTreeMap<String, Date> {
    let mut m = BTreeMap::new();
    for e in entries {
        if let Body::Reversal { of, .. } = &e.body {
            m.insert(of.clone(), e.date);
        }
    }
    m
}

/// The draws of every entry, derived from the entries alone.
pub fn derive_draws(entries: &[Entry]) -> Result<Vec<(u64, Draw)>, Error> {
    let by_id: HashMap<&str, &Entry> = entries.iter().map(|e| (e.client_id.as_str(), e)).collect();
    let mut out = Vec::new();
    for e in entries {
        let orig = match &e.body {
            Body::Reversal { of, .. } => by_id.get(of.as_str()).copied(),
            _ => None,
        };
        for d in draws_of(e, orig)? {
            out.push((e.seq, d));
        }
    }
    Ok(out)
}

fn ratio_bp(used: i64, cap: i64) -> Option<i64> {
    if cap <= 0 {
        return None;
    }
    i64::try_from(i128::from(used) * 10_000 / i128::from(cap)).ok()
}

fn thresholds(used: i64, cap: i64) -> Vec<u32> {
    [80u32, 90, 95, 100]
        .into_iter()
        .filter(|t| i128::from(used) * 100 >= i128::from(*t) * i128::from(cap))
        .collect()
}

fn pct(total: i64, p: u32) -> i64 {
    i64::try_from(i128::from(total) * i128::from(p) / 100).unwrap_or(i64::MAX)
}

fn latest_party<'a>(
    entries: &'a [Entry],
    rev: &BTreeMap<String, Date>,
    name: &str,
    as_of: Date,
) -> Option<&'a Party> {
    entries
        .iter()
        .filter(|e| e.date <= as_of && rev.get(&e.client_id).is_none_or(|d| *d > as_of))
        .filter_map(|e| match &e.body {
            Body::Party(p) if p.name == name => Some((e.date, e.seq, p)),
            _ => None,
        })
        .max_by_key(|(d, s, _)| (*d, *s))
        .map(|(_, _, p)| p)
}

/// Every allowance as of `as_of`: cap, used, remaining, percent, H100-equivalents, thresholds.
pub fn balances(entries: &[Entry], as_of: Date, rules: &RuleSet) -> Result<Vec<BalanceRow>, Error> {
    let rev = reversals(entries);
    let mut sums: BTreeMap<Key, i64> = BTreeMap::new();
    for (_, d) in derive_draws(entries)? {
        if d.date <= as_of {
            let k = Key::parse(&d.key)?;
            let s = sums.entry(k).or_insert(0);
            *s = s.saturating_add(d.amount);
        }
    }
    let h100 = rules.params.h100_tpp.at(as_of).value.milli().max(1);
    let h = |v: i64| i64::try_from(i128::from(v) * 1000 / i128::from(h100)).unwrap_or(i64::MAX);
    let tier1 = rules.groups.tier1.at(as_of).value;
    let licences: HashMap<&str, &LicenceGrant> = entries
        .iter()
        .filter_map(|e| match &e.body {
            Body::LicenceGrant(l) => Some((l.number.as_str(), l)),
            _ => None,
        })
        .collect();
    let mut rows = Vec::new();
    let row = |allowance,
               entity: Option<String>,
               country: Option<String>,
               period: Option<String>,
               cap: Option<i64>,
               minimum: bool,
               used: i64| {
        let remaining = cap.map(|c| if minimum { used - c } else { c - used });
        BalanceRow {
            allowance,
            entity,
            country,
            period,
            cap,
            minimum,
            used,
            remaining,
            percent_bp: cap.and_then(|c| ratio_bp(used, c)),
            h100e_milli: h(used),
            thresholds: match (cap, minimum) {
                (Some(c), false) => thresholds(used, c),
                _ => Vec::new(),
            },
        }
    };
    let mut uveu: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for (k, used) in &sums {
        match k {
            Key::Country(c) => {
                let up = uplift_pure(rules, entries, &rev, *c, as_of);
                rows.push(row(
                    "country_allocation",
                    None,
                    Some(c.as_str().to_string()),
                    Some("2025-2027".into()),
                    Some(country_cap_pure(rules, as_of, up)),
                    false,
                    *used,
                ));
            }
            Key::Lpp(n, y) => {
                let cap = rules.params.lpp_limit.at(as_of).value.milli();
                rows.push(row(
                    "lpp",
                    Some(n.clone()),
                    None,
                    Some(y.to_string()),
                    i64::try_from(cap).ok(),
                    false,
                    *used,
                ));
            }
            Key::Nveu(n, c) => {
                let cap = rules
                    .nveu_cap(as_of)
                    .and_then(|(q, _)| i64::try_from(q.cap.milli()).ok());
                rows.push(row(
                    "nveu_allocation",
                    Some(n.clone()),
                    Some(c.as_str().to_string()),
                    Some(as_of.quarter().to_string()),
                    cap,
                    false,
                    *used,
                ));
            }
            Key::Uveu(n, c) => uveu
                .entry(n.clone())
                .or_default()
                .push((c.as_str().to_string(), *used)),
            Key::Aia(n) => rows.push(row("aia", Some(n.clone()), None, None, None, false, *used)),
            Key::Licence(l) => {
                let cap = licences
                    .get(l.as_str())
                    .and_then(|g| i64::try_from(g.tpp.milli()).ok());
                rows.push(row(
                    "licence",
                    Some(l.clone()),
                    None,
                    None,
                    cap,
                    false,
                    *used,
                ));
            }
            Key::UsEndUse(c) => rows.push(row(
                "us_end_use",
                Some(c.clone()),
                Some("US".into()),
                None,
                None,
                false,
                *used,
            )),
            Key::ChinaMacau(c) => {
                let us = sums.get(&Key::UsEndUse(c.clone())).copied().unwrap_or(0);
                let share = *rules
                    .advanced
                    .params
                    .china_us_share_max_percent
                    .at(as_of)
                    .value;
                rows.push(row(
                    "china_us_share",
                    Some(c.clone()),
                    Some("CN+MO".into()),
                    None,
                    Some(pct(us, share)),
                    false,
                    *used,
                ));
            }
        }
    }
    let p = &rules.params;
    for (n, by_country) in uveu {
        let total: i64 = by_country.iter().map(|(_, v)| *v).sum();
        let mut outside = 0i64;
        let mut us = 0i64;
        for (c, v) in &by_country {
            let cc = CountryCode::parse(c);
            if cc.is_some_and(|cc| !tier1.contains(cc)) {
                outside += v;
                let max = *p.uveu_max_tier2_country_percent.at(as_of).value;
                rows.push(row(
                    "uveu_country_share",
                    Some(n.clone()),
                    Some(c.clone()),
                    None,
                    Some(pct(total, max)),
                    false,
                    *v,
                ));
            }
            if cc == Some(CountryCode::US) {
                us += v;
            }
        }
        let max_out = *p.uveu_max_outside_tier1_percent.at(as_of).value;
        rows.push(row(
            "uveu_outside_tier1_share",
            Some(n.clone()),
            Some("outside_tier1".into()),
            None,
            Some(pct(total, max_out)),
            false,
            outside,
        ));
        let us_hq = latest_party(entries, &rev, &n, as_of)
            .is_some_and(|pt| pt.headquarters == CountryCode::US);
        if us_hq {
            let min = *p.uveu_min_us_percent.at(as_of).value;
            rows.push(row(
                "uveu_us_share",
                Some(n.clone()),
                Some("US".into()),
                None,
                Some(pct(total, min)),
                true,
                us,
            ));
        }
    }
    Ok(rows)
}

/// Filters for `history`.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    /// A party: the consignee, party name, or licence consignee.
    pub party: Option<String>,
    /// A country: destination, VEU country, assurance country, headquarters.
    pub country: Option<String>,
    /// An allowance name (`lpp`, `country_allocation`, `nveu_allocation`, `uveu_installed`, `aia`,
    /// `licence`): entries that draw on it.
    pub allowance: Option<String>,
    /// First date.
    pub from: Option<Date>,
    /// Last date.
    pub to: Option<Date>,
}

/// Entries matching the filter, with their draws.
pub fn history(entries: &[Entry], f: &HistoryFilter) -> Result<Vec<(Entry, Vec<Draw>)>, Error> {
    let draws = by_seq(&derive_draws(entries)?);
    let mut out = Vec::new();
    for e in entries {
        if f.from.is_some_and(|d| e.date < d) || f.to.is_some_and(|d| e.date > d) {
            continue;
        }
        let (party, countries): (Option<&str>, Vec<&str>) = match &e.body {
            Body::Party(p) => (
                Some(&p.name),
                std::iter::once(p.headquarters.as_str())
                    .chain(
                        p.veu
                            .iter()
                            .flat_map(|v| v.countries.iter().map(CountryCode::as_str)),
                    )
                    .collect(),
            ),
            Body::Assurance(a) => (None, vec![a.country.as_str()]),
            Body::LicenceGrant(l) => (Some(&l.consignee), vec![l.destination.as_str()]),
            Body::Shipment(s) => (Some(&s.consignee), vec![s.destination.as_str()]),
            Body::Attrition(a) => (Some(&a.consignee), vec![a.country.as_str()]),
            Body::Disposition(d) => (Some(&d.party), Vec::new()),
            Body::UsShipment(_) => (None, vec!["US"]),
            Body::Adjustment(_) | Body::Reversal { .. } => (None, Vec::new()),
        };
        let ds = draws.get(&e.seq).cloned().unwrap_or_default();
        let keys: Vec<Key> = ds.iter().filter_map(|d| Key::parse(&d.key).ok()).collect();
        let key_party = |p: &str| {
            keys.iter().any(|k| match k {
                Key::Lpp(n, _) | Key::Nveu(n, _) | Key::Uveu(n, _) | Key::Aia(n) => n == p,
                _ => false,
            })
        };
        let key_country = |c: &str| {
            keys.iter().any(|k| match k {
                Key::Country(x) | Key::Nveu(_, x) | Key::Uveu(_, x) => x.as_str() == c,
                _ => false,
            })
        };
        if let Some(p) = &f.party {
            if party != Some(p.as_str()) && !key_party(p) {
                continue;
            }
        }
        if let Some(c) = &f.country {
            let c = c.to_ascii_uppercase();
            if !countries.contains(&c.as_str()) && !key_country(&c) {
                continue;
            }
        }
        if let Some(a) = &f.allowance {
            if !keys.iter().any(|k| k.allowance() == a) {
                continue;
            }
        }
        out.push((e.clone(), ds));
    }
    Ok(out)
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: usize,
    /// Audit records checked.
    pub audit_records: usize,
    /// Allowances checked.
    pub allowances: usize,
    /// One line per discrepancy; empty when the ledger verifies.
    pub problems: Vec<String>,
}

/// Compares every entry with the entry its audit record carries (ledger format 2), both ways.
fn tie_entries_to_audit(entries: &[Entry], log: &[AuditRecord]) -> Vec<String> {
    let mut problems = Vec::new();
    let by_id: HashMap<&str, &AuditRecord> =
        log.iter().map(|r| (r.client_id.as_str(), r)).collect();
    let stored: HashMap<&str, &Entry> = entries.iter().map(|e| (e.client_id.as_str(), e)).collect();
    let mut ids = BTreeSet::new();
    for e in entries {
        if !ids.insert(e.client_id.as_str()) {
            problems.push(format!("entry id `{}` is used twice", e.client_id));
        }
        let Some(r) = by_id.get(e.client_id.as_str()) else {
            problems.push(format!(
                "entry {} (`{}`) has no audit record",
                e.seq, e.client_id
            ));
            continue;
        };
        if r.entry.is_empty() {
            continue; // format 1
        }
        match serde_json::from_str::<Option<Entry>>(&r.entry) {
            Ok(Some(a)) if a == *e => {}
            Ok(Some(_)) => problems.push(format!(
                "entry {} (`{}`) differs from the entry its audit record {} recorded: it was altered",
                e.seq, e.client_id, r.seq
            )),
            Ok(None) => problems.push(format!(
                "entry {} (`{}`) was not recorded by its operation (audit record {} recorded nothing): it was inserted",
                e.seq, e.client_id, r.seq
            )),
            Err(x) => problems.push(format!(
                "audit record {} carries an entry that cannot be read: {x}",
                r.seq
            )),
        }
    }
    for r in log.iter().filter(|r| !r.entry.is_empty()) {
        if let Ok(Some(a)) = serde_json::from_str::<Option<Entry>>(&r.entry) {
            if !stored.contains_key(a.client_id.as_str()) {
                problems.push(format!(
                    "entry {} (`{}`) recorded by audit record {} is missing from the ledger: it was deleted",
                    a.seq, a.client_id, r.seq
                ));
            }
        }
    }
    problems
}

/// Re-derives every draw from the entries and compares with the stored ones, checks every balance
/// against zero and its cap on every date it changed, ties every entry to the entry its audit
/// record carries, and checks the audit chain and that it still contains every checkpoint (a hash
/// printed by an earlier write; a chain truncated before it fails).
pub fn verify(
    entries: &[Entry],
    stored: &[(u64, Draw)],
    log: &[AuditRecord],
    rules: &RuleSet,
    checkpoints: &[String],
) -> VerifyReport {
    let mut problems = Vec::new();
    let derived = match derive_draws(entries) {
        Ok(d) => d,
        Err(e) => {
            problems.push(format!("entries cannot be read: {e}"));
            Vec::new()
        }
    };
    // 1. Stored running sums = draws derived from the entries.
    let mut a = by_seq(&derived);
    let mut b = by_seq(stored);
    let seqs: BTreeSet<u64> = a.keys().chain(b.keys()).copied().collect();
    for s in seqs {
        let mut x = a.remove(&s).unwrap_or_default();
        let mut y = b.remove(&s).unwrap_or_default();
        x.sort();
        y.sort();
        if x != y {
            problems.push(format!(
                "entry {s}: stored draws {y:?} differ from the draws derived from the entry {x:?}"
            ));
        }
    }
    // 2. Every entry is the one its audit record carries, and every entry an audit record carries
    // is in the ledger (records of ledger format 1 carry none: their entries are only checked to
    // have a record); ids are unique.
    problems.extend(tie_entries_to_audit(entries, log));
    // 3. Balances over time: never negative, never over the cap (a forced grant is flagged, not an error).
    let rev = reversals(entries);
    let licences: HashMap<&str, &LicenceGrant> = entries
        .iter()
        .filter_map(|e| match &e.body {
            Body::LicenceGrant(l) => Some((l.number.as_str(), l)),
            _ => None,
        })
        .collect();
    let forced: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| match &e.body {
            Body::LicenceGrant(l) if l.forced.is_some() => Some(Key::Country(l.destination).text()),
            _ => None,
        })
        .collect();
    let mut per_key: BTreeMap<&str, Vec<&Draw>> = BTreeMap::new();
    for (_, d) in &derived {
        per_key.entry(d.key.as_str()).or_default().push(d);
    }
    let allowances = per_key.len();
    for (k, mut ds) in per_key {
        ds.sort_by_key(|d| d.date);
        let key = match Key::parse(k) {
            Ok(key) => key,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let mut bal: i64 = 0;
        let mut i = 0;
        while i < ds.len() {
            let date = ds[i].date;
            while i < ds.len() && ds[i].date == date {
                bal = bal.saturating_add(ds[i].amount);
                i += 1;
            }
            if bal < 0 {
                problems.push(format!(
                    "allowance `{k}` is negative on {date}: {bal} milli-TPP"
                ));
            }
            let cap = match &key {
                Key::Country(c) => Some(country_cap_pure(
                    rules,
                    date,
                    uplift_pure(rules, entries, &rev, *c, date),
                )),
                Key::Lpp(..) => i64::try_from(rules.params.lpp_limit.at(date).value.milli()).ok(),
                Key::Nveu(..) => rules
                    .nveu_cap(date)
                    .and_then(|(q, _)| i64::try_from(q.cap.milli()).ok()),
                Key::Licence(n) => licences
                    .get(n.as_str())
                    .and_then(|l| i64::try_from(l.tpp.milli()).ok()),
                Key::Uveu(..) | Key::Aia(_) | Key::UsEndUse(_) | Key::ChinaMacau(_) => None,
            };
            if let Some(c) = cap {
                if bal > c && !forced.contains(k) {
                    problems.push(format!(
                        "allowance `{k}` exceeds its cap on {date}: {bal} > {c} milli-TPP"
                    ));
                }
            }
        }
    }
    // 4. The audit chain, and the checkpoints it must still contain.
    problems.extend(audit::check_chain(log));
    for c in checkpoints {
        let c = c.trim().to_ascii_lowercase();
        if !log.iter().any(|r| r.hash == c) {
            problems.push(format!(
                "the audit chain does not contain the checkpoint `{c}`: records were removed from its tail (or this is another ledger)"
            ));
        }
    }
    VerifyReport {
        entries: entries.len(),
        audit_records: log.len(),
        allowances,
        problems,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_balance_row_reads_back_what_it_writes() {
        let rows = [
            BalanceRow {
                allowance: "lpp",
                entity: Some("Acme, Inc.".into()),
                country: None,
                period: Some("2025".into()),
                cap: Some(26_900_000_000),
                minimum: false,
                used: 26_899_999_999,
                remaining: Some(1),
                percent_bp: Some(9_999),
                h100e_milli: 1_699_191,
                thresholds: vec![80, 90, 95],
            },
            BalanceRow {
                allowance: "uveu_us_share",
                entity: Some("X".into()),
                country: None,
                period: None,
                cap: Some(5_000),
                minimum: true,
                used: -3,
                remaining: Some(-5_003),
                percent_bp: None,
                h100e_milli: 0,
                thresholds: Vec::new(),
            },
        ];
        for r in rows {
            assert_eq!(BalanceRow::from_json(&r.to_json()).unwrap(), r);
        }
        assert!(
            BalanceRow::from_json(&serde_json::json!({"allowance": "nope", "used_tpp": 1}))
                .is_err()
        );
        assert!(
            BalanceRow::from_json(&serde_json::json!({"allowance": "lpp", "used_tpp": "1"}))
                .is_err()
        );
    }
}
