//! A small scanner for the common shape of a request document, the fast path of
//! [`parse_request`](super::parse_request).
//!
//! It reads the same DTOs as serde does, borrowing from the text, but only documents it is sure of:
//! objects with known keys at most once each, strings without escapes or control characters, numbers
//! in strict JSON syntax, `true`/`false`, and nothing after the document but whitespace. Anything else
//! (an escape, `null`, an unknown or repeated key, a missing field, a syntax error, a value of another
//! type, `context.screening`, an `id` that is not a string or number) makes it return `None`, and the
//! document is read by serde instead, which accepts it or names the error exactly as before. So when it
//! answers, it answers what serde would have; the tests check that on every scenario and many variants.

use std::borrow::Cow;

use super::{
    ByCountry, ConsigneeDto, ContextDto, ItemDto, OptionsDto, PartyDto, Raw, RequestDto, WeightsDto,
};

/// Reads a request document into `dto` (built in place: the DTOs are large), or `None` to let serde
/// read it (`dto` is then left partly filled).
pub(super) fn request<'a>(json: &'a str, dto: &mut RequestDto<'a>) -> Option<()> {
    let mut s = Scanner {
        text: json,
        b: json.as_bytes(),
        i: 0,
    };
    s.ws();
    s.request(dto)?;
    s.ws();
    (s.i == s.b.len()).then_some(())
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

