//! `chipcap lists update` against a local HTTP server serving the fixtures (no test reaches the
//! internet): first import, 304 not re-imported, same content not re-imported, a changed list
//! imported as v2 with the ledger parties' changed hits, refusals (unparsable, shrunken) that leave
//! the store as it was, `--url`, OFAC's three files.

use super::fixture_http::FixtureServer;
use super::{chipcap, shared, temp_dir};
use std::path::PathBuf;

struct Env {
    lists: PathBuf,
    db: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let dir = temp_dir(tag);
        Env {
            lists: dir.join("lists"),
            db: dir.join("ledger.db"),
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = chipcap()
            .args(args)
            .env("CHIPCAP_LISTS", &self.lists)
            .env("CHIPCAP_DB", &self.db)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    }

    fn config(&self, text: &str) {
        std::fs::create_dir_all(&self.lists).unwrap();
        std::fs::write(self.lists.join("lists.toml"), text).unwrap();
    }

    fn index(&self) -> String {
        std::fs::read_to_string(self.lists.join("index.json")).unwrap_or_default()
    }

    fn versions(&self) -> usize {
        if !self.lists.join("index.json").exists() {
            return 0;
        }
        let v: serde_json::Value = serde_json::from_str(&self.index()).unwrap();
        v["versions"].as_array().unwrap().len()
    }

    fn party(&self, id: &str, name: &str, hq: &str) {
        self.ok(&[
            "ledger",
            "party",
            "--id",
            id,
            "--name",
            name,
            "--headquarters",
            hq,
        ]);
    }
}

fn legacy_csl() -> String {
    std::fs::read_to_string(shared("csl-legacy-sample.csv")).unwrap()
}

fn csl_config(srv: &FixtureServer) -> String {
    format!(
        "[sources.csl]\nurl = \"{}\"\n",
        srv.url("/downloadable_consolidated_screening_list/v1/consolidated.csv")
    )
}

const CSL_PATH: &str = "/downloadable_consolidated_screening_list/v1/consolidated.csv";

/// The sample with `32 Group China Ltd.` removed, the address of `ADRIAN MANUEL HERNANDEZ`
/// changed, and a new Entity List row for `Harbour Lights Trading Co.`.
fn legacy_csl_v2() -> String {
    let text = legacy_csl();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let i = lines
        .iter()
        .position(|l| l.contains(",32 Group China Ltd.,"))
        .unwrap();
    let removed = lines.remove(i);
    lines.push(removed.replace("32 Group China Ltd.", "Harbour Lights Trading Co."));
    let j = lines
        .iter()
        .position(|l| l.contains("ADRIAN MANUEL HERNANDEZ"))
        .unwrap();
    lines[j] = lines[j].replace("3037 S. 69TH DRIVE", "4100 N. 7TH STREET");
    let mut out = lines.join("\n");
    out.push('\n');
    assert_ne!(out, text);
    out
}

#[test]
fn lists_update_imports_skips_unchanged_and_reports_changed_hits() {
    let srv = FixtureServer::start();
    srv.put(CSL_PATH, legacy_csl().as_bytes());
    let env = Env::new("update-main");
    env.config(&csl_config(&srv));
    env.party("p-1", "32 Group China Limited", "HK");
    env.party("p-2", "Adrian Manuel Hernandez", "US");
    env.party("p-3", "Harbour Lights Trading", "HK");

    // First import.
    let out = env.ok(&["lists", "update", "--date", "2026-12-01"]);
    assert!(out.contains("csl: imported v1 csl-csv 2026-12-01"), "{out}");
    assert!(out.contains("first version of this list"), "{out}");
    assert_eq!(env.versions(), 1);
    assert!(env.lists.join("update-state.json").exists());

    // Unchanged: the server answers 304 to the conditional request; nothing is imported.
    let out = env.ok(&["lists", "update"]);
    assert!(
        out.contains("csl: unchanged (the server answered 304"),
        "{out}"
    );
    assert_eq!(env.versions(), 1);
    assert_eq!(srv.statuses(CSL_PATH), vec![200, 304]);

    // Changed: imported as v2, with what changed for the ledger's parties.
    srv.put(CSL_PATH, legacy_csl_v2().as_bytes());
    let out = env.ok(&["lists", "update", "--date", "2026-12-02", "--json"]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(env.versions(), 2);
    let s = &r["sources"][0];
    assert_eq!(s["outcome"], "imported", "{r}");
    assert_eq!(s["number"], 2, "{r}");
    assert_eq!(s["changes"]["added"], 1, "{r}");
    assert_eq!(s["changes"]["removed"], 1, "{r}");
    assert_eq!(s["changes"]["changed"], 1, "{r}");
    assert_eq!(r["parties"], 3, "{r}");
    let party = |name: &str| -> serde_json::Value {
        r["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["party"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no change for {name}: {r}"))
    };
    let cleared = party("32 Group China Limited");
    assert_eq!(cleared["hits_gone"].as_array().unwrap().len(), 1, "{r}");
    let new = party("Harbour Lights Trading");
    assert_eq!(
        new["new_hits"][0]["matched_name"], "Harbour Lights Trading Co.",
        "{r}"
    );
    let changed = party("Adrian Manuel Hernandez");
    assert!(
        changed["changed_entries"][0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "addresses"),
        "{r}"
    );

    // The table says the same.
    srv.put(CSL_PATH, legacy_csl().as_bytes());
    let out = env.ok(&["lists", "update"]);
    assert!(out.contains("csl: imported v3"), "{out}");
    assert!(out.contains("3 parties re-screened"), "{out}");
    assert!(out.contains("+ new hit"), "{out}");
    assert!(out.contains("- cleared"), "{out}");
}

