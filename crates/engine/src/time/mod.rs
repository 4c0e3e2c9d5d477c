//! Time: calendar arithmetic and time zones ([`tz`]), and the timestamp texts of Falco's
//! fields and alerts (`%evt.time`, `%evt.time.iso8601`, the JSON `time`, libsinsp's
//! `ts_to_string`), shared by the event sources and the outputs.

pub mod tz;

pub use tz::{civil_from_days, days_from_civil, ns_from_civil, CivilTime, TimeZone};

/// `%evt.time`: local time of day `HH:MM:SS.nnnnnnnnn`.
pub fn text_time(ns: u64, zone: TimeZone) -> String {
    let t = CivilTime::from_ns(ns, zone);
    format!(
        "{:02}:{:02}:{:02}.{:09}",
        t.hour, t.minute, t.second, t.nanos
    )
}

/// `%evt.time.iso8601`: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000` (always UTC).
pub fn iso8601_time(ns: u64) -> String {
    let t = CivilTime::from_ns(ns, TimeZone::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}+0000",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos
    )
}

/// The JSON `time` value: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC).
pub fn json_time(ns: u64) -> String {
    let t = CivilTime::from_ns(ns, TimeZone::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos
    )
}

/// Parses a JSON `time` value (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`) back to nanoseconds.
pub fn parse_json_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 30 || b[29] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ];
    if seps.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let t = CivilTime {
        year: i64::from(num(0..4)?),
        month: num(5..7)?,
        day: num(8..10)?,
        hour: num(11..13)?,
        minute: num(14..16)?,
        second: num(17..19)?,
        nanos: num(20..29)?,
    };
    ns_from_civil(&t)
}

/// libsinsp's `ts_to_string`: `[YYYY-MM-DD ]HH:MM:SS[.nnnnnnnnn]` in `zone`.
pub fn time_text(ns: u64, zone: TimeZone, date: bool, nanos: bool) -> String {
    let t = CivilTime::from_ns(ns, zone);
    let mut s = String::with_capacity(32);
    if date {
        s.push_str(&format!("{:04}-{:02}-{:02} ", t.year, t.month, t.day));
    }
    s.push_str(&format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second));
    if nanos {
        s.push_str(&format!(".{:09}", t.nanos));
    }
    s
}
