//! The machine's state at start, read from `/proc` and `/etc` as libscap reads it when a
//! live capture opens: every thread (ids, command, arguments, working directory,
//! credentials, terminal, cgroups, environment), each process's fds (files with their
//! open flags, directories, pipes, IPv4/IPv6/unix sockets matched through
//! `/proc/net`), users and groups, network interfaces and machine information. The
//! result is a capture [`Metadata`], so a live sensor starts its state exactly as a
//! replay starts from a capture's header blocks.
//!
//! Every read is best effort: a process that exits during the scan, or a file that
//! cannot be read, leaves its entry out or its field at libscap's default.

use std::collections::HashMap;
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use falcoc_scap::{
    FdDetails, FdInfo, FdList, FdType, GroupInfo, InterfaceList, Ipv4Interface, Ipv6Interface,
    MachineInfo, Metadata, ProcessInfo, UserInfo, UserList,
};

use crate::convert::open_flags_to_ppm;

/// Largest environment kept per process (bytes), as the driver bounds it.
pub const MAX_ENV: usize = 4096;
/// Largest command line kept per process (bytes).
pub const MAX_ARGS: usize = 4096;
/// `PPM_CL_IS_MAIN_THREAD`.
const CL_IS_MAIN_THREAD: u32 = 0x2000_0000;
/// `PPM_CL_CLONE_THREAD`.
const CL_CLONE_THREAD: u32 = 0x2000;

/// A `/proc` tree (the real one, or a copy in tests) and `/etc` for users and groups.
#[derive(Debug, Clone)]
pub struct ProcFs {
    proc: PathBuf,
    etc: PathBuf,
    /// The cgroup v2 controllers (`cgroup.controllers`), used as the subsystem names of
    /// unified-hierarchy entries.
    v2_controllers: Vec<String>,
}

impl Default for ProcFs {
    fn default() -> ProcFs {
        ProcFs::new("/proc", "/etc")
    }
}

/// Sockets of `/proc/net`, by inode.
#[derive(Debug, Clone, Default)]
pub struct SocketTable {
    by_inode: HashMap<u64, (FdType, FdDetails)>,
}

impl ProcFs {
    /// A tree rooted at `proc` (normally `/proc`), with users and groups from `etc`.
    pub fn new(proc: impl Into<PathBuf>, etc: impl Into<PathBuf>) -> ProcFs {
        let v2_controllers = fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        ProcFs {
            proc: proc.into(),
            etc: etc.into(),
            v2_controllers,
        }
    }

    fn path(&self, parts: &[&str]) -> PathBuf {
        let mut p = self.proc.clone();
        for part in parts {
            p.push(part);
        }
        p
    }

    /// Everything libscap reads at start: threads and fds, users, interfaces, machine.
    pub fn scan(&self) -> Metadata {
        let sockets = self.sockets();
        let mut processes = Vec::new();
        let mut fds = Vec::new();
        for pid in self.pids() {
            let tids = self.tids(pid);
            let mut main_thread = false;
            for tid in tids {
                if let Some(p) = self.thread(pid, tid) {
                    main_thread |= tid == pid;
                    processes.push(p);
                }
            }
            // A process that exited while the scan ran has no thread entry, and libscap
            // skips its fds with it: a capture's fd list must name a thread of the
            // process list (sysdig refuses the file otherwise).
            if main_thread {
                fds.push(self.fds(pid, &sockets));
            }
        }
        Metadata {
            section: None,
            machine: Some(self.machine()),
            processes,
            fds,
            interfaces: Some(interfaces()),
            users: Some(self.users()),
        }
    }

    /// The process ids under the tree.
    pub fn pids(&self) -> Vec<i64> {
        numeric_entries(&self.proc)
    }

    fn tids(&self, pid: i64) -> Vec<i64> {
        numeric_entries(&self.path(&[&pid.to_string(), "task"]))
    }

