//! The system state libsinsp derives from a capture: threads and processes, their fd
//! tables, users and groups, network interfaces and containers, kept up to date event by
//! event so that field extraction (`falcoc_syscall::extract`) sees what libsinsp's
//! filterchecks see.
//!
//! * **Threads** ([`Thread`]) come from the capture's process list and from
//!   `clone`/`fork`/`vfork`/`clone3` exits (inverted clones, clones inside pid namespaces,
//!   tid collisions), are updated by `execve`/`execveat` exits (program, arguments,
//!   environment, cgroups, tty, login uid, executable path from the enter event),
//!   `chdir`/`fchdir`/`getcwd`, `setuid`/`setgid`/`setresuid`/`setresgid`, `setsid`,
//!   `prlimit`/`setrlimit` and `chroot`, and are removed one event after their `procexit`
//!   (a main thread only once its other threads are gone). A thread seen in an event but
//!   unknown gets libsinsp's placeholder entry (`<NA>` names, unset ids). Threads with
//!   `CLONE_FILES` share their main thread's fd table; environment and working directory
//!   live on the main thread.
//! * **Fds** ([`Fd`]) come from the capture's fd lists and from `open`/`openat`/`openat2`/
//!   `creat` (paths made absolute against the working directory or the dirfd),
//!   `socket`/`socketpair`/`accept*`/`connect`/`bind` (IPv4/IPv6 tuples with client/server
//!   roles, unix sockets), `pipe`, `eventfd`, `signalfd`, `timerfd_create`, `inotify_init`,
//!   `dup*` and `fcntl(F_DUPFD)`; UDP tuples are learnt from `sendto`/`recvfrom`. A closed
//!   fd is removed one event after its `close` exit (so the close itself still sees it);
//!   tables hold at most 4096 fds, the thread table at most 131072 threads, as libsinsp.
//! * **Containers** ([`Container`]) come from container events (leading ones are consumed
//!   before the thread table is imported, as libsinsp does, and hidden) and the container
//!   id of a thread from its cgroups (`/docker/<64 hex>` and the other runc layouts → the
//!   first 12 digits).
//!
//! The semantics are those of libsinsp at falcosecurity/libs e5c53d64, the libs of the
//! reference sysdig 0.29 (see [`evtable`]): enter events only store themselves (for the
//! exit to read) and set the thread's current fd; all state changes happen on exit events,
//! before the event is evaluated (conditions.md §13 item 5).
//!
//! ```no_run
//! use falcoc_scap as scap;
//! use falcoc_state::State;
//!
//! let mut reader = scap::open("capture.scap")?;
//! let mut state = State::new(Default::default());
//! state.set_metadata(reader.read_metadata()?.clone());
//! while let Some(evt) = reader.next_event_ref() {
//!     let evt = evt?;
//!     if state.process(&evt).visible {
//!         // extract fields with falcoc_syscall::extract::Extractor
//!     }
//! }
//! println!("{} threads", state.thread_count());
//! # Ok::<(), scap::ScapError>(())
//! ```

#![warn(missing_docs)]

pub mod container;
pub mod decimal;
pub mod evtable;
pub mod fd;
mod parse;
pub mod paths;
mod pool;
pub mod thread;

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use falcoc_scap::{
    EventRef, FdList, GroupInfo, Ipv4Interface, Ipv6Interface, MachineInfo, Metadata, ProcessInfo,
    UserInfo,
};

pub use container::Container;
pub use fd::Fd;
pub use parse::{cstr as parse_cstr, int as parse_int, uint as parse_uint};
pub use thread::{Category, FdTable, Thread};

/// Code of the `procinfo` event.
pub const PPME_PROCINFO_E: u16 = 234;
/// Codes of the container JSON events.
pub const PPME_CONTAINER_JSON_E: u16 = 272;
/// Second version of the container JSON event.
pub const PPME_CONTAINER_JSON_2_E: u16 = 324;
/// The old fixed-parameter container event.
pub const PPME_CONTAINER_E: u16 = 228;
/// `SCAP_DF_STATE_ONLY`: the event updates state but is never shown.
pub const DF_STATE_ONLY: u32 = 1;

