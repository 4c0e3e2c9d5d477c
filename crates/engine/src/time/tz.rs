//! Calendar arithmetic and the time zone of the text alert line.
//!
//! Falco prints `%evt.time` in the process's local time (`localtime_r`: the `TZ`
//! environment variable, or `/etc/localtime` when `TZ` is unset). [`TimeZone::from_tz`]
//! resolves a `TZ` value as glibc does, for the forms operators use:
//!
//! * unset: the zone file `/etc/localtime` (UTC if there is none);
//! * empty, `UTC`, `GMT`, `Z`, `Etc/UTC`…: UTC;
//! * a zone name (`America/New_York`, `Europe/Paris`, `:Asia/Kolkata`) or an absolute path:
//!   the TZif file under `$TZDIR` (default `/usr/share/zoneinfo`), with its transitions
//!   and, after the last one, its POSIX rule;
//! * a POSIX string, with or without daylight saving: `EST5`, `<+0530>-5:30`,
//!   `EST5EDT,M3.2.0,M11.1.0`, `CET-1CEST,M3.5.0,M10.5.0/3` (POSIX signs: `EST5` is five
//!   hours *west*, UTC−5; a DST name without rules uses the US rules, as glibc does).
//!
//! Anything else is an error, so the caller can warn and fall back to UTC. Leap-second
//! (`right/…`) corrections are ignored.
//!
//! The lookup is falcoc's (which names mean UTC, which file a name denotes, the 1 MiB
//! bound on zone files, glibc's default DST rules); the TZif files and POSIX strings are
//! read by `jiff` (its TZif reader is stricter than glibc's in one way: a footer rule
//! that contradicts the file's last transition makes the file invalid).
//!
//! A zone read from a file or with DST rules lives for the rest of the process (it is
//! leaked once per [`TimeZone::from_tz`] call, so that [`TimeZone`] stays `Copy`).
//!
//! Dates use Howard Hinnant's `civil_from_days` / `days_from_civil` algorithms (proleptic
//! Gregorian calendar, exact for every `u64` nanosecond timestamp).

use std::path::{Path, PathBuf};

/// The time zone of the local-time text prefix (`HH:MM:SS.nnnnnnnnn`): a fixed offset from
/// UTC, or the rules of a zone (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeZone {
    /// Seconds east of UTC (UTC+1 is 3600) when `rules` is `None`.
    offset_secs: i32,
    /// Transitions and DST rules (a TZif file or a POSIX string, read by `jiff`).
    rules: Option<&'static jiff::tz::TimeZone>,
}

impl PartialEq for TimeZone {
    fn eq(&self, other: &TimeZone) -> bool {
        self.offset_secs == other.offset_secs
            && match (self.rules, other.rules) {
                (None, None) => true,
                (Some(a), Some(b)) => std::ptr::eq(a, b),
                _ => false,
            }
    }
}

impl Eq for TimeZone {}

/// glibc's rules for a `TZ` string with a DST name but no rules (`EST5EDT`, `<+03>-3<+04>`):
/// the US rules (second Sunday of March to first Sunday of November, at 02:00).
const DEFAULT_DST_RULES: &str = ",M3.2.0,M11.1.0";

/// The largest zone file read.
const MAX_TZIF: u64 = 1 << 20;

impl TimeZone {
    /// UTC.
    pub const UTC: TimeZone = TimeZone {
        offset_secs: 0,
        rules: None,
    };

    /// A zone `offset_secs` seconds east of UTC (clamped to ±26 hours).
    pub fn fixed(offset_secs: i32) -> TimeZone {
        TimeZone {
            offset_secs: offset_secs.clamp(-26 * 3600, 26 * 3600),
            rules: None,
        }
    }

