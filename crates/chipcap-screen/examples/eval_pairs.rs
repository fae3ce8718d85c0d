//! Precision, recall and F1 of the matcher on labelled name pairs.
//!
//! ```text
//! cargo run -p chipcap-screen --example eval_pairs --release -- testdata/screening/cascade-name-pairs.csv [threshold] [--errors]
//! cargo run -p chipcap-screen --example eval_pairs --release -- testdata/screening/cross-script-pairs.csv
//! ```
//!
//! A file with a `script` column (the cross-script set) is also reported per script.
//!
//! ```text
//! ```

use chipcap_screen::eval::evaluate_pairs;
use chipcap_screen::MatchConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: eval_pairs PAIRS.csv [threshold] [--errors]")?;
    let show_errors = args.iter().any(|a| a == "--errors");
    let mut config = MatchConfig::default();
    if let Some(t) = args.get(1).filter(|a| !a.starts_with("--")) {
        config = MatchConfig::new(t.parse()?, 0.0)?;
    }
    let bytes = std::fs::read(path)?;
    let r = evaluate_pairs(&bytes, &config, 0.80)?;
    println!("pairs: {}   threshold: {:.2}", r.pairs.len(), r.threshold);
    let o = r.overall;
    println!(
        "chipcap-screen: precision {:.3}  recall {:.3}  F1 {:.3}  accuracy {:.3}  (tp {} fp {} fn {} tn {})",
        o.precision(),
        o.recall(),
        o.f1(),
        o.accuracy(),
        o.tp,
        o.fp,
        o.fn_,
        o.tn
    );
    if let Some(b) = r.reference {
        println!(
            "reference score column at {:.2}: precision {:.3}  recall {:.3}  F1 {:.3}",
            r.reference_threshold,
            b.precision(),
            b.recall(),
            b.f1()
        );
    }
    // Precision is undefined without predicted matches, recall without labelled matches: "-".
    let fmt = |defined: bool, v: f64| {
        if defined {
            format!("{v:.2}")
        } else {
            "-".to_string()
        }
    };
    let table =
        |title: &str, rows: &std::collections::BTreeMap<String, chipcap_screen::eval::Counts>| {
            println!(
                "\n| {title} | pairs | correct | tp | fp | fn | tn | precision | recall | F1 |"
            );
            println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (c, k) in rows {
                let (p_def, r_def) = (k.tp + k.fp > 0, k.tp + k.fn_ > 0);
                println!(
                    "| {c} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    k.tp + k.fp + k.fn_ + k.tn,
                    k.tp + k.tn,
                    k.tp,
                    k.fp,
                    k.fn_,
                    k.tn,
                    fmt(p_def, k.precision()),
                    fmt(r_def, k.recall()),
                    fmt(p_def || r_def, k.f1())
                );
            }
        };
    if !r.by_script.is_empty() {
        table("script", &r.by_script);
    }
    // Classes of matches are judged by F1; classes of non-matches (F1 undefined) by the share of
    // pairs kept apart.
    let worst = r
        .by_category
        .iter()
        .map(|(c, k)| {
            let v = if k.tp + k.fn_ > 0 {
                k.f1()
            } else {
                k.accuracy()
            };
            (c, v)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((c, v)) = worst {
        println!("\nlowest class: {c} {v:.3} (F1 for classes of matches, accuracy for classes of non-matches)");
    }
    println!("\n| category | pairs | correct | tp | fp | fn | tn | precision | recall | F1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (c, k) in &r.by_category {
        let (p_def, r_def) = (k.tp + k.fp > 0, k.tp + k.fn_ > 0);
        println!(
            "| {c} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            k.tp + k.fp + k.fn_ + k.tn,
            k.tp + k.tn,
            k.tp,
            k.fp,
            k.fn_,
            k.tn,
            fmt(p_def, k.precision()),
            fmt(r_def, k.recall()),
            fmt(p_def || r_def, k.f1())
        );
    }
    if show_errors {
        println!("\nerrors:");
        for p in r
            .pairs
            .iter()
            .filter(|p| (p.score >= r.threshold) != p.is_match)
        {
            println!(
                "  {:<5} {:.3} [{}] {}  <->  {}",
                if p.is_match { "FN" } else { "FP" },
                p.score,
                p.category,
                p.name1,
                p.name2
            );
        }
    }
    Ok(())
}