    /// One thread of a process, or `None` when it is gone.
    pub fn thread(&self, pid: i64, tid: i64) -> Option<ProcessInfo> {
        let (pid_s, tid_s) = (pid.to_string(), tid.to_string());
        let task = self.path(&[&pid_s, "task", &tid_s]);
        let stat = fs::read_to_string(task.join("stat")).ok()?;
        let status = fs::read_to_string(task.join("status")).ok()?;
        let mut p = ProcessInfo::empty(9);
        p.tid = tid;
        p.pid = pid;
        let st = parse_stat(&stat)?;
        p.comm = st.comm;
        p.ptid = st.ppid;
        p.vpgid = st.pgrp;
        p.pgid = st.pgrp;
        p.sid = st.session;
        p.tty = st.tty;
        p.pfminor = st.minflt;
        p.pfmajor = st.majflt;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let nth = |name: &str, i: usize| field(name)?.split_whitespace().nth(i)?.parse().ok();
        p.uid = nth("Uid", 1).unwrap_or(0);
        p.gid = nth("Gid", 1).unwrap_or(0);
        p.vtid = field("NSpid")
            .and_then(|v| v.split_whitespace().last()?.parse().ok())
            .unwrap_or(tid);
        p.vpid = field("NStgid")
            .and_then(|v| v.split_whitespace().last()?.parse().ok())
            .unwrap_or(pid);
        let kb = |name: &str| nth(name, 0).unwrap_or(0u32);
        (p.vmsize_kb, p.vmrss_kb, p.vmswap_kb) = (kb("VmSize"), kb("VmRSS"), kb("VmSwap"));
        let cap = |name: &str| field(name).and_then(|v| u64::from_str_radix(v, 16).ok());
        p.cap_inheritable = cap("CapInh").unwrap_or(0);
        p.cap_permitted = cap("CapPrm").unwrap_or(0);
        p.cap_effective = cap("CapEff").unwrap_or(0);
        p.loginuid = fs::read_to_string(self.path(&[&pid_s, "loginuid"]))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(u32::MAX);
        let (exe, args) = self.cmdline(pid);
        p.exe = exe.unwrap_or_else(|| p.comm.clone());
        p.args = args;
        p.exepath = self.link(pid, "exe").unwrap_or_default();
        p.cwd = self.link(pid, "cwd").unwrap_or_default();
        p.root = self.link(pid, "root").unwrap_or_default();
        p.env = self.environ(pid);
        p.cgroups = self.cgroups(pid);
        p.fdlimit = self.fd_limit(pid);
        p.flags = if tid == pid {
            CL_IS_MAIN_THREAD
        } else {
            CL_CLONE_THREAD
        };
        Some(p)
    }

    /// `argv[0]` and the other arguments of a process (bounded by [`MAX_ARGS`]).
    pub fn cmdline(&self, pid: i64) -> (Option<String>, Vec<String>) {
        let Ok(raw) = fs::read(self.path(&[&pid.to_string(), "cmdline"])) else {
            return (None, Vec::new());
        };
        let raw = &raw[..raw.len().min(MAX_ARGS)];
        let mut items = raw
            .split(|&b| b == 0)
            .map(|s| String::from_utf8_lossy(s).into_owned());
        let exe = items.next().filter(|s| !s.is_empty());
        let mut args: Vec<String> = items.collect();
        if args.last().is_some_and(String::is_empty) {
            args.pop();
        }
        (exe, args)
    }

    /// The target of `/proc/<pid>/<name>` (`exe`, `cwd`, `root`).
    pub fn link(&self, pid: i64, name: &str) -> Option<String> {
        let t = fs::read_link(self.path(&[&pid.to_string(), name])).ok()?;
        Some(t.to_string_lossy().into_owned())
    }

    /// The environment (`NAME=value` items, bounded by [`MAX_ENV`]).
    pub fn environ(&self, pid: i64) -> Vec<String> {
        let Ok(raw) = fs::read(self.path(&[&pid.to_string(), "environ"])) else {
            return Vec::new();
        };
        raw[..raw.len().min(MAX_ENV)]
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    /// The cgroups as `subsystem=path` items (a cgroup v2 path once per controller).
    pub fn cgroups(&self, pid: i64) -> Vec<String> {
        let Ok(text) = fs::read_to_string(self.path(&[&pid.to_string(), "cgroup"])) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if ctrls.is_empty() {
                if self.v2_controllers.is_empty() {
                    out.push(format!("cpuset={path}"));
                }
                for c in &self.v2_controllers {
                    out.push(format!("{c}={path}"));
                }
            } else {
                for c in ctrls.split(',') {
                    let c = c.strip_prefix("name=").unwrap_or(c);
                    out.push(format!("{c}={path}"));
                }
            }
        }
        out
    }

    fn fd_limit(&self, pid: i64) -> u64 {
        let Ok(text) = fs::read_to_string(self.path(&[&pid.to_string(), "limits"])) else {
            return 0;
        };
        text.lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
            .unwrap_or(0)
    }