    /// The offset east of UTC, in seconds, at `unix_secs` seconds since the epoch.
    pub fn offset_at(self, unix_secs: i64) -> i32 {
        let Some(r) = self.rules else {
            return self.offset_secs;
        };
        let ts = jiff::Timestamp::from_second(unix_secs).unwrap_or(if unix_secs < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        });
        r.to_offset(ts).seconds()
    }

    /// The offset east of UTC, in seconds, at the Unix epoch (for a fixed zone: its
    /// offset).
    pub fn offset_secs(self) -> i32 {
        self.offset_at(0)
    }

    /// The zone a `TZ` value denotes (`None`: unset, so `/etc/localtime`). Errors say
    /// what is wrong with the value (see the module docs).
    pub fn from_tz(tz: Option<&str>) -> Result<TimeZone, String> {
        let Some(raw) = tz else {
            return Ok(match std::fs::read(Path::new("/etc/localtime")) {
                Ok(data) => zone_from_tzif(&data).unwrap_or(TimeZone::UTC),
                Err(_) => TimeZone::UTC,
            });
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
        // A zone file first (glibc's order), then a POSIX string.
        if let Some(path) = zone_file(s) {
            if let Ok(meta) = std::fs::metadata(&path) {
                if meta.is_file() {
                    let data = std::fs::read(&path)
                        .map_err(|e| format!("TZ={raw:?}: {}: {e}", path.display()))?;
                    if meta.len() > MAX_TZIF {
                        return Err(format!("TZ={raw:?}: {} is too large", path.display()));
                    }
                    return zone_from_tzif(&data).ok_or_else(|| {
                        format!("TZ={raw:?}: {} is not a valid zone file", path.display())
                    });
                }
            }
        }
        match zone_from_posix(s) {
            Some(z) => Ok(z),
            None => Err(format!(
                "TZ={raw:?} is neither a zone of the time zone database ({}) nor a POSIX \
                 TZ string (e.g. EST5EDT,M3.2.0,M11.1.0)",
                tz_dir().display()
            )),
        }
    }

    /// The zone of the process's `TZ` variable (`/etc/localtime` when unset), or UTC with
    /// a warning when it cannot be used.
    pub fn from_env() -> (TimeZone, Option<String>) {
        let tz = std::env::var("TZ").ok();
        match TimeZone::from_tz(tz.as_deref()) {
            Ok(z) => (z, None),
            Err(e) => (TimeZone::UTC, Some(format!("{e}; using UTC"))),
        }
    }
}

/// `$TZDIR`, or `/usr/share/zoneinfo`.
fn tz_dir() -> PathBuf {
    match std::env::var_os("TZDIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from("/usr/share/zoneinfo"),
    }
}

/// The file a zone name denotes: an absolute path as is, a relative name under
/// [`tz_dir`] (`None` for names that climb out of it).
fn zone_file(name: &str) -> Option<PathBuf> {
    if name.starts_with('/') {
        return Some(PathBuf::from(name));
    }
    if name.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    Some(tz_dir().join(name))
}

/// A zone read by `jiff`; zones without transitions become fixed.
fn zone_from_jiff(tz: jiff::tz::TimeZone) -> TimeZone {
    if tz.following(jiff::Timestamp::MIN).next().is_none() {
        return TimeZone::fixed(tz.to_offset(jiff::Timestamp::UNIX_EPOCH).seconds());
    }
    TimeZone {
        offset_secs: 0,
        rules: Some(Box::leak(Box::new(tz))),
    }
}

/// A POSIX `TZ` string (`EST5`, `<+0530>-5:30`, `CET-1CEST,M3.5.0,M10.5.0/3`); a DST name
/// without rules gets glibc's US rules ([`DEFAULT_DST_RULES`]).
fn zone_from_posix(s: &str) -> Option<TimeZone> {
    let tz = jiff::tz::TimeZone::posix(s).ok().or_else(|| {
        (!s.contains(','))
            .then(|| jiff::tz::TimeZone::posix(&format!("{s}{DEFAULT_DST_RULES}")).ok())
            .flatten()
    })?;
    Some(zone_from_jiff(tz))
}

