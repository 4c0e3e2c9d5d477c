//! Probe records → libscap events (libs 0.22.2's newest event versions, every parameter
//! in the table's encoding), so live events flow through the same state, VM and
//! outputs as the events of a capture.
//!
//! Most parameters come straight from the record ([`crate::syscalls`] says where); flags
//! are converted to their `PPM_*` encodings as the driver converts them. Execs and
//! clones carry the process description the state needs: what the kernel gave (ids,
//! command, argv, terminal, login uid) plus, for an exec, what `/proc` still shows of
//! the new image (working directory, environment, cgroups, executable path), falling
//! back to the state's own knowledge when the process is already gone. An exec also
//! yields its enter event first (the filename), as libsinsp keeps it for
//! `proc.exepath`.

use falcoc_scap::Event;
use falcoc_schema::events::{event, EventParam};
use falcoc_schema::fields::FieldType;
use falcoc_state::State;

use crate::procfs::ProcFs;
use crate::record::{Kind, Piece, Record};
use crate::syscalls::{self, Src, Syscall};

/// `PPME_PROCEXIT_1_E`.
pub const PROCEXIT_CODE: u16 = 186;
/// `PPME_SYSCALL_EXECVE_19_E` (filename).
const EXECVE_ENTER: u16 = 292;
/// `PPME_SYSCALL_EXECVEAT_E` (dirfd, pathname, flags).
const EXECVEAT_ENTER: u16 = 330;

/// Linux open flags → `PPM_O_*` (the driver's `open_flags_to_scap`).
pub fn open_flags_to_ppm(flags: u32) -> u32 {
    let mut out = match flags & 0o3 {
        0 => 1, // O_RDONLY
        1 => 2, // O_WRONLY
        2 => 3, // O_RDWR
        _ => 0,
    };
    for (linux, ppm) in [
        (0o100, 1 << 2),       // O_CREAT
        (0o2000, 1 << 3),      // O_APPEND
        (0o10000, 1 << 4),     // O_DSYNC
        (0o200, 1 << 5),       // O_EXCL
        (0o4000, 1 << 6),      // O_NONBLOCK
        (0o4010000, 1 << 7),   // O_SYNC (includes O_DSYNC)
        (0o1000, 1 << 8),      // O_TRUNC
        (0o40000, 1 << 9),     // O_DIRECT
        (0o200000, 1 << 10),   // O_DIRECTORY
        (0o100000, 1 << 11),   // O_LARGEFILE
        (0o2000000, 1 << 12),  // O_CLOEXEC
        (0o20200000, 1 << 13), // O_TMPFILE (includes O_DIRECTORY)
    ] {
        if flags & linux == linux {
            out |= ppm;
        }
    }
    out
}

/// Linux clone/unshare/setns flags → `PPM_CL_*`.
pub fn clone_flags_to_ppm(flags: u64) -> u32 {
    let mut out = 0;
    for (linux, ppm) in [
        (0x400u64, 1u32),       // CLONE_FILES
        (0x200, 2),             // CLONE_FS
        (0x8000_0000, 4),       // CLONE_IO
        (0x0800_0000, 8),       // CLONE_NEWIPC
        (0x4000_0000, 16),      // CLONE_NEWNET
        (0x0002_0000, 32),      // CLONE_NEWNS
        (0x2000_0000, 64),      // CLONE_NEWPID
        (0x0400_0000, 128),     // CLONE_NEWUTS
        (0x8000, 256),          // CLONE_PARENT
        (0x0010_0000, 512),     // CLONE_PARENT_SETTID
        (0x2000, 1024),         // CLONE_PTRACE
        (0x800, 2048),          // CLONE_SIGHAND
        (0x0004_0000, 4096),    // CLONE_SYSVSEM
        (0x0001_0000, 8192),    // CLONE_THREAD
        (0x0080_0000, 16384),   // CLONE_UNTRACED
        (0x100, 32768),         // CLONE_VM
        (0x1000_0000, 1 << 20), // CLONE_NEWUSER
        (0x0020_0000, 1 << 23), // CLONE_CHILD_CLEARTID
        (0x0100_0000, 1 << 24), // CLONE_CHILD_SETTID
        (0x0008_0000, 1 << 25), // CLONE_SETTLS
        (0x4000, 1 << 27),      // CLONE_VFORK
        (0x0200_0000, 1 << 28), // CLONE_NEWCGROUP
    ] {
        if flags & linux != 0 {
            out |= ppm;
        }
    }
    out
}

