//! The path of one request, the same under every front end (the CLI, the HTTP server, the Python
//! bindings' callers): **parse** (`wire::parse_request`, the date defaulting to the edge's today)
//! → **gather the context** (the parties screened against the restricted-party lists with the
//! reviewers' dispositions, [`ScreeningSources`]; for `ledger apply`, the balances, read by the
//! ledger inside its transaction) → **decide** (`chipcap_core::determine`, pure) → **record** (the
//! ledger's writer, for `ledger apply`). The front ends read arguments or HTTP bodies, call these
//! steps and print or serve the answer.

use chipcap_core::date::Date;
use chipcap_core::determination::Determination;
use chipcap_core::params::RuleSet;
use chipcap_core::request::Screening;
use chipcap_core::wire::{self, GivenScreening, ParsedRequest, WireError};
use chipcap_core::DetermineError;
use chipcap_ledger::{Meta, PreparedApply};

use crate::lists::{DispositionRecord, LoadedLists};

/// What the edge screens a request's parties with: the imported lists (none: not screened) and
/// the reviewers' dispositions in force.
#[derive(Clone, Copy)]
pub struct ScreeningSources<'a> {
    /// The latest imported version of every list, if any was imported.
    pub lists: Option<&'a LoadedLists>,
    /// The dispositions read from the ledger.
    pub dispositions: &'a [DispositionRecord],
}

impl ScreeningSources<'static> {
    /// No lists: requests are marked "not screened".
    pub const NONE: ScreeningSources<'static> = ScreeningSources {
        lists: None,
        dispositions: &[],
    };
}

impl ScreeningSources<'_> {
    /// The screening context of a request's parties; `None` without lists.
    pub fn screen(&self, parsed: &ParsedRequest) -> Option<Screening> {
        self.lists
            .map(|l| l.screen(&parsed.parties_to_screen(), self.dispositions))
    }
}

/// Step 1: parse a request document (the contract of `docs/contract.md`); an error names the field.
pub fn parse(text: &str, rules: &RuleSet, today: Date) -> Result<ParsedRequest, WireError> {
    wire::parse_request(text, rules, today)
}

/// Whether step 2 will screen this request (`skip`: the front end's own switch, e.g.
/// `--skip-screening`); a front end that loads its lists or dispositions lazily asks first.
pub fn wants_screening(parsed: &ParsedRequest, skip: bool) -> bool {
    parsed.wants_screening(skip, GivenScreening::Keep)
}

/// Step 2 of a determination: screens the parties (unless skipped, or the request carries its own
/// screening) into the request's context.
pub fn screen(parsed: &mut ParsedRequest, skip: bool, sources: ScreeningSources<'_>) {
    parsed.gather_screening(skip, GivenScreening::Keep, |p| sources.screen(p));
}

/// Steps 1 and 2 together (sources at hand).
pub fn read_request(
    text: &str,
    rules: &RuleSet,
    today: Date,
    skip: bool,
    sources: ScreeningSources<'_>,
) -> Result<ParsedRequest, WireError> {
    let mut parsed = parse(text, rules, today)?;
    screen(&mut parsed, skip, sources);
    Ok(parsed)
}

/// Step 3: the determination under the version the request names, or the one enforced on its
/// date. (`WireError::from` names the field a determination error is about.)
pub fn decide(parsed: &ParsedRequest, rules: &RuleSet) -> Result<Determination, DetermineError> {
    chipcap_core::determine(&parsed.request, rules)
}

