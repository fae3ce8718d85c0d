//! The simulation: each quarter's demand as requests through the core, recorded as the ledger would.
//!
//! For every quarter, every demand line and every consignee of the line, in file order:
//! 1. the request is the line's template (parsed once by the core's wire layer) on the quarter's
//!    first day, for the quarter's quantity of chips;
//! 2. its `context` is filled from the simulated balances exactly as `ledger apply` fills it
//!    (country allocation used, the latest assurance in force, the consignee's LPP for the year,
//!    NVEU and UVEU installed bases, AIA cumulative);
//! 3. `chipcap_core::determine` decides;
//! 4. what is granted becomes the entry the ledger would write (a shipment under the authorisation
//!    found, or a licence grant when a licence is required and its review policy is a presumption
//!    of approval within every allowance), and its draws come from `chipcap_ledger::entry::draws_of`.
//!
//! A licence refused because an allowance it draws on would be exceeded (the country allocation:
//! `policy_of_denial`, 742.6(b)(10)(iii)(B)(2)) is refused *for lack of allocation*; with `fill`, the
//! part that fits (the whole chips the allowance still holds) is asked for again and decided again.
//! A country is *exhausted* in the first quarter in which any of its demand was refused for lack
//! of allocation.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chipcap_core::country::CountryCode;
use chipcap_core::date::{Date, Quarter};
use chipcap_core::determination::{Decision, Determination, ReviewPolicy};
use chipcap_core::request::{Request, Subject};
use chipcap_core::units::Tpp;
use chipcap_ledger::entry::{
    draws_of, Adjustment, Assurance, Body, Entry, Key, LicenceGrant, Shipment, ShippedUnder, SEP,
};
use chipcap_ledger::ledger::{counted_of, country_cap_pure, lines_of, uplift_pure};

use crate::error::SimError;
use crate::scenario::{CaseByCase, Channel, Scenario};

/// Per-quarter figures of one country and channel, milli-TPP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Series {
    /// Asked for.
    pub demanded: Vec<i64>,
    /// Granted (under whatever authorisation the core found).
    pub granted: Vec<i64>,
    /// Refused, for any reason.
    pub refused: Vec<i64>,
    /// Refused because an allowance would have been exceeded.
    pub refused_for_allocation: Vec<i64>,
    /// What remains of the allowance the channel draws on at the end of the quarter (licence:
    /// the country allocation; LPP: the consignees' LPP for the year; NVEU: the quarter's cap less
    /// the installed base); `None` where the rule version has no such cap.
    pub remaining: Vec<Option<i64>>,
}

impl Series {
    fn new(n: usize) -> Series {
        Series {
            demanded: vec![0; n],
            granted: vec![0; n],
            refused: vec![0; n],
            refused_for_allocation: vec![0; n],
            remaining: vec![None; n],
        }
    }
}

/// One country's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryRun {
    /// The country.
    pub country: CountryCode,
    /// Its tier each quarter (framework only; as the core found it).
    pub tier: Vec<Option<u8>>,
    /// Country allocation cap each quarter (with the assurance uplift), milli-TPP, where one applies.
    pub cap: Vec<Option<i64>>,
    /// Country allocation used at the end of each quarter, milli-TPP.
    pub used: Vec<i64>,
    /// Index of the first quarter with demand refused for lack of allocation.
    pub exhausted: Option<usize>,
    /// Series per channel with demand.
    pub channels: BTreeMap<Channel, Series>,
    /// Granted per quarter by the authorisation actually used (`licence`, `LPP`, `NVEU`, `UVEU`,
    /// `AIA`, `ACA`, `NAC`, `ACM`, `NLR`, `not_controlled`), milli-TPP.
    pub granted_by_authorization: BTreeMap<String, Vec<i64>>,
}

impl CountryRun {
    /// The quarter index at which `percent` of the cap was first used.
    pub fn threshold(&self, percent: u32) -> Option<usize> {
        (0..self.used.len()).find(|&k| {
            self.cap[k].is_some_and(|c| {
                c > 0 && i128::from(self.used[k]) * 100 >= i128::from(percent) * i128::from(c)
            })
        })
    }
}

