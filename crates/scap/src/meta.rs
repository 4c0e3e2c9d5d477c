//! The non-event blocks: section header, machine info, process list, fd list, interface
//! list, user list — plain structs and their decoders (slices in, structs out; no I/O).
//!
//! Field layouts follow libscap's `scap_read_*` functions for every block version; a
//! version-2 entry (and a version-9 process entry) carries its own length, so fields newer
//! than this reader are skipped and fields missing from an older writer keep libscap's
//! defaults.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::cursor::{lossy, lossy_list, until_nul, Cursor};
use super::error::DecodeError;

/// A pcapng-style option of a section header (`u16 code, u16 length, value padded to 4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShbOption {
    /// Option code (1 = comment, 2 = hardware, 3 = OS, 4 = user application).
    pub code: u16,
    /// Raw value (without padding).
    pub value: Vec<u8>,
}

/// Option code of a comment (`opt_comment`).
pub const OPT_COMMENT: u16 = 1;

/// The section header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    /// Major version (1).
    pub major: u16,
    /// Minor version (0, 1 or 2).
    pub minor: u16,
    /// Section length (`u64::MAX`: not given).
    pub section_length: u64,
    /// Options after the fixed fields, up to the end-of-options marker.
    pub options: Vec<ShbOption>,
}

impl SectionHeader {
    /// The comments among the options (`opt_comment`), as text.
    pub fn comments(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.options
            .iter()
            .filter(|o| o.code == OPT_COMMENT)
            .map(|o| String::from_utf8_lossy(until_nul(&o.value)))
    }
}

/// Decodes a section header body (after the block header, without the trailer). The magic
/// has already been checked by the reader.
pub(crate) fn parse_section_header(body: &[u8]) -> Result<SectionHeader, DecodeError> {
    let mut c = Cursor::new(body, 0);
    let _magic = c.u32("section header magic")?;
    let major = c.u16("section header major version")?;
    let minor = c.u16("section header minor version")?;
    let section_length = c.u64("section length")?;
    // Options: read what is well formed; libscap skips them altogether, so a malformed
    // option area is not an error.
    let mut options = Vec::new();
    while c.remaining() >= 4 {
        let (Ok(code), Ok(len)) = (c.u16("option code"), c.u16("option length")) else {
            break;
        };
        if code == 0 {
            break;
        }
        let Ok(value) = c.bytes(len as usize, "option value") else {
            break;
        };
        options.push(ShbOption {
            code,
            value: value.to_vec(),
        });
        let pad = (4 - len as usize % 4) % 4;
        if c.skip(pad.min(c.remaining()), "option padding").is_err() {
            break;
        }
    }
    Ok(SectionHeader {
        major,
        minor,
        section_length,
        options,
    })
}

/// The machine info block (`scap_machine_info`, packed, 180 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInfo {
    /// Number of CPUs.
    pub num_cpus: u32,
    /// Physical memory in bytes.
    pub memory_size_bytes: u64,
    /// Highest pid.
    pub max_pid: u64,
    /// Host name.
    pub hostname: String,
    /// Boot time, ns since the epoch (0 in older captures: the field was reserved).
    pub boot_ts_epoch: u64,
    /// Flags (0 in older captures).
    pub flags: u64,
    /// The two reserved words.
    pub reserved: [u64; 2],
}

/// Size of the machine info body.
pub const MACHINE_INFO_LEN: usize = 180;

pub(crate) fn parse_machine_info(body: &[u8]) -> Result<MachineInfo, DecodeError> {
    let mut c = Cursor::new(body, 0);
    let num_cpus = c.u32("machine info num_cpus")?;
    let memory_size_bytes = c.u64("machine info memory size")?;
    let max_pid = c.u64("machine info max_pid")?;
    let hostname = lossy(c.bytes(128, "machine info hostname")?);
    let boot_ts_epoch = c.u64("machine info boot time")?;
    let flags = c.u64("machine info flags")?;
    let reserved = [
        c.u64("machine info reserved")?,
        c.u64("machine info reserved")?,
    ];
    Ok(MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname,
        boot_ts_epoch,
        flags,
        reserved,
    })
}