/// Steps 1 and 2 of a `ledger apply`: the request (the contract plus `id` and an optional
/// `licence`) parsed and screened before the ledger's writer takes its lock; the writer gathers
/// the balances, decides and records (step 3 and 4, [`chipcap_ledger::Ledger::apply_batch`]).
pub fn prepare_apply(
    rules: &RuleSet,
    text: &str,
    meta: &Meta,
    today: Date,
    sources: ScreeningSources<'_>,
) -> Result<PreparedApply, chipcap_ledger::Error> {
    PreparedApply::new(rules, text, meta, today, &|p| sources.screen(p))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chipcap_core::request::ScreeningStatus;

    fn rules() -> RuleSet {
        chipcap_rules::embedded().unwrap()
    }

    fn today() -> Date {
        Date::new(2026, 12, 6).unwrap()
    }

    /// A store with the legacy CSL sample imported (its first SDN entry: `200G PSA HOLDINGS LLC`).
    fn lists() -> (tempfile::TempDir, LoadedLists) {
        let csv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/screening/csl-legacy-sample.csv");
        let entries = chipcap_screen::parse_csl_csv(&std::fs::read(csv).unwrap()).unwrap();
        let v = chipcap_screen::ListVersion::new(
            chipcap_screen::ListFormat::CslCsv,
            "sample",
            None,
            entries,
        );
        let dir = tempfile::tempdir().unwrap();
        crate::lists::Store::new(dir.path())
            .import(v, false, "2026-01-01T00:00:00Z".into())
            .unwrap();
        let l = LoadedLists::load(dir.path()).unwrap().unwrap();
        (dir, l)
    }

    fn request(consignee: &str, extra: &str) -> String {
        format!(
            r#"{{"date":"2026-06-01","destination":"AE","items":[{{"chip":"nvidia-h100-sxm","quantity":8}}],
               "consignee":{{"name":"{consignee}","headquarters":"AE"}}{extra}}}"#
        )
    }

    const GIVEN: &str =
        r#","context":{"screening":{"status":"performed","lists":["csl given"],"hits":[]}}"#;

    #[test]
    fn without_lists_the_parties_are_not_screened() {
        let r = rules();
        let p = read_request(
            &request("200G PSA HOLDINGS LLC", ""),
            &r,
            today(),
            false,
            ScreeningSources::NONE,
        )
        .unwrap();
        assert_eq!(
            p.request.context.screening.status,
            ScreeningStatus::NotPerformed
        );
    }

    #[test]
    fn a_listed_consignee_is_screened_and_found() {
        let r = rules();
        let (_d, l) = lists();
        let src = ScreeningSources {
            lists: Some(&l),
            dispositions: &[],
        };
        let p = read_request(
            &request("200G PSA HOLDINGS LLC", ""),
            &r,
            today(),
            false,
            src,
        )
        .unwrap();
        let s = &p.request.context.screening;
        assert!(
            matches!(s.status, ScreeningStatus::Performed { .. }),
            "{s:?}"
        );
        assert!(
            s.hits.iter().any(|h| h.party == "200G PSA HOLDINGS LLC"),
            "{s:?}"
        );
        // The same request with screening switched off, by the front end or by the request.
        let p = read_request(
            &request("200G PSA HOLDINGS LLC", ""),
            &r,
            today(),
            true,
            src,
        )
        .unwrap();
        assert_eq!(p.request.context.screening.status, ScreeningStatus::Skipped);
        assert!(p.request.context.screening.hits.is_empty());
        let p = read_request(
            &request(
                "200G PSA HOLDINGS LLC",
                r#","options":{"skip_screening":true}"#,
            ),
            &r,
            today(),
            false,
            src,
        )
        .unwrap();
        assert_eq!(p.request.context.screening.status, ScreeningStatus::Skipped);
    }

    #[test]
    fn a_determination_keeps_the_screening_a_request_carries_the_ledger_replaces_it() {
        let r = rules();
        let (_d, l) = lists();
        let src = ScreeningSources {
            lists: Some(&l),
            dispositions: &[],
        };
        let text = request("200G PSA HOLDINGS LLC", GIVEN);
        let mut p = parse(&text, &r, today()).unwrap();
        assert!(!wants_screening(&p, false));
        screen(&mut p, false, src);
        assert!(p.request.context.screening.hits.is_empty(), "kept as given");
        // `ledger apply`: what is recorded is what the edge screened.
        let mut p = parse(&text, &r, today()).unwrap();
        assert!(p.wants_screening(false, GivenScreening::Replace));
        p.gather_screening(false, GivenScreening::Replace, |q| src.screen(q));
        assert!(!p.request.context.screening.hits.is_empty(), "replaced");
    }

    #[test]
    fn decide_is_the_core_determination() {
        let r = rules();
        let p = read_request(
            &request("Gulf Compute LLC", ""),
            &r,
            today(),
            false,
            ScreeningSources::NONE,
        )
        .unwrap();
        let a = decide(&p, &r).unwrap();
        let b = chipcap_core::determine(&p.request, &r).unwrap();
        assert_eq!(wire::to_json(&a), wire::to_json(&b));
    }
}