/// The installed base of one VEU in one country.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VeuRun {
    /// `uveu` or `nveu`.
    pub kind: &'static str,
    /// The VEU (consignee).
    pub consignee: String,
    /// The country.
    pub country: String,
    /// Installed base at the end of each quarter, milli-TPP.
    pub installed: Vec<i64>,
}

/// The result of one simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The quarters.
    pub quarters: Vec<Quarter>,
    /// Per country with demand, by code.
    pub countries: Vec<CountryRun>,
    /// VEU installed bases.
    pub veu: Vec<VeuRun>,
    /// The NVEU per-country cap of each quarter (framework), milli-TPP.
    pub nveu_cap: Vec<Option<i64>>,
    /// Determinations made (including the second asks of `fill`).
    pub determinations: u64,
}

impl Run {
    /// A country's results.
    pub fn country(&self, c: &str) -> Option<&CountryRun> {
        self.countries.iter().find(|r| r.country.as_str() == c)
    }
}

/// Runs the scenario with its own demand.
pub fn simulate(sc: &Scenario) -> Result<Run, SimError> {
    let demand: Vec<Vec<u64>> = sc.demand.iter().map(|d| d.tpp_milli.clone()).collect();
    Engine::new(sc)?.run(&demand)
}

/// What the core's determination means for the simulated world.
enum Verdict {
    /// Granted: the entry the ledger would write, and the authorisation label.
    Granted(Body, String),
    /// Refused because an allowance would be exceeded; the room left in it, if known.
    Allocation(Option<u64>),
    /// Refused on policy (presumption of denial, case by case when so assumed).
    Policy,
}

/// A scenario prepared for runs: one request template per demand line.
pub struct Engine<'a> {
    sc: &'a Scenario,
    templates: Vec<Request>,
    /// Balance keys per demand line and consignee.
    keys: Vec<Vec<Keys>>,
    /// Index in `countries` of each demand line's country.
    country_of: Vec<usize>,
    assurances: Vec<Entry>,
    /// The scenario's countries with demand, sorted.
    countries: Vec<CountryCode>,
}

/// An entry as the ledger would write it (the simulation keeps no client ids or authors: only the
/// draws of the entry matter to it).
fn meta_entry(seq: u64, date: Date, body: Body) -> Entry {
    Entry {
        seq,
        client_id: String::new(),
        recorded_by: String::new(),
        recorded_at: String::new(),
        date,
        body,
    }
}

