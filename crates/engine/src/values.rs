//! The text and JSON of extracted values, as libsinsp prints them
//! (`rawval_to_string`, the JSON output of `output_fields`), for every event source.

use std::net::{IpAddr, Ipv6Addr};

use falcoc_codegen::ValueRef;
use falcoc_schema::fields::{FieldType, PrintFormat};
use serde_json::Value;

use crate::vm::Values;

/// An IPv6 address as glibc's `inet_ntop` writes it.
pub fn ipv6_string(a: [u8; 16]) -> String {
    let mut out = String::with_capacity(39);
    write_ipv6(&mut out, a);
    out
}

/// [`ipv6_string`] appended to `out` (no intermediate string).
pub fn write_ipv6(out: &mut String, a: [u8; 16]) {
    use std::fmt::Write;
    // glibc prints `::a.b.c.d` for IPv4-compatible addresses (96 zero bits, then a
    // non-zero 7th word); Rust prints them in hex. Writing to a `String` cannot fail.
    if a[..12].iter().all(|&b| b == 0) && (a[12] != 0 || a[13] != 0) {
        let _ = write!(out, "::{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
    } else {
        let _ = write!(out, "{}", Ipv6Addr::from(a));
    }
}

/// One value as `rawval_to_string` prints it.
pub fn render_value(v: ValueRef<'_>, ty: FieldType, format: PrintFormat) -> String {
    use FieldType as T;
    match v {
        ValueRef::Bytes(b) => {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            String::from_utf8_lossy(&b[..end]).into_owned()
        }
        ValueRef::Bool(b) => (if b { "true" } else { "false" }).to_string(),
        ValueRef::Ip(a) => match a {
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => ipv6_string(a.octets()),
        },
        ValueRef::F64(f) => format!("{f:.1}"),
        ValueRef::I64(i) => match (ty, format) {
            (T::Int64 | T::Pid | T::Errno | T::Fd, PrintFormat::Hex) => format!("{:X}", i as u64),
            (_, PrintFormat::Oct) => format!("{:o}", i),
            (_, PrintFormat::PaddedDec) => format!("{:09}", i),
            _ => i.to_string(),
        },
        ValueRef::U64(u) => match (ty, format) {
            (T::Bool, _) => (if u != 0 { "true" } else { "false" }).to_string(),
            (T::Uint64 | T::RelTime | T::AbsTime, PrintFormat::Hex) => format!("{:X}", u),
            (_, PrintFormat::Oct) => format!("{:o}", u),
            (_, PrintFormat::PaddedDec) => format!("{:09}", u),
            (T::Int8, _) => (u as i8).to_string(),
            (T::Int16, _) => (u as i16).to_string(),
            (T::Int32, _) => (u as i32).to_string(),
            (T::Int64, _) => (u as i64).to_string(),
            _ => u.to_string(),
        },
    }
}

/// The text of extracted values: one value as [`render_value`], several (list fields)
/// as `(a,b,c)`; `None` for none.
pub fn render_values(vals: &Values, ty: FieldType, format: PrintFormat) -> Option<String> {
    match vals.len() {
        0 => None,
        1 => vals.first().map(|v| render_value(v, ty, format)),
        _ => {
            let parts: Vec<String> = vals.iter().map(|v| render_value(v, ty, format)).collect();
            Some(format!("({})", parts.join(",")))
        }
    }
}

fn json_value(v: ValueRef<'_>, ty: FieldType, format: PrintFormat) -> Value {
    let numeric_format = matches!(format, PrintFormat::Dec | PrintFormat::Id | PrintFormat::Na);
    match v {
        ValueRef::Bool(b) => Value::Bool(b),
        ValueRef::U64(u) if ty == FieldType::Bool => Value::Bool(u != 0),
        ValueRef::I64(i) if numeric_format => Value::from(i),
        ValueRef::U64(u) if numeric_format => match ty {
            FieldType::Int8 => Value::from(u as i8),
            FieldType::Int16 => Value::from(u as i16),
            FieldType::Int32 => Value::from(u as i32),
            FieldType::Int64 => Value::from(u as i64),
            _ => Value::from(u),
        },
        ValueRef::F64(f) => Value::from(f),
        other => Value::String(render_value(other, ty, format)),
    }
}

/// The JSON of extracted values (see `falcoc_syscall`'s `Extractor::json`).
pub fn json_values(vals: &Values, ty: FieldType, format: PrintFormat, is_list: bool) -> Value {
    if is_list {
        return Value::Array(vals.iter().map(|v| json_value(v, ty, format)).collect());
    }
    match vals.first() {
        Some(v) => json_value(v, ty, format),
        None => Value::Null,
    }
}
