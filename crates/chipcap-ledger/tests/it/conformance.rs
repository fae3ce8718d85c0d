//! The conformance suite: every scenario runs on the in-memory model, SQLite and PostgreSQL.

use chipcap_ledger::balances::{BalanceRow, HistoryFilter};
use chipcap_ledger::entry::{
    Attrition, Body, Cause, Disposition, DispositionKind, Entry, Key, Party, UsShipment,
    VeuAuthorization, VeuKind,
};
use chipcap_ledger::{import, Error, GrantInput, Ledger, PreparedApply};

use crate::common::*;
use crate::on_every_backend;

on_every_backend!(
    lpp_is_drawn_to_the_last_milli_tpp,
    reapplying_an_id_returns_the_first_result,
    nveu_quarter_cap_and_attrition,
    veu_claims_need_a_party_record,
    grants_are_refused_past_the_allocation_unless_forced,
    shipments_under_a_licence,
    reversals_restore_balances_once,
    as_of_answers_past_dates,
    import_is_all_or_nothing_and_names_the_line,
    history_filters,
    tampering_is_detected,
    dispositions_are_recorded_superseded_and_reversed,
    a_batch_is_decided_in_order_and_committed_once,
    verify_detects_a_deleted_entry_and_its_draws,
    verify_detects_an_amount_edited_consistently,
    verify_detects_an_entry_moved_to_another_year,
    verify_detects_a_spelling_deleted_from_the_index,
    verify_detects_an_entry_inserted_under_a_refused_id,
    verify_detects_forced_added_to_a_grant,
    verify_detects_a_truncated_tail_against_a_checkpoint,
    lpp_is_keyed_on_the_party_not_its_spelling,
    two_spellings_of_one_party_resolve_alike,
    the_china_us_share_follows_recorded_us_shipments,
    a_negative_stored_sum_is_corruption_not_zero,
);

/// An explicit .a-type chip: `tpp` whole TPP per unit.
pub fn spec_req(
    id: &str,
    date: &str,
    dest: &str,
    consignee: &str,
    tpp: u64,
    qty: u64,
) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "date": date,
        "rule_set": "ai-diffusion-2025",
        "destination": dest,
        "items": [{"tpp": tpp, "die_area_mm2": 800, "datacenter": true, "quantity": qty}],
        "consignee": {"name": consignee},
    })
}

fn entry(id: &str, date: &str, body: Body) -> Entry {
    Entry {
        seq: 0,
        client_id: id.into(),
        recorded_by: "test".into(),
        recorded_at: "2025-06-01T12:00:00Z".into(),
        date: d(date),
        body,
    }
}

fn row<'a>(
    rows: &'a [BalanceRow],
    allowance: &str,
    entity: Option<&str>,
    country: Option<&str>,
) -> &'a BalanceRow {
    rows.iter()
        .find(|r| {
            r.allowance == allowance
                && r.entity.as_deref() == entity
                && r.country.as_deref() == country
        })
        .unwrap_or_else(|| panic!("no {allowance} row for {entity:?} {country:?} in {rows:?}"))
}

/// The shipment entry recorded under `id`.
fn shipment(l: &mut Ledger<'_>, id: &str) -> chipcap_ledger::entry::Shipment {
    let e = l
        .entries()
        .unwrap()
        .into_iter()
        .find(|e| e.client_id == id)
        .unwrap();
    match e.body {
        Body::Shipment(s) => s,
        other => panic!("{other:?}"),
    }
}

fn clean(l: &mut Ledger<'_>) {
    let v = l.verify().unwrap();
    assert!(v.problems.is_empty(), "verify: {:?}", v.problems);
}

