//! The decision table of the advanced-computing controls as enforced (`advanced-computing-2023`):
//! the October-2023 rules (88 FR 73458) as amended through 2026-01-15, read by date. Every step
//! cites the paragraph it applies and the amendment it rests on; both come from the rule data.
//!
//! The steps: classification (ECCN 3A090.a/.b with the datacenter note, 4A090, 3A090.c from
//! 2024-12-02); the destination licence requirement of 15 CFR 742.6(a)(6)(iii) (D:1, D:4, D:5 not in
//! A:5/A:6, and Macau); the headquarters requirement of 15 CFR 744.23(a)(3) (D:5 or Macau, any
//! destination); License Exceptions NAC and ACA (15 CFR 740.8) for every item except datacenter .a
//! items; the licence review policy of 15 CFR 742.6(b)(10), with the case-by-case review of
//! 91 FR 1684 from 2026-01-15; the notices of the 2025-05-13 and 2026-05-31 guidance; then the
//! screening overlay shared with the framework.

use std::borrow::Cow;
use std::sync::Arc;

use crate::classify::{classify_chip, Outside};
use crate::country::{CountryCode, CountrySet};
use crate::date::Date;
use crate::determination::*;
use crate::determine::{item_eccn, most_restrictive, DetermineError, Out};
use crate::params::{AcPara, AcStep, AdvancedComputing, CitedStep, Evidence, RuleSet, Source};
use crate::request::{ItemForm, Request, Subject, Transaction};
use crate::units::Tpp;

/// Country groups of the decision date.
struct Groups<'a> {
    d1: &'a CountrySet,
    d4: &'a CountrySet,
    d5: &'a CountrySet,
    macau: &'a CountrySet,
    a5: &'a CountrySet,
    a6: &'a CountrySet,
}

impl Groups<'_> {
    /// D:5 or Macau.
    fn d5_or_macau(&self, c: CountryCode) -> bool {
        self.d5.contains(c) || self.macau.contains(c)
    }
    /// The destination scope of 742.6(a)(6)(iii): D:1, D:4 or D:5 (or Macau), not A:5 or A:6.
    fn licence_scope(&self, c: CountryCode) -> bool {
        (self.d1.contains(c) || self.d4.contains(c) || self.d5_or_macau(c))
            && !self.a5.contains(c)
            && !self.a6.contains(c)
    }
    /// The groups a country is in, as the bit set of [`Text::AcGroups`].
    fn bits(&self, c: CountryCode) -> u8 {
        [self.d1, self.d4, self.d5, self.a5, self.a6, self.macau]
            .iter()
            .enumerate()
            .filter(|(_, s)| s.contains(c))
            .fold(0u8, |b, (i, _)| b | (1 << i))
    }
}

/// What the steps rest on: the sources graded `?`, for the open-question notices (only those are
/// kept: the others need no notice).
struct Rested<'a> {
    sources: Vec<&'a Source>,
}

impl<'a> Rested<'a> {
    fn on(&mut self, s: &'a Source) {
        if s.evidence == Evidence::Open && !self.sources.iter().any(|x| std::ptr::eq(*x, s)) {
            self.sources.push(s);
        }
    }
}

/// Composes every citation of the line once (`paragraph (instrument)` for each paragraph and
/// amendment, and the version line of each amendment), so that deciding shares them instead of
/// formatting them. Called by the rule loader; [`cite`] formats on the spot when it was not.
pub fn prepare_citations(ac: &mut AdvancedComputing) {
    let mut c = Vec::with_capacity(AcPara::ALL.len() * AcStep::ALL.len());
    for p in AcPara::ALL {
        for step in AcStep::ALL {
            c.push(compose(ac, p, step));
        }
    }
    ac.citations = c;
    ac.version_citations = AcStep::ALL
        .iter()
        .map(|s| {
            let at = ac.amendment(*s).map_or("", |a| &*a.citation);
            Arc::from(format!("{}; latest amendment in force: {at}", ac.citation))
        })
        .collect();
}

fn compose(ac: &AdvancedComputing, p: AcPara, step: AcStep) -> Arc<str> {
    let para: &str = ac.paragraphs.get(p);
    match ac.amendment(step) {
        Some(a) => Arc::from(format!("{para} ({})", a.citation)),
        None => Arc::from(para),
    }
}

/// `paragraph (instrument)`: the citation of a step and the amendment it rests on.
fn cite(ac: &AdvancedComputing, p: AcPara, step: AcStep) -> Citation {
    let i = p.index() * AcStep::ALL.len() + step.index();
    match ac.citations.get(i) {
        Some(c) => Citation::Shared(Arc::clone(c)),
        None => Citation::Shared(compose(ac, p, step)),
    }
}

