//! Threads: libsinsp's `sinsp_threadinfo` (identity, program, credentials, namespaces,
//! cgroups, fd table and the per-thread parsing context).

use rustc_hash::FxHashMap;

use super::fd::Fd;
use falcoc_scap::ProcessInfo;

/// A thread's fd table, by fd number (a fast hash: the keys are small kernel-assigned
/// numbers, looked up on every event).
pub type FdTable = FxHashMap<i64, Fd>;

/// `PPM_CL_CLONE_FILES`: the thread shares its process's fd table.
pub const CL_CLONE_FILES: u32 = 1 << 0;
/// `PPM_CL_CLONE_THREAD`: a thread, not a new process.
pub const CL_CLONE_THREAD: u32 = 1 << 13;
/// `PPM_CL_IS_MAIN_THREAD`.
pub const CL_IS_MAIN_THREAD: u32 = 1 << 30;
/// `PPM_CL_CLONE_INVERTED`: the child's clone exit came before the parent's.
pub const CL_CLONE_INVERTED: u32 = 1 << 16;
/// `PPM_CL_NAME_CHANGED`.
pub const CL_NAME_CHANGED: u32 = 1 << 17;
/// `PPM_CL_CLOSED`: the thread exited.
pub const CL_CLOSED: u32 = 1 << 18;
/// `PPM_CL_ACTIVE`.
pub const CL_ACTIVE: u32 = 1 << 19;
/// `PPM_CL_PIPE_SRC`.
pub const CL_PIPE_SRC: u32 = 1 << 21;
/// `PPM_CL_PIPE_DST`.
pub const CL_PIPE_DST: u32 = 1 << 22;
/// `PPM_CL_CHILD_IN_PIDNS`: the child lives in a new pid namespace.
pub const CL_CHILD_IN_PIDNS: u32 = 1 << 29;

/// What a process is, as far as container health probes go (`sinsp_threadinfo` category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Category {
    /// Nothing special.
    #[default]
    None,
    /// The first process of a container.
    Container,
    /// A docker health check.
    Healthcheck,
    /// A Kubernetes liveness probe.
    LivenessProbe,
    /// A Kubernetes readiness probe.
    ReadinessProbe,
}

/// An enter event kept for its exit event (libsinsp `store_event`).
#[derive(Debug, Clone, Default)]
pub struct StoredEvent {
    /// Event code.
    pub code: u16,
    /// Parameter values, concatenated.
    pub values: Vec<u8>,
    /// `nparams + 1` offsets into `values`.
    pub bounds: Vec<u32>,
}

impl StoredEvent {
    /// The raw bytes of parameter `i`.
    pub fn param(&self, i: usize) -> Option<&[u8]> {
        let (s, e) = (*self.bounds.get(i)?, *self.bounds.get(i + 1)?);
        self.values.get(s as usize..e as usize)
    }

    /// Number of parameters.
    pub fn nparams(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }
}

