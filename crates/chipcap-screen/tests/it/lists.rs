use chipcap_screen::{
    diff, parse_bis_dpl, parse_csl_csv, parse_csl_json, parse_ofac_sdn, ListDate, ListFormat,
    ListVersion, ScreenError, SourceClass,
};

use crate::read_data;

fn counts(e: &[chipcap_screen::Entry]) -> (usize, usize, usize) {
    (
        e.len(),
        e.iter().map(|x| x.alt_names.len()).sum(),
        e.iter().map(|x| x.addresses.len()).sum(),
    )
}

#[test]
fn ofac_sample_counts() {
    let e = parse_ofac_sdn(
        &read_data("ofac-sdn.csv"),
        Some(&read_data("ofac-alt.csv")),
        Some(&read_data("ofac-add.csv")),
    )
    .unwrap();
    // 13,837 address rows, of which 2,397 are entirely `-0-`.
    assert_eq!(counts(&e), (8976, 11910, 11440));
    let cuba = e
        .iter()
        .find(|x| x.entity_number.as_deref() == Some("306"))
        .unwrap();
    assert_eq!(cuba.name, "BANCO NACIONAL DE CUBA");
    assert!(cuba.alt_names.iter().any(|a| a == "NATIONAL BANK OF CUBA"));
    assert_eq!(cuba.source_class, SourceClass::Sdn);
    assert_eq!(cuba.programs, vec!["CUBA".to_string()]);
    assert!(cuba.countries.contains(&"CH".to_string()));
}

#[test]
fn csl_current_and_legacy_counts() {
    let cur = parse_csl_csv(&read_data("csl-consolidated-sample.csv")).unwrap();
    assert_eq!(counts(&cur), (13, 15, 13));
    let meu = cur
        .iter()
        .find(|e| e.source_class == SourceClass::MilitaryEndUser)
        .unwrap();
    assert!(meu
        .license_requirement
        .as_deref()
        .unwrap()
        .contains("supplement no. 2 to part 744"));
    assert!(meu.license_policy.is_some());
    assert_eq!(meu.federal_register_notice.as_deref(), Some("85 FR 83799"));
    assert!(meu.key.starts_with("csl:66f6ab3f"));
    let legacy = parse_csl_csv(&read_data("csl-legacy-sample.csv")).unwrap();
    assert_eq!(counts(&legacy), (115, 161, 127));
    let el = legacy
        .iter()
        .filter(|e| e.source_class == SourceClass::EntityList)
        .count();
    assert_eq!(el, 22);
    assert!(legacy
        .iter()
        .any(|e| e.source_class == SourceClass::DeniedPersons));
}

#[test]
fn dpl_sample_counts() {
    let e = parse_bis_dpl(&read_data("bis-denied-persons.txt")).unwrap();
    assert_eq!(counts(&e), (581, 0, 581));
    assert!(e
        .iter()
        .all(|x| x.source_class == SourceClass::DeniedPersons));
    let a = &e[1];
    assert_eq!(a.name, "AARON ABRAHAM VILLA");
    assert_eq!(
        a.federal_register_notice.as_deref(),
        Some("87 F.R. 52741 8/29/2022")
    );
    let keys: std::collections::HashSet<_> = e.iter().map(|x| &x.key).collect();
    assert_eq!(keys.len(), e.len(), "keys are unique");
}