fn lpp_is_drawn_to_the_last_milli_tpp(b: Backend) {
    let Some(f) = Fixture::new(b, "lpp") else {
        return;
    };
    let mut l = f.ledger();
    let (det, rec) = apply(
        &mut l,
        &req("a1", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 1000),
    );
    assert_eq!(det["authorization"], "LPP");
    assert!(rec);
    assert_eq!(det["recorded"], true);
    // 1000 + 700 H100 = 26,914,400 TPP > 26,900,000: LPP no longer covers it, nothing is recorded.
    let (det, rec) = apply(
        &mut l,
        &req("a2", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 700),
    );
    assert_eq!(det["decision"], "license_required");
    assert!(!rec);
    assert_eq!(det["recorded"], false);
    let lpp = det["allowances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["allowance"] == "lpp")
        .unwrap()
        .clone();
    assert_eq!(lpp["used_before_tpp"], serde_json::json!(15832000));
    // 1699 H100 = 26,898,568 TPP fits.
    let (_, rec) = apply(
        &mut l,
        &req("a3", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 699),
    );
    assert!(rec);
    let (_, rec) = apply(
        &mut l,
        &req("a4", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 1),
    );
    assert!(!rec);
    // A new calendar year starts a new allowance.
    let (det, rec) = apply(
        &mut l,
        &req("a5", "2026-01-02", "IN", "Acme", "nvidia-h100-sxm", 1),
    );
    assert!(rec, "{det}");
    let rows = l.balances(d("2025-12-31")).unwrap();
    let r = row(&rows, "lpp", Some("Acme"), None);
    assert_eq!(r.used, 1699 * h100());
    assert_eq!(r.cap, Some(26_900_000_000));
    assert_eq!(r.thresholds, vec![80, 90, 95]);
    assert_eq!(
        l.stored_sum(&Key::Lpp("Acme".into(), 2025), d("2025-12-31"))
            .unwrap(),
        1699 * h100()
    );
    clean(&mut l);
}

fn reapplying_an_id_returns_the_first_result(b: Backend) {
    let Some(f) = Fixture::new(b, "idem") else {
        return;
    };
    let mut l = f.ledger();
    let r = req("same", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 10);
    let first = l.apply(&r.to_string(), &meta(), d("2025-06-01")).unwrap();
    assert!(first.recorded && !first.replayed);
    let again = l.apply(&r.to_string(), &meta(), d("2025-06-01")).unwrap();
    assert!(again.replayed);
    assert_eq!(again.json, first.json);
    // Even with a different body, the first result comes back and nothing new is recorded.
    let other = req("same", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 20);
    let o = l
        .apply(&other.to_string(), &meta(), d("2025-06-01"))
        .unwrap();
    assert_eq!(o.json, first.json);
    assert_eq!(l.entries().unwrap().len(), 1);
    assert_eq!(l.audit_log().unwrap().len(), 1);
    // The same id for another kind of operation is a conflict.
    let e = l.record(&entry(
        "same",
        "2025-06-01",
        Body::Adjustment(chipcap_ledger::entry::Adjustment {
            key: "lpp|Acme|2025".into(),
            amount_milli: 1,
            reason: "x".into(),
        }),
    ));
    assert!(matches!(e, Err(Error::Conflict(_))), "{e:?}");
    clean(&mut l);
}

fn dc_party(l: &mut Ledger<'_>, id: &str) {
    l.record(&entry(
        id,
        "2025-01-15",
        Body::Party(Party {
            name: "DC Corp".into(),
            headquarters: chipcap_core::country::CountryCode::parse("AE").unwrap(),
            veu: vec![VeuAuthorization {
                kind: VeuKind::Nveu,
                countries: vec![chipcap_core::country::CountryCode::parse("AE").unwrap()],
                from: d("2025-01-15"),
                to: None,
            }],
        }),
    ))
    .unwrap();
}

fn nveu_quarter_cap_and_attrition(b: Backend) {
    let Some(f) = Fixture::new(b, "nveu") else {
        return;
    };
    let mut l = f.ledger();
    // Use up DC Corp's LPP for 2025 first (269 x 100,000 = 26,900,000 TPP), so that what NVEU refuses
    // is refused outright.
    assert!(
        apply(
            &mut l,
            &spec_req("lpp", "2025-01-02", "AE", "DC Corp", 100_000, 269)
        )
        .1
    );
    dc_party(&mut l, "p1");
    // 2025Q2 cap 949,500,000 TPP = 9,495 units of 100,000 TPP.
    let (det, rec) = apply(
        &mut l,
        &spec_req("n1", "2025-06-01", "AE", "DC Corp", 100_000, 9_000),
    );
    assert_eq!(det["authorization"], "NVEU", "{det}");
    assert!(rec);
    let (det, rec) = apply(
        &mut l,
        &spec_req("n2", "2025-06-01", "AE", "DC Corp", 100_000, 496),
    );
    assert!(!rec, "{det}");
    let (_, rec) = apply(
        &mut l,
        &spec_req("n3", "2025-06-01", "AE", "DC Corp", 100_000, 495),
    );
    assert!(rec);
    let rows = l.balances(d("2025-06-30")).unwrap();
    let r = row(&rows, "nveu_allocation", Some("DC Corp"), Some("AE"));
    assert_eq!(
        (r.used, r.cap, r.remaining),
        (949_500_000_000, Some(949_500_000_000), Some(0))
    );
    assert_eq!(r.thresholds, vec![80, 90, 95, 100]);
    // Attrition takes chips out of the installed base: room for exactly 10 more units.
    l.record(&entry(
        "att1",
        "2025-06-02",
        Body::Attrition(Attrition {
            consignee: "DC Corp".into(),
            country: chipcap_core::country::CountryCode::parse("AE").unwrap(),
            veu: VeuKind::Nveu,
            tpp: chipcap_core::units::Tpp::from_milli(1_000_000_000),
            cause: Cause::Failure,
        }),
    ))
    .unwrap();
    let (_, rec) = apply(
        &mut l,
        &spec_req("n4", "2025-06-03", "AE", "DC Corp", 100_000, 11),
    );
    assert!(!rec);
    let (_, rec) = apply(
        &mut l,
        &spec_req("n5", "2025-06-03", "AE", "DC Corp", 100_000, 10),
    );
    assert!(rec);
    // Attrition cannot take out more than is installed.
    let e = l.record(&entry(
        "att2",
        "2025-06-04",
        Body::Attrition(Attrition {
            consignee: "DC Corp".into(),
            country: chipcap_core::country::CountryCode::parse("AE").unwrap(),
            veu: VeuKind::Nveu,
            tpp: chipcap_core::units::Tpp::from_milli(949_500_000_001),
            cause: Cause::Loss,
        }),
    ));
    assert!(matches!(e, Err(Error::NegativeBalance { .. })), "{e:?}");
    // Reversing the attrition would put the base over the cap: refused.
    let e = l.record(&entry(
        "rev-att1",
        "2025-06-05",
        Body::Reversal {
            of: "att1".into(),
            reason: "found".into(),
        },
    ));
    assert!(matches!(e, Err(Error::CapExceeded { .. })), "{e:?}");
    clean(&mut l);
}

fn veu_claims_need_a_party_record(b: Backend) {
    let Some(f) = Fixture::new(b, "veu") else {
        return;
    };
    let mut l = f.ledger();
    // 300 units = 30,000,000 TPP: more than LPP covers.
    let mut r = spec_req("v1", "2025-06-01", "AE", "DC Corp", 100_000, 300);
    r["consignee"]["authorization"] = "nveu".into();
    let (det, rec) = apply(&mut l, &r);
    assert_ne!(det["authorization"], "NVEU");
    assert!(
        det["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["code"] == "veu_not_recorded"),
        "{det}"
    );
    assert!(!rec, "{det}");
    dc_party(&mut l, "p1");
    r["id"] = "v2".into();
    let (det, rec) = apply(&mut l, &r);
    assert_eq!(det["authorization"], "NVEU");
    assert!(rec);
    // A request whose headquarters contradicts the party record is refused as bad input.
    let mut r = spec_req("v3", "2025-06-01", "AE", "DC Corp", 100_000, 300);
    r["consignee"]["headquarters"] = "US".into();
    let e = l.apply(&r.to_string(), &meta(), d("2025-06-01"));
    assert!(
        matches!(&e, Err(Error::Request(m)) if m.to_string().contains("headquarters")),
        "{e:?}"
    );
    // Before the authorisation's date it is not held.
    let (det, _) = apply(
        &mut l,
        &spec_req("v4", "2025-01-14", "AE", "DC Corp", 100_000, 300),
    );
    assert_ne!(det["authorization"], "NVEU");
    clean(&mut l);
}

fn grant(
    id: &str,
    number: &str,
    consignee: &str,
    dest: &str,
    tpp: u64,
    qty: u64,
    force: Option<&str>,
) -> GrantInput {
    GrantInput {
        client_id: id.into(),
        number: number.into(),
        consignee: consignee.into(),
        destination: dest.into(),
        items: serde_json::json!([{"tpp": tpp, "die_area_mm2": 800, "datacenter": true, "quantity": qty}]),
        date: d("2025-03-01"),
        valid_to: d("2026-03-01"),
        force: force.map(String::from),
    }
}

fn grants_are_refused_past_the_allocation_unless_forced(b: Backend) {
    let Some(f) = Fixture::new(b, "grant") else {
        return;
    };
    let mut l = f.ledger();
    // 790,000,000 TPP = 7,900 units of 100,000 TPP.
    let o = l
        .grant(
            &grant("g1", "L-1", "Acme", "IN", 100_000, 7_000, None),
            &meta(),
        )
        .unwrap();
    assert!(o.recorded);
    let e = l.grant(
        &grant("g2", "L-2", "Acme", "IN", 100_000, 901, None),
        &meta(),
    );
    assert!(matches!(e, Err(Error::CapExceeded { .. })), "{e:?}");
    l.grant(
        &grant("g3", "L-3", "Acme", "IN", 100_000, 900, None),
        &meta(),
    )
    .unwrap();
    let e = l.grant(
        &grant("g4", "L-4", "Acme", "IN", 100_000, 1, Some("  ")),
        &meta(),
    );
    assert!(matches!(e, Err(Error::Input(_))), "{e:?}");
    let o = l
        .grant(
            &grant(
                "g5",
                "L-5",
                "Acme",
                "IN",
                100_000,
                100,
                Some("approved by the licensing office"),
            ),
            &meta(),
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&o.json).unwrap();
    assert_eq!(v["over_allocation"], true);
    let log = l.audit_log().unwrap();
    assert!(log
        .last()
        .unwrap()
        .request
        .contains("approved by the licensing office"));
    // A licence number is granted once.
    let e = l.grant(&grant("g6", "L-1", "Acme", "IN", 100_000, 1, None), &meta());
    assert!(matches!(e, Err(Error::Conflict(_))), "{e:?}");
    // Tier 1 destinations have no allocation to draw.
    l.grant(
        &grant("g7", "L-7", "Acme", "FR", 100_000, 100_000, None),
        &meta(),
    )
    .unwrap();
    let rows = l.balances(d("2025-12-31")).unwrap();
    let r = row(&rows, "country_allocation", None, Some("IN"));
    assert_eq!(r.used, 800_000_000_000);
    assert_eq!(r.percent_bp, Some(10_126));
    assert!(!rows.iter().any(|r| r.country.as_deref() == Some("FR")));
    // The apply path sees the allocation used.
    let (det, _) = apply(
        &mut l,
        &spec_req("s1", "2025-06-01", "IN", "Other", 100_000, 1_000),
    );
    assert_eq!(det["review_policy"], "policy_of_denial", "{det}");
    clean(&mut l);
}

fn shipments_under_a_licence(b: Backend) {
    let Some(f) = Fixture::new(b, "lic") else {
        return;
    };
    let mut l = f.ledger();
    let mut g = grant("g1", "L-1", "Acme", "IN", 0, 0, None);
    g.items = serde_json::json!([{"chip": "nvidia-h100-sxm", "quantity": 3000}]);
    l.grant(&g, &meta()).unwrap();
    let mut r = req("s1", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 2000);
    let (det, rec) = apply(&mut l, &r);
    assert!(!rec, "no licence named: {det}");
    r["id"] = "s2".into();
    r["licence"] = "L-1".into();
    let (det, rec) = apply(&mut l, &r);
    assert!(rec, "{det}");
    assert_eq!(det["licence"], "L-1");
    // 1700 H100: more than LPP covers, and more than the licence has left.
    let mut r = req("s3", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 1700);
    r["licence"] = "L-1".into();
    let (det, rec) = apply(&mut l, &r);
    assert!(!rec);
    assert!(det["notices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["code"] == "licence_not_covering"));
    let mut r = req("s4", "2025-06-01", "IN", "Other", "nvidia-h100-sxm", 2000);
    r["licence"] = "L-1".into();
    assert!(!apply(&mut l, &r).1, "another consignee");
    let mut r = req("s5", "2026-03-02", "IN", "Acme", "nvidia-h100-sxm", 2000);
    r["licence"] = "L-1".into();
    assert!(!apply(&mut l, &r).1, "after the licence expired");
    let mut r = req("s6", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 2000);
    r["licence"] = "L-9".into();
    assert!(!apply(&mut l, &r).1, "unknown licence");
    let rows = l.balances(d("2025-12-31")).unwrap();
    assert_eq!(row(&rows, "licence", Some("L-1"), None).used, 2000 * h100());
    assert_eq!(
        row(&rows, "country_allocation", None, Some("IN")).used,
        3000 * h100()
    );
    clean(&mut l);
}

fn reversals_restore_balances_once(b: Backend) {
    let Some(f) = Fixture::new(b, "rev") else {
        return;
    };
    let mut l = f.ledger();
    assert!(
        apply(
            &mut l,
            &req("a1", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 1600)
        )
        .1
    );
    assert!(
        !apply(
            &mut l,
            &req("a2", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 200)
        )
        .1
    );
    l.record(&entry(
        "r1",
        "2025-06-02",
        Body::Reversal {
            of: "a1".into(),
            reason: "cancelled".into(),
        },
    ))
    .unwrap();
    assert!(
        apply(
            &mut l,
            &req("a3", "2025-06-03", "IN", "Acme", "nvidia-h100-sxm", 200)
        )
        .1
    );
    let e = l.record(&entry(
        "r2",
        "2025-06-02",
        Body::Reversal {
            of: "a1".into(),
            reason: "again".into(),
        },
    ));
    assert!(matches!(e, Err(Error::Conflict(_))), "{e:?}");
    let e = l.record(&entry(
        "r3",
        "2025-06-02",
        Body::Reversal {
            of: "r1".into(),
            reason: "undo".into(),
        },
    ));
    assert!(matches!(e, Err(Error::Input(_))), "{e:?}");
    let e = l.record(&entry(
        "r4",
        "2025-06-02",
        Body::Reversal {
            of: "nope".into(),
            reason: String::new(),
        },
    ));
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");
    let e = l.record(&entry(
        "r5",
        "2025-05-01",
        Body::Reversal {
            of: "a3".into(),
            reason: String::new(),
        },
    ));
    assert!(
        matches!(e, Err(Error::Input(_))),
        "dated before the entry: {e:?}"
    );
    let rows = l.balances(d("2025-12-31")).unwrap();
    assert_eq!(row(&rows, "lpp", Some("Acme"), None).used, 200 * h100());
    clean(&mut l);
}

fn as_of_answers_past_dates(b: Backend) {
    let Some(f) = Fixture::new(b, "asof") else {
        return;
    };
    let mut l = f.ledger();
    assert!(
        apply(
            &mut l,
            &req("a1", "2025-03-01", "IN", "Acme", "nvidia-h100-sxm", 100)
        )
        .1
    );
    assert!(
        apply(
            &mut l,
            &req("a2", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 200)
        )
        .1
    );
    l.record(&entry(
        "r1",
        "2025-07-01",
        Body::Reversal {
            of: "a2".into(),
            reason: String::new(),
        },
    ))
    .unwrap();
    let used = |l: &mut Ledger<'_>, date: &str| {
        l.balances(d(date))
            .unwrap()
            .iter()
            .find(|r| r.allowance == "lpp")
            .map_or(0, |r| r.used)
    };
    assert_eq!(used(&mut l, "2025-02-28"), 0);
    assert_eq!(used(&mut l, "2025-03-01"), 100 * h100());
    assert_eq!(used(&mut l, "2025-06-15"), 300 * h100());
    assert_eq!(used(&mut l, "2025-07-01"), 100 * h100());
    assert_eq!(
        l.stored_sum(&Key::Lpp("Acme".into(), 2025), d("2025-06-15"))
            .unwrap(),
        300 * h100()
    );
    // A back-dated shipment is checked against everything drawn later in the same allowance.
    assert!(
        apply(
            &mut l,
            &req("a3", "2025-08-01", "IN", "Acme", "nvidia-h100-sxm", 1500)
        )
        .1
    );
    assert!(
        !apply(
            &mut l,
            &req("a4", "2025-02-01", "IN", "Acme", "nvidia-h100-sxm", 100)
        )
        .1
    );
    clean(&mut l);
}

fn import_is_all_or_nothing_and_names_the_line(b: Backend) {
    let Some(f) = Fixture::new(b, "import") else {
        return;
    };
    let mut l = f.ledger();
    let bad = "kind,id,date,consignee,destination,chip,quantity,licence,valid_to,rule_set\n\
               licence,g1,2025-03-01,Acme,IN,nvidia-h100-sxm,3000,L-1,2026-03-01,\n\
               shipment,s1,2025-06-01,Acme,IN,nvidia-h100-sxm,2000,L-1,,ai-diffusion-2025\n\
               shipment,s2,2025-06-01,Beta,IN,nvidia-h100-sxm,2000,,,ai-diffusion-2025\n";
    let rows = import::parse_csv(bad).unwrap();
    let mut seen = 0;
    let e = l.import(&rows, &meta(), d("2025-06-01"), &mut |n| seen = n);
    match e {
        Err(Error::Import { line, message }) => {
            assert_eq!(line, 4);
            assert!(message.contains("s2"), "{message}");
        }
        other => panic!("expected an import error, got {other:?}"),
    }
    assert_eq!(seen, 2);
    assert!(l.entries().unwrap().is_empty());
    assert!(l.audit_log().unwrap().is_empty());
    let good = bad.replace("Beta,IN,nvidia-h100-sxm,2000", "Beta,IN,nvidia-h100-sxm,20");
    let s = l
        .import(
            &import::parse_csv(&good).unwrap(),
            &meta(),
            d("2025-06-01"),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!((s.rows, s.recorded, s.replayed), (3, 3, 0));
    let s = l
        .import(
            &import::parse_csv(&good).unwrap(),
            &meta(),
            d("2025-06-01"),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!((s.recorded, s.replayed), (0, 3));
    assert_eq!(l.entries().unwrap().len(), 3);
    clean(&mut l);
}

fn history_filters(b: Backend) {
    let Some(f) = Fixture::new(b, "hist") else {
        return;
    };
    let mut l = f.ledger();
    dc_party(&mut l, "p1");
    assert!(
        apply(
            &mut l,
            &req("a1", "2025-03-01", "IN", "Acme", "nvidia-h100-sxm", 100)
        )
        .1
    );
    assert!(
        apply(
            &mut l,
            &spec_req("n1", "2025-06-01", "AE", "DC Corp", 100_000, 10)
        )
        .1
    );
    l.grant(
        &grant("g1", "L-1", "Beta", "BR", 100_000, 10, None),
        &meta(),
    )
    .unwrap();
    let ids = |l: &mut Ledger<'_>, f: HistoryFilter| -> Vec<String> {
        l.history(&f)
            .unwrap()
            .into_iter()
            .map(|(e, _)| e.client_id)
            .collect()
    };
    assert_eq!(
        ids(
            &mut l,
            HistoryFilter {
                party: Some("Acme".into()),
                ..Default::default()
            }
        ),
        vec!["a1"]
    );
    assert_eq!(
        ids(
            &mut l,
            HistoryFilter {
                country: Some("ae".into()),
                ..Default::default()
            }
        ),
        vec!["p1", "n1"]
    );
    assert_eq!(
        ids(
            &mut l,
            HistoryFilter {
                allowance: Some("country_allocation".into()),
                ..Default::default()
            }
        ),
        vec!["g1"]
    );
    assert_eq!(
        ids(
            &mut l,
            HistoryFilter {
                from: Some(d("2025-03-01")),
                to: Some(d("2025-05-31")),
                ..Default::default()
            }
        ),
        vec!["a1", "g1"]
    );
}

fn tampering_is_detected(b: Backend) {
    let Some(f) = Fixture::new(b, "tamper") else {
        return;
    };
    let mut l = f.ledger();
    assert!(
        apply(
            &mut l,
            &req("a1", "2025-03-01", "IN", "Acme", "nvidia-h100-sxm", 100)
        )
        .1
    );
    assert!(
        apply(
            &mut l,
            &req("a2", "2025-03-01", "IN", "Acme", "nvidia-h100-sxm", 100)
        )
        .1
    );
    clean(&mut l);
    let edits = [
        "UPDATE draws SET amount = amount - 1 WHERE entry_seq = 1",
        "UPDATE audit SET result = replace(result, '\"recorded\":true', '\"recorded\":false') WHERE seq = 2",
        // A draw with no entry (PostgreSQL has no foreign key there since migration 2), its
        // spelling put in the index first (the databases refuse a draw on a party key without it).
        "INSERT INTO party_spellings (identity, spelling) VALUES ('ghost', 'Ghost')",
        "INSERT INTO draws (entry_seq, key, date, amount) VALUES (99, 'lpp|Ghost|2025', '2025-03-01', 5)",
    ];
    match b {
        Backend::Memory => return, // the model has no rows to edit behind its back
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(f.db_path()).unwrap();
            // Behind the ledger's back: its foreign key from draws to entries does not apply.
            c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
            for e in edits {
                c.execute_batch(e).unwrap();
            }
        }
        Backend::Postgres => {
            let mut c =
                postgres::Client::connect(f.url.as_ref().unwrap(), postgres::NoTls).unwrap();
            c.batch_execute(&format!("SET search_path TO {}", f.schema))
                .unwrap();
            for e in edits {
                c.batch_execute(e).unwrap();
            }
        }
    }
    let v = l.verify().unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("entry 1: stored draws")),
        "{:?}",
        v.problems
    );
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("entry 99: stored draws")),
        "{:?}",
        v.problems
    );
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("audit record 2") && p.contains("altered")),
        "{:?}",
        v.problems
    );
}

