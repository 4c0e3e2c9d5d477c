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
//! A zone read from a file or with DST rules lives for the rest of the process (it is
//! leaked once per [`TimeZone::from_tz`] call, so that [`TimeZone`] stays `Copy`).
//!
//! Dates use Howard Hinnant's `civil_from_days` / `days_from_civil` algorithms (proleptic
//! Gregorian calendar, exact for every `u64` nanosecond timestamp).

use std::path::{Path, PathBuf};

/// The time zone of the local-time text prefix (`HH:MM:SS.nnnnnnnnn`): a fixed offset from
/// UTC, or the rules of a zone (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeZone {
    /// Seconds east of UTC (UTC+1 is 3600) when `rules` is `None`.
    offset_secs: i32,
    /// Transitions and DST rules.
    rules: Option<&'static ZoneRules>,
}

/// A zone with changing offsets.
#[derive(Debug, PartialEq, Eq)]
struct ZoneRules {
    /// `(UTC seconds, offset east from then on)`, sorted.
    transitions: Vec<(i64, i32)>,
    /// The offset before the first transition.
    initial: i32,
    /// The rule after the last transition (the TZif footer, or the whole `TZ` string).
    tail: Option<Posix>,
}

/// A POSIX `TZ` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Posix {
    /// Standard time, seconds east of UTC.
    std: i32,
    /// Daylight saving time, if any.
    dst: Option<Dst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Dst {
    /// Seconds east of UTC during DST.
    offset: i32,
    /// When DST starts (in local standard time) and ends (in local DST).
    start: (DayRule, i32),
    end: (DayRule, i32),
}

