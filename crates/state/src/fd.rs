//! File descriptors: libsinsp's `sinsp_fdinfo` (type, name, open flags, role and status
//! flags, socket addresses) and the textual forms of socket tuples.

use falcoc_scap::{FdDetails, FdInfo, FdType, AF_INET, AF_INET6, AF_UNIX};

use crate::paths;

/// `FLAGS_FROM_PROC`: the fd came from the capture's fd list.
pub const FLAG_FROM_PROC: u32 = 1 << 0;
/// `FLAGS_ROLE_CLIENT`.
pub const FLAG_ROLE_CLIENT: u32 = 1 << 2;
/// `FLAGS_ROLE_SERVER`.
pub const FLAG_ROLE_SERVER: u32 = 1 << 3;
/// `FLAGS_CLOSE_IN_PROGRESS`: a close enter was seen.
pub const FLAG_CLOSE_IN_PROGRESS: u32 = 1 << 4;
/// `FLAGS_CLOSE_CANCELED`: the fd was re-created between close enter and exit.
pub const FLAG_CLOSE_CANCELED: u32 = 1 << 5;
/// `FLAGS_SOCKET_CONNECTED`.
pub const FLAG_SOCKET_CONNECTED: u32 = 1 << 13;
/// `FLAGS_IS_CLONED`: copied from the parent at clone time.
pub const FLAG_IS_CLONED: u32 = 1 << 14;
/// `FLAGS_CONNECTION_PENDING`.
pub const FLAG_CONNECTION_PENDING: u32 = 1 << 15;
/// `FLAGS_CONNECTION_FAILED`.
pub const FLAG_CONNECTION_FAILED: u32 = 1 << 16;

/// `SCAP_L4_UNKNOWN`.
pub const L4_UNKNOWN: u8 = 0;
/// `SCAP_L4_NA`.
pub const L4_NA: u8 = 1;
/// `SCAP_L4_TCP`.
pub const L4_TCP: u8 = 2;
/// `SCAP_L4_UDP`.
pub const L4_UDP: u8 = 3;
/// `SCAP_L4_ICMP`.
pub const L4_ICMP: u8 = 4;
/// `SCAP_L4_RAW`.
pub const L4_RAW: u8 = 5;

/// The fd number libsinsp keeps a canceled close under (`CANCELED_FD_NUMBER`).
pub const CANCELED_FD: i64 = i64::MAX;

/// libsinsp's `sinsp_sockinfo`: a C union of the IPv4 tuple, IPv6 tuple, IPv4/IPv6 server
/// address and unix tuple, kept as its bytes so that reading one view after writing
/// another gives what libsinsp gets. Addresses are in network order, ports in host order.
///
/// Layouts: IPv4 tuple `sip@0 dip@4 sport@8 dport@10 l4proto@12`; IPv4 server
/// `ip@0 port@4 l4proto@6`; IPv6 tuple `sip@0 dip@16 sport@32 dport@34 l4proto@36`; IPv6
/// server `ip@0 port@16 l4proto@18`; unix `source@0 dest@8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockInfo(pub [u8; 40]);

impl Default for SockInfo {
    fn default() -> SockInfo {
        SockInfo([0; 40])
    }
}

macro_rules! u16_at {
    ($get:ident, $set:ident, $off:expr) => {
        /// A port of the union (host order).
        pub fn $get(&self) -> u16 {
            u16::from_le_bytes([self.0[$off], self.0[$off + 1]])
        }
        /// Sets a port of the union.
        pub fn $set(&mut self, v: u16) {
            self.0[$off..$off + 2].copy_from_slice(&v.to_le_bytes());
        }
    };
}

