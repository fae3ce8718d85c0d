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

/// A run's index and each country's quarter of exhaustion.
type RunResult = (u32, Vec<Option<usize>>);

/// The generator of run `r`: seeded from the scenario's seed and the run's index (SplitMix64), so
/// that runs are independent of one another and of how many threads share them.
fn run_rng(seed: u64, r: u32) -> fastrand::Rng {
    let mut z = seed ^ u64::from(r).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    fastrand::Rng::with_seed(z ^ (z >> 31))
}

/// The sampled demand of one run, milli-TPP per line and quarter.
fn sampled(sc: &Scenario, rng: &mut fastrand::Rng, per_quarter: bool) -> Vec<Vec<u64>> {
    sc.demand
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
                        let s = sample(dist, rng);
                        let t = u128::from(to_tpp_milli(s, sc.h100_tpp_milli)) * u128::from(*g)
                            / 1_000_000;
                        u64::try_from(t).unwrap_or(u64::MAX)
                    })
                    .collect()
            }
            Some(dist) => {
                let s = sample(dist, rng);
                levels(
                    to_tpp_milli(s, sc.h100_tpp_milli),
                    &sc.quarters,
                    d.active,
                    d.growth_milli_percent_per_quarter,
                    d.growth_milli_percent_per_year,
                )
            }
        })
        .collect()
}

/// Runs the scenario's Monte Carlo: `runs` runs, run `r` drawing from its own generator seeded
/// from `seed` and `r`, shared among `threads` threads (the result does not depend on how many).
pub fn run_threads(
    sc: &Scenario,
    runs: u32,
    seed: u64,
    threads: usize,
) -> Result<McResult, SimError> {
    let engine = Engine::new(sc)?;
    let per_quarter = sc.monte_carlo.as_ref().is_some_and(|m| m.per_quarter);
    let threads = threads.clamp(1, 64);
    let one = |r: u32| -> Result<Vec<Option<usize>>, SimError> {
        let mut rng = run_rng(seed, r);
        engine.exhaustion(&sampled(sc, &mut rng, per_quarter))
    };
    // Thread t takes runs t, t + threads, ...; results are put back in run order.
    let mut per_run: Vec<Vec<Option<usize>>> = vec![Vec::new(); runs as usize];
    let parts: Vec<Result<Vec<RunResult>, SimError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let one = &one;
                s.spawn(move || {
                    let mut out = Vec::new();
                    let mut r = t as u32;
                    while r < runs {
                        out.push((r, one(r)?));
                        r += threads as u32;
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(SimError::Ledger("a Monte Carlo thread failed".into())))
            })
            .collect()
    });
    for p in parts {
        for (r, v) in p? {
            if let Some(slot) = per_run.get_mut(r as usize) {
                *slot = v;
            }
        }
    }
    let codes: Vec<String> = engine
        .countries()
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    let countries = codes
        .into_iter()
        .enumerate()
        .map(|(i, country)| {
            let mut v: Vec<Option<usize>> = per_run
                .iter()
                .map(|r| r.get(i).copied().flatten())
                .collect();
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

/// Runs the scenario's Monte Carlo on as many threads as the machine offers.
pub fn run(sc: &Scenario, runs: u32, seed: u64) -> Result<McResult, SimError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    run_threads(sc, runs, seed, threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_generators_differ_by_run_and_repeat_by_seed() {
        let a = run_rng(42, 0).u64(..);
        assert_eq!(a, run_rng(42, 0).u64(..));
        assert_ne!(a, run_rng(42, 1).u64(..));
        assert_ne!(a, run_rng(43, 0).u64(..));
    }

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
