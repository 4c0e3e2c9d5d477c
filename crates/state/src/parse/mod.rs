//! The event parsers: libsinsp's `sinsp_parser::reset` and `process_event` with the
//! handler of every state-changing event (libs e5c53d64 `parsers.cpp`).

mod files;
mod net;
mod process;

use super::container::Container;
use super::evtable::{self, EventDesc, EF_READS_FROM_FD, EF_SKIPPARSERESET, EF_USES_FD};
use super::fd::{self, Fd, CANCELED_FD};
use super::paths::{concatenate, concatenate_into, MAX_PATH};
use super::pool::push_lossy;
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
pub fn int(b: &[u8]) -> i64 {
    match b.len() {
        8 => i64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        4 => i32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as i64,
        2 => i16::from_le_bytes([b[0], b[1]]) as i64,
        1 => b[0] as i8 as i64,
        _ => 0,
    }
}

/// An unsigned integer parameter (zero-extended).
pub fn uint(b: &[u8]) -> u64 {
    match b.len() {
        8 => u64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        4 => u32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as u64,
        2 => u16::from_le_bytes([b[0], b[1]]) as u64,
        1 => b[0] as u64,
        _ => 0,
    }
}

/// A string parameter up to its NUL.
pub fn cstr(b: &[u8]) -> &[u8] {
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
                    self.pool.put_fd(std::mem::replace(old, new));
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
        let enter = if desc.direction == falcoc_schema::events::Direction::Exit
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
        let is_enter = desc.direction == falcoc_schema::events::Direction::Enter;
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        // One lookup of the thread: its own fd table is searched in the same borrow; a
        // thread that uses its process's table goes through `fd_owner` as before.
        let own_table = !t.shares_fds() || t.is_main_thread();
        if query_os {
            t.flags |= thread::CL_ACTIVE;
        }
        if is_enter {
            t.lastevent_fd = -1;
            t.lastevent_type = code as i32;
            t.latency = 0;
            t.last_enter_ts = ts;
            if uses_fd {
                let fd = int(evt.raw(0));
                t.lastevent_fd = fd;
                let found = if own_table {
                    fd >= 0 && t.fds.contains_key(&fd)
                } else {
                    self.has_fd(tid, fd)
                };
                if found {
                    self.cur.fd = Some(fd);
                }
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
            t.lastevent_fd = int(evt.raw(1));
        }
        let lfd = t.lastevent_fd;
        let f = if own_table {
            if lfd < 0 {
                None
            } else {
                t.fds.get_mut(&lfd)
            }
        } else {
            self.fd_mut(tid, lfd)
        };
        let Some(f) = f else {
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
}