impl SockInfo {
    fn bytes<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.0[off..off + N]);
        a
    }

    fn set(&mut self, off: usize, b: &[u8]) {
        self.0[off..off + b.len()].copy_from_slice(b);
    }

    /// IPv4 tuple source address.
    pub fn v4_sip(&self) -> [u8; 4] {
        self.bytes(0)
    }
    /// IPv4 tuple destination address.
    pub fn v4_dip(&self) -> [u8; 4] {
        self.bytes(4)
    }
    /// Sets the IPv4 tuple source address.
    pub fn set_v4_sip(&mut self, a: [u8; 4]) {
        self.set(0, &a)
    }
    /// Sets the IPv4 tuple destination address.
    pub fn set_v4_dip(&mut self, a: [u8; 4]) {
        self.set(4, &a)
    }
    u16_at!(v4_sport, set_v4_sport, 8);
    u16_at!(v4_dport, set_v4_dport, 10);
    /// IPv4 tuple protocol.
    pub fn v4_proto(&self) -> u8 {
        self.0[12]
    }
    /// Sets the IPv4 tuple protocol.
    pub fn set_v4_proto(&mut self, p: u8) {
        self.0[12] = p
    }

    /// IPv4 server address.
    pub fn v4s_ip(&self) -> [u8; 4] {
        self.bytes(0)
    }
    /// Sets the IPv4 server address.
    pub fn set_v4s_ip(&mut self, a: [u8; 4]) {
        self.set(0, &a)
    }
    u16_at!(v4s_port, set_v4s_port, 4);
    /// IPv4 server protocol.
    pub fn v4s_proto(&self) -> u8 {
        self.0[6]
    }
    /// Sets the IPv4 server protocol.
    pub fn set_v4s_proto(&mut self, p: u8) {
        self.0[6] = p
    }

    /// IPv6 tuple source address.
    pub fn v6_sip(&self) -> [u8; 16] {
        self.bytes(0)
    }
    /// IPv6 tuple destination address.
    pub fn v6_dip(&self) -> [u8; 16] {
        self.bytes(16)
    }
    /// Sets the IPv6 tuple source address.
    pub fn set_v6_sip(&mut self, a: [u8; 16]) {
        self.set(0, &a)
    }
    /// Sets the IPv6 tuple destination address.
    pub fn set_v6_dip(&mut self, a: [u8; 16]) {
        self.set(16, &a)
    }
    u16_at!(v6_sport, set_v6_sport, 32);
    u16_at!(v6_dport, set_v6_dport, 34);
    /// IPv6 tuple protocol.
    pub fn v6_proto(&self) -> u8 {
        self.0[36]
    }
    /// Sets the IPv6 tuple protocol.
    pub fn set_v6_proto(&mut self, p: u8) {
        self.0[36] = p
    }

    /// IPv6 server address.
    pub fn v6s_ip(&self) -> [u8; 16] {
        self.bytes(0)
    }
    /// Sets the IPv6 server address.
    pub fn set_v6s_ip(&mut self, a: [u8; 16]) {
        self.set(0, &a)
    }
    u16_at!(v6s_port, set_v6s_port, 16);
    /// IPv6 server protocol.
    pub fn v6s_proto(&self) -> u8 {
        self.0[18]
    }
    /// Sets the IPv6 server protocol.
    pub fn set_v6s_proto(&mut self, p: u8) {
        self.0[18] = p
    }

    /// Unix tuple: source and destination kernel addresses.
    pub fn unix(&self) -> (u64, u64) {
        (
            u64::from_le_bytes(self.bytes(0)),
            u64::from_le_bytes(self.bytes(8)),
        )
    }
    /// Sets the unix tuple.
    pub fn set_unix(&mut self, source: u64, dest: u64) {
        self.set(0, &source.to_le_bytes());
        self.set(8, &dest.to_le_bytes());
    }
}

/// One file descriptor (libsinsp `sinsp_fdinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fd {
    /// Type.
    pub ty: FdType,
    /// `PPM_O_*` flags it was opened with (files).
    pub open_flags: u32,
    /// Name: path, socket tuple, unix path…
    pub name: String,
    /// `FLAG_*` bits.
    pub flags: u32,
    /// Socket addresses.
    pub sock: SockInfo,
    /// Device number (files).
    pub dev: u32,
    /// Inode.
    pub ino: u64,
}

