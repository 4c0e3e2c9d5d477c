//! Right-hand constants: parsing per field type (conditions.md §11), with libsinsp's exact
//! conversions (`sscanf`-style numbers that wrap to the type's width, `/etc/services` port
//! names, `inet_pton` addresses, CIDR networks) and error texts.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::services;
use super::types::FieldType;

/// Size of the largest buffer libsinsp gives one constant (`s_max_filter_value_buf_size`);
/// longer string constants fail with `filter parameter too long …`.
pub const MAX_VALUE_STORAGE: usize = 256;

/// A parsed right-hand constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    /// A signed integer (`INT8`…`INT64`, `FD`, `PID`, `ERRNO`), already truncated to the
    /// type's width and sign-extended.
    Int(i64),
    /// An unsigned integer (`UINT*`, `FLAGS*`, `ENUMFLAGS*`, `MODE`, `UID`, `GID`,
    /// `RELTIME`, `ABSTIME`, `PORT`, `L4PROTO`), already truncated to the type's width.
    Uint(u64),
    /// A `DOUBLE` (always integral: libsinsp parses it as a 32-bit integer).
    Double(f64),
    /// A `BOOL`.
    Bool(bool),
    /// A string (`CHARBUF`, `FSPATH`, `FSRELPATH`, `SOCKADDR`, `SOCKTUPLE`, `SOCKFAMILY`),
    /// verbatim up to the first NUL byte.
    Str(String),
    /// A byte buffer (`BYTEBUF` verbatim, or the bytes of a `bcontains`/`bstartswith` hex
    /// constant).
    Bytes(Vec<u8>),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// An IPv4 network (`addr/prefix`, prefix ≤ 32).
    Ipv4Net {
        /// The address part as written (host bits are kept).
        addr: Ipv4Addr,
        /// Prefix length.
        prefix: u8,
    },
    /// An IPv6 network (`addr/prefix`, 1 ≤ prefix ≤ 128).
    Ipv6Net {
        /// The address part as written.
        addr: Ipv6Addr,
        /// Prefix length.
        prefix: u8,
    },
}

/// Parses `text` as a constant for a field whose (transformed) type is `ty`, as libsinsp's
/// `sinsp_filter_check::parse_filter_value` does (conditions.md §11).
///
/// Errors carry libsinsp's text, e.g. `0x10 is not a valid number`,
/// `unrecognized protocol nosuchsvc`, `filter error: unrecognized boolean value yes`,
/// `unrecognized IPv4 address 10.0.0.0/8`. (A port number too large for a C `int` gives
/// the C++ exception text `stoi`.)
pub fn parse_constant(ty: FieldType, text: &str) -> Result<Constant, String> {
    if ty == FieldType::Bytebuf {
        // Byte buffers are not converted at all; the value must fit the largest buffer.
        if text.len() >= MAX_VALUE_STORAGE {
            return Err("filter parameter too long (byte buf)".to_string());
        }
        return Ok(Constant::Bytes(text.as_bytes().to_vec()));
    }
    string_to_rawval(ty, text)
}

