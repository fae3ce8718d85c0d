//! The rules of a version on a date, as rows a person can read (`chipcap rules`), and the
//! differences between two versions or two dates (`chipcap rules diff`). Pure: every row comes from
//! the rule data with its reference and evidence grade.

use crate::country::{CountryCode, CountrySet};
use crate::date::Date;
use crate::determination::ReviewPolicy;
use crate::params::{AcStep, Evidence, RuleSet, RuleSetId, Source, Timeline};
use crate::units::Tpp;

/// A parameter in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamRow {
    /// The parameter's name in the rule data.
    pub name: &'static str,
    /// Its value with unit, as shown.
    pub value: String,
    /// The paragraph it comes from.
    pub reference: String,
    /// Its evidence grade.
    pub evidence: Evidence,
    /// True when no version covers the date (the nearest was taken).
    pub outside: bool,
}

/// A country group in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    /// Its name (`d5`, `a6`, `tier1`, ...).
    pub name: &'static str,
    /// Members.
    pub members: CountrySet,
    /// The paragraph it comes from.
    pub reference: String,
    /// Its evidence grade.
    pub evidence: Evidence,
}

/// A licence review policy of a version on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRow {
    /// The case it applies to (a stable key).
    pub case: &'static str,
    /// The policy.
    pub policy: ReviewPolicy,
    /// The paragraph.
    pub citation: String,
}

fn row<T>(
    name: &'static str,
    tl: &Timeline<T>,
    date: Date,
    show: impl Fn(&T) -> String,
) -> ParamRow {
    let r = tl.at(date);
    ParamRow {
        name,
        value: show(r.value),
        reference: r.source.reference.clone(),
        evidence: r.source.evidence,
        outside: r.outside,
    }
}

fn tpp(t: &Tpp) -> String {
    format!("{t} TPP")
}

fn pct(v: &u32) -> String {
    format!("{v}%")
}

fn milli(v: u64, unit: &str) -> String {
    let mut s = String::new();
    let _ = crate::units::write_milli_grouped(&mut s, i128::from(v));
    format!("{s} {unit}")
}

/// The parameters of a version in force on `date`. The advanced-computing line lists only the
/// parameters whose amendment is in force on the date.
pub fn parameters(rules: &RuleSet, id: RuleSetId, date: Date) -> Vec<ParamRow> {
    match id {
        RuleSetId::AiDiffusion2025 => {
            let p = &rules.params;
            vec![
                row("country_allocation_tpp", &p.country_allocation, date, tpp),
                row(
                    "assurance_uplift_max_percent",
                    &p.assurance_uplift_max_percent,
                    date,
                    pct,
                ),
                row(
                    "assurance_uplift_default_percent",
                    &p.assurance_uplift_default_percent,
                    date,
                    pct,
                ),
                row("lpp_limit_tpp", &p.lpp_limit, date, tpp),
                row("aia_certification_tpp", &p.aia_certification, date, tpp),
                row(
                    "uveu_max_tier2_country_percent",
                    &p.uveu_max_tier2_country_percent,
                    date,
                    pct,
                ),
                row(
                    "uveu_max_outside_tier1_percent",
                    &p.uveu_max_outside_tier1_percent,
                    date,
                    pct,
                ),
                row("uveu_min_us_percent", &p.uveu_min_us_percent, date, pct),
                row(
                    "model_weights_threshold_operations",
                    &p.model_weights_threshold_operations,
                    date,
                    |v| format!("{v} operations"),
                ),
                row("h100_tpp", &p.h100_tpp, date, tpp),
                row(
                    "nac_notification_days",
                    &p.nac_notification_days,
                    date,
                    |v| format!("{v} days"),
                ),
            ]
        }
        RuleSetId::AdvancedComputing2023 => {
            let ac = &rules.advanced;
            let p = &ac.params;
            let mut v = vec![
                row(
                    "nac_notification_days",
                    &p.nac_notification_days,
                    date,
                    |v| format!("{v} days"),
                ),
                row("h100_tpp", &p.h100_tpp, date, tpp),
            ];
            if ac.in_force(AcStep::Hbm, date) {
                v.push(row(
                    "hbm_min_bandwidth_density",
                    &p.hbm_min_density_milli,
                    date,
                    |v| milli(*v, "GB/s per mm2 (exclusive)"),
                ));
            }
            if ac.in_force(AcStep::CaseByCase, date) {
                v.push(row(
                    "case_by_case_max_tpp",
                    &p.case_by_case_max_tpp,
                    date,
                    |t| format!("{t} TPP (exclusive)"),
                ));
                v.push(row(
                    "case_by_case_max_dram_bandwidth_gbps",
                    &p.case_by_case_max_dram_bandwidth_milli_gbps,
                    date,
                    |v| milli(*v, "GB/s (exclusive)"),
                ));
                v.push(row(
                    "case_by_case_available_on",
                    &p.case_by_case_available_on,
                    date,
                    |d| d.to_string(),
                ));
                v.push(row(
                    "china_us_share_max_percent",
                    &p.china_us_share_max_percent,
                    date,
                    pct,
                ));
            }
            v
        }
    }
}