fn owned(s: String) -> Text {
    Text::Owned(s)
}

/// Decides one request under the advanced-computing line. The caller ([`crate::determine`]) has
/// checked that the line covers the date.
pub fn determine(req: &Request, rules: &RuleSet) -> Result<Determination, DetermineError> {
    let ac = &rules.advanced;
    let date = req.date;
    let g = &ac.groups;
    let mut rested = Rested {
        sources: Vec::new(),
    };
    fn pick(
        t: &crate::params::Timeline<CountrySet>,
        date: Date,
    ) -> crate::params::Resolved<'_, CountrySet> {
        t.at(date)
    }
    let (d1, d4, d5, macau, a5, a6) = (
        pick(&g.d1, date),
        pick(&g.d4, date),
        pick(&g.d5, date),
        pick(&g.macau, date),
        pick(&g.a5, date),
        pick(&g.a6, date),
    );
    let groups = Groups {
        d1: d1.value,
        d4: d4.value,
        d5: d5.value,
        macau: macau.value,
        a5: a5.value,
        a6: a6.value,
    };
    let mut out = Out::new();
    let version = ac.version_on(date);
    let version_cite = match version {
        Some(v) => match ac.version_citations.get(v.step.index()) {
            Some(c) => Citation::Shared(Arc::clone(c)),
            None => Citation::from(format!(
                "{}; latest amendment in force: {}",
                ac.citation, v.citation
            )),
        },
        None => Citation::Shared(Arc::clone(&ac.citation)),
    };
    out.reason(
        version_cite,
        Text::AcVersion {
            name: Arc::clone(&ac.name),
            date,
            amended_by: version.map(|v| (Arc::clone(&v.citation), v.effective_from)),
        },
    );
    out.notice(
        "framework_not_applied",
        Text::Static("The AI Diffusion framework (90 FR 4544) is printed in the CFR but BIS announced on 2025-05-13 that it would not enforce it; it was not applied. Name the rule set `ai-diffusion-2025` in the request to see what it would decide."),
    );
    let h100 = req
        .options
        .h100_tpp
        .unwrap_or(*ac.params.h100_tpp.at(date).value);
    let dest = req.destination;
    let hq = req.consignee.headquarters;
    let mut det = Determination {
        decision: Decision::NotControlled,
        authorization: None,
        review_policy: None,
        tier: None,
        eccn: Eccn::None,
        tpp: Tpp::ZERO,
        h100_tpp: h100,
        items: Vec::new(),
        allowances: Vec::new(),
        reasons: Vec::new(),
        notices: Vec::new(),
        rule_set: Arc::clone(&ac.name),
        date,
        screening: None,
    };
    match &req.subject {
        Subject::ModelWeights(_) => weights(ac, &mut det, &mut out),
        Subject::Items(items) => {
            if items.is_empty() {
                return Err(DetermineError::NoItems);
            }

            rested.on(d1.source);
            rested.on(d4.source);
            rested.on(d5.source);
            rested.on(a5.source);
            rested.on(a6.source);
            out.reason(
                ac.paragraphs.get(AcPara::Groups).clone(),
                Text::AcGroups {
                    country: dest,
                    date,
                    groups: groups.bits(dest),
                    headquarters: false,
                    assumed: false,
                },
            );
            out.reason(
                ac.paragraphs.get(AcPara::Groups).clone(),
                Text::AcGroups {
                    country: hq,
                    date,
                    groups: groups.bits(hq),
                    headquarters: true,
                    assumed: req.consignee.headquarters_assumed,
                },
            );
            chips(req, rules, &groups, items, &mut det, &mut out, &mut rested)?;
        }
    }
    crate::determine::apply_screening(req, &ac.screening_citations, &mut det, &mut out);
    if req.context.screening.status != crate::request::ScreeningStatus::NotPerformed {
        det.screening = Some(req.context.screening.clone());
    }
    open_question_notices(&rested, &mut out);
    det.reasons = out.reasons;
    det.notices = out.notices;
    det.allowances = out.allowances;
    Ok(det)
}

