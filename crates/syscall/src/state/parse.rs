//! The event parsers: libsinsp's `sinsp_parser::reset` and `process_event` with the
//! handler of every state-changing event (libs e5c53d64 `parsers.cpp`).

use super::container::Container;
use super::evtable::{self, EventDesc, EF_READS_FROM_FD, EF_SKIPPARSERESET, EF_USES_FD};
use super::fd::{self, Fd, CANCELED_FD};
use super::paths::{concatenate, MAX_PATH};
use super::thread::{self, StoredEvent, Thread};
use super::{Current, LibsVersion, State, ThreadRef};
use falcoc_scap::{EventRef, FdType, AF_INET, AF_INET6, AF_UNIX};

const PPME_SCHEDSWITCH_1_E: u16 = 146;
const PPME_SCHEDSWITCH_6_E: u16 = 152;
const PPME_TRACER_E: u16 = 268;
const PPME_SYSCALL_COPY_FILE_RANGE_X: u16 = 333;
const PPM_AT_FDCWD: i64 = -100;
const PPM_O_DIRECTORY: u32 = 1 << 10;
const PPM_AF_NETLINK: u32 = 16;
const PPM_FCNTL_F_DUPFD: u8 = 1;
const PPM_FCNTL_F_DUPFD_CLOEXEC: u8 = 26;
const PPM_RLIMIT_NOFILE: u8 = 7;
const PPM_EXE_WRITABLE: u32 = 1;
const PPM_EXVAT_AT_EMPTY_PATH: u32 = 1;
const SE_EINPROGRESS: i64 = 115;
const CLONE_STALE_TIME_NS: u64 = 2_000_000_000;
const SOCK_STREAM: u32 = 1;
const SOCK_DGRAM: u32 = 2;
const SOCK_RAW: u32 = 3;
const IPPROTO_IP: u32 = 0;
const IPPROTO_ICMP: u32 = 1;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_RAW: u32 = 255;

/// Clone-family exit codes: clone 11/16/17/20, fork, fork 17/20, vfork, vfork 17/20,
/// clone3.
const CLONE_EXITS: [u16; 11] = [15, 157, 217, 223, 183, 219, 225, 185, 221, 227, 335];

/// Read-only access to the parameters of an event or of a stored enter event.
trait Params {
    fn raw(&self, i: usize) -> &[u8];
    fn count(&self) -> usize;
}

