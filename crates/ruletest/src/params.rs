//! Event parameters written in a test file → libscap's parameter encodings: integers of
//! the parameter's width (flag parameters also by name, `O_RDONLY|O_CLOEXEC`), strings
//! NUL-terminated, string lists (`args`, `env`, `cgroups`) as NUL-separated items,
//! socket addresses (`10.0.0.1:443`, `[::1]:80`, `/run/x.sock`) and tuples
//! (`10.0.0.2:40000->10.96.0.1:443`) in libscap's layouts.

use std::net::{IpAddr, Ipv4Addr};

use falcoc_schema::fields::FieldType;

/// An integer in the encoding of a parameter of type `ty` (strings get nothing: a
/// variable-length parameter that has no value is empty).
pub fn int(ty: FieldType, v: i64) -> Vec<u8> {
    match ty.fixed_width() {
        Some(w) => v.to_le_bytes()[..w].to_vec(),
        None => Vec::new(),
    }
}

/// A NUL-terminated string.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// A list of strings, each NUL-terminated (`args`, `env`, `cgroups`).
pub fn str_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut v = Vec::new();
    for s in items {
        v.extend_from_slice(s.as_bytes());
        v.push(0);
    }
    v
}

/// Parses an integer as written in a test file: decimal, `0x…` hex, `0o…` octal, or a
/// leading-zero octal mode (`0644`); negative numbers too.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()? as i64
    } else if let Some(o) = body.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse::<u64>().ok()? as i64
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