/// Model weights: ECCN 4E091 exists only in the framework, which is not enforced.
fn weights(ac: &AdvancedComputing, det: &mut Determination, out: &mut Out) {
    det.decision = Decision::NotControlled;
    det.eccn = Eccn::None;
    out.reason(
        cite(ac, AcPara::Weights, AcStep::Guidance2025),
        Text::Static("ECCN 4E091 (weights of closed models trained with 10^26 or more operations) was created by the AI Diffusion framework; BIS does not enforce the framework, so the enforced controls do not reach model weights."),
    );
    out.notice_cited(
        "weights_printed_not_enforced",
        ac.paragraphs.get(AcPara::Weights).clone(),
        Text::Static("4E091 is still printed in the CFR and the non-enforcement announcement is contested under the Congressional Review Act (GAO B-337935, 2026-05-12); it is not enforced (reading R11). Decide under `ai-diffusion-2025` to see the printed rule."),
    );
}

/// Which items need what.
#[derive(Default)]
struct Totals {
    /// Datacenter .a ICs and 4A090.a items containing them (no NAC/ACA).
    a_datacenter: Tpp,
    /// Other .a and .b items (NAC/ACA may cover them).
    nac_eligible: Tpp,
    /// HBM lines (3A090.c).
    hbm_lines: usize,
    /// Lines controlled under 3A090.a/.b or 4A090.
    ab_lines: usize,
}

