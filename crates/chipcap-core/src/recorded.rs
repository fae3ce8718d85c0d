//! What the ledger's records mean for a request: whether a granted licence covers a shipment, and
//! which VEU authorisation the consignee may use. The ledger gathers the facts (the licence's
//! terms, the TPP already shipped under it, the party's recorded authorisations) and records the
//! outcome; the decisions are made here, as pure functions.

use crate::country::CountryCode;
use crate::date::Date;
use crate::request::ClaimedAuthorization;
use crate::units::Tpp;

/// A licence's terms, as the ledger recorded its grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LicenceTerms<'a> {
    /// The consignee's identity (the name folded for comparison by the ledger).
    pub consignee_identity: &'a str,
    /// The destination.
    pub destination: CountryCode,
    /// The grant date (the first day it may be used).
    pub granted: Date,
    /// The last day it may be used.
    pub valid_to: Date,
    /// The TPP it licenses in all.
    pub tpp: Tpp,
}

/// A shipment a request would make under a licence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LicensedShipment<'a> {
    /// The consignee's identity (folded as in [`LicenceTerms::consignee_identity`]).
    pub consignee_identity: &'a str,
    /// The destination.
    pub destination: CountryCode,
    /// The shipment's date.
    pub date: Date,
    /// Its TPP.
    pub tpp: Tpp,
}

/// Whether the licence named in a request covers the shipment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LicenceVerdict {
    /// No such licence is granted (or its grant was reversed).
    NotGranted,
    /// It is for another consignee or destination.
    OtherPartyOrDestination,
    /// The shipment's date is before the grant or after the last valid day.
    NotValidOnDate,
    /// Too little of its TPP is left for the shipment.
    TooLittleLeft,
    /// It covers the shipment.
    Covers,
}

/// Whether `terms` (the licence granted, if any) cover `shipment`, with `used` TPP already shipped
/// under the licence. The checks in order: the party and destination, the dates, what is left.
pub fn licence_covers(
    terms: Option<&LicenceTerms<'_>>,
    shipment: &LicensedShipment<'_>,
    used: Tpp,
) -> LicenceVerdict {
    let Some(l) = terms else {
        return LicenceVerdict::NotGranted;
    };
    if l.consignee_identity != shipment.consignee_identity || l.destination != shipment.destination
    {
        return LicenceVerdict::OtherPartyOrDestination;
    }
    if shipment.date < l.granted || shipment.date > l.valid_to {
        return LicenceVerdict::NotValidOnDate;
    }
    match used.checked_add(shipment.tpp) {
        Some(after) if after <= l.tpp => LicenceVerdict::Covers,
        _ => LicenceVerdict::TooLittleLeft,
    }
}

/// A VEU authorisation as the ledger recorded it for a party, and the facts about one destination
/// the ledger read off it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VeuRecord {
    /// UVEU or NVEU ([`ClaimedAuthorization::Uveu`] or [`ClaimedAuthorization::Nveu`]).
    pub kind: ClaimedAuthorization,
    /// First day in force.
    pub from: Date,
    /// Last day in force, if any.
    pub to: Option<Date>,
    /// Whether the record names the destination among its countries.
    pub names_destination: bool,
    /// Whether the record names no country at all.
    pub names_no_country: bool,
}

impl VeuRecord {
    /// Whether it authorises `kind` at the destination on `date` (a UVEU naming no country covers
    /// every eligible destination).
    pub fn covers(&self, kind: ClaimedAuthorization, date: Date) -> bool {
        self.kind == kind
            && kind != ClaimedAuthorization::None
            && self.from <= date
            && self.to.is_none_or(|t| date <= t)
            && (self.names_destination
                || (kind == ClaimedAuthorization::Uveu && self.names_no_country))
    }
}

/// What to make of the VEU a request claims, given what the ledger records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VeuVerdict {
    /// Use the request's claim as it is.
    AsClaimed,
    /// The claimed authorisation (UVEU or NVEU) is not recorded for the consignee, destination and
    /// date: decide without it.
    NotRecorded(ClaimedAuthorization),
    /// The request claims none, but the ledger records this one (an NVEU for the destination is
    /// preferred to a UVEU): decide with it.
    FromLedger(ClaimedAuthorization),
}

impl VeuVerdict {
    /// The authorisation to decide with.
    pub fn authorization(self, claimed: ClaimedAuthorization) -> ClaimedAuthorization {
        match self {
            VeuVerdict::AsClaimed => claimed,
            VeuVerdict::NotRecorded(_) => ClaimedAuthorization::None,
            VeuVerdict::FromLedger(a) => a,
        }
    }
}