    /// The fds of a process; sockets are described from `sockets`.
    pub fn fds(&self, pid: i64, sockets: &SocketTable) -> FdList {
        let pid_s = pid.to_string();
        let dir = self.path(&[&pid_s, "fd"]);
        let mut fds = Vec::new();
        for fd in numeric_entries(&dir) {
            let Ok(target) = fs::read_link(dir.join(fd.to_string())) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            if let Some(info) = self.fd_info(pid, fd, &target, sockets) {
                fds.push(info);
            }
        }
        FdList {
            version: 2,
            tid: pid,
            fds,
        }
    }

    fn fd_info(&self, pid: i64, fd: i64, target: &str, sockets: &SocketTable) -> Option<FdInfo> {
        let inode_of = |prefix: &str| -> Option<u64> {
            target.strip_prefix(prefix)?.strip_suffix(']')?.parse().ok()
        };
        if let Some(ino) = inode_of("socket:[") {
            let (ty, details) = sockets.by_inode.get(&ino).cloned()?;
            return Some(FdInfo {
                fd,
                ino,
                ty,
                details,
            });
        }
        if let Some(ino) = inode_of("pipe:[") {
            return Some(FdInfo {
                fd,
                ino,
                ty: FdType::Fifo,
                details: FdDetails::Named {
                    name: target.to_string(),
                },
            });
        }
        if let Some(kind) = target.strip_prefix("anon_inode:") {
            let ty = match kind.trim_matches(|c| c == '[' || c == ']') {
                "eventfd" => FdType::Event,
                "signalfd" => FdType::Signalfd,
                "eventpoll" => FdType::Eventpoll,
                "inotify" => FdType::Inotify,
                "timerfd" => FdType::Timerfd,
                "bpf-map" | "bpf-prog" | "bpf_link" => FdType::Bpf,
                "userfaultfd" => FdType::Userfaultfd,
                "io_uring" => FdType::Iouring,
                "[pidfd]" | "pidfd" => FdType::Pidfd,
                _ => FdType::Unknown,
            };
            return Some(FdInfo {
                fd,
                ino: 0,
                ty,
                details: FdDetails::Named {
                    name: target.to_string(),
                },
            });
        }
        let fdinfo = fs::read_to_string(self.path(&[&pid.to_string(), "fdinfo", &fd.to_string()]))
            .unwrap_or_default();
        let flags = fdinfo
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            .unwrap_or(0);
        let ino = fdinfo
            .lines()
            .find_map(|l| l.strip_prefix("ino:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if Path::new(target).is_dir() {
            return Some(FdInfo {
                fd,
                ino,
                ty: FdType::Directory,
                details: FdDetails::Named {
                    name: target.to_string(),
                },
            });
        }
        Some(FdInfo {
            fd,
            ino,
            ty: FdType::FileV2,
            details: FdDetails::File {
                open_flags: open_flags_to_ppm(flags),
                name: target.to_string(),
                dev: 0,
            },
        })
    }

    /// The sockets of `/proc/net` (tcp, udp, raw, their IPv6 forms, unix), by inode.
    pub fn sockets(&self) -> SocketTable {
        let mut t = SocketTable::default();
        for (file, l4) in [("tcp", 2u8), ("udp", 3), ("raw", 5)] {
            for v6 in [false, true] {
                let name = if v6 {
                    format!("{file}6")
                } else {
                    file.to_string()
                };
                let Ok(text) = fs::read_to_string(self.path(&["net", &name])) else {
                    continue;
                };
                for line in text.lines().skip(1) {
                    if let Some((ino, e)) = parse_inet_socket(line, v6, l4) {
                        t.by_inode.insert(ino, e);
                    }
                }
            }
        }
        if let Ok(text) = fs::read_to_string(self.path(&["net", "unix"])) {
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                let (Some(addr), Some(ino)) = (f.first(), f.get(6)) else {
                    continue;
                };
                let (Ok(source), Ok(ino)) = (
                    u64::from_str_radix(addr.trim_end_matches(':'), 16),
                    ino.parse::<u64>(),
                ) else {
                    continue;
                };
                let name = f.get(7).map_or(String::new(), |s| s.to_string());
                t.by_inode.insert(
                    ino,
                    (
                        FdType::UnixSock,
                        FdDetails::Unix {
                            source,
                            dest: 0,
                            name,
                        },
                    ),
                );
            }
        }
        t
    }

