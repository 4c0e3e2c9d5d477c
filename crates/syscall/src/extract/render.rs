//! Text forms as libsinsp prints them: event parameters (`sinsp_evt::get_param_as_str`,
//! used by `evt.arg.*`, `evt.args`, `evt.res` and by fd names), socket addresses and
//! tuples, flag sets, errno and signal names, byte buffers.

use std::net::Ipv4Addr;

use falcoc_engine::vm::Values;
use falcoc_schema::fields::{FieldType, PrintFormat};

use falcoc_scap::EventRef;
use falcoc_state::decimal::Decimal;
use falcoc_state::evtable::{self, ParamDesc};
use falcoc_state::fd::{self, ipv6_string, sockaddr_string, socktuple_string};
use falcoc_state::paths::{self, concatenate_into};
use falcoc_state::{State, ThreadRef};

/// How byte buffers are printed (sysdig's default: printable bytes, `.` for the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// Buffers longer than this many bytes are cut and end in `...` (sysdig sets 80 when
    /// printing without `-v`; 0 = no limit, as in Falco).
    pub max_buffer_len: usize,
}

/// A parameter as text: libsinsp's plain and resolved forms (`evt.arg` gives the
/// resolved one when it is not empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamText {
    /// The plain rendering (`3`, `/etc/passwd`, `257`).
    pub raw: String,
    /// The resolved rendering (`<f>/etc/passwd`, `O_RDONLY|O_CLOEXEC`), possibly empty.
    pub resolved: String,
}

impl ParamText {
    /// [`best`](Self::best), borrowed.
    pub fn best_str(&self) -> &str {
        if self.resolved.is_empty() {
            &self.raw
        } else {
            &self.resolved
        }
    }

    /// The resolved form if not empty, else the plain one.
    pub fn best(self) -> String {
        if self.resolved.is_empty() {
            self.raw
        } else {
            self.resolved
        }
    }
}

include!("names.rs");

fn ip4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn ip16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    a
}

/// The names of the bits of a flag set, as libsinsp's flag rendering loop produces them.
pub fn flag_names(value: u32, table: &[(&str, u32)]) -> String {
    let mut out = String::new();
    flag_name_parts(value, table, |part| out.push_str(part));
    out
}

/// [`flag_names`] as parts (names and `|` separators) handed to `part` in order.
fn flag_name_parts<'t>(value: u32, table: &[(&'t str, u32)], mut part: impl FnMut(&'t str)) {
    let mut sep = "";
    let mut val = value;
    let mut stopped = None;
    for &(name, flag) in table {
        if flag == value {
            stopped = Some(name);
            break;
        }
        if (flag == 0 && value == 0) || (flag != 0 && val & flag == flag && val != 0) {
            part(sep);
            part(name);
            sep = "|";
            val &= !flag;
        }
    }
    if let Some(name) = stopped {
        part(sep);
        part(name);
    }
}

/// Pushes the text `evt.arg` gives for parameter `i` (the resolved form, else the plain
/// one; cut at a NUL) for the common parameter types, without building strings: flags,
/// C strings and decimal integers. `false` (nothing pushed) for the other types and a
/// missing parameter: the caller goes through [`param_text`].
pub fn push_param_best(evt: &EventRef<'_>, i: usize, out: &mut Values) -> bool {
    let Some(p) = evt.param(i) else {
        return false;
    };
    let raw = p.raw();
    let Some(d) = param_desc(evt.code, i) else {
        return false;
    };
    use FieldType as T;
    match d.ty {
        T::Flags8 | T::Flags16 | T::Flags32 | T::EnumFlags8 | T::EnumFlags16 | T::EnumFlags32 => {
            let v = falcoc_state::parse_uint(raw) as u32;
            let mut parts = [""; 64];
            let mut n = 0;
            let mut fits = true;
            if let Some(t) = d.names {
                flag_name_parts(v, t, |s| {
                    if n < parts.len() {
                        parts[n] = s;
                        n += 1;
                    } else {
                        fits = false;
                    }
                });
            }
            if !fits {
                return false;
            }
            if parts[..n].iter().any(|s| !s.is_empty()) {
                out.push_concat(parts[..n].iter().copied());
            } else {
                push_decimal(out, i64::from(v));
            }
            true
        }
        T::Charbuf => match std::str::from_utf8(falcoc_state::parse_cstr(raw)) {
            Ok(s) => {
                out.push_str(s);
                true
            }
            Err(_) => false,
        },
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::Uint8 | T::Uint16 | T::Uint64
            if matches!(d.format, PrintFormat::Dec | PrintFormat::Na) =>
        {
            let v = match d.ty {
                T::Int8 | T::Int16 | T::Int32 | T::Int64 => falcoc_state::parse_int(raw),
                _ => falcoc_state::parse_uint(raw) as i64,
            };
            push_decimal(out, v);
            true
        }
        _ => false,
    }
}

