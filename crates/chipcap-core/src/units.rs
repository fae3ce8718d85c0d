//! Exact quantities: TPP in thousandths (milli-TPP), exact decimal parsing and display.
//!
//! Reading D12: TPP is exact to 0.001; no float takes part in any decision. Ratios are compared by
//! cross-multiplication in `i128`.

use std::fmt;

/// Total processing performance, stored as an integer number of thousandths ("milli-TPP").
///
/// Technical Note to ECCN 3A090: "'TPP' is 2 x 'MacTOPS' x 'bit length of the operation'".
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tpp(u64);

impl Tpp {
    /// Zero TPP.
    pub const ZERO: Tpp = Tpp(0);

    /// From a number of thousandths of TPP.
    pub const fn from_milli(milli: u64) -> Tpp {
        Tpp(milli)
    }

    /// From a whole number of TPP, `None` on overflow.
    pub const fn from_whole(whole: u64) -> Option<Tpp> {
        match whole.checked_mul(1000) {
            Some(m) => Some(Tpp(m)),
            None => None,
        }
    }

    /// The number of thousandths of TPP.
    pub const fn milli(self) -> u64 {
        self.0
    }

    /// Checked sum.
    pub fn checked_add(self, other: Tpp) -> Option<Tpp> {
        self.0.checked_add(other.0).map(Tpp)
    }

    /// Checked difference.
    pub fn checked_sub(self, other: Tpp) -> Option<Tpp> {
        self.0.checked_sub(other.0).map(Tpp)
    }

    /// Checked product with a unit count.
    pub fn checked_mul(self, quantity: u64) -> Option<Tpp> {
        self.0.checked_mul(quantity).map(Tpp)
    }

    /// `self` minus `other` as a signed number of thousandths (a remaining balance can be negative).
    pub fn signed_sub(self, other: Tpp) -> i128 {
        i128::from(self.0) - i128::from(other.0)
    }
}

impl fmt::Display for Tpp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_milli_grouped(f, i128::from(self.0))
    }
}

/// "00" to "99", for writing integers two digits at a time without `core::fmt`.
const PAIRS: &str = "\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `n % 100` as two digits.
fn pair(n: u64) -> &'static str {
    let i = (n % 100) as usize * 2;
    PAIRS.get(i..i + 2).unwrap_or("00")
}

/// `n % 10` as one digit.
fn digit(n: u64) -> char {
    char::from(b'0' + (n % 10) as u8)
}

/// `g % 1000` as three digits.
fn push_3(out: &mut String, g: u64) {
    out.push(digit(g / 100));
    out.push_str(pair(g));
}

/// Appends `v` in decimal; with `GROUPED`, a comma between groups of three digits.
fn push_whole<const GROUPED: bool>(out: &mut String, mut v: u64) {
    // Groups of three digits, least significant first (a u64 has at most seven).
    let mut groups = [0u16; 7];
    let mut n = 0;
    while v >= 1000 && n < groups.len() {
        groups[n] = (v % 1000) as u16;
        v /= 1000;
        n += 1;
    }
    if v >= 100 {
        push_3(out, v);
    } else if v >= 10 {
        out.push_str(pair(v));
    } else {
        out.push(digit(v));
    }
    for &g in groups[..n].iter().rev() {
        if GROUPED {
            out.push(',');
        }
        push_3(out, u64::from(g));
    }
}

/// Appends the fraction of a number of thousandths without trailing zeros (`.8`, `.05`, `.125`);
/// nothing when it is zero.
fn push_frac(out: &mut String, frac: u64) {
    let frac = frac % 1000;
    if frac == 0 {
        return;
    }
    out.push('.');
    if frac.is_multiple_of(100) {
        out.push(digit(frac / 100));
    } else if frac.is_multiple_of(10) {
        out.push_str(pair(frac / 10));
    } else {
        push_3(out, frac);
    }
}

/// Appends an unsigned integer in decimal (the hot-path twin of `Display for u64`).
pub(crate) fn push_uint(out: &mut String, v: u64) {
    push_whole::<false>(out, v);
}

/// Appends `v % 100` as two digits (`07`).
pub(crate) fn push_uint_pad2(out: &mut String, v: u64) {
    out.push_str(pair(v));
}