/// One thread.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    /// Thread id.
    pub tid: i64,
    /// Process id.
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Session id.
    pub sid: i64,
    /// Process group id in the thread's pid namespace.
    pub vpgid: i64,
    /// Command name (`proc.name`).
    pub comm: String,
    /// `argv[0]` (`proc.exe`).
    pub exe: String,
    /// Executable path (`proc.exepath`).
    pub exepath: String,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    /// Environment (kept on main threads).
    pub env: Vec<String>,
    /// Working directory, with a trailing `/` (kept on main threads).
    pub cwd: String,
    /// `PPM_CL_*` flags.
    pub flags: u32,
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// Audit login uid (`u32::MAX`: unset).
    pub loginuid: u32,
    /// Controlling terminal.
    pub tty: u32,
    /// Thread id in its pid namespace (-1: unknown).
    pub vtid: i64,
    /// Process id in its pid namespace (-1: unknown).
    pub vpid: i64,
    /// Fd limit.
    pub fdlimit: i64,
    /// When the thread was created by a clone event (ns; 0 = unknown).
    pub clone_ts: u64,
    /// Cgroups: `(subsystem, path)`.
    pub cgroups: Vec<(String, String)>,
    /// Root directory.
    pub root: String,
    /// Container id (empty: host).
    pub container_id: String,
    /// Health-probe category.
    pub category: Category,
    /// The executable is writable by its user.
    pub exe_writable: bool,
    /// Capability sets (inheritable, permitted, effective).
    pub caps: [u64; 3],
    /// The executable is in an overlayfs upper layer.
    pub exe_upper_layer: bool,
    /// The executable is in an overlayfs lower layer.
    pub exe_lower_layer: bool,
    /// The executable was loaded from a memfd.
    pub exe_from_memfd: bool,
    /// Inode, ctime and mtime of the executable.
    pub exe_ino: [u64; 3],
    /// Start of the pid namespace's init process.
    pub pidns_init_start_ts: u64,
    /// Virtual memory, resident and swapped memory (KiB).
    pub vm: [u32; 3],
    /// Major and minor page faults.
    pub pf: [u64; 2],
    /// Live threads of the process besides the main one (main threads only).
    pub nchilds: u64,
    /// The fd table (used unless the thread shares its process's table).
    pub fds: FdTable,
    /// The fd of the last event (libsinsp `m_lastevent_fd`).
    pub lastevent_fd: i64,
    /// The code of the last enter event (-1 none).
    pub lastevent_type: i32,
    /// The stored enter event, if any.
    pub lastevent: Option<StoredEvent>,
    /// Whether the stored enter event belongs to the current exit event.
    pub lastevent_valid: bool,
    /// Timestamp of the last enter event (latency).
    pub last_enter_ts: u64,
    /// Latency of the last exit event (ns).
    pub latency: u64,
    /// Timestamp of the thread's last event.
    pub lastevent_ts: u64,
    /// Timestamp of the event before.
    pub prevevent_ts: u64,
}

impl Thread {
    /// A thread initialised like libsinsp's `sinsp_threadinfo::init()`.
    pub fn blank(tid: i64) -> Thread {
        Thread {
            tid,
            pid: -1,
            ptid: 0,
            sid: -1,
            vpgid: -1,
            flags: CL_NAME_CHANGED,
            fdlimit: -1,
            vtid: -1,
            vpid: -1,
            lastevent_type: -1,
            ..Thread::default()
        }
    }

    /// The entry libsinsp adds for a thread it knows nothing about (a failed lookup):
    /// comm and exe `<NA>`, uid/gid/loginuid unset, its own process, no parent.
    pub fn unknown(tid: i64) -> Thread {
        Thread {
            pid: tid,
            ptid: -1,
            comm: "<NA>".to_string(),
            exe: "<NA>".to_string(),
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            ..Thread::blank(tid)
        }
    }

    /// A thread of the capture's process list (`sinsp_threadinfo::init(scap_threadinfo*)`,
    /// without the fds and the container resolution).
    pub fn from_process(p: &ProcessInfo) -> Thread {
        let mut t = Thread::blank(p.tid);
        t.pid = p.pid;
        t.ptid = p.ptid;
        t.sid = p.sid;
        t.vpgid = p.vpgid;
        t.comm = p.comm.clone();
        t.exe = p.exe.clone();
        t.exepath = p.exepath.clone();
        t.exe_writable = p.exe_writable;
        t.args = p.args.clone();
        if t.is_main_thread() {
            t.env = p.env.clone();
            t.cwd = super::paths::join("", &p.cwd);
            if !t.cwd.ends_with('/') {
                t.cwd.push('/');
            }
        }
        t.flags |= p.flags | CL_ACTIVE;
        t.fdlimit = p.fdlimit as i64;
        t.uid = p.uid;
        t.gid = p.gid;
        t.vm = [p.vmsize_kb, p.vmrss_kb, p.vmswap_kb];
        t.pf = [p.pfmajor, p.pfminor];
        t.vtid = p.vtid;
        t.vpid = p.vpid;
        t.tty = p.tty;
        t.loginuid = p.loginuid;
        t.caps = [p.cap_inheritable, p.cap_permitted, p.cap_effective];
        t.exe_upper_layer = p.exe_upper_layer;
        t.exe_lower_layer = p.exe_lower_layer;
        t.exe_from_memfd = p.exe_from_memfd;
        t.exe_ino = [p.exe_ino, p.exe_ino_ctime, p.exe_ino_mtime];
        t.pidns_init_start_ts = p.pidns_init_start_ts;
        t.set_cgroups(p.cgroups.iter().map(String::as_bytes));
        t.root = p.root.clone();
        t
    }