impl Fd {
    /// An fd of type `ty` with everything else empty.
    pub fn new(ty: FdType) -> Fd {
        Fd {
            ty,
            open_flags: 0,
            name: String::new(),
            flags: 0,
            sock: SockInfo::default(),
            dev: 0,
            ino: 0,
        }
    }

    /// Makes this fd a copy of `src`, reusing its name's buffer.
    pub fn copy_from(&mut self, src: &Fd) {
        let Fd {
            ty,
            open_flags,
            name,
            flags,
            sock,
            dev,
            ino,
        } = src;
        self.ty = *ty;
        self.open_flags = *open_flags;
        self.name.clone_from(name);
        self.flags = *flags;
        self.sock = *sock;
        self.dev = *dev;
        self.ino = *ino;
    }

    /// Builds an fd from a capture fd-list entry (`add_fd_from_scap`); `None` for types
    /// libsinsp does not add.
    pub fn from_scap(fi: &FdInfo, server_ports: &mut Vec<u16>) -> Option<Fd> {
        let mut fd = Fd::new(fi.ty);
        fd.flags = FLAG_FROM_PROC;
        fd.ino = fi.ino;
        match (&fi.details, fi.ty) {
            (
                FdDetails::Ipv4Socket {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto,
                },
                _,
            ) => {
                fd.ty = FdType::Ipv4Sock;
                fd.sock.set_v4_sip(sip.octets());
                fd.sock.set_v4_dip(dip.octets());
                fd.sock.set_v4_sport(*sport);
                fd.sock.set_v4_dport(*dport);
                fd.sock.set_v4_proto(*l4proto);
                if *l4proto == L4_TCP {
                    fd.flags |= FLAG_SOCKET_CONNECTED;
                }
                fd.name = ipv4_tuple_string(&fd.sock);
            }
            (FdDetails::Ipv4Server { ip, port, l4proto }, _) => {
                fd.sock.set_v4s_ip(ip.octets());
                fd.sock.set_v4s_port(*port);
                fd.sock.set_v4s_proto(*l4proto);
                fd.name = ipv4_server_string(ip.octets(), *port);
                server_ports.push(*port);
            }
            (
                FdDetails::Ipv6Socket {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto,
                },
                _,
            ) => {
                let (s, d) = (sip.octets(), dip.octets());
                if is_v4_mapped(&s) && is_v4_mapped(&d) {
                    fd.ty = FdType::Ipv4Sock;
                    fd.sock.set_v4_sip(last4(&s));
                    fd.sock.set_v4_dip(last4(&d));
                    fd.sock.set_v4_sport(*sport);
                    fd.sock.set_v4_dport(*dport);
                    fd.sock.set_v4_proto(*l4proto);
                    if *l4proto == L4_TCP {
                        fd.flags |= FLAG_SOCKET_CONNECTED;
                    }
                    fd.name = ipv4_tuple_string(&fd.sock);
                } else {
                    fd.sock.set_v6_sip(s);
                    fd.sock.set_v6_dip(d);
                    fd.sock.set_v6_sport(*sport);
                    fd.sock.set_v6_dport(*dport);
                    fd.sock.set_v6_proto(*l4proto);
                    if *l4proto == L4_TCP {
                        fd.flags |= FLAG_SOCKET_CONNECTED;
                    }
                    fd.name = ipv6_tuple_string(&fd.sock);
                }
            }
            (FdDetails::Ipv6Server { ip, port, l4proto }, _) => {
                fd.sock.set_v6s_ip(ip.octets());
                fd.sock.set_v6s_port(*port);
                fd.sock.set_v6s_proto(*l4proto);
                fd.name = format!("{}:{}", ipv6_string(ip.octets()), port);
                server_ports.push(*port);
            }
            (FdDetails::Unix { source, dest, name }, _) => {
                fd.sock.set_unix(*source, *dest);
                fd.name = name.clone();
                fd.flags |= if fd.name.is_empty() {
                    FLAG_ROLE_CLIENT
                } else {
                    FLAG_ROLE_SERVER
                };
            }
            (
                FdDetails::File {
                    open_flags,
                    name,
                    dev,
                },
                _,
            ) => {
                fd.open_flags = *open_flags;
                fd.name = name.clone();
                fd.dev = *dev;
            }
            (
                FdDetails::Named { name },
                FdType::Fifo
                | FdType::File
                | FdType::Directory
                | FdType::Unsupported
                | FdType::Signalfd
                | FdType::Eventpoll
                | FdType::Event
                | FdType::Inotify
                | FdType::Timerfd
                | FdType::Netlink,
            ) => fd.name = name.clone(),
            _ => return None,
        }
        Some(fd)
    }

