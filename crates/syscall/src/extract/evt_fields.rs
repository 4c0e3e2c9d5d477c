//! The `evt.*` fields that need more than a parameter: the event category, buffer
//! lengths and error counts, `evt.is_open_*`, the resolved paths of `fs.path.*`.

use super::*;

impl<'a, 'e> Extractor<'a, 'e> {
    /// `evt.type`: the event name, or the syscall name of a generic event.
    pub(super) fn type_name(&self) -> &'static str {
        if self.evt.code <= 1 {
            let id = self.evt.param(0).and_then(|p| p.as_u16()).unwrap_or(0);
            return evtable::syscall(id).1;
        }
        self.desc().map_or("NA", |d| d.name)
    }

    /// `evt.category` (`get_category`).
    pub(super) fn category(&mut self) -> &'static str {
        let cat = if self.evt.code <= 1 {
            let id = self.evt.param(0).and_then(|p| p.as_u16()).unwrap_or(0);
            evtable::syscall(id).0
        } else {
            self.desc().map_or(0, |d| d.category)
        };
        if matches!(cat, 32..=34) {
            let Some(f) = self.state.event_fd() else {
                return "unknown";
            };
            return match f.ty {
                FdType::File | FdType::FileV2 | FdType::Directory => "file",
                FdType::Ipv4Sock
                | FdType::Ipv6Sock
                | FdType::Ipv4ServSock
                | FdType::Ipv6ServSock => "net",
                FdType::Fifo
                | FdType::UnixSock
                | FdType::Event
                | FdType::Signalfd
                | FdType::Inotify => "ipc",
                _ => "unknown",
            };
        }
        match cat {
            0 => "unknown",
            1 => "other",
            2 => "file",
            3 => "net",
            4 => "IPC",
            5 => "memory",
            6 => "process",
            7 => "sleep",
            8 => "system",
            9 => "signal",
            10 => "user",
            11 => "time",
            12 => "processing",
            64 => "wait",
            128 => "scheduler",
            _ => "unknown",
        }
    }

    /// The `res` parameter, or `fd` of an fd-creating exit event (`evt.rawres`).
    pub(super) fn res_param(&self) -> Option<(&'a [u8], &'static str)> {
        if let Some(r) = self.param_by_name("res") {
            return Some((r, "res"));
        }
        if self.eflags() & EF_CREATES_FD != 0 && self.is_exit() {
            return self.param_by_name("fd").map(|r| (r, "fd"));
        }
        None
    }

    pub(super) fn buflen(&mut self, which: u8, out: &mut Values) -> bool {
        let Some(f) = self.state.event_fd().cloned() else {
            return false;
        };
        let cat = self.desc().map_or(0, |d| d.category);
        let ok = match which {
            0 => cat & EC_IO_BASE != 0,
            1 => cat == 32,
            2 => cat == 33,
            3 => cat & EC_IO_BASE != 0 && f.is_file(),
            4 => cat == 32 && f.is_file(),
            5 => cat == 33 && f.is_file(),
            _ => {
                let net = matches!(
                    f.ty,
                    FdType::Ipv4Sock
                        | FdType::Ipv6Sock
                        | FdType::Ipv4ServSock
                        | FdType::Ipv6ServSock
                );
                net && match which {
                    6 => cat & EC_IO_BASE != 0,
                    7 => cat == 32,
                    _ => cat == 33,
                }
            }
        };
        if !ok || !self.is_exit() {
            return false;
        }
        let r = falcoc_state::parse_int(self.evt.param(0).map_or(&[][..], |p| p.raw()));
        if r < 0 {
            return false;
        }
        out.push_u64(r as u64);
        true
    }

    pub(super) fn count_error(&mut self, which: u8, out: &mut Values) -> bool {
        let err = self
            .res_param()
            .is_some_and(|(raw, _)| falcoc_state::parse_int(raw) < 0);
        let code = self.evt.code;
        let fdt = self.state.event_fd().map(|f| f.ty);
        let is_file_fd = |t: FdType| matches!(t, FdType::File | FdType::FileV2 | FdType::Directory);
        let is_net_fd = |t: FdType| {
            matches!(
                t,
                FdType::Ipv4Sock
                    | FdType::Ipv6Sock
                    | FdType::Ipv4ServSock
                    | FdType::Ipv6ServSock
                    | FdType::UnixSock
            )
        };
        let opens = [3, 59, 103, 307, 327];
        let nets = [27, 247, 57, 249, 23];
        let memory = self.desc().is_some_and(|d| d.category == EC_MEMORY);
        let applies = match which {
            0 => true,
            1 => match fdt {
                Some(t) => is_file_fd(t),
                None => opens.contains(&code),
            },
            2 => match fdt {
                Some(t) => is_net_fd(t),
                None => nets.contains(&code),
            },
            3 => memory,
            _ => match fdt {
                Some(t) => !(is_file_fd(t) || is_net_fd(t)),
                None => !(opens.contains(&code) || nets.contains(&code) || memory),
            },
        };
        if applies && err {
            out.push_u64(1);
            true
        } else {
            false
        }
    }

    pub(super) fn is_open(&self, which: u8) -> bool {
        let code = self.evt.code;
        let raw = |i: usize| {
            falcoc_state::parse_uint(self.evt.param(i).map_or(&[][..], |p| p.raw())) as u32
        };
        const EXEC: u32 = (1 << 6) | (1 << 3) | 1;
        match code {
            3 | 102 | 307 | 327 => {
                let newer = code == 307 || code == 327;
                let flags = raw(if newer { 3 } else { 2 });
                match which {
                    0 => flags & 1 != 0,
                    1 => flags & 2 != 0,
                    2 => {
                        flags & ((1 << 13) | (1 << 2)) != 0
                            && raw(if newer { 4 } else { 3 }) & EXEC != 0
                    }
                    _ => flags & (1 << 2) != 0,
                }
            }
            59 if which == 2 => raw(2) & EXEC != 0,
            59 if which == 3 => true,
            _ => false,
        }
    }

    pub(super) fn abspath(&mut self, which: u8, out: &mut Values) -> bool {
        let code = self.evt.code;
        let (dirarg, patharg) = match code {
            177 | 319 => match which {
                0 | 1 => ("olddirfd", "oldpath"),
                _ => ("newdirfd", "newpath"),
            },
            181 => ("linkdirfd", "linkpath"),
            102 | 307 | 327 => ("dirfd", "name"),
            106 | 311 => match which {
                0 | 1 => ("olddir", "oldpath"),
                _ => ("newdir", "newpath"),
            },
            110 | 303 => ("dirfd", "name"),
            305 => ("dirfd", "path"),
            313 => ("dirfd", "filename"),
            _ => return false,
        };
        let Some(ThreadRef::Table(tid)) = self.thread_ref() else {
            return false;
        };
        let (Some(dfd), Some(path)) = (self.param_by_name(dirarg), self.param_by_name(patharg))
        else {
            return false;
        };
        let dirfd = falcoc_state::parse_int(dfd);
        let base = if path.first() == Some(&b'/') {
            ".".to_string()
        } else if dirfd == -100 {
            self.state.process_cwd(tid)
        } else {
            match self.state.fd(tid, dirfd) {
                Some(f) => format!("{}/", f.name),
                None => "<UNKNOWN>/".to_string(),
            }
        };
        let (full, _) = falcoc_state::paths::concatenate(&base, path);
        out.push_str(&full);
        true
    }

    /// `fs.path.*` (libs master `sinsp_filtercheck_fspath`): the path argument of a
    /// successful file-system syscall exit, raw or made absolute.
    pub(super) fn fs_path(&mut self, which: u8, raw_form: bool, out: &mut Values) -> bool {
        let code = self.evt.code;
        // (path param for name / source, param for target); "" = the event's fd name.
        let (name, source, target): (Option<&str>, Option<&str>, Option<&str>) = match code {
            277 | 305 | 279 | 301 | 379 | 381 => (Some("path"), None, None),
            303 | 3 | 307 | 327 | 387 | 391 => (Some("name"), None, None),
            313 | 315 => (Some("filename"), None, None),
            317 | 383 => (Some(""), None, None),
            385 => (Some("pathname"), None, None),
            191 => (Some("special"), None, None),
            175 | 177 | 319 => (None, Some("oldpath"), Some("newpath")),
            309 | 311 => (None, Some("newpath"), Some("oldpath")),
            179 | 181 => (None, Some("linkpath"), Some("target")),
            257 => (None, Some("dev"), Some("dir")),
            _ => return false,
        };
        // Success: an open's fd is not -1, the others return 0.
        let success = match code {
            3 | 307 | 327 => self
                .param_by_name("fd")
                .is_some_and(|r| falcoc_state::parse_int(r) != -1),
            _ => self
                .param_by_name("res")
                .is_some_and(|r| falcoc_state::parse_int(r) == 0),
        };
        if !success {
            return false;
        }
        let Some(pname) = (match which {
            0 => name,
            1 => source,
            _ => target,
        }) else {
            return false;
        };
        let path: Vec<u8> = if pname.is_empty() {
            match self.state.event_fd() {
                Some(f) => f.name.clone().into_bytes(),
                None => return false,
            }
        } else {
            match self.param_by_name(pname) {
                Some(r) => falcoc_state::parse_cstr(r).to_vec(),
                None => return false,
            }
        };
        if raw_form {
            out.push_bytes(&path);
            return true;
        }
        let Some(ThreadRef::Table(tid)) = self.thread_ref() else {
            return false;
        };
        let mut path = path;
        let sdir = if path.first() == Some(&b'/') {
            String::new()
        } else {
            let dirfd_base = |ex: &mut Self, param: &str| -> String {
                let Some(d) = ex.param_by_name(param).map(falcoc_state::parse_int) else {
                    return "<UNKNOWN>".to_string();
                };
                if d == -100 {
                    return ex.state.process_cwd(tid);
                }
                match ex.state.fd(tid, d) {
                    Some(f) if f.ty == FdType::Directory => {
                        if f.name.is_empty() || f.name.ends_with('/') {
                            f.name.clone()
                        } else {
                            format!("{}/", f.name)
                        }
                    }
                    _ => "<UNKNOWN>".to_string(),
                }
            };
            match code {
                307 | 327 => {
                    path = match self.state.event_fd() {
                        Some(f) => f.name.clone().into_bytes(),
                        None => b"<UNKNOWN>".to_vec(),
                    };
                    String::new()
                }
                313 | 305 | 303 | 385 | 417 | 419 => dirfd_base(self, "dirfd"),
                181 if which == 1 => dirfd_base(self, "linkdirfd"),
                181 => "<UNKNOWN>".to_string(),
                319 => dirfd_base(self, if which == 2 { "newdirfd" } else { "olddirfd" }),
                _ => self.state.process_cwd(tid),
            }
        };
        path.push(0);
        out.push_str(&falcoc_state::paths::concatenate(&sdir, &path).0);
        true
    }
}