/// Appends a signed number of thousandths plainly, as [`write_milli_plain`] writes it.
pub(crate) fn push_milli_plain(out: &mut String, milli: i128) {
    match u64::try_from(milli.unsigned_abs()) {
        Ok(abs) => {
            if milli < 0 {
                out.push('-');
            }
            push_whole::<false>(out, abs / 1000);
            push_frac(out, abs % 1000);
        }
        Err(_) => {
            let _ = write_milli_plain(out, milli);
        }
    }
}

/// Appends a signed number of thousandths with thousands separators, as [`write_milli_grouped`]
/// writes it.
pub(crate) fn push_milli_grouped(out: &mut String, milli: i128) {
    match u64::try_from(milli.unsigned_abs()) {
        Ok(abs) => {
            if milli < 0 {
                out.push('-');
            }
            push_whole::<true>(out, abs / 1000);
            push_frac(out, abs % 1000);
        }
        Err(_) => {
            let _ = write_milli_grouped(out, milli);
        }
    }
}

/// Writes a signed number of thousandths with thousands separators and no trailing zeros
/// (`26900000000` -> `26,900,000`; `5792800` -> `5,792.8`).
pub fn write_milli_grouped(f: &mut impl fmt::Write, milli: i128) -> fmt::Result {
    if milli < 0 {
        f.write_char('-')?;
    }
    let abs = milli.unsigned_abs();
    // Digits of the whole part into a stack buffer, separators every three (no allocation);
    // 64-bit arithmetic when the value fits, as it always does for TPP.
    if let Ok(small) = u64::try_from(abs) {
        let mut whole = small / 1000;
        let mut buf = [0u8; 32];
        let mut i = buf.len();
        let mut n = 0;
        loop {
            if n > 0 && n % 3 == 0 {
                i -= 1;
                buf[i] = b',';
            }
            i -= 1;
            buf[i] = b'0' + (whole % 10) as u8;
            whole /= 10;
            n += 1;
            if whole == 0 {
                break;
            }
        }
        // Only ASCII digits and commas were written.
        f.write_str(std::str::from_utf8(&buf[i..]).map_err(|_| fmt::Error)?)?;
        return write_frac(f, u128::from(small % 1000));
    }
    let mut whole = abs / 1000;
    let mut buf = [0u8; 64];
    let mut i = buf.len();
    let mut n = 0;
    loop {
        if n > 0 && n % 3 == 0 {
            i -= 1;
            buf[i] = b',';
        }
        i -= 1;
        buf[i] = b'0' + (whole % 10) as u8;
        whole /= 10;
        n += 1;
        if whole == 0 {
            break;
        }
    }
    f.write_str(std::str::from_utf8(&buf[i..]).unwrap_or("?"))?;
    write_frac(f, abs % 1000)
}

/// Writes a signed number of thousandths plainly (`-1234.5`), as JSON wants it.
pub fn write_milli_plain(f: &mut impl fmt::Write, milli: i128) -> fmt::Result {
    if milli < 0 {
        f.write_char('-')?;
    }
    let abs = milli.unsigned_abs();
    match u64::try_from(abs) {
        Ok(small) => write!(f, "{}", small / 1000)?,
        Err(_) => write!(f, "{}", abs / 1000)?,
    }
    write_frac(f, abs % 1000)
}

fn write_frac(f: &mut impl fmt::Write, frac: u128) -> fmt::Result {
    if frac == 0 {
        return Ok(());
    }
    let d = [
        (frac / 100) as u8,
        (frac / 10 % 10) as u8,
        (frac % 10) as u8,
    ];
    let len = if d[2] != 0 {
        3
    } else if d[1] != 0 {
        2
    } else {
        1
    };
    f.write_char('.')?;
    for x in &d[..len] {
        f.write_char(char::from(b'0' + x))?;
    }
    Ok(())
}

/// Why a decimal could not be read exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not a decimal number at all.
    #[error("is not a number")]
    NotANumber,
    /// A minus sign.
    #[error("must not be negative")]
    Negative,
    /// More fractional digits than the unit allows.
    #[error("has more than {0} decimal places")]
    TooPrecise(u32),
    /// Too large to represent.
    #[error("is too large")]
    Overflow,
}

