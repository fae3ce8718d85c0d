//! Classification of integrated circuits under ECCN 3A090 and of model weights under 4E091.

use serde::Serialize;

use crate::params::Thresholds3a090;
use crate::units::{ratio_milli, Tpp};

/// The paragraph of 3A090 an item meets.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Band {
    /// 3A090.a.1: TPP >= 4800.
    #[serde(rename = "3A090.a.1")]
    A1,
    /// 3A090.a.2: TPP >= 1600 and PD >= 5.92.
    #[serde(rename = "3A090.a.2")]
    A2,
    /// 3A090.b.1: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92.
    #[serde(rename = "3A090.b.1")]
    B1,
    /// 3A090.b.2: TPP >= 1600 and 3.2 <= PD < 5.92.
    #[serde(rename = "3A090.b.2")]
    B2,
}

impl Band {
    /// The paragraph, e.g. `3A090.a.2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::A1 => "3A090.a.1",
            Band::A2 => "3A090.a.2",
            Band::B1 => "3A090.b.1",
            Band::B2 => "3A090.b.2",
        }
    }

    /// Whether the band is an ".a-type" item (listed in 742.6(a)(6)(iii)(A), counted in allocations).
    pub fn is_a(self) -> bool {
        matches!(self, Band::A1 | Band::A2)
    }
}

/// Why an item is outside 3A090.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outside {
    /// Note 2: not designed or marketed for datacenters and TPP below 4800.
    Note2,
    /// Below every band.
    BelowThresholds,
}

/// The result of classifying one chip.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ChipClass {
    /// The band met, or why none is.
    pub band: Result<Band, Outside>,
    /// TPP of one unit.
    pub tpp: Tpp,
    /// Performance density in thousandths, rounded (display only), when the die area is known.
    pub pd_milli: Option<u64>,
    /// Designed or marketed for datacenters.
    pub datacenter: bool,
}

/// Why a chip cannot be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    /// The TPP lies where performance density decides, and no die area is known.
    #[error(
        "the die area is needed to classify a chip with TPP {0} (performance density decides)"
    )]
    DieAreaNeeded(Tpp),
    /// A zero die area.
    #[error("the die area must be greater than zero")]
    ZeroDieArea,
}

/// PD >= `pd_milli`/1000, i.e. tpp / area >= pd, compared as `tpp * 1000 >= pd * area` (no division).
fn pd_at_least(tpp: Tpp, area_milli: u64, pd_milli: u64) -> bool {
    u128::from(tpp.milli()) * 1000 >= u128::from(pd_milli) * u128::from(area_milli)
}

