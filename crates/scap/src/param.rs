//! Event parameters: raw slices with typed views driven by the event table's parameter
//! types (`ppm_param_type`).

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use falcoc_schema::events::{EventInfo, EventParam};
use falcoc_schema::fields::FieldType;

use super::cursor::{split_nul, until_nul};

/// `PPM_AF_UNSPEC`.
pub const AF_UNSPEC: u8 = 0;
/// `PPM_AF_UNIX` (`PPM_AF_LOCAL`).
pub const AF_UNIX: u8 = 1;
/// `PPM_AF_INET`.
pub const AF_INET: u8 = 2;
/// `PPM_AF_INET6`.
pub const AF_INET6: u8 = 10;

/// The parameters of one event: a view over the value bytes and their boundaries.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    pub(crate) values: &'a [u8],
    /// `nparams + 1` offsets into `values`; parameter `i` is `bounds[i]..bounds[i + 1]`.
    pub(crate) bounds: &'a [u32],
    pub(crate) info: &'static EventInfo,
}

impl<'a> Params<'a> {
    /// Number of parameters in the event (may differ from the table's count: older
    /// writers wrote fewer, newer libs append more).
    #[inline]
    pub fn len(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    /// Whether the event has no parameters.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parameter `i` (0-based, `evt.arg[i]`).
    #[inline]
    pub fn get(&self, i: usize) -> Option<Param<'a>> {
        let start = *self.bounds.get(i)? as usize;
        let end = *self.bounds.get(i + 1)? as usize;
        let raw = self.values.get(start..end)?;
        Some(Param {
            index: i,
            raw,
            info: self.info.params.get(i),
        })
    }

    /// The parameter named `name` in the event table (`evt.arg.NAME`), if the event has it.
    #[inline]
    pub fn by_name(&self, name: &str) -> Option<Param<'a>> {
        let i = self.info.params.iter().position(|p| p.name == name)?;
        self.get(i)
    }

    /// All parameters in order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Param<'a>> + 'a {
        let this = *self;
        (0..this.len()).filter_map(move |i| this.get(i))
    }
}

/// One parameter: its raw bytes and, when the event table lists it, its name and type.
#[derive(Debug, Clone, Copy)]
pub struct Param<'a> {
    index: usize,
    raw: &'a [u8],
    info: Option<&'static EventParam>,
}