/// libsinsp's thread table limit.
pub const MAX_THREADS: usize = 131_072;
/// libsinsp's fd table limit (`MAX_FD_TABLE_SIZE`).
pub const MAX_FDS: usize = 4096;

/// Which libsinsp the state and field extraction follow where versions differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LibsVersion {
    /// falcosecurity/libs e5c53d64 (2022), the libs of sysdig 0.29: the reference of
    /// `falcoc events` and `shared/captures`.
    #[default]
    Sysdig2022,
    /// libs 0.22.2, the libs of Falco 0.42.1: the engine and `falcoc replay`. Differences:
    /// a second `connect` of a socket overwrites its destination address; `user.name`,
    /// `user.homedir`, `user.shell`, `user.loginname` and `group.name` of an id missing
    /// from the user list are `<NA>` (`root`, `/root` for id 0); exit events the 0.22
    /// table flags `EF_USES_FD` (`unlinkat`, `mkdirat`, `fchmodat`, `fchmod`,
    /// `symlinkat`, …) have an fd: the one of their dirfd/fd parameter, else `fd.name` is
    /// `""`.
    Falco042,
}

/// Settings of the state engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateOptions {
    /// The libsinsp whose parsers the state follows where versions differ.
    pub libs: LibsVersion,
    /// libsinsp's `m_track_connection_status` (off in sysdig and Falco): track
    /// pending/failed connections.
    pub track_connection_status: bool,
    /// Maximum number of threads.
    pub max_threads: usize,
    /// Maximum number of fds per table.
    pub max_fds: usize,
}

impl Default for StateOptions {
    fn default() -> StateOptions {
        StateOptions {
            libs: LibsVersion::Sysdig2022,
            track_connection_status: false,
            max_threads: MAX_THREADS,
            max_fds: MAX_FDS,
        }
    }
}

/// Which thread an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadRef {
    /// A thread of the table, by tid.
    Table(i64),
    /// The placeholder thread of a container event (tid and pid -1).
    ContainerEvent,
}

/// What the state engine found out about the current event (libsinsp's per-event
/// `m_tinfo`, `m_fdinfo`, `m_errorcode`…).
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// The event's thread.
    pub thread: Option<ThreadRef>,
    /// The event's fd (number in the thread's fd table).
    pub fd: Option<i64>,
    /// errno of a failed syscall.
    pub errorcode: i32,
    /// Parsing the event changed the fd's name.
    pub name_changed: bool,
    /// libsinsp drops the event before the user sees it.
    pub filtered_out: bool,
    /// Event timestamp.
    pub ts: u64,
    /// Event number.
    pub num: u64,
}

/// The outcome of [`State::process`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Processed {
    /// sysdig shows the event (not dropped by libsinsp, not internal).
    pub visible: bool,
    /// The event is libsinsp-internal (shown by sysdig only with `-D`).
    pub internal: bool,
    /// libsinsp drops the event (initial container events, failed container lookups,
    /// state-only events).
    pub filtered_out: bool,
}

/// Counters for the report and the memory tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateStats {
    /// Events processed.
    pub events: u64,
    /// Threads added (process list, clones, placeholders).
    pub threads_added: u64,
    /// Threads removed.
    pub threads_removed: u64,
    /// Placeholder threads created for unknown tids.
    pub unknown_threads: u64,
    /// Fds added.
    pub fds_added: u64,
    /// Fds removed.
    pub fds_removed: u64,
    /// Threads not added because the table was full.
    pub thread_drops: u64,
}

/// Interface addresses in the forms the tuple parsers compare.
#[derive(Debug, Default)]
pub(crate) struct IfaceAddrs {
    pub(crate) v4: Vec<[u8; 4]>,
    pub(crate) v4m: Vec<([u8; 4], [u8; 4])>,
    pub(crate) v6: Vec<[u8; 16]>,
}