/// Which VEU a request may use: a claim must be recorded; without a claim, the one recorded.
pub fn veu_claim(claimed: ClaimedAuthorization, records: &[VeuRecord], date: Date) -> VeuVerdict {
    let holds = |k| records.iter().any(|r| r.covers(k, date));
    match claimed {
        ClaimedAuthorization::Nveu | ClaimedAuthorization::Uveu if !holds(claimed) => {
            VeuVerdict::NotRecorded(claimed)
        }
        ClaimedAuthorization::None if holds(ClaimedAuthorization::Nveu) => {
            VeuVerdict::FromLedger(ClaimedAuthorization::Nveu)
        }
        ClaimedAuthorization::None if holds(ClaimedAuthorization::Uveu) => {
            VeuVerdict::FromLedger(ClaimedAuthorization::Uveu)
        }
        _ => VeuVerdict::AsClaimed,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn terms(tpp: u64) -> LicenceTerms<'static> {
        LicenceTerms {
            consignee_identity: "acme",
            destination: CountryCode::US,
            granted: d("2025-03-01"),
            valid_to: d("2025-12-31"),
            tpp: Tpp::from_milli(tpp),
        }
    }

    fn ship(date: &str, tpp: u64) -> LicensedShipment<'static> {
        LicensedShipment {
            consignee_identity: "acme",
            destination: CountryCode::US,
            date: d(date),
            tpp: Tpp::from_milli(tpp),
        }
    }

    #[test]
    fn a_licence_covers_its_party_destination_dates_and_tpp() {
        let t = terms(100);
        let c = |s: &LicensedShipment<'_>, used: u64| {
            licence_covers(Some(&t), s, Tpp::from_milli(used))
        };
        assert_eq!(
            licence_covers(None, &ship("2025-06-01", 1), Tpp::ZERO),
            LicenceVerdict::NotGranted
        );
        assert_eq!(c(&ship("2025-06-01", 60), 40), LicenceVerdict::Covers);
        assert_eq!(
            c(&ship("2025-06-01", 61), 40),
            LicenceVerdict::TooLittleLeft
        );
        assert_eq!(c(&ship("2025-03-01", 1), 0), LicenceVerdict::Covers);
        assert_eq!(c(&ship("2025-12-31", 1), 0), LicenceVerdict::Covers);
        assert_eq!(c(&ship("2025-02-28", 1), 0), LicenceVerdict::NotValidOnDate);
        assert_eq!(c(&ship("2026-01-01", 1), 0), LicenceVerdict::NotValidOnDate);
        // Overflow is never a fit.
        assert_eq!(
            c(&ship("2025-06-01", u64::MAX), 1),
            LicenceVerdict::TooLittleLeft
        );
        let other = LicensedShipment {
            consignee_identity: "other",
            ..ship("2025-06-01", 1)
        };
        assert_eq!(c(&other, 0), LicenceVerdict::OtherPartyOrDestination);
        let elsewhere = LicensedShipment {
            destination: CountryCode::CN,
            ..ship("2026-06-01", 1000)
        };
        // The party and destination are checked first.
        assert_eq!(c(&elsewhere, 0), LicenceVerdict::OtherPartyOrDestination);
    }

    #[test]
    fn a_veu_claim_must_be_recorded_and_a_recorded_one_is_used() {
        use ClaimedAuthorization::{Nveu, Uveu};
        let rec = |kind, names_destination, names_no_country| VeuRecord {
            kind,
            from: d("2025-01-01"),
            to: Some(d("2025-12-31")),
            names_destination,
            names_no_country,
        };
        let on = d("2025-06-01");
        let none = ClaimedAuthorization::None;
        assert_eq!(veu_claim(Nveu, &[], on), VeuVerdict::NotRecorded(Nveu));
        assert_eq!(veu_claim(Uveu, &[], on), VeuVerdict::NotRecorded(Uveu));
        assert_eq!(veu_claim(none, &[], on), VeuVerdict::AsClaimed);
        let nveu = rec(Nveu, true, false);
        let uveu_any = rec(Uveu, false, true);
        assert_eq!(veu_claim(Nveu, &[nveu], on), VeuVerdict::AsClaimed);
        assert_eq!(veu_claim(Uveu, &[uveu_any], on), VeuVerdict::AsClaimed);
        // An NVEU naming no country covers nothing; a UVEU naming another country neither.
        assert_eq!(
            veu_claim(Nveu, &[rec(Nveu, false, true)], on),
            VeuVerdict::NotRecorded(Nveu)
        );
        assert_eq!(
            veu_claim(Uveu, &[rec(Uveu, false, false)], on),
            VeuVerdict::NotRecorded(Uveu)
        );
        // Out of its dates.
        assert_eq!(
            veu_claim(Nveu, &[nveu], d("2026-01-01")),
            VeuVerdict::NotRecorded(Nveu)
        );
        // Without a claim, the NVEU first.
        assert_eq!(
            veu_claim(none, &[uveu_any, nveu], on),
            VeuVerdict::FromLedger(Nveu)
        );
        assert_eq!(
            veu_claim(none, &[uveu_any], on),
            VeuVerdict::FromLedger(Uveu)
        );
        assert_eq!(VeuVerdict::NotRecorded(Uveu).authorization(Uveu), none);
        assert_eq!(VeuVerdict::FromLedger(Nveu).authorization(none), Nveu);
        assert_eq!(VeuVerdict::AsClaimed.authorization(Uveu), Uveu);
    }
}
