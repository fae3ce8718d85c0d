//! Model-based property test: random grants, shipments, reversals and attrition give the same
//! outcomes and balances on every backend as on the in-memory model, verify passes, and no balance
//! exceeds its cap.

use chipcap_ledger::balances::BalanceRow;
use chipcap_ledger::entry::{Attrition, Body, Cause, Entry, Party, VeuAuthorization, VeuKind};
use chipcap_ledger::{GrantInput, Ledger};
use proptest::prelude::*;

use crate::common::*;

#[derive(Clone, Debug)]
enum Op {
    Ship {
        cons: usize,
        dest: usize,
        units: u64,
        day: i64,
    },
    Grant {
        dest: usize,
        units: u64,
        day: i64,
        force: bool,
    },
    Reverse {
        pick: usize,
        day: i64,
    },
    Attrition {
        units: u64,
        day: i64,
    },
}

const CONSIGNEES: [&str; 3] = ["C0", "C1", "N0"];
const DESTS: [&str; 3] = ["IN", "AE", "BR"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..3usize, 1..400u64, 0..365i64).prop_map(|(cons, dest, units, day)| Op::Ship { cons, dest, units, day }),
        2 => (0..3usize, 100..4000u64, 0..365i64, proptest::bool::weighted(0.1)).prop_map(|(dest, units, day, force)| Op::Grant { dest, units, day, force }),
        1 => (0..1000usize, 0..365i64).prop_map(|(pick, day)| Op::Reverse { pick, day }),
        1 => (1..3000u64, 0..365i64).prop_map(|(units, day)| Op::Attrition { units, day }),
    ]
}

fn date(day: i64) -> chipcap_core::date::Date {
    let start = d("2025-01-01").days_since_epoch();
    chipcap_core::date::Date::from_days_since_epoch(start + day).unwrap()
}

fn entry(id: &str, day: i64, body: Body) -> Entry {
    Entry {
        seq: 0,
        client_id: id.into(),
        recorded_by: "model".into(),
        recorded_at: "2025-06-01T12:00:00Z".into(),
        date: date(day),
        body,
    }
}

/// Runs the ops; returns one line per outcome (the result document or the error).
fn run(l: &mut Ledger<'_>, ops: &[Op]) -> Vec<String> {
    let mut out = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let r = l.record(&entry(
        "party",
        0,
        Body::Party(Party {
            name: "N0".into(),
            headquarters: chipcap_core::country::CountryCode::parse("AE").unwrap(),
            veu: vec![VeuAuthorization {
                kind: VeuKind::Nveu,
                countries: vec![chipcap_core::country::CountryCode::parse("AE").unwrap()],
                from: date(0),
                to: None,
            }],
        }),
    ));
    out.push(format!("{r:?}"));
    for (i, op) in ops.iter().enumerate() {
        let id = format!("op{i}");
        let res = match op {
            Op::Ship { cons, dest, units, day } => {
                let mut r = serde_json::json!({
                    "id": id, "date": date(*day).to_string(), "rule_set": "ai-diffusion-2025", "destination": DESTS[*dest],
                    "items": [{"tpp": 100000, "die_area_mm2": 800, "datacenter": true, "quantity": units}],
                    "consignee": {"name": CONSIGNEES[*cons]},
                });
                if *dest != 1 && *units > 50 {
                    r["licence"] = format!("L-op{}", i.saturating_sub(1)).into();
                }
                l.apply(&r.to_string(), &meta(), date(*day))
            }
            Op::Grant { dest, units, day, force } => l.grant(
                &GrantInput {
                    client_id: id.clone(),
                    number: format!("L-{id}"),
                    consignee: "C0".into(),
                    destination: DESTS[*dest].into(),
                    items: serde_json::json!([{"tpp": 100000, "die_area_mm2": 800, "datacenter": true, "quantity": units * 10}]),
                    date: date(*day),
                    valid_to: date(*day + 200),
                    force: force.then(|| "forced by the model".to_string()),
                },
                &meta(),
            ),
            Op::Reverse { pick, day } => {
                if ids.is_empty() {
                    continue;
                }
                let of = ids[pick % ids.len()].clone();
                l.record(&entry(&id, *day, Body::Reversal { of, reason: "model".into() }))
            }
            Op::Attrition { units, day } => l.record(&entry(&id, *day, Body::Attrition(Attrition {
                consignee: "N0".into(),
                country: chipcap_core::country::CountryCode::parse("AE").unwrap(),
                veu: VeuKind::Nveu,
                tpp: chipcap_core::units::Tpp::from_milli(units * 100_000_000),
                cause: Cause::Damage,
            }))),
        };
        if let Ok(o) = &res {
            if o.recorded {
                ids.push(id.clone());
            }
        }
        out.push(match res {
            Ok(o) => o.json,
            Err(e) => format!("error: {e}"),
        });
    }
    out
}

fn within_caps(rows: &[BalanceRow], forced_countries: &[&str]) -> Result<(), String> {
    for r in rows {
        if let (Some(c), false) = (r.cap, r.minimum) {
            let forced = r.allowance == "country_allocation"
                && r.country
                    .as_deref()
                    .is_some_and(|x| forced_countries.contains(&x));
            let share = r.allowance.starts_with("uveu");
            if r.used > c && !forced && !share {
                return Err(format!("{r:?} exceeds its cap"));
            }
        }
        if r.used < 0 {
            return Err(format!("{r:?} is negative"));
        }
    }
    Ok(())
}

fn check(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let backends = [Backend::Memory, Backend::Sqlite, Backend::Postgres];
    let mut reference: Option<(Vec<String>, Vec<Vec<BalanceRow>>)> = None;
    let forced: Vec<&str> = ops
        .iter()
        .filter_map(|o| match o {
            Op::Grant {
                dest, force: true, ..
            } => Some(DESTS[*dest]),
            _ => None,
        })
        .collect();
    for b in backends {
        let Some(f) = Fixture::new(b, "model") else {
            continue;
        };
        let mut l = f.ledger();
        let outcomes = run(&mut l, &ops);
        let v = l.verify().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(v.problems.is_empty(), "{b:?} verify: {:?}", v.problems);
        let mut bals = Vec::new();
        for day in [0, 90, 180, 270, 364] {
            let rows = l
                .balances(date(day))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            within_caps(&rows, &forced).map_err(TestCaseError::fail)?;
            bals.push(rows);
        }
        match &reference {
            None => reference = Some((outcomes, bals)),
            Some((o, bs)) => {
                prop_assert_eq!(o, &outcomes, "{:?} outcomes differ from the model", b);
                prop_assert_eq!(bs, &bals, "{:?} balances differ from the model", b);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 64, ..ProptestConfig::default() })]
    #[test]
    fn every_backend_matches_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        check(ops)?;
    }
}