/// One thread of a process list block (`scap_threadinfo` as libscap reads it). Fields a
/// block version does not carry keep libscap's defaults (noted per field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Version of the block it came from (1..=9).
    pub version: u8,
    /// Thread id.
    pub tid: i64,
    /// Process id.
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Session id (V6+; else -1).
    pub sid: i64,
    /// Process group id as seen in its pid namespace (V8+; else -1).
    pub vpgid: i64,
    /// Process group id (appended in newer V9 entries; else -1).
    pub pgid: i64,
    /// Command name (`comm`).
    pub comm: String,
    /// `argv[0]`.
    pub exe: String,
    /// Full executable path (V7+; else empty).
    pub exepath: String,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// Fd limit.
    pub fdlimit: u64,
    /// `PPM_CL_*` thread flags.
    pub flags: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Virtual memory size in KiB (V2+).
    pub vmsize_kb: u32,
    /// Resident set size in KiB (V2+).
    pub vmrss_kb: u32,
    /// Swapped memory in KiB (V2+).
    pub vmswap_kb: u32,
    /// Major page faults (V2+).
    pub pfmajor: u64,
    /// Minor page faults (V2+).
    pub pfminor: u64,
    /// Environment, `NAME=value` each (V3+).
    pub env: Vec<String>,
    /// Thread id in its pid namespace (V4+; else -1).
    pub vtid: i64,
    /// Process id in its pid namespace (V4+; else -1).
    pub vpid: i64,
    /// Cgroups, `subsystem=path` each (V4+).
    pub cgroups: Vec<String>,
    /// Root directory (V5+).
    pub root: String,
    /// Start time of the pid namespace's init process (newer V9 entries; else 0).
    pub pidns_init_start_ts: u64,
    /// Controlling terminal (newer V9 entries; else 0).
    pub tty: u32,
    /// Login uid (V9 entries that carry it; else `u32::MAX`).
    pub loginuid: u32,
    /// The executable is writable by the user (V9, optional).
    pub exe_writable: bool,
    /// Inheritable capabilities (V9, optional).
    pub cap_inheritable: u64,
    /// Permitted capabilities (V9, optional).
    pub cap_permitted: u64,
    /// Effective capabilities (V9, optional).
    pub cap_effective: u64,
    /// The executable lives in an overlayfs upper layer (V9, optional).
    pub exe_upper_layer: bool,
    /// Inode of the executable (V9, optional).
    pub exe_ino: u64,
    /// ctime of the executable's inode (V9, optional).
    pub exe_ino_ctime: u64,
    /// mtime of the executable's inode (V9, optional).
    pub exe_ino_mtime: u64,
    /// The executable was loaded from a memfd (V9, optional).
    pub exe_from_memfd: bool,
    /// The executable lives in an overlayfs lower layer (V9, optional).
    pub exe_lower_layer: bool,
}

impl ProcessInfo {
    /// A thread entry with libscap's defaults for every field (ids 0, strings empty,
    /// `-1` for the namespace ids and session, `u32::MAX` login uid), as block version
    /// `version` would leave them; live sources fill in what they know.
    pub fn empty(version: u8) -> Self {
        ProcessInfo {
            version,
            tid: 0,
            pid: 0,
            ptid: 0,
            sid: -1,
            vpgid: -1,
            pgid: -1,
            comm: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            cwd: String::new(),
            fdlimit: 0,
            flags: 0,
            uid: 0,
            gid: 0,
            vmsize_kb: 0,
            vmrss_kb: 0,
            vmswap_kb: 0,
            pfmajor: 0,
            pfminor: 0,
            env: Vec::new(),
            vtid: -1,
            vpid: -1,
            cgroups: Vec::new(),
            root: String::new(),
            pidns_init_start_ts: 0,
            tty: 0,
            loginuid: u32::MAX,
            exe_writable: false,
            cap_inheritable: 0,
            cap_permitted: 0,
            cap_effective: 0,
            exe_upper_layer: false,
            exe_ino: 0,
            exe_ino_ctime: 0,
            exe_ino_mtime: 0,
            exe_from_memfd: false,
            exe_lower_layer: false,
        }
    }

