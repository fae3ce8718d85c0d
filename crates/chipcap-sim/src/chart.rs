//! SVG charts of a run, drawn with `plotters` (SVG backend only). Display only: the figures are
//! converted to H100-equivalents as floats here and nowhere else.
//!
//! - `burndown-CC.svg`: a country's allocation remaining each quarter, with the 80/90/95/100% marks;
//! - `granted-by-tier-channel.svg`: cumulative compute granted by tier and authorisation;
//! - `nveu-staircase.svg`: the NVEU per-country cap, quarter by quarter, against installed bases;
//! - `uveu-shares.svg`: each UVEU's share of its installed base per country, with the limit.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::engine::Run;
use crate::error::SimError;
use crate::scenario::Scenario;

const W: u32 = 900;
const H: u32 = 520;
const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// H100-equivalents of milli-TPP, for drawing only.
fn h(milli: i64, h100_milli: u64) -> f64 {
    milli as f64 / h100_milli.max(1) as f64
}

struct Line {
    label: String,
    points: Vec<(i32, f64)>,
    dashed: bool,
}

fn chart_err(name: &str, e: impl std::fmt::Display) -> SimError {
    SimError::Chart {
        name: name.to_string(),
        message: e.to_string(),
    }
}

/// Draws lines over the run's quarters.
fn draw(
    name: &str,
    title: &str,
    y_desc: &str,
    run: &Run,
    lines: &[Line],
    step: bool,
) -> Result<String, SimError> {
    let n = run.quarters.len().max(1) as i32;
    let ymax = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.08;
    let labels: Vec<String> = run.quarters.iter().map(|q| q.to_string()).collect();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_err(name, e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0i32..n, 0f64..ymax)
            .map_err(|e| chart_err(name, e))?;
        let fmt_x = |x: &i32| {
            usize::try_from(*x)
                .ok()
                .and_then(|i| labels.get(i))
                .cloned()
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(labels.len().min(16))
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&|v: &f64| format!("{v:.0}"))
            .x_desc("end of quarter")
            .y_desc(y_desc)
            .draw()
            .map_err(|e| chart_err(name, e))?;
        for (i, l) in lines.iter().enumerate() {
            let c = color(i);
            let pts: Vec<(i32, f64)> = if step {
                let mut v = Vec::new();
                for (j, p) in l.points.iter().enumerate() {
                    if j > 0 {
                        v.push((p.0, l.points[j - 1].1));
                    }
                    v.push(*p);
                }
                if let Some(last) = l.points.last() {
                    v.push((last.0 + 1, last.1));
                }
                v
            } else {
                l.points.clone()
            };
            let style = if l.dashed {
                c.mix(0.6).stroke_width(1)
            } else {
                c.stroke_width(2)
            };
            chart
                .draw_series(LineSeries::new(pts, style))
                .map_err(|e| chart_err(name, e))?
                .label(l.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| chart_err(name, e))?;
        root.present().map_err(|e| chart_err(name, e))?;
    }
    Ok(buf)
}

