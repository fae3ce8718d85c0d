//! Seeded Monte Carlo over demand distributions: each run samples the level of every demand line
//! that has a `distribution` (once per run, or once per quarter), runs the same engine, and the
//! quarters of exhaustion are summarised as P10/P50/P90 (nearest rank; a run in which a country is
//! not exhausted counts as later than every quarter, `never`).
//!
//! Floats are used only to sample demand (the level is rounded to a thousandth of an H100e before
//! anything is decided); every figure the core decides on stays integer. One generator
//! (`fastrand`'s wyrand) seeded explicitly: same scenario and seed, same output.

use serde_json::{json, Value};

use crate::engine::{Engine, Run};
use crate::error::SimError;
use crate::scenario::{levels, Distribution, Scenario};

/// Percentiles of one country's quarter of exhaustion (quarter indices; `None` = never).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McCountry {
    /// The country.
    pub country: String,
    /// 10th percentile.
    pub p10: Option<usize>,
    /// Median.
    pub p50: Option<usize>,
    /// 90th percentile.
    pub p90: Option<usize>,
    /// Runs in which the country was exhausted within the period.
    pub exhausted_runs: u32,
}

/// The summary of a Monte Carlo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McResult {
    /// Runs.
    pub runs: u32,
    /// Seed.
    pub seed: u64,
    /// Per country, by code.
    pub countries: Vec<McCountry>,
}

impl McResult {
    /// As JSON (quarters written out with the run's quarters).
    pub fn to_json(&self, run: &Run) -> Value {
        let q = |k: Option<usize>| {
            k.and_then(|k| run.quarters.get(k))
                .map_or(Value::Null, |q| Value::from(q.to_string()))
        };
        json!({
            "runs": self.runs,
            "seed": self.seed,
            "countries": self.countries.iter().map(|c| json!({
                "country": c.country,
                "p10": q(c.p10),
                "p50": q(c.p50),
                "p90": q(c.p90),
                "exhausted_runs": c.exhausted_runs,
            })).collect::<Vec<_>>(),
        })
    }
}

/// One sample of a distribution, H100e per quarter (non-negative).
pub fn sample(d: &Distribution, rng: &mut fastrand::Rng) -> f64 {
    match *d {
        Distribution::Triangular { low, mode, high } => {
            let u = rng.f64();
            let span = high - low;
            let fc = (mode - low) / span;
            if u < fc {
                low + (u * span * (mode - low)).sqrt()
            } else {
                high - ((1.0 - u) * span * (high - mode)).sqrt()
            }
        }
        Distribution::Lognormal { median, sigma } => {
            // Box-Muller; u1 in (0, 1].
            let u1 = 1.0 - rng.f64();
            let u2 = rng.f64();
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            median * (sigma * z).exp()
        }
    }
    .max(0.0)
}

/// Milli-TPP of a sampled level of H100e (rounded to a thousandth of an H100e first).
fn to_tpp_milli(h100e: f64, h100_milli: u64) -> u64 {
    let milli_h = (h100e * 1000.0).round();
    let milli_h = if (0.0..1e15).contains(&milli_h) {
        milli_h as u64
    } else {
        0
    };
    u64::try_from(u128::from(milli_h) * u128::from(h100_milli) / 1000).unwrap_or(u64::MAX)
}

/// Nearest-rank percentile of sorted values, `None` sorting last.
fn percentile(sorted: &[Option<usize>], p: usize) -> Option<usize> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().flatten()
}

/// Runs the scenario's Monte Carlo (`runs` and `seed` from the file unless given).
pub fn run(sc: &Scenario, runs: u32, seed: u64) -> Result<McResult, SimError> {
    let engine = Engine::new(sc)?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let per_quarter = sc.monte_carlo.as_ref().is_some_and(|m| m.per_quarter);
    let mut exh: Vec<Vec<Option<usize>>> = Vec::new();
    let mut codes: Vec<String> = Vec::new();
    for _ in 0..runs {
        let demand: Vec<Vec<u64>> = sc
            .demand
            .iter()
            .map(|d| match &d.distribution {
                None => d.tpp_milli.clone(),
                Some(dist) if per_quarter => {
                    let base = levels(
                        1_000_000,
                        &sc.quarters,
                        d.active,
                        d.growth_milli_percent_per_quarter,
                        d.growth_milli_percent_per_year,
                    );
                    base.iter()
                        .map(|g| {
                            let s = sample(dist, &mut rng);
                            let t = u128::from(to_tpp_milli(s, sc.h100_tpp_milli)) * u128::from(*g)
                                / 1_000_000;
                            u64::try_from(t).unwrap_or(u64::MAX)
                        })
                        .collect()
                }
                Some(dist) => {
                    let s = sample(dist, &mut rng);
                    levels(
                        to_tpp_milli(s, sc.h100_tpp_milli),
                        &sc.quarters,
                        d.active,
                        d.growth_milli_percent_per_quarter,
                        d.growth_milli_percent_per_year,
                    )
                }
            })
            .collect();
        let r = engine.run(&demand)?;
        if codes.is_empty() {
            codes = r
                .countries
                .iter()
                .map(|c| c.country.as_str().to_string())
                .collect();
            exh = vec![Vec::with_capacity(runs as usize); codes.len()];
        }
        for (i, c) in r.countries.iter().enumerate() {
            if let Some(v) = exh.get_mut(i) {
                v.push(c.exhausted);
            }
        }
    }
    let countries = codes
        .into_iter()
        .zip(exh)
        .map(|(country, mut v)| {
            v.sort_by_key(|k| k.unwrap_or(usize::MAX));
            McCountry {
                country,
                p10: percentile(&v, 10),
                p50: percentile(&v, 50),
                p90: percentile(&v, 90),
                exhausted_runs: u32::try_from(v.iter().filter(|k| k.is_some()).count())
                    .unwrap_or(u32::MAX),
            }
        })
        .collect();
    Ok(McResult {
        runs,
        seed,
        countries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_with_never_last() {
        let v = [
            Some(1),
            Some(2),
            Some(3),
            Some(4),
            Some(5),
            Some(6),
            Some(7),
            Some(8),
            None,
            None,
        ];
        assert_eq!(percentile(&v, 10), Some(1));
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), None);
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn triangular_samples_stay_in_range_and_same_seed_same_samples() {
        let d = Distribution::Triangular {
            low: 5.0,
            mode: 10.0,
            high: 20.0,
        };
        let mut a = fastrand::Rng::with_seed(7);
        let mut b = fastrand::Rng::with_seed(7);
        for _ in 0..1000 {
            let x = sample(&d, &mut a);
            assert!((5.0..=20.0).contains(&x));
            assert_eq!(x.to_bits(), sample(&d, &mut b).to_bits());
        }
    }

    #[test]
    fn lognormal_median_is_near_the_median() {
        let d = Distribution::Lognormal {
            median: 100.0,
            sigma: 0.5,
        };
        let mut r = fastrand::Rng::with_seed(1);
        let mut v: Vec<f64> = (0..2001).map(|_| sample(&d, &mut r)).collect();
        v.sort_by(f64::total_cmp);
        assert!((90.0..110.0).contains(&v[1000]), "{}", v[1000]);
    }

    #[test]
    fn levels_round_to_thousandths_of_an_h100() {
        assert_eq!(to_tpp_milli(1.0, 15_832_000), 15_832_000);
        assert_eq!(to_tpp_milli(0.0004, 15_832_000), 0);
        assert_eq!(to_tpp_milli(f64::NAN, 15_832_000), 0);
    }
}