/// Linux `PTRACE_*` request → `PPM_PTRACE_*`.
pub fn ptrace_request_to_ppm(req: u64) -> u16 {
    match req {
        0 => 1,
        1 => 2,
        2 => 3,
        3 => 4,
        4 => 5,
        5 => 6,
        6 => 7,
        7 => 8,
        8 => 9,
        9 => 10,
        16 => 11,
        17 => 12,
        24 => 13,
        0x4200 => 14,
        0x4201 => 15,
        0x4202 => 16,
        0x4203 => 17,
        0x4204 => 18,
        0x4205 => 19,
        0x4206 => 20,
        0x4207 => 21,
        0x4208 => 22,
        0x4209 => 23,
        0x420a => 24,
        0x420b => 25,
        12 => 26,
        13 => 27,
        14 => 28,
        15 => 29,
        18 => 30,
        19 => 31,
        21 => 32,
        25 => 33,
        26 => 34,
        30 => 35,
        31 => 36,
        32 => 37,
        33 => 38,
        _ => 0,
    }
}

/// Linux `RESOLVE_*` (openat2) → `PPM_RESOLVE_*`.
fn resolve_to_ppm(r: u64) -> u32 {
    let mut out = 0;
    for (linux, ppm) in [
        (0x08, 1),
        (0x10, 2),
        (0x02, 4),
        (0x04, 8),
        (0x01, 16),
        (0x20, 32),
    ] {
        if r & linux != 0 {
            out |= ppm;
        }
    }
    out
}

/// The kernel's `new_encode_dev` of a terminal (`proc.tty`).
pub fn encode_tty(major: u32, minor: u32) -> u32 {
    if major == 0 && minor == 0 {
        return 0;
    }
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// A linux `struct sockaddr` → libscap's sockaddr encoding (`u8 family` + address, port
/// in host order). Empty when the family is not understood.
pub fn sockaddr_param(raw: &[u8]) -> Vec<u8> {
    if raw.len() < 2 {
        return Vec::new();
    }
    let family = u16::from_le_bytes([raw[0], raw[1]]);
    match family {
        2 if raw.len() >= 8 => {
            let port = u16::from_be_bytes([raw[2], raw[3]]);
            let mut v = vec![2];
            v.extend_from_slice(&raw[4..8]);
            v.extend_from_slice(&port.to_le_bytes());
            v
        }
        10 if raw.len() >= 24 => {
            let port = u16::from_be_bytes([raw[2], raw[3]]);
            let mut v = vec![10];
            v.extend_from_slice(&raw[8..24]);
            v.extend_from_slice(&port.to_le_bytes());
            v
        }
        1 => {
            let path = &raw[2..];
            let mut v = vec![1];
            match path.split_first() {
                // An abstract socket: libsinsp shows it with a leading '@'.
                Some((0, rest)) => {
                    v.push(b'@');
                    v.extend(rest.iter().take_while(|&&b| b != 0));
                }
                _ => v.extend(path.iter().take_while(|&&b| b != 0)),
            }
            v.push(0);
            v
        }
        f => vec![f as u8],
    }
}

/// The probe's `struct tuple` → libscap's socket tuple (source → destination; the
/// source is the local end for outbound syscalls, the remote end for inbound ones).
pub fn tuple_param(raw: &[u8], inbound: bool) -> Vec<u8> {
    if raw.len() < 40 {
        return Vec::new();
    }
    let family = u16::from_le_bytes([raw[0], raw[1]]);
    let lport = u16::from_le_bytes([raw[2], raw[3]]);
    let rport = u16::from_be_bytes([raw[4], raw[5]]);
    let (laddr, raddr) = (&raw[8..24], &raw[24..40]);
    let ((sa, sp), (da, dp)) = if inbound {
        ((raddr, rport), (laddr, lport))
    } else {
        ((laddr, lport), (raddr, rport))
    };
    match family {
        2 => {
            let mut v = vec![2];
            v.extend_from_slice(&sa[..4]);
            v.extend_from_slice(&sp.to_le_bytes());
            v.extend_from_slice(&da[..4]);
            v.extend_from_slice(&dp.to_le_bytes());
            v
        }
        10 => {
            let mut v = vec![10];
            v.extend_from_slice(sa);
            v.extend_from_slice(&sp.to_le_bytes());
            v.extend_from_slice(da);
            v.extend_from_slice(&dp.to_le_bytes());
            v
        }
        1 => {
            let mut v = vec![1];
            v.extend_from_slice(&[0; 16]);
            v.push(0);
            v
        }
        _ => Vec::new(),
    }
}

/// An integer parameter of `param`'s width (strings get the number's text; other
/// variable-length types are left empty).
fn int_param(param: &EventParam, v: i64) -> Vec<u8> {
    match param.ty.fixed_width() {
        Some(w) => v.to_le_bytes()[..w].to_vec(),
        None => Vec::new(),
    }
}

fn cstr(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    v.push(0);
    v
}

/// A list of strings in libscap's encoding (each NUL-terminated).
fn str_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut v = Vec::new();
    for s in items {
        v.extend_from_slice(s.as_bytes());
        v.push(0);
    }
    v
}

