//! `chipcap ledger` as a user runs it (docs/ledger.md): record, apply, grant, report, verify; exit
//! codes 0 (a result), 2 (bad input or a refusal), 1 (verify found a discrepancy).

use assert_cmd::Command;

fn ledger(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("chipcap")
        .unwrap()
        .arg("ledger")
        .args(args)
        .env("CHIPCAP_DB", db)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn apply(db: &std::path::Path, req: &str) -> serde_json::Value {
    let out = Command::cargo_bin("chipcap")
        .unwrap()
        .args(["ledger", "apply", "-"])
        .env("CHIPCAP_DB", db)
        .write_stdin(req)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_ledger_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    assert_eq!(ledger(&db, &["init"]).0, 0);
    let req = r#"{"id":"s-1","date":"2025-06-15","rule_set":"ai-diffusion-2025","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":1000}],"consignee":{"name":"Example AI LLC"}}"#;
    let v = apply(&db, req);
    assert_eq!(
        (v["recorded"].as_bool(), v["authorization"].as_str()),
        (Some(true), Some("LPP"))
    );
    assert_eq!(
        apply(&db, req),
        v,
        "re-applying an id prints the first result"
    );
    let v = apply(&db, &req.replace("s-1", "s-2"));
    assert_eq!(v["recorded"], false);
    // A grant past the allocation is refused (2), then forced with a reason.
    let grant = [
        "grant",
        "--id",
        "g-1",
        "--licence",
        "L-1",
        "--consignee",
        "X",
        "--destination",
        "IN",
        "--item",
        "nvidia-h100-sxm:60000",
        "--date",
        "2025-07-01",
        "--valid-to",
        "2026-06-30",
    ];
    let (code, out, err) = ledger(&db, &grant);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.is_empty() && err.contains("would exceed its cap"),
        "{err}"
    );
    let mut forced = grant.to_vec();
    forced.extend(["--force", "approved"]);
    assert_eq!(ledger(&db, &forced).0, 0);
    let (code, out, _) = ledger(&db, &["balances", "--as-of", "2025-12-31", "--csv"]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("lpp,Example AI LLC,,2025,maximum,26900000,15832000,")),
        "{out}"
    );
    let (code, out, _) = ledger(&db, &["verify"]);
    assert_eq!(code, 0, "{out}");
    // Bad input: exit 2, nothing on standard output.
    let (code, out, err) = ledger(&db, &["reverse", "--id", "r-1", "--of", "nope"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("`nope`"), "{err}");
    // Tampering: verify exits 1.
    rusqlite_free_edit(&db);
    let (code, out, _) = ledger(&db, &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("PROBLEM"), "{out}");
}

/// Edits the ledger file behind its back (the sqlite3 shell is not needed: chipcap-ledger's own
/// dependency opens it).
fn rusqlite_free_edit(db: &std::path::Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch("UPDATE draws SET amount = amount + 1")
        .unwrap();
}

/// Regression (issue 12): a ledger whose last operations were cut off (entries, draws and audit
/// records alike) verified; each write now prints the audit head, and `verify --expect-head`
/// fails when the chain no longer contains it.
#[test]
fn verify_expect_head_detects_a_truncated_tail() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let req = r#"{"id":"s-1","date":"2025-06-15","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":10}],"consignee":{"name":"Example AI LLC"}}"#;
    apply(&db, req);
    let out = Command::cargo_bin("chipcap")
        .unwrap()
        .args(["ledger", "apply", "-"])
        .env("CHIPCAP_DB", &db)
        .write_stdin(req.replace("s-1", "s-2"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let head = err
        .lines()
        .find_map(|l| l.strip_prefix("audit head: "))
        .unwrap_or_else(|| panic!("no audit head in {err}"))
        .to_string();
    let (code, out, _) = ledger(&db, &["head"]);
    assert_eq!((code, out.trim().to_string()), (0, format!("2 {head}")));
    assert_eq!(ledger(&db, &["verify", "--expect-head", &head]).0, 0);
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "PRAGMA foreign_keys = OFF; DELETE FROM draws WHERE entry_seq = 2; \
         DELETE FROM entries WHERE seq = 2; DELETE FROM audit WHERE seq = 2;",
    )
    .unwrap();
    drop(c);
    assert_eq!(
        ledger(&db, &["verify"]).0,
        0,
        "a clean cut needs a checkpoint"
    );
    let (code, out, _) = ledger(&db, &["verify", "--expect-head", &head]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("checkpoint"), "{out}");
}