/// The state engine. See the [module documentation](self).
#[derive(Debug, Default)]
pub struct State {
    opts: StateOptions,
    threads: FxHashMap<i64, Thread>,
    containers: HashMap<String, Container>,
    users: HashMap<u32, UserInfo>,
    groups: HashMap<u32, GroupInfo>,
    v4_ifaces: Vec<Ipv4Interface>,
    v6_ifaces: Vec<Ipv6Interface>,
    /// The interfaces' addresses (and IPv4 netmasks) as the tuple parsers use them.
    iface_addrs: IfaceAddrs,
    machine: Option<MachineInfo>,
    pending: Option<Metadata>,
    imported: bool,
    server_ports: FxHashSet<u16>,
    tid_to_remove: Option<i64>,
    fds_to_remove: Vec<i64>,
    tid_of_fds_to_remove: i64,
    first_event_ts: u64,
    last_event_ts: u64,
    container_thread: Option<Thread>,
    spare: Vec<thread::StoredEvent>,
    /// Buffers of removed fds and threads.
    pool: pool::Pool,
    /// A path buffer of the parsers (the base directory of a relative path).
    scratch: String,
    /// The buffer a renamed socket fd's new name is written to before it is compared
    /// with the old one (`parse::net::rename`).
    spare_name: String,
    cur: Current,
    stats: StateStats,
    /// Host names and their addresses (`fd.*.name`).
    host_names: Vec<(String, Vec<std::net::IpAddr>)>,
}

impl State {
    /// An empty state.
    pub fn new(opts: StateOptions) -> State {
        State {
            opts,
            ..State::default()
        }
    }

    /// Gives the capture's metadata (process, fd, user, interface lists, machine info).
    /// Users, groups and interfaces are imported now; the thread table when the first
    /// event that is not a container event arrives (libsinsp consumes the leading
    /// container events first, so that threads resolve their containers).
    pub fn set_metadata(&mut self, meta: Metadata) {
        if let Some(ul) = &meta.users {
            for u in &ul.users {
                self.users.insert(u.uid, u.clone());
            }
            for g in &ul.groups {
                self.groups.insert(g.gid, g.clone());
            }
        }
        if let Some(il) = &meta.interfaces {
            self.v4_ifaces = il.v4.clone();
            self.v6_ifaces = il.v6.clone();
            self.iface_addrs = IfaceAddrs {
                v4: il.v4.iter().map(|i| i.addr.octets()).collect(),
                v4m: il
                    .v4
                    .iter()
                    .map(|i| (i.addr.octets(), i.netmask.octets()))
                    .collect(),
                v6: il.v6.iter().map(|i| i.addr.octets()).collect(),
            };
        }
        self.machine = meta.machine.clone();
        self.pending = Some(meta);
        self.imported = false;
    }

    /// The options.
    pub fn options(&self) -> &StateOptions {
        &self.opts
    }

    /// Counters.
    pub fn stats(&self) -> &StateStats {
        &self.stats
    }

    /// Number of threads in the table.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Number of fds over all tables.
    pub fn fd_count(&self) -> usize {
        self.threads.values().map(|t| t.fds.len()).sum()
    }

    /// The thread `tid`.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    /// Every thread.
    pub fn threads(&self) -> impl Iterator<Item = &Thread> {
        self.threads.values()
    }

    /// The container `id`.
    pub fn container(&self, id: &str) -> Option<&Container> {
        self.containers.get(id)
    }

    /// Removes container `id` from the table (the live sensor, once the container is
    /// gone); whether it was there. A thread that still names it gets an empty record
    /// again at its next clone or exec, as for any unknown container.
    pub fn remove_container(&mut self, id: &str) -> bool {
        self.containers.remove(id).is_some()
    }

    /// The user `uid` (libsinsp `get_user`: none for `u32::MAX`).
    pub fn user(&self, uid: u32) -> Option<&UserInfo> {
        (uid != u32::MAX).then(|| self.users.get(&uid)).flatten()
    }

    /// The group `gid`.
    pub fn group(&self, gid: u32) -> Option<&GroupInfo> {
        (gid != u32::MAX).then(|| self.groups.get(&gid)).flatten()
    }