/// Pushes `v` as decimal text (what `v.to_string()` gives), without a new string.
fn push_decimal(out: &mut Values, v: i64) {
    out.push_bytes(Decimal::new(v).as_bytes());
}

/// A byte buffer with unprintable bytes as `.` (`binary_buffer_to_string_dots`), cut to
/// `max` bytes ending in `...` when longer (0 = no limit).
pub fn buffer_dots(b: &[u8], max: usize) -> String {
    let mut s: String = b
        .iter()
        .map(|&c| {
            if (0x20..=0x7e).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect();
    if max != 0 && s.len() > max {
        s.truncate(max);
        if max > 3 {
            s.replace_range(max - 3.., "...");
        }
    }
    s
}

/// C's `%g` (6 significant digits, trailing zeros removed).
pub fn c_g(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let exp = v.abs().log10().floor() as i32;
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..6).contains(&exp) {
        let s = format!("{:.5e}", v);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        format!(
            "{}e{}{:02}",
            trim(m.to_string()),
            if e < 0 { '-' } else { '+' },
            e.abs()
        )
    } else {
        let decimals = (5 - exp).max(0) as usize;
        trim(format!("{:.*}", decimals, v))
    }
}

/// A number printed with C's `%#o` / `%d` / `%X` by print format (`SET_NUMERIC_FORMAT`);
/// `v` is already the value as the C code passes it (sign-extended where it prints
/// signed).
fn numeric(v: i64, bits: u32, format: PrintFormat) -> String {
    let mut out = String::new();
    numeric_into(&mut out, v, bits, format);
    out
}

/// [`numeric`] appended to `out`.
fn numeric_into(out: &mut String, v: i64, bits: u32, format: PrintFormat) {
    use std::fmt::Write;
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let u = v as u64 & mask;
    // Writing to a `String` cannot fail.
    let _ = match format {
        PrintFormat::Oct if u == 0 => out.write_str("0"),
        PrintFormat::Oct => write!(out, "0{u:o}"),
        PrintFormat::Hex => write!(out, "{u:X}"),
        PrintFormat::PaddedDec => write!(out, "{v:09}"),
        _ => write!(out, "{v}"),
    };
}

/// The description of parameter `i` of the event (2022 table for older codes).
pub fn param_desc(code: u16, i: usize) -> Option<&'static ParamDesc> {
    evtable::event(code)?.params.get(i)
}

/// The base directory of a relative path parameter when it is not the process's
/// working directory (`None`): a `*at` call's directory fd (its name and `/`, or empty for
/// an unknown fd).
fn dirfd_base(state: &mut State, evt: &EventRef<'_>, tid: i64, desc: &ParamDesc) -> Option<String> {
    if desc.ty != FieldType::FsRelPath {
        return None;
    }
    let raw = evt.param(desc.dirfd?)?.raw();
    if raw.len() != 8 {
        return None;
    }
    let dirfd = i64::from_le_bytes(raw.try_into().unwrap_or([0; 8]));
    if dirfd == -100 {
        return None;
    }
    Some(match state.fd(tid, dirfd) {
        Some(f) if !f.name.is_empty() => {
            let mut s = paths::sanitize(&f.name);
            s.push('/');
            s
        }
        _ => String::new(),
    })
}

