//! Parsers of the socket events: `socket`/`socketpair`, `bind`, `connect`, `accept*`,
//! and the reads and writes that teach a socket its tuple (`sendto`/`recvfrom`, UDP).

use super::*;

impl State {
    /// `infer_sendto_fdinfo`: a sendto on an fd never seen gets a UDP socket.
    pub(super) fn infer_sendto_fdinfo(&mut self, evt: &EventRef<'_>) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        if self.cur.fd.is_some() {
            return;
        }
        let fd = int(evt.raw(0));
        if fd < 0 {
            return;
        }
        match evt.raw(2).first().copied() {
            Some(AF_INET) => self.add_socket(tid, fd, 2, SOCK_DGRAM, IPPROTO_UDP),
            Some(AF_INET6) => self.add_socket(tid, fd, 10, SOCK_DGRAM, IPPROTO_UDP),
            _ => {}
        }
    }

    /// `add_socket`.
    pub(super) fn add_socket(&mut self, tid: i64, fd: i64, domain: u32, ty: u32, proto: u32) {
        let mut f = self.pool.fd(FdType::Unknown);
        f.sock.set_v4_proto(fd::L4_UNKNOWN);
        if domain == 1 {
            f.ty = FdType::UnixSock;
        } else if domain == 2 || domain == 10 {
            f.ty = if domain == 2 {
                FdType::Ipv4Sock
            } else {
                FdType::Ipv6Sock
            };
            let l4 = match proto {
                IPPROTO_TCP if ty == SOCK_RAW => fd::L4_RAW,
                IPPROTO_TCP => fd::L4_TCP,
                IPPROTO_UDP if ty == SOCK_RAW => fd::L4_RAW,
                IPPROTO_UDP => fd::L4_UDP,
                IPPROTO_IP if ty & 0xff == SOCK_STREAM => fd::L4_TCP,
                IPPROTO_IP if ty & 0xff == SOCK_DGRAM => fd::L4_UDP,
                IPPROTO_ICMP if ty == SOCK_RAW => fd::L4_RAW,
                IPPROTO_ICMP => fd::L4_ICMP,
                IPPROTO_RAW => fd::L4_RAW,
                _ => fd::L4_UNKNOWN,
            };
            if domain == 2 {
                f.sock.set_v4_proto(l4);
            } else {
                f.sock = fd::SockInfo::default();
                f.sock.set_v6_proto(l4);
            }
        } else if domain == PPM_AF_NETLINK {
            f.ty = FdType::Netlink;
        }
        if f.ty == FdType::Unknown {
            return;
        }
        self.add_fd(tid, fd, f, false);
    }

    pub(super) fn parse_socket_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        let fd = int(evt.raw(0));
        let (Some(tid), Some(e)) = (self.evt_tid(), enter) else {
            return;
        };
        if fd < 0 {
            return;
        }
        let (domain, ty, proto) = (
            uint(e.raw(0)) as u32,
            uint(e.raw(1)) as u32,
            uint(e.raw(2)) as u32,
        );
        self.add_socket(tid, fd, domain, ty, proto);
    }

    pub(super) fn parse_socketpair_exit(&mut self, evt: &EventRef<'_>) {
        if int(evt.raw(0)) < 0 {
            return;
        }
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let (fd1, fd2) = (int(evt.raw(1)), int(evt.raw(2)));
        let mut f = self.pool.fd(FdType::UnixSock);
        f.sock.set_unix(uint(evt.raw(3)), uint(evt.raw(4)));
        let copy = self.pool.fd_copy(&f);
        self.add_fd(tid, fd1, copy, false);
        let first = self.cur.fd;
        self.add_fd(tid, fd2, f, false);
        self.cur.fd = first;
    }

    pub(super) fn parse_bind_exit(&mut self, evt: &EventRef<'_>) {
        if self.cur.fd.is_none() || int(evt.raw(0)) < 0 {
            return;
        }
        let addr = evt.raw(1);
        if addr.is_empty() {
            return;
        }
        let mut spare = std::mem::take(&mut self.spare_name);
        let Some(f) = self.evt_fd_mut() else {
            self.spare_name = spare;
            return;
        };
        match addr[0] {
            AF_INET if addr.len() >= 7 => {
                let port = u16::from_le_bytes([addr[5], addr[6]]);
                if port > 0 {
                    let proto = f.sock.v4_proto();
                    f.ty = FdType::Ipv4ServSock;
                    f.sock.set_v4s_ip([addr[1], addr[2], addr[3], addr[4]]);
                    f.sock.set_v4s_port(port);
                    f.sock.set_v4s_proto(proto);
                    f.flags |= fd::FLAG_ROLE_SERVER;
                }
            }
            AF_INET6 if addr.len() >= 19 => {
                let port = u16::from_le_bytes([addr[17], addr[18]]);
                if port > 0 {
                    let mut ip = [0u8; 16];
                    ip.copy_from_slice(&addr[1..17]);
                    let proto = f.sock.v6_proto();
                    if fd::is_v4_mapped(&ip) {
                        f.ty = FdType::Ipv4ServSock;
                        f.sock.set_v4s_proto(proto);
                        f.sock.set_v4s_ip(fd::last4(&ip));
                        f.sock.set_v4s_port(port);
                    } else {
                        f.ty = FdType::Ipv6ServSock;
                        f.sock.set_v6s_port(port);
                        f.sock.set_v6s_ip(ip);
                        f.sock.set_v6s_proto(proto);
                    }
                    f.flags |= fd::FLAG_ROLE_SERVER;
                }
            }
            _ => {}
        }
        self.cur.name_changed = rename(f, &mut spare, |out| crate::fd::sockaddr_into(addr, out));
        self.spare_name = spare;
    }

    pub(super) fn parse_connect_enter(&mut self, evt: &EventRef<'_>) {
        if self.cur.fd.is_none() {
            return;
        }
        let track = self.opts.track_connection_status;
        if evt.count() < 2 {
            if track {
                if let Some(f) = self.evt_fd_mut() {
                    f.set_pending();
                }
            }
            return;
        }
        let addr = evt.raw(1);
        let mut spare = std::mem::take(&mut self.spare_name);
        let Some(f) = self.evt_fd_mut() else {
            self.spare_name = spare;
            return;
        };
        if track {
            f.set_pending();
        }
        if addr.is_empty() {
            self.spare_name = spare;
            return;
        }
        let mut changed = false;
        match addr[0] {
            AF_INET if addr.len() >= 7 => {
                f.ty = FdType::Ipv4Sock;
                f.sock.set_v4_dip([addr[1], addr[2], addr[3], addr[4]]);
                f.sock.set_v4_dport(u16::from_le_bytes([addr[5], addr[6]]));
            }
            AF_INET6 if addr.len() >= 19 => {
                let port = u16::from_le_bytes([addr[17], addr[18]]);
                let mut ip = [0u8; 16];
                ip.copy_from_slice(&addr[1..17]);
                if fd::is_v4_mapped(&ip) {
                    f.ty = FdType::Ipv4Sock;
                    f.sock.set_v4_dip(fd::last4(&ip));
                    f.sock.set_v4_dport(port);
                } else {
                    f.ty = FdType::Ipv6Sock;
                    f.sock.set_v6_dport(port);
                    f.sock.set_v6_dip(ip);
                }
            }
            AF_INET | AF_INET6 => {}
            _ => {
                changed = rename(f, &mut spare, |out| crate::fd::sockaddr_into(addr, out));
                if addr.len() >= 17 {
                    f.sock.set_unix(uint(&addr[1..9]), uint(&addr[9..17]));
                }
            }
        }
        self.cur.name_changed = changed;
        self.spare_name = spare;
    }

    /// `fill_client_socket_info` from a connect exit's tuple.
    pub(super) fn fill_client_socket_info(&mut self, tuple: &[u8]) {
        let ow = self.opts.libs == LibsVersion::Falco042;
        let mut spare = std::mem::take(&mut self.spare_name);
        let Some(f) = self.evt_fd_mut() else {
            self.spare_name = spare;
            return;
        };
        let renamed;
        match tuple.first().copied() {
            Some(AF_INET) | Some(AF_INET6) => {
                let changed = if tuple[0] == AF_INET6 {
                    if tuple.len() < 37 {
                        self.spare_name = spare;
                        return;
                    }
                    let (sip, dip) = (&tuple[1..17], &tuple[19..35]);
                    if !(fd::is_v4_mapped(sip) && fd::is_v4_mapped(dip)) {
                        f.ty = FdType::Ipv6Sock;
                        set_ipv6_addresses_and_ports(f, tuple, ow)
                    } else {
                        f.ty = FdType::Ipv4Sock;
                        set_ipv4_mapped_addresses_and_ports(f, tuple, ow)
                    }
                } else {
                    if tuple.len() < 13 {
                        self.spare_name = spare;
                        return;
                    }
                    f.ty = FdType::Ipv4Sock;
                    set_ipv4_addresses_and_ports(f, tuple, ow)
                };
                if changed && f.is_role_server() && f.is_udp_socket() {
                    f.swap_addresses();
                }
                let (ty, sock) = (f.ty, f.sock);
                renamed = rename(f, &mut spare, |out| {
                    crate::fd::write_socket_name(ty, &sock, out)
                });
            }
            _ => {
                renamed = rename(f, &mut spare, |out| crate::fd::socktuple_into(tuple, out));
                if tuple.len() >= 17 {
                    f.sock.set_unix(uint(&tuple[1..9]), uint(&tuple[9..17]));
                }
            }
        }
        if f.is_role_none() {
            f.flags |= fd::FLAG_ROLE_CLIENT;
        }
        self.cur.name_changed = renamed;
        self.spare_name = spare;
    }

    pub(super) fn parse_connect_exit(&mut self, evt: &EventRef<'_>) {
        if self.cur.fd.is_none() {
            return;
        }
        let ret = int(evt.raw(0));
        let track = self.opts.track_connection_status;
        if let Some(f) = self.evt_fd_mut() {
            if track {
                if ret == -SE_EINPROGRESS {
                    f.set_pending();
                } else if ret < 0 {
                    f.set_failed();
                } else {
                    f.set_connected();
                }
            } else if ret < 0 && ret != -SE_EINPROGRESS {
                return;
            } else {
                f.set_connected();
            }
        }
        let tuple = evt.raw(1);
        if tuple.is_empty() {
            return;
        }
        self.fill_client_socket_info(tuple);
    }

    pub(super) fn parse_accept_exit(&mut self, evt: &EventRef<'_>) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let fdn = int(evt.raw(0));
        if fdn < 0 {
            return;
        }
        if let Some(t) = self.thread_mut(tid) {
            t.lastevent_fd = fdn;
        }
        let tuple = evt.raw(1);
        if tuple.is_empty() {
            return;
        }
        let mut f = self.pool.fd(FdType::Unknown);
        match tuple[0] {
            AF_INET if tuple.len() >= 13 => {
                set_ipv4_addresses_and_ports(&mut f, tuple, false);
                f.ty = FdType::Ipv4Sock;
                f.sock.set_v4_proto(fd::L4_TCP);
            }
            AF_INET6 if tuple.len() >= 37 => {
                let (sip, dip) = (&tuple[1..17], &tuple[19..35]);
                if fd::is_v4_mapped(sip) && fd::is_v4_mapped(dip) {
                    set_ipv4_mapped_addresses_and_ports(&mut f, tuple, false);
                    f.ty = FdType::Ipv4Sock;
                    f.sock.set_v4_proto(fd::L4_TCP);
                } else {
                    set_ipv6_addresses_and_ports(&mut f, tuple, false);
                    f.ty = FdType::Ipv6Sock;
                    f.sock.set_v6_proto(fd::L4_TCP);
                }
            }
            AF_UNIX if tuple.len() >= 17 => {
                f.ty = FdType::UnixSock;
                f.sock.set_unix(uint(&tuple[1..9]), uint(&tuple[9..17]));
            }
            _ => {
                self.pool.put_fd(f);
                return;
            }
        }
        crate::fd::socktuple_into(tuple, &mut f.name);
        f.flags = fd::FLAG_ROLE_SERVER;
        f.set_connected();
        self.add_fd(tid, fdn, f, false);
    }

    /// `parse_rw_exit`: I/O on sockets learns UDP tuples from `recvfrom`/`recvmsg`
    /// (exit) and `sendto`/`sendmsg` (enter).
    pub(super) fn parse_rw_exit(
        &mut self,
        evt: &EventRef<'_>,
        desc: &EventDesc,
        enter: Option<&StoredEvent>,
    ) {
        let ret = int(evt.raw(0));
        let Some(tid) = self.evt_tid() else {
            return;
        };
        if self.cur.fd.is_none() {
            return;
        }
        let code = evt.code;
        if ret >= 0 {
            let Some(f) = self.evt_fd_mut() else {
                return;
            };
            if matches!(f.ty, FdType::Ipv4Sock | FdType::Ipv6Sock) {
                f.set_connected();
            }
            let needs_tuple = f.name.is_empty() || !f.is_tcp_socket();
            let reading = desc.flags & EF_READS_FROM_FD != 0;
            let tuple: Option<&[u8]> = if reading {
                match code {
                    35 => Some(evt.raw(2)),
                    53 => Some(evt.raw(3)),
                    _ => None,
                }
            } else {
                match code {
                    31 | 49 => match enter {
                        Some(e) => Some(e.raw(2)),
                        None if needs_tuple => return,
                        None => None,
                    },
                    _ => None,
                }
            };
            if let Some(tuple) = tuple.filter(|_| needs_tuple) {
                self.update_fd_from_tuple(tid, tuple, reading);
            }
        } else if self.opts.track_connection_status {
            if let Some(f) = self.evt_fd_mut() {
                if matches!(f.ty, FdType::Ipv4Sock | FdType::Ipv6Sock) {
                    f.set_failed();
                }
            }
        }
    }

    /// `update_fd` with a tuple, then the role guess and the new name.
    pub(super) fn update_fd_from_tuple(&mut self, tid: i64, tuple: &[u8], incoming: bool) {
        if tuple.is_empty() {
            return;
        }
        let Some(fdn) = self.cur.fd else {
            return;
        };
        // The interface addresses and the old name's buffer are taken out while the fd is
        // borrowed.
        let addrs = std::mem::take(&mut self.iface_addrs);
        let mut old = std::mem::take(&mut self.scratch);
        self.update_fd_from_tuple_with(tid, fdn, tuple, incoming, &addrs, &mut old);
        self.iface_addrs = addrs;
        self.scratch = old;
    }

    fn update_fd_from_tuple_with(
        &mut self,
        tid: i64,
        fdn: i64,
        tuple: &[u8],
        incoming: bool,
        addrs: &super::super::IfaceAddrs,
        old: &mut String,
    ) {
        let (v4, v4m, v6) = (&addrs.v4, &addrs.v4m, &addrs.v6);
        let Some(f) = self.fd_mut(tid, fdn) else {
            return;
        };
        old.clear();
        old.push_str(&f.name);
        let ok = match tuple[0] {
            AF_INET if tuple.len() >= 13 => {
                if f.ty == FdType::Ipv4ServSock {
                    let p = f.sock.v4s_proto();
                    f.sock.set_v4_proto(p);
                }
                f.ty = FdType::Ipv4Sock;
                set_ipv4_addresses_and_ports(f, tuple, false)
            }
            AF_INET6 if tuple.len() >= 37 => {
                let (sip, dip) = (&tuple[1..17], &tuple[19..35]);
                if fd::is_v4_mapped(sip) && fd::is_v4_mapped(dip) {
                    f.ty = FdType::Ipv4Sock;
                    set_ipv4_mapped_addresses_and_ports(f, tuple, false)
                } else {
                    set_ipv6_addresses_and_ports(f, tuple, false)
                }
            }
            AF_UNIX if tuple.len() >= 17 => {
                f.ty = FdType::UnixSock;
                f.sock.set_unix(uint(&tuple[1..9]), uint(&tuple[9..17]));
                // libsinsp sets the path, then the rendered tuple parameter, as the name.
                f.name.clear();
                crate::fd::socktuple_into(tuple, &mut f.name);
                self.cur.name_changed = f.name != *old;
                return;
            }
            _ => false,
        };
        if !ok {
            return;
        }
        if f.ty == FdType::Ipv4Sock && f.sock.v4_proto() == fd::L4_UNKNOWN {
            f.sock.set_v4_proto(fd::L4_UDP);
        } else if f.ty == FdType::Ipv6Sock && f.sock.v6_proto() == fd::L4_UNKNOWN {
            f.sock.set_v6_proto(fd::L4_UDP);
        }
        patch_incomplete_tuple(f, v4, v4m, v6);
        let ty = f.ty;
        let needs_guess = matches!(ty, FdType::Ipv4Sock | FdType::Ipv6Sock)
            && self.fd(tid, fdn).is_some_and(Fd::is_role_none);
        if needs_guess {
            let (dport, sport) = match self.fd(tid, fdn) {
                Some(f) => (f.sock.v4_dport(), f.sock.v4_sport()),
                None => return,
            };
            let bound = self.is_bound_to_port(tid, dport);
            let uses = self.uses_client_port(tid, sport);
            if let Some(f) = self.fd_mut(tid, fdn) {
                if bound && !uses {
                    f.flags |= fd::FLAG_ROLE_SERVER;
                } else if bound {
                    f.flags |= if incoming {
                        fd::FLAG_ROLE_SERVER
                    } else {
                        fd::FLAG_ROLE_CLIENT
                    };
                } else {
                    f.flags |= fd::FLAG_ROLE_CLIENT;
                }
            }
        }
        let Some(f) = self.fd_mut(tid, fdn) else {
            return;
        };
        if matches!(ty, FdType::Ipv4Sock | FdType::Ipv6Sock) {
            if (incoming && f.is_role_client()) || (!incoming && f.is_role_server()) {
                f.swap_addresses();
            }
            f.set_socket_name();
        } else {
            f.name.clear();
            crate::fd::socktuple_into(tuple, &mut f.name);
        }
        self.cur.name_changed = f.name != *old;
    }

    /// `is_bound_to_port`: an IPv4 socket of the thread's table with that destination
    /// port, or an IPv4 server socket on it.
    pub(super) fn is_bound_to_port(&mut self, tid: i64, port: u16) -> bool {
        self.fd_table(tid).is_some_and(|t| {
            t.values().any(|f| match f.ty {
                FdType::Ipv4Sock => f.sock.v4_dport() == port,
                FdType::Ipv4ServSock => f.sock.v4s_port() == port,
                _ => false,
            })
        })
    }

    /// `uses_client_port`.
    pub(super) fn uses_client_port(&mut self, tid: i64, port: u16) -> bool {
        self.fd_table(tid).is_some_and(|t| {
            t.values()
                .any(|f| f.ty == FdType::Ipv4Sock && f.sock.v4_sport() == port)
        })
    }
}

