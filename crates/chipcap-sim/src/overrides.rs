//! Scenario overrides of the rule data: a dated parameter value from a date, a replaced NVEU
//! schedule, tier and country-group moves. Each builds new dated versions and hands them to the
//! core's own validating constructors (`Timeline::new`), so an override is rule data, not code.

use chipcap_core::country::{CountryCode, CountrySet};
use chipcap_core::date::{Date, Quarter};
use chipcap_core::params::{Dated, Evidence, NveuQuarter, RuleSet, RuleSetId, Source, Timeline};
use chipcap_core::units::Tpp;

use crate::error::SimError;
use crate::scenario::ErrFn;

fn source(what: &str) -> Source {
    Source {
        reference: format!("scenario override: {what}"),
        evidence: Evidence::Derived,
        question: None,
    }
}

fn day_before(d: Date) -> Option<Date> {
    Date::from_days_since_epoch(d.days_since_epoch() - 1)
}

/// The timeline with `value` in force from `from` on (earlier versions cut the day before).
fn set_from<T: Clone>(
    t: &Timeline<T>,
    from: Date,
    value: T,
    what: &str,
) -> Result<Timeline<T>, String> {
    let mut v: Vec<Dated<T>> = Vec::new();
    for d in t.versions() {
        if d.from >= from {
            continue;
        }
        let mut d = d.clone();
        if d.to.is_none_or(|to| to >= from) {
            d.to = day_before(from);
        }
        v.push(d);
    }
    v.push(Dated {
        value,
        from,
        to: None,
        source: source(what),
    });
    Timeline::new(v).map_err(|e| format!("the overridden value {e}"))
}

/// The set in force on `from`, with `c` added or removed, in force from `from`.
fn move_in(
    t: &Timeline<CountrySet>,
    c: CountryCode,
    add: bool,
    from: Date,
    what: &str,
) -> Result<Timeline<CountrySet>, String> {
    let cur = t.at(from).value;
    let next: CountrySet = if add {
        let mut s = cur.clone();
        s.insert(c);
        s
    } else {
        cur.iter().filter(|x| *x != c).collect()
    };
    if &next == cur {
        return Ok(t.clone());
    }
    set_from(t, from, next, what)
}