/// Issue 11: US end-use shipments recorded from the command line feed the 50% China/US share;
/// balances are labelled with their rule version and `--rule-set` shows one.
#[test]
fn us_shipments_and_balances_by_rule_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    assert_eq!(ledger(&db, &["init"]).0, 0);
    let (code, _, err) = ledger(
        &db,
        &[
            "us-shipment",
            "--id",
            "u-1",
            "--chip",
            "nvidia-h200-sxm",
            "--quantity",
            "200",
            "--date",
            "2026-02-01",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = ledger(
        &db,
        &[
            "us-shipment",
            "--id",
            "u-2",
            "--chip",
            "no-such-chip",
            "--quantity",
            "1",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no-such-chip"), "{err}");
    // An NLR shipment (Brazil, enforced line) is recorded with its version.
    let v = apply(
        &db,
        r#"{"id":"s-1","date":"2026-06-01","destination":"BR","items":[{"chip":"nvidia-l40","quantity":4}],"consignee":{"name":"Exemplo Ltda","headquarters":"BR"}}"#,
    );
    assert_eq!(v["decision"], "no_license_required");
    assert_eq!(v["recorded"], true);
    let (code, out, _) = ledger(
        &db,
        &[
            "balances",
            "--as-of",
            "2026-12-31",
            "--json",
            "--rule-set",
            "advanced-computing-2023",
        ],
    );
    assert_eq!(code, 0);
    let b: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = b["balances"].as_array().unwrap();
    assert!(rows
        .iter()
        .any(|r| r["allowance"] == "us_end_use" && r["entity"] == "nvidia-h200-sxm"));
    assert!(rows
        .iter()
        .all(|r| r["rule_set"] == "advanced-computing-2023"));
    let (code, _, err) = ledger(&db, &["balances", "--rule-set", "ai-2099"]);
    assert_eq!(code, 2);
    assert!(err.contains("--rule-set"), "{err}");
}

/// Issue 14, point 3: the countries typed on the command line are recorded as the core's country
/// codes: any case is accepted (recorded upper case), a bad one is refused (exit 2) with the
/// message it always had.
#[test]
fn typed_countries_keep_their_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    assert_eq!(ledger(&db, &["init"]).0, 0);
    let party = |id: &str, hq: &str, nveu: &str| {
        ledger(
            &db,
            &[
                "party",
                "--id",
                id,
                "--name",
                "Gulf Compute",
                "--headquarters",
                hq,
                "--nveu",
                nveu,
                "--date",
                "2025-01-15",
            ],
        )
    };
    let (code, _, err) = party("p1", "ae", "ae:2025-01-15");
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = ledger(&db, &["history", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(r#""headquarters":"AE""#) && out.contains(r#""countries":["AE"]"#),
        "{out}"
    );
    let (code, _, err) = party("p2", "zz", "AE:2025-01-15");
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: headquarters is not an ISO 3166-1 alpha-2 country code, got `zz`"
    );
    let (code, _, err) = party("p3", "AE", "U1:2025-01-15");
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: VEU country is not an ISO 3166-1 alpha-2 country code, got `U1`"
    );
    let (code, _, err) = ledger(
        &db,
        &[
            "assurance",
            "--id",
            "a1",
            "--country",
            "India",
            "--uplift",
            "10",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: country is not an ISO 3166-1 alpha-2 country code, got `India`"
    );
}