/// `10^0` to `10^38`, every power of ten a `u128` holds (`10u128.checked_pow` beyond).
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Parses a non-negative decimal (`"4992"`, `"5792.8"`, `"1.2e26"`, `"1E3"`) exactly into an integer
/// count of `10^-scale` units. Rejects signs, values that need more than `scale` decimals, and overflow.
pub fn parse_decimal(text: &str, scale: u32) -> Result<u128, DecimalError> {
    let bare = |b: Option<&u8>| b.is_some_and(u8::is_ascii_digit);
    let s = if bare(text.as_bytes().first()) && bare(text.as_bytes().last()) {
        text
    } else {
        text.trim()
    };
    // Fast path: a plain whole number of up to 19 digits (always fits a u64).
    if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) {
        let digits = s
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        if digits == 0 {
            return Ok(0);
        }
        return usize::try_from(scale)
            .ok()
            .and_then(|i| POW10.get(i))
            .and_then(|f| u128::from(digits).checked_mul(*f))
            .ok_or(DecimalError::Overflow);
    }
    if s.starts_with('-') {
        return Err(DecimalError::Negative);
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => {
            let exp_text = &s[i + 1..];
            let exp: i32 = exp_text.parse().map_err(|_| DecimalError::NotANumber)?;
            (&s[..i], exp)
        }
        None => (s, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError::NotANumber);
    }
    // value = digits * 10^(exponent - frac_len); we want value * 10^scale.
    let frac_digits = frac_part.trim_end_matches('0');
    let mut digits: u128 = 0;
    for b in int_part.bytes().chain(frac_digits.bytes()) {
        digits = digits
            .checked_mul(10)
            .and_then(|d| d.checked_add(u128::from(b - b'0')))
            .ok_or(DecimalError::Overflow)?;
    }
    let frac_len = i64::try_from(frac_digits.len()).map_err(|_| DecimalError::Overflow)?;
    let shift = i64::from(exponent) - frac_len + i64::from(scale);
    if digits == 0 {
        return Ok(0);
    }
    if shift >= 0 {
        let p = u32::try_from(shift).map_err(|_| DecimalError::Overflow)?;
        let factor = 10u128.checked_pow(p).ok_or(DecimalError::Overflow)?;
        digits.checked_mul(factor).ok_or(DecimalError::Overflow)
    } else {
        let p = u32::try_from(-shift).map_err(|_| DecimalError::TooPrecise(scale))?;
        let divisor = 10u128
            .checked_pow(p)
            .ok_or(DecimalError::TooPrecise(scale))?;
        if digits.is_multiple_of(divisor) {
            Ok(digits / divisor)
        } else {
            Err(DecimalError::TooPrecise(scale))
        }
    }
}

/// Parses a decimal into thousandths that fit in `u64` (TPP, square millimetres).
pub fn parse_milli(text: &str) -> Result<u64, DecimalError> {
    let v = parse_decimal(text, 3)?;
    u64::try_from(v).map_err(|_| DecimalError::Overflow)
}

/// Parses a decimal with an optional leading `-` into signed thousandths that fit in `i64` (an
/// adjustment, or an amount written by [`write_milli_plain`]).
pub fn parse_signed_milli(text: &str) -> Result<i64, DecimalError> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let m = i64::try_from(parse_milli(digits)?).map_err(|_| DecimalError::Overflow)?;
    Ok(if neg { -m } else { m })
}