/// libsinsp's `sinsp_filter_value_parser::string_to_rawval`: the conversion used for every
/// type but a field's own `BYTEBUF` (which [`parse_constant`] copies). It is also what
/// `evt.rawarg.NAME` constants go through, so for a `BYTEBUF` parameter it fails with
/// `wrong parameter type 10`.
pub fn string_to_rawval(ty: FieldType, text: &str) -> Result<Constant, String> {
    use FieldType as T;
    // The C code sees a NUL-terminated string.
    let c_text = match text.find('\0') {
        Some(i) => &text[..i],
        None => text,
    };
    Ok(match ty {
        T::Int8 => Constant::Int(parse_d32(c_text)? as i8 as i64),
        T::Int16 => Constant::Int(parse_d32(c_text)? as i16 as i64),
        T::Int32 => Constant::Int(parse_d32(c_text)? as i64),
        T::Int64 | T::Fd | T::Errno | T::Pid => Constant::Int(parse_d64(c_text)?),
        T::L4Proto | T::Flags8 | T::Uint8 | T::EnumFlags8 => {
            Constant::Uint(parse_u32(c_text)? as u8 as u64)
        }
        T::Port => Constant::Uint(parse_port(c_text)? as u64),
        T::Flags16 | T::Uint16 | T::EnumFlags16 => Constant::Uint(parse_u32(c_text)? as u16 as u64),
        T::Flags32 | T::Uint32 | T::Mode | T::EnumFlags32 | T::Uid | T::Gid => {
            Constant::Uint(parse_u32(c_text)? as u64)
        }
        T::Uint64 | T::RelTime | T::AbsTime => Constant::Uint(parse_u64(c_text)?),
        T::Charbuf | T::Sockaddr | T::Socktuple | T::SockFamily | T::Fspath | T::FsRelPath => {
            if c_text.len() + 1 > MAX_VALUE_STORAGE {
                return Err(format!(
                    "filter parameter too long (used={}, available={}):{}",
                    c_text.len() + 1,
                    MAX_VALUE_STORAGE,
                    c_text
                ));
            }
            Constant::Str(c_text.to_string())
        }
        T::Bool => match c_text {
            "true" => Constant::Bool(true),
            "false" => Constant::Bool(false),
            _ => return Err(format!("filter error: unrecognized boolean value {c_text}")),
        },
        T::Double => Constant::Double(parse_d32(c_text)? as f64),
        T::IpAddr => {
            if text.contains('.') {
                return string_to_rawval(T::Ipv4Addr, text);
            }
            return string_to_rawval(T::Ipv6Addr, text);
        }
        T::Ipv4Addr => match inet_pton4(c_text) {
            Some(a) => Constant::Ipv4(a),
            None => return Err(format!("unrecognized IPv4 address {c_text}")),
        },
        T::Ipv6Addr => match inet_pton6(c_text) {
            Some(a) => Constant::Ipv6(a),
            None => return Err(format!("unrecognized IPv6 address {c_text}")),
        },
        T::IpNet => {
            if text.contains('.') {
                return string_to_rawval(T::Ipv4Net, text);
            }
            return string_to_rawval(T::Ipv6Net, text);
        }
        T::Ipv4Net => {
            let Some((ip, mask)) = split_net(c_text) else {
                return Err(format!("unrecognized IP network {c_text}"));
            };
            let Some(addr) = inet_pton4(ip) else {
                return Err(format!("unrecognized IP address {c_text}"));
            };
            let cidr = parse_u32(mask)? as u8;
            if cidr > 32 {
                return Err(format!("invalid netmask {mask}"));
            }
            Constant::Ipv4Net { addr, prefix: cidr }
        }
        T::Ipv6Net => {
            let Some((ip, mask)) = split_net(c_text) else {
                return Err(format!("invalid v6 netmask: {c_text}"));
            };
            let Some(addr) = inet_pton6(ip) else {
                return Err(format!("unrecognized IPv6 address {c_text}"));
            };
            let prefix = parse_u32(mask)? as u8;
            if prefix == 0 || prefix > 128 {
                return Err(format!("invalid v6 netmask {mask}"));
            }
            Constant::Ipv6Net { addr, prefix }
        }
        other => return Err(format!("wrong parameter type {}", other.code())),
    })
}

/// Decodes the hex text of a `bcontains`/`bstartswith` constant (an even number of hex
/// digits). Error: `filter error: bcontains and bstartswith operator support hex strings
/// only`.
pub fn parse_hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let b = text.as_bytes();
    if b.len() % 2 != 0 || !b.iter().all(|c| c.is_ascii_hexdigit()) {
        return Err(
            "filter error: bcontains and bstartswith operator support hex strings only".to_string(),
        );
    }
    Ok(b.chunks(2)
        .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1]))
        .collect())
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10) & 0x0f,
    }
}

/// Splits `ip/mask` at the first `/` (the mask is the rest of the line).
fn split_net(s: &str) -> Option<(&str, &str)> {
    let (ip, rest) = s.split_once('/')?;
    let mask = rest.split('\n').next().unwrap_or("");
    Some((ip, mask))
}

fn not_a_number(s: &str) -> String {
    format!("{s} is not a valid number")
}