impl<'a> Engine<'a> {
    /// Parses each demand line's request once through the core's wire layer.
    pub fn new(sc: &'a Scenario) -> Result<Engine<'a>, SimError> {
        let start = sc.quarters.first().map_or_else(
            || Quarter { year: 2025, q: 1 }.first_day(),
            |q| q.first_day(),
        );
        let mut templates = Vec::with_capacity(sc.demand.len());
        for d in &sc.demand {
            let auth = match d.channel {
                Channel::Uveu => "uveu",
                Channel::Nveu => "nveu",
                Channel::Licence | Channel::Lpp => "none",
            };
            let json = serde_json::json!({
                "date": start.to_string(),
                "rule_set": sc.rule_set.as_str(),
                "destination": d.country.as_str(),
                "items": [{"chip": d.chip, "quantity": 1}],
                "consignee": {"name": d.consignees.first().cloned().unwrap_or_default(), "headquarters": d.headquarters.as_str(), "authorization": auth},
            })
            .to_string();
            let parsed =
                chipcap_core::wire::parse_request(&json, &sc.rules, start).map_err(|e| {
                    SimError::Determine {
                        quarter: sc
                            .quarters
                            .first()
                            .map(|q| q.to_string())
                            .unwrap_or_default(),
                        label: d.label.clone(),
                        message: e.to_string(),
                    }
                })?;
            templates.push(parsed.request);
        }
        let assurances = sc
            .assurances
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let uplift = a.uplift_percent.unwrap_or(
                    *sc.rules
                        .params
                        .assurance_uplift_default_percent
                        .at(a.from)
                        .value,
                );
                meta_entry(
                    i as u64 + 1,
                    a.from,
                    Body::Assurance(Assurance {
                        country: a.country,
                        uplift_percent: uplift,
                    }),
                )
            })
            .collect();
        let mut countries: Vec<CountryCode> = sc.demand.iter().map(|d| d.country).collect();
        countries.sort();
        countries.dedup();
        let years =
            sc.quarters.first().map_or(0, |q| q.year)..=sc.quarters.last().map_or(0, |q| q.year);
        let keys = sc
            .demand
            .iter()
            .map(|d| {
                d.consignees
                    .iter()
                    .map(|c| Keys::new(c, d.country, years.clone()))
                    .collect()
            })
            .collect();
        let country_of = sc
            .demand
            .iter()
            .map(|d| countries.iter().position(|c| *c == d.country).unwrap_or(0))
            .collect();
        Ok(Engine {
            sc,
            templates,
            keys,
            country_of,
            assurances,
            countries,
        })
    }

    /// Runs the scenario with the given demand, milli-TPP per demand line and quarter.
    pub fn run(&self, demand: &[Vec<u64>]) -> Result<Run, SimError> {
        self.run_with(demand, true)
    }

    /// The quarter index of exhaustion of each country (in [`Run::countries`] order) under the
    /// given demand: the same run without the end-of-quarter reports (Monte Carlo).
    pub fn exhaustion(&self, demand: &[Vec<u64>]) -> Result<Vec<Option<usize>>, SimError> {
        Ok(self
            .run_with(demand, false)?
            .countries
            .iter()
            .map(|c| c.exhausted)
            .collect())
    }

    /// The countries with demand, in report order.
    pub fn countries(&self) -> &[CountryCode] {
        &self.countries
    }

    fn run_with(&self, demand: &[Vec<u64>], report: bool) -> Result<Run, SimError> {
        let sc = self.sc;
        let n = sc.quarters.len();
        let framework = sc.rule_set == chipcap_core::params::RuleSetId::AiDiffusion2025;
        let mut st = State::new();
        // One request per demand line, changed in place for each consignee and quarter.
        let mut reqs = self.templates.clone();
        let mut countries: Vec<CountryRun> = self
            .countries
            .iter()
            .map(|c| CountryRun {
                country: *c,
                tier: vec![None; n],
                cap: vec![None; n],
                used: vec![0; n],
                exhausted: None,
                channels: BTreeMap::new(),
                granted_by_authorization: BTreeMap::new(),
            })
            .collect();
        if let Some(q0) = sc.quarters.first() {
            for (key, amount) in &sc.installed_base {
                st.record(
                    q0.first_day(),
                    Body::Adjustment(Adjustment {
                        key: key.clone(),
                        amount_milli: *amount,
                        reason: "scenario installed_base".into(),
                    }),
                )?;
            }
        }
        let mut veu_keys: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut nveu_cap = vec![None; n];
        let no_reversals = BTreeMap::new();
        for (k, q) in sc.quarters.iter().enumerate() {
            let date = q.first_day();
            for (li, line) in sc.demand.iter().enumerate() {
                let tpp = demand.get(li).and_then(|v| v.get(k)).copied().unwrap_or(0);
                let Some(&ci) = self.country_of.get(li) else {
                    continue;
                };
                let cr = &mut countries[ci];
                let series = cr
                    .channels
                    .entry(line.channel)
                    .or_insert_with(|| Series::new(n));
                let req = &mut reqs[li];
                let unit = tmpl_unit(req);
                if unit == 0 {
                    continue;
                }
                let units = tpp / unit;
                if units == 0 {
                    continue;
                }
                let nc = line.consignees.len() as u64;
                for (i, name) in line.consignees.iter().enumerate() {
                    let q_units = units / nc + u64::from((i as u64) < units % nc);
                    if q_units == 0 {
                        continue;
                    }
                    let asked = tpp_i64(q_units.saturating_mul(unit));
                    add(&mut series.demanded[k], asked);
                    req.date = date;
                    req.consignee.name.clone_from(name);
                    set_quantity(req, q_units);
                    let keys = &self.keys[li][i];
                    let (det, verdict) =
                        self.decide(&mut st, req, keys, line.label.as_str(), *q)?;
                    if det.tier.is_some() {
                        cr.tier[k] = det.tier;
                    }
                    match verdict {
                        Verdict::Granted(body, label) => {
                            st.record(date, body)?;
                            add(&mut series.granted[k], tpp_i64(det.tpp.milli()));
                            add_label(
                                &mut cr.granted_by_authorization,
                                &label,
                                k,
                                n,
                                tpp_i64(det.tpp.milli()),
                            );
                        }
                        Verdict::Policy => {
                            add(&mut series.refused[k], asked);
                        }
                        Verdict::Allocation(room) => {
                            let mut got = 0i64;
                            if sc.fill {
                                let counted_unit = counted_of(&det).milli() / q_units.max(1);
                                let fit = match (room, counted_unit) {
                                    (Some(r), c) if c > 0 => (r / c).min(q_units.saturating_sub(1)),
                                    _ => 0,
                                };
                                if fit > 0 {
                                    set_quantity(req, fit);
                                    let (det2, v2) =
                                        self.decide(&mut st, req, keys, line.label.as_str(), *q)?;
                                    if let Verdict::Granted(body, label) = v2 {
                                        st.record(date, body)?;
                                        got = tpp_i64(det2.tpp.milli());
                                        add_label(
                                            &mut cr.granted_by_authorization,
                                            &label,
                                            k,
                                            n,
                                            got,
                                        );
                                    }
                                }
                            }
                            add(&mut series.granted[k], got);
                            add(&mut series.refused[k], asked.saturating_sub(got));
                            add(
                                &mut series.refused_for_allocation[k],
                                asked.saturating_sub(got),
                            );
                            if cr.exhausted.is_none() {
                                cr.exhausted = Some(k);
                            }
                        }
                    }
                }
            }
            // End of quarter: balances and remaining allowances.
            if !report {
                continue;
            }
            if framework {
                nveu_cap[k] = sc
                    .rules
                    .nveu_cap(date)
                    .map(|(nq, _)| tpp_i64(nq.cap.milli()));
            }
            for cr in countries.iter_mut() {
                if k > 0 && cr.tier[k].is_none() {
                    cr.tier[k] = cr.tier[k - 1];
                }
                let cc = cr.country;
                cr.used[k] = st.sum(&Key::Country(cc).text());
                if framework && cr.tier[k] == Some(2) {
                    let uplift = uplift_pure(&sc.rules, &self.assurances, &no_reversals, cc, date);
                    cr.cap[k] = Some(country_cap_pure(&sc.rules, date, uplift));
                }
                let channels: Vec<Channel> = cr.channels.keys().copied().collect();
                for ch in channels {
                    let names = sc
                        .demand
                        .iter()
                        .filter(|d| d.country == cr.country && d.channel == ch)
                        .flat_map(|d| d.consignees.iter());
                    let rem = match ch {
                        Channel::Licence => cr.cap[k].map(|c| c - cr.used[k]),
                        Channel::Lpp if framework => {
                            let limit = tpp_i64(sc.rules.params.lpp_limit.at(date).value.milli());
                            Some(
                                names
                                    .map(|c| {
                                        limit - st.sum(&Key::Lpp(c.clone(), date.year()).text())
                                    })
                                    .fold(0i64, i64::saturating_add),
                            )
                        }
                        Channel::Nveu if framework => nveu_cap[k].map(|cap| {
                            names
                                .map(|c| cap - st.sum(&Key::Nveu(c.clone(), cc).text()))
                                .fold(0i64, i64::saturating_add)
                        }),
                        _ => None,
                    };
                    if let Some(s) = cr.channels.get_mut(&ch) {
                        s.remaining[k] = rem;
                    }
                }
            }
            for key in &st.veu_keys {
                veu_keys.entry(key.clone()).or_insert_with(|| vec![0; n])[k] = st.sum(key);
            }
        }
        // Quarters before a country's first request: its tier then, and its untouched allocation.
        for cr in countries.iter_mut().filter(|_| report) {
            let Some(first) = cr.tier.iter().position(Option::is_some) else {
                continue;
            };
            for k in 0..first {
                cr.tier[k] = cr.tier[first];
                if framework && cr.tier[k] == Some(2) {
                    let date = sc.quarters[k].first_day();
                    let cc = cr.country;
                    let uplift = uplift_pure(&sc.rules, &self.assurances, &no_reversals, cc, date);
                    let cap = country_cap_pure(&sc.rules, date, uplift);
                    cr.cap[k] = Some(cap);
                    if let Some(s) = cr.channels.get_mut(&Channel::Licence) {
                        s.remaining[k] = Some(cap - cr.used[k]);
                    }
                }
            }
        }
        let veu = veu_keys
            .into_iter()
            .filter_map(|(key, installed)| {
                let mut p = key.split(SEP);
                let kind = match p.next()? {
                    "uveu" => "uveu",
                    _ => "nveu",
                };
                Some(VeuRun {
                    kind,
                    consignee: p.next()?.to_string(),
                    country: p.next()?.to_string(),
                    installed,
                })
            })
            .collect();
        Ok(Run {
            quarters: sc.quarters.clone(),
            countries,
            veu,
            nveu_cap,
            determinations: st.determinations,
        })
    }

    /// Fills the context from the balances (as `ledger apply` does), decides, and judges.
    fn decide(
        &self,
        st: &mut State,
        req: &mut Request,
        keys: &Keys,
        label: &str,
        q: Quarter,
    ) -> Result<(Determination, Verdict), SimError> {
        let date = req.date;
        let dest = req.destination;
        let tpp = |v: i64| Tpp::from_milli(u64::try_from(v).unwrap_or(0));
        let ctx = &mut req.context;
        ctx.country_allocation_used = tpp(st.sum(&keys.country));
        ctx.government_assurances = false;
        ctx.assurance_uplift_percent = None;
        if let Some(Body::Assurance(a)) = self
            .assurances
            .iter()
            .filter(|e| {
                e.date <= date && matches!(&e.body, Body::Assurance(a) if a.country == dest)
            })
            .max_by_key(|e| (e.date, e.seq))
            .map(|e| &e.body)
        {
            ctx.government_assurances = true;
            ctx.assurance_uplift_percent = Some(a.uplift_percent);
        }
        let name = req.consignee.name.as_str();
        ctx.consignee_lpp_used = tpp(match keys.lpp.iter().find(|(y, _)| *y == date.year()) {
            Some((_, k)) => st.sum(k),
            None => st.sum(&Key::Lpp(name.to_string(), date.year()).text()),
        });
        ctx.nveu_installed = tpp(st.sum(&keys.nveu));
        ctx.consignee_aia_cumulative = tpp(st.sum(&keys.aia));
        let prefix = &keys.uveu_prefix;
        ctx.uveu_installed_by_country.clear();
        for k in st
            .veu_keys
            .range::<String, _>(prefix..)
            .take_while(|k| k.starts_with(prefix.as_str()))
        {
            if let Some(c) = CountryCode::parse(&k[prefix.len()..]) {
                ctx.uveu_installed_by_country.push((c, tpp(st.sum(k))));
            }
        }
        st.determinations += 1;
        let det =
            chipcap_core::determine(req, &self.sc.rules).map_err(|e| SimError::Determine {
                quarter: q.to_string(),
                label: label.to_string(),
                message: e.to_string(),
            })?;
        let verdict = self.judge(&det, name, dest, &mut st.seq);
        Ok((det, verdict))
    }

    fn judge(&self, det: &Determination, name: &str, dest: CountryCode, seq: &mut u64) -> Verdict {
        let shipment = |authorization: ShippedUnder| {
            Body::Shipment(Shipment {
                consignee: name.to_string(),
                destination: dest,
                items: lines_of(det),
                tpp: det.tpp,
                counted: counted_of(det),
                authorization,
                licence: None,
                consignee_as_given: None,
                rule_set: Some(det.rule_set.to_string()),
            })
        };
        match det.decision {
            Decision::NotControlled => {
                Verdict::Granted(shipment(ShippedUnder::Nlr), "not_controlled".into())
            }
            Decision::NoLicenseRequired => {
                Verdict::Granted(shipment(ShippedUnder::Nlr), "NLR".into())
            }
            Decision::Authorized => {
                let a = det
                    .authorization
                    .map_or(ShippedUnder::Nlr, ShippedUnder::Exception);
                Verdict::Granted(shipment(a), a.as_str().to_string())
            }
            Decision::LicenseRequired => {
                let over: Vec<_> = det
                    .allowances
                    .iter()
                    .filter(|a| a.drawn && !a.within_limit)
                    .collect();
                if !over.is_empty() || det.review_policy == Some(ReviewPolicy::PolicyOfDenial) {
                    let room = over
                        .iter()
                        .filter_map(|a| {
                            u64::try_from(a.remaining_after_milli + i128::from(a.draw.milli())).ok()
                        })
                        .min();
                    return Verdict::Allocation(room);
                }
                let approve = match det.review_policy {
                    Some(ReviewPolicy::PresumptionOfApproval) => true,
                    Some(ReviewPolicy::CaseByCase) => self.sc.case_by_case == CaseByCase::Grant,
                    _ => false,
                };
                if !approve {
                    return Verdict::Policy;
                }
                *seq += 1;
                Verdict::Granted(
                    Body::LicenceGrant(LicenceGrant {
                        number: format!("SIM-{seq}"),
                        consignee: name.to_string(),
                        destination: dest,
                        tier: det.tier.unwrap_or(0),
                        items: lines_of(det),
                        tpp: det.tpp,
                        counted: counted_of(det),
                        valid_to: det.date,
                        forced: None,
                    }),
                    "licence".into(),
                )
            }
        }
    }
}