fn disposition(party: &str, key: &str, kind: DispositionKind, reason: &str) -> Body {
    Body::Disposition(Disposition {
        party: party.into(),
        party_normalized: party.to_lowercase(),
        entry_key: key.into(),
        entry_fingerprint: format!("fp-{key}"),
        source: Some("Entity List (EL) - Bureau of Industry and Security".into()),
        disposition: kind,
        reason: reason.into(),
    })
}

fn dispositions_are_recorded_superseded_and_reversed(b: Backend) {
    let Some(f) = Fixture::new(b, "disp") else {
        return;
    };
    let mut l = f.ledger();
    let fp = DispositionKind::FalsePositive;
    let tm = DispositionKind::TrueMatch;
    l.record(&entry(
        "d1",
        "2025-06-01",
        disposition("Acme Trading", "EL-1", fp, "other city"),
    ))
    .unwrap();
    l.record(&entry(
        "d2",
        "2025-06-01",
        disposition("Beta Ltd", "EL-2", tm, "same address"),
    ))
    .unwrap();
    // Idempotent: the same id again records nothing new.
    let again = l
        .record(&entry(
            "d1",
            "2025-06-01",
            disposition("Acme Trading", "EL-1", fp, "other city"),
        ))
        .unwrap();
    assert!(again.replayed);
    // Bad input names the field and writes nothing.
    let e = l.record(&entry(
        "d3",
        "2025-06-01",
        disposition("Acme Trading", "EL-1", fp, " "),
    ));
    assert!(
        matches!(&e, Err(Error::Input(m)) if m.contains("reason")),
        "{e:?}"
    );
    let mut bad = entry("d4", "2025-06-01", disposition("Acme Trading", "", fp, "x"));
    let e = l.record(&bad);
    assert!(
        matches!(&e, Err(Error::Input(m)) if m.contains("entry_key")),
        "{e:?}"
    );
    bad.recorded_by = String::new();
    let e = l.record(&bad);
    assert!(e.is_err());
    let got = l.dispositions().unwrap();
    assert_eq!(
        got.iter().map(|e| e.client_id.as_str()).collect::<Vec<_>>(),
        ["d1", "d2"]
    );
    // A later disposition of the same pair comes after the earlier one; a reversal withdraws one.
    l.record(&entry(
        "d5",
        "2025-06-02",
        disposition("Acme Trading", "EL-1", tm, "new evidence"),
    ))
    .unwrap();
    l.record(&entry(
        "r-d2",
        "2025-06-03",
        Body::Reversal {
            of: "d2".into(),
            reason: "recorded in error".into(),
        },
    ))
    .unwrap();
    let got = l.dispositions().unwrap();
    assert_eq!(
        got.iter().map(|e| e.client_id.as_str()).collect::<Vec<_>>(),
        ["d1", "d5"]
    );
    match &got[1].body {
        Body::Disposition(d) => {
            assert_eq!(d.disposition, tm);
            assert_eq!(d.reason, "new evidence");
        }
        other => panic!("{other:?}"),
    }
    // They draw on nothing, appear in the history of the party and in the audit log.
    let h = l
        .history(&HistoryFilter {
            party: Some("Acme Trading".into()),
            ..HistoryFilter::default()
        })
        .unwrap();
    assert_eq!(h.len(), 2, "{h:?}");
    assert!(h.iter().all(|(_, draws)| draws.is_empty()));
    assert!(l
        .audit_log()
        .unwrap()
        .iter()
        .any(|a| a.client_id == "d5" && a.op == "disposition"));
    clean(&mut l);
}