/// Rounds `num / den` to the nearest thousandth, halves away from zero (display only).
pub fn ratio_milli(num: u128, den: u128) -> Option<u128> {
    if den == 0 {
        return None;
    }
    let scaled = num.checked_mul(1000)?;
    Some((scaled + den / 2) / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hot-path writers and the fast path of `parse_decimal` agree with the general code.
    fn fast_paths_agree(v: u64, milli: i128) {
        let mut s = String::new();
        push_uint(&mut s, v);
        assert_eq!(s, v.to_string());
        for m in [milli, milli.saturating_neg(), i128::from(v), -i128::from(v)] {
            let (mut fast, mut slow) = (String::new(), String::new());
            push_milli_grouped(&mut fast, m);
            write_milli_grouped(&mut slow, m).ok();
            assert_eq!(fast, slow);
            let (mut fast, mut slow) = (String::new(), String::new());
            push_milli_plain(&mut fast, m);
            write_milli_plain(&mut slow, m).ok();
            assert_eq!(fast, slow);
        }
        let mut s = String::new();
        push_uint_pad2(&mut s, v % 100);
        assert_eq!(s, format!("{:02}", v % 100));
    }

    #[test]
    fn fast_writers_at_the_edges() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            999,
            1000,
            1001,
            999_999,
            1_000_000,
            u64::MAX - 1,
            u64::MAX,
        ] {
            for m in [0, 1, 5, 10, 50, 100, 120, 125, 999, 1000, 1001] {
                fast_paths_agree(v, i128::from(v) * 1000 + m);
            }
        }
        fast_paths_agree(7, i128::MAX);
        fast_paths_agree(7, i128::MIN + 1);
    }

    proptest::proptest! {
        #[test]
        fn fast_writers_match(v in proptest::num::u64::ANY, milli in proptest::num::i128::ANY) {
            fast_paths_agree(v, milli);
        }

        #[test]
        fn fast_decimal_parse_matches(v in proptest::num::u64::ANY, zeros in 0usize..3, scale in 0u32..40) {
            let text = format!("{}{v}", "0".repeat(zeros));
            let general = format!("{text}.0");
            proptest::prop_assert_eq!(parse_decimal(&text, scale), parse_decimal(&general, scale));
        }
    }

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(parse_milli("4992"), Ok(4_992_000));
        assert_eq!(parse_milli("5792.8"), Ok(5_792_800));
        assert_eq!(parse_milli("0.001"), Ok(1));
        assert_eq!(parse_milli("1e3"), Ok(1_000_000));
        assert_eq!(parse_milli("1.5E1"), Ok(15_000));
        assert_eq!(parse_milli("7.0000"), Ok(7_000));
        assert_eq!(
            parse_decimal("1.2e26", 0),
            Ok(120_000_000_000_000_000_000_000_000)
        );
        assert_eq!(parse_milli("0"), Ok(0));
    }

    #[test]
    fn rejects_bad_decimals() {
        assert_eq!(parse_milli("-1"), Err(DecimalError::Negative));
        assert_eq!(parse_milli("0.0001"), Err(DecimalError::TooPrecise(3)));
        assert_eq!(parse_milli("abc"), Err(DecimalError::NotANumber));
        assert_eq!(parse_milli(""), Err(DecimalError::NotANumber));
        assert_eq!(parse_milli("."), Err(DecimalError::NotANumber));
        assert_eq!(parse_milli("1e99"), Err(DecimalError::Overflow));
        assert_eq!(
            parse_milli("99999999999999999999"),
            Err(DecimalError::Overflow)
        );
        assert_eq!(parse_decimal("1.5", 0), Err(DecimalError::TooPrecise(0)));
        assert_eq!(parse_milli("1e-9999999999"), Err(DecimalError::NotANumber));
    }

    #[test]
    fn formats_grouped() {
        let mut s = String::new();
        write_milli_grouped(&mut s, 26_900_000_000).ok();
        assert_eq!(s, "26,900,000");
        s.clear();
        write_milli_grouped(&mut s, -5_792_800).ok();
        assert_eq!(s, "-5,792.8");
        s.clear();
        write_milli_plain(&mut s, 1_001).ok();
        assert_eq!(s, "1.001");
    }

    #[test]
    fn signed_milli_reads_what_the_plain_writer_writes() {
        for m in [0i64, 1, -1, 26_900_000_000, -5_003, i64::MAX, -i64::MAX] {
            let mut t = String::new();
            assert!(write_milli_plain(&mut t, i128::from(m)).is_ok());
            assert_eq!(parse_signed_milli(&t), Ok(m), "{t}");
        }
        assert_eq!(parse_signed_milli("--1"), Err(DecimalError::Negative));
        assert_eq!(
            parse_signed_milli("9223372036854776"),
            Err(DecimalError::Overflow)
        );
        assert_eq!(
            parse_signed_milli("0.0001"),
            Err(DecimalError::TooPrecise(3))
        );
    }
}