macro_rules! exact_int {
    ($(#[$m:meta])* $name:ident, $t:ty) => {
        $(#[$m])*
        pub fn $name(&self) -> Option<$t> {
            Some(<$t>::from_le_bytes(self.raw.try_into().ok()?))
        }
    };
}

fn le_u64(b: &[u8]) -> Option<u64> {
    Some(match b.len() {
        1 => b[0] as u64,
        2 => u16::from_le_bytes([b[0], b[1]]) as u64,
        4 => u32::from_le_bytes(b.try_into().ok()?) as u64,
        8 => u64::from_le_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

fn le_i64(b: &[u8]) -> Option<i64> {
    Some(match b.len() {
        1 => b[0] as i8 as i64,
        2 => i16::from_le_bytes([b[0], b[1]]) as i64,
        4 => i32::from_le_bytes(b.try_into().ok()?) as i64,
        8 => i64::from_le_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

fn port(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn v4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

fn v6(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

/// Whether values of this type are signed integers.
fn is_signed(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Int8
            | FieldType::Int16
            | FieldType::Int32
            | FieldType::Int64
            | FieldType::Errno
            | FieldType::Fd
            | FieldType::Pid
    )
}

impl<'a> Param<'a> {
    /// Position in the event.
    #[inline]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The raw bytes.
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether the value is empty (libsinsp shows `<NA>` or `NULL` for it).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The table entry (name, type, print format); `None` for a parameter appended by
    /// a newer writer.
    #[inline]
    pub fn info(&self) -> Option<&'static EventParam> {
        self.info
    }

    /// Name in the event table.
    #[inline]
    pub fn name(&self) -> Option<&'static str> {
        self.info.map(|p| p.name)
    }

    /// Type in the event table.
    #[inline]
    pub fn ty(&self) -> Option<FieldType> {
        self.info.map(|p| p.ty)
    }

    exact_int!(
        /// The value as a `u8` (exactly 1 byte).
        as_u8, u8
    );
    exact_int!(
        /// The value as a little-endian `u16` (exactly 2 bytes).
        as_u16, u16
    );
    exact_int!(
        /// The value as a little-endian `u32` (exactly 4 bytes).
        as_u32, u32
    );
    exact_int!(
        /// The value as a little-endian `u64` (exactly 8 bytes).
        as_u64, u64
    );
    exact_int!(
        /// The value as an `i8` (exactly 1 byte).
        as_i8, i8
    );
    exact_int!(
        /// The value as a little-endian `i16` (exactly 2 bytes).
        as_i16, i16
    );
    exact_int!(
        /// The value as a little-endian `i32` (exactly 4 bytes).
        as_i32, i32
    );
    exact_int!(
        /// The value as a little-endian `i64` (exactly 8 bytes).
        as_i64, i64
    );

    /// An integer of any width (1, 2, 4 or 8 bytes), sign-extended when the table type is
    /// signed (`INT*`, `ERRNO`, `FD`, `PID`), zero-extended otherwise.
    #[inline]
    pub fn as_int(&self) -> Option<i64> {
        match self.ty() {
            Some(t) if is_signed(t) => le_i64(self.raw),
            _ => le_u64(self.raw).map(|v| v as i64),
        }
    }

    /// An unsigned integer of any width (1, 2, 4 or 8 bytes), zero-extended.
    #[inline]
    pub fn as_uint(&self) -> Option<u64> {
        le_u64(self.raw)
    }

    /// A return value or errno (`PT_ERRNO`, or the first parameter of an exit event): a
    /// 32- or 64-bit signed integer, as libsinsp reads it.
    #[inline]
    pub fn as_errno(&self) -> Option<i64> {
        match self.raw.len() {
            4 | 8 => le_i64(self.raw),
            _ => None,
        }
    }

    /// A file descriptor number (`PT_FD`, 64-bit signed).
    #[inline]
    pub fn as_fd(&self) -> Option<i64> {
        self.as_i64()
    }

    /// A pid or tid (`PT_PID`, 64-bit signed).
    #[inline]
    pub fn as_pid(&self) -> Option<i64> {
        self.as_i64()
    }

    /// A `PT_BOOL` (32-bit, non-zero is true).
    #[inline]
    pub fn as_bool(&self) -> Option<bool> {
        self.as_uint().map(|v| v != 0)
    }

    /// A `PT_DOUBLE`.
    #[inline]
    pub fn as_f64(&self) -> Option<f64> {
        self.as_u64().map(f64::from_bits)
    }

    /// A string parameter's bytes (`CHARBUF`, `FSPATH`, `FSRELPATH`): up to the first NUL,
    /// all bytes if there is none.
    #[inline]
    pub fn as_cstr(&self) -> &'a [u8] {
        until_nul(self.raw)
    }

    /// [`as_cstr`](Self::as_cstr) as UTF-8 text; `None` if it is not valid UTF-8.
    #[inline]
    pub fn as_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.as_cstr()).ok()
    }

    /// [`as_cstr`](Self::as_cstr) as text, invalid UTF-8 replaced.
    #[inline]
    pub fn as_str_lossy(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.as_cstr())
    }

    /// A byte buffer (`BYTEBUF`): the raw bytes.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// A NUL-separated list (`args`, `env`, `cgroups` of execve/clone): one item per
    /// segment; an empty buffer is an empty list.
    #[inline]
    pub fn as_str_list(&self) -> impl Iterator<Item = &'a [u8]> {
        split_nul(self.raw)
    }

    /// A socket address (`PT_SOCKADDR`); `None` when empty or too short for its family
    /// (libsinsp's `is_sockaddr_valid`).
    #[inline]
    pub fn as_sockaddr(&self) -> Option<SockAddr<'a>> {
        SockAddr::parse(self.raw)
    }

    /// A socket tuple (`PT_SOCKTUPLE`); `None` when empty or too short for its family
    /// (libsinsp's `is_socktuple_valid`).
    #[inline]
    pub fn as_socktuple(&self) -> Option<SockTuple<'a>> {
        SockTuple::parse(self.raw)
    }

    /// An fd list (`PT_FDLIST`: `u16 count`, then `i64 fd, i16 flags` each); `None` if the
    /// buffer is shorter than the count says.
    #[inline]
    pub fn as_fdlist(&self) -> Option<FdListParam<'a>> {
        FdListParam::parse(self.raw)
    }

    /// A `PT_DYN` value: the index of its actual type in the parameter's type list, and
    /// the value bytes.
    #[inline]
    pub fn as_dyn(&self) -> Option<(u8, &'a [u8])> {
        let (&idx, rest) = self.raw.split_first()?;
        Some((idx, rest))
    }

    /// An IPv4 address stored as 4 bytes in network order.
    #[inline]
    pub fn as_ipv4(&self) -> Option<Ipv4Addr> {
        (self.raw.len() == 4).then(|| v4(self.raw))
    }

    /// An IPv6 address (16 bytes).
    #[inline]
    pub fn as_ipv6(&self) -> Option<Ipv6Addr> {
        (self.raw.len() == 16).then(|| v6(self.raw))
    }

    /// The value decoded by the table type. Parameters without a table entry, values whose
    /// length does not fit the type, and types that are not event parameters give
    /// [`ParamValue::Raw`]; an empty value gives [`ParamValue::Empty`].
    #[inline]
    pub fn value(&self) -> ParamValue<'a> {
        if self.raw.is_empty() {
            return ParamValue::Empty;
        }
        let raw = ParamValue::Raw(self.raw);
        let Some(ty) = self.ty() else { return raw };
        let w = self.raw.len();
        let width_ok = |n: usize| w == n;
        use FieldType as T;
        match ty {
            T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::Errno | T::Fd | T::Pid => {
                let want = match ty {
                    T::Int8 => 1,
                    T::Int16 => 2,
                    T::Int32 => 4,
                    _ => 8,
                };
                if width_ok(want) || (ty == T::Errno && w == 4) {
                    le_i64(self.raw).map_or(raw, ParamValue::Int)
                } else {
                    raw
                }
            }
            T::Uint8
            | T::Uint16
            | T::Uint32
            | T::Uint64
            | T::SyscallId
            | T::SigType
            | T::RelTime
            | T::AbsTime
            | T::Port
            | T::L4Proto
            | T::SockFamily
            | T::Flags8
            | T::Flags16
            | T::Flags32
            | T::EnumFlags8
            | T::EnumFlags16
            | T::EnumFlags32
            | T::Uid
            | T::Gid
            | T::Mode
            | T::SigSet => {
                let want = match ty {
                    T::Uint8
                    | T::SigType
                    | T::L4Proto
                    | T::SockFamily
                    | T::Flags8
                    | T::EnumFlags8 => 1,
                    T::Uint16 | T::SyscallId | T::Port | T::Flags16 | T::EnumFlags16 => 2,
                    T::Uint64 | T::RelTime | T::AbsTime => 8,
                    _ => 4,
                };
                if width_ok(want) {
                    le_u64(self.raw).map_or(raw, ParamValue::Uint)
                } else {
                    raw
                }
            }
            T::Bool => self.as_bool().map_or(raw, ParamValue::Bool),
            T::Double => self.as_f64().map_or(raw, ParamValue::Double),
            T::Charbuf | T::Fspath | T::FsRelPath => ParamValue::Str(self.as_cstr()),
            T::Bytebuf => ParamValue::Bytes(self.raw),
            T::Sockaddr => self.as_sockaddr().map_or(raw, ParamValue::SockAddr),
            T::Socktuple => self.as_socktuple().map_or(raw, ParamValue::SockTuple),
            T::Fdlist => self.as_fdlist().map_or(raw, ParamValue::FdList),
            T::Ipv4Addr => self.as_ipv4().map_or(raw, ParamValue::Ipv4),
            T::Ipv6Addr => self.as_ipv6().map_or(raw, ParamValue::Ipv6),
            T::IpAddr => match w {
                4 => ParamValue::Ipv4(v4(self.raw)),
                16 => ParamValue::Ipv6(v6(self.raw)),
                _ => raw,
            },
            T::Dyn => self
                .as_dyn()
                .map_or(raw, |(index, data)| ParamValue::Dyn { index, data }),
            _ => raw,
        }
    }
}