fn a_batch_is_decided_in_order_and_committed_once(b: Backend) {
    let Some(f) = Fixture::new(b, "batch") else {
        return;
    };
    let mut l = f.ledger();
    let prep = |r: serde_json::Value| {
        PreparedApply::new(rules(), &r.to_string(), &meta(), d("2025-06-01"), &|_| None).unwrap()
    };
    // 1,600 + 100 H100 fit the LPP limit (1,699.xx H100-equivalents); the third does not; the
    // fourth replays the first id; the fifth is for another consignee.
    let jobs = [
        prep(req(
            "b1",
            "2025-06-01",
            "IN",
            "Acme",
            "nvidia-h100-sxm",
            1600,
        )),
        prep(req("b2", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 99)),
        prep(req("b3", "2025-06-01", "IN", "Acme", "nvidia-h100-sxm", 1)),
        prep(req(
            "b1",
            "2025-06-01",
            "IN",
            "Acme",
            "nvidia-h100-sxm",
            1600,
        )),
        prep(req(
            "b5",
            "2025-06-01",
            "IN",
            "Other",
            "nvidia-h100-sxm",
            10,
        )),
    ];
    let refs: Vec<&PreparedApply> = jobs.iter().collect();
    let out = l.apply_batch(&refs);
    let recorded: Vec<bool> = out.iter().map(|r| r.as_ref().unwrap().recorded).collect();
    assert_eq!(recorded, [true, true, false, true, true]);
    assert!(out[3].as_ref().unwrap().replayed);
    // The batch's writes are visible to the ordinary operations, and theirs to the next batch.
    let rows = l.balances(d("2025-12-31")).unwrap();
    assert_eq!(row(&rows, "lpp", Some("Acme"), None).used, 1699 * h100());
    l.record(&entry(
        "rb2",
        "2025-06-01",
        Body::Reversal {
            of: "b2".into(),
            reason: "cancelled".into(),
        },
    ))
    .unwrap();
    let more = [prep(req(
        "b6",
        "2025-06-01",
        "IN",
        "Acme",
        "nvidia-h100-sxm",
        99,
    ))];
    let out = l.apply_batch(&more.iter().collect::<Vec<_>>());
    assert!(out[0].as_ref().unwrap().recorded, "{out:?}");
    clean(&mut l);
}