#[allow(clippy::too_many_arguments)]
fn chips<'a>(
    req: &Request,
    rules: &'a RuleSet,
    groups: &Groups<'_>,
    items: &[crate::request::Item],
    det: &mut Determination,
    out: &mut Out,
    rested: &mut Rested<'a>,
) -> Result<(), DetermineError> {
    let ac = &rules.advanced;
    let date = req.date;
    let dest = req.destination;
    let hq = req.consignee.headquarters;
    let hbm_in_force = ac.in_force(AcStep::Hbm, date);
    let mut t = Totals::default();
    let mut total = Tpp::ZERO;
    let mut assumed_dc = false;
    let mut prc_designed = false;
    for (index, it) in items.iter().enumerate() {
        let line = it
            .unit_tpp
            .checked_mul(it.quantity)
            .ok_or(DetermineError::Overflow)?;
        total = total.checked_add(line).ok_or(DetermineError::Overflow)?;
        if it.form == ItemForm::Hbm {
            let eccn = hbm_line(ac, it, index, date, hbm_in_force, out, rested);
            if eccn == Eccn::C3a090 {
                t.hbm_lines += 1;
            }
            det.items.push(ItemResult {
                chip: None,
                quantity: it.quantity,
                unit_tpp: Tpp::ZERO,
                tpp: Tpp::ZERO,
                pd_milli: None,
                band: Err(Outside::BelowThresholds),
                datacenter: false,
                eccn,
            });
            continue;
        }
        let class = classify_chip(
            it.unit_tpp,
            it.die_area_milli_mm2,
            it.datacenter,
            &rules.eccn_3a090,
        )
        .map_err(|source| DetermineError::Classify { index, source })?;
        let eccn = item_eccn(it.form, class.band);
        if let Ok(b) = class.band {
            t.ab_lines += 1;
            if b.is_a() && it.datacenter {
                t.a_datacenter = t
                    .a_datacenter
                    .checked_add(line)
                    .ok_or(DetermineError::Overflow)?;
            } else {
                t.nac_eligible = t
                    .nac_eligible
                    .checked_add(line)
                    .ok_or(DetermineError::Overflow)?;
            }
            if it.designer_country == Some(CountryCode::CN)
                || it.designer_country == Some(CountryCode::HK)
            {
                prc_designed = true;
            }
        }
        assumed_dc |= it.datacenter_assumed;
        let cite_p = match (class.band, it.form) {
            (Err(Outside::Note2), _) => AcPara::Note,
            (_, ItemForm::Computer) => AcPara::Eccn4a090,
            _ => AcPara::Eccn3a090,
        };
        out.reason(
            cite(ac, cite_p, AcStep::Base),
            Text::Item {
                index,
                chip: it.chip.clone(),
                quantity: it.quantity,
                unit_tpp: it.unit_tpp,
                pd_milli: class.pd_milli,
                band: class.band,
                datacenter: it.datacenter,
            },
        );
        if it.form == ItemForm::Computer && eccn != Eccn::None {
            out.reason(
                cite(
                    ac,
                    AcPara::Eccn4a090,
                    if eccn == Eccn::B4a090 {
                        AcStep::NacAca
                    } else {
                        AcStep::Base
                    },
                ),
                owned(format!(
                    "Item {index} is a computer, assembly or component containing that IC: ECCN {}.",
                    eccn.as_str()
                )),
            );
            if eccn == Eccn::B4a090 && !ac.in_force(AcStep::NacAca, date) {
                out.notice_cited(
                    "4a090b_before_2024_04_04",
                    cite(ac, AcPara::Eccn4a090, AcStep::NacAca),
                    Text::Static("4A090.b was added on 2024-04-04 (89 FR 23876); before that date the computer was classified by the 3A090.b IC it contains."),
                );
            }
        }
        det.items.push(ItemResult {
            chip: it.chip.clone(),
            quantity: it.quantity,
            unit_tpp: it.unit_tpp,
            tpp: line,
            pd_milli: class.pd_milli,
            band: class.band,
            datacenter: it.datacenter,
            eccn,
        });
    }
    det.tpp = total;
    det.eccn = most_restrictive(&det.items);
    if assumed_dc {
        out.notice_cited(
            "datacenter_assumed",
            ac.paragraphs.get(AcPara::Note).clone(),
            Text::Static("An item did not say whether it is designed or marketed for datacenters; it was treated as a datacenter item, the stricter reading (reading R10: the EAR do not define the term; BIS asks for a data sheet)."),
        );
    }
    if prc_designed && ac.in_force(AcStep::Guidance2025, date) {
        out.notice_cited(
            "gp10_prc_advanced_ic",
            cite(ac, AcPara::Gp10, AcStep::Guidance2025),
            Text::Static("BIS guidance of 2025-05-13: an advanced-computing IC designed in the PRC (such as Huawei Ascend 910B, 910C or 910D) meeting 3A090 was very likely made in violation of the EAR; using, selling, transferring, financing or servicing it risks violating General Prohibition 10. No licence exception applies; a GP10 authorisation from BIS is needed. Acquiring one solely for technical analysis or evaluation is not an enforcement target."),
        );
    }
    guidance_notices(req, ac, out);
    is_informed_notice(req, ac, groups, items, out);
    if t.ab_lines == 0 && t.hbm_lines == 0 {
        det.decision = Decision::NotControlled;
        out.reason(
            cite(ac, AcPara::Eccn3a090, AcStep::Base),
            Text::Static(
                "No item meets ECCN 3A090 or 4A090; these controls do not reach the export.",
            ),
        );
        return Ok(());
    }

    // Licence requirements.
    let dest_scope = groups.licence_scope(dest);
    let listed_scope = !dest_scope
        && ac
            .groups
            .listed_end_user_scope
            .at(date)
            .value
            .contains(dest);
    let dest_d5 = groups.d5_or_macau(dest);
    let hq_d5 = groups.d5_or_macau(hq);
    let mut need = false;
    if t.ab_lines > 0 {
        if dest_scope {
            need = true;
            out.reason(
                cite(ac, AcPara::ReqDest, AcStep::Base),
                Text::AcDestLicence { destination: dest },
            );
        } else if listed_scope {
            let listed = ac
                .listed_end_users
                .iter()
                .filter(|l| l.country == dest)
                .inspect(|l| rested.on(&l.source))
                .find(|l| l.in_force(date) && l.names(&req.consignee.name));
            match listed {
                Some(l) => out.reason(
                    cite(ac, AcPara::ReqDest, AcStep::Uae),
                    Text::AcListed {
                        destination: dest,
                        name: Arc::clone(&l.name),
                        until: l.to,
                    },
                ),
                None => {
                    need = true;
                    out.reason(
                        cite(ac, AcPara::ReqDest, AcStep::Uae),
                        Text::AcListedRequired { destination: dest },
                    );
                }
            }
            out.notice_cited(
                "listed_end_user_exemptions",
                cite(ac, AcPara::ReqDest, AcStep::Uae),
                Text::Static("91 FR 43034 also exempts the UAE Government and the UAE subsidiaries of listed US companies, which the request cannot show; the listing and its expiry come from secondary summaries (open question R13). Check the consignee against Supp. No. 8 before relying on this answer."),
            );
        } else {
            out.reason(
                cite(ac, AcPara::ReqDest, AcStep::Base),
                Text::AcNoDestLicence {
                    destination: dest,
                    excluded: groups.a5.contains(dest) || groups.a6.contains(dest),
                },
            );
        }
        if hq_d5 && dest != CountryCode::US {
            need = true;
            let step = if ac.in_force(AcStep::HqGuidance2026, date) {
                AcStep::HqGuidance2026
            } else {
                AcStep::Base
            };
            out.reason(
                cite(ac, AcPara::ReqHq, step),
                Text::AcHqLicence { headquarters: hq },
            );
            if ac.in_force(AcStep::HqGuidance2026, date) {
                out.notice_cited(
                    "hq_legacy_inventory",
                    cite(ac, AcPara::ReqHq, AcStep::HqGuidance2026),
                    Text::Static("BIS guidance of 2026-05-31: the D:5/Macau headquarters requirement continues to apply at every destination outside the US; data centers holding items received without a licence need not stop using, storing, disposing of or servicing them until further notice."),
                );
            }
        }
    }
    if t.hbm_lines > 0 {
        if dest_d5 || hq_d5 {
            need = true;
            out.reason(
                cite(ac, AcPara::ReqDest, AcStep::Hbm),
                owned(format!(
                    "A licence is required for 3A090.c HBM to Macau or D:5, or for an entity headquartered there ({}).",
                    if dest_d5 { dest } else { hq }
                )),
            );
            out.notice_cited(
                "hbm_exception_unverified",
                cite(ac, AcPara::LeHbm, AcStep::Hbm),
                Text::Static("License Exception HBM (15 CFR 740.25) may cover some HBM exports; its conditions are not verified (open question R3) and chipcap does not apply it."),
            );
        } else {
            out.reason(
                cite(ac, AcPara::ReqDest, AcStep::Hbm),
                owned(format!(
                    "No licence is required for 3A090.c HBM to {dest} for an entity headquartered in {hq}: neither is Macau or in D:5."
                )),
            );
        }
    }
    if !need {
        det.decision = Decision::NoLicenseRequired;
        out.reason(
            cite(ac, AcPara::ReqDest, AcStep::Base),
            Text::Static(
                "The items are controlled but no licence is required for this export (NLR).",
            ),
        );
        return Ok(());
    }

    // License Exceptions NAC and ACA: every 3A090/4A090 item except datacenter .a items.
    if t.a_datacenter == Tpp::ZERO && t.hbm_lines == 0 {
        nac_aca(req, ac, groups, det, out);
        return Ok(());
    }
    if t.ab_lines > 0 {
        out.reason(
            cite(ac, AcPara::NacScope, AcStep::Base),
            Text::Static("NAC and ACA do not cover items designed or marketed for datacenters that meet 3A090.a (or 4A090.a items containing them), nor HBM: an individual licence is required."),
        );
    }
    det.decision = Decision::LicenseRequired;
    policy(req, ac, groups, items, det, out, rested);
    Ok(())
}

