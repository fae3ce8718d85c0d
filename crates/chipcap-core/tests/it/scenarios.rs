//! One scenario file per case under `tests/cases/`: a request and the parts of the determination it
//! must produce (a subset: every key given must match exactly; arrays match element by element).

use chipcap_core::date::Date;
use chipcap_core::wire;
use serde_json::Value;
use std::path::PathBuf;

fn subset(expected: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => subset(ev, av, &format!("{path}.{k}"), errors),
                    None => errors.push(format!("{path}.{k}: missing, expected {ev}")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                errors.push(format!(
                    "{path}: expected {} elements, got {}: {actual}",
                    e.len(),
                    a.len()
                ));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset(ev, av, &format!("{path}[{i}]"), errors);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            // Compare as exact decimal text (both sides are exact to 0.001 by construction).
            let norm = |n: &serde_json::Number| -> String {
                let s = n.to_string();
                if s.contains('.') && !s.contains('e') {
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                } else if let Some(f) = n.as_f64().filter(|_| s.contains('e')) {
                    format!("{f}")
                } else {
                    s
                }
            };
            if norm(e) != norm(a) {
                errors.push(format!("{path}: expected {e}, got {a}"));
            }
        }
        (e, a) => {
            if e != a {
                errors.push(format!("{path}: expected {e}, got {a}"));
            }
        }
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn scenario_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    assert!(
        files.len() >= 80,
        "expected the scenario files in {}",
        dir.display()
    );
    let rules = crate::rules();
    let today = Date::new(2025, 6, 15).unwrap_or_else(|| panic!("date"));
    let mut failures = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            case["citation"].as_str().is_some_and(|c| !c.is_empty()),
            "{name}: every case cites its paragraph"
        );
        let req_text = case["request"].to_string();
        if let Some(want) = case.get("expect_error") {
            // A request the engine must refuse, naming the field (and what the message must say).
            match wire::parse_request(&req_text, rules, today) {
                Ok(_) => failures.push(format!("{name}: accepted, expected an error")),
                Err(e) => {
                    if want["field"].as_str() != Some(e.field.as_str()) {
                        failures.push(format!(
                            "{name}: error names `{}`, expected {}",
                            e.field, want["field"]
                        ));
                    }
                    if let Some(c) = want["message_contains"].as_str() {
                        if !e.message.contains(c) {
                            failures
                                .push(format!("{name}: error `{}` does not say `{c}`", e.message));
                        }
                    }
                }
            }
            continue;
        }
        let parsed = match wire::parse_request(&req_text, rules, today) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{name}: request rejected: {e}"));
                continue;
            }
        };
        let det = match chipcap_core::determine(&parsed.request, rules) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let actual = serde_json::to_value(&det).unwrap_or(Value::Null);
        let mut expect = case["expect"].clone();
        let mut errors = Vec::new();
        if let Value::Object(m) = &mut expect {
            let inc = strings(m.remove("notice_codes_include").as_ref());
            let exc = strings(m.remove("notice_codes_exclude").as_ref());
            let cites = strings(m.remove("reason_citations_include").as_ref());
            let codes: Vec<&str> = actual["notices"]
                .as_array()
                .map(|a| a.iter().filter_map(|n| n["code"].as_str()).collect())
                .unwrap_or_default();
            let rc: Vec<&str> = actual["reasons"]
                .as_array()
                .map(|a| a.iter().filter_map(|n| n["citation"].as_str()).collect())
                .unwrap_or_default();
            for c in inc {
                if !codes.contains(&c.as_str()) {
                    errors.push(format!("notice `{c}` missing (have {codes:?})"));
                }
            }
            for c in exc {
                if codes.contains(&c.as_str()) {
                    errors.push(format!("notice `{c}` should be absent"));
                }
            }
            for c in cites {
                if !rc.contains(&c.as_str()) {
                    errors.push(format!("reason citing `{c}` missing (have {rc:?})"));
                }
            }
        }
        subset(&expect, &actual, "", &mut errors);
        if actual["reasons"].as_array().is_none_or(|r| r.is_empty()) {
            errors.push("reasons must never be empty".into());
        }
        if !errors.is_empty() {
            failures.push(format!("{name}:\n    {}", errors.join("\n    ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