    /// Whether this thread is the main thread of its process (`tid == pid`).
    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid
    }
}

/// Bytes of the fields libs < 0.10 wrote after `root` (loginuid, exe_writable, three
/// capability sets): libscap's test for the older V9 layout.
const PRE_0_10_TAIL: usize = 29;

/// Decodes a process list body of version `v`.
pub(crate) fn parse_process_list(v: u8, body: &[u8]) -> Result<Vec<ProcessInfo>, DecodeError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while body.len() - pos >= 4 {
        let start = pos;
        let mut c = Cursor::new(&body[pos..], pos);
        let entry_len = if v >= 9 {
            let l = c.u32("process entry length")? as usize;
            if l != 0 {
                if l < 4 {
                    return Err(DecodeError::corrupt(
                        start,
                        format!("process entry length {l} is smaller than its own length field"),
                    ));
                }
                if l > body.len() - start {
                    return Err(DecodeError::corrupt(
                        start,
                        format!(
                            "process entry length {l} exceeds the {} bytes left in the block",
                            body.len() - start
                        ),
                    ));
                }
                c = Cursor::new(&body[start..start + l], start);
                c.skip(4, "process entry length")?;
            }
            l
        } else {
            0
        };
        let p = parse_process_entry(v, entry_len, &mut c)?;
        out.push(p);
        pos = start + if entry_len != 0 { entry_len } else { c.pos() };
    }
    Ok(out)
}

fn parse_process_entry(
    v: u8,
    entry_len: usize,
    c: &mut Cursor<'_>,
) -> Result<ProcessInfo, DecodeError> {
    let mut p = ProcessInfo::empty(v);
    p.tid = c.i64("tid")?;
    p.pid = c.i64("pid")?;
    p.ptid = c.i64("ptid")?;
    if v >= 6 {
        p.sid = c.i64("sid")?;
    }
    if v >= 8 {
        p.vpgid = c.i64("vpgid")?;
    }
    p.comm = lossy(c.lstr("comm")?);
    p.exe = lossy(c.lstr("exe")?);
    if v >= 7 {
        p.exepath = lossy(c.lstr("exepath")?);
    }
    p.args = lossy_list(c.lstr("args")?);
    p.cwd = lossy(c.lstr("cwd")?);
    p.fdlimit = c.u64("fdlimit")?;
    p.flags = c.u32("flags")?;
    p.uid = c.u32("uid")?;
    p.gid = c.u32("gid")?;
    if v >= 2 {
        p.vmsize_kb = c.u32("vmsize_kb")?;
        p.vmrss_kb = c.u32("vmrss_kb")?;
        p.vmswap_kb = c.u32("vmswap_kb")?;
        p.pfmajor = c.u64("pfmajor")?;
        p.pfminor = c.u64("pfminor")?;
        if v >= 3 {
            p.env = lossy_list(c.lstr("env")?);
        }
        if v >= 4 {
            p.vtid = c.i64("vtid")?;
            p.vpid = c.i64("vpid")?;
            p.cgroups = lossy_list(c.lstr("cgroups")?);
            if v >= 5 {
                p.root = lossy(c.lstr("root")?);
            }
        }
    }
    if entry_len == 0 {
        return Ok(p);
    }
    // Appended fields: each only if it fits in the entry. libs 0.10 inserted two fields
    // before loginuid; an entry with at most 29 bytes left has the older layout.
    let fits = |c: &Cursor<'_>, n: usize| c.remaining() >= n;
    if c.remaining() > PRE_0_10_TAIL {
        if fits(c, 8) {
            p.pidns_init_start_ts = c.u64("pidns_init_start_ts")?;
        }
        if fits(c, 4) {
            p.tty = c.u32("tty")?;
        }
    }
    if fits(c, 4) {
        p.loginuid = c.u32("loginuid")?;
    }
    if fits(c, 1) {
        p.exe_writable = c.u8("exe_writable")? != 0;
    }
    if fits(c, 8) {
        p.cap_inheritable = c.u64("cap_inheritable")?;
    }
    if fits(c, 8) {
        p.cap_permitted = c.u64("cap_permitted")?;
    }
    if fits(c, 8) {
        p.cap_effective = c.u64("cap_effective")?;
    }
    if fits(c, 1) {
        p.exe_upper_layer = c.u8("exe_upper_layer")? != 0;
    }
    if fits(c, 8) {
        p.exe_ino = c.u64("exe_ino")?;
    }
    if fits(c, 8) {
        p.exe_ino_ctime = c.u64("exe_ino_ctime")?;
    }
    if fits(c, 8) {
        p.exe_ino_mtime = c.u64("exe_ino_mtime")?;
    }
    if fits(c, 1) {
        p.exe_from_memfd = c.u8("exe_from_memfd")? != 0;
    }
    if fits(c, 1) {
        p.exe_lower_layer = c.u8("exe_lower_layer")? != 0;
    }
    if fits(c, 8) {
        p.pgid = c.i64("pgid")?;
    }
    Ok(p)
}