    /// The machine info block.
    pub fn machine(&self) -> Option<&MachineInfo> {
        self.machine.as_ref()
    }

    /// Timestamp of the first event that is not a container event.
    pub fn first_event_ts(&self) -> u64 {
        self.first_event_ts
    }

    /// What the engine knows about the current event.
    pub fn current(&self) -> &Current {
        &self.cur
    }

    /// The thread of the current event, as libsinsp's `get_thread_info` finds it: the
    /// one the parser set, else the table entry of the event's tid (no placeholder is
    /// created). `tid` is the event's thread id.
    pub fn event_thread_ref(&self, tid: i64) -> Option<ThreadRef> {
        match self.cur.thread {
            Some(r) => Some(r),
            None => self
                .threads
                .contains_key(&tid)
                .then_some(ThreadRef::Table(tid)),
        }
    }

    /// The thread behind a [`ThreadRef`].
    pub fn thread_of(&self, r: ThreadRef) -> Option<&Thread> {
        match r {
            ThreadRef::Table(tid) => self.threads.get(&tid),
            ThreadRef::ContainerEvent => self.container_thread.as_ref(),
        }
    }

    /// The fd of the current event.
    pub fn event_fd(&mut self) -> Option<&Fd> {
        let Some(ThreadRef::Table(tid)) = self.cur.thread else {
            return None;
        };
        let fd = self.cur.fd?;
        self.fd(tid, fd)
    }

    /// Fd `fd` of thread `tid` (in the table the thread uses; may create the
    /// placeholder main thread, as libsinsp's `get_fd` does).
    pub fn fd(&mut self, tid: i64, fd: i64) -> Option<&Fd> {
        if fd < 0 {
            return None;
        }
        let owner = self.fd_owner(tid)?;
        self.threads.get(&owner)?.fds.get(&fd)
    }

    /// Fd `fd` of thread `tid`, like [`fd`](Self::fd) but creating nothing: after a call
    /// of `fd` for the same thread it finds the same fd.
    pub fn fd_existing(&self, tid: i64, fd: i64) -> Option<&Fd> {
        if fd < 0 {
            return None;
        }
        let t = self.threads.get(&tid)?;
        let owner = if t.shares_fds() && !t.is_main_thread() {
            t.pid
        } else {
            tid
        };
        self.threads.get(&owner)?.fds.get(&fd)
    }

    /// The thread whose fd table `tid` uses (itself, or its process's main thread, which
    /// is created as a placeholder when missing, as [`fd`](Self::fd) does).
    pub fn fd_table_owner(&mut self, tid: i64) -> Option<i64> {
        self.fd_owner(tid)
    }

    /// Fd `fd` in the table of `owner` itself (an owner [`fd_table_owner`] gave: one
    /// lookup of the thread and one of the fd).
    ///
    /// [`fd_table_owner`]: Self::fd_table_owner
    pub fn fd_in_table_of(&self, owner: i64, fd: i64) -> Option<&Fd> {
        if fd < 0 {
            return None;
        }
        self.threads.get(&owner)?.fds.get(&fd)
    }

    /// All fds of the table thread `tid` uses.
    pub fn fd_table(&mut self, tid: i64) -> Option<&FdTable> {
        let owner = self.fd_owner(tid)?;
        self.threads.get(&owner).map(|t| &t.fds)
    }

    /// IPv4 interfaces.
    pub fn ipv4_interfaces(&self) -> &[Ipv4Interface] {
        &self.v4_ifaces
    }

    /// Sets the host name table of the `fd.cip.name`, `fd.sip.name`, `fd.lip.name` and
    /// `fd.rip.name` fields: each name with the addresses it resolves to (libsinsp's DNS
    /// manager resolves the names the rules compare with; falcoc has no resolver, so
    /// the embedder — `falcoc test` — gives the table). Empty by default: the fields
    /// are missing.
    pub fn set_host_names(&mut self, names: Vec<(String, Vec<std::net::IpAddr>)>) {
        self.host_names = names;
    }

