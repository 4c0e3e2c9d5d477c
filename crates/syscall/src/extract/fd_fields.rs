//! The `fd.*` fields: the event's fd, its endpoints with client/server and local/remote
//! roles, and libsinsp's fallback names of failed opens, accepts and connects.

use super::*;
use falcoc_state::decimal::Decimal;

impl<'a, 'e> Extractor<'a, 'e> {
    pub(super) fn fd_field(&mut self, field: &Field, out: &mut Values) -> bool {
        use Field as F;
        if let F::FdIpName(which) = field {
            // The name of the address in the state's host name table (libsinsp asks its
            // DNS manager, which resolves the names the rules compare with).
            let base = match which {
                0 => F::FdCip,
                1 => F::FdSip,
                2 => F::FdLip,
                _ => F::FdRip,
            };
            // The address is extracted into `out` and taken back out (no new buffer).
            let before = out.len();
            let found = self.fd_field(&base, out);
            let addr = match out.get(before) {
                Some(falcoc_codegen::ValueRef::Ip(addr)) if found => Some(addr),
                _ => None,
            };
            out.truncate(before);
            let Some(addr) = addr else {
                return false;
            };
            return match self.state.host_name(addr) {
                Some(name) => {
                    out.push_str(name);
                    true
                }
                None => false,
            };
        }
        let Some(FdSlot { tid, found, last }) = self.fd_slot() else {
            return false;
        };
        if matches!(field, F::FdNum) {
            match self.state.thread(tid) {
                Some(t) => out.push_i64(last.unwrap_or(t.lastevent_fd)),
                None => return false,
            }
            return true;
        }
        if matches!(field, F::FdUid) {
            let l = last.unwrap_or_else(|| self.state.thread(tid).map_or(-1, |t| t.lastevent_fd));
            let mut b = [0u8; 48];
            let mut w = std::io::Cursor::new(&mut b[..]);
            // 48 bytes hold two i64 in decimal.
            let _ = std::io::Write::write_fmt(&mut w, format_args!("{tid}{l}"));
            let n = w.position() as usize;
            out.push_bytes(&b[..n]);
            return true;
        }
        // A connect exit that failed names the tuple of its parameters.
        let failed_connect = self.evt.code == 23
            && falcoc_state::parse_int(self.evt.param(0).map_or(&[][..], |p| p.raw())) < 0
            && matches!(field, F::FdName | F::FdContainerName);
        let Some((fdn, owner)) = found.filter(|_| !failed_connect) else {
            // Only the container fields need the id (no copy for the others).
            let container_id = if matches!(field, F::FdContainerName | F::FdContainerDirectory) {
                self.thread()
                    .map(|t| t.container_id.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            return self.null_fd_field(field, &container_id, out);
        };
        // Borrowed, not cloned: the state is only read from here on.
        let this = &*self;
        let Some(f) = this.state.fd_in_table_of(owner, fdn) else {
            return false;
        };
        let container_id = || this.thread().map_or("", |t| t.container_id.as_str());
        let s = &f.sock;
        let ipv4 = |a: [u8; 4]| IpAddr::V4(Ipv4Addr::from(a));
        let ipv6 = |a: [u8; 16]| IpAddr::V6(Ipv6Addr::from(a));
        match field {
            F::FdName => push_cstr(out, &f.name),
            F::FdNameRaw => push_cstr(out, &f.name),
            F::FdContainerName => out.push_concat([container_id(), ":", f.name.as_str()]),
            F::FdType => match f.typestring() {
                Some(t) => out.push_str(t),
                None => return false,
            },
            F::FdTypeChar => out.push_bytes(&[f.typechar()]),
            F::FdDirectory | F::FdContainerDirectory => {
                if !(f.is_file() || f.ty == FdType::Directory) {
                    return false;
                }
                let name = f.name.as_str();
                let d = if f.is_file() {
                    match name.rfind('/') {
                        Some(p) if p != 0 => {
                            if p < name.len() - 1 {
                                &name[..p]
                            } else {
                                name
                            }
                        }
                        _ => "/",
                    }
                } else {
                    name
                };
                if matches!(field, F::FdContainerDirectory) {
                    out.push_concat([container_id(), ":", d]);
                } else {
                    out.push_str(d);
                }
            }
            F::FdFilename => {
                if !f.is_file() {
                    return false;
                }
                let n = f.name.as_str();
                out.push_str(match n.rfind('/') {
                    Some(p) if p < n.len() - 1 => &n[p + 1..],
                    Some(_) => n,
                    None => "/",
                });
            }
            F::FdIp | F::FdNet => match f.ty {
                FdType::Ipv4Sock => {
                    out.push_ip(ipv4(s.v4_sip()));
                    out.push_ip(ipv4(s.v4_dip()));
                }
                FdType::Ipv4ServSock => out.push_ip(ipv4(s.v4s_ip())),
                FdType::Ipv6Sock => {
                    out.push_ip(ipv6(s.v6_sip()));
                    out.push_ip(ipv6(s.v6_dip()));
                }
                FdType::Ipv6ServSock => out.push_ip(ipv6(s.v6s_ip())),
                _ => {}
            },
            F::FdPort | F::FdProto => match f.ty {
                FdType::Ipv4Sock => {
                    out.push_u64(s.v4_sport() as u64);
                    out.push_u64(s.v4_dport() as u64);
                }
                FdType::Ipv4ServSock => out.push_u64(s.v4s_port() as u64),
                FdType::Ipv6Sock => {
                    out.push_u64(s.v6_sport() as u64);
                    out.push_u64(s.v6_dport() as u64);
                }
                FdType::Ipv6ServSock => out.push_u64(s.v6s_port() as u64),
                _ => {}
            },
            F::FdCip => {
                if f.is_role_none() {
                    return false;
                }
                match f.ty {
                    FdType::Ipv4Sock => out.push_ip(ipv4(s.v4_sip())),
                    FdType::Ipv6Sock => out.push_ip(ipv6(s.v6_sip())),
                    _ => return false,
                }
            }
            F::FdSip => {
                if f.is_role_none() {
                    return false;
                }
                match f.ty {
                    FdType::Ipv4Sock => out.push_ip(ipv4(s.v4_dip())),
                    FdType::Ipv4ServSock => out.push_ip(ipv4(s.v4s_ip())),
                    FdType::Ipv6Sock => out.push_ip(ipv6(s.v6_dip())),
                    FdType::Ipv6ServSock => out.push_ip(ipv6(s.v6s_ip())),
                    _ => return false,
                }
            }
            F::FdLip | F::FdRip | F::FdLport | F::FdRport | F::FdLproto | F::FdRproto => {
                if !matches!(f.ty, FdType::Ipv4Sock | FdType::Ipv6Sock) || f.is_role_none() {
                    return false;
                }
                let v4 = f.ty == FdType::Ipv4Sock;
                let local = if v4 {
                    self.is_local_v4(s.v4_sip())
                } else {
                    self.is_local_v6(s.v6_sip())
                };
                let want_src = matches!(field, F::FdLip | F::FdLport | F::FdLproto) == local;
                match field {
                    F::FdLip | F::FdRip => match (v4, want_src) {
                        (true, true) => out.push_ip(ipv4(s.v4_sip())),
                        (true, false) => out.push_ip(ipv4(s.v4_dip())),
                        (false, true) => out.push_ip(ipv6(s.v6_sip())),
                        (false, false) => out.push_ip(ipv6(s.v6_dip())),
                    },
                    _ => {
                        let port = match (v4, want_src) {
                            (true, true) => s.v4_sport(),
                            (true, false) => s.v4_dport(),
                            (false, true) => s.v6_sport(),
                            (false, false) => s.v6_dport(),
                        };
                        if matches!(field, F::FdLport | F::FdRport) {
                            out.push_u64(port as u64);
                        } else {
                            push_port_text(out, port);
                        }
                    }
                }
            }
            F::FdCport | F::FdCproto => {
                if f.is_role_none() {
                    return false;
                }
                let port = match f.ty {
                    FdType::Ipv4Sock => s.v4_sport(),
                    FdType::Ipv6Sock => s.v6_sport(),
                    // libsinsp falls through to the protocol case and returns an empty
                    // string, read as port 0.
                    _ if matches!(field, F::FdCproto) => {
                        out.push_str("");
                        return true;
                    }
                    _ => 0,
                };
                if matches!(field, F::FdCport) {
                    out.push_u64(port as u64);
                } else {
                    push_port_text(out, port);
                }
            }
            F::FdSport | F::FdSproto => {
                let port = match f.ty {
                    FdType::Ipv4Sock if !f.is_role_none() => s.v4_dport(),
                    FdType::Ipv4ServSock => s.v4s_port(),
                    FdType::Ipv6Sock if !f.is_role_none() => s.v6_dport(),
                    FdType::Ipv6ServSock => s.v6s_port(),
                    _ => return false,
                };
                if matches!(field, F::FdSport) {
                    out.push_u64(port as u64);
                } else if matches!(f.ty, FdType::Ipv4Sock | FdType::Ipv6Sock) {
                    push_port_text(out, port);
                } else {
                    out.push_str("");
                }
            }
            F::FdL4proto => out.push_str(match f.l4proto() {
                fd::L4_TCP => "tcp",
                fd::L4_UDP => "udp",
                fd::L4_ICMP => "icmp",
                fd::L4_RAW => "raw",
                _ => "<NA>",
            }),
            F::FdSockFamily => match f.ty {
                FdType::Ipv4Sock
                | FdType::Ipv6Sock
                | FdType::Ipv4ServSock
                | FdType::Ipv6ServSock => out.push_str("ip"),
                FdType::UnixSock => out.push_str("unix"),
                _ => return false,
            },
            F::FdIsServer => {
                let v = match f.ty {
                    FdType::Ipv4ServSock | FdType::Ipv6ServSock => true,
                    FdType::Ipv4Sock => self.is_local_v4(s.v4_dip()),
                    FdType::Ipv6Sock => self.is_local_v6(s.v6_dip()),
                    _ => false,
                };
                out.push_bool(v);
            }
            F::FdConnected => out.push_bool(f.flags & fd::FLAG_SOCKET_CONNECTED != 0),
            F::FdNameChanged => out.push_bool(self.state.current().name_changed),
            F::FdDev(k) => {
                let d = f.dev;
                out.push_i64(match k {
                    0 => d as i32 as i64,
                    1 => ((d & 0xfff00) >> 8) as i64,
                    _ => ((d & 0xff) | ((d >> 12) & 0xfff00)) as i64,
                });
            }
            F::FdIno => out.push_i64(f.ino as i64),
            _ => return false,
        }
        true
    }

    /// `extract_from_null_fd`: fd fields of an fd event whose fd is not in the table.
    pub(super) fn null_fd_field(
        &mut self,
        field: &Field,
        container_id: &str,
        out: &mut Values,
    ) -> bool {
        use Field as F;
        match field {
            F::FdName | F::FdNameRaw => {
                if self.fdname_from_creator(|n| push_cstr(out, n)).is_none() {
                    return false;
                }
            }
            F::FdContainerName => {
                let pushed = self.fdname_from_creator(|n| {
                    out.push_concat([container_id, ":", n]);
                });
                if pushed.is_none() {
                    return false;
                }
            }
            F::FdDirectory | F::FdContainerDirectory => {
                let Some(mut d) = self.fdname_from_creator(str::to_string) else {
                    return false;
                };
                d = falcoc_state::paths::sanitize(&d);
                match d.rfind('/') {
                    Some(p) if p != 0 => {
                        if p < d.len() - 1 {
                            d.truncate(p);
                        }
                    }
                    _ => d = "/".to_string(),
                }
                if matches!(field, F::FdContainerDirectory) {
                    d = format!("{container_id}:{d}");
                }
                out.push_str(&d);
            }
            F::FdTypeChar => {
                let c = match self.evt.code & !1 {
                    2 | 102 | 306 | 326 | 58 => b'f',
                    18 | 26 | 246 | 56 | 248 | 388 => b'4',
                    60 | 392 => b'p',
                    62 | 396 => b'e',
                    126 | 398 => b's',
                    136 => b't',
                    138 | 394 => b'i',
                    _ => b'o',
                };
                out.push_bytes(&[c]);
            }
            F::FdIp | F::FdPort | F::FdProto | F::FdNet => {}
            _ => return false,
        }
        true
    }
}

/// A port as decimal text (the `*proto` fields' string form), without a new string.
fn push_port_text(out: &mut Values, port: u16) {
    out.push_bytes(Decimal::new(i64::from(port)).as_bytes());
}