/// `scap_fd_type`: the type of a file descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FdType {
    /// `SCAP_FD_UNKNOWN` (0).
    Unknown,
    /// `SCAP_FD_FILE` (1).
    File,
    /// `SCAP_FD_DIRECTORY` (2).
    Directory,
    /// `SCAP_FD_IPV4_SOCK` (3).
    Ipv4Sock,
    /// `SCAP_FD_IPV6_SOCK` (4).
    Ipv6Sock,
    /// `SCAP_FD_IPV4_SERVSOCK` (5).
    Ipv4ServSock,
    /// `SCAP_FD_IPV6_SERVSOCK` (6).
    Ipv6ServSock,
    /// `SCAP_FD_FIFO` (7).
    Fifo,
    /// `SCAP_FD_UNIX_SOCK` (8).
    UnixSock,
    /// `SCAP_FD_EVENT` (9).
    Event,
    /// `SCAP_FD_UNSUPPORTED` (10).
    Unsupported,
    /// `SCAP_FD_SIGNALFD` (11).
    Signalfd,
    /// `SCAP_FD_EVENTPOLL` (12).
    Eventpoll,
    /// `SCAP_FD_INOTIFY` (13).
    Inotify,
    /// `SCAP_FD_TIMERFD` (14).
    Timerfd,
    /// `SCAP_FD_NETLINK` (15).
    Netlink,
    /// `SCAP_FD_FILE_V2` (16).
    FileV2,
    /// `SCAP_FD_BPF` (17).
    Bpf,
    /// `SCAP_FD_USERFAULTFD` (18).
    Userfaultfd,
    /// `SCAP_FD_IOURING` (19).
    Iouring,
    /// `SCAP_FD_MEMFD` (20).
    Memfd,
    /// `SCAP_FD_PIDFD` (21).
    Pidfd,
    /// A code this reader does not know (libscap reads it as unsupported).
    Other(u8),
}

impl FdType {
    /// The type with code `code`.
    pub fn from_code(code: u8) -> FdType {
        use FdType::*;
        match code {
            0 => Unknown,
            1 => File,
            2 => Directory,
            3 => Ipv4Sock,
            4 => Ipv6Sock,
            5 => Ipv4ServSock,
            6 => Ipv6ServSock,
            7 => Fifo,
            8 => UnixSock,
            9 => Event,
            10 => Unsupported,
            11 => Signalfd,
            12 => Eventpoll,
            13 => Inotify,
            14 => Timerfd,
            15 => Netlink,
            16 => FileV2,
            17 => Bpf,
            18 => Userfaultfd,
            19 => Iouring,
            20 => Memfd,
            21 => Pidfd,
            other => Other(other),
        }
    }

    /// The numeric code.
    pub fn code(self) -> u8 {
        use FdType::*;
        match self {
            Unknown => 0,
            File => 1,
            Directory => 2,
            Ipv4Sock => 3,
            Ipv6Sock => 4,
            Ipv4ServSock => 5,
            Ipv6ServSock => 6,
            Fifo => 7,
            UnixSock => 8,
            Event => 9,
            Unsupported => 10,
            Signalfd => 11,
            Eventpoll => 12,
            Inotify => 13,
            Timerfd => 14,
            Netlink => 15,
            FileV2 => 16,
            Bpf => 17,
            Userfaultfd => 18,
            Iouring => 19,
            Memfd => 20,
            Pidfd => 21,
            Other(c) => c,
        }
    }
}