    /// `is_role_server`.
    pub fn is_role_server(&self) -> bool {
        self.flags & FLAG_ROLE_SERVER != 0
    }
    /// `is_role_client`.
    pub fn is_role_client(&self) -> bool {
        self.flags & FLAG_ROLE_CLIENT != 0
    }
    /// `is_role_none`.
    pub fn is_role_none(&self) -> bool {
        self.flags & (FLAG_ROLE_CLIENT | FLAG_ROLE_SERVER) == 0
    }
    /// `set_socket_connected`.
    pub fn set_connected(&mut self) {
        self.flags &= !(FLAG_CONNECTION_PENDING | FLAG_CONNECTION_FAILED);
        self.flags |= FLAG_SOCKET_CONNECTED;
    }
    /// `set_socket_pending`.
    pub fn set_pending(&mut self) {
        self.flags &= !(FLAG_SOCKET_CONNECTED | FLAG_CONNECTION_FAILED);
        self.flags |= FLAG_CONNECTION_PENDING;
    }
    /// `set_socket_failed`.
    pub fn set_failed(&mut self) {
        self.flags &= !(FLAG_SOCKET_CONNECTED | FLAG_CONNECTION_PENDING);
        self.flags |= FLAG_CONNECTION_FAILED;
    }

    /// A regular file (`SCAP_FD_FILE` or `SCAP_FD_FILE_V2`).
    pub fn is_file(&self) -> bool {
        matches!(self.ty, FdType::File | FdType::FileV2)
    }

    /// `is_tcp_socket`: an IPv4/IPv6 socket whose tuple protocol is TCP.
    pub fn is_tcp_socket(&self) -> bool {
        match self.ty {
            FdType::Ipv4Sock => self.sock.v4_proto() == L4_TCP,
            FdType::Ipv6Sock => self.sock.v6_proto() == L4_TCP,
            _ => false,
        }
    }

    /// `is_udp_socket`.
    pub fn is_udp_socket(&self) -> bool {
        match self.ty {
            FdType::Ipv4Sock => self.sock.v4_proto() == L4_UDP,
            FdType::Ipv6Sock => self.sock.v6_proto() == L4_UDP,
            _ => false,
        }
    }

    /// `get_l4proto`.
    pub fn l4proto(&self) -> u8 {
        match self.ty {
            FdType::Ipv4Sock => {
                let p = self.sock.v4_proto();
                if p == L4_RAW {
                    L4_RAW
                } else if self.is_role_none() {
                    L4_NA
                } else {
                    p
                }
            }
            FdType::Ipv4ServSock => self.sock.v4s_proto(),
            FdType::Ipv6Sock => {
                let p = self.sock.v6_proto();
                if p == L4_RAW {
                    L4_RAW
                } else if self.is_role_none() {
                    L4_NA
                } else {
                    p
                }
            }
            FdType::Ipv6ServSock => self.sock.v6s_proto(),
            _ => L4_NA,
        }
    }

    /// `get_typechar` (`fd.typechar`), with the letters of the newer fd types.
    pub fn typechar(&self) -> u8 {
        typechar(self.ty)
    }