fn group(name: &'static str, tl: &Timeline<CountrySet>, date: Date) -> GroupRow {
    let r = tl.at(date);
    GroupRow {
        name,
        members: r.value.clone(),
        reference: r.source.reference.clone(),
        evidence: r.source.evidence,
    }
}

/// The country groups of a version on `date`.
pub fn groups(rules: &RuleSet, id: RuleSetId, date: Date) -> Vec<GroupRow> {
    match id {
        RuleSetId::AiDiffusion2025 => {
            let g = &rules.groups;
            vec![
                group("tier1", &g.tier1, date),
                group("supp5b", &g.supp5b, date),
                group("d5", &g.d5, date),
                group("macau", &g.macau, date),
                group("d1", &g.d1, date),
                group("d4", &g.d4, date),
                group("a5", &g.a5, date),
                group("a6", &g.a6, date),
            ]
        }
        RuleSetId::AdvancedComputing2023 => {
            let g = &rules.advanced.groups;
            vec![
                group("d1", &g.d1, date),
                group("d4", &g.d4, date),
                group("d5", &g.d5, date),
                group("macau", &g.macau, date),
                group("a5", &g.a5, date),
                group("a6", &g.a6, date),
            ]
        }
    }
}

/// The licence review policies of a version on `date`, by case.
pub fn policies(rules: &RuleSet, id: RuleSetId, date: Date) -> Vec<PolicyRow> {
    let p = |case, policy, citation: &str| PolicyRow {
        case,
        policy,
        citation: citation.to_string(),
    };
    match id {
        RuleSetId::AiDiffusion2025 => vec![
            p(
                "tier3_destination_or_headquarters",
                ReviewPolicy::PresumptionOfDenial,
                "15 CFR 742.6(b)(10)(iii)(A)(1)",
            ),
            p(
                "tier1_destination_or_headquarters",
                ReviewPolicy::PresumptionOfApproval,
                "15 CFR 742.6(b)(10)(iii)(A)(2)",
            ),
            p(
                "tier2_within_country_allocation",
                ReviewPolicy::PresumptionOfApproval,
                "15 CFR 742.6(b)(10)(iii)(B)(1)",
            ),
            p(
                "tier2_beyond_country_allocation",
                ReviewPolicy::PolicyOfDenial,
                "15 CFR 742.6(b)(10)(iii)(B)(2)",
            ),
            p(
                "model_weights_headquartered_outside_tier1",
                ReviewPolicy::PresumptionOfDenial,
                "15 CFR 742.6(b)(14)",
            ),
        ],
        RuleSetId::AdvancedComputing2023 => {
            let ac = &rules.advanced;
            let cite = |step: AcStep| {
                ac.amendment(step).map_or_else(String::new, |a| {
                    format!("15 CFR 742.6(b)(10) ({})", a.citation)
                })
            };
            let mut v = vec![
                p(
                    "d1_d4_destination_not_d5_or_macau",
                    ReviewPolicy::PresumptionOfApproval,
                    &cite(AcStep::Base),
                ),
                p(
                    "d5_or_macau_destination_or_headquarters",
                    ReviewPolicy::PresumptionOfDenial,
                    &cite(AcStep::Base),
                ),
            ];
            if ac.in_force(AcStep::CaseByCase, date) {
                v.push(p(
                    "us_export_to_china_or_macau_of_qualifying_ai_commodities",
                    ReviewPolicy::CaseByCase,
                    &cite(AcStep::CaseByCase),
                ));
            }
            v
        }
    }
}

/// One side of a comparison: a version on a date.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// The version.
    pub rule_set: RuleSetId,
    /// The date.
    pub date: Date,
}

/// A difference between two sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// A parameter with different values, or present on one side only.
    Parameter {
        /// Its name.
        name: &'static str,
        /// Its row on side A.
        a: Option<ParamRow>,
        /// Its row on side B.
        b: Option<ParamRow>,
    },
    /// A group with different members, or present on one side only.
    Group {
        /// Its name.
        name: &'static str,
        /// Members on B and not on A.
        added: Vec<CountryCode>,
        /// Members on A and not on B.
        removed: Vec<CountryCode>,
        /// Only on one side: which (`a` or `b`).
        only: Option<char>,
        /// The reference on side B (or A when only there).
        reference: String,
    },
    /// A review policy that differs or exists on one side only.
    Policy {
        /// The case.
        case: &'static str,
        /// Side A.
        a: Option<PolicyRow>,
        /// Side B.
        b: Option<PolicyRow>,
    },
    /// An amendment of the advanced-computing line in force on one side only.
    Amendment {
        /// Its key.
        key: &'static str,
        /// Its instrument.
        citation: String,
        /// Effective date.
        effective_from: Date,
        /// Which side has it (`a` or `b`).
        side: char,
    },
}