/// Every chart that applies to the run, as `(file name, SVG text)`.
pub fn charts(sc: &Scenario, run: &Run) -> Result<Vec<(String, String)>, SimError> {
    let hm = sc.h100_tpp_milli;
    let mut out = Vec::new();
    let idx = |k: usize| i32::try_from(k).unwrap_or(i32::MAX);

    // 1. Burn-down per country.
    for c in &run.countries {
        let Some(cap) = c.cap.iter().flatten().copied().max() else {
            continue;
        };
        let name = format!("burndown-{}.svg", c.country.as_str());
        let mut lines = vec![Line {
            label: "allocation remaining".into(),
            points: (0..run.quarters.len())
                .filter_map(|k| c.cap[k].map(|cp| (idx(k), h(cp - c.used[k], hm))))
                .collect(),
            dashed: false,
        }];
        lines.push(Line {
            label: format!("allocation ({:.0} H100e)", h(cap, hm)),
            points: vec![(0, h(cap, hm)), (idx(run.quarters.len()), h(cap, hm))],
            dashed: true,
        });
        for t in crate::report::THRESHOLDS {
            let left = cap - cap * i64::from(t) / 100;
            let at = c
                .threshold(t)
                .map(|k| format!(" (reached {})", run.quarters[k]))
                .unwrap_or_default();
            lines.push(Line {
                label: format!("{t}% used{at}"),
                points: vec![(0, h(left, hm)), (idx(run.quarters.len()), h(left, hm))],
                dashed: true,
            });
        }
        let title = format!(
            "{}: country allocation remaining ({}){}",
            c.country.as_str(),
            sc.rule_set,
            c.exhausted
                .map(|k| format!(", exhausted {}", run.quarters[k]))
                .unwrap_or_default()
        );
        out.push((
            name.clone(),
            draw(&name, &title, "H100-equivalents", run, &lines, false)?,
        ));
    }

    // 2. Granted by tier and authorisation, cumulative.
    let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let n = run.quarters.len();
    for c in &run.countries {
        for (label, v) in &c.granted_by_authorization {
            for (k, m) in v.iter().enumerate() {
                let tier = c.tier[k].map_or("no tier".to_string(), |t| format!("Tier {t}"));
                let g = groups
                    .entry(format!("{tier} {label}"))
                    .or_insert_with(|| vec![0; n]);
                g[k] = g[k].saturating_add(*m);
            }
        }
    }
    if !groups.is_empty() {
        let lines: Vec<Line> = groups
            .into_iter()
            .map(|(label, v)| {
                let mut acc = 0i64;
                Line {
                    label,
                    points: v
                        .iter()
                        .enumerate()
                        .map(|(k, m)| {
                            acc = acc.saturating_add(*m);
                            (idx(k), h(acc, hm))
                        })
                        .collect(),
                    dashed: false,
                }
            })
            .collect();
        let name = "granted-by-tier-channel.svg".to_string();
        let title = format!(
            "Compute granted by tier and authorisation, cumulative ({})",
            sc.rule_set
        );
        out.push((
            name.clone(),
            draw(&name, &title, "H100-equivalents", run, &lines, false)?,
        ));
    }

    // 3. NVEU staircase.
    let nveu: Vec<_> = run.veu.iter().filter(|v| v.kind == "nveu").collect();
    if !nveu.is_empty() && run.nveu_cap.iter().any(Option::is_some) {
        let mut lines = vec![Line {
            label: "NVEU cap per country (748.15(a)(2)(iii)(B))".into(),
            points: (0..n)
                .filter_map(|k| run.nveu_cap[k].map(|c| (idx(k), h(c, hm))))
                .collect(),
            dashed: false,
        }];
        for v in nveu {
            lines.push(Line {
                label: format!("{} in {}", v.consignee, v.country),
                points: v
                    .installed
                    .iter()
                    .enumerate()
                    .map(|(k, m)| (idx(k), h(*m, hm)))
                    .collect(),
                dashed: false,
            });
        }
        let name = "nveu-staircase.svg".to_string();
        out.push((
            name.clone(),
            draw(
                &name,
                "NVEU cap against installed base",
                "H100-equivalents",
                run,
                &lines,
                true,
            )?,
        ));
    }

    // 4. UVEU shares.
    let uveu: Vec<_> = run.veu.iter().filter(|v| v.kind == "uveu").collect();
    if !uveu.is_empty() {
        let mut totals: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for v in &uveu {
            let t = totals
                .entry(v.consignee.as_str())
                .or_insert_with(|| vec![0; n]);
            for (k, m) in v.installed.iter().enumerate() {
                t[k] = t[k].saturating_add(*m);
            }
        }
        let mut lines: Vec<Line> = uveu
            .iter()
            .map(|v| Line {
                label: format!("{} in {}", v.consignee, v.country),
                points: v
                    .installed
                    .iter()
                    .enumerate()
                    .map(|(k, m)| {
                        let t = totals.get(v.consignee.as_str()).map_or(0, |t| t[k]);
                        (
                            idx(k),
                            if t > 0 {
                                100.0 * *m as f64 / t as f64
                            } else {
                                0.0
                            },
                        )
                    })
                    .collect(),
                dashed: false,
            })
            .collect();
        if let Some(q) = run.quarters.first() {
            let lim = *sc
                .rules
                .params
                .uveu_max_tier2_country_percent
                .at(q.first_day())
                .value;
            lines.push(Line {
                label: format!("limit in one Tier 2 country ({lim}%)"),
                points: vec![(0, f64::from(lim)), (idx(n), f64::from(lim))],
                dashed: true,
            });
        }
        let name = "uveu-shares.svg".to_string();
        out.push((
            name.clone(),
            draw(
                &name,
                "UVEU installed base by country, share of the UVEU's total",
                "percent",
                run,
                &lines,
                false,
            )?,
        ));
    }
    Ok(out)
}