/// A parameter value decoded by its table type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue<'a> {
    /// A zero-length value (libsinsp: `<NA>`, or `NULL` for buffers, tuples, fd lists).
    Empty,
    /// Signed integers: `INT*`, `ERRNO`, `FD`, `PID`.
    Int(i64),
    /// Unsigned integers, flags, modes, uid/gid, times, syscall ids, signal numbers, ports.
    Uint(u64),
    /// `PT_BOOL`.
    Bool(bool),
    /// `PT_DOUBLE`.
    Double(f64),
    /// `CHARBUF`, `FSPATH`, `FSRELPATH`: bytes up to the NUL.
    Str(&'a [u8]),
    /// `BYTEBUF`.
    Bytes(&'a [u8]),
    /// `SOCKADDR`.
    SockAddr(SockAddr<'a>),
    /// `SOCKTUPLE`.
    SockTuple(SockTuple<'a>),
    /// `FDLIST`.
    FdList(FdListParam<'a>),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// `PT_DYN`: type index and value bytes.
    Dyn {
        /// Index into the parameter's list of possible types.
        index: u8,
        /// The value.
        data: &'a [u8],
    },
    /// Undecoded bytes (no table entry, unexpected width, internal type).
    Raw(&'a [u8]),
}

/// A socket address parameter. Ports are in host order (as the driver writes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// `AF_INET`.
    Inet(SocketAddrV4),
    /// `AF_INET6`.
    Inet6(SocketAddrV6),
    /// `AF_UNIX`: the path, up to its NUL.
    Unix(&'a [u8]),
    /// Another family: its code and the bytes after it.
    Other {
        /// `PPM_AF_*` code.
        family: u8,
        /// The rest of the value.
        data: &'a [u8],
    },
}

impl<'a> SockAddr<'a> {
    /// Decodes `u8 family` + family-specific data.
    pub fn parse(b: &'a [u8]) -> Option<SockAddr<'a>> {
        let (&family, rest) = b.split_first()?;
        Some(match family {
            AF_INET if rest.len() >= 6 => {
                SockAddr::Inet(SocketAddrV4::new(v4(rest), port(&rest[4..])))
            }
            AF_INET6 if rest.len() >= 18 => {
                SockAddr::Inet6(SocketAddrV6::new(v6(rest), port(&rest[16..]), 0, 0))
            }
            AF_UNIX if !rest.is_empty() && b.last() == Some(&0) => SockAddr::Unix(until_nul(rest)),
            AF_INET | AF_INET6 | AF_UNIX => return None,
            _ => SockAddr::Other { family, data: rest },
        })
    }
}

/// A socket tuple parameter (source → destination, as the driver orders them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockTuple<'a> {
    /// `AF_INET`.
    Inet {
        /// Source.
        src: SocketAddrV4,
        /// Destination.
        dst: SocketAddrV4,
    },
    /// `AF_INET6` (IPv4-mapped addresses are left as they are).
    Inet6 {
        /// Source.
        src: SocketAddrV6,
        /// Destination.
        dst: SocketAddrV6,
    },
    /// `AF_UNIX`: kernel socket addresses and the path.
    Unix {
        /// Source socket (kernel address).
        source: u64,
        /// Destination socket (kernel address).
        dest: u64,
        /// Path, up to its NUL.
        path: &'a [u8],
    },
    /// Another family.
    Other {
        /// `PPM_AF_*` code.
        family: u8,
        /// The rest of the value.
        data: &'a [u8],
    },
}

impl<'a> SockTuple<'a> {
    /// Decodes `u8 family` + family-specific data.
    pub fn parse(b: &'a [u8]) -> Option<SockTuple<'a>> {
        let (&family, r) = b.split_first()?;
        Some(match family {
            AF_INET if r.len() >= 12 => SockTuple::Inet {
                src: SocketAddrV4::new(v4(r), port(&r[4..])),
                dst: SocketAddrV4::new(v4(&r[6..]), port(&r[10..])),
            },
            AF_INET6 if r.len() >= 36 => SockTuple::Inet6 {
                src: SocketAddrV6::new(v6(r), port(&r[16..]), 0, 0),
                dst: SocketAddrV6::new(v6(&r[18..]), port(&r[34..]), 0, 0),
            },
            AF_UNIX if r.len() >= 17 && b.last() == Some(&0) => {
                let mut s = [0u8; 8];
                s.copy_from_slice(&r[..8]);
                let mut d = [0u8; 8];
                d.copy_from_slice(&r[8..16]);
                SockTuple::Unix {
                    source: u64::from_le_bytes(s),
                    dest: u64::from_le_bytes(d),
                    path: until_nul(&r[16..]),
                }
            }
            AF_INET | AF_INET6 | AF_UNIX => return None,
            _ => SockTuple::Other { family, data: r },
        })
    }
}

/// A `PT_FDLIST` value (poll/ppoll): `(fd, flags)` pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdListParam<'a> {
    entries: &'a [u8],
}

impl<'a> FdListParam<'a> {
    /// Decodes `u16 count` + `count × (i64 fd, i16 flags)`; trailing bytes are ignored.
    pub fn parse(b: &'a [u8]) -> Option<FdListParam<'a>> {
        if b.len() < 2 {
            return None;
        }
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        let entries = b.get(2..2 + n * 10)?;
        Some(FdListParam { entries })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len() / 10
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `(fd, flags)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (i64, i16)> + 'a {
        self.entries.chunks_exact(10).map(|c| {
            let mut fd = [0u8; 8];
            fd.copy_from_slice(&c[..8]);
            (i64::from_le_bytes(fd), i16::from_le_bytes([c[8], c[9]]))
        })
    }
}