/// The C `isspace` set skipped by `sscanf` before a number.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Splits `sscanf("%d%c")` input into (negative, decimal digits) when the whole text is
/// optional blanks, an optional sign and at least one digit; `None` otherwise.
fn scan_decimal(s: &str) -> Option<(bool, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start || i != b.len() {
        return None;
    }
    Some((neg, &s[start..i]))
}

/// The magnitude of a digit string, saturated at `u128::MAX`.
fn magnitude(digits: &str) -> u128 {
    digits.bytes().fold(0u128, |acc, d| {
        acc.saturating_mul(10).saturating_add((d - b'0') as u128)
    })
}

/// `strtol` on a 64-bit `long`: saturates at `i64::MIN`/`i64::MAX`.
fn strtol(neg: bool, digits: &str) -> i64 {
    let m = magnitude(digits);
    if neg {
        if m > i64::MAX as u128 + 1 {
            i64::MIN
        } else {
            (m as i128).wrapping_neg() as i64
        }
    } else if m > i64::MAX as u128 {
        i64::MAX
    } else {
        m as i64
    }
}

/// `strtoul` on a 64-bit `unsigned long`: saturates at `u64::MAX`, negates (wrapping)
/// after a `-`.
fn strtoul(neg: bool, digits: &str) -> u64 {
    let m = magnitude(digits);
    if m > u64::MAX as u128 {
        return u64::MAX;
    }
    let v = m as u64;
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

/// `sscanf(s, "%d%c")` into an `int` (libsinsp `parsed8/16/32`).
pub(crate) fn parse_d32(s: &str) -> Result<i32, String> {
    let (neg, digits) = scan_decimal(s).ok_or_else(|| not_a_number(s))?;
    Ok(strtol(neg, digits) as i32)
}

/// `sscanf(s, "%ld%c")` (libsinsp `parsed64`).
pub(crate) fn parse_d64(s: &str) -> Result<i64, String> {
    let (neg, digits) = scan_decimal(s).ok_or_else(|| not_a_number(s))?;
    Ok(strtol(neg, digits))
}

/// `sscanf(s, "%u%c")` into an `unsigned int` (libsinsp `parseu8/16/32`).
pub(crate) fn parse_u32(s: &str) -> Result<u32, String> {
    let (neg, digits) = scan_decimal(s).ok_or_else(|| not_a_number(s))?;
    Ok(strtoul(neg, digits) as u32)
}

/// `sscanf(s, "%lu%c")` (libsinsp `parseu64`).
pub(crate) fn parse_u64(s: &str) -> Result<u64, String> {
    let (neg, digits) = scan_decimal(s).ok_or_else(|| not_a_number(s))?;
    Ok(strtoul(neg, digits))
}

/// A `PORT` constant: empty → 0; all digits → `std::stoi` truncated to 16 bits; otherwise
/// a service name.
fn parse_port(s: &str) -> Result<u16, String> {
    if s.is_empty() {
        return Ok(0);
    }
    if s.bytes().all(|c| c.is_ascii_digit()) {
        let m = magnitude(s);
        if m > i32::MAX as u128 {
            return Err("stoi".to_string());
        }
        return Ok(m as u16);
    }
    services::port_of(s).ok_or_else(|| format!("unrecognized protocol {s}"))
}

/// glibc `inet_pton(AF_INET, …)`: exactly four dotted decimal octets, no leading zeros.
pub fn inet_pton4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0usize;
    let mut saw_digit = false;
    let mut cur: u32 = 0;
    for c in s.bytes() {
        if c.is_ascii_digit() {
            if saw_digit && cur == 0 {
                return None;
            }
            cur = cur * 10 + (c - b'0') as u32;
            if cur > 255 {
                return None;
            }
            if !saw_digit {
                n += 1;
                if n > 4 {
                    return None;
                }
                saw_digit = true;
            }
            octets[n - 1] = cur as u8;
        } else if c == b'.' && saw_digit {
            if n == 4 {
                return None;
            }
            cur = 0;
            saw_digit = false;
        } else {
            return None;
        }
    }
    if n < 4 {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// glibc `inet_pton(AF_INET6, …)`: colon-separated hex groups of up to four digits, one
/// `::`, optionally ending in a dotted IPv4 address.
pub fn inet_pton6(s: &str) -> Option<Ipv6Addr> {
    let b = s.as_bytes();
    let mut out = [0u8; 16];
    let mut tp = 0usize;
    let mut colonp: Option<usize> = None;
    let mut i = 0usize;
    if b.first() == Some(&b':') {
        if b.get(1) != Some(&b':') {
            return None;
        }
        i = 1;
    }
    let mut curtok = i;
    let mut saw_xdigit = false;
    let mut val: u32 = 0;
    let mut ndigits = 0;
    while i < b.len() {
        let ch = b[i];
        i += 1;
        if ch.is_ascii_hexdigit() {
            if ndigits >= 4 {
                return None;
            }
            val = (val << 4) | (ch as char).to_digit(16).unwrap_or(0);
            ndigits += 1;
            saw_xdigit = true;
            continue;
        }
        if ch == b':' {
            curtok = i;
            if !saw_xdigit {
                if colonp.is_some() {
                    return None;
                }
                colonp = Some(tp);
                continue;
            } else if i >= b.len() {
                return None;
            }
            if tp + 2 > 16 {
                return None;
            }
            out[tp] = (val >> 8) as u8;
            out[tp + 1] = val as u8;
            tp += 2;
            saw_xdigit = false;
            ndigits = 0;
            val = 0;
            continue;
        }
        if ch == b'.' && tp + 4 <= 16 {
            let tail = std::str::from_utf8(&b[curtok..]).ok()?;
            let v4 = inet_pton4(tail)?;
            out[tp..tp + 4].copy_from_slice(&v4.octets());
            tp += 4;
            saw_xdigit = false;
            break;
        }
        return None;
    }
    if saw_xdigit {
        if tp + 2 > 16 {
            return None;
        }
        out[tp] = (val >> 8) as u8;
        out[tp + 1] = val as u8;
        tp += 2;
    }
    if let Some(cp) = colonp {
        if tp == 16 {
            return None;
        }
        let n = tp - cp;
        let shift = 16 - tp;
        for j in (0..n).rev() {
            out[cp + j + shift] = out[cp + j];
            out[cp + j] = 0;
        }
        tp = 16;
    }
    if tp != 16 {
        return None;
    }
    Some(Ipv6Addr::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sscanf_numbers() {
        assert_eq!(parse_d32(" 12"), Ok(12));
        assert_eq!(parse_d32("+7"), Ok(7));
        assert!(parse_d32("12 ").is_err());
        assert!(parse_d32("").is_err());
        assert!(parse_d32("-").is_err());
        assert_eq!(parse_d32("4294967297"), Ok(1));
        assert_eq!(parse_u32("-1"), Ok(u32::MAX));
        assert_eq!(parse_u64("-1"), Ok(u64::MAX));
        assert_eq!(parse_u64("99999999999999999999999"), Ok(u64::MAX));
        assert_eq!(parse_d64("-99999999999999999999999"), Ok(i64::MIN));
        assert_eq!(parse_d64("9223372036854775808"), Ok(i64::MAX));
    }

    #[test]
    fn ipv6_forms() {
        for ok in [
            "::",
            "::1",
            "2001:db8::3:1234",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:7:8",
            "1::8",
            "fe80::",
        ] {
            assert_eq!(
                inet_pton6(ok),
                ok.parse::<Ipv6Addr>().ok(),
                "{ok} should parse like the standard library"
            );
        }
        for bad in [
            ":1",
            "1:2:3:4:5:6:7:8:9",
            "12345::",
            "1::2::3",
            "1:",
            "",
            "::1.2.3",
        ] {
            assert_eq!(inet_pton6(bad), None, "{bad}");
        }
    }

    #[test]
    fn ipv4_forms() {
        assert_eq!(inet_pton4("10.0.0.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        for bad in [
            "010.0.0.1",
            "1.2.3",
            "1.2.3.4.",
            "256.0.0.1",
            "1..2.3",
            "a.b.c.d",
            "",
        ] {
            assert_eq!(inet_pton4(bad), None, "{bad}");
        }
    }
}