/// The simulated ledger: running sums by key, as the stores keep them.
/// FNV-1a for the balance map: its keys are short ledger key texts made by the simulation itself.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

struct State {
    balances: HashMap<String, i64, std::hash::BuildHasherDefault<Fnv>>,
    /// The VEU keys (`uveu|...`, `nveu|...`) in order, for prefix scans and the VEU series.
    veu_keys: BTreeSet<String>,
    seq: u64,
    determinations: u64,
}

impl State {
    fn new() -> State {
        State {
            balances: HashMap::default(),
            veu_keys: BTreeSet::new(),
            seq: 1000,
            determinations: 0,
        }
    }

    fn sum(&self, key: &str) -> i64 {
        self.balances.get(key).copied().unwrap_or(0)
    }

    fn record(&mut self, date: Date, body: Body) -> Result<(), SimError> {
        self.seq += 1;
        let entry = meta_entry(self.seq, date, body);
        for d in draws_of(&entry, None).map_err(|e| SimError::Ledger(e.to_string()))? {
            if (d.key.starts_with("uveu|") || d.key.starts_with("nveu|"))
                && !self.veu_keys.contains(&d.key)
            {
                self.veu_keys.insert(d.key.clone());
            }
            let s = self.balances.entry(d.key).or_insert(0);
            *s = s.saturating_add(d.amount);
        }
        Ok(())
    }
}