impl Params for EventRef<'_> {
    fn raw(&self, i: usize) -> &[u8] {
        let bounds = self.bounds();
        match (bounds.get(i), bounds.get(i + 1)) {
            (Some(&s), Some(&e)) => self.raw_values().get(s as usize..e as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
    fn count(&self) -> usize {
        self.bounds().len().saturating_sub(1)
    }
}

impl Params for StoredEvent {
    fn raw(&self, i: usize) -> &[u8] {
        self.param(i).unwrap_or(&[])
    }
    fn count(&self) -> usize {
        self.nparams()
    }
}

/// An integer parameter as libsinsp reads it (8, 4, 2 or 1 bytes, little-endian; signed).
pub(crate) fn int(b: &[u8]) -> i64 {
    match b.len() {
        8 => i64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        4 => i32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as i64,
        2 => i16::from_le_bytes([b[0], b[1]]) as i64,
        1 => b[0] as i8 as i64,
        _ => 0,
    }
}

/// An unsigned integer parameter (zero-extended).
pub(crate) fn uint(b: &[u8]) -> u64 {
    match b.len() {
        8 => u64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        4 => u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as u64,
        2 => u16::from_le_bytes([b[0], b[1]]) as u64,
        1 => b[0] as u64,
        _ => 0,
    }
}

/// A string parameter up to its NUL.
pub(crate) fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(cstr(b)).into_owned()
}

fn idx(desc: &EventDesc, name: &str) -> Option<usize> {
    desc.param_index(name)
}

impl State {
    fn thread_mut(&mut self, tid: i64) -> Option<&mut Thread> {
        self.threads.get_mut(&tid)
    }

    /// The tid of the event's thread, when it is a table thread.
    fn evt_tid(&self) -> Option<i64> {
        match self.cur.thread {
            Some(ThreadRef::Table(t)) => Some(t),
            _ => None,
        }
    }

    /// Whether fd `fd` exists in the table of `tid` (libsinsp `get_fd`).
    fn has_fd(&mut self, tid: i64, fd: i64) -> bool {
        fd >= 0 && self.fd(tid, fd).is_some()
    }

    fn fd_mut(&mut self, tid: i64, fd: i64) -> Option<&mut Fd> {
        if fd < 0 {
            return None;
        }
        let owner = self.fd_owner(tid)?;
        self.threads.get_mut(&owner)?.fds.get_mut(&fd)
    }

    /// The event's fd, mutable.
    fn evt_fd_mut(&mut self) -> Option<&mut Fd> {
        let tid = self.evt_tid()?;
        let fd = self.cur.fd?;
        self.fd_mut(tid, fd)
    }

    /// `add_fd`: inserts (or replaces) an fd, sets the thread's last fd and makes it the
    /// event's fd. `copied`: the fd is a copy of an existing one (its name is unchanged).
    fn add_fd(&mut self, tid: i64, num: i64, mut new: Fd, copied: bool) {
        let max = self.opts.max_fds;
        let Some(owner) = self.fd_owner(tid) else {
            return;
        };
        let mut added = false;
        let mut canceled: Option<Fd> = None;
        if let Some(t) = self.threads.get_mut(&owner) {
            match t.fds.get_mut(&num) {
                None => {
                    if t.fds.len() < max {
                        self.cur.name_changed = !copied && !new.name.is_empty();
                        t.fds.insert(num, new);
                        added = true;
                    }
                }
                Some(old) => {
                    if old.flags & fd::FLAG_CLOSE_IN_PROGRESS != 0 {
                        new.flags &= !fd::FLAG_CLOSE_IN_PROGRESS;
                        new.flags |= fd::FLAG_CLOSE_CANCELED;
                        canceled = Some(old.clone());
                    }
                    // The replaced entry takes the new one's "old name": empty for a
                    // fresh fd, its own name for a copy.
                    self.cur.name_changed = !copied && !new.name.is_empty();
                    *old = new;
                    added = true;
                }
            }
            if let Some(c) = canceled {
                t.fds.insert(CANCELED_FD, c);
            }
        }
        if added {
            self.stats.fds_added += 1;
        }
        if let Some(t) = self.threads.get_mut(&tid) {
            t.lastevent_fd = num;
        }
        self.cur.fd = added.then_some(num);
    }

    /// `erase_fd` with removal: schedules `fd` of `tid` for removal at the next event.
    fn schedule_fd_removal(&mut self, tid: i64, fd: i64) {
        self.tid_of_fds_to_remove = tid;
        self.fds_to_remove.push(fd);
    }

    /// Runs the parser of one event (see the module documentation).
    pub(super) fn parse(&mut self, evt: &EventRef<'_>) {
        let code = evt.code;
        self.cur = Current {
            ts: evt.ts,
            num: evt.num,
            ..Current::default()
        };
        let Some(desc) = evtable::event(code) else {
            return;
        };
        // libsinsp frees a thread's stored enter event after each of its exit events
        // (`event_cleanup`), except those that skip the parser reset (no thread then).
        let enter = if desc.direction == falcoc_compiler::events::Direction::Exit
            && desc.flags & EF_SKIPPARSERESET == 0
        {
            self.take_enter(evt)
        } else {
            None
        };
        self.reset(evt, desc);
        let e = enter.as_ref().filter(|s| s.code.wrapping_add(1) == code);
        match code {
            // Enter events whose parameters the exit needs.
            30 => {
                self.infer_sendto_fdinfo(evt);
                self.store_event(evt);
            }
            2 | 58 | 102 | 306 | 326 | 18 | 62 | 94 | 96 | 36 | 140 | 142 | 144 | 48 | 188
            | 192 | 194 | 198 | 200 | 288 | 292 | 330 | 294 | 396 => self.store_event(evt),
            150 => {
                let cmd = evt.raw(1).first().copied().unwrap_or(0);
                if cmd == PPM_FCNTL_F_DUPFD || cmd == PPM_FCNTL_F_DUPFD_CLOEXEC {
                    self.store_event(evt);
                }
            }
            7 | 9 | 33 | 29 | 35 | 53 | 31 | 49 | 117 | 119 | 113 | 115 | 121 | 123 => {
                self.parse_rw_exit(evt, desc, e)
            }
            3 | 59 | 103 | 307 | 327 => self.parse_open_exit(evt, e),
            c if CLONE_EXITS.contains(&c) => self.parse_clone_exit(evt, desc),
            13 | 155 | 173 | 215 | 231 | 283 | 289 | 293 | 331 => self.parse_execve_exit(evt, e),
            16 | 186 => {
                if let Some(tid) = self.evt_tid() {
                    if let Some(t) = self.thread_mut(tid) {
                        t.flags |= thread::CL_CLOSED;
                    }
                    self.tid_to_remove = Some(evt.tid);
                }
            }
            61 | 393 => self.parse_pipe_exit(evt),
            19 => self.parse_socket_exit(evt, e),
            21 => self.parse_bind_exit(evt),
            22 => self.parse_connect_enter(evt),
            23 => self.parse_connect_exit(evt),
            27 | 57 | 247 | 249 | 389 => self.parse_accept_exit(evt),
            4 => {
                if let Some(tid) = self.evt_tid() {
                    let lfd = self.threads.get(&tid).map_or(-1, |t| t.lastevent_fd);
                    if let Some(f) = self.fd_mut(tid, lfd) {
                        f.flags |= fd::FLAG_CLOSE_IN_PROGRESS;
                    }
                }
            }
            5 => self.parse_close_exit(evt),
            151 => self.parse_fcntl_exit(evt, e),
            63 | 397 => self.add_simple_fd(evt, FdType::Event),
            127 | 399 => self.add_simple_fd(evt, FdType::Signalfd),
            137 => self.add_simple_fd(evt, FdType::Timerfd),
            139 | 395 => self.add_simple_fd(evt, FdType::Inotify),
            // chdir and getcwd set the working directory from their path.
            93 | 95 if int(evt.raw(0)) >= 0 => {
                if let Some(tid) = self.evt_tid() {
                    let path = evt.raw(1).to_vec();
                    self.set_cwd(tid, &path);
                }
            }
            97 if int(evt.raw(0)) >= 0 => {
                if let (Some(tid), Some(name)) =
                    (self.evt_tid(), self.event_fd().map(|f| f.name.clone()))
                {
                    self.set_cwd(tid, name.as_bytes());
                }
            }
            125 | 363 | 365 | 367 => self.parse_dup_exit(evt),
            141 | 143 => self.parse_rlimit_exit(evt, e, 0),
            145 => self.parse_prlimit_exit(evt, e),
            43 => self.parse_socketpair_exit(evt),
            PPME_SCHEDSWITCH_1_E | PPME_SCHEDSWITCH_6_E => {
                if let Some(tid) = self.evt_tid() {
                    let (maj, min) = (uint(evt.raw(1)), uint(evt.raw(2)));
                    if let Some(t) = self.thread_mut(tid) {
                        t.pf = [maj, min];
                    }
                    let vm = [
                        uint(evt.raw(3)) as u32,
                        uint(evt.raw(4)) as u32,
                        uint(evt.raw(5)) as u32,
                    ];
                    if let Some(m) = self.main_thread(tid) {
                        if let Some(t) = self.thread_mut(m) {
                            t.vm = vm;
                        }
                    }
                }
            }
            159 | 161 | 163 | 165 => {
                if let Some(tid) = self.evt_tid() {
                    let vm = [
                        uint(evt.raw(1)) as u32,
                        uint(evt.raw(2)) as u32,
                        uint(evt.raw(3)) as u32,
                    ];
                    if let Some(t) = self.thread_mut(tid) {
                        t.vm = vm;
                    }
                }
            }
            193 | 195 | 199 | 201 => self.parse_setid_exit(evt, e),
            228 => {
                let mut c = Container::empty(&text(evt.raw(0)), uint(evt.raw(1)) as u32);
                c.name = text(evt.raw(2));
                c.image = text(evt.raw(3));
                self.containers.insert(c.id.clone(), c);
            }
            super::PPME_CONTAINER_JSON_E | super::PPME_CONTAINER_JSON_2_E => {
                self.parse_container_json(evt)
            }
            267 if int(evt.raw(0)) == 0 => {
                if let Some(tid) = self.evt_tid() {
                    let root = self.render_path_param(evt, 1);
                    if let Some(mut t) = self.threads.remove(&tid) {
                        t.root = root;
                        self.resolve_container(&mut t);
                        self.threads.insert(tid, t);
                        self.identify_category(tid);
                    }
                }
            }
            275 => {
                let r = int(evt.raw(0));
                if r >= 0 {
                    if let Some(tid) = self.evt_tid() {
                        if let Some(t) = self.thread_mut(tid) {
                            t.sid = r;
                        }
                    }
                }
            }
            47 if evt.count() > 0 => {
                if let Some(tid) = self.evt_tid() {
                    let fdn = int(evt.raw(1));
                    let main = self.main_thread(tid).unwrap_or(tid);
                    // getsockopt looks the fd up in the main thread's own table.
                    self.cur.fd = self
                        .threads
                        .get(&main)
                        .is_some_and(|m| fdn >= 0 && m.fds.contains_key(&fdn))
                        .then_some(fdn);
                    if let Some(t) = self.thread_mut(tid) {
                        t.lastevent_fd = fdn;
                    }
                }
            }
            _ => {}
        }
        if let Some(s) = enter {
            self.recycle(s);
        }
        // sinsp::next: the thread's event timestamps (not for scheduler switches).
        if code != PPME_SCHEDSWITCH_1_E && code != PPME_SCHEDSWITCH_6_E {
            if let Some(tid) = self.evt_tid() {
                let ts = evt.ts;
                if let Some(t) = self.thread_mut(tid) {
                    t.prevevent_ts = t.lastevent_ts;
                    t.lastevent_ts = ts;
                }
            }
        }
    }

    /// For an exit event: takes the thread's stored enter event (libsinsp frees it after
    /// every exit event, `event_cleanup`), if it is valid for this exit.
    fn take_enter(&mut self, evt: &EventRef<'_>) -> Option<StoredEvent> {
        let t = self.threads.get_mut(&evt.tid)?;
        let valid = evt.code as i32 == t.lastevent_type + 1;
        let stored = t.lastevent.take();
        t.lastevent_valid = false;
        match stored {
            Some(s) if valid => Some(s),
            Some(s) => {
                self.recycle(s);
                None
            }
            None => None,
        }
    }

    /// `sinsp_parser::reset`: finds the event's thread (creating a placeholder for an
    /// unknown one), its fd, and the error code.
    fn reset(&mut self, evt: &EventRef<'_>, desc: &EventDesc) {
        let code = evt.code;
        if desc.flags & EF_SKIPPARSERESET != 0 {
            if code == super::PPME_PROCINFO_E && self.threads.contains_key(&evt.tid) {
                self.cur.thread = Some(ThreadRef::Table(evt.tid));
            }
            return;
        }
        let query_os = !(CLONE_EXITS.contains(&code) || code == PPME_SCHEDSWITCH_6_E);
        if code == super::PPME_CONTAINER_JSON_E || code == super::PPME_CONTAINER_JSON_2_E {
            return;
        }
        let tid = evt.tid;
        if !self.get_thread(tid, query_os) {
            return;
        }
        self.cur.thread = Some(ThreadRef::Table(tid));
        if code == PPME_SCHEDSWITCH_6_E {
            return;
        }
        let ts = evt.ts;
        let uses_fd = desc.flags & EF_USES_FD != 0;
        let is_enter = desc.direction == falcoc_compiler::events::Direction::Enter;
        let Some(t) = self.thread_mut(tid) else {
            return;
        };
        if query_os {
            t.flags |= thread::CL_ACTIVE;
        }
        if is_enter {
            t.lastevent_fd = -1;
            t.lastevent_type = code as i32;
            if uses_fd {
                let fd = int(evt.raw(0));
                t.lastevent_fd = fd;
                if self.has_fd(tid, fd) {
                    self.cur.fd = Some(fd);
                }
            }
            if let Some(t) = self.thread_mut(tid) {
                t.latency = 0;
                t.last_enter_ts = ts;
            }
            return;
        }
        if t.last_enter_ts != 0 {
            t.latency = ts.saturating_sub(t.last_enter_ts);
        }
        if code as i32 == t.lastevent_type + 1 {
            t.lastevent_valid = true;
        } else {
            t.lastevent_valid = false;
            if t.lastevent_type != PPME_TRACER_E as i32 {
                return;
            }
        }
        if evt.count() != 0 && matches!(desc.params.first().map(|p| p.name), Some("res" | "fd")) {
            let res = int(evt.raw(0));
            if res < 0 {
                self.cur.errorcode = (-res) as i32;
            }
        }
        if !uses_fd {
            return;
        }
        if code == PPME_SYSCALL_COPY_FILE_RANGE_X {
            let fd = int(evt.raw(1));
            if let Some(t) = self.thread_mut(tid) {
                t.lastevent_fd = fd;
            }
        }
        let lfd = self.threads.get(&tid).map_or(-1, |t| t.lastevent_fd);
        let Some(f) = self.fd_mut(tid, lfd) else {
            return;
        };
        let canceled = f.flags & fd::FLAG_CLOSE_CANCELED != 0;
        f.flags &= !fd::FLAG_CLOSE_CANCELED;
        self.cur.fd = Some(lfd);
        if canceled && self.has_fd(tid, CANCELED_FD) {
            self.schedule_fd_removal(tid, CANCELED_FD);
        }
    }

    /// `store_event`: keeps a copy of an enter event for its exit.
    fn store_event(&mut self, evt: &EventRef<'_>) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let mut s = self.spare.pop().unwrap_or_default();
        s.code = evt.code;
        s.values.clear();
        s.values.extend_from_slice(evt.raw_values());
        s.bounds.clear();
        s.bounds.extend_from_slice(evt.bounds());
        let old = match self.thread_mut(tid) {
            Some(t) => t.lastevent.replace(s),
            None => Some(s),
        };
        if let Some(old) = old {
            self.recycle(old);
        }
    }

    /// `infer_sendto_fdinfo`: a sendto on an fd never seen gets a UDP socket.
    fn infer_sendto_fdinfo(&mut self, evt: &EventRef<'_>) {
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
    fn add_socket(&mut self, tid: i64, fd: i64, domain: u32, ty: u32, proto: u32) {
        let mut f = Fd::new(FdType::Unknown);
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

    fn parse_socket_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
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

    /// `parse_dirfd`: the directory a relative path of an `*at` call is relative to.
    fn dirfd_base(&mut self, tid: i64, name: &[u8], dirfd: i64) -> String {
        if name.first() == Some(&b'/') {
            ".".to_string()
        } else if dirfd == PPM_AT_FDCWD {
            self.cwd(tid)
        } else {
            match self.fd(tid, dirfd).map(|f| format!("{}/", f.name)) {
                None => "<UNKNOWN>".to_string(),
                Some(base) => {
                    self.cur.fd = Some(dirfd);
                    base
                }
            }
        }
    }

    fn parse_open_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let code = evt.code;
        let fd = int(evt.raw(0));
        let (name, flags, base, dev): (Vec<u8>, u32, String, u32) = match code {
            3 | 59 => {
                let mut name = evt.raw(1).to_vec();
                let mut flags = if code == 3 {
                    uint(evt.raw(2)) as u32
                } else {
                    0
                };
                let dev_idx = if code == 3 { 4 } else { 3 };
                let dev = if evt.count() > dev_idx {
                    uint(evt.raw(dev_idx)) as u32
                } else {
                    0
                };
                let min = if code == 3 { 2 } else { 1 };
                if let Some(e) = enter.filter(|e| e.count() >= min) {
                    let en = e.raw(0);
                    if !en.is_empty() && cstr(en) != b"(NULL)" {
                        name = en.to_vec();
                        flags = if code == 3 { uint(e.raw(1)) as u32 } else { 0 };
                    }
                }
                (name, flags, self.cwd(tid), dev)
            }
            103 => {
                let Some(e) = enter else {
                    // libsinsp reads the (missing) enter event anyway; without it the
                    // path is unknown.
                    return;
                };
                let name = e.raw(1).to_vec();
                let flags = uint(e.raw(2)) as u32;
                let dirfd = int(e.raw(0));
                let base = self.dirfd_base(tid, &name, dirfd);
                (name, flags, base, 0)
            }
            _ => {
                let mut name = evt.raw(2).to_vec();
                let mut flags = uint(evt.raw(3)) as u32;
                let mut dirfd = int(evt.raw(1));
                let dev = if code == 307 && evt.count() > 5 {
                    uint(evt.raw(5)) as u32
                } else {
                    0
                };
                if let Some(e) = enter.filter(|e| e.count() >= 3) {
                    let en = e.raw(1);
                    if !en.is_empty() && cstr(en) != b"(NULL)" {
                        name = en.to_vec();
                        flags = uint(e.raw(2)) as u32;
                        dirfd = int(e.raw(0));
                    }
                }
                let base = self.dirfd_base(tid, &name, dirfd);
                (name, flags, base, dev)
            }
        };
        if fd < 0 {
            return;
        }
        let (full, _) = concatenate(base.as_bytes(), &name);
        let mut f = Fd::new(if flags & PPM_O_DIRECTORY != 0 {
            FdType::Directory
        } else {
            FdType::FileV2
        });
        f.open_flags = flags;
        f.dev = dev;
        f.name = full;
        self.add_fd(tid, fd, f, false);
    }

    /// The full path of an open-family exit event whose fd was not created (libsinsp
    /// `extract_fdname_from_creator` for `openat`, and the fd name of opens).
    pub(crate) fn openat_failed_path(&mut self, evt: &EventRef<'_>) -> Option<String> {
        let tid = self.evt_tid()?;
        let name = evt.raw(2).to_vec();
        let dirfd = int(evt.raw(1));
        let base = self.dirfd_base(tid, &name, dirfd);
        Some(concatenate(base.as_bytes(), &name).0)
    }

    fn set_cwd(&mut self, tid: i64, path: &[u8]) {
        let Some(m) = self.main_thread(tid) else {
            return;
        };
        let Some(t) = self.thread_mut(m) else {
            return;
        };
        let (mut cwd, _) = concatenate(t.cwd.as_bytes(), path);
        if !cwd.ends_with('/') {
            cwd.push('/');
        }
        t.cwd = cwd;
    }

    fn parse_clone_exit(&mut self, evt: &EventRef<'_>, desc: &EventDesc) {
        let code = evt.code;
        let ev_tid = evt.tid;
        let mut tid = ev_tid;
        let mut childtid = int(evt.raw(0));
        let p = |name: &str| idx(desc, name).map(|i| evt.raw(i)).unwrap_or(&[]);
        let flags = uint(p("flags")) as u32;
        if childtid < 0 {
            return;
        }
        let has_ns = idx(desc, "vtid").is_some();
        let (vtid, vpid) = if has_ns {
            (int(p("vtid")), int(p("vpid")))
        } else {
            (ev_tid, -1)
        };
        let in_container = flags & thread::CL_CHILD_IN_PIDNS != 0 || ev_tid != vtid;
        let mut is_inverted = false;
        let mut tid_collision = false;
        if childtid == 0 {
            if let Some(ThreadRef::Table(t)) = self.cur.thread {
                let stale = self.threads.get(&t).is_some_and(|th| {
                    th.clone_ts != 0 && evt.ts.saturating_sub(th.clone_ts) > CLONE_STALE_TIME_NS
                });
                if stale {
                    self.remove_thread(t, true);
                    self.cur.thread = None;
                }
            }
            let parenttid = if flags & thread::CL_CLONE_THREAD != 0 {
                int(evt.raw(4))
            } else {
                int(evt.raw(5))
            };
            if self.cur.thread.is_none() {
                is_inverted = true;
                childtid = ev_tid;
                tid = parenttid;
            } else {
                if in_container {
                    if let Some(t) = self.thread_mut(ev_tid) {
                        t.vtid = vtid;
                        t.vpid = vpid;
                    }
                }
                return;
            }
        } else if in_container {
            return;
        }
        if !self.get_thread(tid, true) {
            return;
        }
        let valid_parent = self
            .threads
            .get(&tid)
            .is_some_and(|p| !(p.comm == "<NA>" && p.uid == u32::MAX));
        if let Some(child) = self.threads.get(&childtid) {
            if child.flags & thread::CL_CLONE_INVERTED != 0 {
                return;
            }
            self.remove_thread(childtid, true);
            tid_collision = true;
        }
        let mut t = Thread::blank(childtid);
        t.ptid = tid;
        let exe = text(evt.raw(1));
        let comm = if idx(desc, "comm").is_some() {
            text(p("comm"))
        } else {
            exe.clone()
        };
        if valid_parent {
            if let Some(pt) = self.threads.get(&tid) {
                t.comm = pt.comm.clone();
                t.exe = pt.exe.clone();
                t.exepath = pt.exepath.clone();
                t.exe_writable = pt.exe_writable;
                t.args = pt.args.clone();
                t.root = pt.root.clone();
                t.sid = pt.sid;
                t.vpgid = pt.vpgid;
                t.tty = pt.tty;
                t.loginuid = pt.loginuid;
                if flags & thread::CL_CLONE_THREAD == 0 {
                    t.env = pt.env.clone();
                }
            }
        } else {
            self.remove_thread(tid, true);
            tid_collision = true;
            if !self.get_thread(tid, true) {
                return;
            }
            // Offline there is no /proc: the parent is a placeholder again; use the event.
            t.exe = exe.clone();
            t.comm = comm.clone();
            t.set_args(evt.raw(2));
            let args = t.args.clone();
            if let Some(pt) = self.thread_mut(tid) {
                pt.comm = comm.clone();
                pt.exe = exe.clone();
                pt.exepath = String::new();
                pt.args = args;
            }
        }
        t.pid = int(evt.raw(4));
        t.flags = flags;
        if flags & thread::CL_CLONE_THREAD == 0 {
            t.pid = childtid;
            if let Some(owner) = self.fd_owner(tid) {
                if let Some(pt) = self.threads.get(&owner) {
                    t.fds = pt.fds.clone();
                    self.stats.fds_added += t.fds.len() as u64;
                    for f in t.fds.values_mut() {
                        f.flags |= fd::FLAG_IS_CLONED;
                    }
                }
            }
            t.cwd = self.cwd(tid);
        }
        if is_inverted {
            t.flags |= thread::CL_CLONE_INVERTED;
        }
        t.exe = exe;
        t.comm = comm;
        t.set_args(evt.raw(2));
        t.fdlimit = int(evt.raw(7));
        if code != 15 {
            t.pf = [uint(evt.raw(8)), uint(evt.raw(9))];
            t.vm = [
                uint(evt.raw(10)) as u32,
                uint(evt.raw(11)) as u32,
                uint(evt.raw(12)) as u32,
            ];
        }
        t.uid = uint(p("uid")) as u32;
        t.gid = uint(p("gid")) as u32;
        if in_container {
            t.vtid = vtid;
            t.vpid = vpid;
        } else {
            t.vtid = t.tid;
            t.vpid = t.pid;
        }
        let has_cgroups = idx(desc, "cgroups").is_some();
        if has_cgroups {
            t.set_cgroups(thread_items(p("cgroups")));
            self.resolve_container(&mut t);
        }
        t.clone_ts = evt.ts;
        let new_tid = t.tid;
        if self.add_thread(t) && has_cgroups {
            self.identify_category(new_tid);
        }
        if tid_collision {
            let saved = (self.cur.ts, self.cur.num);
            self.cur = Current {
                ts: saved.0,
                num: saved.1,
                ..Current::default()
            };
            if let Some(d) = evtable::event(code) {
                self.reset(evt, d);
            }
        }
    }

    fn parse_execve_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        let code = evt.code;
        if int(evt.raw(0)) < 0 {
            return;
        }
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let old_style = matches!(code, 13 | 155 | 173);
        let exe = text(evt.raw(1));
        let comm = if old_style {
            exe.clone()
        } else {
            text(evt.raw(13))
        };
        let nparams = evt.count();
        let cwd_for_exepath = self
            .threads
            .get(&tid)
            .map(|t| t.cwd.clone())
            .unwrap_or_default();
        let mut exepath: Option<String> = None;
        match (code, enter) {
            (289 | 293, Some(e)) => {
                let f = e.raw(0);
                exepath = Some(if cstr(f).starts_with(b"<NA>") {
                    "<NA>".to_string()
                } else {
                    concatenate(cwd_for_exepath.as_bytes(), f).0
                });
            }
            (331, Some(e)) => {
                let dirfd = int(e.raw(0));
                let path = e.raw(1);
                if cstr(path).starts_with(b"<NA>") {
                    exepath = Some("<NA>".to_string());
                } else {
                    let flags = uint(e.raw(2)) as u32;
                    let sdir = self.dirfd_base(tid, path, dirfd);
                    let path: Vec<u8> =
                        if flags & PPM_EXVAT_AT_EMPTY_PATH != 0 && cstr(path).is_empty() {
                            let mut v = sdir.as_bytes().to_vec();
                            v.push(0);
                            v
                        } else {
                            path.to_vec()
                        };
                    exepath = Some(concatenate(sdir.as_bytes(), &path).0);
                }
            }
            _ => {}
        }
        let mut resolve = false;
        {
            let Some(t) = self.thread_mut(tid) else {
                return;
            };
            t.exe = exe;
            t.comm = comm;
            t.set_args(evt.raw(2));
            t.pid = int(evt.raw(4));
            if t.ptid == -1 {
                t.ptid = int(evt.raw(5));
            }
            t.fdlimit = int(evt.raw(7));
            if code != 13 {
                t.pf = [uint(evt.raw(8)), uint(evt.raw(9))];
                t.vm = [
                    uint(evt.raw(10)) as u32,
                    uint(evt.raw(11)) as u32,
                    uint(evt.raw(12)) as u32,
                ];
            }
            match code {
                173 => t.set_env(evt.raw(13)),
                215 => t.set_env(evt.raw(14)),
                231 | 283 | 289 | 293 | 331 => {
                    t.set_env(evt.raw(15));
                    t.set_cgroups(thread_items(evt.raw(14)));
                    resolve = true;
                }
                _ => {}
            }
            if matches!(code, 283 | 289 | 293 | 331) {
                t.tty = uint(evt.raw(16)) as u32;
            }
            if let Some(p) = exepath {
                t.exepath = p;
            }
            if matches!(code, 293 | 331) {
                t.vpgid = int(evt.raw(17));
            }
            if nparams > 18 {
                t.loginuid = uint(evt.raw(18)) as u32;
            }
            if nparams > 19 {
                t.exe_writable = uint(evt.raw(19)) as u32 & PPM_EXE_WRITABLE != 0;
            }
            if nparams > 22 {
                t.caps = [uint(evt.raw(20)), uint(evt.raw(21)), uint(evt.raw(22))];
            }
            if nparams > 25 {
                t.exe_ino = [uint(evt.raw(23)), uint(evt.raw(24)), uint(evt.raw(25))];
            }
            let keep = t.flags
                & (thread::CL_PIPE_SRC
                    | thread::CL_PIPE_DST
                    | thread::CL_IS_MAIN_THREAD
                    | thread::CL_CLONE_INVERTED);
            t.flags = thread::CL_ACTIVE | keep | thread::CL_NAME_CHANGED;
        }
        if resolve {
            if let Some(mut t) = self.threads.remove(&tid) {
                self.resolve_container(&mut t);
                self.threads.insert(tid, t);
                self.identify_category(tid);
            }
        }
    }

    fn parse_pipe_exit(&mut self, evt: &EventRef<'_>) {
        if int(evt.raw(0)) < 0 {
            return;
        }
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let (fd1, fd2, ino) = (int(evt.raw(1)), int(evt.raw(2)), uint(evt.raw(3)));
        for fdn in [fd1, fd2] {
            let mut f = Fd::new(FdType::Fifo);
            f.ino = ino;
            self.add_fd(tid, fdn, f, false);
        }
    }

    fn parse_socketpair_exit(&mut self, evt: &EventRef<'_>) {
        if int(evt.raw(0)) < 0 {
            return;
        }
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let (fd1, fd2) = (int(evt.raw(1)), int(evt.raw(2)));
        let mut f = Fd::new(FdType::UnixSock);
        f.sock.set_unix(uint(evt.raw(3)), uint(evt.raw(4)));
        self.add_fd(tid, fd1, f.clone(), false);
        let first = self.cur.fd;
        self.add_fd(tid, fd2, f, false);
        self.cur.fd = first;
    }

    fn add_simple_fd(&mut self, evt: &EventRef<'_>, ty: FdType) {
        let fdn = int(evt.raw(0));
        let Some(tid) = self.evt_tid() else {
            return;
        };
        if fdn >= 0 {
            self.add_fd(tid, fdn, Fd::new(ty), false);
        }
    }

    fn parse_bind_exit(&mut self, evt: &EventRef<'_>) {
        if self.cur.fd.is_none() || int(evt.raw(0)) < 0 {
            return;
        }
        let addr = evt.raw(1).to_vec();
        if addr.is_empty() {
            return;
        }
        let rendered = crate::extract::render::sockaddr_string(&addr);
        let Some(f) = self.evt_fd_mut() else {
            return;
        };
        let old = f.name.clone();
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
        f.name = rendered;
        self.cur.name_changed = f.name != old;
    }

    fn parse_connect_enter(&mut self, evt: &EventRef<'_>) {
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
        let addr = evt.raw(1).to_vec();
        let rendered = crate::extract::render::sockaddr_string(&addr);
        let Some(f) = self.evt_fd_mut() else {
            return;
        };
        if track {
            f.set_pending();
        }
        if addr.is_empty() {
            return;
        }
        let old = f.name.clone();
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
                f.name = rendered;
                if addr.len() >= 17 {
                    f.sock.set_unix(uint(&addr[1..9]), uint(&addr[9..17]));
                }
            }
        }
        self.cur.name_changed = f.name != old;
    }

    /// `fill_client_socket_info` from a connect exit's tuple.
    fn fill_client_socket_info(&mut self, tuple: &[u8]) {
        let rendered = crate::extract::render::socktuple_string(tuple);
        let ow = self.opts.libs == LibsVersion::Falco042;
        let Some(f) = self.evt_fd_mut() else {
            return;
        };
        let old = f.name.clone();
        match tuple.first().copied() {
            Some(AF_INET) | Some(AF_INET6) => {
                let changed = if tuple[0] == AF_INET6 {
                    if tuple.len() < 37 {
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
                        return;
                    }
                    f.ty = FdType::Ipv4Sock;
                    set_ipv4_addresses_and_ports(f, tuple, ow)
                };
                if changed && f.is_role_server() && f.is_udp_socket() {
                    f.swap_addresses();
                }
                f.name = f.socket_name();
            }
            _ => {
                f.name = rendered;
                if tuple.len() >= 17 {
                    f.sock.set_unix(uint(&tuple[1..9]), uint(&tuple[9..17]));
                }
            }
        }
        if f.is_role_none() {
            f.flags |= fd::FLAG_ROLE_CLIENT;
        }
        self.cur.name_changed = f.name != old;
    }

    fn parse_connect_exit(&mut self, evt: &EventRef<'_>) {
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
        let tuple = evt.raw(1).to_vec();
        if tuple.is_empty() {
            return;
        }
        self.fill_client_socket_info(&tuple);
    }

    fn parse_accept_exit(&mut self, evt: &EventRef<'_>) {
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
        let mut f = Fd::new(FdType::Unknown);
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
            _ => return,
        }
        f.name = crate::extract::render::socktuple_string(tuple);
        f.flags = fd::FLAG_ROLE_SERVER;
        f.set_connected();
        self.add_fd(tid, fdn, f, false);
    }

    fn parse_close_exit(&mut self, evt: &EventRef<'_>) {
        let ret = int(evt.raw(0));
        let (Some(tid), Some(fdn)) = (self.evt_tid(), self.cur.fd) else {
            return;
        };
        if ret >= 0 {
            let canceled = self.fd_mut(tid, fdn).is_some_and(|f| {
                let c = f.flags & fd::FLAG_CLOSE_CANCELED != 0;
                f.flags &= !fd::FLAG_CLOSE_CANCELED;
                c
            });
            if canceled {
                if self.has_fd(tid, CANCELED_FD) {
                    self.schedule_fd_removal(tid, CANCELED_FD);
                }
            } else {
                let lfd = self.threads.get(&tid).map_or(-1, |t| t.lastevent_fd);
                self.schedule_fd_removal(tid, lfd);
            }
        } else if let Some(f) = self.fd_mut(tid, fdn) {
            f.flags &= !fd::FLAG_CLOSE_IN_PROGRESS;
        }
    }

    fn parse_dup_exit(&mut self, evt: &EventRef<'_>) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let ret = int(evt.raw(0));
        if ret < 0 {
            return;
        }
        if let Some(t) = self.thread_mut(tid) {
            if ret == 0 {
                t.flags |= thread::CL_PIPE_DST;
            }
            if ret == 1 {
                t.flags |= thread::CL_PIPE_SRC;
            }
        }
        let Some(src) = self.event_fd().cloned() else {
            return;
        };
        self.add_fd(tid, ret, src, true);
    }

    fn parse_fcntl_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        if enter.is_none() {
            return;
        }
        let ret = int(evt.raw(0));
        let Some(tid) = self.evt_tid() else {
            return;
        };
        if ret < 0 {
            return;
        }
        let Some(src) = self.event_fd().cloned() else {
            return;
        };
        self.add_fd(tid, ret, src, true);
    }

    fn parse_rlimit_exit(
        &mut self,
        evt: &EventRef<'_>,
        enter: Option<&StoredEvent>,
        res_idx: usize,
    ) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        if int(evt.raw(0)) < 0 {
            return;
        }
        let Some(e) = enter else {
            return;
        };
        if e.raw(res_idx).first().copied() == Some(PPM_RLIMIT_NOFILE) {
            let cur = int(evt.raw(1));
            if cur != -1 {
                if let Some(m) = self.main_thread(tid) {
                    if let Some(t) = self.thread_mut(m) {
                        t.fdlimit = cur;
                    }
                }
            }
        }
    }

    fn parse_prlimit_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        if int(evt.raw(0)) < 0 {
            return;
        }
        let Some(e) = enter else {
            return;
        };
        if e.raw(1).first().copied() != Some(PPM_RLIMIT_NOFILE) {
            return;
        }
        let newcur = int(evt.raw(1));
        if newcur == -1 {
            return;
        }
        let mut target = int(e.raw(0));
        if target == 0 {
            target = evt.tid;
        }
        if self.get_thread(target, true) {
            if let Some(m) = self.main_thread(target) {
                if let Some(t) = self.thread_mut(m) {
                    t.fdlimit = newcur;
                }
            }
        }
    }

    fn parse_setid_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        let code = evt.code;
        if int(evt.raw(0)) < 0 {
            return;
        }
        let (Some(tid), Some(e)) = (self.evt_tid(), enter) else {
            return;
        };
        let (idx, is_uid, resid) = match code {
            193 => (1, true, true),
            195 => (1, false, true),
            199 => (0, true, false),
            _ => (0, false, false),
        };
        let v = uint(e.raw(idx)) as u32;
        if resid && v == u32::MAX {
            return;
        }
        if let Some(t) = self.thread_mut(tid) {
            if is_uid {
                t.uid = v;
            } else {
                t.gid = v;
            }
        }
    }

    fn parse_container_json(&mut self, evt: &EventRef<'_>) {
        let json = cstr(evt.raw(0));
        let Some(c) = Container::from_json(json, true) else {
            return;
        };
        if !c.is_successful() {
            self.cur.filtered_out = true;
        }
        // The event's thread: a placeholder of the container (`get_tinfo`).
        let mut t = Thread::blank(-1);
        t.pid = -1;
        t.vtid = -2;
        t.vpid = -2;
        t.loginuid = 0;
        t.comm = format!("container:{}", c.id);
        t.container_id = c.id.clone();
        self.container_thread = Some(t);
        self.cur.thread = Some(ThreadRef::ContainerEvent);
        self.containers.insert(c.id.clone(), c);
    }

    /// `parse_rw_exit`: I/O on sockets learns UDP tuples from `recvfrom`/`recvmsg`
    /// (exit) and `sendto`/`sendmsg` (enter).
    fn parse_rw_exit(&mut self, evt: &EventRef<'_>, desc: &EventDesc, enter: Option<&StoredEvent>) {
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
            let tuple: Option<Vec<u8>> = if reading {
                match code {
                    35 => Some(evt.raw(2).to_vec()),
                    53 => Some(evt.raw(3).to_vec()),
                    _ => None,
                }
            } else {
                match code {
                    31 | 49 => match enter {
                        Some(e) => Some(e.raw(2).to_vec()),
                        None if needs_tuple => return,
                        None => None,
                    },
                    _ => None,
                }
            };
            if let Some(tuple) = tuple.filter(|_| needs_tuple) {
                self.update_fd_from_tuple(tid, &tuple, reading);
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
    fn update_fd_from_tuple(&mut self, tid: i64, tuple: &[u8], incoming: bool) {
        if tuple.is_empty() {
            return;
        }
        let Some(fdn) = self.cur.fd else {
            return;
        };
        let rendered = crate::extract::render::socktuple_string(tuple);
        let v4: Vec<[u8; 4]> = self.v4_ifaces.iter().map(|i| i.addr.octets()).collect();
        let v4m: Vec<([u8; 4], [u8; 4])> = self
            .v4_ifaces
            .iter()
            .map(|i| (i.addr.octets(), i.netmask.octets()))
            .collect();
        let v6: Vec<[u8; 16]> = self.v6_ifaces.iter().map(|i| i.addr.octets()).collect();
        let Some(f) = self.fd_mut(tid, fdn) else {
            return;
        };
        let old = f.name.clone();
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
                f.name = rendered;
                self.cur.name_changed = f.name != old;
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
        patch_incomplete_tuple(f, &v4, &v4m, &v6);
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
            f.name = f.socket_name();
        } else {
            f.name = rendered;
        }
        self.cur.name_changed = f.name != old;
    }

    /// `is_bound_to_port`: an IPv4 socket of the thread's table with that destination
    /// port, or an IPv4 server socket on it.
    fn is_bound_to_port(&mut self, tid: i64, port: u16) -> bool {
        self.fd_table(tid).is_some_and(|t| {
            t.values().any(|f| match f.ty {
                FdType::Ipv4Sock => f.sock.v4_dport() == port,
                FdType::Ipv4ServSock => f.sock.v4s_port() == port,
                _ => false,
            })
        })
    }

    /// `uses_client_port`.
    fn uses_client_port(&mut self, tid: i64, port: u16) -> bool {
        self.fd_table(tid).is_some_and(|t| {
            t.values()
                .any(|f| f.ty == FdType::Ipv4Sock && f.sock.v4_sport() == port)
        })
    }

    /// The resolved text of a path parameter (for `chroot`).
    fn render_path_param(&mut self, evt: &EventRef<'_>, i: usize) -> String {
        let raw = evt.raw(i);
        let Some(tid) = self.evt_tid() else {
            return text(raw);
        };
        if raw.is_empty() || cstr(raw).starts_with(b"<NA>") {
            return text(raw);
        }
        let cwd = self.cwd(tid);
        if cwd.len() + raw.len() >= MAX_PATH {
            return text(raw);
        }
        concatenate(cwd.as_bytes(), raw).0
    }
}