    /// The first name of the host name table with address `addr`.
    pub fn host_name(&self, addr: std::net::IpAddr) -> Option<&str> {
        self.host_names
            .iter()
            .find(|(_, a)| a.contains(&addr))
            .map(|(n, _)| n.as_str())
    }

    /// `get_main_thread`: the tid of the main thread of `tid`'s process; creates the
    /// placeholder entry when the process is unknown, as libsinsp does.
    pub fn main_thread(&mut self, tid: i64) -> Option<i64> {
        let t = self.threads.get(&tid)?;
        if t.is_main_thread() {
            return Some(tid);
        }
        let pid = t.pid;
        self.get_thread(pid, true).then_some(pid)
    }

    /// The parent thread of `tid` (by its `ptid`), without creating anything.
    pub fn parent(&self, tid: i64) -> Option<&Thread> {
        let t = self.threads.get(&tid)?;
        self.threads.get(&t.ptid)
    }

    /// `traverse_parent_state`: the tids of the ancestors of `tid`, starting with its
    /// parent, stopping at an unknown parent, a tid of -1 or a loop.
    pub fn ancestors(&self, tid: i64) -> Vec<i64> {
        let mut out = Vec::new();
        self.for_each_ancestor(tid, |a| out.push(a));
        out
    }

    /// [`ancestors`](Self::ancestors) without the list: `f` gets each tid, in order.
    pub fn for_each_ancestor(&self, tid: i64, mut f: impl FnMut(i64)) {
        let next = |t: i64| -> Option<i64> {
            let p = self.threads.get(&t)?.ptid;
            self.threads.contains_key(&p).then_some(p)
        };
        let mut slow = next(tid);
        let mut fast = slow.and_then(next);
        while let Some(s) = slow {
            if s == -1 {
                break;
            }
            f(s);
            slow = next(s);
            for _ in 0..2 {
                fast = fast.and_then(next);
                if let Some(sl) = slow {
                    let self_loop = self.threads.get(&sl).is_some_and(|t| t.tid == t.ptid);
                    if Some(sl) == fast || self_loop {
                        return;
                    }
                }
            }
        }
    }

    /// Whether an IPv4 address (network order) is one of the host's (or, for a thread in a
    /// container, its container's) addresses (`is_ipv4addr_in_local_machine`).
    pub fn is_local_v4(&self, addr: [u8; 4], thread: Option<&Thread>) -> bool {
        let a = u32::from_be_bytes(addr);
        if let Some(t) = thread.filter(|t| !t.container_id.is_empty()) {
            if let Some(c) = self.containers.get(&t.container_id) {
                if c.ip != 0 {
                    if a == c.ip {
                        return true;
                    }
                } else if self.containers.values().any(|c| c.ip == a) {
                    return true;
                }
            }
        }
        self.v4_ifaces.iter().any(|i| i.addr.octets() == addr)
    }

    /// `is_ipv6addr_in_local_machine`: the first 64 bits match an interface's.
    pub fn is_local_v6(&self, addr: [u8; 16], thread: Option<&Thread>) -> bool {
        if thread.is_some_and(|t| !t.container_id.is_empty()) {
            return false;
        }
        self.v6_ifaces
            .iter()
            .any(|i| i.addr.octets()[..8] == addr[..8])
    }