#[test]
fn lists_update_same_content_without_validators_is_not_reimported() {
    let srv = FixtureServer::start();
    srv.put_without_etag(CSL_PATH, legacy_csl().as_bytes());
    let env = Env::new("update-same");
    env.config(&csl_config(&srv));
    env.ok(&["lists", "update"]);
    let out = env.ok(&["lists", "update"]);
    assert!(out.contains("csl: unchanged (same content"), "{out}");
    assert_eq!(env.versions(), 1);
    assert_eq!(srv.statuses(CSL_PATH), vec![200, 200]);
}

#[test]
fn lists_update_refuses_a_file_that_fails_to_parse() {
    let srv = FixtureServer::start();
    srv.put(CSL_PATH, legacy_csl().as_bytes());
    let env = Env::new("update-parse");
    env.config(&csl_config(&srv));
    env.ok(&["lists", "update"]);
    let before = env.index();
    // An HTML error page served as the list.
    srv.put(
        CSL_PATH,
        b"<html><body>Service temporarily unavailable</body></html>\n",
    );
    let (code, out, err) = env.run(&["lists", "update"]);
    assert_eq!(code, 2, "{out} {err}");
    assert!(err.contains("is not a valid csl-csv list"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(env.index(), before, "the store is unchanged");
    // An error status is a failure (exit 1), and imports nothing either.
    srv.fail(CSL_PATH, 503);
    let (code, _, err) = env.run(&["lists", "update"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("answered HTTP 503"), "{err}");
    assert_eq!(env.index(), before);
}

#[test]
fn lists_update_refuses_a_shrunken_list_unless_allowed() {
    let srv = FixtureServer::start();
    srv.put(CSL_PATH, legacy_csl().as_bytes());
    let env = Env::new("update-shrink");
    env.config(&csl_config(&srv));
    env.ok(&["lists", "update"]);
    let before = env.index();
    let truncated: String = legacy_csl()
        .lines()
        .take(20)
        .map(|l| format!("{l}\n"))
        .collect();
    srv.put(CSL_PATH, truncated.as_bytes());
    let (code, out, err) = env.run(&["lists", "update"]);
    assert_eq!(code, 2, "{out} {err}");
    assert!(err.contains("shrank by more than half"), "{err}");
    assert_eq!(env.index(), before, "the store is unchanged");
    // A header-only file is refused as empty.
    let header: String = legacy_csl()
        .lines()
        .take(1)
        .map(|l| format!("{l}\n"))
        .collect();
    srv.put(CSL_PATH, header.as_bytes());
    let (code, _, err) = env.run(&["lists", "update"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no entries"), "{err}");
    assert_eq!(env.index(), before);
    // Allowed on request.
    srv.put(CSL_PATH, truncated.as_bytes());
    let out = env.ok(&["lists", "update", "--allow-shrink"]);
    assert!(out.contains("csl: imported v2"), "{out}");
}

#[test]
fn lists_update_url_overrides_the_configured_location() {
    let srv = FixtureServer::start();
    srv.put("/mirror/consolidated.csv", legacy_csl().as_bytes());
    let env = Env::new("update-url");
    let url = srv.url("/mirror/consolidated.csv");
    // No lists.toml: the default location is trade.gov's; --url overrides it.
    let out = env.ok(&["lists", "update", "csl", "--url", &url]);
    assert!(out.contains("csl: imported v1"), "{out}");
    assert!(env.index().contains(&url), "{}", env.index());
    assert_eq!(srv.statuses("/mirror/consolidated.csv"), vec![200]);
    // --url names one source.
    let (code, _, err) = env.run(&["lists", "update", "csl", "bis-dpl", "--url", &url]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`--url`"), "{err}");
    // A bad lists.toml is named.
    env.config("[sources.nope]\nurl = \"http://x\"\n");
    let (code, _, err) = env.run(&["lists", "update"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("lists.toml") && err.contains("`nope`"),
        "{err}"
    );
}

#[test]
fn lists_update_fetches_ofac_sdn_with_its_alt_and_add_files() {
    let srv = FixtureServer::start();
    let read = |p: &str| std::fs::read(shared(p)).unwrap();
    srv.put("/ofac/sdn.csv", &read("ofac-sdn.csv"));
    srv.put("/ofac/alt.csv", &read("ofac-alt.csv"));
    srv.put("/ofac/add.csv", &read("ofac-add.csv"));
    let env = Env::new("update-ofac");
    env.config(&format!(
        "update = [\"ofac-sdn\"]\n[sources.ofac-sdn]\nurl = \"{}\"\n",
        srv.url("/ofac/sdn.csv")
    ));
    let out = env.ok(&["lists", "update"]);
    assert!(out.contains("ofac-sdn: imported v1 ofac-sdn"), "{out}");
    // Only alt.csv changed: the whole list is fetched again and imported.
    let alt = read("ofac-alt.csv");
    let first_line_end = alt.iter().position(|b| *b == b'\n').unwrap();
    srv.put("/ofac/alt.csv", &alt[first_line_end + 1..]);
    let out = env.ok(&["lists", "update"]);
    assert!(out.contains("ofac-sdn: imported v2"), "{out}");
    assert_eq!(srv.statuses("/ofac/sdn.csv"), vec![200, 304, 200]);
    assert_eq!(srv.statuses("/ofac/alt.csv"), vec![200, 200]);
    let out = env.ok(&["lists", "update"]);
    assert!(out.contains("ofac-sdn: unchanged"), "{out}");
}