/// Runs `statements` behind the ledger's back (`$1`, `$2`, ... are text parameters); `false` for
/// the in-memory model, which has no rows to edit.
fn behind_the_back(f: &Fixture, b: Backend, statements: &[(&str, Vec<String>)]) -> bool {
    match b {
        Backend::Memory => false,
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(f.db_path()).unwrap();
            c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
            for (sql, args) in statements {
                let sql = sql.replace('$', "?");
                c.execute(&sql, rusqlite::params_from_iter(args.iter()))
                    .unwrap();
            }
            true
        }
        Backend::Postgres => {
            let mut c =
                postgres::Client::connect(f.url.as_ref().unwrap(), postgres::NoTls).unwrap();
            c.batch_execute(&format!("SET search_path TO {}", f.schema))
                .unwrap();
            for (sql, args) in statements {
                let p: Vec<&(dyn postgres::types::ToSql + Sync)> = args
                    .iter()
                    .map(|a| a as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                c.execute(*sql, &p).unwrap();
            }
            true
        }
    }
}

/// The stored entry with `id`, as JSON, edited by `edit`: the statement that writes it back.
fn edited_body(
    l: &mut Ledger<'_>,
    id: &str,
    edit: impl Fn(&mut serde_json::Value),
) -> (&'static str, Vec<String>) {
    let e = l
        .entries()
        .unwrap()
        .into_iter()
        .find(|e| e.client_id == id)
        .unwrap();
    let mut v = serde_json::to_value(&e).unwrap();
    edit(&mut v);
    (
        "UPDATE entries SET body = $1 WHERE client_id = $2",
        vec![v.to_string(), id.to_string()],
    )
}

