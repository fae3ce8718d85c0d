//! Civil dates without a clock: the decision date is always an input (reading D10).

use std::fmt;
use std::str::FromStr;

/// A proleptic Gregorian calendar date.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a valid date in the form YYYY-MM-DD")]
pub struct DateError;

/// A calendar quarter, such as 2025Q2.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// The year.
    pub year: i32,
    /// 1 to 4.
    pub q: u8,
}

impl Quarter {
    /// The first day of the quarter.
    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: (self.q - 1) * 3 + 1,
            day: 1,
        }
    }

    /// The quarter after this one.
    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

impl FromStr for Quarter {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Quarter, DateError> {
        let (y, q) = s.split_once('Q').ok_or(DateError)?;
        let year: i32 = y.parse().map_err(|_| DateError)?;
        let q: u8 = q.parse().map_err(|_| DateError)?;
        if !(1..=4).contains(&q) || y.len() != 4 {
            return Err(DateError);
        }
        Ok(Quarter { year, q })
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

impl Date {
    /// 1970-01-01.
    pub const UNIX_EPOCH: Date = Date {
        year: 1970,
        month: 1,
        day: 1,
    };

    /// A date, if it exists (years 1 to 9999).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The calendar quarter the date falls in.
    pub fn quarter(self) -> Quarter {
        Quarter {
            year: self.year,
            q: (self.month - 1) / 3 + 1,
        }
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, if within years 1 to 9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = if m <= 2 { y + 1 } else { y };
        Date::new(
            i32::try_from(y).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(d).ok()?,
        )
    }

    /// The next day.
    pub fn succ(self) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch() + 1)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError);
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            b.get(r)
                .unwrap_or_default()
                .iter()
                .try_fold(0u32, |acc, &c| {
                    if c.is_ascii_digit() {
                        Ok(acc * 10 + u32::from(c - b'0'))
                    } else {
                        Err(DateError)
                    }
                })
        };
        let y = i32::try_from(num(0..4)?).map_err(|_| DateError)?;
        let m = u8::try_from(num(5..7)?).map_err(|_| DateError)?;
        let d = u8::try_from(num(8..10)?).map_err(|_| DateError)?;
        Date::new(y, m, d).ok_or(DateError)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            "2025-06-15"
                .parse::<Date>()
                .map(|d| d.quarter().to_string()),
            Ok("2025Q2".into())
        );
        assert!("2025-02-29".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2025-13-01".parse::<Date>().is_err());
        assert!("2025-1-01".parse::<Date>().is_err());
        assert!("+025-01-01".parse::<Date>().is_err());
        assert!("0000-01-01".parse::<Date>().is_err());
    }

    #[test]
    fn epoch_round_trip() {
        for days in [-700_000i64, -1, 0, 1, 20_000, 2_000_000] {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.map(Date::days_since_epoch), Some(days));
        }
        assert_eq!(
            Date::from_days_since_epoch(0).map(|d| d.to_string()),
            Some("1970-01-01".into())
        );
    }

    #[test]
    fn quarters() {
        let q: Quarter = "2026Q4".parse().unwrap_or(Quarter { year: 0, q: 1 });
        assert_eq!(q.next().to_string(), "2027Q1");
        assert_eq!(q.first_day().to_string(), "2026-10-01");
    }
}