/// One HBM line: 3A090.c when its memory bandwidth density exceeds the limit (from 2024-12-02).
fn hbm_line<'a>(
    ac: &'a AdvancedComputing,
    it: &crate::request::Item,
    index: usize,
    date: Date,
    in_force: bool,
    out: &mut Out,
    rested: &mut Rested<'a>,
) -> Eccn {
    if !in_force {
        out.reason(
            cite(ac, AcPara::Eccn3a090c, AcStep::Hbm),
            owned(format!(
                "Item {index} is high-bandwidth memory; 3A090.c applies only from {} (89 FR 96790), so it is not controlled on {date}.",
                ac.amendment(AcStep::Hbm).map_or(date, |a| a.effective_from)
            )),
        );
        return Eccn::None;
    }
    let limit = ac.params.hbm_min_density_milli.at(date);
    rested.on(limit.source);
    let (Some(bw), Some(area)) = (it.dram_bandwidth_milli_gbps, it.hbm_area_milli_mm2) else {
        return Eccn::None;
    };
    // density = bw / area > limit  <=>  bw * 1000 > limit_milli * area (all in thousandths).
    let above = u128::from(bw) * 1000 > u128::from(*limit.value) * u128::from(area);
    let density = crate::units::ratio_milli(u128::from(bw), u128::from(area)).unwrap_or(0);
    let mut d = String::new();
    let _ = crate::units::write_milli_grouped(&mut d, i128::try_from(density).unwrap_or(0));
    let mut l = String::new();
    let _ = crate::units::write_milli_grouped(&mut l, i128::from(*limit.value));
    out.reason(
        cite(ac, AcPara::Eccn3a090c, AcStep::Hbm),
        owned(format!(
            "Item {index}: high-bandwidth memory with a memory bandwidth density of {d} GB/s per mm2 {} the 3A090.c limit of more than {l}: {}.",
            if above { "meets" } else { "does not meet" },
            if above { "ECCN 3A090.c" } else { "not 3A090.c" }
        )),
    );
    if above {
        Eccn::C3a090
    } else {
        Eccn::None
    }
}

