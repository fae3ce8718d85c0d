#![no_main]
use libfuzzer_sys::fuzz_target;

// Normalisation and scoring of arbitrary names (split at the first NUL) must not panic and must
// keep scores in [0, 1].
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    let _ = chipcap_screen::normalize(a);
    let e = chipcap_screen::score(a, b, &chipcap_screen::MatchConfig::default());
    assert!((0.0..=1.0).contains(&e.score));
});
