//! Countries a user types into a ledger entry (party headquarters, VEU countries, assurance and
//! attrition countries) are given as text (`EntryInput`) and recorded as the core's `CountryCode`
//! (issue 14, point 3): any case is accepted and recorded upper case, a bad code is refused with the
//! message it always had, and the stored entry reads back only in its upper-case form.

use chipcap_core::country::CountryCode;
use chipcap_ledger::entry::{
    AssuranceInput, AttritionInput, Body, BodyInput, Cause, Entry, EntryInput, PartyInput,
    VeuAuthorizationInput, VeuKind,
};
use chipcap_ledger::{Error, Ledger, MemoryStore};

use crate::common::{d, rules};

fn given(id: &str, body: BodyInput) -> EntryInput {
    EntryInput {
        client_id: id.into(),
        recorded_by: "t".into(),
        recorded_at: "2025-06-01T12:00:00Z".into(),
        date: d("2025-02-01"),
        body,
    }
}

fn party(hq: &str, veu: &[&str]) -> BodyInput {
    BodyInput::Party(PartyInput {
        name: "Gulf Compute LLC".into(),
        headquarters: hq.into(),
        veu: vec![VeuAuthorizationInput {
            kind: VeuKind::Nveu,
            countries: veu.iter().map(|c| c.to_string()).collect(),
            from: d("2025-02-01"),
            to: None,
        }],
    })
}

fn input_error(r: Result<chipcap_ledger::Outcome, Error>) -> String {
    match r {
        Err(Error::Input(m)) => m,
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn typed_countries_are_accepted_in_any_case_and_recorded_upper_case() {
    let mut l = Ledger::new(Box::new(MemoryStore::new()), rules());
    l.record_input(&given("p1", party("ae", &["aE"]))).unwrap();
    l.record_input(&given(
        "a1",
        BodyInput::Assurance(AssuranceInput {
            country: "in".into(),
            uplift_percent: 50,
        }),
    ))
    .unwrap();
    let entries = l.entries().unwrap();
    let ae = CountryCode::parse("AE").unwrap();
    match &entries[0].body {
        Body::Party(p) => {
            assert_eq!(p.headquarters, ae);
            assert_eq!(p.veu[0].countries, vec![ae]);
        }
        other => panic!("{other:?}"),
    }
    let json = serde_json::to_string(&entries[0]).unwrap();
    assert!(
        json.contains(r#""headquarters":"AE","veu":[{"kind":"nveu","countries":["AE"]"#),
        "{json}"
    );
    assert!(serde_json::to_string(&entries[1])
        .unwrap()
        .contains(r#""country":"IN""#));
    // The audit record's request is the entry as recorded.
    let log = l.audit_log().unwrap();
    assert_eq!(log[0].request, json);
    // The recorded party's NVEU covers its upper-case country.
    let p = match &entries[0].body {
        Body::Party(p) => p.clone(),
        other => panic!("{other:?}"),
    };
    assert!(p.veu[0].covers(VeuKind::Nveu, ae, d("2025-03-01")));
    // A stored entry reads back only in the form the ledger writes.
    let lower = json.replace(r#""headquarters":"AE""#, r#""headquarters":"ae""#);
    let e = serde_json::from_str::<Entry>(&lower)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is not an ISO 3166-1 alpha-2 country code, got `ae`"),
        "{e}"
    );
    // A typed entry is recorded through the same checks (`record` = `record_input` of its text).
    let typed = Entry {
        seq: 0,
        client_id: "p2".into(),
        recorded_by: "t".into(),
        recorded_at: "t".into(),
        date: d("2025-02-01"),
        body: entries[0].body.clone(),
    };
    assert!(l.record(&typed).unwrap().recorded);
    let unknown = Entry {
        client_id: "p3".into(),
        body: Body::Party(chipcap_ledger::entry::Party {
            headquarters: CountryCode::parse("ZZ").unwrap(),
            ..p
        }),
        ..typed
    };
    assert_eq!(
        input_error(l.record(&unknown)),
        "headquarters is not an ISO 3166-1 alpha-2 country code, got `ZZ`"
    );
}

#[test]
fn a_bad_typed_country_is_refused_with_the_message_it_always_had() {
    let mut l = Ledger::new(Box::new(MemoryStore::new()), rules());
    let cases: Vec<(BodyInput, &str)> = vec![
        (
            party("zz", &["AE"]),
            "headquarters is not an ISO 3166-1 alpha-2 country code, got `zz`",
        ),
        (
            party("UAE", &["AE"]),
            "headquarters is not an ISO 3166-1 alpha-2 country code, got `UAE`",
        ),
        (
            party("AE", &["A1"]),
            "VEU country is not an ISO 3166-1 alpha-2 country code, got `A1`",
        ),
        (
            party("AE", &["AE", "xx"]),
            "VEU country is not an ISO 3166-1 alpha-2 country code, got `xx`",
        ),
        // The countries are checked before the number of NVEU countries, as before.
        (
            party("AE", &[]),
            "an NVEU authorisation names exactly one country",
        ),
        (
            BodyInput::Assurance(AssuranceInput {
                country: "".into(),
                uplift_percent: 10,
            }),
            "country is not an ISO 3166-1 alpha-2 country code, got ``",
        ),
        (
            BodyInput::Attrition(AttritionInput {
                consignee: "Gulf Compute LLC".into(),
                country: "ae ".into(),
                veu: VeuKind::Nveu,
                tpp: chipcap_core::units::Tpp::from_milli(1000),
                cause: Cause::Loss,
            }),
            "country is not an ISO 3166-1 alpha-2 country code, got `ae `",
        ),
    ];
    for (i, (body, message)) in cases.into_iter().enumerate() {
        let r = l.record_input(&given(&format!("bad{i}"), body));
        assert_eq!(input_error(r), message);
    }
    assert!(l.entries().unwrap().is_empty());
    // An id used before for the same kind of entry replays its outcome before anything is checked,
    // as it always did.
    let first = l.record_input(&given("p1", party("AE", &["AE"]))).unwrap();
    let again = l.record_input(&given("p1", party("zz", &["AE"]))).unwrap();
    assert!(again.replayed);
    assert_eq!(again.json, first.json);
}
