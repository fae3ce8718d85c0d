//! Import the sample lists and print counts (entries, aliases, addresses) per file.
//!
//! ```text
//! cargo run -p chipcap-screen --example list_stats -- testdata/screening
//! ```

use chipcap_screen::{parse_bis_dpl, parse_csl_csv, parse_ofac_sdn, Entry};

fn stats(label: &str, e: &[Entry]) {
    let aliases: usize = e.iter().map(|x| x.alt_names.len()).sum();
    let addresses: usize = e.iter().map(|x| x.addresses.len()).sum();
    println!(
        "{label}: entries {} aliases {aliases} addresses {addresses}",
        e.len()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/screening".into());
    let p = |f: &str| std::path::Path::new(&dir).join(f);
    let sdn = std::fs::read(p("ofac-sdn.csv"))?;
    let alt = std::fs::read(p("ofac-alt.csv"))?;
    let add = std::fs::read(p("ofac-add.csv"))?;
    stats("ofac", &parse_ofac_sdn(&sdn, Some(&alt), Some(&add))?);
    stats(
        "csl-current",
        &parse_csl_csv(&std::fs::read(p("csl-consolidated-sample.csv"))?)?,
    );
    stats(
        "csl-legacy",
        &parse_csl_csv(&std::fs::read(p("csl-legacy-sample.csv"))?)?,
    );
    stats(
        "dpl",
        &parse_bis_dpl(&std::fs::read(p("bis-denied-persons.txt"))?)?,
    );
    Ok(())
}