    /// Users and groups of `/etc/passwd` and `/etc/group`.
    pub fn users(&self) -> UserList {
        let mut list = UserList::default();
        if let Ok(text) = fs::read_to_string(self.etc.join("passwd")) {
            for line in text.lines() {
                let f: Vec<&str> = line.split(':').collect();
                if f.len() < 7 {
                    continue;
                }
                let (Ok(uid), Ok(gid)) = (f[2].parse(), f[3].parse()) else {
                    continue;
                };
                list.users.push(UserInfo {
                    uid,
                    gid,
                    name: f[0].to_string(),
                    homedir: f[5].to_string(),
                    shell: f[6].to_string(),
                });
            }
        }
        if let Ok(text) = fs::read_to_string(self.etc.join("group")) {
            for line in text.lines() {
                let f: Vec<&str> = line.split(':').collect();
                if f.len() < 3 {
                    continue;
                }
                if let Ok(gid) = f[2].parse() {
                    list.groups.push(GroupInfo {
                        gid,
                        name: f[0].to_string(),
                    });
                }
            }
        }
        list
    }

    /// The machine information block.
    pub fn machine(&self) -> MachineInfo {
        let num_cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        let meminfo = fs::read_to_string(self.path(&["meminfo"])).unwrap_or_default();
        let memory_kb: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let max_pid = fs::read_to_string(self.path(&["sys", "kernel", "pid_max"]))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let btime: u64 = fs::read_to_string(self.path(&["stat"]))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        MachineInfo {
            num_cpus,
            memory_size_bytes: memory_kb * 1024,
            max_pid,
            hostname: falcoc_engine::hostname_from_env(),
            boot_ts_epoch: btime * 1_000_000_000,
            flags: 0,
            reserved: [0; 2],
        }
    }
}

/// The numeric entries of a directory, sorted.
fn numeric_entries(dir: &Path) -> Vec<i64> {
    let mut out: Vec<i64> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort_unstable();
    out
}

/// What `/proc/<pid>/task/<tid>/stat` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Command name.
    pub comm: String,
    /// Parent process id.
    pub ppid: i64,
    /// Process group.
    pub pgrp: i64,
    /// Session.
    pub session: i64,
    /// Controlling terminal (`tty_nr`, the kernel's encoded device number).
    pub tty: u32,
    /// Minor page faults.
    pub minflt: u64,
    /// Major page faults.
    pub majflt: u64,
}

/// Parses a `stat` line (the command name may hold spaces and parentheses).
pub fn parse_stat(s: &str) -> Option<Stat> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = s.get(close + 1..)?.split_whitespace().collect();
    let num = |i: usize| rest.get(i)?.parse::<i64>().ok();
    Some(Stat {
        comm,
        ppid: num(1)?,
        pgrp: num(2)?,
        session: num(3)?,
        tty: num(4)? as u32,
        minflt: num(7)? as u64,
        majflt: num(9)? as u64,
    })
}

/// Parses a line of `/proc/net/{tcp,udp,raw}[6]`.
fn parse_inet_socket(line: &str, v6: bool, l4proto: u8) -> Option<(u64, (FdType, FdDetails))> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let (local, remote, state, ino) = (f.get(1)?, f.get(2)?, f.get(3)?, f.get(9)?);
    let ino: u64 = ino.parse().ok()?;
    let listening = l4proto == 2 && *state == "0A";
    let endpoint = |s: &str| -> Option<(String, u16)> {
        let (a, p) = s.split_once(':')?;
        Some((a.to_string(), u16::from_str_radix(p, 16).ok()?))
    };
    let (la, lp) = endpoint(local)?;
    let (ra, rp) = endpoint(remote)?;
    if v6 {
        let (l, r) = (hex_v6(&la)?, hex_v6(&ra)?);
        let details = if listening {
            FdDetails::Ipv6Server {
                ip: l,
                port: lp,
                l4proto,
            }
        } else {
            FdDetails::Ipv6Socket {
                sip: l,
                dip: r,
                sport: lp,
                dport: rp,
                l4proto,
            }
        };
        let ty = if listening {
            FdType::Ipv6ServSock
        } else {
            FdType::Ipv6Sock
        };
        Some((ino, (ty, details)))
    } else {
        let (l, r) = (hex_v4(&la)?, hex_v4(&ra)?);
        let details = if listening {
            FdDetails::Ipv4Server {
                ip: l,
                port: lp,
                l4proto,
            }
        } else {
            FdDetails::Ipv4Socket {
                sip: l,
                dip: r,
                sport: lp,
                dport: rp,
                l4proto,
            }
        };
        let ty = if listening {
            FdType::Ipv4ServSock
        } else {
            FdType::Ipv4Sock
        };
        Some((ino, (ty, details)))
    }
}