/// Everything that differs between A and B: parameters, groups, policies and amendments.
pub fn diff(rules: &RuleSet, a: Side, b: Side) -> Vec<Difference> {
    let mut out = Vec::new();
    let pa = parameters(rules, a.rule_set, a.date);
    let pb = parameters(rules, b.rule_set, b.date);
    let mut names: Vec<&'static str> = pa.iter().chain(&pb).map(|r| r.name).collect();
    names.dedup();
    let mut seen = Vec::new();
    for n in names {
        if seen.contains(&n) {
            continue;
        }
        seen.push(n);
        let ra = pa.iter().find(|r| r.name == n).cloned();
        let rb = pb.iter().find(|r| r.name == n).cloned();
        let same = match (&ra, &rb) {
            (Some(x), Some(y)) => x.value == y.value,
            _ => false,
        };
        if !same {
            out.push(Difference::Parameter {
                name: n,
                a: ra,
                b: rb,
            });
        }
    }
    let ga = groups(rules, a.rule_set, a.date);
    let gb = groups(rules, b.rule_set, b.date);
    let mut gseen: Vec<&'static str> = Vec::new();
    for g in ga.iter().chain(&gb) {
        if gseen.contains(&g.name) {
            continue;
        }
        gseen.push(g.name);
        let x = ga.iter().find(|r| r.name == g.name);
        let y = gb.iter().find(|r| r.name == g.name);
        match (x, y) {
            (Some(x), Some(y)) => {
                let added: Vec<CountryCode> = y
                    .members
                    .iter()
                    .filter(|c| !x.members.contains(*c))
                    .collect();
                let removed: Vec<CountryCode> = x
                    .members
                    .iter()
                    .filter(|c| !y.members.contains(*c))
                    .collect();
                if !added.is_empty() || !removed.is_empty() {
                    out.push(Difference::Group {
                        name: g.name,
                        added,
                        removed,
                        only: None,
                        reference: y.reference.clone(),
                    });
                }
            }
            (Some(x), None) => out.push(Difference::Group {
                name: g.name,
                added: Vec::new(),
                removed: x.members.iter().collect(),
                only: Some('a'),
                reference: x.reference.clone(),
            }),
            (None, Some(y)) => out.push(Difference::Group {
                name: g.name,
                added: y.members.iter().collect(),
                removed: Vec::new(),
                only: Some('b'),
                reference: y.reference.clone(),
            }),
            (None, None) => {}
        }
    }
    let qa = policies(rules, a.rule_set, a.date);
    let qb = policies(rules, b.rule_set, b.date);
    let mut cseen: Vec<&'static str> = Vec::new();
    for p in qa.iter().chain(&qb) {
        if cseen.contains(&p.case) {
            continue;
        }
        cseen.push(p.case);
        let x = qa.iter().find(|r| r.case == p.case).cloned();
        let y = qb.iter().find(|r| r.case == p.case).cloned();
        let same = matches!((&x, &y), (Some(x), Some(y)) if x.policy == y.policy);
        if !same {
            out.push(Difference::Policy {
                case: p.case,
                a: x,
                b: y,
            });
        }
    }
    let in_force = |s: Side, step: AcStep| {
        s.rule_set == RuleSetId::AdvancedComputing2023 && rules.advanced.in_force(step, s.date)
    };
    for step in AcStep::ALL {
        let (x, y) = (in_force(a, step), in_force(b, step));
        if x != y {
            if let Some(am) = rules.advanced.amendment(step) {
                out.push(Difference::Amendment {
                    key: step.key(),
                    citation: am.citation.to_string(),
                    effective_from: am.effective_from,
                    side: if x { 'a' } else { 'b' },
                });
            }
        }
    }
    out
}

/// The sources of a version's amendments in date order (for `chipcap rules`).
pub fn amendments(rules: &RuleSet, date: Date) -> Vec<(&'static str, Date, String, &Source)> {
    rules
        .advanced
        .amendments
        .iter()
        .filter(|a| a.effective_from <= date)
        .map(|a| (a.step.key(), a.effective_from, a.title.clone(), &a.source))
        .collect()
}