/// Records a key as seen; `None` when it was seen before (serde: "duplicate field").
fn once(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

/// The number of leading bytes that may stand in a JSON string as they are: everything but `"`, `\`
/// and control characters; eight bytes at a time (SWAR, as in the JSON writer's escape check).
fn plain_len(b: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let mut n = 0;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        let lt = x.wrapping_sub(LO * 0x20) & !x & HI;
        let special =
            lt | has_zero(x ^ (LO * u64::from(b'"'))) | has_zero(x ^ (LO * u64::from(b'\\')));
        if special != 0 {
            // The lowest flagged byte is always a true match (borrows only run upwards).
            return n + (special.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + chunks
        .remainder()
        .iter()
        .take_while(|&&c| c >= 0x20 && c != b'"' && c != b'\\')
        .count()
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// JSON whitespace: space, tab, line feed, carriage return.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes or control characters; the text between the quotes.
    #[inline(always)]
    fn str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        self.i += plain_len(&self.b[start..]);
        if self.peek()? != b'"' {
            return None;
        }
        // Both ends are ASCII quotes, so these are character boundaries.
        let v = self.text.get(start..self.i)?;
        self.i += 1;
        Some(v)
    }

    fn cow(&mut self) -> Option<Cow<'a, str>> {
        self.str().map(Cow::Borrowed)
    }

    fn string(&mut self) -> Option<String> {
        self.str().map(String::from)
    }

    fn bool(&mut self) -> Option<bool> {
        let rest = &self.b[self.i..];
        if rest.starts_with(b"true") {
            self.i += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.i += 5;
            Some(false)
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A number in strict JSON syntax, or a string (with its quotes), as the document spells it.
    fn raw(&mut self) -> Option<Raw<'a>> {
        let start = self.i;
        if self.peek() == Some(b'"') {
            self.str()?;
        } else {
            if self.peek() == Some(b'-') {
                self.i += 1;
            }
            match self.peek()? {
                b'0' => {
                    self.i += 1;
                    if let Some(b'0'..=b'9') = self.peek() {
                        return None;
                    }
                }
                b'1'..=b'9' => {
                    self.digits();
                }
                _ => return None,
            }
            if self.peek() == Some(b'.') {
                self.i += 1;
                if self.digits() == 0 {
                    return None;
                }
            }
            if let Some(b'e' | b'E') = self.peek() {
                self.i += 1;
                if let Some(b'+' | b'-') = self.peek() {
                    self.i += 1;
                }
                if self.digits() == 0 {
                    return None;
                }
            }
        }
        self.text.get(start..self.i).map(Raw)
    }

    /// Calls `field` for each key of an object, positioned at its value; `field` reads the value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let key = self.str()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            field(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads the elements of an array with `elem`.
    fn array<T>(&mut self, mut elem: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        self.ws();
        if self.eat(b']').is_some() {
            return Some(Vec::new());
        }
        // The room the first push would give (4 for elements this size), without the growth path.
        let mut v = Vec::with_capacity(4);
        loop {
            self.ws();
            v.push(elem(self)?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(v);
                }
                _ => return None,
            }
        }
    }

    fn request(&mut self, d: &mut RequestDto<'a>) -> Option<()> {
        let mut seen = 0u32;
        self.object(|s, key| {
            match key {
                "id" => {
                    once(&mut seen, 1)?;
                    d.id = Some(s.raw()?);
                }
                "date" => {
                    once(&mut seen, 1 << 1)?;
                    d.date = Some(s.cow()?);
                }
                "destination" => {
                    once(&mut seen, 1 << 2)?;
                    d.destination = s.cow()?;
                }
                "items" => {
                    once(&mut seen, 1 << 3)?;
                    d.items = Some(s.array(Self::item)?);
                }
                "model_weights" => {
                    once(&mut seen, 1 << 4)?;
                    d.model_weights = Some(s.weights()?);
                }
                "consignee" => {
                    once(&mut seen, 1 << 5)?;
                    s.consignee(d.consignee.insert(ConsigneeDto::default()))?;
                }
                "end_use" => {
                    once(&mut seen, 1 << 6)?;
                    d.end_use = Some(s.cow()?);
                }
                "end_user" => {
                    once(&mut seen, 1 << 7)?;
                    d.end_user = Some(s.party()?);
                }
                "intermediate_consignees" => {
                    once(&mut seen, 1 << 8)?;
                    d.intermediate_consignees = Some(s.array(Self::party)?);
                }
                "context" => {
                    once(&mut seen, 1 << 9)?;
                    s.context(d.context.insert(ContextDto::default()))?;
                }
                "options" => {
                    once(&mut seen, 1 << 10)?;
                    s.options(d.options.insert(OptionsDto::default()))?;
                }
                "rule_set" => {
                    once(&mut seen, 1 << 11)?;
                    d.rule_set = Some(s.cow()?);
                }
                "transaction" => {
                    once(&mut seen, 1 << 12)?;
                    d.transaction = Some(s.cow()?);
                }
                _ => return None,
            }
            Some(())
        })?;
        // `destination` is required.
        (seen & 1 << 2 != 0).then_some(())
    }

    fn item(&mut self) -> Option<ItemDto<'a>> {
        let mut seen = 0u32;
        let mut chip = None;
        let mut tpp = None;
        let mut die_area_mm2 = None;
        let mut datacenter = None;
        let mut quantity = None;
        let mut form = None;
        let mut dram_bandwidth_gbps = None;
        let mut us_available_from = None;
        let mut designer_country = None;
        let mut memory_bandwidth_gbps = None;
        let mut package_area_mm2 = None;
        self.object(|s, key| {
            match key {
                "chip" => {
                    once(&mut seen, 1)?;
                    chip = Some(s.cow()?);
                }
                "tpp" => {
                    once(&mut seen, 1 << 1)?;
                    tpp = Some(s.raw()?);
                }
                "die_area_mm2" => {
                    once(&mut seen, 1 << 2)?;
                    die_area_mm2 = Some(s.raw()?);
                }
                "datacenter" => {
                    once(&mut seen, 1 << 3)?;
                    datacenter = Some(s.bool()?);
                }
                "quantity" => {
                    once(&mut seen, 1 << 4)?;
                    quantity = Some(s.raw()?);
                }
                "form" => {
                    once(&mut seen, 1 << 5)?;
                    form = Some(s.cow()?);
                }
                "dram_bandwidth_gbps" => {
                    once(&mut seen, 1 << 6)?;
                    dram_bandwidth_gbps = Some(s.raw()?);
                }
                "us_available_from" => {
                    once(&mut seen, 1 << 7)?;
                    us_available_from = Some(s.cow()?);
                }
                "designer_country" => {
                    once(&mut seen, 1 << 8)?;
                    designer_country = Some(s.cow()?);
                }
                "memory_bandwidth_gbps" => {
                    once(&mut seen, 1 << 9)?;
                    memory_bandwidth_gbps = Some(s.raw()?);
                }
                "package_area_mm2" => {
                    once(&mut seen, 1 << 10)?;
                    package_area_mm2 = Some(s.raw()?);
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(ItemDto {
            chip,
            tpp,
            die_area_mm2,
            datacenter,
            quantity: quantity?,
            form,
            dram_bandwidth_gbps,
            us_available_from,
            designer_country,
            memory_bandwidth_gbps,
            package_area_mm2,
        })
    }

    fn weights(&mut self) -> Option<WeightsDto<'a>> {
        let mut seen = 0u32;
        let mut training_operations = None;
        let mut published = false;
        self.object(|s, key| {
            match key {
                "training_operations" => {
                    once(&mut seen, 1)?;
                    training_operations = Some(s.raw()?);
                }
                "published" => {
                    once(&mut seen, 1 << 1)?;
                    published = s.bool()?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(WeightsDto {
            training_operations: training_operations?,
            published,
        })
    }

    fn consignee(&mut self, c: &mut ConsigneeDto<'a>) -> Option<()> {
        let mut seen = 0u32;
        self.object(|s, key| {
            match key {
                "name" => {
                    once(&mut seen, 1)?;
                    c.name = Some(s.string()?);
                }
                "headquarters" => {
                    once(&mut seen, 1 << 1)?;
                    c.headquarters = Some(s.cow()?);
                }
                "authorization" => {
                    once(&mut seen, 1 << 2)?;
                    c.authorization = Some(s.cow()?);
                }
                "iaas_provider" => {
                    once(&mut seen, 1 << 3)?;
                    c.iaas_provider = s.bool()?;
                }
                _ => return None,
            }
            Some(())
        })
    }

    fn party(&mut self) -> Option<PartyDto<'a>> {
        let mut seen = 0u32;
        let mut name = None;
        let mut country = None;
        self.object(|s, key| {
            match key {
                "name" => {
                    once(&mut seen, 1)?;
                    name = Some(s.string()?);
                }
                "country" => {
                    once(&mut seen, 1 << 1)?;
                    country = Some(s.cow()?);
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(PartyDto {
            name: name?,
            country,
        })
    }

    fn context(&mut self, c: &mut ContextDto<'a>) -> Option<()> {
        let mut seen = 0u32;
        self.object(|s, key| {
            match key {
                "country_allocation_used_tpp" => {
                    once(&mut seen, 1)?;
                    c.country_allocation_used_tpp = Some(s.raw()?);
                }
                "government_assurances" => {
                    once(&mut seen, 1 << 1)?;
                    c.government_assurances = s.bool()?;
                }
                "assurance_uplift_percent" => {
                    once(&mut seen, 1 << 2)?;
                    c.assurance_uplift_percent = Some(s.raw()?);
                }
                "consignee_lpp_used_tpp" => {
                    once(&mut seen, 1 << 3)?;
                    c.consignee_lpp_used_tpp = Some(s.raw()?);
                }
                "nveu_installed_tpp" => {
                    once(&mut seen, 1 << 4)?;
                    c.nveu_installed_tpp = Some(s.raw()?);
                }
                "uveu_installed_tpp_by_country" => {
                    once(&mut seen, 1 << 5)?;
                    // As serde fills a map: sorted by key, a repeated key keeps its last value.
                    let mut m: Vec<(Cow<'a, str>, Raw<'a>)> = Vec::new();
                    s.object(|s, k| {
                        let v = s.raw()?;
                        match m.binary_search_by(|(key, _)| key.as_ref().cmp(k)) {
                            Ok(i) => m[i].1 = v,
                            Err(i) => m.insert(i, (Cow::Borrowed(k), v)),
                        }
                        Some(())
                    })?;
                    c.uveu_installed_tpp_by_country = Some(ByCountry(m));
                }
                "consignee_aia_cumulative_tpp" => {
                    once(&mut seen, 1 << 6)?;
                    c.consignee_aia_cumulative_tpp = Some(s.raw()?);
                }
                "most_capable_published_model_operations" => {
                    once(&mut seen, 1 << 7)?;
                    c.most_capable_published_model_operations = Some(s.raw()?);
                }
                // `screening` (and anything else) is left to serde.
                _ => return None,
            }
            Some(())
        })
    }

    fn options(&mut self, o: &mut OptionsDto<'a>) -> Option<()> {
        let mut seen = 0u32;
        self.object(|s, key| {
            match key {
                "strict_740_2" => {
                    once(&mut seen, 1)?;
                    o.strict_740_2 = s.bool()?;
                }
                "model_threshold_operations" => {
                    once(&mut seen, 1 << 1)?;
                    o.model_threshold_operations = Some(s.raw()?);
                }
                "h100_tpp" => {
                    once(&mut seen, 1 << 2)?;
                    o.h100_tpp = Some(s.raw()?);
                }
                "rule_set" => {
                    once(&mut seen, 1 << 3)?;
                    o.rule_set = Some(s.string()?);
                }
                "skip_screening" => {
                    once(&mut seen, 1 << 4)?;
                    o.skip_screening = s.bool()?;
                }
                _ => return None,
            }
            Some(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scenario requests, compact and indented.
    fn corpus() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            let case: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let req = &case["request"];
            out.push(req.to_string());
            out.push(serde_json::to_string_pretty(req).unwrap_or_default());
        }
        assert!(out.len() >= 160, "expected the scenario files");
        out
    }

    /// When the scanner answers, serde must accept the document and read the same thing.
    fn agrees(doc: &str) -> bool {
        let mut fast = RequestDto::default();
        match request(doc, &mut fast) {
            None => false,
            Some(()) => {
                let slow = serde_json::from_str::<RequestDto<'_>>(doc);
                assert_eq!(slow.as_ref().ok(), Some(&fast), "{doc}");
                true
            }
        }
    }

    #[test]
    fn reads_the_scenarios_as_serde_does() {
        let docs = corpus();
        let mut fast = 0;
        for d in &docs {
            if agrees(d) {
                fast += 1;
            } else {
                // Only `context.screening` and `context.china_us_by_chip` (both filled by the
                // edges, rare in documents) are meant for serde.
                assert!(
                    d.contains("\"screening\"") || d.contains("\"china_us_by_chip\""),
                    "scanner declined {d}"
                );
            }
        }
        assert!(fast * 4 >= docs.len() * 3, "{fast} of {}", docs.len());
    }

    #[test]
    fn never_disagrees_with_serde_on_variants() {
        let pieces = [
            "\"",
            "\\",
            "\\\"",
            "\\u0041",
            "\\n",
            "é",
            "0",
            "-",
            ".",
            "e",
            "E5",
            "+",
            "1",
            "9",
            "null",
            "true",
            "false",
            "[]",
            "{}",
            ",",
            ":",
            " ",
            "\t",
            "\n",
            "\r",
            "\u{1}",
            "\"x\"",
            "\"zz\":1,",
            "\"quantity\":3,",
            "\"tpp\":\"5\",",
            "\"date\":\"2025-01-01\",",
            "\"name\":\"a\\\"b\",",
            "\"chip\":\"x\",",
            "\"id\":[1],",
            "\"id\":\"k\",",
            "1e3",
            "00",
            "-0",
            "0.5",
            "1.",
            ".5",
            "tru",
            "fals",
            "\u{feff}",
            "\u{7f}",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut tried, mut fast) = (0, 0);
        for base in corpus() {
            for _ in 0..40 {
                let mut s = base.clone();
                for _ in 0..1 + rnd() % 2 {
                    let mut pos = (rnd() as usize) % (s.len() + 1);
                    while !s.is_char_boundary(pos) {
                        pos -= 1;
                    }
                    if rnd() % 3 == 0 {
                        let mut end = (pos + 1 + rnd() as usize % 3).min(s.len());
                        while !s.is_char_boundary(end) {
                            end += 1;
                        }
                        s.replace_range(pos..end, "");
                    } else {
                        s.insert_str(pos, pieces[rnd() as usize % pieces.len()]);
                    }
                }
                tried += 1;
                if agrees(&s) {
                    fast += 1;
                }
            }
        }
        // Plenty of variants stay readable (whitespace, digits), so both paths are exercised.
        assert!(fast > tried / 20 && fast < tried, "{fast} of {tried}");
    }

    #[test]
    fn declines_what_serde_reads_differently_or_rejects() {
        for doc in [
            r#"{"destination":"AE","destination":"AE"}"#,
            r#"{"destination":"A\u0045"}"#,
            r#"{"destination":null}"#,
            r#"{"destination":"AE","items":[{"quantity":01}]}"#,
            r#"{"destination":"AE","items":[{"quantity":1.}]}"#,
            r#"{"destination":"AE","items":[{"quantity":-}]}"#,
            r#"{"destination":"AE","items":[{"quantity":1,}]}"#,
            r#"{"destination":"AE","items":[{"quantity":1}],}"#,
            r#"{"destination":"AE","unknown":1}"#,
            r#"{"destination":"AE","id":{"a":1}}"#,
            r#"{"destination":"AE"} x"#,
            r#"["AE"]"#,
            "\u{feff}{\"destination\":\"AE\"}",
            "{\"destination\":\"A\tE\"}",
            r#"{"items":[{"quantity":1}]}"#,
            r#"{"destination":"AE","model_weights":{"published":true}}"#,
            r#"{"destination":"AE","context":{"screening":{"status":"skipped"}}}"#,
        ] {
            assert!(request(doc, &mut RequestDto::default()).is_none(), "{doc}");
        }
        for doc in [
            r#" {"destination":"AE","items":[{"quantity":-0.5e+3,"tpp":"4992"}]} "#,
            r#"{"id":"k-1","destination":"é","context":{"uveu_installed_tpp_by_country":{"US":1,"US":2,"AE":3}}}"#,
            r#"{"id":12,"destination":"AE","end_user":{"name":"x"},"intermediate_consignees":[]}"#,
        ] {
            assert!(agrees(doc), "{doc}");
        }
    }
}