fn assert_problem(l: &mut Ledger<'_>, checkpoints: &[String], want: &[&str]) {
    let v = l.verify_against(checkpoints).unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| want.iter().all(|w| p.contains(w))),
        "no problem with {want:?} in {:?}",
        v.problems
    );
}

fn two_shipments(f: &Fixture) -> Ledger<'static> {
    let mut l = f.ledger();
    for id in ["s1", "s2"] {
        assert!(
            apply(
                &mut l,
                &req(id, "2025-03-01", "IN", "Acme", "nvidia-h100-sxm", 100)
            )
            .1
        );
    }
    clean(&mut l);
    l
}

fn verify_detects_a_deleted_entry_and_its_draws(b: Backend) {
    let Some(f) = Fixture::new(b, "tdel") else {
        return;
    };
    let mut l = two_shipments(&f);
    let del = [
        ("DELETE FROM draws WHERE entry_seq = 2", vec![]),
        ("DELETE FROM entries WHERE seq = 2", vec![]),
    ];
    if behind_the_back(&f, b, &del) {
        assert_problem(&mut l, &[], &["`s2`", "missing from the ledger"]);
    }
}

/// The backends' index of party spellings (what a one-shot apply resolves a consignee's spelling
/// with) is checked by `verify`: a spelling deleted from it would let `ACME` pass for a new
/// consignee next to `Acme`.
fn verify_detects_a_spelling_deleted_from_the_index(b: Backend) {
    let Some(f) = Fixture::new(b, "tspell") else {
        return;
    };
    let mut l = two_shipments(&f);
    assert!(l.verify().unwrap().problems.is_empty());
    let del = [(
        "DELETE FROM party_spellings WHERE spelling = 'Acme'",
        vec![],
    )];
    if behind_the_back(&f, b, &del) {
        assert_problem(&mut l, &[], &["index of party spellings is missing `Acme`"]);
    }
}

fn verify_detects_an_amount_edited_consistently(b: Backend) {
    let Some(f) = Fixture::new(b, "tamt") else {
        return;
    };
    let mut l = two_shipments(&f);
    // Fewer chips on the entry, and its draw to match: the draws still re-derive.
    let body = edited_body(&mut l, "s1", |v| {
        let s = &mut v["body"];
        let tpp = s["tpp_milli"].as_u64().unwrap() / 2;
        s["tpp_milli"] = tpp.into();
        s["counted_milli"] = tpp.into();
        s["items"][0]["quantity"] = 50.into();
    });
    let half = h100() * 50;
    let draw = format!("UPDATE draws SET amount = {half} WHERE entry_seq = 1");
    if behind_the_back(&f, b, &[body, (draw.as_str(), vec![])]) {
        assert_problem(&mut l, &[], &["`s1`", "altered"]);
    }
}

fn verify_detects_an_entry_moved_to_another_year(b: Backend) {
    let Some(f) = Fixture::new(b, "tyear") else {
        return;
    };
    let mut l = two_shipments(&f);
    let body = edited_body(&mut l, "s1", |v| v["date"] = "2024-12-31".into());
    let moved = [
        body,
        (
            "UPDATE entries SET date = '2024-12-31' WHERE seq = 1",
            vec![],
        ),
        (
            "UPDATE draws SET date = '2024-12-31', key = 'lpp|Acme|2024' WHERE entry_seq = 1",
            vec![],
        ),
    ];
    if behind_the_back(&f, b, &moved) {
        assert_problem(&mut l, &[], &["`s1`", "altered"]);
    }
}

