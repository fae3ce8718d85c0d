//! The chip catalog, the rules in force and a classification as JSON: one writer shared by the API
//! and the CLI (`chipcap chips --json`, `rules --json`, `classify --json` can call these).

use chipcap_core::classify::{classify_chip, Band, ChipClass, ClassifyError, Outside};
use chipcap_core::date::Date;
use chipcap_core::params::RuleSet;
use chipcap_core::units::{ratio_milli, write_milli_plain, Tpp};
use serde_json::{json, Value};

/// A milli-unit amount as an exact JSON number (`4992.5`).
pub fn milli_number(m: i128) -> Value {
    let mut s = String::new();
    let _ = write_milli_plain(&mut s, m);
    serde_json::from_str::<Value>(&s).unwrap_or(Value::Null)
}

/// The ECCN and the paragraph of a classification.
pub fn band_text(band: Result<Band, Outside>) -> (&'static str, &'static str) {
    match band {
        Ok(b) if b.is_a() => ("3A090.a", b.as_str()),
        Ok(b) => ("3A090.b", b.as_str()),
        Err(Outside::Note2) => ("none", "Note 2 to 3A090 (non-datacenter, TPP < 4800)"),
        Err(Outside::BelowThresholds) => ("none", "below the 3A090 thresholds"),
    }
}

/// The chip catalog, with TPP, performance density, ECCN and H100-equivalents (the H100 TPP in force
/// on `date`).
pub fn chips_json(rules: &RuleSet, date: Date) -> Value {
    let h100 = *rules.params.h100_tpp.at(date).value;
    let rows: Vec<Value> = rules
        .catalog
        .chips()
        .iter()
        .map(|c| {
            let t = c.tpp().unwrap_or(Tpp::ZERO);
            let class = classify_chip(t, c.die_area_milli_mm2, c.datacenter, &rules.eccn_3a090);
            let (eccn, para) = class.map(|k| band_text(k.band)).unwrap_or(("?", "?"));
            let pd = class.ok().and_then(|k| k.pd_milli);
            let h = ratio_milli(t.milli().into(), h100.milli().max(1).into()).unwrap_or(0);
            json!({
                "id": c.id, "aliases": c.aliases, "vendor": c.vendor, "model": c.model,
                "form_factor": c.form_factor, "year": c.year, "datacenter": c.datacenter,
                "die_area_mm2": c.die_area_milli_mm2.map(|a| milli_number(a.into())),
                "tpp": milli_number(t.milli().into()),
                "tpp_precision": c.tpp_precision().map(|p| p.key()),
                "performance_density": pd.map(|p| milli_number(p.into())),
                "eccn": eccn, "paragraph": para,
                "h100_equivalents": milli_number(i128::try_from(h).unwrap_or(0)),
                "sources": c.sources,
            })
        })
        .collect();
    Value::Array(rows)
}

/// The rule parameters, NVEU schedule and country groups in force on `date`, with their citations.
pub fn rules_json(rules: &RuleSet, date: Date) -> Value {
    // The rows are the core's (`rules_view`), the one list of the framework's parameters and groups.
    use chipcap_core::params::RuleSetId::AiDiffusion2025 as Fw;
    use chipcap_core::rules_view as rv;
    let rows: Vec<Value> = rv::parameters(rules, Fw, date)
        .into_iter()
        .map(|p| {
            json!({
                "name": p.name, "value": p.value, "reference": p.reference,
                "evidence": p.evidence.as_str(), "outside_window": p.outside,
            })
        })
        .collect();
    let groups = rv::groups(rules, Fw, date);
    let nveu = rules.nveu_cap(date);
    json!({
        "rule_set": rules.name, "title": rules.title, "citation": rules.citation, "date": date.to_string(),
        "effective_from": rules.effective_from.to_string(), "compliance_from": rules.compliance_from.to_string(),
        "security_compliance_from": rules.security_compliance_from.to_string(),
        "not_enforced_from": rules.not_enforced_from.map(|d| d.to_string()),
        "parameters": rows,
        "nveu_quarter": nveu.map(|(q, o)| json!({"quarter": q.quarter.to_string(), "cap_tpp": milli_number(q.cap.milli().into()), "reference": q.source.reference, "outside_window": o})),
        "nveu_schedule": rules.nveu.iter().map(|q| json!({"quarter": q.quarter.to_string(), "cap_tpp": milli_number(q.cap.milli().into())})).collect::<Vec<_>>(),
        "country_groups": groups.iter().map(|g| json!({"group": g.name, "members": g.members.iter().map(|c| c.to_string()).collect::<Vec<_>>(), "reference": g.reference, "evidence": g.evidence.as_str()})).collect::<Vec<_>>(),
        "eccn_3a090": {"reference": rules.eccn_3a090_source.reference},
        "enforced": chipcap_core::params::RuleSetId::AdvancedComputing2023.as_str(),
        "advanced_computing": version_json(rules, chipcap_core::params::RuleSetId::AdvancedComputing2023, date),
    })
}

