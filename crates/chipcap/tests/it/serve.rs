//! `chipcap serve`, `chipcap token` and `chipcap check --server`, as a user runs them.

use std::io::{BufRead as _, BufReader};
use std::process::{Command as Std, Stdio};

use assert_cmd::Command;

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("chipcap")
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Creates an officer token named `name` in the ledger `db`; returns it.
fn officer_token(db: &std::path::Path, name: &str) -> String {
    let out = Command::new(bin())
        .args([
            "token", "create", "--role", "officer", "--name", name, "--db",
        ])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A `chipcap serve` on a free loopback port, started with `args` after `serve --listen ...`.
struct Server {
    child: std::process::Child,
    url: String,
    // Kept open so the server's log writes never meet a closed pipe.
    _log: std::io::Lines<BufReader<std::process::ChildStderr>>,
}

impl Server {
    fn start(args: &[&std::ffi::OsStr]) -> Server {
        let mut child = Std::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // The server logs its address once it listens: read until then (no sleep).
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(rest) = line.split("addr=").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        Server {
            child,
            url: format!("http://{addr}"),
            _log: lines,
        }
    }

    /// SIGTERM: a graceful stop, exit code 0.
    fn stop(mut self) {
        let st = Std::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        assert!(self.child.wait().unwrap().success());
    }
}

#[test]
fn token_create_prints_the_token_once_and_stores_its_hash() {
    let dir = tempfile_dir();
    let db = dir.join("t.db");
    let out = Command::new(bin())
        .args([
            "token", "create", "--role", "officer", "--name", "ci", "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        token.starts_with("ccp_") && !token.contains('\n'),
        "{token}"
    );
    let file = std::fs::read_to_string(dir.join("t.db.tokens.json")).unwrap();
    assert!(!file.contains(&token), "only the hash is stored");
    assert!(file.contains("\"officer\""));
    let bad = Command::new(bin())
        .args(["token", "create", "--role", "root", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn serve_refuses_a_public_address_without_tokens() {
    let dir = tempfile_dir();
    let out = Command::new(bin())
        .args(["serve", "--listen", "0.0.0.0:0", "--db"])
        .arg(dir.join("x.db"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("token create"), "{err}");
}

#[test]
fn check_against_a_running_server_prints_the_local_answer() {
    let dir = tempfile_dir();
    let server = Server::start(&["--db".as_ref(), dir.join("s.db").as_os_str()]);
    let url = server.url.clone();
    let example = root().join("examples/tier2-licence.json");
    let remote = Command::new(bin())
        .args(["check", "--skip-screening", "--server", &url])
        .arg(&example)
        .output()
        .unwrap();
    assert!(
        remote.status.success(),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    let remote: serde_json::Value = serde_json::from_slice(&remote.stdout).unwrap();
    assert_eq!(remote["decision"], "license_required");
    assert_eq!(remote["review_policy"], "presumption_of_approval");

    let bad = Command::new(bin())
        .args(["check", "--server", &url, "-"])
        .write_stdin(r#"{"destination":"AE","items":[{"chip":"nvidia-h100-sxm","quantity":0}]}"#)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("items[0].quantity"), "{err}");

    // Issue 11: `--compare` against the server prints both versions.
    let cmp = Command::new(bin())
        .args(["check", "--compare", "--server", &url])
        .arg(root().join("examples/h200-uae-today.json"))
        .output()
        .unwrap();
    assert!(
        cmp.status.success(),
        "{}",
        String::from_utf8_lossy(&cmp.stderr)
    );
    let cmp: serde_json::Value = serde_json::from_slice(&cmp.stdout).unwrap();
    assert_eq!(cmp["enforced"], "advanced-computing-2023");
    assert_eq!(
        cmp["determinations"]["ai-diffusion-2025"]["rule_set"],
        "ai-diffusion-2025"
    );

    // SIGTERM: a graceful stop, exit code 0.
    server.stop();
}

/// `chipcap ledger --server URL ...` runs the ledger subcommands against a running server and prints
/// what the same subcommand prints locally on the server's database.
#[test]
fn ledger_subcommands_against_a_running_server_match_the_local_ledger() {
    let dir = tempfile_dir();
    let db = dir.join("team.db");
    let token = officer_token(&db, "desk");
    let server = Server::start(&["--db".as_ref(), db.as_os_str()]);
    let url = server.url.clone();
    let remote = |args: &[&str], stdin: Option<&str>| {
        let mut c = Command::new(bin());
        c.arg("ledger")
            .args(["--server", &url])
            .args(args)
            .env("CHIPCAP_TOKEN", &token)
            .env_remove("CHIPCAP_DB");
        if let Some(i) = stdin {
            c.write_stdin(i.to_string());
        }
        c.output().unwrap()
    };
    let ok = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout.clone()).unwrap()
    };
    ok(&remote(
        &[
            "party",
            "--id",
            "p-1",
            "--name",
            "Gulf Compute",
            "--headquarters",
            "AE",
            "--nveu",
            "AE:2025-01-15",
            "--date",
            "2025-01-15",
        ],
        None,
    ));
    ok(&remote(
        &[
            "assurance",
            "--id",
            "a-1",
            "--country",
            "IN",
            "--uplift",
            "100",
            "--date",
            "2025-02-01",
        ],
        None,
    ));
    let applied = ok(&remote(
        &["apply", "-"],
        Some(
            r#"{"id":"s-1","date":"2025-06-15","rule_set":"ai-diffusion-2025","destination":"IN","items":[{"chip":"nvidia-h100-sxm","quantity":100}],"consignee":{"name":"Example AI LLC"}}"#,
        ),
    ));
    let v: serde_json::Value = serde_json::from_str(&applied).unwrap();
    assert_eq!(v["recorded"], true, "{v}");
    assert_eq!(v["authorization"], "LPP");
    ok(&remote(
        &[
            "grant",
            "--id",
            "g-1",
            "--licence",
            "L-1",
            "--consignee",
            "Example AI LLC",
            "--destination",
            "IN",
            "--item",
            "nvidia-h100-sxm:1000",
            "--date",
            "2025-06-20",
            "--valid-to",
            "2026-06-20",
        ],
        None,
    ));
    ok(&remote(
        &[
            "reverse",
            "--id",
            "r-1",
            "--of",
            "s-1",
            "--reason",
            "cancelled",
            "--date",
            "2025-07-01",
        ],
        None,
    ));
    // The writes are recorded under the token's name.
    let hist = ok(&remote(&["history", "--json"], None));
    assert_eq!(hist.lines().count(), 5, "{hist}");
    assert!(hist.contains("desk (token"), "{hist}");
    // The reports print exactly what the local commands print on the server's database.
    for args in [
        vec!["balances", "--as-of", "2025-06-30", "--csv"],
        vec!["balances", "--as-of", "2025-12-31"],
        vec!["balances", "--as-of", "2025-12-31", "--json"],
        vec!["history", "--party", "Example AI LLC"],
        vec!["history", "--country", "IN", "--json"],
    ] {
        let r = ok(&remote(&args, None));
        let local = Command::new(bin())
            .arg("ledger")
            .arg("--db")
            .arg(&db)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(r, ok(&local), "{args:?}");
        assert!(!r.trim().is_empty(), "{args:?}");
    }
    // Bad input: exit 2 naming the field; `--by` is refused (the token says who); verify is local.
    let bad = remote(
        &["apply", "-"],
        Some(r#"{"id":"s-2","destination":"IN","items":[{"chip":"nope","quantity":1}]}"#),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("items[0].chip"));
    let bad = remote(
        &[
            "assurance",
            "--id",
            "a-2",
            "--country",
            "IN",
            "--uplift",
            "1",
            "--by",
            "me",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    let bad = remote(&["verify"], None);
    assert_eq!(bad.status.code(), Some(2));
    // Without a token the server refuses the write.
    let anon = Command::new(bin())
        .args([
            "ledger",
            "--server",
            &url,
            "assurance",
            "--id",
            "a-3",
            "--country",
            "IN",
            "--uplift",
            "1",
        ])
        .env_remove("CHIPCAP_TOKEN")
        .output()
        .unwrap();
    assert_eq!(anon.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&anon.stderr).contains("token"));
    // SIGTERM: a graceful stop, exit code 0.
    server.stop();
}

/// `chipcap screen --server URL`: a name, a disposition and the list of dispositions through a running
/// server, which records the disposition in its ledger (the same one the local commands read).
#[test]
fn screening_and_dispositions_through_a_running_server() {
    let dir = tempfile_dir();
    let db = dir.join("team.db");
    let lists = dir.join("lists");
    let sample = root().join("testdata/screening/csl-legacy-sample.csv");
    let imported = Command::new(bin())
        .args([
            "lists",
            "import",
            "--format",
            "csl-csv",
            "--date",
            "2026-01-01",
        ])
        .arg(&sample)
        .env("CHIPCAP_LISTS", &lists)
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let token = officer_token(&db, "reviewer");
    let server = Server::start(&[
        "--db".as_ref(),
        db.as_os_str(),
        "--lists".as_ref(),
        lists.as_os_str(),
    ]);
    let url = server.url.clone();
    let screen = |args: &[&str]| {
        Command::new(bin())
            .arg("screen")
            .args(["--server", &url])
            .args(args)
            .env("CHIPCAP_TOKEN", &token)
            .env("CHIPCAP_LISTS", dir.join("no-lists-here"))
            .output()
            .unwrap()
    };
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let table = ok(screen(&["32 Group China Limited", "--country", "HK"]));
    assert!(
        table.contains("MATCH") && table.contains("Entity List"),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(screen(&["32 Group China Limited", "--json"]))).unwrap();
    let key = json["hits"][0]["entry_key"].as_str().unwrap().to_string();
    ok(screen(&[
        "dispose",
        "--id",
        "d-1",
        "--party",
        "32 Group China Limited",
        "--entry",
        &key,
        "--as",
        "false-positive",
        "--why",
        "different company",
    ]));
    let table = ok(screen(&["32 Group China Limited"]));
    assert!(
        table.contains("disposition: false_positive by reviewer"),
        "{table}"
    );
    let listed = ok(screen(&["dispositions"]));
    assert!(listed.contains("d-1"), "{listed}");
    // The local command reads the same ledger.
    let local = Command::new(bin())
        .args(["screen", "dispositions", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let local: serde_json::Value = serde_json::from_slice(&local.stdout).unwrap();
    assert_eq!(local[0]["id"], "d-1", "{local}");
    // `--by` is the token's business with a server; bulk files are local.
    let bad = screen(&[
        "dispose",
        "--party",
        "X",
        "--entry",
        &key,
        "--as",
        "true-match",
        "--by",
        "me",
        "--why",
        "x",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    // SIGTERM: a graceful stop, exit code 0.
    server.stop();
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "chipcap-serve-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Several requests in one `ledger apply` (one per line, or a JSON array): decided in order in one
/// transaction, each against the balances the ones before it left; the same results locally and
/// through a running server (`POST /v1/ledger/apply/batch`); a request refused when applied fails
/// alone (exit 2, its result carries `error`); an invalid request stops the whole batch before
/// anything is recorded.
#[test]
fn a_batch_of_applies_locally_and_through_a_running_server() {
    let dir = tempfile_dir();
    let (local_db, server_db) = (dir.join("local.db"), dir.join("server.db"));
    let token = officer_token(&server_db, "desk");
    let server = Server::start(&["--db".as_ref(), server_db.as_os_str()]);
    let run = |remote: bool, args: &[&str], stdin: &str| {
        let mut c = Command::new(bin());
        c.arg("ledger");
        if remote {
            c.args(["--server", &server.url])
                .env("CHIPCAP_TOKEN", &token)
                .env_remove("CHIPCAP_DB");
        } else {
            c.arg("--db").arg(&local_db);
        }
        c.args(args).write_stdin(stdin.to_string());
        c.output().unwrap()
    };
    // A licence grant whose id a request below reuses (refused: the id belongs to a grant).
    for remote in [false, true] {
        let g = run(
            remote,
            &[
                "grant",
                "--id",
                "g-1",
                "--licence",
                "L-1",
                "--consignee",
                "Other LLC",
                "--destination",
                "IN",
                "--item",
                "nvidia-h100-sxm:10",
                "--date",
                "2025-06-01",
                "--valid-to",
                "2026-06-01",
            ],
            "",
        );
        assert!(g.status.success(), "{}", String::from_utf8_lossy(&g.stderr));
    }
    // 1,000 + 600 H100 fit the consignee's LPP allowance (1,699 H100-equivalents); the next 200 do
    // not (decided against the balance the first two left, in the same transaction).
    let req = |id: &str, q: u32| {
        format!(
            r#"{{"id":"{id}","date":"2025-06-15","rule_set":"ai-diffusion-2025","destination":"IN","items":[{{"chip":"nvidia-h100-sxm","quantity":{q}}}],"consignee":{{"name":"Example AI LLC"}}}}"#
        )
    };
    let lines = [
        req("s-1", 1000),
        req("s-2", 600),
        req("g-1", 1),
        req("s-3", 200),
    ]
    .join("\n");
    let mut answers = Vec::new();
    for remote in [false, true] {
        let o = run(remote, &["apply", "-"], &lines);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("1 of 4 requests were refused"));
        let text = String::from_utf8(o.stdout).unwrap();
        let docs: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(docs.len(), 4, "{text}");
        assert_eq!(docs[0]["recorded"], true);
        assert_eq!(docs[0]["authorization"], "LPP");
        assert_eq!(docs[1]["recorded"], true);
        assert_eq!(docs[2]["id"], "g-1");
        assert_eq!(docs[2]["error"]["code"], "conflict", "{}", docs[2]);
        assert_eq!(docs[3]["recorded"], false);
        assert_eq!(docs[3]["decision"], "license_required");
        answers.push(text);
    }
    assert_eq!(answers[0], answers[1]);
    // A JSON array is answered with an array; re-applying replays the first results.
    let array = format!("[{},{}]", req("s-1", 1000), req("s-2", 600));
    let mut arrays = Vec::new();
    for remote in [false, true] {
        let o = run(remote, &["apply", "-"], &array);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
        assert_eq!(v[1]["entry_seq"], 3, "{v}");
        arrays.push(o.stdout);
    }
    assert_eq!(arrays[0], arrays[1]);
    // An invalid request: nothing in the batch is applied, the error names it.
    let bad = [
        req("s-4", 1),
        r#"{"id":"s-5","destination":"IN","items":[{"chip":"nope","quantity":1}]}"#.to_string(),
    ]
    .join("\n");
    for (remote, names) in [(false, "request 2"), (true, "[1].items[0].chip")] {
        let o = run(remote, &["apply", "-"], &bad);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(names), "{err}");
        let h = run(remote, &["history", "--json"], "");
        let h = String::from_utf8(h.stdout).unwrap();
        assert!(!h.contains("s-4"), "{h}");
        assert_eq!(h.lines().count(), 3, "{h}");
    }
    server.stop();
}