/// NAC (with prior notification) or ACA (none) for items other than datacenter .a items.
fn nac_aca(
    req: &Request,
    ac: &AdvancedComputing,
    groups: &Groups<'_>,
    det: &mut Determination,
    out: &mut Out,
) {
    let date = req.date;
    let dest = req.destination;
    let hq = req.consignee.headquarters;
    let split = ac.in_force(AcStep::NacAca, date);
    let d5_side = groups.d5_or_macau(dest) || groups.d5_or_macau(hq);
    let in_country_d5 = req.transaction == Transaction::Transfer && groups.d5_or_macau(dest);
    let days = *ac.params.nac_notification_days.at(date).value;
    if split && (!d5_side || in_country_d5) {
        out.reason(
            cite(ac, AcPara::Aca, AcStep::NacAca),
            Text::AcAca {
                destination: dest,
                transfer: in_country_d5,
            },
        );
        det.decision = Decision::Authorized;
        det.authorization = Some(Authorization::Aca);
        out.notice_cited(
            "aca_conditions",
            cite(ac, AcPara::Aca, AcStep::NacAca),
            Text::Static("ACA: record the exception (AES licence code C68 where it applies) and keep the data sheet showing the item is not designed or marketed for datacenters or is a 3A090.b item."),
        );
        return;
    }
    let step = if split { AcStep::NacAca } else { AcStep::Base };
    out.reason(cite(ac, AcPara::Nac, step), Text::AcNac { days, split });
    det.decision = Decision::Authorized;
    det.authorization = Some(Authorization::Nac);
    out.notice_cited(
        "nac_notification",
        cite(ac, AcPara::Nac, step),
        Text::NacNotification { days },
    );
    out.notice_cited(
        "nac_notification_contents",
        cite(ac, AcPara::Nac, step),
        Text::Static("NAC notification through SNAP-R: one ultimate consignee and one end user, no distributor, at most six items (one model number recommended), with TPP, performance density and a data sheet; export under AES licence code C67 with the NAC number. BIS may still require a licence within the review period."),
    );
}

/// The licence review policy (15 CFR 742.6(b)(10)) with the case-by-case review of 91 FR 1684.
fn policy<'a>(
    req: &Request,
    ac: &'a AdvancedComputing,
    groups: &Groups<'_>,
    items: &[crate::request::Item],
    det: &mut Determination,
    out: &mut Out,
    rested: &mut Rested<'a>,
) {
    let date = req.date;
    let dest = req.destination;
    let hq = req.consignee.headquarters;
    let dest_d5 = groups.d5_or_macau(dest);
    let hq_d5 = groups.d5_or_macau(hq);
    if !dest_d5 && !hq_d5 {
        out.reason(
            cite(ac, AcPara::Policy, AcStep::Base),
            Text::AcPolicy {
                policy: ReviewPolicy::PresumptionOfApproval,
                country: dest,
                headquarters: false,
            },
        );
        det.review_policy = Some(ReviewPolicy::PresumptionOfApproval);
        return;
    }
    let china = dest == CountryCode::CN || dest == CountryCode::HK || dest == CountryCode::MO;
    if ac.in_force(AcStep::CaseByCase, date) && china {
        match case_by_case(req, ac, items, rested, out) {
            Ok(()) => {
                out.reason(
                    cite(ac, AcPara::Policy, AcStep::CaseByCase),
                    Text::AcPolicy {
                        policy: ReviewPolicy::CaseByCase,
                        country: dest,
                        headquarters: false,
                    },
                );
                det.review_policy = Some(ReviewPolicy::CaseByCase);
                out.notice_cited(
                    "case_by_case_certifications",
                    cite(ac, AcPara::Supp2To748, AcStep::CaseByCase),
                    Text::Static("The application must state the units already shipped in the US and certify: the item performs below the criteria; US supply is sufficient (no delay to US orders, no diversion of foundry capacity); aggregate China and Macau shipments of the product are at most 50% of its shipments to US end-use customers; the export is not prohibited by end-use or end-user controls; the consignee runs rigorous know-your-customer procedures against unauthorised remote access (users in or controlled from Belarus, China, Cuba, Iran, Macau, North Korea, Russia and Venezuela); every shipment is reviewed before export by a qualified independent third-party testing laboratory in the US."),
                );
                return;
            }
            Err(why) => {
                out.reason(
                    cite(ac, AcPara::Policy, AcStep::CaseByCase),
                    owned(format!(
                        "The case-by-case review of 91 FR 1684 does not apply: {why}."
                    )),
                );
            }
        }
    }
    out.reason(
        cite(ac, AcPara::Policy, AcStep::Base),
        Text::AcPolicy {
            policy: ReviewPolicy::PresumptionOfDenial,
            country: if dest_d5 { dest } else { hq },
            headquarters: !dest_d5,
        },
    );
    det.review_policy = Some(ReviewPolicy::PresumptionOfDenial);
}