    /// Processes one event: the delayed removals of the previous event, libsinsp's
    /// per-event reset and the state update of the event's parser. Afterwards
    /// [`current`](Self::current) describes the event for field extraction.
    pub fn process(&mut self, evt: &EventRef<'_>) -> Processed {
        let code = evt.code;
        let is_container_evt = matches!(
            code,
            PPME_CONTAINER_JSON_E | PPME_CONTAINER_JSON_2_E | PPME_CONTAINER_E
        );
        let initial = !self.imported && self.pending.is_some() && is_container_evt;
        if !self.imported && !initial {
            self.import();
        }
        self.stats.events += 1;
        if self.first_event_ts == 0
            && code != PPME_CONTAINER_JSON_E
            && code != PPME_CONTAINER_JSON_2_E
        {
            self.first_event_ts = evt.ts;
        }
        self.last_event_ts = evt.ts;
        if let Some(tid) = self.tid_to_remove.take() {
            self.remove_thread(tid, false);
        }
        if !self.fds_to_remove.is_empty() {
            let tid = self.tid_of_fds_to_remove;
            let owner = if self.get_thread(tid, true) {
                self.fd_owner(tid)
            } else {
                None
            };
            if let Some(t) = owner.and_then(|o| self.threads.get_mut(&o)) {
                for fd in &self.fds_to_remove {
                    if let Some(f) = t.fds.remove(fd) {
                        self.stats.fds_removed += 1;
                        self.pool.put_fd(f);
                    }
                }
            }
            self.fds_to_remove.clear();
        }
        self.parse(evt);
        if evt.flags & DF_STATE_ONLY != 0 || initial {
            self.cur.filtered_out = true;
        }
        let desc = evtable::event(code);
        let internal = desc.is_some_and(|d| d.category & evtable::EC_INTERNAL != 0);
        Processed {
            visible: !self.cur.filtered_out && !internal,
            internal,
            filtered_out: self.cur.filtered_out,
        }
    }

    /// Imports the thread table from the pending metadata (`import_thread_table`,
    /// `create_child_dependencies`, `fix_sockets_coming_from_proc`).
    fn import(&mut self) {
        self.imported = true;
        let Some(meta) = self.pending.take() else {
            return;
        };
        let mut fd_lists: HashMap<i64, &falcoc_scap::FdList> = HashMap::new();
        for l in &meta.fds {
            fd_lists.insert(l.tid, l);
        }
        let mut ports = Vec::new();
        for p in &meta.processes {
            let mut t = Thread::from_process(p);
            if let Some(list) = fd_lists.get(&p.tid) {
                for fi in &list.fds {
                    if t.fds.len() >= self.opts.max_fds {
                        break;
                    }
                    if let Some(fd) = Fd::from_scap(fi, &mut ports) {
                        t.fds.insert(fi.fd, fd);
                    }
                }
            }
            self.resolve_container(&mut t);
            if self.threads.len() >= self.opts.max_threads {
                self.stats.thread_drops += 1;
                continue;
            }
            self.stats.threads_added += 1;
            self.threads.insert(t.tid, t);
        }
        self.server_ports.extend(ports);
        // Categories (the parent may have been added after the child).
        let tids: Vec<i64> = self.threads.keys().copied().collect();
        for tid in &tids {
            self.identify_category(*tid);
        }
        // create_child_dependencies
        for tid in &tids {
            self.increment_mainthread_childcount(*tid);
        }
        // fix_sockets_coming_from_proc
        let server_ports = std::mem::take(&mut self.server_ports);
        for t in self.threads.values_mut() {
            for fd in t.fds.values_mut() {
                if fd.ty != falcoc_scap::FdType::Ipv4Sock {
                    continue;
                }
                if server_ports.contains(&fd.sock.v4_sport()) {
                    fd.swap_addresses();
                    fd.name = fd::ipv4_tuple_string(&fd.sock);
                    fd.flags |= fd::FLAG_ROLE_SERVER;
                } else {
                    fd.flags |= fd::FLAG_ROLE_CLIENT;
                }
            }
        }
        self.server_ports = server_ports;
    }

    /// Adds a thread that a live source read from `/proc`, with its fds: libsinsp's
    /// lookup of a thread its table does not know (`query_os`). A tid already in the
    /// table is left alone. Returns whether the thread was added.
    pub fn add_process(&mut self, p: &ProcessInfo, fds: Option<&FdList>) -> bool {
        if self.threads.contains_key(&p.tid) {
            return false;
        }
        let mut t = Thread::from_process(p);
        let mut ports = Vec::new();
        for fi in fds.map(|l| l.fds.as_slice()).unwrap_or_default() {
            if t.fds.len() >= self.opts.max_fds {
                break;
            }
            if let Some(fd) = Fd::from_scap(fi, &mut ports) {
                t.fds.insert(fi.fd, fd);
            }
        }
        self.server_ports.extend(ports);
        self.resolve_container(&mut t);
        let tid = t.tid;
        if !self.add_thread(t) {
            return false;
        }
        self.identify_category(tid);
        true
    }

