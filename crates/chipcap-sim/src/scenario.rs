//! The scenario file (TOML): a strict wire schema (`deny_unknown_fields`) converted with validation
//! into a [`Scenario`]; every error names the field path and the line.

use std::collections::BTreeMap;

use chipcap_core::country::CountryCode;
use chipcap_core::date::{Date, Quarter};
use chipcap_core::params::{RuleSet, RuleSetId};
use chipcap_core::units::parse_decimal;
use serde::Deserialize;
use toml::Spanned;

use crate::error::SimError;

/// One demand channel: how the demand asks to be authorised.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// Individual licences (the consignee claims no VEU; the core may still find an exception).
    Licence,
    /// License Exception LPP, split over `consignees` consignees.
    Lpp,
    /// A Universal Validated End User.
    Uveu,
    /// A National Validated End User.
    Nveu,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [Channel::Licence, Channel::Lpp, Channel::Uveu, Channel::Nveu];

    /// As written in scenario files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Licence => "licence",
            Channel::Lpp => "lpp",
            Channel::Uveu => "uveu",
            Channel::Nveu => "nveu",
        }
    }

    fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Demand as a distribution of H100-equivalents per quarter (Monte Carlo).
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Triangular on `[low, high]` with the given mode.
    Triangular {
        /// Least.
        low: f64,
        /// Most likely.
        mode: f64,
        /// Greatest.
        high: f64,
    },
    /// Lognormal with the given median and sigma (of the logarithm).
    Lognormal {
        /// Median.
        median: f64,
        /// Standard deviation of ln(demand).
        sigma: f64,
    },
}

/// One line of demand, validated.
#[derive(Clone, Debug)]
pub struct DemandLine {
    /// A label for reports (`demand[0]`, or the project's name).
    pub label: String,
    /// Destination (where the items are installed).
    pub country: CountryCode,
    /// Channel.
    pub channel: Channel,
    /// Catalog chip the demand is expressed in.
    pub chip: String,
    /// Consignee names (one, or `consignees` for LPP).
    pub consignees: Vec<String>,
    /// Headquarters of the consignees.
    pub headquarters: CountryCode,
    /// Demand per quarter of the scenario, thousandths of TPP (before sampling).
    pub tpp_milli: Vec<u64>,
    /// Growth per quarter, thousandths of a percent, applied when sampling a level.
    pub growth_milli_percent_per_quarter: i64,
    /// Growth per year, thousandths of a percent (stepwise, once per calendar year).
    pub growth_milli_percent_per_year: i64,
    /// First quarter index with demand, and the last.
    pub active: (usize, usize),
    /// A distribution of the level (H100e per quarter) for Monte Carlo runs.
    pub distribution: Option<Distribution>,
}

/// Government-to-government assurances of a country from a date.
#[derive(Clone, Debug)]
pub struct AssuranceSpec {
    /// The country.
    pub country: CountryCode,
    /// From.
    pub from: Date,
    /// Uplift, percent (absent: the rule's default, reading D8).
    pub uplift_percent: Option<u32>,
}

/// How to treat licence applications reviewed case by case.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CaseByCase {
    /// Assume granted.
    Grant,
    /// Assume refused (the default).
    Refuse,
}

/// Monte Carlo settings.
#[derive(Clone, Debug)]
pub struct MonteCarlo {
    /// Number of runs.
    pub runs: u32,
    /// Seed of the generator.
    pub seed: u64,
    /// Draw each line's level once per run (`run`, the default) or once per quarter (`quarter`).
    pub per_quarter: bool,
}

/// A validated scenario, with the rule set it runs under (overrides applied).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name (file stem or `name`).
    pub name: String,
    /// The rule version.
    pub rule_set: RuleSetId,
    /// The rules, with the scenario's overrides applied.
    pub rules: RuleSet,
    /// The quarters simulated, in order.
    pub quarters: Vec<Quarter>,
    /// Demand lines, in file order (demand first, then projects).
    pub demand: Vec<DemandLine>,
    /// Assurances.
    pub assurances: Vec<AssuranceSpec>,
    /// Grant the part of a quarter's demand that fits when the whole does not (default true).
    pub fill: bool,
    /// Case-by-case review policy assumption.
    pub case_by_case: CaseByCase,
    /// Monte Carlo settings, if any.
    pub monte_carlo: Option<MonteCarlo>,
    /// VEU installed bases at the start (ledger adjustment keys such as `uveu|NAME|US`, milli-TPP).
    pub installed_base: Vec<(String, i64)>,
    /// A ledger whose shipments are replayed as demand (`replay_ledger`: an SQLite path, relative to
    /// the scenario file, or a PostgreSQL URL); the edge reads it and calls [`crate::replay::add`].
    pub replay_ledger: Option<String>,
    /// TPP of one H100 (display unit and the H100e conversion), milli-TPP.
    pub h100_tpp_milli: u64,
}

