//! Calendar arithmetic and the time zone of the text alert line.
//!
//! Falco prints `%evt.time` in the process's local time (`localtime_r`, so the `TZ`
//! environment variable or `/etc/localtime`). falcoc keeps this simple and explicit: a
//! [`TimeZone`] is a **fixed offset** from UTC. [`TimeZone::from_tz`] understands the
//! `TZ` values that denote a fixed offset — unset or empty, `UTC`, `GMT`, `UTC0`,
//! `Etc/UTC`, `:UTC`, `Z`, and POSIX `std offset` strings without a daylight-saving part
//! such as `EST5` or `<+0530>-5:30` (POSIX signs: `EST5` is five hours *west*, UTC−5) —
//! and reports anything else (IANA names like `America/New_York`, DST rules) as
//! unsupported so the caller can warn and fall back to UTC.
//!
//! Dates use Howard Hinnant's `civil_from_days` / `days_from_civil` algorithms (proleptic
//! Gregorian calendar, exact for every `u64` nanosecond timestamp).

/// A fixed offset from UTC used for the local-time text prefix (`HH:MM:SS.nnnnnnnnn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeZone {
    /// Seconds east of UTC (UTC+1 is 3600).
    offset_secs: i32,
}

impl TimeZone {
    /// UTC.
    pub const UTC: TimeZone = TimeZone { offset_secs: 0 };

    /// A zone `offset_secs` seconds east of UTC (clamped to ±26 hours).
    pub fn fixed(offset_secs: i32) -> TimeZone {
        TimeZone {
            offset_secs: offset_secs.clamp(-26 * 3600, 26 * 3600),
        }
    }

    /// Seconds east of UTC.
    pub fn offset_secs(self) -> i32 {
        self.offset_secs
    }

    /// The zone a `TZ` value denotes (`None` = unset ⇒ UTC). Errors name what is not
    /// supported (see the module docs).
    pub fn from_tz(tz: Option<&str>) -> Result<TimeZone, String> {
        let Some(raw) = tz else {
            return Ok(TimeZone::UTC);
        };
        let s = raw.strip_prefix(':').unwrap_or(raw).trim();
        if s.is_empty() {
            return Ok(TimeZone::UTC);
        }
        let utc_names = [
            "UTC",
            "GMT",
            "Z",
            "UCT",
            "Zulu",
            "Universal",
            "Etc/UTC",
            "Etc/GMT",
            "Etc/UCT",
            "Etc/Zulu",
            "Etc/Universal",
            "Etc/Greenwich",
            "Greenwich",
        ];
        if utc_names.iter().any(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(TimeZone::UTC);
        }
        parse_posix_fixed(s).ok_or_else(|| {
            format!(
                "TZ={raw:?} is not a fixed UTC offset; falcoc supports UTC and POSIX \
                 offsets without daylight saving (e.g. EST5, <+0530>-5:30)"
            )
        })
    }

    /// The zone of the process's `TZ` variable, or UTC with a warning when it is not
    /// supported (the system's `/etc/localtime` is not read: unset `TZ` means UTC).
    pub fn from_env() -> (TimeZone, Option<String>) {
        let tz = std::env::var("TZ").ok();
        match TimeZone::from_tz(tz.as_deref()) {
            Ok(z) => (z, None),
            Err(e) => (TimeZone::UTC, Some(format!("{e}; using UTC"))),
        }
    }
}

/// Parses POSIX `std offset` (no DST part): `std` is 3+ letters or `<...>`, `offset` is
/// `[+-]hh[:mm[:ss]]` hours *west* of UTC.
fn parse_posix_fixed(s: &str) -> Option<TimeZone> {
    let rest = if let Some(r) = s.strip_prefix('<') {
        let end = r.find('>')?;
        &r[end + 1..]
    } else {
        let n = s.bytes().take_while(u8::is_ascii_alphabetic).count();
        if n < 3 {
            return None;
        }
        &s[n..]
    };
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1i64, &rest[1..]),
        b'-' => (-1i64, &rest[1..]),
        _ => (1i64, rest),
    };
    let mut parts = digits.split(':');
    let mut secs = 0i64;
    let mut mult = 3600i64;
    for _ in 0..3 {
        let Some(p) = parts.next() else { break };
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        secs += p.parse::<i64>().ok()? * mult;
        mult /= 60;
    }
    if parts.next().is_some() || secs > 24 * 3600 {
        return None;
    }
    // POSIX offsets are west of UTC; ours are east.
    let east = i32::try_from(-sign * secs).ok()?;
    Some(TimeZone::fixed(east))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `(year, month 1–12, day 1–31)` of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A broken-down time: date, time of day and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year (proleptic Gregorian).
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Nanoseconds 0–999 999 999.
    pub nanos: u32,
}

impl CivilTime {
    /// The broken-down time of `ns` nanoseconds since the epoch, shifted by `zone`.
    pub fn from_ns(ns: u64, zone: TimeZone) -> CivilTime {
        let secs = (ns / 1_000_000_000) as i64 + i64::from(zone.offset_secs);
        let nanos = (ns % 1_000_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year,
            month,
            day,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
            nanos,
        }
    }
}

/// Nanoseconds since the epoch of a UTC broken-down time (`None` before 1970 or past
/// `u64`).
pub fn ns_from_civil(t: &CivilTime) -> Option<u64> {
    let days = days_from_civil(t.year, t.month, t.day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(i64::from(t.hour * 3600 + t.minute * 60 + t.second))?;
    let secs = u64::try_from(secs).ok()?;
    secs.checked_mul(1_000_000_000)?
        .checked_add(u64::from(t.nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 10_957, 19_737, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(19_737), (2024, 1, 15));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn spec_example_time() {
        let t = CivilTime::from_ns(1_705_312_800_000_380_323, TimeZone::UTC);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos),
            (2024, 1, 15, 10, 0, 0, 380_323)
        );
        let ny = TimeZone::from_tz(Some("EST5")).unwrap();
        assert_eq!(ny.offset_secs(), -5 * 3600);
        assert_eq!(CivilTime::from_ns(1_705_312_800_000_380_323, ny).hour, 5);
        assert_eq!(ns_from_civil(&t), Some(1_705_312_800_000_380_323));
    }

    #[test]
    fn tz_values() {
        assert_eq!(TimeZone::from_tz(None), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::from_tz(Some("")), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::from_tz(Some(":UTC")), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::from_tz(Some("UTC0")), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::from_tz(Some("Etc/UTC")), Ok(TimeZone::UTC));
        assert_eq!(
            TimeZone::from_tz(Some("<+0530>-5:30")).map(TimeZone::offset_secs),
            Ok(5 * 3600 + 1800)
        );
        assert!(TimeZone::from_tz(Some("America/New_York")).is_err());
        assert!(TimeZone::from_tz(Some("EST5EDT")).is_err());
    }
}