/// ECCN 3A090 with Note 2 (88 FR 73458): the band an integrated circuit meets, exact at every edge.
pub fn classify_chip(
    tpp: Tpp,
    die_area_milli_mm2: Option<u64>,
    datacenter: bool,
    t: &Thresholds3a090,
) -> Result<ChipClass, ClassifyError> {
    if die_area_milli_mm2 == Some(0) {
        return Err(ClassifyError::ZeroDieArea);
    }
    let pd_milli = die_area_milli_mm2
        .and_then(|a| ratio_milli(u128::from(tpp.milli()), u128::from(a)))
        .and_then(|v| u64::try_from(v).ok());
    let done = |band| {
        Ok(ChipClass {
            band,
            tpp,
            pd_milli,
            datacenter,
        })
    };
    // Note 2 to 3A090: non-datacenter items below 4800 TPP are not 3A090.
    if !datacenter && tpp < t.note2_min_tpp {
        return done(Err(Outside::Note2));
    }
    if tpp >= t.a1_min_tpp {
        return done(Ok(Band::A1));
    }
    let lowest = t.a2_min_tpp.min(t.b1_min_tpp).min(t.b2_min_tpp);
    if tpp < lowest {
        return done(Err(Outside::BelowThresholds));
    }
    let Some(area) = die_area_milli_mm2 else {
        return Err(ClassifyError::DieAreaNeeded(tpp));
    };
    if tpp >= t.a2_min_tpp && pd_at_least(tpp, area, t.a2_min_pd_milli) {
        return done(Ok(Band::A2));
    }
    if tpp >= t.b1_min_tpp
        && tpp < t.b1_max_tpp_exclusive
        && pd_at_least(tpp, area, t.b1_min_pd_milli)
        && !pd_at_least(tpp, area, t.b1_max_pd_exclusive_milli)
    {
        return done(Ok(Band::B1));
    }
    if tpp >= t.b2_min_tpp
        && pd_at_least(tpp, area, t.b2_min_pd_milli)
        && !pd_at_least(tpp, area, t.b2_max_pd_exclusive_milli)
    {
        return done(Ok(Band::B2));
    }
    done(Err(Outside::BelowThresholds))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn thresholds() -> Thresholds3a090 {
        let w = |v: u64| Tpp::from_milli(v * 1000);
        Thresholds3a090 {
            a1_min_tpp: w(4800),
            a2_min_tpp: w(1600),
            a2_min_pd_milli: 5920,
            b1_min_tpp: w(2400),
            b1_max_tpp_exclusive: w(4800),
            b1_min_pd_milli: 1600,
            b1_max_pd_exclusive_milli: 5920,
            b2_min_tpp: w(1600),
            b2_min_pd_milli: 3200,
            b2_max_pd_exclusive_milli: 5920,
            note2_min_tpp: w(4800),
        }
    }

    fn band(
        tpp_milli: u64,
        area_milli: Option<u64>,
        dc: bool,
    ) -> Result<Result<Band, Outside>, ClassifyError> {
        classify_chip(Tpp::from_milli(tpp_milli), area_milli, dc, &thresholds()).map(|c| c.band)
    }

    #[test]
    fn band_edges_are_exact() {
        // 3A090.a.1 at exactly 4800, not at 4799.999.
        assert_eq!(band(4_800_000, None, true), Ok(Ok(Band::A1)));
        assert_eq!(
            band(4_799_999, Some(10_000_000), true),
            Ok(Err(Outside::BelowThresholds))
        );
        // a.2: 1600 TPP over 270.270 mm2 is PD 5.92000...; exactly 5.92 with area 1600/5.92.
        // TPP 5920, area 1000 -> PD 5.92 exactly -> a.2 (TPP < 4800 is false here, so use TPP 2960, area 500).
        assert_eq!(band(2_960_000, Some(500_000), true), Ok(Ok(Band::A2)));
        assert_eq!(band(2_960_000, Some(500_001), true), Ok(Ok(Band::B1)));
        // b.1 lower PD edge: 2400 / 1500 = 1.6.
        assert_eq!(band(2_400_000, Some(1_500_000), true), Ok(Ok(Band::B1)));
        assert_eq!(
            band(2_400_000, Some(1_500_001), true),
            Ok(Err(Outside::BelowThresholds))
        );
        assert_eq!(
            band(2_399_999, Some(1_000_000), true),
            Ok(Err(Outside::BelowThresholds))
        );
        // b.2: 1600 / 500 = 3.2.
        assert_eq!(band(1_600_000, Some(500_000), true), Ok(Ok(Band::B2)));
        assert_eq!(
            band(1_600_000, Some(500_001), true),
            Ok(Err(Outside::BelowThresholds))
        );
        assert_eq!(
            band(1_599_999, None, true),
            Ok(Err(Outside::BelowThresholds))
        );
        // Note 2.
        assert_eq!(band(4_799_999, Some(1), false), Ok(Err(Outside::Note2)));
        assert_eq!(band(4_800_000, Some(1), false), Ok(Ok(Band::A1)));
        // Die area needed between 1600 and 4800 for datacenter parts.
        assert_eq!(
            band(2_000_000, None, true),
            Err(ClassifyError::DieAreaNeeded(Tpp::from_milli(2_000_000)))
        );
        assert_eq!(
            band(2_000_000, Some(0), true),
            Err(ClassifyError::ZeroDieArea)
        );
    }

    #[test]
    fn golden_g14() {
        // G14 (spec 10.2): H20 TPP 2368 PD 2.91 -> not 3A090; L40 2897/608.5 -> .b; L4 1940/294.5 -> .a.2.
        assert_eq!(
            band(2_368_000, Some(814_000), true),
            Ok(Err(Outside::BelowThresholds))
        );
        assert_eq!(band(2_896_800, Some(608_500), true), Ok(Ok(Band::B1)));
        assert_eq!(band(1_940_000, Some(294_500), true), Ok(Ok(Band::A2)));
    }

    fn rank(b: Result<Result<Band, Outside>, ClassifyError>) -> u8 {
        match b {
            Ok(Ok(b)) if b.is_a() => 2,
            Ok(Ok(_)) => 1,
            _ => 0,
        }
    }

    proptest::proptest! {
        #[test]
        fn monotone_in_tpp(t in 0u64..10_000_000, d in 0u64..5_000_000, area in 1u64..2_000_000, dc: bool) {
            let lo = rank(band(t, Some(area), dc));
            let hi = rank(band(t + d, Some(area), dc));
            proptest::prop_assert!(lo <= hi);
        }

        #[test]
        fn monotone_in_density(t in 0u64..10_000_000, area in 1u64..2_000_000, shrink in 0u64..1_000_000, dc: bool) {
            let small = area.saturating_sub(shrink).max(1);
            proptest::prop_assert!(rank(band(t, Some(area), dc)) <= rank(band(t, Some(small), dc)));
        }
    }
}