    /// `get_typestring` (`fd.type`); `None` where libsinsp gives `<NA>`.
    pub fn typestring(&self) -> Option<&'static str> {
        Some(match self.ty {
            FdType::File | FdType::FileV2 => "file",
            FdType::Directory => "directory",
            FdType::Ipv4Sock | FdType::Ipv4ServSock => "ipv4",
            FdType::Ipv6Sock | FdType::Ipv6ServSock => "ipv6",
            FdType::UnixSock => "unix",
            FdType::Fifo => "pipe",
            FdType::Event => "event",
            FdType::Signalfd => "signalfd",
            FdType::Eventpoll => "eventpoll",
            FdType::Inotify => "inotify",
            FdType::Timerfd => "timerfd",
            FdType::Netlink => "netlink",
            FdType::Bpf => "bpf",
            FdType::Userfaultfd => "userfaultfd",
            FdType::Iouring => "io_uring",
            FdType::Memfd => "memfd",
            FdType::Pidfd => "pidfd",
            _ => return None,
        })
    }

    /// Swaps the tuple's endpoints (`swap_addresses`).
    pub fn swap_addresses(&mut self) {
        let s = &mut self.sock;
        if self.ty == FdType::Ipv4Sock {
            let (ip, port) = (s.v4_sip(), s.v4_sport());
            s.set_v4_sip(s.v4_dip());
            s.set_v4_sport(s.v4_dport());
            s.set_v4_dip(ip);
            s.set_v4_dport(port);
        } else {
            let (ip, port) = (s.v6_sip(), s.v6_sport());
            s.set_v6_sip(s.v6_dip());
            s.set_v6_sport(s.v6_dport());
            s.set_v6_dip(ip);
            s.set_v6_dport(port);
        }
    }

    /// Sets the name to [`socket_name`](Self::socket_name), reusing its buffer (no
    /// new string once it has grown).
    pub fn set_socket_name(&mut self) {
        self.name.clear();
        write_socket_name(self.ty, &self.sock, &mut self.name);
    }

    /// `sockinfo_to_str`: the name of an IPv4/IPv6 socket from its tuple.
    pub fn socket_name(&self) -> String {
        let mut out = String::new();
        write_socket_name(self.ty, &self.sock, &mut out);
        out
    }
}

/// [`Fd::socket_name`] of an fd of type `ty` with addresses `s`, appended to `out`.
pub fn write_socket_name(ty: FdType, s: &SockInfo, out: &mut String) {
    match ty {
        FdType::Ipv4Sock => match s.v4_proto() {
            L4_TCP | L4_UDP => write_ipv4_tuple(s, out),
            L4_ICMP | L4_RAW => {
                push_ip4(out, &s.v4_sip());
                out.push_str("->");
                push_ip4(out, &s.v4_dip());
            }
            _ => out.push_str("<unknown>"),
        },
        FdType::Ipv6Sock => {
            let (sip, dip) = (s.v6_sip(), s.v6_dip());
            let mapped = is_v4_mapped(&sip) && is_v4_mapped(&dip);
            match s.v6_proto() {
                // libsinsp reads the ports of the IPv4 view here (a bug kept as is).
                L4_TCP | L4_UDP if mapped => {
                    push_ip4_port(out, &last4(&sip), s.v4_sport());
                    out.push_str("->");
                    push_ip4_port(out, &last4(&dip), s.v4_dport());
                }
                L4_TCP | L4_UDP => write_ipv6_tuple(s, out),
                L4_ICMP if mapped => {
                    push_ip4(out, &last4(&sip));
                    out.push_str("->");
                    push_ip4(out, &last4(&dip));
                }
                L4_ICMP => {
                    write_ipv6(out, sip);
                    out.push_str("->");
                    write_ipv6(out, dip);
                }
                _ => out.push_str("<unknown>"),
            }
        }
        _ => {}
    }
}