/// `get_param_as_str`: parameter `i` of `evt` as text, resolved against the state.
pub fn param_text(
    state: &mut State,
    evt: &EventRef<'_>,
    i: usize,
    opts: &RenderOptions,
) -> Option<ParamText> {
    let mut out = ParamText::default();
    param_text_into(state, evt, i, opts, &mut out).then_some(out)
}

/// [`param_text`] into `out`, replacing its contents and reusing its buffers (paths and
/// error codes, the parameters the rules read on the hot path, are written in place);
/// false if the event has no parameter `i`.
pub fn param_text_into(
    state: &mut State,
    evt: &EventRef<'_>,
    i: usize,
    opts: &RenderOptions,
    out: &mut ParamText,
) -> bool {
    use std::fmt::Write;
    out.raw.clear();
    out.resolved.clear();
    let Some(param) = evt.param(i) else {
        return false;
    };
    let raw = param.raw();
    let desc = param_desc(evt.code, i);
    let (ty, format, names) = match desc {
        Some(d) => (d.ty, d.format, d.names),
        None => (
            param.ty().unwrap_or(FieldType::Bytebuf),
            param.info().map_or(PrintFormat::Na, |p| p.format),
            None,
        ),
    };
    let tid = match state.event_thread_ref(evt.tid) {
        Some(ThreadRef::Table(t)) => Some(t),
        _ => None,
    };
    let int = falcoc_state::parse_int;
    let uint = falcoc_state::parse_uint;
    use FieldType as T;
    match ty {
        T::Int8 => numeric_into(&mut out.raw, int(raw), 8, format),
        T::Int16 => numeric_into(&mut out.raw, int(raw), 16, format),
        T::Int32 => numeric_into(&mut out.raw, int(raw), 32, format),
        T::Int64 => numeric_into(&mut out.raw, int(raw), 64, format),
        T::Uint8 => numeric_into(&mut out.raw, uint(raw) as i64, 8, format),
        T::Uint16 => numeric_into(&mut out.raw, uint(raw) as i64, 16, format),
        // Printed with %d: the 32-bit value as signed.
        T::Uint32 => numeric_into(&mut out.raw, uint(raw) as u32 as i32 as i64, 32, format),
        T::Uint64 => numeric_into(&mut out.raw, uint(raw) as i64, 64, format),
        T::Fd => {
            let fd = int(raw);
            let _ = write!(out.raw, "{fd}");
            if let Some(tid) = tid {
                if fd >= 0 {
                    if let Some(f) = state.fd(tid, fd) {
                        let tch = f.typechar() as char;
                        let proto = if matches!(
                            f.ty,
                            falcoc_scap::FdType::Ipv4Sock
                                | falcoc_scap::FdType::Ipv6Sock
                                | falcoc_scap::FdType::Ipv4ServSock
                                | falcoc_scap::FdType::Ipv6ServSock
                        ) {
                            match f.l4proto() {
                                fd::L4_TCP => "t",
                                fd::L4_UDP => "u",
                                fd::L4_ICMP => "i",
                                fd::L4_RAW => "r",
                                _ => "",
                            }
                        } else {
                            ""
                        };
                        out.resolved = format!("<{tch}{proto}>{}", paths::sanitize(&f.name));
                    }
                } else if fd == -100 {
                    out.resolved.push_str("AT_FDCWD");
                } else if let Some(e) = errno_name(fd) {
                    out.resolved.push_str(e);
                }
            }
        }
        T::Pid => {
            let pid = int(raw);
            out.raw = pid.to_string();
            if let Some(t) = state.thread(pid) {
                out.resolved = t.comm.clone();
            }
        }
        T::Errno => {
            let v = int(raw);
            // Writing to a `String` cannot fail.
            let _ = write!(out.raw, "{v}");
            if v < 0 {
                if let Some(e) = errno_name(v) {
                    out.resolved.push_str(e);
                }
            }
        }
        T::Charbuf => out.raw = String::from_utf8_lossy(falcoc_state::parse_cstr(raw)).into_owned(),
        T::Fspath | T::FsRelPath => {
            paths::push_sanitized(&mut out.raw, raw);
            match (tid, desc) {
                (Some(tid), Some(d)) if !raw.is_empty() => {
                    if !falcoc_state::parse_cstr(raw).starts_with(b"<NA>") {
                        // The process's directory is borrowed; a directory fd's name is
                        // copied (rare).
                        let relative = match dirfd_base(state, evt, tid, d) {
                            Some(base) => concatenate_into(&base, raw, &mut out.resolved),
                            None => {
                                let cwd = state.process_cwd_ref(tid);
                                concatenate_into(cwd, raw, &mut out.resolved)
                            }
                        };
                        if !relative || out.resolved == paths::PATH_TOO_LONG {
                            out.resolved.clear();
                        }
                    }
                }
                (Some(_), None) if !raw.is_empty() => {}
                _ => out.resolved.clone_from(&out.raw),
            }
        }
        T::Bytebuf => out.raw = buffer_dots(raw, opts.max_buffer_len),
        T::Sockaddr => out.raw = sockaddr_string(raw),
        T::Socktuple => out.raw = socktuple_string(raw),
        T::Fdlist => {
            if let (Some(tid), Some(list)) = (tid, falcoc_scap::FdListParam::parse(raw)) {
                let items: Vec<(i64, i16)> = list.iter().collect();
                let mut parts = Vec::new();
                for (fdn, flags) in items {
                    let tch = state.fd(tid, fdn).map_or('?', |f| f.typechar() as char);
                    parts.push(format!("{}:{}{:x}", fdn as u64, tch, flags as i32 as u32));
                }
                out.raw = parts.join(" ");
            }
        }
        T::SyscallId => {
            let id = uint(raw) as u16;
            out.raw = id.to_string();
            out.resolved = evtable::syscall(id).1.to_string();
        }
        T::SigType => {
            let v = uint(raw) as u8;
            out.raw = v.to_string();
            if let Some(s) = signal_name(v) {
                out.resolved = s.to_string();
            }
        }
        T::RelTime => {
            let v = uint(raw);
            if v == u64::MAX {
                out.raw = "none".to_string();
            } else {
                out.raw = v.to_string();
                out.resolved = format!("{}s", c_g(v as f64 / 1e9));
            }
        }
        T::Flags8 | T::Flags16 | T::Flags32 | T::EnumFlags8 | T::EnumFlags16 | T::EnumFlags32 => {
            let v = uint(raw) as u32;
            let _ = write!(out.raw, "{v}");
            if let Some(t) = names {
                flag_name_parts(v, t, |part| out.resolved.push_str(part));
            }
        }
        T::Mode => {
            let v = uint(raw) as u32;
            numeric_into(&mut out.raw, v as i32 as i64, 32, format);
            if let Some(t) = names {
                out.resolved = flag_names(v, t);
            }
        }
        T::Uid | T::Gid => {
            let v = uint(raw) as u32;
            if v < u32::MAX {
                out.raw = (v as i32).to_string();
                let name = if ty == T::Uid {
                    state.user(v).map(|u| u.name.clone())
                } else {
                    state.group(v).map(|g| g.name.clone())
                };
                out.resolved = name.map_or_else(|| "<NA>".to_string(), |n| paths::sanitize(&n));
            } else {
                out.raw = "-1".to_string();
                out.resolved = "<NONE>".to_string();
            }
        }
        T::SigSet => {
            let v = uint(raw) as u32;
            let names: Vec<&str> = (0..32)
                .filter(|s| v & (1 << s) != 0)
                .filter_map(|s| signal_name(s as u8 + 1))
                .collect();
            out.raw = names.join(" ");
        }
        T::Dyn => {
            // The value after the type index: numbers per their width.
            let v = raw.get(1..).unwrap_or(&[]);
            out.raw = match v.len() {
                8 => numeric(int(v), 64, format),
                4 => numeric(int(v), 32, format),
                2 => numeric(int(v), 16, format),
                1 => numeric(uint(v) as i64, 8, format),
                _ => buffer_dots(v, opts.max_buffer_len),
            };
        }
        T::AbsTime if evt.code < 336 => out.raw = "INVALID DYNAMIC PARAMETER".to_string(),
        T::AbsTime | T::Port | T::L4Proto | T::SockFamily => out.raw = uint(raw).to_string(),
        T::Bool => out.raw = (uint(raw) != 0).to_string(),
        T::Ipv4Addr if raw.len() == 4 => out.raw = ip4(raw).to_string(),
        T::Ipv6Addr if raw.len() == 16 => out.raw = ipv6_string(ip16(raw)),
        _ => out.raw = "(n.a.)".to_string(),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use falcoc_scap::AF_INET;

    #[test]
    fn param_fast_path_gives_param_text_best() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/captures/synth_small.scap");
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("note: {} missing", path.display());
            return;
        };
        let mut r = falcoc_scap::Reader::new(&bytes[..]).unwrap();
        let mut state = State::new(Default::default());
        state.set_metadata(r.read_metadata().unwrap().clone());
        let opts = RenderOptions::default();
        let (mut fast, mut checked) = (Values::new(), 0);
        while let Some(Ok(evt)) = r.next_event_ref() {
            state.process(&evt);
            for i in 0..evt.nparams() {
                fast.clear();
                if !push_param_best(&evt, i, &mut fast) {
                    continue;
                }
                let want = param_text(&mut state, &evt, i, &opts).unwrap().best();
                let want = want.split('\0').next().unwrap_or("");
                assert_eq!(fast.len(), 1);
                let got = falcoc_engine::values::render_values(
                    &fast,
                    FieldType::Charbuf,
                    PrintFormat::Na,
                );
                assert_eq!(got.as_deref(), Some(want), "event {} param {i}", evt.num);
                checked += 1;
            }
        }
        assert!(checked > 1_000, "{checked}");
    }

    #[test]
    fn flags_render_like_libsinsp() {
        let t = evtable::event(3).and_then(|e| e.params[2].names).unwrap();
        assert_eq!(flag_names(1, t), "O_RDONLY");
        assert_eq!(flag_names(0, t), "O_NONE");
        assert_eq!(flag_names(2 | 4 | 256, t), "O_TRUNC|O_CREAT|O_WRONLY");
        assert_eq!(flag_names(3 | 4096, t), "O_RDWR|O_CLOEXEC");
    }

    #[test]
    fn numbers_and_buffers() {
        assert_eq!(c_g(0.5), "0.5");
        assert_eq!(c_g(1.0), "1");
        assert_eq!(c_g(0.000012345), "1.2345e-05");
        assert_eq!(c_g(123456789.0), "1.23457e+08");
        assert_eq!(numeric(0o644, 32, PrintFormat::Oct), "0644");
        assert_eq!(numeric(0, 32, PrintFormat::Oct), "0");
        assert_eq!(buffer_dots(b"ab\ncd", 0), "ab.cd");
        assert_eq!(buffer_dots(&[b'x'; 100], 80).len(), 80);
        assert_eq!(socktuple_string(&[]), "NULL");
        let mut t = vec![AF_INET, 10, 0, 0, 5];
        t.extend_from_slice(&80u16.to_le_bytes());
        t.extend_from_slice(&[1, 2, 3, 4]);
        t.extend_from_slice(&4444u16.to_le_bytes());
        assert_eq!(socktuple_string(&t), "10.0.0.5:80->1.2.3.4:4444");
        assert_eq!(errno_name(-2), Some("ENOENT"));
        assert_eq!(errno_name(3), None);
    }
}