/// Counters of the conversion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertStats {
    /// Events produced (an exit event, its enter event, a thread exit…).
    pub events: u64,
    /// Records that do not follow the format, or name a syscall the table lacks.
    pub bad_records: u64,
    /// Threads read from `/proc` because an event named a thread the state did not know.
    pub proc_lookups: u64,
}

/// Turns records into events. See the [module documentation](self).
#[derive(Debug)]
pub struct Converter {
    boot_offset_ns: u64,
    next_num: u64,
    proc: ProcFs,
    stats: ConvertStats,
}

impl Converter {
    /// A converter whose event times are `CLOCK_BOOTTIME` + `boot_offset_ns` (the epoch
    /// time of boot), reading `/proc` through `proc`.
    pub fn new(boot_offset_ns: u64, proc: ProcFs) -> Converter {
        Converter {
            boot_offset_ns,
            next_num: 1,
            proc,
            stats: ConvertStats::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> ConvertStats {
        self.stats
    }

    /// Converts one record (raw ring-buffer bytes) into its events, appended to `out`
    /// (none for a record that does not follow the format, which is counted). A thread
    /// the state does not know is first read from `/proc` into the state.
    pub fn convert(&mut self, raw: &[u8], state: &mut State, out: &mut Vec<Event>) {
        let Ok(rec) = Record::parse(raw) else {
            self.stats.bad_records += 1;
            return;
        };
        let ts = rec.ts_boot.saturating_add(self.boot_offset_ns);
        let tid = rec.tid as i64;
        if rec.kind == Kind::ProcExit {
            let code = rec.args[0] as i64;
            let params = [
                code.to_le_bytes().to_vec(),
                ((code >> 8) & 0xff).to_le_bytes().to_vec(),
                vec![(code & 0x7f) as u8],
                vec![u8::from(code & 0x80 != 0)],
                0i64.to_le_bytes().to_vec(),
            ];
            self.push(out, PROCEXIT_CODE, ts, tid, &params);
            return;
        }
        let Some(sc) = syscalls::by_nr(rec.id) else {
            self.stats.bad_records += 1;
            return;
        };
        if sc.params == [Src::Clone] {
            // The child is not in /proc's view for long: the state builds it from its
            // creator. The child's return has no enter event.
            let params = self.clone_params(&rec, sc, state);
            if rec.kind == Kind::Syscall {
                self.push_pair(out, sc.exit_code, ts, tid, &params);
            } else {
                self.push(out, sc.exit_code, ts, tid, &params);
            }
            return;
        }
        if state.thread(tid).is_none() {
            self.lookup(state, rec.pid as i64, tid);
        }
        if sc.params == [Src::Exec] {
            self.exec(&rec, sc, ts, state, out);
        } else {
            let params = self.params(&rec, sc);
            self.push_pair(out, sc.exit_code, ts, tid, &params);
        }
    }

    /// Pushes the enter event of exit event `exit_code` (the code before it), its
    /// parameters taken by name from the exit's (`fd` of the dup family is the exit's
    /// `oldfd`; a width that differs is re-encoded), then the exit event: the state
    /// follows libsinsp's enter/exit pairing (the enter event names the fd).
    fn push_pair(
        &mut self,
        out: &mut Vec<Event>,
        exit_code: u16,
        ts: u64,
        tid: i64,
        params: &[Vec<u8>],
    ) {
        if let (Some(enter), Some(exit)) = (event(exit_code.wrapping_sub(1)), event(exit_code)) {
            let enter_params: Vec<Vec<u8>> = enter
                .params
                .iter()
                .map(|ep| {
                    let found = exit
                        .params
                        .iter()
                        .position(|xp| xp.name == ep.name)
                        .or_else(|| {
                            (ep.name == "fd")
                                .then(|| exit.params.iter().position(|xp| xp.name == "oldfd"))
                                .flatten()
                        });
                    let Some(i) = found else {
                        return int_param(ep, 0);
                    };
                    let raw = params.get(i).cloned().unwrap_or_default();
                    match (ep.ty.fixed_width(), exit.params[i].ty.fixed_width()) {
                        (Some(we), Some(wx)) if we != wx => {
                            let mut b = [0u8; 8];
                            let n = raw.len().min(8);
                            b[..n].copy_from_slice(&raw[..n]);
                            int_param(ep, i64::from_le_bytes(b))
                        }
                        _ => raw,
                    }
                })
                .collect();
            self.push(out, enter.code, ts, tid, &enter_params);
        }
        self.push(out, exit_code, ts, tid, params);
    }

    fn push(&mut self, out: &mut Vec<Event>, code: u16, ts: u64, tid: i64, params: &[Vec<u8>]) {
        let refs: Vec<&[u8]> = params.iter().map(Vec::as_slice).collect();
        match Event::from_params(code, self.next_num, ts, tid, &refs) {
            Some(e) => {
                self.next_num += 1;
                self.stats.events += 1;
                out.push(e);
            }
            None => self.stats.bad_records += 1,
        }
    }

    /// Reads a thread the state does not know from `/proc` (libsinsp's `query_os`).
    fn lookup(&mut self, state: &mut State, pid: i64, tid: i64) {
        if let Some(p) = self.proc.thread(pid, tid) {
            self.stats.proc_lookups += 1;
            let fds = if tid == pid {
                Some(self.proc.fds(pid, &Default::default()))
            } else {
                None
            };
            state.add_process(&p, fds.as_ref());
        }
    }

    /// The parameters of a table-described syscall.
    fn params(&self, rec: &Record<'_>, sc: &Syscall) -> Vec<Vec<u8>> {
        let Some(info) = event(sc.exit_code) else {
            return Vec::new();
        };
        let blob = rec.piece(Piece::Blob);
        let blob_u64 = |at: usize| -> u64 {
            blob.get(at..at + 8)
                .map(|b| {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    u64::from_le_bytes(a)
                })
                .unwrap_or(0)
        };
        let open_how_creates = open_flags_to_ppm(blob_u64(0) as u32) & ((1 << 2) | (1 << 13)) != 0;
        info.params
            .iter()
            .zip(sc.params)
            .map(|(p, src)| match *src {
                Src::Ret => int_param(p, rec.ret),
                Src::Arg(i) => match p.ty {
                    FieldType::Fd | FieldType::Int32 | FieldType::Errno => {
                        int_param(p, rec.arg_i32(i))
                    }
                    _ => int_param(p, rec.args[i] as i64),
                },
                Src::Str(i) => {
                    let piece = if sc.str_piece(i) == 0 {
                        Piece::Str0
                    } else {
                        Piece::Str1
                    };
                    cstr(rec.str_piece(piece))
                }
                Src::OpenFlags(i) => int_param(p, open_flags_to_ppm(rec.args[i] as u32) as i64),
                Src::OpenMode { mode, flags } => {
                    let f = open_flags_to_ppm(rec.args[flags] as u32);
                    let m = if f & ((1 << 2) | (1 << 13)) != 0 {
                        rec.args[mode] as i64
                    } else {
                        0
                    };
                    int_param(p, m)
                }
                Src::CloneFlags(i) => int_param(p, clone_flags_to_ppm(rec.args[i]) as i64),
                Src::PtraceRequest(i) => int_param(p, ptrace_request_to_ppm(rec.args[i]) as i64),
                Src::OpenHowFlags => int_param(p, open_flags_to_ppm(blob_u64(0) as u32) as i64),
                Src::OpenHowMode => int_param(
                    p,
                    if open_how_creates {
                        blob_u64(8) as i64
                    } else {
                        0
                    },
                ),
                Src::OpenHowResolve => int_param(p, resolve_to_ppm(blob_u64(16)) as i64),
                Src::SockAddr => sockaddr_param(blob),
                Src::TupleOut => tuple_param(rec.piece(Piece::Tuple), false),
                Src::TupleIn => tuple_param(rec.piece(Piece::Tuple), true),
                Src::FdPair(k) => {
                    let v = blob
                        .get(k * 4..k * 4 + 4)
                        .map_or(-1, |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64);
                    int_param(p, v)
                }
                Src::Zero | Src::Exec | Src::Clone => int_param(p, 0),
            })
            .collect()
    }

    /// An exec: its enter event (filename) and its exit event.
    fn exec(
        &mut self,
        rec: &Record<'_>,
        sc: &Syscall,
        ts: u64,
        state: &mut State,
        out: &mut Vec<Event>,
    ) {
        let tid = rec.tid as i64;
        let pid = rec.pid as i64;
        let filename = rec.str_piece(Piece::Str0);
        let enter = if sc.exit_code == 331 {
            // A successful exec has reset the argument registers: its path was resolved
            // (the filename is the new image's).
            let dirfd = if rec.ret >= 0 { -100 } else { rec.arg_i32(0) };
            let mut flags = 0u32;
            if rec.args[4] & 0x1000 != 0 {
                flags |= 1; // AT_EMPTY_PATH
            }
            if rec.args[4] & 0x100 != 0 {
                flags |= 2; // AT_SYMLINK_NOFOLLOW
            }
            (
                EXECVEAT_ENTER,
                vec![
                    dirfd.to_le_bytes().to_vec(),
                    cstr(filename),
                    flags.to_le_bytes().to_vec(),
                ],
            )
        } else {
            (EXECVE_ENTER, vec![cstr(filename)])
        };
        self.push(out, enter.0, ts, tid, &enter.1);

        let argv = rec.piece(Piece::Str1);
        let mut items = argv
            .split(|&b| b == 0)
            .map(|s| String::from_utf8_lossy(s).into_owned());
        let mut exe = items.next().unwrap_or_default();
        let mut args: Vec<String> = items.collect();
        if args.last().is_some_and(String::is_empty) {
            args.pop();
        }
        if exe.is_empty() {
            exe = String::from_utf8_lossy(filename).into_owned();
        }
        let ok = rec.ret >= 0;
        let known = state.thread(tid).cloned();
        let cwd = ok
            .then(|| self.proc.link(pid, "cwd"))
            .flatten()
            .or_else(|| known.as_ref().map(|t| t.cwd.clone()))
            .unwrap_or_default();
        let env = if ok {
            self.proc.environ(pid)
        } else {
            Vec::new()
        };
        let cgroups = if ok {
            self.proc.cgroups(pid)
        } else {
            Vec::new()
        };
        let exepath = ok
            .then(|| self.proc.link(pid, "exe"))
            .flatten()
            .unwrap_or_else(|| String::from_utf8_lossy(filename).into_owned());
        let comm = String::from_utf8_lossy(rec.comm).into_owned();
        let u32p = |v: u32| v.to_le_bytes().to_vec();
        let i64p = |v: i64| v.to_le_bytes().to_vec();
        let params = vec![
            i64p(rec.ret),
            cstr(exe.as_bytes()),
            str_list(args.iter().map(String::as_str)),
            i64p(tid),
            i64p(pid),
            i64p(rec.ppid as i64),
            cstr(cwd.as_bytes()),
            0u64.to_le_bytes().to_vec(),
            0u64.to_le_bytes().to_vec(),
            0u64.to_le_bytes().to_vec(),
            u32p(0),
            u32p(0),
            u32p(0),
            cstr(comm.as_bytes()),
            str_list(cgroups.iter().map(String::as_str)),
            str_list(env.iter().map(String::as_str)),
            u32p(encode_tty(rec.tty_major, rec.tty_minor)),
            i64p(known.as_ref().map_or(0, |t| t.vpgid)),
            u32p(rec.loginuid),
            u32p(0),
            0u64.to_le_bytes().to_vec(),
            0u64.to_le_bytes().to_vec(),
            0u64.to_le_bytes().to_vec(),
            0u64.to_le_bytes().to_vec(),
            0u64.to_le_bytes().to_vec(),
            0u64.to_le_bytes().to_vec(),
            u32p(rec.uid),
            cstr(exepath.as_bytes()),
            i64p(known.as_ref().map_or(0, |t| t.vpgid)),
            u32p(rec.gid),
        ];
        self.push(out, sc.exit_code, ts, tid, &params);
    }

    /// A clone-family exit, in the caller (returns the child's tid) or in the child
    /// (returns 0). The process description is the creating thread's, as the state holds
    /// it.
    fn clone_params(&self, rec: &Record<'_>, sc: &Syscall, state: &State) -> Vec<Vec<u8>> {
        let tid = rec.tid as i64;
        let pid = rec.pid as i64;
        let ppid = rec.ppid as i64;
        let flags = match sc.nr {
            57 => 0,              // fork
            58 => 0x4000 | 0x100, // vfork: CLONE_VFORK | CLONE_VM
            _ => rec.args[0],     // clone; clone3 (the probe read clone_args.flags)
        };
        let ppm_flags = clone_flags_to_ppm(flags);
        let creator = if rec.kind == Kind::Child {
            if ppm_flags & 8192 != 0 {
                state.thread(pid)
            } else {
                state.thread(ppid)
            }
        } else {
            state.thread(tid)
        };
        let comm = String::from_utf8_lossy(rec.comm).into_owned();
        let exe = creator.map_or(comm.clone(), |t| t.exe.clone());
        let args = creator
            .map(|t| str_list(t.args.iter().map(String::as_str)))
            .unwrap_or_default();
        let cwd = creator.map(|t| t.cwd.clone()).unwrap_or_default();
        let cgroups = creator
            .map(|t| {
                let items: Vec<String> =
                    t.cgroups.iter().map(|(s, p)| format!("{s}={p}")).collect();
                str_list(items.iter().map(String::as_str))
            })
            .unwrap_or_default();
        let fdlimit = creator.map_or(0, |t| t.fdlimit);
        let i64p = |v: i64| v.to_le_bytes().to_vec();
        let u32p = |v: u32| v.to_le_bytes().to_vec();
        // The caller's parent, or (in the child) the creating process.
        vec![
            i64p(rec.ret),
            cstr(exe.as_bytes()),
            args,
            i64p(tid),
            i64p(pid),
            i64p(ppid),
            cstr(cwd.as_bytes()),
            i64p(fdlimit),
            i64p(0),
            i64p(0),
            u32p(0),
            u32p(0),
            u32p(0),
            cstr(comm.as_bytes()),
            cgroups,
            u32p(ppm_flags),
            u32p(rec.uid),
            u32p(rec.gid),
            i64p(tid),
            i64p(pid),
            i64p(0),
        ]
    }
}