// ---- wire types ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDto {
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    rule_set: Spanned<String>,
    start: Spanned<String>,
    end: Spanned<String>,
    #[serde(default)]
    options: OptionsDto,
    #[serde(default)]
    parameter: Vec<ParamDto>,
    #[serde(default)]
    nveu_quarter: Vec<NveuDto>,
    #[serde(default)]
    tier_move: Vec<TierMoveDto>,
    #[serde(default)]
    group_move: Vec<GroupMoveDto>,
    #[serde(default)]
    assurances: Vec<AssuranceDto>,
    #[serde(default)]
    demand: Vec<DemandDto>,
    #[serde(default)]
    project: Vec<ProjectDto>,
    #[serde(default)]
    installed_base: Vec<BaseDto>,
    replay_ledger: Option<String>,
    monte_carlo: Option<McDto>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OptionsDto {
    fill: Option<bool>,
    case_by_case: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamDto {
    name: Spanned<String>,
    value: Spanned<toml::Value>,
    from: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NveuDto {
    quarter: Spanned<String>,
    cap_tpp: Option<Spanned<toml::Value>>,
    cap_h100e: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierMoveDto {
    country: Spanned<String>,
    tier: Spanned<u8>,
    from: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupMoveDto {
    country: Spanned<String>,
    group: Spanned<String>,
    action: Spanned<String>,
    from: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssuranceDto {
    country: Spanned<String>,
    from: Spanned<String>,
    uplift_percent: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistDto {
    kind: Spanned<String>,
    low: Option<f64>,
    mode: Option<f64>,
    high: Option<f64>,
    median: Option<f64>,
    sigma: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemandDto {
    country: Spanned<String>,
    channel: Spanned<String>,
    h100e_per_quarter: Option<Spanned<toml::Value>>,
    tpp_per_quarter: Option<Spanned<toml::Value>>,
    chip: Option<Spanned<String>>,
    growth_percent_per_quarter: Option<Spanned<toml::Value>>,
    growth_percent_per_year: Option<Spanned<toml::Value>>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<String>>,
    consignee: Option<String>,
    consignees: Option<Spanned<u32>>,
    headquarters: Option<Spanned<String>>,
    distribution: Option<DistDto>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectDto {
    name: String,
    buyer: Option<String>,
    headquarters: Option<Spanned<String>>,
    country: Spanned<String>,
    channel: Spanned<String>,
    chip: Option<Spanned<String>>,
    h100e: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BaseDto {
    kind: Spanned<String>,
    consignee: String,
    country: Spanned<String>,
    h100e: Option<Spanned<toml::Value>>,
    tpp: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct McDto {
    runs: Spanned<u32>,
    seed: u64,
    resample: Option<Spanned<String>>,
}

// ---- conversion ---------------------------------------------------------------------------

/// Line (1-based) of a byte offset.
fn line_of(src: &str, offset: usize) -> usize {
    src.get(..offset)
        .map_or(0, |s| s.bytes().filter(|b| *b == b'\n').count())
        + 1
}

struct Cx<'a> {
    src: &'a str,
}

impl Cx<'_> {
    fn err(&self, field: &str, span: std::ops::Range<usize>, message: String) -> SimError {
        SimError::Schema {
            field: field.to_string(),
            line: Some(line_of(self.src, span.start)),
            message,
        }
    }

    fn country(
        &self,
        field: &str,
        s: &Spanned<String>,
        rules: &RuleSet,
    ) -> Result<CountryCode, SimError> {
        let v = s.get_ref();
        match CountryCode::parse(v) {
            Some(c) if rules.known.contains(c) => Ok(c),
            _ => Err(self.err(
                field,
                s.span(),
                format!("`{v}` is not a known ISO 3166-1 alpha-2 country code"),
            )),
        }
    }

    fn quarter(&self, field: &str, s: &Spanned<String>) -> Result<Quarter, SimError> {
        let v = s.get_ref();
        v.parse::<Quarter>().map_err(|_| {
            self.err(
                field,
                s.span(),
                format!("`{v}` is not a quarter in the form YYYYQn"),
            )
        })
    }

    fn date(&self, field: &str, s: &Spanned<String>) -> Result<Date, SimError> {
        let v = s.get_ref();
        v.parse::<Date>().map_err(|_| {
            self.err(
                field,
                s.span(),
                format!("`{v}` is not a date in the form YYYY-MM-DD"),
            )
        })
    }

    /// A non-negative exact decimal (integer, decimal string, or a TOML float read by its
    /// shortest text) at `scale` decimal places.
    fn decimal(&self, field: &str, v: &Spanned<toml::Value>, scale: u32) -> Result<u128, SimError> {
        let text = match v.get_ref() {
            toml::Value::Integer(i) if *i >= 0 => i.to_string(),
            toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => f.to_string(),
            toml::Value::String(s) => s.clone(),
            other => {
                return Err(self.err(
                    field,
                    v.span(),
                    format!("must be a non-negative number, got `{other}`"),
                ))
            }
        };
        parse_decimal(&text, scale)
            .map_err(|e| self.err(field, v.span(), format!("{e}, got `{text}`")))
    }

    /// A signed decimal percentage in thousandths of a percent.
    fn percent_milli(&self, field: &str, v: &Spanned<toml::Value>) -> Result<i64, SimError> {
        let (neg, text) = match v.get_ref() {
            toml::Value::Integer(i) => (*i < 0, i.unsigned_abs().to_string()),
            toml::Value::Float(f) if f.is_finite() => (*f < 0.0, f.abs().to_string()),
            toml::Value::String(s) => match s.strip_prefix('-') {
                Some(r) => (true, r.to_string()),
                None => (false, s.clone()),
            },
            other => {
                return Err(self.err(field, v.span(), format!("must be a number, got `{other}`")))
            }
        };
        let m = parse_decimal(&text, 3)
            .map_err(|e| self.err(field, v.span(), format!("{e}, got `{text}`")))?;
        let m = i64::try_from(m)
            .ok()
            .filter(|m| *m <= 1_000_000)
            .ok_or_else(|| self.err(field, v.span(), format!("`{text}` is too large")))?;
        if neg && m > 100_000 {
            return Err(self.err(field, v.span(), "may not be below -100".into()));
        }
        Ok(if neg { -m } else { m })
    }
}

/// Reads a scenario from TOML text and applies its overrides to (a copy of) `rules`.
pub fn parse(src: &str, default_name: &str, rules: &RuleSet) -> Result<Scenario, SimError> {
    let de = toml::Deserializer::new(src);
    let dto: FileDto = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let line = inner.span().map(|s| line_of(src, s.start));
        SimError::Schema {
            field,
            line,
            message: inner.message().trim().to_string(),
        }
    })?;
    let cx = Cx { src };
    let rule_set = RuleSetId::parse(dto.rule_set.get_ref()).ok_or_else(|| {
        cx.err(
            "rule_set",
            dto.rule_set.span(),
            format!(
                "`{}` is not a rule version; use `ai-diffusion-2025` or `advanced-computing-2023`",
                dto.rule_set.get_ref()
            ),
        )
    })?;
    let start = cx.quarter("start", &dto.start)?;
    let end = cx.quarter("end", &dto.end)?;
    if end < start {
        return Err(cx.err(
            "end",
            dto.end.span(),
            format!("`{end}` is before start `{start}`"),
        ));
    }
    let mut quarters = vec![start];
    while let Some(&q) = quarters.last() {
        if q >= end {
            break;
        }
        if quarters.len() >= 200 {
            return Err(cx.err(
                "end",
                dto.end.span(),
                "the period may be at most 200 quarters".into(),
            ));
        }
        quarters.push(q.next());
    }
    let covered = rules.covered_from(rule_set);
    if start.first_day() < covered {
        return Err(cx.err(
            "start",
            dto.start.span(),
            format!("`{start}` begins before the earliest date chipcap covers ({covered})"),
        ));
    }
    let mut rules = rules.clone();
    let start_day = start.first_day();

    // Parameter overrides.
    for (i, p) in dto.parameter.iter().enumerate() {
        let field = format!("parameter[{i}]");
        let from = match &p.from {
            Some(f) => cx.date(&format!("{field}.from"), f)?,
            None => start_day,
        };
        crate::overrides::parameter(
            &cx_fn(&cx),
            &mut rules,
            rule_set,
            &field,
            p.name.get_ref(),
            p.name.span(),
            &p.value,
            from,
        )?;
    }
    let h100_tpp_milli = rules.params.h100_tpp.at(start_day).value.milli().max(1);
    if !dto.nveu_quarter.is_empty() {
        let mut sched = Vec::new();
        for (i, n) in dto.nveu_quarter.iter().enumerate() {
            let field = format!("nveu_quarter[{i}]");
            let quarter = cx.quarter(&format!("{field}.quarter"), &n.quarter)?;
            let cap = match (&n.cap_tpp, &n.cap_h100e) {
                (Some(t), None) => cx.decimal(&format!("{field}.cap_tpp"), t, 3)?,
                (None, Some(h)) => {
                    cx.decimal(&format!("{field}.cap_h100e"), h, 3)? * u128::from(h100_tpp_milli)
                        / 1000
                }
                _ => {
                    return Err(cx.err(
                        &field,
                        n.quarter.span(),
                        "give exactly one of `cap_tpp` and `cap_h100e`".into(),
                    ))
                }
            };
            let cap = u64::try_from(cap)
                .map_err(|_| cx.err(&field, n.quarter.span(), "the cap is too large".into()))?;
            sched.push((quarter, cap, n.quarter.span()));
        }
        crate::overrides::nveu_schedule(&cx_fn(&cx), &mut rules, sched)?;
    }
    for (i, m) in dto.tier_move.iter().enumerate() {
        let field = format!("tier_move[{i}]");
        let c = cx.country(&format!("{field}.country"), &m.country, &rules)?;
        let from = cx.date(&format!("{field}.from"), &m.from)?;
        let tier = *m.tier.get_ref();
        if !(1..=3).contains(&tier) || rule_set != RuleSetId::AiDiffusion2025 {
            return Err(cx.err(
                &format!("{field}.tier"),
                m.tier.span(),
                if rule_set == RuleSetId::AiDiffusion2025 {
                    format!("must be 1, 2 or 3, got `{tier}`")
                } else {
                    "tiers exist only in `ai-diffusion-2025`; use `group_move` for `advanced-computing-2023`".into()
                },
            ));
        }
        crate::overrides::tier_move(&mut rules, c, tier, from)
            .map_err(|msg| cx.err(&field, m.from.span(), msg))?;
    }
    for (i, m) in dto.group_move.iter().enumerate() {
        let field = format!("group_move[{i}]");
        let c = cx.country(&format!("{field}.country"), &m.country, &rules)?;
        let from = cx.date(&format!("{field}.from"), &m.from)?;
        let add = match m.action.get_ref().as_str() {
            "add" => true,
            "remove" => false,
            other => {
                return Err(cx.err(
                    &format!("{field}.action"),
                    m.action.span(),
                    format!("must be `add` or `remove`, got `{other}`"),
                ))
            }
        };
        crate::overrides::group_move(&mut rules, rule_set, m.group.get_ref(), c, add, from)
            .map_err(|msg| cx.err(&format!("{field}.group"), m.group.span(), msg))?;
    }

    let mut assurances = Vec::new();
    for (i, a) in dto.assurances.iter().enumerate() {
        let field = format!("assurances[{i}]");
        let country = cx.country(&format!("{field}.country"), &a.country, &rules)?;
        let from = cx.date(&format!("{field}.from"), &a.from)?;
        let uplift_percent = match &a.uplift_percent {
            Some(u) if *u.get_ref() > 100 => {
                return Err(cx.err(
                    &format!("{field}.uplift_percent"),
                    u.span(),
                    format!("must be 0 to 100, got `{}`", u.get_ref()),
                ))
            }
            Some(u) => Some(*u.get_ref()),
            None => None,
        };
        assurances.push(AssuranceSpec {
            country,
            from,
            uplift_percent,
        });
    }

    let qi = |q: Quarter| quarters.iter().position(|x| *x == q);
    let mut demand = Vec::new();
    for (i, d) in dto.demand.iter().enumerate() {
        let field = format!("demand[{i}]");
        let country = cx.country(&format!("{field}.country"), &d.country, &rules)?;
        let channel = Channel::parse(d.channel.get_ref()).ok_or_else(|| {
            cx.err(
                &format!("{field}.channel"),
                d.channel.span(),
                format!(
                    "`{}` is not a channel; use `licence`, `lpp`, `uveu` or `nveu`",
                    d.channel.get_ref()
                ),
            )
        })?;
        let chip = chip_of(&cx, &field, d.chip.as_ref(), &rules)?;
        let level = match (&d.h100e_per_quarter, &d.tpp_per_quarter, &d.distribution) {
            (Some(h), None, _) => cx.decimal(&format!("{field}.h100e_per_quarter"), h, 3)? * u128::from(h100_tpp_milli) / 1000,
            (None, Some(t), _) => cx.decimal(&format!("{field}.tpp_per_quarter"), t, 3)?,
            (None, None, Some(_)) => 0,
            _ => {
                return Err(cx.err(&field, d.country.span(), "give exactly one of `h100e_per_quarter` and `tpp_per_quarter` (or a `distribution`)".into()))
            }
        };
        let level = u64::try_from(level)
            .map_err(|_| cx.err(&field, d.country.span(), "the demand is too large".into()))?;
        let from = match &d.from {
            Some(f) => qi(cx.quarter(&format!("{field}.from"), f)?).ok_or_else(|| {
                cx.err(
                    &format!("{field}.from"),
                    f.span(),
                    "is outside the scenario's period".into(),
                )
            })?,
            None => 0,
        };
        let to = match &d.to {
            Some(t) => qi(cx.quarter(&format!("{field}.to"), t)?).ok_or_else(|| {
                cx.err(
                    &format!("{field}.to"),
                    t.span(),
                    "is outside the scenario's period".into(),
                )
            })?,
            None => quarters.len() - 1,
        };
        let gq = match &d.growth_percent_per_quarter {
            Some(g) => cx.percent_milli(&format!("{field}.growth_percent_per_quarter"), g)?,
            None => 0,
        };
        let gy = match &d.growth_percent_per_year {
            Some(g) => cx.percent_milli(&format!("{field}.growth_percent_per_year"), g)?,
            None => 0,
        };
        let hq_default = if channel == Channel::Uveu {
            CountryCode::US
        } else {
            country
        };
        let headquarters = match &d.headquarters {
            Some(h) => cx.country(&format!("{field}.headquarters"), h, &rules)?,
            None => hq_default,
        };
        let n = match &d.consignees {
            Some(n) if *n.get_ref() == 0 || *n.get_ref() > 10_000 => {
                return Err(cx.err(
                    &format!("{field}.consignees"),
                    n.span(),
                    format!("must be 1 to 10000, got `{}`", n.get_ref()),
                ))
            }
            Some(n) => *n.get_ref(),
            None => 1,
        };
        let base = d.consignee.clone().unwrap_or_else(|| match channel {
            Channel::Licence => format!("{country} licence demand"),
            Channel::Lpp => format!("{country} LPP consignee"),
            Channel::Uveu => format!("{headquarters} UVEU"),
            Channel::Nveu => format!("{country} NVEU"),
        });
        let consignees = if n == 1 {
            vec![base]
        } else {
            (1..=n).map(|k| format!("{base} {k}")).collect()
        };
        let distribution = match &d.distribution {
            Some(dd) => Some(distribution(&cx, &format!("{field}.distribution"), dd)?),
            None => None,
        };
        let tpp_milli = levels(level, &quarters, (from, to), gq, gy);
        demand.push(DemandLine {
            label: field,
            country,
            channel,
            chip,
            consignees,
            headquarters,
            tpp_milli,
            growth_milli_percent_per_quarter: gq,
            growth_milli_percent_per_year: gy,
            active: (from, to),
            distribution,
        });
    }
    for (i, p) in dto.project.iter().enumerate() {
        let field = format!("project[{i}]");
        let country = cx.country(&format!("{field}.country"), &p.country, &rules)?;
        let channel = Channel::parse(p.channel.get_ref()).ok_or_else(|| {
            cx.err(
                &format!("{field}.channel"),
                p.channel.span(),
                format!(
                    "`{}` is not a channel; use `licence`, `lpp`, `uveu` or `nveu`",
                    p.channel.get_ref()
                ),
            )
        })?;
        let chip = chip_of(&cx, &field, p.chip.as_ref(), &rules)?;
        let headquarters = match &p.headquarters {
            Some(h) => cx.country(&format!("{field}.headquarters"), h, &rules)?,
            None => country,
        };
        let mut tpp_milli = vec![0u64; quarters.len()];
        for (q, v) in &p.h100e {
            let f = format!("{field}.h100e.{q}");
            let quarter = q.parse::<Quarter>().map_err(|_| {
                cx.err(
                    &f,
                    v.span(),
                    format!("`{q}` is not a quarter in the form YYYYQn"),
                )
            })?;
            let k = qi(quarter)
                .ok_or_else(|| cx.err(&f, v.span(), "is outside the scenario's period".into()))?;
            let t = cx.decimal(&f, v, 3)? * u128::from(h100_tpp_milli) / 1000;
            tpp_milli[k] =
                u64::try_from(t).map_err(|_| cx.err(&f, v.span(), "is too large".into()))?;
        }
        demand.push(DemandLine {
            label: p.name.clone(),
            country,
            channel,
            chip,
            consignees: vec![p.buyer.clone().unwrap_or_else(|| p.name.clone())],
            headquarters,
            tpp_milli,
            growth_milli_percent_per_quarter: 0,
            growth_milli_percent_per_year: 0,
            active: (0, quarters.len() - 1),
            distribution: None,
        });
    }
    let mut installed_base = Vec::new();
    for (i, b) in dto.installed_base.iter().enumerate() {
        let field = format!("installed_base[{i}]");
        let country = cx.country(&format!("{field}.country"), &b.country, &rules)?;
        let amount = match (&b.h100e, &b.tpp) {
            (Some(h), None) => {
                cx.decimal(&format!("{field}.h100e"), h, 3)? * u128::from(h100_tpp_milli) / 1000
            }
            (None, Some(t)) => cx.decimal(&format!("{field}.tpp"), t, 3)?,
            _ => {
                return Err(cx.err(
                    &field,
                    b.kind.span(),
                    "give exactly one of `h100e` and `tpp`".into(),
                ))
            }
        };
        let amount = i64::try_from(amount)
            .map_err(|_| cx.err(&field, b.kind.span(), "is too large".into()))?;
        if b.consignee.trim().is_empty() || b.consignee.contains(chipcap_ledger::entry::SEP) {
            return Err(cx.err(
                &format!("{field}.consignee"),
                b.kind.span(),
                format!("must be a name without `{}`", chipcap_ledger::entry::SEP),
            ));
        }
        let key = match b.kind.get_ref().as_str() {
            "uveu" => chipcap_ledger::entry::Key::Uveu(b.consignee.clone(), country),
            "nveu" => chipcap_ledger::entry::Key::Nveu(b.consignee.clone(), country),
            other => {
                return Err(cx.err(
                    &format!("{field}.kind"),
                    b.kind.span(),
                    format!("must be `uveu` or `nveu`, got `{other}`"),
                ))
            }
        };
        installed_base.push((key.text(), amount));
    }
    let fill = dto.options.fill.unwrap_or(true);
    let case_by_case = match &dto.options.case_by_case {
        None => CaseByCase::Refuse,
        Some(s) => match s.get_ref().as_str() {
            "grant" => CaseByCase::Grant,
            "refuse" => CaseByCase::Refuse,
            other => {
                return Err(cx.err(
                    "options.case_by_case",
                    s.span(),
                    format!("must be `grant` or `refuse`, got `{other}`"),
                ))
            }
        },
    };
    let monte_carlo = match &dto.monte_carlo {
        None => None,
        Some(m) => {
            if *m.runs.get_ref() == 0 || *m.runs.get_ref() > 1_000_000 {
                return Err(cx.err(
                    "monte_carlo.runs",
                    m.runs.span(),
                    format!("must be 1 to 1000000, got `{}`", m.runs.get_ref()),
                ));
            }
            let per_quarter = match &m.resample {
                None => false,
                Some(r) => match r.get_ref().as_str() {
                    "run" => false,
                    "quarter" => true,
                    other => {
                        return Err(cx.err(
                            "monte_carlo.resample",
                            r.span(),
                            format!("must be `run` or `quarter`, got `{other}`"),
                        ))
                    }
                },
            };
            Some(MonteCarlo {
                runs: *m.runs.get_ref(),
                seed: m.seed,
                per_quarter,
            })
        }
    };
    Ok(Scenario {
        name: dto.name.unwrap_or_else(|| default_name.to_string()),
        rule_set,
        rules,
        quarters,
        demand,
        assurances,
        fill,
        case_by_case,
        monte_carlo,
        installed_base,
        replay_ledger: dto.replay_ledger,
        h100_tpp_milli,
    })
}

/// The error maker handed to the override helpers.
pub(crate) type ErrFn<'a> = dyn Fn(&str, std::ops::Range<usize>, String) -> SimError + 'a;

fn cx_fn<'a>(cx: &'a Cx<'a>) -> impl Fn(&str, std::ops::Range<usize>, String) -> SimError + 'a {
    move |f, s, m| cx.err(f, s, m)
}

fn chip_of(
    cx: &Cx<'_>,
    field: &str,
    chip: Option<&Spanned<String>>,
    rules: &RuleSet,
) -> Result<String, SimError> {
    match chip {
        None => Ok("nvidia-h100-sxm".to_string()),
        Some(c) => match rules.catalog.get(c.get_ref()) {
            Some(ch) => Ok(ch.id.to_string()),
            None => Err(cx.err(
                &format!("{field}.chip"),
                c.span(),
                format!(
                    "`{}` is not in the chip catalog (see `chipcap chips`)",
                    c.get_ref()
                ),
            )),
        },
    }
}

fn distribution(cx: &Cx<'_>, field: &str, d: &DistDto) -> Result<Distribution, SimError> {
    let bad = |m: &str| cx.err(field, d.kind.span(), m.to_string());
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    match d.kind.get_ref().as_str() {
        "triangular" => match (d.low, d.mode, d.high, d.median, d.sigma) {
            (Some(low), Some(mode), Some(high), None, None)
                if ok(low) && ok(mode) && ok(high) && low <= mode && mode <= high && low < high =>
            {
                Ok(Distribution::Triangular { low, mode, high })
            }
            _ => Err(bad("a triangular distribution needs `low` <= `mode` <= `high` (H100e per quarter, low < high) and nothing else")),
        },
        "lognormal" => match (d.low, d.mode, d.high, d.median, d.sigma) {
            (None, None, None, Some(median), Some(sigma)) if ok(median) && median > 0.0 && ok(sigma) => {
                Ok(Distribution::Lognormal { median, sigma })
            }
            _ => Err(bad("a lognormal distribution needs `median` > 0 (H100e per quarter) and `sigma` >= 0, and nothing else")),
        },
        other => Err(cx.err(&format!("{field}.kind"), d.kind.span(), format!("`{other}` is not a distribution; use `triangular` or `lognormal`"))),
    }
}

/// The demand of each quarter from a level (milli-TPP in the first quarter), with growth.
pub(crate) fn levels(
    level: u64,
    quarters: &[Quarter],
    active: (usize, usize),
    gq: i64,
    gy: i64,
) -> Vec<u64> {
    let mut out = vec![0u64; quarters.len()];
    let mut cur = u128::from(level);
    let first_year = quarters.first().map_or(0, |q| q.year);
    for (k, q) in quarters.iter().enumerate() {
        if k > 0 {
            cur = grow(cur, gq);
        }
        if k >= active.0 && k <= active.1 {
            let mut v = cur;
            for _ in first_year..q.year {
                v = grow(v, gy);
            }
            out[k] = u64::try_from(v).unwrap_or(u64::MAX);
        }
    }
    out
}

/// `v * (1 + g/100)`, g in thousandths of a percent, rounded down.
fn grow(v: u128, g_milli: i64) -> u128 {
    let f = 100_000i128 + i128::from(g_milli);
    let r = i128::try_from(v)
        .unwrap_or(i128::MAX / 200_000)
        .saturating_mul(f.max(0))
        / 100_000;
    u128::try_from(r).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn q(y: i32, n: u8) -> Quarter {
        Quarter { year: y, q: n }
    }

    #[test]
    fn growth_compounds_per_quarter_and_steps_per_year() {
        let qs = [q(2025, 1), q(2025, 2), q(2025, 3), q(2025, 4), q(2026, 1)];
        assert_eq!(
            levels(1000, &qs, (0, 4), 10_000, 0),
            vec![1000, 1100, 1210, 1331, 1464]
        );
        assert_eq!(
            levels(1000, &qs, (0, 4), 0, 50_000),
            vec![1000, 1000, 1000, 1000, 1500]
        );
        assert_eq!(levels(1000, &qs, (1, 2), 0, 0), vec![0, 1000, 1000, 0, 0]);
        assert_eq!(
            levels(1000, &qs, (0, 1), -100_000, 0),
            vec![1000, 0, 0, 0, 0]
        );
    }

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }
}