/// The type letter of an fd type (`CHAR_FD_*`).
pub fn typechar(ty: FdType) -> u8 {
    match ty {
        FdType::File | FdType::FileV2 => b'f',
        FdType::Ipv4Sock | FdType::Ipv4ServSock => b'4',
        FdType::Ipv6Sock | FdType::Ipv6ServSock => b'6',
        FdType::Directory => b'd',
        FdType::Fifo => b'p',
        FdType::UnixSock => b'u',
        FdType::Event => b'e',
        FdType::Unknown => b'o',
        FdType::Unsupported => b'X',
        FdType::Signalfd => b's',
        FdType::Eventpoll => b'l',
        FdType::Inotify => b'i',
        FdType::Timerfd => b't',
        FdType::Netlink => b'n',
        FdType::Bpf => b'b',
        FdType::Userfaultfd => b'u',
        FdType::Iouring => b'r',
        FdType::Memfd => b'm',
        FdType::Pidfd => b'P',
        FdType::Other(_) => b'?',
    }
}

/// Whether a 16-byte address is IPv4-mapped (`::ffff:a.b.c.d`).
pub fn is_v4_mapped(a: &[u8]) -> bool {
    a.len() >= 16 && a[..10].iter().all(|&b| b == 0) && a[10] == 0xff && a[11] == 0xff
}

/// The last four bytes of an IPv6 address.
pub fn last4(a: &[u8; 16]) -> [u8; 4] {
    [a[12], a[13], a[14], a[15]]
}

pub use falcoc_engine::values::{ipv6_string, write_ipv6};

/// `ipv4serveraddr_to_string`: `a.b.c.d:port`.
pub fn ipv4_server_string(ip: [u8; 4], port: u16) -> String {
    let mut out = String::with_capacity(21);
    push_ip4_port(&mut out, &ip, port);
    out
}

/// `ipv4tuple_to_string`: `sip:sport->dip:dport`.
pub fn ipv4_tuple_string(s: &SockInfo) -> String {
    let mut out = String::with_capacity(43);
    write_ipv4_tuple(s, &mut out);
    out
}

/// [`ipv4_tuple_string`] appended to `out`.
fn write_ipv4_tuple(s: &SockInfo, out: &mut String) {
    push_ip4_port(out, &s.v4_sip(), s.v4_sport());
    out.push_str("->");
    push_ip4_port(out, &s.v4_dip(), s.v4_dport());
}

/// `ipv6tuple_to_string`: `sip:sport->dip:dport`.
pub fn ipv6_tuple_string(s: &SockInfo) -> String {
    let mut out = String::new();
    write_ipv6_tuple(s, &mut out);
    out
}

/// [`ipv6_tuple_string`] appended to `out`.
fn write_ipv6_tuple(s: &SockInfo, out: &mut String) {
    write_ipv6(out, s.v6_sip());
    out.push(':');
    push_decimal(out, u32::from(s.v6_sport()));
    out.push_str("->");
    write_ipv6(out, s.v6_dip());
    out.push(':');
    push_decimal(out, u32::from(s.v6_dport()));
}