/// What an fd entry says beyond its number, inode and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdDetails {
    /// Connected IPv4 socket. Ports are in host order.
    Ipv4Socket {
        /// Source address.
        sip: Ipv4Addr,
        /// Destination address.
        dip: Ipv4Addr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// `scap_l4_proto` (2 TCP, 3 UDP, 4 ICMP, 5 raw).
        l4proto: u8,
    },
    /// Connected IPv6 socket.
    Ipv6Socket {
        /// Source address.
        sip: Ipv6Addr,
        /// Destination address.
        dip: Ipv6Addr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// `scap_l4_proto`.
        l4proto: u8,
    },
    /// Listening IPv4 socket.
    Ipv4Server {
        /// Bound address.
        ip: Ipv4Addr,
        /// Bound port.
        port: u16,
        /// `scap_l4_proto`.
        l4proto: u8,
    },
    /// Listening IPv6 socket.
    Ipv6Server {
        /// Bound address.
        ip: Ipv6Addr,
        /// Bound port.
        port: u16,
        /// `scap_l4_proto`.
        l4proto: u8,
    },
    /// Unix socket.
    Unix {
        /// Kernel address of the source socket.
        source: u64,
        /// Kernel address of the peer socket.
        dest: u64,
        /// Path.
        name: String,
    },
    /// Regular file with open flags (`SCAP_FD_FILE_V2`).
    File {
        /// `PPM_O_*` open flags.
        open_flags: u32,
        /// Path.
        name: String,
        /// Device number (0 when absent).
        dev: u32,
    },
    /// Any other type that carries just a name (file, directory, fifo, eventfd, …).
    Named {
        /// Name or path.
        name: String,
    },
    /// No further data (type unknown to libscap; libscap names it `unknown-type:[N]`).
    None,
}

/// One fd of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// Fd number.
    pub fd: i64,
    /// Inode.
    pub ino: u64,
    /// Type.
    pub ty: FdType,
    /// Type-specific data.
    pub details: FdDetails,
}

impl FdInfo {
    /// The name libsinsp gives the fd in its table, for the types that carry one.
    pub fn name(&self) -> Option<&str> {
        match &self.details {
            FdDetails::Unix { name, .. }
            | FdDetails::File { name, .. }
            | FdDetails::Named { name } => Some(name),
            _ => None,
        }
    }
}

/// An fd list block: the fds of one thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdList {
    /// Version of the block (1, 2).
    pub version: u8,
    /// Thread id.
    pub tid: i64,
    /// The fds in file order.
    pub fds: Vec<FdInfo>,
}

pub(crate) fn parse_fd_list(v: u8, body: &[u8]) -> Result<FdList, DecodeError> {
    let mut c = Cursor::new(body, 0);
    let tid = c.i64("fd list tid")?;
    let mut fds = Vec::new();
    let mut pos = c.pos();
    while body.len() - pos >= 4 {
        let start = pos;
        let mut c = Cursor::new(&body[pos..], pos);
        let entry_len = if v >= 2 {
            let l = c.u32("fd entry length")? as usize;
            if l != 0 {
                if l > body.len() - start {
                    return Err(DecodeError::corrupt(
                        start,
                        format!(
                            "fd entry length {l} exceeds the {} bytes left in the block",
                            body.len() - start
                        ),
                    ));
                }
                c = Cursor::new(&body[start..start + l], start);
                c.skip(4, "fd entry length").map_err(|_| {
                    DecodeError::corrupt(
                        start,
                        format!("fd entry length {l} is smaller than its own length field"),
                    )
                })?;
            }
            l
        } else {
            0
        };
        let fd = parse_fd_entry(entry_len, &mut c)?;
        fds.push(fd);
        pos = start + if entry_len != 0 { entry_len } else { c.pos() };
    }
    Ok(FdList {
        version: v,
        tid,
        fds,
    })
}