/// `/proc/net` prints an IPv4 address as the hex of its in-memory (network order) u32
/// read as a host-order (little-endian) number.
fn hex_v4(s: &str) -> Option<Ipv4Addr> {
    let v = u32::from_str_radix(s, 16).ok()?;
    Some(Ipv4Addr::from(v.to_le_bytes()))
}

/// IPv6: four such words.
fn hex_v6(s: &str) -> Option<Ipv6Addr> {
    if s.len() != 32 {
        return None;
    }
    let mut b = [0u8; 16];
    for i in 0..4 {
        let w = u32::from_str_radix(s.get(i * 8..i * 8 + 8)?, 16).ok()?;
        b[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    Some(Ipv6Addr::from(b))
}

/// The machine's interface addresses (`getifaddrs`).
pub fn interfaces() -> InterfaceList {
    let mut list = InterfaceList::default();
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return list;
    };
    for a in addrs {
        let (Some(addr), mask) = (a.address, a.netmask) else {
            continue;
        };
        if let Some(v4) = addr.as_sockaddr_in() {
            let netmask = mask
                .and_then(|m| m.as_sockaddr_in().map(|m| m.ip()))
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            let bcast = a
                .broadcast
                .and_then(|b| b.as_sockaddr_in().map(|b| b.ip()))
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            list.v4.push(Ipv4Interface {
                name: a.interface_name.clone(),
                addr: v4.ip(),
                netmask,
                bcast,
                linkspeed: 0,
            });
        } else if let Some(v6) = addr.as_sockaddr_in6() {
            let netmask = mask
                .and_then(|m| m.as_sockaddr_in6().map(|m| m.ip()))
                .unwrap_or(Ipv6Addr::UNSPECIFIED);
            list.v6.push(Ipv6Interface {
                name: a.interface_name.clone(),
                addr: v6.ip(),
                netmask,
                bcast: Ipv6Addr::UNSPECIFIED,
                linkspeed: 0,
            });
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        let s = "1234 (my (odd) cmd) S 1 1234 1234 34816 1234 4194304 100 0 2 0 0 0";
        let st = parse_stat(s).unwrap();
        assert_eq!(st.comm, "my (odd) cmd");
        assert_eq!(
            (st.ppid, st.pgrp, st.session, st.tty),
            (1, 1234, 1234, 34816)
        );
        assert_eq!((st.minflt, st.majflt), (100, 2));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn proc_net_lines() {
        let line = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1";
        let (ino, (ty, d)) = parse_inet_socket(line, false, 2).unwrap();
        assert_eq!((ino, ty), (4242, FdType::Ipv4ServSock));
        assert_eq!(
            d,
            FdDetails::Ipv4Server {
                ip: Ipv4Addr::new(127, 0, 0, 1),
                port: 8080,
                l4proto: 2
            }
        );
        assert_eq!(
            hex_v6("00000000000000000000000001000000"),
            Some(Ipv6Addr::LOCALHOST)
        );
    }

    /// A process whose threads are gone by the time the scan reads them (it exited during
    /// the scan) leaves neither a thread nor an fd list, so the capture names no missing
    /// thread.
    #[test]
    fn scan_skips_the_fds_of_a_vanished_process() {
        let root = std::env::temp_dir().join(format!("falcoc-procfs-{}", std::process::id()));
        let fd_dir = root.join("proc/4242/fd");
        fs::create_dir_all(&fd_dir).unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        let _ = fs::remove_file(fd_dir.join("0"));
        std::os::unix::fs::symlink("/dev/null", fd_dir.join("0")).unwrap();
        let meta = ProcFs::new(root.join("proc"), root.join("etc")).scan();
        fs::remove_dir_all(&root).unwrap();
        assert!(meta.processes.iter().all(|p| p.pid != 4242));
        assert!(meta.fds.iter().all(|l| l.tid != 4242), "{:?}", meta.fds);
    }

    /// The scan of this machine finds this very process with its command line, and its
    /// standard streams among its fds.
    #[test]
    fn scan_finds_this_process() {
        let fs = ProcFs::default();
        let me = std::process::id() as i64;
        let p = fs.thread(me, me).expect("own thread");
        assert_eq!(p.pid, me);
        assert!(p.is_main_thread());
        assert!(!p.exepath.is_empty());
        assert!(!p.cwd.is_empty());
        let list = fs.fds(me, &fs.sockets());
        assert!(list.fds.iter().any(|f| f.fd == 0 || f.fd == 1 || f.fd == 2));
        let users = fs.users();
        assert!(users.users.iter().any(|u| u.uid == 0 && u.name == "root"));
    }
}