/// `update_ipv4_addresses_and_ports`: returns whether something changed.
/// `update_ipv4_addresses_and_ports`; `overwrite_dest` (libs 0.22, `connect` exits):
/// the destination is replaced even when already set.
pub(super) fn update_ipv4(
    f: &mut Fd,
    (sip, sport, dip, dport): ([u8; 4], u16, [u8; 4], u16),
    overwrite_dest: bool,
) -> bool {
    let s = &mut f.sock;
    if f.ty == FdType::Ipv4Sock {
        let same = (sip == s.v4_sip()
            && sport == s.v4_sport()
            && dip == s.v4_dip()
            && dport == s.v4_dport())
            || (dip == s.v4_sip()
                && dport == s.v4_sport()
                && sip == s.v4_dip()
                && sport == s.v4_dport());
        if same {
            return false;
        }
    }
    let mut changed = false;
    if s.v4_sip() != sip {
        s.set_v4_sip(sip);
        changed = true;
    }
    if s.v4_sport() != sport {
        s.set_v4_sport(sport);
        changed = true;
    }
    if s.v4_dip() == [0; 4] || (overwrite_dest && s.v4_dip() != dip) {
        s.set_v4_dip(dip);
        changed = true;
    }
    if s.v4_dport() == 0 || (overwrite_dest && s.v4_dport() != dport) {
        s.set_v4_dport(dport);
        changed = true;
    }
    changed
}

