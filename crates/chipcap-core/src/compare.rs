//! One request decided under every rule version, and what changes between them (`check --compare`,
//! `POST /v1/determinations/compare`).

use crate::determination::Determination;
use crate::params::{RuleSet, RuleSetId};
use crate::request::Request;
use crate::DetermineError;

/// A field of the determination that differs between the versions, shown as each writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The determination field (`decision`, `authorization`, ...).
    pub field: &'static str,
    /// Its value under each version, in the order of [`Comparison::determinations`] (JSON text).
    pub values: Vec<String>,
}

/// The request under each version.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ComparisonDoc))]
pub struct Comparison {
    /// The version enforced on the decision date.
    pub enforced: RuleSetId,
    /// Each version and its determination, the enforced one first (written as an object by version
    /// name).
    #[cfg_attr(feature = "schema", schema(value_type = HashMap<String, Determination>))]
    pub determinations: Vec<(RuleSetId, Determination)>,
    /// What differs (written as `{"field": "decision", "advanced-computing-2023": ..., "ai-diffusion-2025": ...}`).
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Object>))]
    pub changed: Vec<Change>,
}

fn quoted(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_string(), |v| format!("\"{v}\""))
}

/// The fields compared, as JSON text.
fn fields(d: &Determination) -> [(&'static str, String); 6] {
    [
        (
            "decision",
            quoted(Some(crate::wire::decision_str(d.decision))),
        ),
        ("authorization", quoted(d.authorization.map(|a| a.as_str()))),
        ("review_policy", quoted(d.review_policy.map(|p| p.as_str()))),
        (
            "tier",
            d.tier.map_or_else(|| "null".to_string(), |t| t.to_string()),
        ),
        ("eccn", quoted(Some(d.eccn.as_str()))),
        ("tpp", d.tpp.to_string().replace(',', "")),
    ]
}

/// Decides `req` under every version (the request's own `rule_set` is ignored) and lists the fields
/// that differ. Fails when a version cannot decide the request (a date it does not cover).
pub fn compare(req: &Request, rules: &RuleSet) -> Result<Comparison, DetermineError> {
    let enforced = rules.select(None, req.date)?;
    let mut determinations = Vec::with_capacity(RuleSetId::ALL.len());
    for id in RuleSetId::ALL {
        let mut r = req.clone();
        r.rule_set = Some(id);
        determinations.push((id, crate::determine(&r, rules)?));
    }
    let rows: Vec<[(&'static str, String); 6]> =
        determinations.iter().map(|(_, d)| fields(d)).collect();
    let mut changed = Vec::new();
    for i in 0..6 {
        let values: Vec<String> = rows.iter().map(|r| r[i].1.clone()).collect();
        if values.windows(2).any(|w| w[0] != w[1]) {
            changed.push(Change {
                field: rows.first().map_or("", |r| r[i].0),
                values,
            });
        }
    }
    Ok(Comparison {
        enforced,
        determinations,
        changed,
    })
}

/// The comparison as JSON: `{"enforced", "changed": [{"field", <version>: value, ...}],
/// "determinations": {<version>: determination, ...}}`.
pub fn to_json(c: &Comparison) -> String {
    let mut o = String::with_capacity(8192);
    o.push_str("{\"enforced\":\"");
    o.push_str(c.enforced.as_str());
    o.push_str("\",\"changed\":[");
    for (i, ch) in c.changed.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"field\":\"");
        o.push_str(ch.field);
        o.push('"');
        for ((id, _), v) in c.determinations.iter().zip(&ch.values) {
            o.push_str(",\"");
            o.push_str(id.as_str());
            o.push_str("\":");
            o.push_str(v);
        }
        o.push('}');
    }
    o.push_str("],\"determinations\":{");
    for (i, (id, d)) in c.determinations.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push('"');
        o.push_str(id.as_str());
        o.push_str("\":");
        o.push_str(&crate::wire::to_json(d));
    }
    o.push_str("}}");
    o
}