/// A flag value: a number, or names from `table` joined by `|` (or given as `names`).
pub fn parse_flags(
    names: &[&str],
    table: Option<&[(&str, u32)]>,
    ty: FieldType,
) -> Result<i64, String> {
    let mut out = 0i64;
    for raw in names.iter().flat_map(|n| n.split('|')) {
        let n = raw.trim();
        if n.is_empty() {
            continue;
        }
        if let Some(v) = parse_int(n) {
            out |= v;
            continue;
        }
        let Some(table) = table else {
            return Err(format!(
                "`{n}` is not a number (this parameter has no flag names)"
            ));
        };
        match table.iter().find(|(name, _)| *name == n) {
            Some((_, v)) => {
                // An enum (e.g. a socket family) is one value, not a bit set.
                if matches!(
                    ty,
                    FieldType::EnumFlags8 | FieldType::EnumFlags16 | FieldType::EnumFlags32
                ) {
                    out = *v as i64;
                } else {
                    out |= *v as i64;
                }
            }
            None => {
                let known: Vec<&str> = table.iter().map(|(n, _)| *n).take(12).collect();
                return Err(format!(
                    "unknown flag `{n}` (known: {}{})",
                    known.join(", "),
                    if table.len() > known.len() {
                        ", …"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    Ok(out)
}

/// An endpoint `ip:port` (`[v6]:port` for IPv6).
pub fn parse_endpoint(s: &str) -> Result<(IpAddr, u16), String> {
    let s = s.trim();
    let (ip, port) = if let Some(rest) = s.strip_prefix('[') {
        let (ip, port) = rest
            .split_once("]:")
            .ok_or_else(|| format!("`{s}`: expected `[ipv6]:port`"))?;
        (ip, port)
    } else {
        s.rsplit_once(':')
            .ok_or_else(|| format!("`{s}`: expected `ip:port`"))?
    };
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| format!("`{ip}` is not an IP address"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("`{port}` is not a port number"))?;
    Ok((ip, port))
}

/// An endpoint: address and port.
pub type Endpoint = (IpAddr, u16);

/// A tuple `sip:sport->dip:dport`.
pub fn parse_tuple(s: &str) -> Result<(Endpoint, Endpoint), String> {
    let (a, b) = s
        .split_once("->")
        .ok_or_else(|| format!("`{s}`: expected `sip:sport->dip:dport`"))?;
    let a = parse_endpoint(a)?;
    let b = parse_endpoint(b)?;
    if a.0.is_ipv4() != b.0.is_ipv4() {
        return Err(format!("`{s}`: both ends must be IPv4 or both IPv6"));
    }
    Ok((a, b))
}

/// libscap's sockaddr: `u8 family` + address + port (host order); a path is a unix
/// socket.
pub fn sockaddr(s: &str) -> Result<Vec<u8>, String> {
    if s.starts_with('/') || s.starts_with('@') {
        let mut v = vec![1];
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        return Ok(v);
    }
    let (ip, port) = parse_endpoint(s)?;
    Ok(match ip {
        IpAddr::V4(a) => {
            let mut v = vec![2];
            v.extend_from_slice(&a.octets());
            v.extend_from_slice(&port.to_le_bytes());
            v
        }
        IpAddr::V6(a) => {
            let mut v = vec![10];
            v.extend_from_slice(&a.octets());
            v.extend_from_slice(&port.to_le_bytes());
            v
        }
    })
}

/// libscap's socket tuple: `u8 family` + source + port + destination + port.
pub fn socktuple(s: &str) -> Result<Vec<u8>, String> {
    let ((sip, sport), (dip, dport)) = parse_tuple(s)?;
    let (family, sa, da): (u8, Vec<u8>, Vec<u8>) = match (sip, dip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (2, a.octets().to_vec(), b.octets().to_vec()),
        (IpAddr::V6(a), IpAddr::V6(b)) => (10, a.octets().to_vec(), b.octets().to_vec()),
        _ => return Err(format!("`{s}`: both ends must be IPv4 or both IPv6")),
    };
    let mut v = vec![family];
    v.extend_from_slice(&sa);
    v.extend_from_slice(&sport.to_le_bytes());
    v.extend_from_slice(&da);
    v.extend_from_slice(&dport.to_le_bytes());
    Ok(v)
}

/// An IPv4 tuple's parts (`None` for IPv6).
pub fn v4_tuple(s: &str) -> Result<(Ipv4Addr, u16, Ipv4Addr, u16), String> {
    match parse_tuple(s)? {
        ((IpAddr::V4(a), sp), (IpAddr::V4(b), dp)) => Ok((a, sp, b, dp)),
        _ => Err(format!("`{s}`: only IPv4 tuples describe an fd")),
    }
}

/// A parameter value of type `ty` from its text (scalars) or items (sequences).
pub fn encode(
    ty: FieldType,
    table: Option<&[(&str, u32)]>,
    scalar: Option<&str>,
    items: Option<&[String]>,
) -> Result<Vec<u8>, String> {
    use FieldType as T;
    if let Some(items) = items {
        return match ty {
            T::Bytebuf | T::CharbufArray => Ok(str_list(items.iter().map(String::as_str))),
            T::Flags8
            | T::Flags16
            | T::Flags32
            | T::EnumFlags8
            | T::EnumFlags16
            | T::EnumFlags32 => {
                let names: Vec<&str> = items.iter().map(String::as_str).collect();
                Ok(int(ty, parse_flags(&names, table, ty)?))
            }
            _ => Err(format!(
                "a list is not a value of a {} parameter",
                ty.name()
            )),
        };
    }
    let s = scalar.unwrap_or("");
    match ty {
        T::Charbuf | T::Fspath | T::FsRelPath => Ok(cstr(s)),
        T::Bytebuf => Ok(s.as_bytes().to_vec()),
        T::Sockaddr => sockaddr(s),
        T::Socktuple => socktuple(s),
        T::Ipv4Addr => s
            .parse::<Ipv4Addr>()
            .map(|a| a.octets().to_vec())
            .map_err(|_| format!("`{s}` is not an IPv4 address")),
        T::Double => s
            .parse::<f64>()
            .map(|f| f.to_bits().to_le_bytes().to_vec())
            .map_err(|_| format!("`{s}` is not a number")),
        T::Bool => match s {
            "true" => Ok(int(ty, 1)),
            "false" => Ok(int(ty, 0)),
            _ => parse_int(s)
                .map(|v| int(ty, v))
                .ok_or_else(|| format!("`{s}` is not a boolean")),
        },
        T::Flags8 | T::Flags16 | T::Flags32 | T::EnumFlags8 | T::EnumFlags16 | T::EnumFlags32 => {
            Ok(int(ty, parse_flags(&[s], table, ty)?))
        }
        T::Fd if s == "AT_FDCWD" => Ok(int(ty, -100)),
        _ if ty.fixed_width().is_some() => parse_int(s)
            .map(|v| int(ty, v))
            .ok_or_else(|| format!("`{s}` is not an integer")),
        _ => Err(format!(
            "parameters of type {} cannot be written in a test file",
            ty.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_flags() {
        assert_eq!(parse_int("0644"), Some(0o644));
        assert_eq!(parse_int("-100"), Some(-100));
        assert_eq!(parse_int("0x10"), Some(16));
        assert_eq!(parse_int("x"), None);
        let table = [("O_RDONLY", 1u32), ("O_CLOEXEC", 4096)];
        assert_eq!(
            parse_flags(&["O_RDONLY|O_CLOEXEC"], Some(&table), FieldType::Flags32),
            Ok(4097)
        );
        assert!(parse_flags(&["O_NOPE"], Some(&table), FieldType::Flags32)
            .unwrap_err()
            .contains("unknown flag `O_NOPE`"));
    }

    #[test]
    fn addresses() {
        assert_eq!(
            socktuple("10.0.0.2:40000->10.96.0.1:443").unwrap(),
            [2, 10, 0, 0, 2, 0x40, 0x9c, 10, 96, 0, 1, 0xbb, 0x01]
        );
        assert_eq!(sockaddr("1.2.3.4:80").unwrap(), [2, 1, 2, 3, 4, 80, 0]);
        assert!(socktuple("1.2.3.4:1->[::1]:2").is_err());
        assert!(parse_endpoint("1.2.3.4").is_err());
    }
}