/// Reads a TZif file (RFC 8536, versions 1–4).
fn zone_from_tzif(data: &[u8]) -> Option<TimeZone> {
    jiff::tz::TimeZone::tzif("TZ", data)
        .ok()
        .map(zone_from_jiff)
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
        let utc = (ns / 1_000_000_000) as i64;
        let secs = utc + i64::from(zone.offset_at(utc));
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
        assert_eq!(TimeZone::from_tz(Some("")), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::from_tz(Some(":UTC")), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::from_tz(Some("UTC0")), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::from_tz(Some("Etc/UTC")), Ok(TimeZone::UTC));
        assert_eq!(
            TimeZone::from_tz(Some("<+0530>-5:30")).map(TimeZone::offset_secs),
            Ok(5 * 3600 + 1800)
        );
        assert!(TimeZone::from_tz(Some("Not/A_Zone")).is_err());
        assert!(TimeZone::from_tz(Some("../../etc/passwd")).is_err());
        assert!(TimeZone::from_tz(Some("EST5EDT,M3.2.0")).is_err());
        assert!(TimeZone::from_tz(Some("EST5EDT,M13.2.0,M11.1.0")).is_err());
        assert!(TimeZone::from_tz(Some("E5")).is_err());
    }

    /// UTC seconds of a UTC date and time.
    fn utc(y: i64, m: u32, d: u32, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400 + h * 3600 + min * 60
    }

    #[test]
    fn posix_dst_rules() {
        let ny = TimeZone::from_tz(Some("EST5EDT,M3.2.0,M11.1.0")).unwrap();
        // The spec's example: 2024-01-15 10:00 UTC is 05:00 in New York.
        assert_eq!(ny.offset_at(1_705_312_800), -5 * 3600);
        // 2024: DST from Sunday March 10, 02:00 EST (07:00 UTC) to Sunday November 3,
        // 02:00 EDT (06:00 UTC).
        assert_eq!(ny.offset_at(utc(2024, 3, 10, 6, 59)), -5 * 3600);
        assert_eq!(ny.offset_at(utc(2024, 3, 10, 7, 0)), -4 * 3600);
        assert_eq!(ny.offset_at(utc(2024, 11, 3, 5, 59)), -4 * 3600);
        assert_eq!(ny.offset_at(utc(2024, 11, 3, 6, 0)), -5 * 3600);
        // Without rules: glibc's US default.
        assert_eq!(
            TimeZone::from_tz(Some("EST5EDT"))
                .ok()
                .map(|z| z.offset_at(utc(2024, 7, 1, 0, 0))),
            Some(-4 * 3600)
        );
        // Southern hemisphere: DST across the new year (Sydney: AEST-10AEDT,M10.1.0,M4.1.0/3).
        let syd = TimeZone::from_tz(Some("AEST-10AEDT,M10.1.0,M4.1.0/3")).unwrap();
        assert_eq!(syd.offset_at(utc(2024, 1, 15, 0, 0)), 11 * 3600);
        assert_eq!(syd.offset_at(utc(2024, 7, 1, 0, 0)), 10 * 3600);
        // Last Sunday of the month (Europe: CET-1CEST,M3.5.0,M10.5.0/3): 2024-03-31
        // 01:00 UTC.
        let cet = TimeZone::from_tz(Some("CET-1CEST,M3.5.0,M10.5.0/3")).unwrap();
        assert_eq!(cet.offset_at(utc(2024, 3, 31, 0, 59)), 3600);
        assert_eq!(cet.offset_at(utc(2024, 3, 31, 1, 0)), 7200);
        assert_eq!(cet.offset_at(utc(2024, 10, 27, 0, 59)), 7200);
        assert_eq!(cet.offset_at(utc(2024, 10, 27, 1, 0)), 3600);
        // Julian days.
    }

    /// 1970-07-01 00:00 UTC: the transition of [`tzif`].
    const JULY_1970: i64 = 15_638_400;

    /// A version 2 TZif file: one transition (to summer time), a footer rule.
    fn tzif(footer: &str) -> Vec<u8> {
        let header = |time: u32, types: u32, chars: u32| {
            let mut h = b"TZif2".to_vec();
            h.extend_from_slice(&[0; 15]);
            for c in [0, 0, 0, time, types, chars] {
                h.extend_from_slice(&u32::to_be_bytes(c));
            }
            h
        };
        let mut d = header(1, 2, 8);
        d.extend_from_slice(&i32::to_be_bytes(0)); // transition at the epoch
        d.push(1);
        for (off, dst, idx) in [(3600i32, 0u8, 0u8), (7200, 1, 4)] {
            d.extend_from_slice(&off.to_be_bytes());
            d.extend_from_slice(&[dst, idx]);
        }
        d.extend_from_slice(b"AAA\0BBB\0");
        d.extend_from_slice(&header(1, 2, 8));
        d.extend_from_slice(&i64::to_be_bytes(JULY_1970));
        d.push(1);
        for (off, dst, idx) in [(3600i32, 0u8, 0u8), (7200, 1, 4)] {
            d.extend_from_slice(&off.to_be_bytes());
            d.extend_from_slice(&[dst, idx]);
        }
        d.extend_from_slice(b"AAA\0BBB\0");
        d.extend_from_slice(format!("\n{footer}\n").as_bytes());
        d
    }

    #[test]
    fn tzif_files() {
        let z = zone_from_tzif(&tzif("")).unwrap();
        assert_eq!(
            (
                z.offset_at(JULY_1970 - 1),
                z.offset_at(JULY_1970),
                z.offset_at(1 << 40)
            ),
            (3600, 7200, 7200)
        );
        // After the last transition, the footer rule (here one with DST whose summer
        // offset is the last transition's).
        let z = zone_from_tzif(&tzif("AAA-1BBB,M3.5.0,M10.5.0/3")).unwrap();
        let jan_1971 = 31_536_000;
        assert_eq!(
            (
                z.offset_at(JULY_1970 - 1),
                z.offset_at(JULY_1970),
                z.offset_at(jan_1971)
            ),
            (3600, 7200, 3600)
        );
        // A footer that contradicts the last transition is refused (jiff's check; glibc
        // would follow the footer).
        assert!(zone_from_tzif(&tzif("<+03>-3")).is_none());
        // Truncated or corrupt files are refused, never a panic.
        let good = tzif("AAA-1BBB,M3.5.0,M10.5.0/3");
        for n in 0..good.len() - 1 {
            let _ = zone_from_tzif(&good[..n]);
        }
        assert!(zone_from_tzif(&good[..60]).is_none());
        assert!(zone_from_tzif(b"TZif2").is_none());
        let mut bad = good.clone();
        // The v2 block's type index (after the v1 block of 25 bytes, its header and the
        // 8-byte transition time): a transition to type 7 of 2.
        bad[44 + 25 + 44 + 8] = 7;
        assert!(zone_from_tzif(&bad).is_none());
    }

    #[test]
    fn system_zone_files() {
        // The time zone database of the machine, when it has one.
        if !Path::new("/usr/share/zoneinfo/America/New_York").is_file() {
            return;
        }
        let ny = TimeZone::from_tz(Some("America/New_York")).unwrap();
        assert_eq!(ny.offset_at(1_705_312_800), -5 * 3600);
        assert_eq!(ny.offset_at(utc(2024, 7, 1, 0, 0)), -4 * 3600);
        // Far beyond the file's transitions: its footer rule.
        assert_eq!(ny.offset_at(utc(2100, 7, 1, 0, 0)), -4 * 3600);
        assert_eq!(ny.offset_at(utc(2100, 1, 1, 0, 0)), -5 * 3600);
        // Before standard time (1883): local mean time, −4:56:02.
        assert_eq!(
            ny.offset_at(utc(1800, 1, 1, 0, 0)),
            -(4 * 3600 + 56 * 60 + 2)
        );
        let kolkata = TimeZone::from_tz(Some(":Asia/Kolkata")).unwrap();
        assert_eq!(kolkata.offset_at(1_705_312_800), 5 * 3600 + 1800);
    }
}