pub(super) fn a4(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}

pub(super) fn a16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    a
}

pub(super) fn port_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

pub(super) fn set_ipv4_addresses_and_ports(f: &mut Fd, t: &[u8], overwrite_dest: bool) -> bool {
    let tuple = (a4(&t[1..]), port_at(t, 5), a4(&t[7..]), port_at(t, 11));
    update_ipv4(f, tuple, overwrite_dest)
}

pub(super) fn set_ipv4_mapped_addresses_and_ports(
    f: &mut Fd,
    t: &[u8],
    overwrite_dest: bool,
) -> bool {
    let tuple = (a4(&t[13..]), port_at(t, 17), a4(&t[31..]), port_at(t, 35));
    update_ipv4(f, tuple, overwrite_dest)
}

pub(super) fn set_ipv6_addresses_and_ports(f: &mut Fd, t: &[u8], overwrite_dest: bool) -> bool {
    let (sip, sport, dip, dport) = (a16(&t[1..]), port_at(t, 17), a16(&t[19..]), port_at(t, 35));
    let s = &mut f.sock;
    if f.ty == FdType::Ipv6Sock {
        let same = (sip == s.v6_sip()
            && sport == s.v6_sport()
            && dip == s.v6_dip()
            && dport == s.v6_dport())
            || (dip == s.v6_sip()
                && dport == s.v6_sport()
                && sip == s.v6_dip()
                && sport == s.v6_dport());
        if same {
            return false;
        }
    }
    let mut changed = false;
    if s.v6_sip() != sip {
        s.set_v6_sip(sip);
        changed = true;
    }
    if s.v6_sport() != sport {
        s.set_v6_sport(sport);
        changed = true;
    }
    if s.v6_dip() == [0; 16] || (overwrite_dest && s.v6_dip() != dip) {
        s.set_v6_dip(dip);
        changed = true;
    }
    if s.v6_dport() == 0 || (overwrite_dest && s.v6_dport() != dport) {
        s.set_v6_dport(dport);
        changed = true;
    }
    changed
}