#[test]
fn csl_json() {
    let doc = br#"{"total": 2, "results": [
      {"id": "abc", "source": "Entity List (EL) - Bureau of Industry and Security", "entity_number": null,
       "type": "Entity", "programs": ["EAR"], "name": "Example Semiconductor Co., Ltd.",
       "addresses": [{"address": "1 Road", "city": "Shenzhen", "state": null, "postal_code": "518000", "country": "CN"}],
       "federal_register_notice": "89 FR 1", "start_date": "2024-01-02",
       "license_requirement": "For all items subject to the EAR.", "license_policy": "Presumption of denial.",
       "alt_names": ["Example Semi", "ESC"], "ids": [{"type": "Tax", "number": "1"}]},
      {"id": "def", "source": "Specially Designated Nationals (SDN) - Treasury Department", "entity_number": "123",
       "name": "Someone", "alt_names": [], "addresses": []}
    ]}"#;
    let e = parse_csl_json(doc).unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].alt_names.len(), 2);
    assert_eq!(e[0].countries, vec!["CN".to_string()]);
    assert_eq!(
        e[0].license_policy.as_deref(),
        Some("Presumption of denial.")
    );
    assert_eq!(e[0].source_class, SourceClass::EntityList);
    assert!(e[0].extra.contains_key("ids"));
    assert_eq!(e[1].key, "csl:def");
    // A bare array is accepted too.
    assert_eq!(
        parse_csl_json(br#"[{"name": "X", "source": "s"}]"#)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn csl_json_errors() {
    let err = parse_csl_json(b"{\n \"results\": [\n {\"name\": \"x\",,}]}").unwrap_err();
    assert!(matches!(err, ScreenError::Json { line: 3, .. }), "{err}");
    let err = parse_csl_json(br#"{"results": [{"source": "x"}]}"#).unwrap_err();
    assert!(err.to_string().contains("record 1 has no `name`"), "{err}");
    assert!(parse_csl_json(br#"{"other": 1}"#).is_err());
}

fn legacy_header() -> String {
    let s = String::from_utf8(read_data("csl-legacy-sample.csv")).unwrap();
    s.lines().next().unwrap().to_string()
}

#[test]
fn csl_truncated_row_names_line() {
    let header = legacy_header();
    let fields = header.split(',').count();
    let good = format!(
        "Entity List (EL) - Bureau of Industry and Security{}",
        ",".repeat(fields - 1)
    );
    let good = good.replacen(",,,,", ",,,,ACME LTD", 1);
    let input = format!("{header}\n{good}\n{good}\nEntity List (EL) - Bureau,1,Entity\n");
    let err = parse_csl_csv(input.as_bytes()).unwrap_err();
    match &err {
        ScreenError::Malformed { line, message, .. } => {
            assert_eq!(*line, 4);
            assert!(message.contains("fields"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().starts_with("csl-csv: line 4:"), "{err}");
}

#[test]
fn csl_invalid_utf8_names_line() {
    let mut bytes = read_data("csl-legacy-sample.csv");
    // Corrupt a byte on the third line.
    let third = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 5;
    bytes[third] = 0xFF;
    let err = parse_csl_csv(&bytes).unwrap_err();
    assert!(
        matches!(err, ScreenError::Malformed { line: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
}

#[test]
fn csl_missing_column() {
    let input = "source,entity_number,type,programs,title,addresses,alt_names\nx,1,Entity,,,,\n";
    let err = parse_csl_csv(input.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        ScreenError::MissingColumn {
            format: "csl-csv",
            line: 1,
            column: "name".into()
        }
    );
    assert_eq!(err.to_string(), "csl-csv: line 1: missing column `name`");
}

#[test]
fn ofac_malformed() {
    let sdn = b"36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n173,\"ANGLO\",-0- \r\n";
    let err = parse_ofac_sdn(sdn, None, None).unwrap_err();
    assert!(
        matches!(err, ScreenError::Malformed { line: 2, .. }),
        "{err}"
    );
    let sdn =
        b"36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    let alt = b"36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n99,13,\"aka\",\"NOBODY\",-0- \r\n";
    let err = parse_ofac_sdn(sdn, Some(alt), None).unwrap_err();
    assert!(
        err.to_string().contains("ofac-alt: line 2") && err.to_string().contains("99"),
        "{err}"
    );
    let bad = b"x6,\"A\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    assert!(matches!(
        parse_ofac_sdn(bad, None, None),
        Err(ScreenError::InvalidField { line: 1, .. })
    ));
    let mut utf = sdn.to_vec();
    utf[5] = 0xC3;
    assert!(matches!(
        parse_ofac_sdn(&utf, None, None),
        Err(ScreenError::Malformed { line: 1, .. })
    ));
    let err = parse_ofac_sdn(sdn, Some(&alt[..20]), None).unwrap_err();
    assert!(
        matches!(err, ScreenError::Malformed { line: 1, .. }),
        "a truncated alt row is an error: {err}"
    );
}

#[test]
fn dpl_malformed() {
    let text = String::from_utf8(read_data("bis-denied-persons.txt")).unwrap();
    let mut lines: Vec<&str> = text.lines().take(4).collect();
    lines.push("\"TRUNCATED PERSON\"\t\"1 STREET\"");
    let err = parse_bis_dpl(lines.join("\n").as_bytes()).unwrap_err();
    assert!(
        matches!(err, ScreenError::Malformed { line: 5, .. }),
        "{err}"
    );
    let no_col = text.replacen("\"FR_Citation\"", "\"Citation\"", 1);
    let err = parse_bis_dpl(no_col.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bis-dpl: line 1: missing column `FR_Citation`"
    );
}

#[test]
fn version_diff() {
    let old = parse_csl_csv(&read_data("csl-legacy-sample.csv")).unwrap();
    let mut new = old.clone();
    let removed = new.remove(3);
    new[10].alt_names.push("NEW ALIAS".into());
    let mut added = new[0].clone();
    added.key = "csl:new".into();
    new.push(added);
    let v1 = ListVersion::new(
        ListFormat::CslCsv,
        "csl",
        Some(ListDate::parse("2025-01-01").unwrap()),
        old,
    );
    let v2 = ListVersion::new(
        ListFormat::CslCsv,
        "csl",
        Some(ListDate::parse("2025-02-01").unwrap()),
        new,
    );
    let d = diff(&v1, &v2);
    assert_eq!(d.added.len(), 1);
    assert_eq!(d.added[0].key, "csl:new");
    assert_eq!(d.removed.len(), 1);
    assert_eq!(d.removed[0].key, removed.key);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].fields, vec!["alt_names"]);
    assert_eq!(d.unchanged, 113);
    assert!(ListDate::parse("2025-02-30").is_err());
    assert_eq!(
        ListDate::parse("2024-02-29").unwrap().to_string(),
        "2024-02-29"
    );
}
