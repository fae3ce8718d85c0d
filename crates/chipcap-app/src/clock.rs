//! The one clock of chipcap's front ends. The core never reads a clock (the date is an input); the
//! CLI and the server read it here, for a request's default date and for the time stamps they
//! record (`jiff`, UTC).

use chipcap_core::date::Date;

/// Today's date (UTC).
pub fn today() -> Date {
    let d = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    u8::try_from(d.month())
        .ok()
        .zip(u8::try_from(d.day()).ok())
        .and_then(|(m, day)| Date::new(i32::from(d.year()), m, day))
        .unwrap_or(Date::UNIX_EPOCH)
}

/// Now, RFC 3339 UTC to the second (`2026-12-06T22:01:19Z`).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_and_now_agree_and_are_well_formed() {
        let now = now_rfc3339();
        let d = today();
        // Around midnight the two readings may straddle a day; accept either.
        let day_of_now: Date = now[..10].parse().unwrap_or(Date::UNIX_EPOCH);
        assert!(
            day_of_now == d || day_of_now.succ() == Some(d),
            "{now} vs {d}"
        );
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
        assert!(d > Date::UNIX_EPOCH);
    }
}