fn le16(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn le64(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

fn ip16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    a
}

/// A `SOCKADDR` parameter as text (`NULL`, a unix path, `ip:port`).
pub fn sockaddr_string(b: &[u8]) -> String {
    let mut out = String::new();
    sockaddr_into(b, &mut out);
    out
}

/// [`sockaddr_string`] appended to `out` (no intermediate string).
pub fn sockaddr_into(b: &[u8], out: &mut String) {
    let Some(&family) = b.first() else {
        out.push_str("NULL");
        return;
    };
    match family {
        AF_UNIX => paths::push_sanitized(out, &b[1..]),
        AF_INET if b.len() == 7 => push_ip4_port(out, &b[1..5], le16(b, 5)),
        AF_INET => out.push_str("INVALID IPv4"),
        AF_INET6 if b.len() == 19 => {
            write_ipv6(out, ip16(&b[1..]));
            out.push(':');
            push_decimal(out, u32::from(le16(b, 17)));
        }
        AF_INET6 => out.push_str("INVALID IPv6"),
        f => {
            out.push_str("family ");
            out.push_str(crate::decimal::Decimal::new(i64::from(f as i8)).as_str());
        }
    }
}

/// [`socktuple_string`] appended to `out` (no intermediate string).
pub fn socktuple_into(b: &[u8], out: &mut String) {
    use std::fmt::Write;
    let Some(&family) = b.first() else {
        out.push_str("NULL");
        return;
    };
    match family {
        AF_INET if b.len() == 13 => {
            push_ip4_port(out, &b[1..5], le16(b, 5));
            out.push_str("->");
            push_ip4_port(out, &b[7..11], le16(b, 11));
        }
        AF_INET => out.push_str("INVALID IPv4"),
        AF_INET6 if b.len() == 37 => {
            let (s, d) = (&b[1..17], &b[19..35]);
            if is_v4_mapped(s) && is_v4_mapped(d) {
                push_ip4_port(out, &b[13..17], le16(b, 17));
                out.push_str("->");
                push_ip4_port(out, &b[31..35], le16(b, 35));
            } else {
                write_ipv6(out, ip16(s));
                out.push(':');
                push_decimal(out, u32::from(le16(b, 17)));
                out.push_str("->");
                write_ipv6(out, ip16(d));
                out.push(':');
                push_decimal(out, u32::from(le16(b, 35)));
            }
        }
        AF_INET6 => out.push_str("INVALID IPv6"),
        AF_UNIX if b.len() >= 17 => {
            // Writing to a `String` cannot fail.
            let _ = write!(out, "{:x}->{:x} ", le64(b, 1), le64(b, 9));
            paths::push_sanitized(out, &b[17..]);
        }
        f => {
            out.push_str("family ");
            out.push_str(crate::decimal::Decimal::new(i64::from(f as i8)).as_str());
        }
    }
}

/// A `SOCKTUPLE` parameter as text (`NULL`, `sip:sport->dip:dport`, unix
/// `source->dest path` in hex).
pub fn socktuple_string(b: &[u8]) -> String {
    let mut out = String::with_capacity(48);
    socktuple_into(b, &mut out);
    out
}

/// Appends `a.b.c.d` (the first four bytes of `a`).
fn push_ip4(out: &mut String, a: &[u8]) {
    for (i, &octet) in a.iter().take(4).enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(out, u32::from(octet));
    }
}

