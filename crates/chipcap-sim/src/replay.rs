//! Replay of a ledger's records as demand: every shipment the ledger recorded (and did not reverse)
//! becomes demand in its quarter, for its destination and consignee, in the channel of the
//! authorisation it went under (LPP, NVEU, UVEU; anything else is asked for as a licence); the
//! ledger's assurances become the scenario's (unless the scenario names the country's itself).
//! The simulation then decides the same history under the scenario's rules. Pure: the edge reads
//! the ledger.

use std::collections::{BTreeMap, BTreeSet};

use chipcap_core::country::CountryCode;
use chipcap_ledger::entry::{Body, Entry};

use crate::scenario::{AssuranceSpec, Channel, DemandLine, Scenario};

/// What a replay added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Shipments turned into demand.
    pub shipments: usize,
    /// Shipments outside the scenario's period, or reversed, or to an unknown country: skipped.
    pub skipped: usize,
    /// Assurances taken from the ledger.
    pub assurances: usize,
}

/// Adds the ledger's shipments (as demand lines, one per destination, channel and consignee) and
/// assurances to the scenario.
pub fn add(sc: &mut Scenario, entries: &[Entry]) -> ReplaySummary {
    let reversed: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| match &e.body {
            Body::Reversal { of, .. } => Some(of.as_str()),
            _ => None,
        })
        .collect();
    let mut lines: BTreeMap<(CountryCode, Channel, String), Vec<u64>> = BTreeMap::new();
    let mut headquarters: BTreeMap<String, CountryCode> = BTreeMap::new();
    let mut sum = ReplaySummary::default();
    for e in entries {
        if reversed.contains(e.client_id.as_str()) {
            if matches!(e.body, Body::Shipment(_)) {
                sum.skipped += 1;
            }
            continue;
        }
        match &e.body {
            Body::Party(p) => {
                headquarters.insert(p.name.clone(), p.headquarters);
            }
            Body::Assurance(a) => {
                let c = a.country;
                if !sc.assurances.iter().any(|x| x.country == c) {
                    sc.assurances.push(AssuranceSpec {
                        country: c,
                        from: e.date,
                        uplift_percent: Some(a.uplift_percent),
                    });
                    sum.assurances += 1;
                }
            }
            Body::Shipment(s) => {
                let q = e.date.quarter();
                let (Some(k), Some(c)) = (
                    sc.quarters.iter().position(|x| *x == q),
                    Some(s.destination).filter(|c| sc.rules.known.contains(*c)),
                ) else {
                    sum.skipped += 1;
                    continue;
                };
                let channel = match s.authorization.as_str() {
                    "LPP" => Channel::Lpp,
                    "NVEU" => Channel::Nveu,
                    "UVEU" => Channel::Uveu,
                    _ => Channel::Licence,
                };
                let n = sc.quarters.len();
                let v = lines
                    .entry((c, channel, s.consignee.clone()))
                    .or_insert_with(|| vec![0; n]);
                v[k] = v[k].saturating_add(s.tpp.milli());
                sum.shipments += 1;
            }
            _ => {}
        }
    }
    let last = sc.quarters.len().saturating_sub(1);
    for ((country, channel, consignee), tpp_milli) in lines {
        let hq = headquarters
            .get(&consignee)
            .copied()
            .unwrap_or(match channel {
                Channel::Uveu => CountryCode::US,
                _ => country,
            });
        sc.demand.push(DemandLine {
            label: format!("replay {consignee} {country} {}", channel.as_str()),
            country,
            channel,
            chip: "nvidia-h100-sxm".to_string(),
            consignees: vec![consignee],
            headquarters: hq,
            tpp_milli,
            growth_milli_percent_per_quarter: 0,
            growth_milli_percent_per_year: 0,
            active: (0, last),
            distribution: None,
        });
    }
    sc.assurances.sort_by_key(|a| a.from);
    sum
}