/// `sinsp_network_interfaces::update_fd`: fills a zero address of a UDP tuple with the
/// interface address the other end is reachable from.
pub(super) fn patch_incomplete_tuple(
    f: &mut Fd,
    v4: &[[u8; 4]],
    v4m: &[([u8; 4], [u8; 4])],
    v6: &[[u8; 16]],
) {
    let infer4 = |dst: [u8; 4]| -> [u8; 4] {
        if let Some(a) = v4.iter().find(|a| **a == dst) {
            return *a;
        }
        let d = u32::from_be_bytes(dst);
        for (a, m) in v4m {
            let (a32, m32) = (u32::from_be_bytes(*a), u32::from_be_bytes(*m));
            if a32 & m32 == d & m32 {
                return *a;
            }
        }
        v4.iter()
            .find(|a| **a != [127, 0, 0, 1])
            .copied()
            .unwrap_or([0; 4])
    };
    let infer6 = |dst: [u8; 16]| -> [u8; 16] {
        if let Some(a) = v6.iter().find(|a| **a == dst) {
            return *a;
        }
        if let Some(a) = v6.iter().find(|a| a[..8] == dst[..8]) {
            return *a;
        }
        let mut lo = [0u8; 16];
        lo[15] = 1;
        v6.iter().find(|a| **a != lo).copied().unwrap_or([0; 16])
    };
    let s = &mut f.sock;
    match f.ty {
        FdType::Ipv4Sock => {
            let (sip, dip) = (s.v4_sip(), s.v4_dip());
            if sip != [0; 4] && dip != [0; 4] {
                return;
            }
            if sip == [0; 4] {
                let n = infer4(dip);
                if n == dip && s.v4_sport() == s.v4_dport() {
                    return;
                }
                s.set_v4_sip(n);
            } else {
                let n = infer4(sip);
                if n == sip && s.v4_sport() == s.v4_dport() {
                    return;
                }
                s.set_v4_dip(n);
            }
        }
        FdType::Ipv6Sock => {
            let (sip, dip) = (s.v6_sip(), s.v6_dip());
            if sip != [0; 16] && dip != [0; 16] {
                return;
            }
            if sip == [0; 16] {
                let n = infer6(dip);
                if n == dip && s.v6_sport() == s.v6_dport() {
                    return;
                }
                s.set_v6_sip(n);
            } else {
                let n = infer6(sip);
                if n == sip && s.v6_sport() == s.v6_dport() {
                    return;
                }
                s.set_v6_dip(n);
            }
        }
        _ => {}
    }
}

/// Gives `f` the name `write` appends to an emptied `spare` if it differs from its
/// current one (copied into the fd's own buffer), so a rename allocates nothing once the
/// buffers have grown. Whether the name changed.
fn rename(f: &mut Fd, spare: &mut String, write: impl FnOnce(&mut String)) -> bool {
    spare.clear();
    write(spare);
    if *spare == f.name {
        return false;
    }
    f.name.clone_from(spare);
    true
}