fn parse_fd_entry(entry_len: usize, c: &mut Cursor<'_>) -> Result<FdInfo, DecodeError> {
    let fd = c.i64("fd number")?;
    let ino = c.u64("fd inode")?;
    let code = c.u8("fd type")?;
    let ty = FdType::from_code(code);
    let details = match ty {
        FdType::Ipv4Sock => FdDetails::Ipv4Socket {
            sip: c.ipv4("fd source address")?,
            dip: c.ipv4("fd destination address")?,
            sport: c.u16("fd source port")?,
            dport: c.u16("fd destination port")?,
            l4proto: c.u8("fd l4 protocol")?,
        },
        FdType::Ipv4ServSock => FdDetails::Ipv4Server {
            ip: c.ipv4("fd address")?,
            port: c.u16("fd port")?,
            l4proto: c.u8("fd l4 protocol")?,
        },
        FdType::Ipv6Sock => FdDetails::Ipv6Socket {
            sip: c.ipv6("fd source address")?,
            dip: c.ipv6("fd destination address")?,
            sport: c.u16("fd source port")?,
            dport: c.u16("fd destination port")?,
            l4proto: c.u8("fd l4 protocol")?,
        },
        FdType::Ipv6ServSock => FdDetails::Ipv6Server {
            ip: c.ipv6("fd address")?,
            port: c.u16("fd port")?,
            l4proto: c.u8("fd l4 protocol")?,
        },
        FdType::UnixSock => FdDetails::Unix {
            source: c.u64("unix socket source")?,
            dest: c.u64("unix socket destination")?,
            name: lossy(c.lstr("fd name")?),
        },
        FdType::FileV2 => {
            let open_flags = c.u32("fd open flags")?;
            let name = lossy(c.lstr("fd name")?);
            let dev = if entry_len != 0 && c.remaining() >= 4 {
                c.u32("fd device")?
            } else {
                0
            };
            FdDetails::File {
                open_flags,
                name,
                dev,
            }
        }
        FdType::Unknown | FdType::Other(_) => FdDetails::None,
        _ => FdDetails::Named {
            name: lossy(c.lstr("fd name")?),
        },
    };
    Ok(FdInfo {
        fd,
        ino,
        ty,
        details,
    })
}

/// An IPv4 interface address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Interface {
    /// Interface name.
    pub name: String,
    /// Address.
    pub addr: Ipv4Addr,
    /// Netmask.
    pub netmask: Ipv4Addr,
    /// Broadcast address.
    pub bcast: Ipv4Addr,
    /// Link speed (0 when the entry has none).
    pub linkspeed: u64,
}

/// An IPv6 interface address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Interface {
    /// Interface name.
    pub name: String,
    /// Address.
    pub addr: Ipv6Addr,
    /// Netmask.
    pub netmask: Ipv6Addr,
    /// Broadcast address.
    pub bcast: Ipv6Addr,
    /// Link speed (0 when the entry has none).
    pub linkspeed: u64,
}

/// An interface list block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceList {
    /// IPv4 addresses.
    pub v4: Vec<Ipv4Interface>,
    /// IPv6 addresses.
    pub v6: Vec<Ipv6Interface>,
}

const II_IPV4: u16 = 1;
const II_IPV6: u16 = 2;
const II_IPV4_NOLINKSPEED: u16 = 3;
const II_IPV6_NOLINKSPEED: u16 = 4;