/// Whether the 50% China/US share of 91 FR 1684 can matter for `req`: decided under the enforced
/// line, on or after the rule, an export from the US to China (with Hong Kong) or Macau. Edges
/// gather `context.china_us` only then, so that other requests cost nothing for it.
pub fn china_us_share_applies(req: &Request, rules: &RuleSet) -> bool {
    let dest = req.destination;
    req.transaction == Transaction::Export
        && (dest == CountryCode::CN || dest == CountryCode::HK || dest == CountryCode::MO)
        && rules.select(req.rule_set, req.date)
            == Ok(crate::params::RuleSetId::AdvancedComputing2023)
        && rules.advanced.in_force(AcStep::CaseByCase, req.date)
}

/// Whether every licensed item qualifies for case-by-case review (91 FR 1684), or why not.
fn case_by_case<'a>(
    req: &Request,
    ac: &'a AdvancedComputing,
    items: &[crate::request::Item],
    rested: &mut Rested<'a>,
    out: &mut Out,
) -> Result<(), String> {
    let date = req.date;
    if req.transaction != Transaction::Export {
        return Err(format!(
            "it covers exports from the United States only; a {} stays under the presumption of denial",
            match req.transaction {
                Transaction::Reexport => "reexport",
                Transaction::ExportFromAbroad => "export from abroad",
                Transaction::Transfer => "transfer (in-country)",
                Transaction::Export => "export",
            }
        ));
    }
    let max_tpp = ac.params.case_by_case_max_tpp.at(date);
    let max_bw = ac
        .params
        .case_by_case_max_dram_bandwidth_milli_gbps
        .at(date);
    let on = ac.params.case_by_case_available_on.at(date);
    rested.on(max_tpp.source);
    rested.on(max_bw.source);
    rested.on(on.source);
    for (i, it) in items.iter().enumerate() {
        if it.form == ItemForm::Hbm {
            return Err(format!(
                "item {i} is HBM, not an AI commodity the rule names"
            ));
        }
        if it.unit_tpp >= *max_tpp.value {
            return Err(format!(
                "item {i} has a TPP of {}, not below {}",
                it.unit_tpp, max_tpp.value
            ));
        }
        let Some(bw) = it.dram_bandwidth_milli_gbps else {
            return Err(format!(
                "item {i} has no known total DRAM bandwidth (give `dram_bandwidth_gbps`)"
            ));
        };
        if bw >= *max_bw.value {
            let mut a = String::new();
            let _ = crate::units::write_milli_grouped(&mut a, i128::from(bw));
            let mut b = String::new();
            let _ = crate::units::write_milli_grouped(&mut b, i128::from(*max_bw.value));
            return Err(format!(
                "item {i} has a total DRAM bandwidth of {a} GB/s, not below {b} GB/s"
            ));
        }
        match it.us_available_from {
            None => {
                return Err(format!(
                    "item {i} has no known date of commercial availability in the US (give `us_available_from`)"
                ))
            }
            Some(d) if d > *on.value => {
                return Err(format!(
                    "item {i} was first commercially available in the US on {d}, after {}",
                    on.value
                ))
            }
            Some(_) => {}
        }
    }
    china_us_share(req, ac, items, rested, out)
}

