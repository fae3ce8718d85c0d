#![no_main]
use libfuzzer_sys::fuzz_target;

// The input is split in three at the first two NUL bytes: sdn.csv, alt.csv, add.csv.
fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let sdn = parts.next().unwrap_or_default();
    let alt = parts.next();
    let add = parts.next();
    let _ = chipcap_screen::parse_ofac_sdn(sdn, alt, add);
});