fn verify_detects_an_entry_inserted_under_a_refused_id(b: Backend) {
    let Some(f) = Fixture::new(b, "tins") else {
        return;
    };
    let mut l = two_shipments(&f);
    // Refused: China is Tier 3, no exception applies; nothing is recorded.
    let (_, recorded) = apply(
        &mut l,
        &req(
            "refused",
            "2025-03-01",
            "CN",
            "Acme",
            "nvidia-h100-sxm",
            100,
        ),
    );
    assert!(!recorded);
    clean(&mut l);
    let (_, mut ins) = edited_body(&mut l, "s2", |v| {
        v["client_id"] = "refused".into();
        v["seq"] = 3.into();
    });
    ins.truncate(1);
    let stmts = [
        (
            "INSERT INTO entries (seq, client_id, kind, subject, date, body) VALUES (3, 'refused', 'shipment', 'Acme', '2025-03-01', $1)",
            ins,
        ),
    ];
    if behind_the_back(&f, b, &stmts) {
        assert_problem(&mut l, &[], &["`refused`", "inserted"]);
    }
}

fn verify_detects_forced_added_to_a_grant(b: Backend) {
    let Some(f) = Fixture::new(b, "tforce") else {
        return;
    };
    let mut l = f.ledger();
    l.grant(
        &grant("g1", "L-1", "Acme", "IN", 100_000, 10, None),
        &meta(),
    )
    .unwrap();
    clean(&mut l);
    let body = edited_body(&mut l, "g1", |v| {
        v["body"]["forced"] = "cover the overdraw".into()
    });
    if behind_the_back(&f, b, &[body]) {
        assert_problem(&mut l, &[], &["`g1`", "altered"]);
    }
}

fn verify_detects_a_truncated_tail_against_a_checkpoint(b: Backend) {
    let Some(f) = Fixture::new(b, "ttail") else {
        return;
    };
    let mut l = two_shipments(&f);
    let checkpoint = l.audit_head().unwrap().unwrap();
    assert_eq!(checkpoint.0, 2);
    let o = l
        .apply(
            &req("s3", "2025-03-01", "IN", "Acme", "nvidia-h100-sxm", 1).to_string(),
            &meta(),
            d("2025-06-01"),
        )
        .unwrap();
    // Every write returns its audit hash; the older checkpoint still verifies too.
    assert_eq!(l.audit_head().unwrap().unwrap().1, o.audit_hash);
    let cps = vec![checkpoint.1.clone(), o.audit_hash.clone()];
    assert!(l.verify_against(&cps).unwrap().problems.is_empty());
    // The last operation cut off entirely: entry, draws and audit record.
    let cut = [
        ("DELETE FROM draws WHERE entry_seq = 3", vec![]),
        ("DELETE FROM entries WHERE seq = 3", vec![]),
        ("DELETE FROM audit WHERE seq = 3", vec![]),
    ];
    if behind_the_back(&f, b, &cut) {
        // Without a checkpoint a clean cut is invisible; with one it is not.
        assert!(l.verify().unwrap().problems.is_empty());
        assert!(l
            .verify_against(std::slice::from_ref(&checkpoint.1))
            .unwrap()
            .problems
            .is_empty());
        assert_problem(&mut l, &[o.audit_hash], &["checkpoint", "tail"]);
    }
}