/// The 50% certification of 91 FR 1684: for each product, licensed China+Macau shipments after this
/// one at most the share of its US end-use shipments (exact, cross-multiplied). Tested only when the
/// ledger tracks the product; otherwise the certification is the exporter's (the notice says so).
fn china_us_share<'a>(
    req: &Request,
    ac: &'a AdvancedComputing,
    items: &[crate::request::Item],
    rested: &mut Rested<'a>,
    out: &mut Out,
) -> Result<(), String> {
    if req.context.china_us.is_empty() {
        return Ok(());
    }
    let pct = ac.params.china_us_share_max_percent.at(req.date);
    rested.on(pct.source);
    let pct = *pct.value;
    let mut failed = None;
    for it in items {
        let Some(chip) = &it.chip else { continue };
        let Some(b) = req.context.china_us.iter().find(|b| b.chip == *chip) else {
            continue;
        };
        let draw = it
            .unit_tpp
            .checked_mul(it.quantity)
            .unwrap_or(Tpp::from_milli(u64::MAX));
        let after = b
            .china_macau
            .checked_add(draw)
            .unwrap_or(Tpp::from_milli(u64::MAX));
        let ok =
            u128::from(after.milli()) * 100 <= u128::from(pct) * u128::from(b.us_end_use.milli());
        let cap_milli = u128::from(b.us_end_use.milli()) * u128::from(pct) / 100;
        let cap = Tpp::from_milli(u64::try_from(cap_milli).unwrap_or(u64::MAX));
        out.allowances.push(Allowance {
            kind: AllowanceKind::ChinaUsShare,
            scope: Cow::Owned(chip.to_string()),
            period: None,
            cap,
            used_before: b.china_macau,
            draw,
            remaining_after_milli: i128::from(cap.milli()) - i128::from(after.milli()),
            within_limit: ok,
            drawn: ok,
            share: Some(Share {
                percent: pct,
                minimum: false,
                total_after: b.us_end_use,
            }),
        });
        if !ok && failed.is_none() {
            failed = Some(format!(
                "China and Macau shipments of `{chip}` would reach {after} TPP, more than {pct}% of the {} TPP shipped to US end-use customers, so the exporter cannot certify",
                b.us_end_use
            ));
        }
    }
    match failed {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// Chips named in "is-informed" letters (744.23(b)): not in the CFR, so a notice, not a requirement
/// the engine imposes (reading R4).
fn is_informed_notice(
    req: &Request,
    ac: &AdvancedComputing,
    groups: &Groups<'_>,
    items: &[crate::request::Item],
    out: &mut Out,
) {
    let china = |c: CountryCode| c == CountryCode::CN || c == CountryCode::HK;
    let reach = |c: CountryCode| china(c) || groups.d5_or_macau(c);
    if !reach(req.destination) && !reach(req.consignee.headquarters) {
        return;
    }
    let named = ac.is_informed.iter().any(|l| {
        l.from <= req.date
            && items.iter().any(|it| {
                it.chip
                    .as_deref()
                    .is_some_and(|c| l.chips.iter().any(|x| x == c))
            })
    });
    if named {
        out.notice_cited(
            "is_informed_letter",
            ac.paragraphs.get(AcPara::IsInformed).clone(),
            Text::Static("BIS told the maker in April 2025 (an is-informed letter under 744.23(b), reported in its SEC filing, not published in the Federal Register) that this chip needs a licence to China (with Hong Kong and Macau), Country Group D:5 and D:5-headquartered parties for the indefinite future; licences were later granted case by case. chipcap does not apply unpublished letters (reading R4): check with the maker and BIS."),
        );
    }
}

/// Notices of the 2025-05-13 guidance: AI-training/IaaS and diversion red flags.
fn guidance_notices(req: &Request, ac: &AdvancedComputing, out: &mut Out) {
    if !ac.in_force(AcStep::Guidance2025, req.date) {
        return;
    }
    if req.consignee.iaas_provider {
        out.notice_cited(
            "iaas_red_flag",
            cite(ac, AcPara::EndUse, AcStep::Guidance2025),
            Text::Static("BIS guidance of 2025-05-13: supplying an IaaS provider that trains AI models for, or on behalf of, parties headquartered in Macau or D:5 is a red flag; a licence may be required where there is knowledge of WMD or military-intelligence end uses. Know who the provider's customers are and do not self-blind."),
        );
    }
    if req.consignee.headquarters_assumed {
        out.notice_cited(
            "headquarters_unknown",
            cite(ac, AcPara::ReqHq, AcStep::Guidance2025),
            Text::Static("The headquarters of the consignee (or its ultimate parent) was not given: the D:5/Macau headquarters requirement cannot be ruled out. BIS's 2025-05-13 diversion guidance lists red flags (a customer that began ordering only after October 2022, a residential address for commercial quantities, little online presence, a data center that cannot confirm power or space, unusual forwarders or resellers): do the new-customer due diligence."),
        );
    }
}

/// Every `?` value a step rested on raises a notice naming its open question.
fn open_question_notices(rested: &Rested<'_>, out: &mut Out) {
    let mut seen: Vec<&str> = Vec::new();
    for s in &rested.sources {
        if s.evidence != Evidence::Open {
            continue;
        }
        let q = s.question.as_deref().unwrap_or("R1");
        if seen.contains(&q) {
            continue;
        }
        seen.push(q);
        out.notices.push(Notice {
            code: "unverified_value",
            citation: Some(Citation::from(s.reference.clone())),
            text: Text::Owned(format!(
                "This determination rests on a value not verified against the primary text (open question {q} in docs/readings.md): {}.",
                s.reference
            )),
        });
    }
}