pub(crate) fn parse_interface_list(v: u8, body: &[u8]) -> Result<InterfaceList, DecodeError> {
    let mut out = InterfaceList::default();
    let mut pos = 0usize;
    while body.len() - pos >= 4 {
        let start = pos;
        let mut c = Cursor::new(&body[pos..], pos);
        let declared = if v >= 2 {
            Some(c.u32("interface entry length")? as usize)
        } else {
            None
        };
        let at = c.abs();
        let ty = c.u16("interface type")?;
        let namelen = c.u16("interface name length")? as usize;
        let fixed = match ty {
            II_IPV4 => 20,
            II_IPV4_NOLINKSPEED => 12,
            II_IPV6 => 56,
            II_IPV6_NOLINKSPEED => 48,
            other => {
                return Err(DecodeError::corrupt(
                    at,
                    format!("unknown interface type {other}"),
                ))
            }
        };
        let size = 4 + fixed + namelen;
        let entry = match declared {
            Some(0) | None => size,
            Some(d) if d < size => {
                return Err(DecodeError::corrupt(
                    start,
                    format!(
                        "interface entry length {d} is smaller than its {size} bytes of fields"
                    ),
                ))
            }
            Some(d) => d,
        };
        if entry > c.remaining() + 4 {
            return Err(DecodeError::corrupt(
                at,
                format!(
                    "interface entry of {entry} bytes exceeds the {} bytes left in the block",
                    c.remaining() + 4
                ),
            ));
        }
        match ty {
            II_IPV4 | II_IPV4_NOLINKSPEED => {
                let addr = c.ipv4("interface address")?;
                let netmask = c.ipv4("interface netmask")?;
                let bcast = c.ipv4("interface broadcast")?;
                let linkspeed = if ty == II_IPV4 {
                    c.u64("interface link speed")?
                } else {
                    0
                };
                let name = lossy(c.bytes(namelen, "interface name")?);
                out.v4.push(Ipv4Interface {
                    name,
                    addr,
                    netmask,
                    bcast,
                    linkspeed,
                });
            }
            _ => {
                let addr = c.ipv6("interface address")?;
                let netmask = c.ipv6("interface netmask")?;
                let bcast = c.ipv6("interface broadcast")?;
                let linkspeed = if ty == II_IPV6 {
                    c.u64("interface link speed")?
                } else {
                    0
                };
                let name = lossy(c.bytes(namelen, "interface name")?);
                out.v6.push(Ipv6Interface {
                    name,
                    addr,
                    netmask,
                    bcast,
                    linkspeed,
                });
            }
        }
        pos = at + entry;
    }
    Ok(out)
}

/// A user of the user list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Login name.
    pub name: String,
    /// Home directory.
    pub homedir: String,
    /// Login shell.
    pub shell: String,
}

/// A group of the user list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// Group id.
    pub gid: u32,
    /// Group name.
    pub name: String,
}

/// A user list block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserList {
    /// Users.
    pub users: Vec<UserInfo>,
    /// Groups.
    pub groups: Vec<GroupInfo>,
}

const USERBLOCK_TYPE_USER: u8 = 0;

pub(crate) fn parse_user_list(v: u8, body: &[u8]) -> Result<UserList, DecodeError> {
    let mut out = UserList::default();
    let mut pos = 0usize;
    while body.len() - pos >= 4 {
        let start = pos;
        let mut c = Cursor::new(&body[pos..], pos);
        let entry_len = if v >= 2 {
            let l = c.u32("user entry length")? as usize;
            if l != 0 {
                if l > body.len() - start {
                    return Err(DecodeError::corrupt(
                        start,
                        format!(
                            "user entry length {l} exceeds the {} bytes left in the block",
                            body.len() - start
                        ),
                    ));
                }
                c = Cursor::new(&body[start..start + l], start);
                c.skip(4, "user entry length").map_err(|_| {
                    DecodeError::corrupt(
                        start,
                        format!("user entry length {l} is smaller than its own length field"),
                    )
                })?;
            }
            l
        } else {
            0
        };
        let ty = c.u8("user entry type")?;
        if ty == USERBLOCK_TYPE_USER {
            let uid = c.u32("uid")?;
            let gid = c.u32("gid")?;
            let name = lossy(c.lstr("user name")?);
            let homedir = lossy(c.lstr("user home directory")?);
            let shell = lossy(c.lstr("user shell")?);
            out.users.push(UserInfo {
                uid,
                gid,
                name,
                homedir,
                shell,
            });
        } else {
            let gid = c.u32("gid")?;
            let name = lossy(c.lstr("group name")?);
            out.groups.push(GroupInfo { gid, name });
        }
        pos = start + if entry_len != 0 { entry_len } else { c.pos() };
    }
    Ok(out)
}