    /// `is_main_thread`.
    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid || self.flags & CL_IS_MAIN_THREAD != 0
    }

    /// Whether the thread uses its process's fd table.
    pub fn shares_fds(&self) -> bool {
        self.flags & CL_CLONE_FILES != 0
    }

    /// `populate_cmdline`: comm, then each argument after a blank.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// The arguments joined with blanks (`proc.args`).
    pub fn args_line(&self) -> String {
        self.args.join(" ")
    }

    /// `set_args` from a NUL-separated buffer.
    pub fn set_args(&mut self, raw: &[u8]) {
        self.args = split_strings(raw);
    }

    /// `set_env` from a NUL-separated buffer ([`env_entries`]).
    pub fn set_env(&mut self, raw: &[u8]) {
        self.env = env_entries(raw).map(lossy).collect();
    }

    /// `set_cgroups` from `subsys=path` strings, with libsinsp's subsystem renames.
    pub fn set_cgroups<'a>(&mut self, items: impl IntoIterator<Item = &'a [u8]>) {
        self.cgroups.clear();
        for item in items {
            let Some(sep) = item.iter().rposition(|&b| b == b'=') else {
                return;
            };
            let mut subsys = String::from_utf8_lossy(&item[..sep]).into_owned();
            let path = String::from_utf8_lossy(&item[sep + 1..]).into_owned();
            if let Some(p) = subsys.find("_cgroup") {
                subsys.replace_range(p..p + 7, "");
            }
            let subsys = match subsys.as_str() {
                "perf" => "perf_event".to_string(),
                "mem" => "memory".to_string(),
                "io" => "blkio".to_string(),
                _ => subsys,
            };
            self.cgroups.push((subsys, path));
        }
    }

    /// `get_env(name)`: the value of a variable, blanks trimmed, empty if unset.
    pub fn env_value<'a>(env: &'a [String], name: &str) -> &'a str {
        for var in env {
            if var.len() > name.len() + 1
                && var.as_bytes()[name.len()] == b'='
                && var.starts_with(name)
            {
                return var[name.len() + 1..].trim_matches(' ');
            }
        }
        ""
    }

    /// `get_cgroup(subsys)`: `/` when absent.
    pub fn cgroup(&self, subsys: &str) -> &str {
        self.cgroups
            .iter()
            .find(|(s, _)| s == subsys)
            .map_or("/", |(_, p)| p)
    }
}

/// Splits a NUL-separated buffer into strings ([`nul_separated`]).
pub fn split_strings(raw: &[u8]) -> Vec<String> {
    nul_separated(raw).map(lossy).collect()
}

/// The NUL-separated items of `raw`: a final NUL ends the last one, an empty item stays
/// (libsinsp's `set_args` loop).
pub fn nul_separated(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = raw;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        Some(next_item(&mut rest))
    })
}

/// The environment variables of `raw`: [`nul_separated`], stopping where only NULs remain
/// (libsinsp's `set_env` loop).
pub fn env_entries(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = raw;
    std::iter::from_fn(move || {
        if rest.is_empty() || (rest[0] == 0 && rest.iter().all(|&b| b == 0)) {
            return None;
        }
        Some(next_item(&mut rest))
    })
}

/// Takes the item up to the next NUL (or the end) off the non-empty `rest`.
fn next_item<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let item = &rest[..end];
    *rest = rest.get(end + 1..).unwrap_or_default();
    item
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_env_cgroups() {
        let mut t = Thread::blank(1);
        t.set_args(b"-c\0ls -l\0");
        assert_eq!(t.args, vec!["-c", "ls -l"]);
        t.set_env(b"A=1\0B= x \0\0\0\0");
        assert_eq!(t.env, vec!["A=1", "B= x "]);
        assert_eq!(Thread::env_value(&t.env, "B"), "x");
        assert_eq!(Thread::env_value(&t.env, "C"), "");
        t.set_cgroups([b"cpu=/docker/x".as_slice(), b"name=systemd=/a".as_slice()]);
        assert_eq!(t.cgroup("cpu"), "/docker/x");
        assert_eq!(t.cgroups[1], ("name=systemd".to_string(), "/a".to_string()));
        t.comm = "bash".into();
        assert_eq!(t.cmdline(), "bash -c ls -l");
    }
}