/// Appends `a.b.c.d:port` (what `format!("{}:{}", Ipv4Addr, port)` gives, without the
/// formatting machinery: this runs for every socket tuple the state records).
fn push_ip4_port(out: &mut String, a: &[u8], port: u16) {
    push_ip4(out, a);
    out.push(':');
    push_decimal(out, u32::from(port));
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u32) {
    out.push_str(crate::decimal::Decimal::new(i64::from(n)).as_str());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn tuples_written_in_place_read_like_the_strings() {
        let mut unix = vec![AF_UNIX];
        unix.extend_from_slice(&0xffff_8880_1234_5678u64.to_le_bytes());
        unix.extend_from_slice(&0x9abcu64.to_le_bytes());
        unix.extend_from_slice(b"/run/a\x01b.sock\0junk");
        let mut v4 = vec![AF_INET, 10, 0, 0, 1];
        v4.extend_from_slice(&443u16.to_le_bytes());
        v4.extend_from_slice(&[192, 168, 1, 9]);
        v4.extend_from_slice(&51000u16.to_le_bytes());
        let mut v6 = vec![AF_INET6];
        v6.extend_from_slice(&[0; 15]);
        v6.push(1);
        v6.extend_from_slice(&80u16.to_le_bytes());
        v6.extend_from_slice(&[0xfe, 0x80]);
        v6.extend_from_slice(&[0; 14]);
        v6.extend_from_slice(&8080u16.to_le_bytes());
        let mut mapped = vec![AF_INET6];
        mapped.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
        mapped.extend_from_slice(&53u16.to_le_bytes());
        mapped.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 8, 8, 4, 4]);
        mapped.extend_from_slice(&5353u16.to_le_bytes());
        let cases: [(&[u8], &str); 8] = [
            (&unix, "ffff888012345678->9abc /run/ab.sock"),
            (&v4, "10.0.0.1:443->192.168.1.9:51000"),
            (&v6, "::1:80->fe80:::8080"),
            (&mapped, "10.1.2.3:53->8.8.4.4:5353"),
            (&[AF_UNIX, 1], "family 1"),
            (&[AF_INET, 1, 2], "INVALID IPv4"),
            (&[0xfe], "family -2"),
            (&[], "NULL"),
        ];
        for (t, want) in cases {
            let mut out = String::from("x");
            socktuple_into(t, &mut out);
            assert_eq!(out, format!("x{want}"), "{t:?}");
            assert_eq!(socktuple_string(t), want);
        }
    }

    #[test]
    fn sockaddrs_and_socket_names_are_written_in_place() {
        let mut v6 = vec![AF_INET6, 0x20, 0x01, 0x0d, 0xb8];
        v6.extend_from_slice(&[0; 11]);
        v6.push(1);
        v6.extend_from_slice(&443u16.to_le_bytes());
        let cases: [(&[u8], &str); 6] = [
            (&[AF_INET, 127, 0, 0, 1, 0x50, 0], "127.0.0.1:80"),
            (&v6, "2001:db8::1:443"),
            (&[AF_UNIX, b'/', b't', 1, b'x', 0, b'y'], "/tx"),
            (&[AF_INET6, 1], "INVALID IPv6"),
            (&[9], "family 9"),
            (&[], "NULL"),
        ];
        for (a, want) in cases {
            let mut out = String::from("x");
            sockaddr_into(a, &mut out);
            assert_eq!(out, format!("x{want}"), "{a:?}");
        }
        let mut f = Fd::new(FdType::Ipv4Sock);
        f.sock.set_v4_proto(L4_ICMP);
        f.sock.set_v4_sip([10, 0, 0, 1]);
        f.sock.set_v4_dip([10, 0, 0, 2]);
        f.name.push_str("old name");
        f.set_socket_name();
        assert_eq!(f.name, "10.0.0.1->10.0.0.2");
        f.ty = FdType::File;
        f.set_socket_name();
        assert_eq!(f.name, "");
    }

    #[test]
    fn ipv4_tuples_render_as_format_does() {
        for (a, b, sp, dp) in [
            ([0, 0, 0, 0], [255, 255, 255, 255], 0u16, 65535u16),
            ([10, 0, 0, 5], [192, 168, 100, 9], 80, 54321),
            ([1, 22, 133, 9], [127, 0, 0, 1], 7, 443),
        ] {
            let mut t = vec![AF_INET];
            t.extend_from_slice(&a);
            t.extend_from_slice(&sp.to_le_bytes());
            t.extend_from_slice(&b);
            t.extend_from_slice(&dp.to_le_bytes());
            let want = format!("{}:{sp}->{}:{dp}", Ipv4Addr::from(a), Ipv4Addr::from(b));
            assert_eq!(socktuple_string(&t), want);
        }
    }

    #[test]
    fn union_views_overlap_like_c() {
        let mut s = SockInfo::default();
        s.set_v4_sip([10, 0, 0, 5]);
        s.set_v4_proto(L4_TCP);
        // The server view's address is the tuple's source address.
        assert_eq!(s.v4s_ip(), [10, 0, 0, 5]);
        s.set_v4s_port(80);
        assert_eq!(s.v4_dip()[..2], [80, 0]);
        assert_eq!(ipv6_string([0; 16]), "::");
        let mut one = [0u8; 16];
        one[15] = 1;
        assert_eq!(ipv6_string(one), "::1");
        let mut compat = [0u8; 16];
        compat[12..].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(ipv6_string(compat), "::1.2.3.4");
    }
}
