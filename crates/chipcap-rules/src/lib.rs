//! chipcap-rules: the rule data under `rules/` (TOML, dated and referenced) read into validated
//! `chipcap_core::params::RuleSet` values. Strict schema: unknown keys, unknown parameter names,
//! wrong units, bad dates, overlapping date ranges and unknown country codes are errors.
//!
//! The files are embedded in the binary (`RuleSet` from [`embedded`]) so `chipcap` works from any
//! folder; [`load_dir`] reads another copy of the folder for users who maintain their own.

use std::collections::BTreeMap;
use std::path::Path;

use chipcap_core::classify::classify_chip;
use chipcap_core::country::{CountryCode, CountrySet};
use chipcap_core::date::{Date, Quarter};
use chipcap_core::params::*;
use chipcap_core::units::{parse_decimal, parse_milli, Tpp};
use serde::Deserialize;

/// A rule file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule file `{file}`: {message}")]
pub struct RulesError {
    /// The file (relative to `rules/`).
    pub file: String,
    /// What is wrong, naming the key and value.
    pub message: String,
}

fn rerr(file: &str, message: impl Into<String>) -> RulesError {
    RulesError {
        file: file.to_string(),
        message: message.into(),
    }
}

/// The text of every rule file of one rule set.
#[derive(Clone, Copy, Debug)]
pub struct RuleFiles<'a> {
    /// `countries.toml`.
    pub countries: &'a str,
    /// `eccn-3a090.toml`.
    pub eccn_3a090: &'a str,
    /// `chips.toml`.
    pub chips: &'a str,
    /// `<rule-set>/framework.toml`.
    pub framework: &'a str,
    /// `<rule-set>/country-groups.toml`.
    pub country_groups: &'a str,
    /// `advanced-computing-2023/regime.toml`.
    pub ac_regime: &'a str,
    /// `advanced-computing-2023/country-groups.toml`.
    pub ac_groups: &'a str,
}

/// The files as shipped, embedded at build time.
pub const EMBEDDED: RuleFiles<'static> = RuleFiles {
    countries: include_str!("../../../rules/countries.toml"),
    eccn_3a090: include_str!("../../../rules/eccn-3a090.toml"),
    chips: include_str!("../../../rules/chips.toml"),
    framework: include_str!("../../../rules/ai-diffusion-2025/framework.toml"),
    country_groups: include_str!("../../../rules/ai-diffusion-2025/country-groups.toml"),
    ac_regime: include_str!("../../../rules/advanced-computing-2023/regime.toml"),
    ac_groups: include_str!("../../../rules/advanced-computing-2023/country-groups.toml"),
};

/// The framework's folder.
pub const DEFAULT_RULE_SET: &str = "ai-diffusion-2025";
/// The advanced-computing line's folder.
pub const AC_RULE_SET: &str = "advanced-computing-2023";

/// The shipped rule set.
pub fn embedded() -> Result<RuleSet, RulesError> {
    load(&EMBEDDED)
}

/// Reads a `rules/` folder laid out as shipped.
pub fn load_dir(dir: &Path) -> Result<RuleSet, RulesError> {
    let read = |rel: &str| -> Result<String, RulesError> {
        std::fs::read_to_string(dir.join(rel))
            .map_err(|e| rerr(rel, format!("cannot be read: {e}")))
    };
    let countries = read("countries.toml")?;
    let eccn = read("eccn-3a090.toml")?;
    let chips = read("chips.toml")?;
    let framework = read(&format!("{DEFAULT_RULE_SET}/framework.toml"))?;
    let groups = read(&format!("{DEFAULT_RULE_SET}/country-groups.toml"))?;
    let ac_regime = read(&format!("{AC_RULE_SET}/regime.toml"))?;
    let ac_groups = read(&format!("{AC_RULE_SET}/country-groups.toml"))?;
    load(&RuleFiles {
        countries: &countries,
        eccn_3a090: &eccn,
        chips: &chips,
        framework: &framework,
        country_groups: &groups,
        ac_regime: &ac_regime,
        ac_groups: &ac_groups,
    })
}