/// The balance keys of one consignee of one demand line, made once.
struct Keys {
    /// LPP keys by calendar year of the period.
    lpp: Vec<(i32, String)>,
    country: String,
    nveu: String,
    aia: String,
    uveu_prefix: String,
}

impl Keys {
    fn new(name: &str, dest: CountryCode, years: std::ops::RangeInclusive<i32>) -> Keys {
        Keys {
            lpp: years
                .map(|y| (y, Key::Lpp(name.to_string(), y).text()))
                .collect(),
            country: Key::Country(dest).text(),
            nveu: Key::Nveu(name.to_string(), dest).text(),
            aia: Key::Aia(name.to_string()).text(),
            uveu_prefix: format!("uveu{SEP}{name}{SEP}"),
        }
    }
}

/// Saturating sum: series of absurd demand (a fuzzed scenario) saturate instead of overflowing.
fn add(a: &mut i64, v: i64) {
    *a = a.saturating_add(v);
}

fn add_label(m: &mut BTreeMap<String, Vec<i64>>, label: &str, k: usize, n: usize, v: i64) {
    add(
        &mut m.entry(label.to_string()).or_insert_with(|| vec![0; n])[k],
        v,
    );
}

fn tpp_i64(m: u64) -> i64 {
    i64::try_from(m).unwrap_or(i64::MAX)
}

/// TPP of one unit of the template's single line, milli-TPP.
fn tmpl_unit(r: &Request) -> u64 {
    match &r.subject {
        Subject::Items(items) => items.first().map_or(0, |i| i.unit_tpp.milli()),
        Subject::ModelWeights(_) => 0,
    }
}

fn set_quantity(r: &mut Request, q: u64) {
    if let Subject::Items(items) = &mut r.subject {
        if let Some(i) = items.first_mut() {
            i.quantity = q;
        }
    }
}