/// One rule version on a date: its parameters, country groups and review policies (and, for the
/// advanced-computing line, the amendments in force), each with its reference and evidence grade.
pub fn version_json(rules: &RuleSet, id: chipcap_core::params::RuleSetId, date: Date) -> Value {
    use chipcap_core::rules_view as rv;
    let params: Vec<Value> = rv::parameters(rules, id, date)
        .into_iter()
        .map(|p| json!({"name": p.name, "value": p.value, "reference": p.reference, "evidence": p.evidence.as_str(), "outside_window": p.outside}))
        .collect();
    let groups: Vec<Value> = rv::groups(rules, id, date)
        .into_iter()
        .map(|g| json!({"group": g.name, "members": g.members.iter().map(|c| c.to_string()).collect::<Vec<_>>(), "reference": g.reference, "evidence": g.evidence.as_str()}))
        .collect();
    let policies: Vec<Value> = rv::policies(rules, id, date)
        .into_iter()
        .map(|p| json!({"case": p.case, "policy": p.policy.as_str(), "citation": p.citation}))
        .collect();
    let mut v = json!({
        "rule_set": id.as_str(), "date": date.to_string(),
        "parameters": params, "country_groups": groups, "policies": policies,
    });
    if id == chipcap_core::params::RuleSetId::AdvancedComputing2023 {
        let ac = &rules.advanced;
        v["title"] = json!(ac.title);
        v["citation"] = json!(&*ac.citation);
        v["covered_from"] = json!(ac.covered_from.to_string());
        v["amendments"] = json!(rv::amendments(rules, date)
            .into_iter()
            .map(|(key, from, title, src)| json!({"key": key, "effective_from": from.to_string(), "title": title, "reference": src.reference, "evidence": src.evidence.as_str()}))
            .collect::<Vec<_>>());
    }
    v
}

/// `chipcap rules diff`: the differences between two sides as JSON.
pub fn diff_json(
    rules: &RuleSet,
    a: chipcap_core::rules_view::Side,
    b: chipcap_core::rules_view::Side,
) -> Value {
    use chipcap_core::rules_view::{diff, Difference};
    let side = |s: chipcap_core::rules_view::Side| json!({"rule_set": s.rule_set.as_str(), "date": s.date.to_string()});
    let prow = |r: &Option<chipcap_core::rules_view::ParamRow>| {
        r.as_ref().map(|p| json!({"value": p.value, "reference": p.reference, "evidence": p.evidence.as_str()}))
    };
    let qrow = |r: &Option<chipcap_core::rules_view::PolicyRow>| {
        r.as_ref()
            .map(|p| json!({"policy": p.policy.as_str(), "citation": p.citation}))
    };
    let rows: Vec<Value> = diff(rules, a, b)
        .iter()
        .map(|d| match d {
            Difference::Parameter { name, a, b } => json!({"kind": "parameter", "name": name, "a": prow(a), "b": prow(b)}),
            Difference::Group { name, added, removed, only, reference } => json!({"kind": "group", "name": name,
                "added": added.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "removed": removed.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "only_on": only.map(|c| c.to_string()), "reference": reference}),
            Difference::Policy { case, a, b } => json!({"kind": "policy", "case": case, "a": qrow(a), "b": qrow(b)}),
            Difference::Amendment { key, citation, effective_from, side } => json!({"kind": "amendment", "key": key,
                "citation": citation, "effective_from": effective_from.to_string(), "in_force_on": side.to_string()}),
        })
        .collect();
    json!({"a": side(a), "b": side(b), "differences": rows})
}

/// Classifies a chip given by its figures (or looked up by the caller in the catalog).
pub fn classify_json(
    rules: &RuleSet,
    label: &str,
    tpp: Tpp,
    die_area_milli_mm2: Option<u64>,
    datacenter: bool,
) -> Result<Value, ClassifyError> {
    let c: ChipClass = classify_chip(tpp, die_area_milli_mm2, datacenter, &rules.eccn_3a090)?;
    let (eccn, paragraph) = band_text(c.band);
    let doc = Classification {
        chip: label.to_string(),
        tpp: milli_number(tpp.milli().into()),
        performance_density: c.pd_milli.map(|p| milli_number(p.into())),
        datacenter,
        eccn,
        paragraph,
        citation: "ECCN 3A090 (Supp. No. 1 to part 774)",
    };
    Ok(serde_json::to_value(doc).unwrap_or(Value::Null))
}

/// A classification under ECCN 3A090 (`POST /v1/classifications`, `chipcap classify --json`).
#[derive(serde::Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(as = ClassificationDoc))]
pub struct Classification {
    /// The catalog id, or `(specification)`.
    chip: String,
    /// TPP (exact to 0.001).
    #[cfg_attr(feature = "schema", schema(value_type = f64))]
    tpp: Value,
    /// TPP / applicable die area (exact to 0.001), when the die area is known.
    #[cfg_attr(feature = "schema", schema(value_type = Option<f64>))]
    performance_density: Option<Value>,
    /// Designed or marketed for datacenters.
    datacenter: bool,
    /// `3A090.a`, `3A090.b` or `none`.
    eccn: &'static str,
    /// The paragraph (`3A090.a.1`, ...), or why none applies.
    paragraph: &'static str,
    /// The control list entry.
    citation: &'static str,
}

/// The tier of every known country on `date` (1, 2 or 3), for the dashboard's map.
pub fn tiers_json(rules: &RuleSet, date: Date) -> Value {
    let g = &rules.groups;
    let t1 = g.tier1.at(date).value;
    let d5 = g.d5.at(date).value;
    let mo = g.macau.at(date).value;
    let mut m = serde_json::Map::new();
    for c in rules.known.iter() {
        let tier = if d5.contains(c) || mo.contains(c) {
            3
        } else if t1.contains(c) {
            1
        } else {
            2
        };
        m.insert(c.to_string(), json!(tier));
    }
    Value::Object(m)
}