/// A parameter override: `name` as in the rule files (`country_allocation_tpp`, `lpp_limit_tpp`, ...;
/// a `_tpp` parameter may also be given in H100-equivalents as `..._h100e`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn parameter(
    err: &ErrFn<'_>,
    rules: &mut RuleSet,
    id: RuleSetId,
    field: &str,
    name: &str,
    name_span: std::ops::Range<usize>,
    value: &toml::Spanned<toml::Value>,
    from: Date,
) -> Result<(), SimError> {
    let vfield = format!("{field}.value");
    let text = match value.get_ref() {
        toml::Value::Integer(i) if *i >= 0 => i.to_string(),
        toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => f.to_string(),
        toml::Value::String(s) => s.clone(),
        other => {
            return Err(err(
                &vfield,
                value.span(),
                format!("must be a non-negative number, got `{other}`"),
            ))
        }
    };
    let h100 = rules.params.h100_tpp.at(from).value.milli();
    let (base, h100e) = match name.strip_suffix("_h100e") {
        Some(b) => (format!("{b}_tpp"), true),
        None => (name.to_string(), false),
    };
    let tpp = || -> Result<Tpp, SimError> {
        let m = chipcap_core::units::parse_decimal(&text, 3)
            .map_err(|e| err(&vfield, value.span(), format!("{e}, got `{text}`")))?;
        let m = if h100e {
            m * u128::from(h100) / 1000
        } else {
            m
        };
        u64::try_from(m)
            .map(Tpp::from_milli)
            .map_err(|_| err(&vfield, value.span(), format!("`{text}` is too large")))
    };
    let pct = |max: u32| -> Result<u32, SimError> {
        text.parse::<u32>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| {
                err(
                    &vfield,
                    value.span(),
                    format!("must be a whole percent 0 to {max}, got `{text}`"),
                )
            })
    };
    let days = || -> Result<u32, SimError> {
        text.parse::<u32>().map_err(|_| {
            err(
                &vfield,
                value.span(),
                format!("must be a whole number of days, got `{text}`"),
            )
        })
    };
    let fail = |m: String| err(field, name_span.clone(), m);
    let unknown = || {
        err(
            &format!("{field}.name"),
            name_span.clone(),
            format!("`{name}` is not a parameter of `{id}` that a scenario can override"),
        )
    };
    let p = &mut rules.params;
    match (id, base.as_str(), h100e) {
        (RuleSetId::AiDiffusion2025, "country_allocation_tpp", _) => {
            p.country_allocation =
                set_from(&p.country_allocation, from, tpp()?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "lpp_limit_tpp", _) => {
            p.lpp_limit = set_from(&p.lpp_limit, from, tpp()?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "aia_certification_tpp", _) => {
            p.aia_certification =
                set_from(&p.aia_certification, from, tpp()?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "assurance_uplift_max_percent", false) => {
            p.assurance_uplift_max_percent =
                set_from(&p.assurance_uplift_max_percent, from, pct(1000)?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "assurance_uplift_default_percent", false) => {
            p.assurance_uplift_default_percent =
                set_from(&p.assurance_uplift_default_percent, from, pct(1000)?, name)
                    .map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "uveu_max_tier2_country_percent", false) => {
            p.uveu_max_tier2_country_percent =
                set_from(&p.uveu_max_tier2_country_percent, from, pct(100)?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "uveu_max_outside_tier1_percent", false) => {
            p.uveu_max_outside_tier1_percent =
                set_from(&p.uveu_max_outside_tier1_percent, from, pct(100)?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "uveu_min_us_percent", false) => {
            p.uveu_min_us_percent =
                set_from(&p.uveu_min_us_percent, from, pct(100)?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "nac_notification_days", false) => {
            p.nac_notification_days =
                set_from(&p.nac_notification_days, from, days()?, name).map_err(fail)?
        }
        (RuleSetId::AiDiffusion2025, "h100_tpp", false) => {
            p.h100_tpp = set_from(&p.h100_tpp, from, tpp()?, name).map_err(fail)?;
        }
        (RuleSetId::AdvancedComputing2023, "case_by_case_max_tpp", _) => {
            let a = &mut rules.advanced.params;
            a.case_by_case_max_tpp =
                set_from(&a.case_by_case_max_tpp, from, tpp()?, name).map_err(fail)?
        }
        (RuleSetId::AdvancedComputing2023, "nac_notification_days", false) => {
            let a = &mut rules.advanced.params;
            a.nac_notification_days =
                set_from(&a.nac_notification_days, from, days()?, name).map_err(fail)?
        }
        (RuleSetId::AdvancedComputing2023, "china_us_share_max_percent", false) => {
            let a = &mut rules.advanced.params;
            a.china_us_share_max_percent =
                set_from(&a.china_us_share_max_percent, from, pct(100)?, name).map_err(fail)?
        }
        (RuleSetId::AdvancedComputing2023, "h100_tpp", false) => {
            let a = &mut rules.advanced.params;
            a.h100_tpp = set_from(&a.h100_tpp, from, tpp()?, name).map_err(fail)?;
        }
        _ => return Err(unknown()),
    }
    Ok(())
}

/// Replaces the NVEU schedule: consecutive quarters, caps that do not fall.
pub(crate) fn nveu_schedule(
    err: &ErrFn<'_>,
    rules: &mut RuleSet,
    mut sched: Vec<(Quarter, u64, std::ops::Range<usize>)>,
) -> Result<(), SimError> {
    sched.sort_by_key(|s| s.0);
    for (i, w) in sched.windows(2).enumerate() {
        if w[0].0.next() != w[1].0 {
            return Err(err(
                &format!("nveu_quarter[{}]", i + 1),
                w[1].2.clone(),
                format!(
                    "quarters must follow one another, `{}` after `{}`",
                    w[1].0, w[0].0
                ),
            ));
        }
        if w[1].1 < w[0].1 {
            return Err(err(
                &format!("nveu_quarter[{}]", i + 1),
                w[1].2.clone(),
                format!(
                    "the cumulative cap may not fall, `{}` after `{}` milli-TPP",
                    w[1].1, w[0].1
                ),
            ));
        }
    }
    rules.nveu = sched
        .into_iter()
        .map(|(quarter, cap, _)| NveuQuarter {
            quarter,
            cap: Tpp::from_milli(cap),
            source: source("nveu_quarter"),
        })
        .collect();
    Ok(())
}

/// Moves a country to a tier of the framework from a date (Tier 1: Supp. No. 5 para (a); Tier 3:
/// Country Group D:5; Tier 2: neither).
pub(crate) fn tier_move(
    rules: &mut RuleSet,
    c: CountryCode,
    tier: u8,
    from: Date,
) -> Result<(), String> {
    let g = &mut rules.groups;
    let what = "tier_move";
    g.tier1 = move_in(&g.tier1, c, tier == 1, from, what)?;
    g.d5 = move_in(&g.d5, c, tier == 3, from, what)?;
    if tier != 3 {
        g.macau = move_in(&g.macau, c, false, from, what)?;
    }
    Ok(())
}

/// Adds a country to, or removes it from, a country group of the scenario's rule version.
pub(crate) fn group_move(
    rules: &mut RuleSet,
    id: RuleSetId,
    group: &str,
    c: CountryCode,
    add: bool,
    from: Date,
) -> Result<(), String> {
    let what = "group_move";
    match id {
        RuleSetId::AiDiffusion2025 => {
            let g = &mut rules.groups;
            let t = match group {
                "tier1" => &mut g.tier1,
                "supp5b" => &mut g.supp5b,
                "d1" => &mut g.d1,
                "d4" => &mut g.d4,
                "d5" => &mut g.d5,
                "macau" => &mut g.macau,
                "a5" => &mut g.a5,
                "a6" => &mut g.a6,
                other => return Err(format!("`{other}` is not a country group of `{id}`; use tier1, supp5b, d1, d4, d5, macau, a5 or a6")),
            };
            *t = move_in(t, c, add, from, what)?;
        }
        RuleSetId::AdvancedComputing2023 => {
            let g = &mut rules.advanced.groups;
            let t = match group {
                "d1" => &mut g.d1,
                "d4" => &mut g.d4,
                "d5" => &mut g.d5,
                "macau" => &mut g.macau,
                "a5" => &mut g.a5,
                "a6" => &mut g.a6,
                other => {
                    return Err(format!(
                    "`{other}` is not a country group of `{id}`; use d1, d4, d5, macau, a5 or a6"
                ))
                }
            };
            *t = move_in(t, c, add, from, what)?;
        }
    }
    Ok(())
}