/// A day of the year in a POSIX rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayRule {
    /// `Jn`: day 1–365, February 29 never counted.
    Julian1(u16),
    /// `n`: day 0–365, February 29 counted.
    Julian0(u16),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    Month(u32, u32, u32),
}

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
        let after_last = r.transitions.last().is_none_or(|&(t, _)| unix_secs >= t);
        if let (true, Some(tail)) = (after_last, &r.tail) {
            return tail.offset_at(unix_secs);
        }
        match r.transitions.partition_point(|&(t, _)| t <= unix_secs) {
            0 => r.initial,
            i => r.transitions[i - 1].1,
        }
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
        match parse_posix(s) {
            Some(p) => Ok(zone_from_posix(p)),
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

/// A zone from rules; zones whose offset never changes become fixed.
fn zone_from_rules(rules: ZoneRules) -> TimeZone {
    let fixed = match (&rules.tail, rules.transitions.is_empty()) {
        (None, true) => Some(rules.initial),
        (Some(Posix { std, dst: None }), true) => Some(*std),
        (Some(Posix { std, dst: None }), false)
            if rules.initial == *std && rules.transitions.iter().all(|&(_, o)| o == *std) =>
        {
            Some(*std)
        }
        _ => None,
    };
    match fixed {
        Some(o) => TimeZone::fixed(o),
        None => TimeZone {
            offset_secs: 0,
            rules: Some(Box::leak(Box::new(rules))),
        },
    }
}

fn zone_from_posix(p: Posix) -> TimeZone {
    zone_from_rules(ZoneRules {
        transitions: Vec::new(),
        initial: p.std,
        tail: Some(p),
    })
}

/// Reads a TZif file (RFC 8536, versions 1–4).
fn zone_from_tzif(data: &[u8]) -> Option<TimeZone> {
    parse_tzif(data).map(zone_from_rules)
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// The counts of a TZif header at `at`: isutcnt, isstdcnt, leapcnt, timecnt, typecnt,
/// charcnt.
fn tzif_counts(d: &[u8], at: usize) -> Option<[usize; 6]> {
    if d.get(at..at + 4)? != b"TZif" {
        return None;
    }
    let mut c = [0usize; 6];
    for (i, slot) in c.iter_mut().enumerate() {
        *slot = usize::try_from(be32(d, at + 20 + 4 * i)?).ok()?;
    }
    Some(c)
}

fn tzif_block_len(c: &[usize; 6], time_size: usize) -> Option<usize> {
    let [isut, isstd, leap, time, types, chars] = *c;
    time.checked_mul(time_size + 1)?
        .checked_add(types.checked_mul(6)?)?
        .checked_add(chars)?
        .checked_add(leap.checked_mul(time_size + 4)?)?
        .checked_add(isstd)?
        .checked_add(isut)
}

fn parse_tzif(d: &[u8]) -> Option<ZoneRules> {
    let version = *d.get(4)?;
    let c1 = tzif_counts(d, 0)?;
    let v1_len = tzif_block_len(&c1, 4)?;
    let (c, body, time_size) = if version >= b'2' {
        let h2 = 44usize.checked_add(v1_len)?;
        (tzif_counts(d, h2)?, h2 + 44, 8)
    } else {
        (c1, 44, 4)
    };
    let [_, _, _, timecnt, typecnt, _] = c;
    if typecnt == 0 {
        return None;
    }
    let block_len = tzif_block_len(&c, time_size)?;
    let block = d.get(body..body.checked_add(block_len)?)?;
    let times = &block[..timecnt * time_size];
    let idx = &block[timecnt * time_size..timecnt * (time_size + 1)];
    let types_at = timecnt * (time_size + 1);
    let mut offsets = Vec::with_capacity(typecnt);
    for i in 0..typecnt {
        let e = &block[types_at + 6 * i..types_at + 6 * i + 6];
        offsets.push(i32::from_be_bytes([e[0], e[1], e[2], e[3]]));
    }
    let mut transitions = Vec::with_capacity(timecnt);
    for i in 0..timecnt {
        let t = match time_size {
            8 => i64::from_be_bytes(times[8 * i..8 * i + 8].try_into().ok()?),
            _ => i64::from(i32::from_be_bytes(times[4 * i..4 * i + 4].try_into().ok()?)),
        };
        let offset = *offsets.get(usize::from(idx[i]))?;
        if transitions.last().is_some_and(|&(prev, _)| t <= prev) {
            return None;
        }
        transitions.push((t, offset));
    }
    let tail = if version >= b'2' {
        let footer = d.get(body + block_len..)?;
        let text = footer.strip_prefix(b"\n")?;
        let end = text.iter().position(|&b| b == b'\n')?;
        let rule = std::str::from_utf8(&text[..end]).ok()?;
        if rule.is_empty() {
            None
        } else {
            Some(parse_posix(rule)?)
        }
    } else {
        None
    };
    Some(ZoneRules {
        transitions,
        initial: offsets[0],
        tail,
    })
}

/// Parses a POSIX `TZ` string: `std offset [dst [offset] [,start[/time],end[/time]]]`.
fn parse_posix(s: &str) -> Option<Posix> {
    let mut p = PosixParser {
        s: s.as_bytes(),
        at: 0,
    };
    p.name()?;
    // POSIX offsets are west of UTC; ours are east.
    let std = -p.offset(24)?;
    if p.done() {
        return Some(Posix { std, dst: None });
    }
    p.name()?;
    let dst_offset = match p.peek() {
        Some(b',') | None => std + 3600,
        _ => -p.offset(24)?,
    };
    let (start, end) = if p.done() {
        // glibc's default: the US rules.
        (
            (DayRule::Month(3, 2, 0), 7200),
            (DayRule::Month(11, 1, 0), 7200),
        )
    } else {
        p.eat(b',')?;
        let start = p.rule()?;
        p.eat(b',')?;
        let end = p.rule()?;
        (start, end)
    };
    if !p.done() {
        return None;
    }
    Some(Posix {
        std,
        dst: Some(Dst {
            offset: dst_offset,
            start,
            end,
        }),
    })
}

struct PosixParser<'a> {
    s: &'a [u8],
    at: usize,
}

impl PosixParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// A zone abbreviation: 3+ letters, or `<...>`.
    fn name(&mut self) -> Option<()> {
        if self.peek()? == b'<' {
            let end = self.s[self.at..].iter().position(|&b| b == b'>')?;
            self.at += end + 1;
            return (end >= 4).then_some(());
        }
        let n = self.s[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        self.at += n;
        (n >= 3).then_some(())
    }

    fn number(&mut self, max_digits: usize) -> Option<i32> {
        let n = self.s[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n == 0 || n > max_digits {
            return None;
        }
        let v = std::str::from_utf8(&self.s[self.at..self.at + n])
            .ok()?
            .parse()
            .ok()?;
        self.at += n;
        Some(v)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (hours up to `max_hours`).
    fn offset(&mut self, max_hours: i32) -> Option<i32> {
        let sign = match self.peek()? {
            b'+' => {
                self.at += 1;
                1
            }
            b'-' => {
                self.at += 1;
                -1
            }
            _ => 1,
        };
        let h = self.number(3)?;
        if h > max_hours {
            return None;
        }
        let mut secs = h * 3600;
        for mult in [60, 1] {
            if self.peek() != Some(b':') {
                break;
            }
            self.at += 1;
            let v = self.number(2)?;
            if v > 59 {
                return None;
            }
            secs += v * mult;
        }
        Some(sign * secs)
    }

    /// `Jn`, `n` or `Mm.w.d`, with an optional `/time` (default 02:00:00).
    fn rule(&mut self) -> Option<(DayRule, i32)> {
        let day = match self.peek()? {
            b'J' => {
                self.at += 1;
                let n = self.number(3)?;
                (1..=365).contains(&n).then_some(())?;
                DayRule::Julian1(u16::try_from(n).ok()?)
            }
            b'M' => {
                self.at += 1;
                let m = self.number(2)?;
                self.eat(b'.')?;
                let w = self.number(1)?;
                self.eat(b'.')?;
                let d = self.number(1)?;
                ((1..=12).contains(&m) && (1..=5).contains(&w) && (0..=6).contains(&d))
                    .then_some(())?;
                DayRule::Month(m as u32, w as u32, d as u32)
            }
            _ => {
                let n = self.number(3)?;
                (0..=365).contains(&n).then_some(())?;
                DayRule::Julian0(u16::try_from(n).ok()?)
            }
        };
        let time = if self.peek() == Some(b'/') {
            self.at += 1;
            self.offset(167)?
        } else {
            7200
        };
        Some((day, time))
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

impl DayRule {
    /// Days since the epoch of this day in `year`.
    fn day(self, year: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        match self {
            DayRule::Julian1(n) => {
                let n = i64::from(n);
                jan1 + n - 1 + i64::from(is_leap(year) && n >= 60)
            }
            DayRule::Julian0(n) => jan1 + i64::from(n),
            DayRule::Month(m, w, d) => {
                let first = days_from_civil(year, m, 1);
                // 1970-01-01 was a Thursday (4).
                let first_wday = (first + 4).rem_euclid(7);
                let mut day =
                    first + (i64::from(d) - first_wday).rem_euclid(7) + 7 * (i64::from(w) - 1);
                let next_month = match m {
                    12 => days_from_civil(year + 1, 1, 1),
                    _ => days_from_civil(year, m + 1, 1),
                };
                while day >= next_month {
                    day -= 7;
                }
                day
            }
        }
    }
}

impl Posix {
    fn offset_at(&self, unix_secs: i64) -> i32 {
        let Some(dst) = &self.dst else {
            return self.std;
        };
        let local = unix_secs.saturating_add(i64::from(self.std));
        let (year, _, _) = civil_from_days(local.div_euclid(86_400));
        let start = dst.start.0.day(year) * 86_400 + i64::from(dst.start.1) - i64::from(self.std);
        let end = dst.end.0.day(year) * 86_400 + i64::from(dst.end.1) - i64::from(dst.offset);
        let in_dst = if start < end {
            (start..end).contains(&unix_secs)
        } else {
            !(end..start).contains(&unix_secs)
        };
        if in_dst {
            dst.offset
        } else {
            self.std
        }
    }
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
        assert_eq!(DayRule::Julian1(60).day(2024), days_from_civil(2024, 3, 1));
        assert_eq!(DayRule::Julian0(59).day(2024), days_from_civil(2024, 2, 29));
    }

    /// A version 2 TZif file: one transition, a footer rule.
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
        d.extend_from_slice(&i64::to_be_bytes(1000));
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
            (z.offset_at(999), z.offset_at(1000), z.offset_at(1 << 40)),
            (3600, 7200, 7200)
        );
        // After the last transition, the footer rule.
        let z = zone_from_tzif(&tzif("<+03>-3")).unwrap();
        assert_eq!(
            (z.offset_at(999), z.offset_at(1000), z.offset_at(5000)),
            (3600, 10_800, 10_800)
        );
        // Truncated or corrupt files are refused, never a panic.
        let good = tzif("<+03>-3");
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