    /// `increment_mainthread_childcount`.
    fn increment_mainthread_childcount(&mut self, tid: i64) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        if t.flags & thread::CL_CLONE_THREAD == 0 {
            return;
        }
        let pid = t.pid;
        if self.get_thread(pid, true) {
            if let Some(m) = self.threads.get_mut(&pid) {
                m.nchilds += 1;
            }
        }
    }

    /// `get_thread_ref(tid, query_os)`: whether `tid` is in the table, creating the
    /// placeholder entry when `create` is set.
    fn get_thread(&mut self, tid: i64, create: bool) -> bool {
        if self.threads.contains_key(&tid) {
            return true;
        }
        if !create || self.threads.len() >= self.opts.max_threads {
            return false;
        }
        let mut t = Thread::unknown(tid);
        t.nchilds = self.threads.values().filter(|o| o.pid == tid).count() as u64;
        self.stats.unknown_threads += 1;
        self.stats.threads_added += 1;
        self.threads.insert(tid, t);
        true
    }

    /// `add_thread` (not from the process list): counts the thread in its main thread.
    fn add_thread(&mut self, t: Thread) -> bool {
        if self.threads.len() >= self.opts.max_threads {
            self.stats.thread_drops += 1;
            return false;
        }
        let tid = t.tid;
        self.threads.insert(tid, t);
        self.stats.threads_added += 1;
        self.increment_mainthread_childcount(tid);
        true
    }

    /// `remove_thread(tid, force)`.
    fn remove_thread(&mut self, tid: i64, force: bool) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let nchilds = t.nchilds;
        if nchilds != 0 && !force {
            return;
        }
        if t.flags & thread::CL_CLONE_THREAD != 0 {
            let pid = t.pid;
            if let Some(m) = self.threads.get_mut(&pid) {
                m.nchilds = m.nchilds.saturating_sub(1);
            }
        }
        if let Some(mut t) = self.threads.remove(&tid) {
            self.stats.threads_removed += 1;
            self.stats.fds_removed += t.fds.len() as u64;
            if let Some(ev) = t.lastevent.take() {
                self.recycle(ev);
            }
            self.pool.put_thread(t);
        }
        if nchilds != 0 {
            // recreate_child_dependencies
            for t in self.threads.values_mut() {
                t.nchilds = 0;
            }
            let tids: Vec<i64> = self.threads.keys().copied().collect();
            for tid in tids {
                self.increment_mainthread_childcount(tid);
            }
        }
    }

    /// The thread whose fd table `tid` uses (`get_fd_table`).
    fn fd_owner(&mut self, tid: i64) -> Option<i64> {
        let t = self.threads.get(&tid)?;
        // A main thread's table is its own (what `main_thread` finds, without a second
        // lookup).
        if !t.shares_fds() || t.is_main_thread() {
            return Some(tid);
        }
        let pid = t.pid;
        self.get_thread(pid, true).then_some(pid)
    }

    /// `get_cwd`: the working directory of the process.
    fn cwd(&mut self, tid: i64) -> String {
        let mut out = String::new();
        self.cwd_into(tid, &mut out);
        out
    }

    /// [`cwd`](Self::cwd), appended to `out`.
    fn cwd_into(&mut self, tid: i64, out: &mut String) {
        match self.main_thread(tid) {
            Some(m) => {
                if let Some(t) = self.threads.get(&m) {
                    out.push_str(&t.cwd);
                }
            }
            None => out.push_str("./"),
        }
    }

    /// The working directory of `tid`'s process (`proc.cwd`).
    pub fn process_cwd(&mut self, tid: i64) -> String {
        self.cwd(tid)
    }

    /// [`process_cwd`](Self::process_cwd), borrowed.
    pub fn process_cwd_ref(&mut self, tid: i64) -> &str {
        match self.main_thread(tid) {
            Some(m) => self.threads.get(&m).map_or("", |t| t.cwd.as_str()),
            None => "./",
        }
    }

    /// [`process_env`](Self::process_env), borrowed.
    pub fn process_env_ref(&mut self, tid: i64) -> &[String] {
        let m = self.main_thread(tid).unwrap_or(tid);
        self.threads.get(&m).map_or(&[], |t| t.env.as_slice())
    }

    /// The environment of `tid`'s process (`get_env`).
    pub fn process_env(&mut self, tid: i64) -> Vec<String> {
        let m = self.main_thread(tid).unwrap_or(tid);
        self.threads
            .get(&m)
            .map(|t| t.env.clone())
            .unwrap_or_default()
    }

    /// `resolve_container` (capture mode): the container id from the cgroups; an unknown
    /// container gets an empty record. [`identify_category`](Self::identify_category)
    /// follows once the thread is in the table.
    fn resolve_container(&mut self, t: &mut Thread) {
        t.container_id.clear();
        if let Some((id, ty)) = container::container_id_in_cgroups(&t.cgroups) {
            if !self.containers.contains_key(id) {
                self.containers
                    .insert(id.to_string(), Container::empty(id, ty));
            }
            t.container_id.push_str(id);
        }
    }

    /// [`Thread::set_cgroups`] in the pool's buffers.
    fn set_cgroups_pooled<'a>(
        pool: &mut pool::Pool,
        t: &mut Thread,
        items: impl IntoIterator<Item = &'a [u8]>,
    ) {
        pool.clear_pairs(&mut t.cgroups);
        for item in items {
            let Some(sep) = item.iter().rposition(|&b| b == b'=') else {
                return;
            };
            let mut subsys = pool.string();
            let name = &item[..sep];
            // The first "_cgroup" is dropped (`cpuset_cgroup` → `cpuset`).
            match name.windows(7).position(|w| w == b"_cgroup") {
                Some(p) => {
                    pool::push_lossy(&mut subsys, &name[..p]);
                    pool::push_lossy(&mut subsys, &name[p + 7..]);
                }
                None => pool::push_lossy(&mut subsys, name),
            }
            let renamed = match subsys.as_str() {
                "perf" => Some("perf_event"),
                "mem" => Some("memory"),
                "io" => Some("blkio"),
                _ => None,
            };
            if let Some(r) = renamed {
                subsys.clear();
                subsys.push_str(r);
            }
            let mut path = pool.string();
            pool::push_lossy(&mut path, &item[sep + 1..]);
            t.cgroups.push((subsys, path));
        }
    }

    /// `identify_category` for a thread of the table (health probes of its container).
    fn identify_category(&mut self, tid: i64) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        if t.container_id.is_empty() {
            return;
        }
        if t.vpid == 1 {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.category = Category::Container;
            }
            return;
        }
        if let Some(p) = self.threads.get(&t.ptid) {
            if p.category != Category::None {
                let c = p.category;
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.category = c;
                }
                return;
            }
        }
        let Some(c) = self.containers.get(&t.container_id) else {
            return;
        };
        if !c.is_successful() {
            return;
        }
        let Some(probe) = c.probes.iter().find(|p| p.exe == t.exe && p.args == t.args) else {
            return;
        };
        let kind = probe.kind;
        let under_init = self.ancestors(tid).iter().any(|a| {
            self.threads
                .get(a)
                .is_some_and(|p| p.vpid == 1 && !p.container_id.is_empty())
        });
        if !under_init {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.category = match kind {
                    container::ProbeKind::Healthcheck => Category::Healthcheck,
                    container::ProbeKind::Liveness => Category::LivenessProbe,
                    container::ProbeKind::Readiness => Category::ReadinessProbe,
                };
            }
        }
    }

    fn recycle(&mut self, mut ev: thread::StoredEvent) {
        if self.spare.len() < 64 {
            ev.values.clear();
            ev.bounds.clear();
            self.spare.push(ev);
        }
    }
}