fn parse_toml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, RulesError> {
    toml::from_str(text).map_err(|e| rerr(file, e.to_string().trim().replace('\n', " ")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountriesFile {
    meta: Meta,
    country: Vec<CountryEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Meta {
    #[serde(default)]
    subject: Option<String>,
    reference: String,
    evidence: String,
    #[serde(default)]
    effective_from: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountryEntry {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkFile {
    rule_set: RuleSetMeta,
    param: Vec<Param>,
    nveu_quarter: Vec<NveuEntry>,
    step: Vec<StepEntry>,
}

/// The citation of one step of a decision table (`[[step]]` of the framework, `[[paragraph]]` of
/// the enforced line).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepEntry {
    key: String,
    citation: String,
}

/// The citations of the steps of `S` among `entries`, each step exactly once; an entry whose key is
/// not a step of `S` is left for the caller when `others` says it belongs to another table, and
/// is otherwise an error. An unknown or repeated key, a missing step or an empty citation is an
/// error naming it (`what` is `step` or `paragraph`).
fn step_citations<S: CitedStep, const N: usize>(
    file: &str,
    what: &str,
    entries: &[StepEntry],
    others: impl Fn(&str) -> bool,
) -> Result<Citations<S, N>, RulesError> {
    let mut found: [Option<std::sync::Arc<str>>; N] = std::array::from_fn(|_| None);
    for e in entries {
        let Some(step) = S::ALL.iter().find(|x| x.key() == e.key) else {
            if others(&e.key) {
                continue;
            }
            return Err(rerr(file, format!("unknown {what} `{}`", e.key)));
        };
        if e.citation.trim().is_empty() {
            return Err(rerr(
                file,
                format!("{what} `{}` must have a non-empty `citation`", e.key),
            ));
        }
        let slot = found
            .get_mut(step.index())
            .ok_or_else(|| rerr(file, format!("unknown {what} `{}`", e.key)))?;
        if slot.is_some() {
            return Err(rerr(file, format!("{what} `{}` is listed twice", e.key)));
        }
        *slot = Some(e.citation.as_str().into());
    }
    let mut out: Vec<std::sync::Arc<str>> = Vec::with_capacity(N);
    for (step, c) in S::ALL.iter().zip(found) {
        out.push(c.ok_or_else(|| rerr(file, format!("{what} `{}` is missing", step.key())))?);
    }
    let citations: [std::sync::Arc<str>; N] = out
        .try_into()
        .map_err(|_| rerr(file, format!("the {what}s do not match the decision table")))?;
    Ok(Citations::new(citations))
}

/// Whether `key` is a step of the screening overlay.
fn is_screening_key(key: &str) -> bool {
    ScreeningStep::ALL.iter().any(|s| s.key() == key)
}

/// The framework's `[[step]]` list: every step of its decision table and of the screening overlay,
/// each exactly once.
fn framework_citations(
    steps: &[StepEntry],
) -> Result<(FrameworkCitations, ScreeningCitations), RulesError> {
    const F: &str = "ai-diffusion-2025/framework.toml";
    let table = step_citations(F, "step", steps, is_screening_key)?;
    let screening = step_citations(F, "step", steps, |k| {
        FwStep::ALL.iter().any(|s| s.key() == k)
    })?;
    Ok((table, screening))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RuleSetMeta {
    name: String,
    title: String,
    citation: String,
    effective_from: String,
    compliance_from: String,
    security_compliance_from: String,
    #[serde(default)]
    not_enforced_from: Option<String>,
    reference: String,
    evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Param {
    name: String,
    value: String,
    unit: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    reference: String,
    evidence: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NveuEntry {
    quarter: String,
    cap_tpp: String,
    reference: String,
    evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupsFile {
    group: Vec<GroupEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    name: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    members: Vec<String>,
    reference: String,
    evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EccnFile {
    meta: Meta,
    a1: Band1,
    a2: Band2,
    b1: BandB1,
    b2: BandB2,
    note2: Note2,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Band1 {
    min_tpp: String,
    #[allow(dead_code)]
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Band2 {
    min_tpp: String,
    min_pd: String,
    #[allow(dead_code)]
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandB1 {
    min_tpp: String,
    max_tpp_exclusive: String,
    min_pd: String,
    max_pd_exclusive: String,
    #[allow(dead_code)]
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandB2 {
    min_tpp: String,
    min_pd: String,
    max_pd_exclusive: String,
    #[allow(dead_code)]
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Note2 {
    non_datacenter_min_tpp: String,
    #[allow(dead_code)]
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChipsFile {
    chip: Vec<ChipEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChipEntry {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    vendor: String,
    model: String,
    form_factor: String,
    year: u16,
    datacenter: bool,
    #[serde(default)]
    die_area_mm2: Option<String>,
    #[serde(default)]
    dram_bandwidth_gbps: Option<String>,
    #[serde(default)]
    us_available_from: Option<String>,
    #[serde(default)]
    designer_country: Option<String>,
    sources: Vec<String>,
    dense: BTreeMap<String, String>,
}

fn date(file: &str, key: &str, s: &str) -> Result<Date, RulesError> {
    s.parse::<Date>()
        .map_err(|e| rerr(file, format!("`{key}` {e}, got `{s}`")))
}

fn evidence(file: &str, key: &str, s: &str) -> Result<Evidence, RulesError> {
    Evidence::parse(s).ok_or_else(|| {
        rerr(
            file,
            format!("`{key}.evidence` must be one of P, P-partial, P-inferred, P-repro, S, D, ?; got `{s}`"),
        )
    })
}

fn tpp(file: &str, key: &str, s: &str) -> Result<Tpp, RulesError> {
    parse_milli(s)
        .map(Tpp::from_milli)
        .map_err(|e| rerr(file, format!("`{key}` {e}, got `{s}`")))
}

fn pd_milli(file: &str, key: &str, s: &str) -> Result<u64, RulesError> {
    parse_milli(s).map_err(|e| rerr(file, format!("`{key}` {e}, got `{s}`")))
}

/// Builds and validates a rule set from its files.
pub fn load(files: &RuleFiles<'_>) -> Result<RuleSet, RulesError> {
    // Countries.
    const F_C: &str = "countries.toml";
    let cf: CountriesFile = parse_toml(F_C, files.countries)?;
    evidence(F_C, "meta", &cf.meta.evidence)?;
    let mut known = CountrySet::new();
    let mut countries = Vec::with_capacity(cf.country.len());
    for c in cf.country {
        let code = CountryCode::parse(&c.code)
            .filter(|k| k.as_str() == c.code)
            .ok_or_else(|| {
                rerr(
                    F_C,
                    format!("`code` must be two upper-case letters, got `{}`", c.code),
                )
            })?;
        if known.contains(code) {
            return Err(rerr(F_C, format!("country `{code}` is listed twice")));
        }
        known.insert(code);
        countries.push((code, c.name));
    }

    // Framework parameters.
    const F_F: &str = "ai-diffusion-2025/framework.toml";
    let ff: FrameworkFile = parse_toml(F_F, files.framework)?;
    let meta = &ff.rule_set;
    evidence(F_F, "rule_set", &meta.evidence)?;
    let mut by_name: BTreeMap<String, Vec<Param>> = BTreeMap::new();
    for p in ff.param {
        by_name.entry(p.name.clone()).or_default().push(p);
    }
    let mut take = |name: &str, unit: &str| -> Result<Vec<Param>, RulesError> {
        let ps = by_name
            .remove(name)
            .ok_or_else(|| rerr(F_F, format!("parameter `{name}` is missing")))?;
        for p in &ps {
            if p.unit != unit {
                return Err(rerr(
                    F_F,
                    format!(
                        "parameter `{name}` must have unit `{unit}`, got `{}`",
                        p.unit
                    ),
                ));
            }
        }
        Ok(ps)
    };
    fn timeline<T>(
        name: &str,
        ps: Vec<Param>,
        conv: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Timeline<T>, RulesError> {
        let mut v = Vec::with_capacity(ps.len());
        for p in ps {
            let value = conv(&p.value).map_err(|m| {
                rerr(
                    F_F,
                    format!("parameter `{name}` value {m}, got `{}`", p.value),
                )
            })?;
            v.push(Dated {
                value,
                from: date(F_F, &format!("{name}.effective_from"), &p.effective_from)?,
                to: p
                    .effective_to
                    .as_deref()
                    .map(|t| date(F_F, &format!("{name}.effective_to"), t))
                    .transpose()?,
                source: Source {
                    reference: p.reference,
                    evidence: evidence(F_F, name, &p.evidence)?,
                    question: None,
                },
            });
        }
        Timeline::new(v).map_err(|e| rerr(F_F, format!("parameter `{name}` {e}")))
    }
    let tpp_conv = |s: &str| {
        parse_milli(s)
            .map(Tpp::from_milli)
            .map_err(|e| e.to_string())
    };
    let pct_conv = |s: &str| -> Result<u32, String> {
        let v: u32 = s
            .parse()
            .map_err(|_| "must be a whole percentage".to_string())?;
        if v > 100 {
            return Err("must be at most 100".into());
        }
        Ok(v)
    };
    let u32_conv = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| "must be a whole number".to_string())
    };
    let ops_conv = |s: &str| parse_decimal(s, 0).map_err(|e| e.to_string());
    let params = Parameters {
        country_allocation: timeline(
            "country_allocation_tpp",
            take("country_allocation_tpp", "tpp")?,
            tpp_conv,
        )?,
        assurance_uplift_max_percent: timeline(
            "assurance_uplift_max_percent",
            take("assurance_uplift_max_percent", "percent")?,
            pct_conv,
        )?,
        assurance_uplift_default_percent: timeline(
            "assurance_uplift_default_percent",
            take("assurance_uplift_default_percent", "percent")?,
            pct_conv,
        )?,
        lpp_limit: timeline("lpp_limit_tpp", take("lpp_limit_tpp", "tpp")?, tpp_conv)?,
        aia_certification: timeline(
            "aia_certification_tpp",
            take("aia_certification_tpp", "tpp")?,
            tpp_conv,
        )?,
        uveu_max_tier2_country_percent: timeline(
            "uveu_max_tier2_country_percent",
            take("uveu_max_tier2_country_percent", "percent")?,
            pct_conv,
        )?,
        uveu_max_outside_tier1_percent: timeline(
            "uveu_max_outside_tier1_percent",
            take("uveu_max_outside_tier1_percent", "percent")?,
            pct_conv,
        )?,
        uveu_min_us_percent: timeline(
            "uveu_min_us_percent",
            take("uveu_min_us_percent", "percent")?,
            pct_conv,
        )?,
        model_weights_threshold_operations: timeline(
            "model_weights_threshold_operations",
            take("model_weights_threshold_operations", "operations")?,
            ops_conv,
        )?,
        h100_tpp: timeline("h100_tpp", take("h100_tpp", "tpp")?, tpp_conv)?,
        nac_notification_days: timeline(
            "nac_notification_days",
            take("nac_notification_days", "days")?,
            u32_conv,
        )?,
    };
    if let Some(unknown) = by_name.keys().next() {
        return Err(rerr(F_F, format!("unknown parameter `{unknown}`")));
    }
    if params
        .h100_tpp
        .versions()
        .iter()
        .any(|v| v.value == Tpp::ZERO)
    {
        return Err(rerr(F_F, "parameter `h100_tpp` must be greater than zero"));
    }

    let mut nveu = Vec::with_capacity(ff.nveu_quarter.len());
    for n in ff.nveu_quarter {
        let quarter: Quarter = n.quarter.parse().map_err(|_| {
            rerr(
                F_F,
                format!(
                    "`nveu_quarter.quarter` must look like 2025Q1, got `{}`",
                    n.quarter
                ),
            )
        })?;
        nveu.push(NveuQuarter {
            quarter,
            cap: tpp(F_F, "nveu_quarter.cap_tpp", &n.cap_tpp)?,
            source: Source {
                reference: n.reference,
                evidence: evidence(F_F, "nveu_quarter", &n.evidence)?,
                question: None,
            },
        });
    }
    if nveu.is_empty() {
        return Err(rerr(F_F, "`nveu_quarter` must list at least one quarter"));
    }
    for w in nveu.windows(2) {
        if w[1].quarter != w[0].quarter.next() {
            return Err(rerr(
                F_F,
                format!(
                    "`nveu_quarter` must list consecutive quarters; {} follows {}",
                    w[1].quarter, w[0].quarter
                ),
            ));
        }
        if w[1].cap < w[0].cap {
            return Err(rerr(
                F_F,
                format!(
                    "`nveu_quarter` caps are cumulative and cannot fall; {} is below {}",
                    w[1].quarter, w[0].quarter
                ),
            ));
        }
    }

    // Country groups.
    const F_G: &str = "ai-diffusion-2025/country-groups.toml";
    let gf: GroupsFile = parse_toml(F_G, files.country_groups)?;
    let mut groups: BTreeMap<String, Vec<Dated<CountrySet>>> = BTreeMap::new();
    for g in gf.group {
        let mut set = CountrySet::new();
        for m in &g.members {
            let c = CountryCode::parse(m)
                .filter(|c| c.as_str() == m && known.contains(*c))
                .ok_or_else(|| rerr(F_G, format!("group `{}` member `{m}` is not an ISO 3166-1 alpha-2 code in countries.toml", g.name)))?;
            set.insert(c);
        }
        let d = Dated {
            value: set,
            from: date(
                F_G,
                &format!("{}.effective_from", g.name),
                &g.effective_from,
            )?,
            to: g
                .effective_to
                .as_deref()
                .map(|t| date(F_G, &format!("{}.effective_to", g.name), t))
                .transpose()?,
            source: Source {
                reference: g.reference,
                evidence: evidence(F_G, &g.name, &g.evidence)?,
                question: None,
            },
        };
        groups.entry(g.name).or_default().push(d);
    }
    let mut group = |name: &str| -> Result<Timeline<CountrySet>, RulesError> {
        let v = groups
            .remove(name)
            .ok_or_else(|| rerr(F_G, format!("group `{name}` is missing")))?;
        Timeline::new(v).map_err(|e| rerr(F_G, format!("group `{name}` {e}")))
    };
    let country_groups = CountryGroups {
        tier1: group("tier1")?,
        supp5b: group("supp5b")?,
        d5: group("d5")?,
        macau: group("macau")?,
        d1: group("d1")?,
        d4: group("d4")?,
        a5: group("a5")?,
        a6: group("a6")?,
    };
    if let Some(unknown) = groups.keys().next() {
        return Err(rerr(F_G, format!("unknown group `{unknown}`")));
    }
    for (t1, d5) in country_groups
        .tier1
        .versions()
        .iter()
        .zip(country_groups.d5.versions())
    {
        if let Some(c) = t1.value.iter().find(|c| d5.value.contains(*c)) {
            return Err(rerr(F_G, format!("`{c}` cannot be in both tier1 and d5")));
        }
    }

    // ECCN 3A090 thresholds.
    const F_E: &str = "eccn-3a090.toml";
    let ef: EccnFile = parse_toml(F_E, files.eccn_3a090)?;
    let eccn_3a090 = Thresholds3a090 {
        a1_min_tpp: tpp(F_E, "a1.min_tpp", &ef.a1.min_tpp)?,
        a2_min_tpp: tpp(F_E, "a2.min_tpp", &ef.a2.min_tpp)?,
        a2_min_pd_milli: pd_milli(F_E, "a2.min_pd", &ef.a2.min_pd)?,
        b1_min_tpp: tpp(F_E, "b1.min_tpp", &ef.b1.min_tpp)?,
        b1_max_tpp_exclusive: tpp(F_E, "b1.max_tpp_exclusive", &ef.b1.max_tpp_exclusive)?,
        b1_min_pd_milli: pd_milli(F_E, "b1.min_pd", &ef.b1.min_pd)?,
        b1_max_pd_exclusive_milli: pd_milli(F_E, "b1.max_pd_exclusive", &ef.b1.max_pd_exclusive)?,
        b2_min_tpp: tpp(F_E, "b2.min_tpp", &ef.b2.min_tpp)?,
        b2_min_pd_milli: pd_milli(F_E, "b2.min_pd", &ef.b2.min_pd)?,
        b2_max_pd_exclusive_milli: pd_milli(F_E, "b2.max_pd_exclusive", &ef.b2.max_pd_exclusive)?,
        note2_min_tpp: tpp(
            F_E,
            "note2.non_datacenter_min_tpp",
            &ef.note2.non_datacenter_min_tpp,
        )?,
    };
    let eccn_3a090_source = Source {
        reference: ef.meta.reference,
        evidence: evidence(F_E, "meta", &ef.meta.evidence)?,
        question: None,
    };

    // Chip catalog.
    const F_CH: &str = "chips.toml";
    let chf: ChipsFile = parse_toml(F_CH, files.chips)?;
    let mut chips = Vec::with_capacity(chf.chip.len());
    for c in chf.chip {
        let valid_id = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if let Some(bad) = std::iter::once(&c.id)
            .chain(c.aliases.iter())
            .find(|s| !valid_id(s))
        {
            return Err(rerr(
                F_CH,
                format!("chip id `{bad}` must be lowercase letters, digits and hyphens"),
            ));
        }
        let mut dense = Vec::new();
        for (k, v) in &c.dense {
            let p = Precision::ALL
                .iter()
                .copied()
                .find(|p| p.key() == k)
                .ok_or_else(|| {
                    rerr(
                        F_CH,
                        format!("chip `{}` has unknown precision `dense.{k}`", c.id),
                    )
                })?;
            let rate = parse_milli(v)
                .map_err(|e| rerr(F_CH, format!("chip `{}` `dense.{k}` {e}, got `{v}`", c.id)))?;
            dense.push((p, rate));
        }
        if dense.is_empty() {
            return Err(rerr(
                F_CH,
                format!("chip `{}` needs at least one dense rate", c.id),
            ));
        }
        // An optional decimal figure of the chip, exact to 0.001, the error naming the chip and field.
        let figure = |field: &str, v: Option<&str>| {
            v.map(|s| {
                parse_milli(s)
                    .map_err(|e| rerr(F_CH, format!("chip `{}` `{field}` {e}, got `{s}`", c.id)))
            })
            .transpose()
        };
        let die = figure("die_area_mm2", c.die_area_mm2.as_deref())?;
        if die == Some(0) {
            return Err(rerr(
                F_CH,
                format!("chip `{}` `die_area_mm2` must be greater than zero", c.id),
            ));
        }
        if c.sources.is_empty() {
            return Err(rerr(
                F_CH,
                format!("chip `{}` needs at least one source", c.id),
            ));
        }
        let dram = figure("dram_bandwidth_gbps", c.dram_bandwidth_gbps.as_deref())?;
        let available = c
            .us_available_from
            .as_deref()
            .map(|s| date(F_CH, &format!("chip `{}` `us_available_from`", c.id), s))
            .transpose()?;
        let designer = c
            .designer_country
            .as_deref()
            .map(|s| {
                CountryCode::parse(s)
                    .filter(|k| k.as_str() == s && known.contains(*k))
                    .ok_or_else(|| {
                        rerr(
                            F_CH,
                            format!("chip `{}` `designer_country` must be a country code in countries.toml, got `{s}`", c.id),
                        )
                    })
            })
            .transpose()?;
        let chip = Chip {
            id: c.id.into(),
            aliases: c.aliases,
            vendor: c.vendor,
            model: c.model,
            form_factor: c.form_factor,
            year: c.year,
            datacenter: c.datacenter,
            die_area_milli_mm2: die,
            dense,
            sources: c.sources,
            dram_bandwidth_milli_gbps: dram,
            us_available_from: available,
            designer_country: designer,
        };
        let t = chip
            .tpp()
            .ok_or_else(|| rerr(F_CH, format!("chip `{}` TPP overflows", chip.id)))?;
        classify_chip(t, chip.die_area_milli_mm2, chip.datacenter, &eccn_3a090).map_err(|e| {
            rerr(
                F_CH,
                format!("chip `{}` cannot be classified: {e}", chip.id),
            )
        })?;
        chips.push(chip);
    }
    let catalog = Catalog::new(chips).map_err(|e| rerr(F_CH, e.to_string()))?;
    let advanced = load_advanced(files, &known)?;
    let (framework_citations, screening_citations) = framework_citations(&ff.step)?;

    Ok(RuleSet {
        name: meta.name.as_str().into(),
        title: meta.title.clone(),
        citation: meta.citation.as_str().into(),
        effective_from: date(F_F, "rule_set.effective_from", &meta.effective_from)?,
        compliance_from: date(F_F, "rule_set.compliance_from", &meta.compliance_from)?,
        security_compliance_from: date(
            F_F,
            "rule_set.security_compliance_from",
            &meta.security_compliance_from,
        )?,
        not_enforced_from: meta
            .not_enforced_from
            .as_deref()
            .map(|s| date(F_F, "rule_set.not_enforced_from", s))
            .transpose()?,
        countries,
        known,
        groups: country_groups,
        params,
        nveu,
        eccn_3a090,
        eccn_3a090_source,
        catalog,
        advanced,
        framework_citations,
        screening_citations,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcFile {
    rule_set: AcMeta,
    amendment: Vec<AmendmentEntry>,
    param: Vec<AcParam>,
    #[serde(default)]
    listed_end_user: Vec<ListedEntry>,
    #[serde(default)]
    is_informed: Vec<IsInformedEntry>,
    paragraph: Vec<StepEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IsInformedEntry {
    chips: Vec<String>,
    effective_from: String,
    reference: String,
    evidence: String,
    #[serde(default)]
    question: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListedEntry {
    name: String,
    country: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    reference: String,
    evidence: String,
    #[serde(default)]
    question: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcMeta {
    name: String,
    title: String,
    citation: String,
    covered_from: String,
    reference: String,
    evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmendmentEntry {
    key: String,
    effective_from: String,
    citation: String,
    title: String,
    summary: String,
    reference: String,
    evidence: String,
    #[serde(default)]
    question: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcParam {
    name: String,
    value: String,
    unit: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    amendment: String,
    reference: String,
    evidence: String,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcGroupsFile {
    group: Vec<AcGroupEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcGroupEntry {
    name: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    members: Vec<String>,
    reference: String,
    evidence: String,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

fn question(
    file: &str,
    key: &str,
    q: Option<String>,
    ev: Evidence,
) -> Result<Option<String>, RulesError> {
    match (&q, ev) {
        (Some(id), _)
            if !(id.starts_with('R') || id.starts_with('D'))
                || id.len() < 2
                || !id[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Err(rerr(
                file,
                format!("`{key}.question` must name an open question such as `R6`, got `{id}`"),
            ))
        }
        (None, Evidence::Open) => Err(rerr(
            file,
            format!("`{key}` is graded `?` and must name its open question (`question = \"R..\"`)"),
        )),
        _ => Ok(q),
    }
}

/// Reads the advanced-computing line: its amendments (every step the core rests on, once, in
/// date order), its parameters (dated, each tied to an amendment) and its country groups.
fn load_advanced(
    files: &RuleFiles<'_>,
    known: &CountrySet,
) -> Result<AdvancedComputing, RulesError> {
    const F: &str = "advanced-computing-2023/regime.toml";
    let af: AcFile = parse_toml(F, files.ac_regime)?;
    let meta = af.rule_set;
    evidence(F, "rule_set", &meta.evidence)?;
    let _ = meta.reference;
    if meta.name != AC_RULE_SET {
        return Err(rerr(
            F,
            format!(
                "`rule_set.name` must be `{AC_RULE_SET}`, got `{}`",
                meta.name
            ),
        ));
    }
    let covered_from = date(F, "rule_set.covered_from", &meta.covered_from)?;
    let paragraphs: AcParagraphs = step_citations(F, "paragraph", &af.paragraph, is_screening_key)?;
    let screening_citations: ScreeningCitations =
        step_citations(F, "paragraph", &af.paragraph, |k| {
            AcPara::ALL.iter().any(|p| p.key() == k)
        })?;
    let mut amendments: Vec<Amendment> = Vec::with_capacity(af.amendment.len());
    for a in af.amendment {
        let step = AcStep::ALL
            .into_iter()
            .find(|s| s.key() == a.key)
            .ok_or_else(|| rerr(F, format!("unknown amendment key `{}`", a.key)))?;
        if amendments.iter().any(|x| x.step == step) {
            return Err(rerr(F, format!("amendment `{}` is listed twice", a.key)));
        }
        let ev = evidence(F, &a.key, &a.evidence)?;
        amendments.push(Amendment {
            step,
            effective_from: date(F, &format!("{}.effective_from", a.key), &a.effective_from)?,
            citation: a.citation.as_str().into(),
            title: a.title,
            summary: a.summary,
            source: Source {
                reference: a.reference,
                evidence: ev,
                question: question(F, &a.key, a.question, ev)?,
            },
        });
    }
    for s in AcStep::ALL {
        if !amendments.iter().any(|a| a.step == s) {
            return Err(rerr(F, format!("amendment `{}` is missing", s.key())));
        }
    }
    amendments.sort_by_key(|a| a.step.index());
    if amendments.iter().map(|a| a.effective_from).min() != Some(covered_from) {
        return Err(rerr(
            F,
            "`rule_set.covered_from` must be the date of the first amendment",
        ));
    }
    let keys: Vec<&str> = AcStep::ALL.iter().map(|s| s.key()).collect();
    let mut by_name: BTreeMap<String, Vec<AcParam>> = BTreeMap::new();
    for p in af.param {
        if !keys.contains(&p.amendment.as_str()) {
            return Err(rerr(
                F,
                format!(
                    "parameter `{}` names an unknown amendment `{}`",
                    p.name, p.amendment
                ),
            ));
        }
        by_name.entry(p.name.clone()).or_default().push(p);
    }
    fn tl<T>(
        by_name: &mut BTreeMap<String, Vec<AcParam>>,
        name: &str,
        unit: &str,
        conv: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Timeline<T>, RulesError> {
        let ps = by_name
            .remove(name)
            .ok_or_else(|| rerr(F, format!("parameter `{name}` is missing")))?;
        let mut v = Vec::with_capacity(ps.len());
        for p in ps {
            if p.unit != unit {
                return Err(rerr(
                    F,
                    format!(
                        "parameter `{name}` must have unit `{unit}`, got `{}`",
                        p.unit
                    ),
                ));
            }
            let value = conv(&p.value).map_err(|m| {
                rerr(
                    F,
                    format!("parameter `{name}` value {m}, got `{}`", p.value),
                )
            })?;
            let ev = evidence(F, name, &p.evidence)?;
            v.push(Dated {
                value,
                from: date(F, &format!("{name}.effective_from"), &p.effective_from)?,
                to: p
                    .effective_to
                    .as_deref()
                    .map(|t| date(F, &format!("{name}.effective_to"), t))
                    .transpose()?,
                source: Source {
                    reference: p.reference,
                    evidence: ev,
                    question: question(F, name, p.question, ev)?,
                },
            });
        }
        Timeline::new(v).map_err(|e| rerr(F, format!("parameter `{name}` {e}")))
    }
    let milli = |s: &str| parse_milli(s).map_err(|e| e.to_string());
    let tppc = |s: &str| {
        parse_milli(s)
            .map(Tpp::from_milli)
            .map_err(|e| e.to_string())
    };
    let u32c = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| "must be a whole number".to_string())
    };
    let pctc = |s: &str| match s.parse::<u32>() {
        Ok(v) if v <= 100 => Ok(v),
        _ => Err("must be a whole percentage from 0 to 100".to_string()),
    };
    let datec = |s: &str| s.parse::<Date>().map_err(|e| e.to_string());
    let params = AcParameters {
        nac_notification_days: tl(&mut by_name, "nac_notification_days", "days", u32c)?,
        case_by_case_max_tpp: tl(&mut by_name, "case_by_case_max_tpp", "tpp", tppc)?,
        case_by_case_max_dram_bandwidth_milli_gbps: tl(
            &mut by_name,
            "case_by_case_max_dram_bandwidth_gbps",
            "gbps",
            milli,
        )?,
        case_by_case_available_on: tl(&mut by_name, "case_by_case_available_on", "date", datec)?,
        china_us_share_max_percent: tl(
            &mut by_name,
            "china_us_share_max_percent",
            "percent",
            pctc,
        )?,
        hbm_min_density_milli: tl(
            &mut by_name,
            "hbm_min_bandwidth_density",
            "gbps_per_mm2",
            milli,
        )?,
        h100_tpp: tl(&mut by_name, "h100_tpp", "tpp", tppc)?,
    };
    if let Some(unknown) = by_name.keys().next() {
        return Err(rerr(F, format!("unknown parameter `{unknown}`")));
    }
    if params
        .h100_tpp
        .versions()
        .iter()
        .any(|v| v.value == Tpp::ZERO)
    {
        return Err(rerr(F, "parameter `h100_tpp` must be greater than zero"));
    }

    const FG: &str = "advanced-computing-2023/country-groups.toml";
    let gf: AcGroupsFile = parse_toml(FG, files.ac_groups)?;
    let mut groups: BTreeMap<String, Vec<Dated<CountrySet>>> = BTreeMap::new();
    for g in gf.group {
        let mut set = CountrySet::new();
        for m in &g.members {
            let c = CountryCode::parse(m)
                .filter(|c| c.as_str() == m && known.contains(*c))
                .ok_or_else(|| rerr(FG, format!("group `{}` member `{m}` is not an ISO 3166-1 alpha-2 code in countries.toml", g.name)))?;
            if set.contains(c) {
                return Err(rerr(FG, format!("group `{}` lists `{m}` twice", g.name)));
            }
            set.insert(c);
        }
        let ev = evidence(FG, &g.name, &g.evidence)?;
        groups.entry(g.name.clone()).or_default().push(Dated {
            value: set,
            from: date(FG, &format!("{}.effective_from", g.name), &g.effective_from)?,
            to: g
                .effective_to
                .as_deref()
                .map(|t| date(FG, &format!("{}.effective_to", g.name), t))
                .transpose()?,
            source: Source {
                reference: g.reference,
                evidence: ev,
                question: question(FG, &g.name, g.question, ev)?,
            },
        });
    }
    let mut group = |name: &str| -> Result<Timeline<CountrySet>, RulesError> {
        let v = groups
            .remove(name)
            .ok_or_else(|| rerr(FG, format!("group `{name}` is missing")))?;
        let t = Timeline::new(v).map_err(|e| rerr(FG, format!("group `{name}` {e}")))?;
        // Coverage: a group must answer for every date the line covers, without gaps.
        let vs = t.versions();
        if vs.first().map(|v| v.from) != Some(covered_from) {
            return Err(rerr(
                FG,
                format!("group `{name}` must start on {covered_from}"),
            ));
        }
        for w in vs.windows(2) {
            if w[0].to.and_then(|d| d.succ()) != Some(w[1].from) {
                return Err(rerr(
                    FG,
                    format!("group `{name}` has a gap before {}", w[1].from),
                ));
            }
        }
        if vs.last().is_some_and(|v| v.to.is_some()) {
            return Err(rerr(
                FG,
                format!("group `{name}` must be open-ended in its last version"),
            ));
        }
        Ok(t)
    };
    let ac_groups = AcGroups {
        d1: group("d1")?,
        d4: group("d4")?,
        d5: group("d5")?,
        macau: group("macau")?,
        a5: group("a5")?,
        a6: group("a6")?,
        remote_access_concern: group("remote_access_concern")?,
        listed_end_user_scope: group("listed_end_user_scope")?,
    };
    let mut is_informed = Vec::with_capacity(af.is_informed.len());
    for (i, e) in af.is_informed.into_iter().enumerate() {
        let key = format!("is_informed[{i}]");
        if e.chips.is_empty() {
            return Err(rerr(
                F,
                format!("`{key}.chips` must name at least one chip"),
            ));
        }
        let ev = evidence(F, &key, &e.evidence)?;
        is_informed.push(IsInformed {
            chips: e.chips,
            from: date(F, &format!("{key}.effective_from"), &e.effective_from)?,
            source: Source {
                reference: e.reference,
                evidence: ev,
                question: question(F, &key, e.question, ev)?,
            },
        });
    }
    let mut listed_end_users = Vec::with_capacity(af.listed_end_user.len());
    for l in af.listed_end_user {
        if l.name.trim().is_empty() {
            return Err(rerr(F, "`listed_end_user.name` must not be empty"));
        }
        let key = format!("listed_end_user `{}`", l.name);
        let ev = evidence(F, &key, &l.evidence)?;
        let country = CountryCode::parse(&l.country)
            .filter(|c| c.as_str() == l.country && known.contains(*c))
            .ok_or_else(|| {
                rerr(
                    F,
                    format!(
                        "{key}: `country` must be a code in countries.toml, got `{}`",
                        l.country
                    ),
                )
            })?;
        let from = date(F, &format!("{key}.effective_from"), &l.effective_from)?;
        let to = l
            .effective_to
            .as_deref()
            .map(|t| date(F, &format!("{key}.effective_to"), t))
            .transpose()?;
        if to.is_some_and(|t| t < from) {
            return Err(rerr(F, format!("{key} ends before it starts")));
        }
        listed_end_users.push(ListedEndUser {
            name: l.name.as_str().into(),
            country,
            from,
            to,
            source: Source {
                reference: l.reference,
                evidence: ev,
                question: question(F, &key, l.question, ev)?,
            },
        });
    }
    if let Some(unknown) = groups.keys().next() {
        return Err(rerr(FG, format!("unknown group `{unknown}`")));
    }
    let mut ac = AdvancedComputing {
        name: meta.name.as_str().into(),
        title: meta.title,
        citation: meta.citation.as_str().into(),
        covered_from,
        amendments,
        groups: ac_groups,
        params,
        listed_end_users,
        is_informed,
        paragraphs,
        screening_citations,
        citations: Vec::new(),
        version_citations: Vec::new(),
    };
    chipcap_core::advanced::prepare_citations(&mut ac);
    Ok(ac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load() {
        let r = embedded();
        assert!(r.is_ok(), "{r:?}");
    }

    fn with_framework(edit: impl Fn(&str) -> String) -> Result<RuleSet, RulesError> {
        let fw = edit(EMBEDDED.framework);
        load(&RuleFiles {
            framework: &fw,
            ..EMBEDDED
        })
    }

    #[test]
    fn unknown_keys_and_names_are_errors() {
        let e =
            with_framework(|s| s.replacen("unit = \"tpp\"", "unit = \"tpp\"\ncolour = \"red\"", 1));
        assert!(
            e.as_ref().is_err_and(|e| e.message.contains("colour")),
            "{e:?}"
        );
        let e =
            with_framework(|s| s.replacen("name = \"lpp_limit_tpp\"", "name = \"lpp_limit\"", 1));
        assert!(e.is_err());
        let e = with_framework(|s| s.replacen("unit = \"percent\"", "unit = \"tpp\"", 1));
        assert!(
            e.as_ref().is_err_and(|e| e.message.contains("unit")),
            "{e:?}"
        );
        let e = with_framework(|s| {
            s.replacen(
                "effective_from = \"2025-01-13\"\nreference = \"15 CFR 740.29(a)\"",
                "effective_from = \"2025-02-30\"\nreference = \"15 CFR 740.29(a)\"",
                1,
            )
        });
        assert!(
            e.as_ref().is_err_and(|e| e.message.contains("2025-02-30")),
            "{e:?}"
        );
        let e = with_framework(|s| s.replacen("quarter = \"2025Q3\"", "quarter = \"2025Q4\"", 1));
        assert!(e.is_err());
    }

    #[test]
    fn overlapping_versions_are_errors() {
        let e = with_framework(|s| {
            format!("{s}\n[[param]]\nname = \"lpp_limit_tpp\"\nvalue = \"1\"\nunit = \"tpp\"\neffective_from = \"2026-01-01\"\nreference = \"x\"\nevidence = \"P\"\n")
        });
        assert!(
            e.as_ref().is_err_and(|e| e.message.contains("two values")),
            "{e:?}"
        );
    }

    /// Issue 14, point 4: every step of the framework's decision table takes its citation from
    /// the rule data, each exactly once.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn every_framework_step_is_cited_once_from_the_rule_data() {
        let r = embedded().unwrap();
        assert_eq!(r.framework_citations.get(FwStep::Lpp), "15 CFR 740.29(a)");
        assert_eq!(r.framework_citations.get(FwStep::RuleSet), "90 FR 4544");
        let e = with_framework(|s| s.replacen("key = \"lpp\"", "key = \"lpp_typo\"", 1));
        assert!(
            e.as_ref()
                .is_err_and(|e| e.message.contains("unknown step `lpp_typo`")),
            "{e:?}"
        );
        let e = with_framework(|s| {
            s.replacen(
                "[[step]]\nkey = \"acm\"\ncitation = \"15 CFR 740.28\"\n",
                "",
                1,
            )
        });
        assert!(
            e.as_ref()
                .is_err_and(|e| e.message.contains("step `acm` is missing")),
            "{e:?}"
        );
        let e = with_framework(|s| format!("{s}\n[[step]]\nkey = \"nac\"\ncitation = \"x\"\n"));
        assert!(
            e.as_ref()
                .is_err_and(|e| e.message.contains("step `nac` is listed twice")),
            "{e:?}"
        );
        let e =
            with_framework(|s| s.replacen("citation = \"15 CFR 740.28\"", "citation = \" \"", 1));
        assert!(
            e.as_ref().is_err_and(|e| e.message.contains("step `acm`")),
            "{e:?}"
        );
        let e =
            with_framework(|s| s.replacen("key = \"acm\"\n", "key = \"acm\"\nnote = \"x\"\n", 1));
        assert!(
            e.as_ref().is_err_and(|e| e.message.contains("note")),
            "{e:?}"
        );
    }

    fn with_regime(edit: impl Fn(&str) -> String) -> Result<RuleSet, RulesError> {
        let ac = edit(EMBEDDED.ac_regime);
        load(&RuleFiles {
            ac_regime: &ac,
            ..EMBEDDED
        })
    }

    fn fails_with(r: Result<RuleSet, RulesError>, file: &str, message: &str) {
        assert!(
            r.as_ref()
                .is_err_and(|e| e.file == file && e.message.contains(message)),
            "{file}: {message}: {:?}",
            r.err()
        );
    }

    /// Issue 14, point 3/4: the screening overlay cites each line's own rule data (the framework's
    /// `[[step]]` list, the enforced line's `[[paragraph]]` list), as strictly as the steps.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn screening_citations_come_from_each_lines_rule_data() {
        const F: &str = "ai-diffusion-2025/framework.toml";
        const A: &str = "advanced-computing-2023/regime.toml";
        let r = embedded().unwrap();
        for c in [&r.screening_citations, &r.advanced.screening_citations] {
            assert_eq!(
                c.get(ScreeningStep::Screening),
                "15 CFR 744.11; Supp. No. 3 to part 732"
            );
            assert_eq!(c.get(ScreeningStep::OutsideEar), "31 CFR chapter V");
        }
        assert_eq!(
            r.advanced.paragraphs.get(AcPara::IsInformed),
            "15 CFR 744.23(b)"
        );
        // Each line's copy is its own: a change to one leaves the other.
        let edited = with_regime(|s| {
            s.replacen(
                "citation = \"15 CFR 744.15\"",
                "citation = \"15 CFR 744.15 (UVL)\"",
                1,
            )
        })
        .unwrap();
        assert_eq!(
            edited
                .advanced
                .screening_citations
                .get(ScreeningStep::Unverified),
            "15 CFR 744.15 (UVL)"
        );
        assert_eq!(
            edited.screening_citations.get(ScreeningStep::Unverified),
            "15 CFR 744.15"
        );
        // A determination cites the screening overlay from the version it is decided under.
        let edited = with_regime(|s| {
            s.replacen(
                "citation = \"15 CFR 744.11; Supp. No. 3 to part 732\"",
                "citation = \"15 CFR 744.11 (enforced line)\"",
                1,
            )
        })
        .unwrap();
        let unscreened = |rule_set: &str| {
            let doc = format!(
                r#"{{"date": "2026-03-02", "rule_set": "{rule_set}", "destination": "AE",
                "items": [{{"chip": "nvidia-h100-sxm", "quantity": 10}}],
                "consignee": {{"name": "Example AI LLC", "headquarters": "AE"}}}}"#
            );
            let today = chipcap_core::date::Date::new(2026, 3, 2).unwrap();
            let p = chipcap_core::wire::parse_request(&doc, &edited, today).unwrap();
            let d = chipcap_core::determine(&p.request, &edited).unwrap();
            let n = d
                .notices
                .iter()
                .find(|n| n.code == "screening_not_performed")
                .unwrap();
            n.citation.as_deref().unwrap_or("").to_string()
        };
        assert_eq!(
            unscreened("advanced-computing-2023"),
            "15 CFR 744.11 (enforced line)"
        );
        assert_eq!(
            unscreened("ai-diffusion-2025"),
            "15 CFR 744.11; Supp. No. 3 to part 732"
        );
        let outside = "[[step]]\nkey = \"outside_ear\"\ncitation = \"31 CFR chapter V\"\n";
        fails_with(
            with_framework(|s| s.replacen(outside, "", 1)),
            F,
            "step `outside_ear` is missing",
        );
        fails_with(
            with_framework(|s| format!("{s}\n[[step]]\nkey = \"entity_list\"\ncitation = \"x\"\n")),
            F,
            "step `entity_list` is listed twice",
        );
        fails_with(
            with_framework(|s| s.replacen("citation = \"31 CFR chapter V\"", "citation = \"\"", 1)),
            F,
            "step `outside_ear` must have a non-empty `citation`",
        );
        // The enforced line: paragraphs and screening keys, the same rules.
        fails_with(
            with_regime(|s| s.replacen("key = \"gp10\"", "key = \"gp_10\"", 1)),
            A,
            "unknown paragraph `gp_10`",
        );
        fails_with(
            with_regime(|s| s.replacen("key = \"gp10\"", "key = \"nac\"", 1)),
            A,
            "paragraph `nac` is listed twice",
        );
        let screening = "[[paragraph]]\nkey = \"screening\"\ncitation = \"15 CFR 744.11; Supp. No. 3 to part 732\"\n";
        fails_with(
            with_regime(|s| s.replacen(screening, "", 1)),
            A,
            "paragraph `screening` is missing",
        );
        fails_with(
            with_regime(|s| s.replacen("citation = \"15 CFR 744.23(b)\"", "citation = \"  \"", 1)),
            A,
            "paragraph `is_informed_letters` must have a non-empty `citation`",
        );
        // A framework step is not a paragraph of the enforced line, nor the other way round.
        fails_with(
            with_regime(|s| format!("{s}\n[[paragraph]]\nkey = \"lpp\"\ncitation = \"x\"\n")),
            A,
            "unknown paragraph `lpp`",
        );
        fails_with(
            with_framework(|s| format!("{s}\n[[step]]\nkey = \"gp10\"\ncitation = \"x\"\n")),
            F,
            "unknown step `gp10`",
        );
    }

    #[test]
    fn unknown_country_in_group_is_an_error() {
        let g = EMBEDDED.country_groups.replacen("\"AF\",", "\"XX\",", 1);
        let e = load(&RuleFiles {
            country_groups: &g,
            ..EMBEDDED
        });
        assert!(e.as_ref().is_err_and(|e| e.message.contains("XX")), "{e:?}");
    }
}