/// The items of a NUL-separated buffer (cgroups).
fn thread_items(raw: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < raw.len() {
        let rest = &raw[off..];
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        out.push(&rest[..end]);
        off += end + 1;
    }
    out
}

/// `update_ipv4_addresses_and_ports`: returns whether something changed.
/// `update_ipv4_addresses_and_ports`; `overwrite_dest` (libs 0.22, `connect` exits):
/// the destination is replaced even when already set.
fn update_ipv4(
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

fn a4(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}

fn a16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    a
}

fn port_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn set_ipv4_addresses_and_ports(f: &mut Fd, t: &[u8], overwrite_dest: bool) -> bool {
    let tuple = (a4(&t[1..]), port_at(t, 5), a4(&t[7..]), port_at(t, 11));
    update_ipv4(f, tuple, overwrite_dest)
}

fn set_ipv4_mapped_addresses_and_ports(f: &mut Fd, t: &[u8], overwrite_dest: bool) -> bool {
    let tuple = (a4(&t[13..]), port_at(t, 17), a4(&t[31..]), port_at(t, 35));
    update_ipv4(f, tuple, overwrite_dest)
}

fn set_ipv6_addresses_and_ports(f: &mut Fd, t: &[u8], overwrite_dest: bool) -> bool {
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
fn patch_incomplete_tuple(f: &mut Fd, v4: &[[u8; 4]], v4m: &[([u8; 4], [u8; 4])], v6: &[[u8; 16]]) {
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