/// Regression (issue 12): `Probe Co`, `PROBE CO`, `Probe Co `, `Probe  Co` and `Probe Co.` each got
/// a fresh LPP limit.
fn lpp_is_keyed_on_the_party_not_its_spelling(b: Backend) {
    let Some(f) = Fixture::new(b, "spell") else {
        return;
    };
    let mut l = f.ledger();
    // 26,900,000 TPP: 1,699 H100s fit in one year (15,832 TPP each).
    let (det, rec) = apply(
        &mut l,
        &req(
            "p0",
            "2025-03-01",
            "IN",
            "Probe Co",
            "nvidia-h100-sxm",
            1_000,
        ),
    );
    assert!(rec, "{det}");
    assert_eq!(det["authorization"], "LPP");
    for (i, spelling) in ["PROBE CO", "Probe Co ", "Probe  Co", "Probe Co."]
        .iter()
        .enumerate()
    {
        let (det, rec) = apply(
            &mut l,
            &req(
                &format!("p{}", i + 1),
                "2025-03-02",
                "IN",
                spelling,
                "nvidia-h100-sxm",
                700,
            ),
        );
        assert!(!rec, "`{spelling}` got a fresh LPP limit: {det}");
        assert!(
            det["notices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["code"] == "party_matched"),
            "{det}"
        );
    }
    // A new handle (one `chipcap ledger apply` process, which decides from the tables and the
    // backend's index of spellings, not from a mirror) resolves spellings alike.
    for (i, spelling) in ["probe co.", "PROBE  CO"].iter().enumerate() {
        let mut one_shot = f.ledger();
        let (det, rec) = apply(
            &mut one_shot,
            &req(
                &format!("q{i}"),
                "2025-03-02",
                "IN",
                spelling,
                "nvidia-h100-sxm",
                700,
            ),
        );
        assert!(
            !rec,
            "`{spelling}` got a fresh LPP limit in a new handle: {det}"
        );
        assert!(det.to_string().contains("party_matched"), "{det}");
    }
    // What still fits is recorded under the party's first spelling, with the spelling used.
    let (det, rec) = apply(
        &mut l,
        &req("p9", "2025-03-03", "IN", "PROBE CO", "nvidia-h100-sxm", 699),
    );
    assert!(rec, "{det}");
    let s = shipment(&mut l, "p9");
    assert_eq!(s.consignee, "Probe Co");
    assert_eq!(s.consignee_as_given.as_deref(), Some("PROBE CO"));
    let rows = l.balances(d("2025-12-31")).unwrap();
    assert_eq!(
        row(&rows, "lpp", Some("Probe Co"), None).used,
        h100() * 1_699
    );
    assert!(!rows.iter().any(|r| r.entity.as_deref() == Some("PROBE CO")));
    // The group-commit path (the mirror) resolves spellings alike.
    let job = PreparedApply::new(
        rules(),
        &req("p10", "2025-03-04", "IN", "probe co.", "nvidia-h100-sxm", 1).to_string(),
        &meta(),
        d("2025-06-01"),
        &|_| None,
    )
    .unwrap();
    let out = l.apply_batch(&[&job]);
    let o = out[0].as_ref().unwrap();
    assert!(!o.recorded, "{}", o.json);
    assert!(o.json.contains("party_matched"), "{}", o.json);
    clean(&mut l);
}

/// A ledger holding two spellings of one party (here written by adjustments naming the keys; a
/// ledger from before the identity rule can hold such) resolves a third spelling to the first of
/// them in byte order, whether the apply decides from the tables (a one-shot process, the index of
/// spellings) or from the mirror: `ÄCME` (bytes C3 84) before `äcme` (C3 A4).
fn two_spellings_of_one_party_resolve_alike(b: Backend) {
    let Some(f) = Fixture::new(b, "twosp") else {
        return;
    };
    let mut l = f.ledger();
    for (id, key) in [("a1", "lpp|äcme|2025"), ("a2", "lpp|ÄCME|2025")] {
        l.record(&entry(
            id,
            "2025-03-01",
            Body::Adjustment(chipcap_ledger::entry::Adjustment {
                key: key.into(),
                amount_milli: 1,
                reason: "spelling".into(),
            }),
        ))
        .unwrap();
    }
    // A new handle (the tables), then the same handle again (its mirror).
    let mut one_shot = f.ledger();
    for (id, given) in [("s1", "Äcme."), ("s2", "äCME!")] {
        let (det, rec) = apply(
            &mut one_shot,
            &req(id, "2025-03-02", "IN", given, "nvidia-h100-sxm", 1),
        );
        assert!(rec, "{det}");
        assert_eq!(shipment(&mut one_shot, id).consignee, "ÄCME", "{given}");
    }
    clean(&mut one_shot);
}

/// Issue 11: the 50% certification of 91 FR 1684 as a ledger allowance. US end-use shipments are
/// recorded; licensed exports to China decided under the enforced line draw China+Macau TPP per
/// product; the determination tests the share exactly and refuses case-by-case review past it;
/// shipments record the version they were decided under.
fn the_china_us_share_follows_recorded_us_shipments(b: Backend) {
    let Some(f) = Fixture::new(b, "cnus") else {
        return;
    };
    let mut l = f.ledger();
    let us = |id: &str, q: u64| Entry {
        seq: 0,
        client_id: id.into(),
        recorded_by: "t".into(),
        recorded_at: "2026-02-01T00:00:00Z".into(),
        date: d("2026-02-01"),
        body: Body::UsShipment(UsShipment {
            chip: "nvidia-h200-sxm".into(),
            quantity: q,
            unit_tpp: chipcap_core::units::Tpp::ZERO,
        }),
    };
    l.record(&us("u1", 200)).unwrap();
    let mut g = grant("g1", "L-CN", "Example Cloud Co", "CN", 0, 0, None);
    g.items = serde_json::json!([{"chip": "nvidia-h200-sxm", "quantity": 1000}]);
    g.date = d("2026-02-01");
    g.valid_to = d("2027-02-01");
    l.grant(&g, &meta()).unwrap();
    let ship = |id: &str, q: u64| {
        serde_json::json!({"id": id, "date": "2026-06-01", "destination": "CN",
            "items": [{"chip": "nvidia-h200-sxm", "quantity": q}],
            "consignee": {"name": "Example Cloud Co", "headquarters": "CN"}, "licence": "L-CN"})
    };
    // 100 of 200: exactly half.
    let (det, rec) = apply(&mut l, &ship("s1", 100));
    assert!(rec, "{det}");
    assert_eq!(det["rule_set"], "advanced-computing-2023", "{det}");
    assert_eq!(det["review_policy"], "case_by_case", "{det}");
    let share = det["allowances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["allowance"] == "china_us_share")
        .cloned()
        .unwrap_or_else(|| panic!("no china_us_share in {det}"));
    assert_eq!(share["within_limit"], true);
    assert_eq!(share["remaining_after_tpp"], 0);
    // One more unit is past half: no case-by-case review (the licence still covers the shipment,
    // which is recorded: 101 units have now gone to China).
    let (det, rec) = apply(&mut l, &ship("s2", 1));
    assert_eq!(det["review_policy"], "presumption_of_denial", "{det}");
    assert!(rec);
    let rows = l.balances(d("2026-12-31")).unwrap();
    let cn = row(
        &rows,
        "china_us_share",
        Some("nvidia-h200-sxm"),
        Some("CN+MO"),
    );
    assert_eq!(cn.cap, Some(100 * 15_832_000));
    assert_eq!(cn.used, 101 * 15_832_000);
    assert_eq!(
        row(&rows, "us_end_use", Some("nvidia-h200-sxm"), Some("US")).used,
        200 * 15_832_000
    );
    // More US shipments raise the base (an import row this time): 101 + 1 of 204 is half again.
    let rows = import::parse_csv(
        "kind,id,date,chip,quantity\nus_shipment,u2,2026-03-01,nvidia-h200-sxm,4\n",
    )
    .unwrap();
    l.import(&rows, &meta(), d("2026-06-01"), &mut |_| {})
        .unwrap();
    let (det, _) = apply(&mut l, &ship("s3", 1));
    assert_eq!(det["review_policy"], "case_by_case", "{det}");
    // The shipment records its version.
    let hist = l.history(&HistoryFilter::default()).unwrap();
    let shipped = hist
        .iter()
        .find_map(|(e, _)| match &e.body {
            Body::Shipment(s) if e.client_id == "s1" => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(shipped.rule_set.as_deref(), Some("advanced-computing-2023"));
    let v = l.verify().unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    clean(&mut l);
}

/// Regression (issue 14): a stored allowance sum below zero (the database edited behind the ledger's
/// back) was read as 0, so the consignee got a fresh LPP limit; it is now reported as corruption.
fn a_negative_stored_sum_is_corruption_not_zero(b: Backend) {
    let Some(f) = Fixture::new(b, "negsum") else {
        return;
    };
    let mut l = f.ledger();
    assert!(
        apply(
            &mut l,
            &req("a1", "2025-03-01", "IN", "Acme", "nvidia-h100-sxm", 100)
        )
        .1
    );
    if !behind_the_back(
        &f,
        b,
        &[("UPDATE draws SET amount = -5 WHERE entry_seq = 1", vec![])],
    ) {
        return;
    }
    let r = req("a2", "2025-03-02", "IN", "Acme", "nvidia-h100-sxm", 1);
    match l.apply(&r.to_string(), &meta(), d("2025-06-01")) {
        Err(Error::Corrupt(m)) => assert!(m.contains("lpp|Acme|2025"), "{m}"),
        other => panic!("expected a corruption error, got {other:?}"),
    }
}
