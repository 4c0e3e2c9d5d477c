//! Field extraction over the current event and the [`State`]: the [`FieldSource`] of the
//! condition VM, and the display and JSON renderings of fields used by `-p` formats and
//! alert outputs.
//!
//! Every syscall-source field of the compiler's registry resolves to a [`Field`]; the
//! values follow libsinsp's filterchecks (libs e5c53d64 for the fields sysdig 0.29 has,
//! newer libs for the others, the container plugin 0.4.1 for `container.*`/`k8s.*`):
//!
//! * `evt.*`: number, times, type and direction, category, arguments as text
//!   (`evt.arg.NAME`, `evt.arg[N]`, `evt.args`, resolved fds, errno and flag names) and
//!   raw (`evt.rawarg.NAME`), return value, `evt.is_open_*`, buffers, counters;
//! * `proc.*`/`thread.*`: identity, program, arguments, environment, working directory,
//!   parent and ancestors (indexed, or every ancestor for unindexed fields in conditions:
//!   [`FieldMode::Ancestors`]), session, tty, namespaces, cgroups, capabilities;
//! * `user.*`/`group.*` from the capture's user list;
//! * `fd.*`: number, type, name, directory, both endpoints with client/server and
//!   local/remote roles ([`FieldMode::Endpoints`] for the role-less fields), protocol,
//!   and libsinsp's fallback names of failed opens/accepts/connects;
//! * `fs.path.*`, `container.*`, `k8s.pod.*`/`k8s.ns.name` (from container labels).
//!
//! Missing values follow conditions.md §13: `false` from [`FieldSource::extract`],
//! `None` from [`Extractor::display`] (`<NA>` in text), `null` in JSON.

pub mod render;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use falcoc_compiler::codegen::{FieldDesc, FieldId, FieldMode, Tables, ValueRef};
use falcoc_compiler::fields::{FieldArg, FieldType, PrintFormat, ResolvedField};
use falcoc_compiler::ir::{Operand, OperandKind};
use serde_json::Value;

use crate::state::evtable::{
    self, EC_IO_BASE, EC_MEMORY, EF_CREATES_FD, EF_READS_FROM_FD, EF_USES_FD, EF_WAITS,
    EF_WRITES_TO_FD,
};
use crate::state::fd;
pub use crate::state::LibsVersion;
use crate::state::{Category, State, Thread, ThreadRef};
use falcoc_engine::time::{time_text, TimeZone};
use falcoc_engine::values::{json_values, render_values};
use falcoc_engine::vm::{transform, FieldSource, Values};
use falcoc_engine::EventFields;
use falcoc_scap::{EventRef, FdType};

use render::{ParamText, RenderOptions};

/// Settings of the extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractOptions {
    /// The libsinsp whose filterchecks extraction follows where versions differ (see
    /// [`LibsVersion`]).
    pub libs: LibsVersion,
    /// The zone of `evt.time`, `evt.datetime` (libsinsp: the local time).
    pub timezone: TimeZone,
    /// Buffer rendering.
    pub render: RenderOptions,
}

impl Default for ExtractOptions {
    fn default() -> ExtractOptions {
        ExtractOptions {
            libs: LibsVersion::Sysdig2022,
            timezone: TimeZone::UTC,
            render: RenderOptions::default(),
        }
    }
}

/// Which ancestor an ancestor field selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anc {
    /// `[N]`: 0 the process, 1 its parent, …
    Index(i64),
    /// No index: every ancestor from the parent (conditions), missing in outputs.
    All,
}

/// What an ancestor field reads from each ancestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AncOf {
    /// `proc.aname`: comm.
    Name,
    /// `proc.apid`: pid.
    Pid,
    /// `proc.aexe`: `argv[0]`.
    Exe,
    /// `proc.aexepath`.
    ExePath,
    /// `proc.acmdline`.
    Cmdline,
}

/// A field resolved for extraction (one variant per field, with its argument).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `evt.num`.
    EvtNum,
    /// `evt.time`, `evt.outputtime`.
    EvtTime,
    /// `evt.time.s`.
    EvtTimeS,
    /// `evt.time.iso8601`.
    EvtTimeIso8601,
    /// `evt.datetime`.
    EvtDatetime,
    /// `evt.datetime.s`.
    EvtDatetimeS,
    /// `evt.rawtime`, `evt.around`.
    EvtRawTime,
    /// `evt.rawtime.s`.
    EvtRawTimeS,
    /// `evt.rawtime.ns`.
    EvtRawTimeNs,
    /// `evt.reltime`.
    EvtRelTime,
    /// `evt.reltime.s`.
    EvtRelTimeS,
    /// `evt.reltime.ns`.
    EvtRelTimeNs,
    /// `evt.source`.
    EvtSource,
    /// `evt.is_async`.
    EvtIsAsync,
    /// `evt.hostname`.
    EvtHostname,
    /// `evt.latency`, `evt.latency.s`, `evt.latency.ns`.
    EvtLatency(u8),
    /// `evt.latency.human`.
    EvtLatencyHuman,
    /// `evt.deltatime`, `evt.deltatime.s`, `evt.deltatime.ns`.
    EvtDeltaTime(u8),
    /// `evt.dir`.
    EvtDir,
    /// `evt.type`.
    EvtType,
    /// `evt.type.is.X` (event code, given by name).
    EvtTypeIs(u32, bool),
    /// `syscall.type`.
    SyscallType,
    /// `evt.category`.
    EvtCategory,
    /// `evt.cpu`.
    EvtCpu,
    /// `evt.args`, `evt.info`.
    EvtArgs,
    /// `evt.arg`.
    EvtArgIndex(i64),
    /// `evt.arg`.
    EvtArgName(String),
    /// `evt.rawarg`.
    EvtRawArg(String),
    /// `evt.buffer`.
    EvtBuffer,
    /// `evt.buflen`, `evt.buflen.in`, `evt.buflen.out`, `evt.buflen.file`, `evt.buflen.file.in`, `evt.buflen.file.out`, `evt.buflen.net`, `evt.buflen.net.in`, `evt.buflen.net.out`.
    EvtBuflen(u8),
    /// `evt.res`.
    EvtRes,
    /// `evt.rawres`.
    EvtRawRes,
    /// `evt.failed`.
    EvtFailed,
    /// `evt.is_io`, `evt.is_io_read`, `evt.is_io_write`.
    EvtIsIo(u8),
    /// `evt.io_dir`.
    EvtIoDir,
    /// `evt.is_wait`.
    EvtIsWait,
    /// `evt.wait_latency`.
    EvtWaitLatency,
    /// `evt.is_syslog`.
    EvtIsSyslog,
    /// `evt.count`.
    EvtCount,
    /// `evt.count.error`, `evt.count.error.file`, `evt.count.error.net`, `evt.count.error.memory`, `evt.count.error.other`.
    EvtCountError(u8),
    /// `evt.count.exit`.
    EvtCountExit,
    /// `evt.count.procinfo`.
    EvtCountProcinfo,
    /// `evt.count.threadinfo`.
    EvtCountThreadinfo,
    /// `evt.abspath`.
    EvtAbspath(u8),
    /// `evt.is_open_read`, `evt.is_open_write`, `evt.is_open_exec`, `evt.is_open_create`.
    EvtIsOpen(u8),
    /// `proc.exe`.
    ProcExe,
    /// `proc.pexe`.
    ProcPExe,
    /// `proc.exepath`.
    ProcExePath,
    /// `proc.pexepath`.
    ProcPExePath,
    /// `proc.name`.
    ProcName,
    /// `proc.pname`.
    ProcPName,
    /// `proc.args`.
    ProcArgs,
    /// `proc.args`.
    ProcArgsIndex(i64),
    /// `proc.cmdline`.
    ProcCmdline,
    /// `proc.pcmdline`.
    ProcPCmdline,
    /// `proc.cmdnargs`.
    ProcCmdNArgs,
    /// `proc.cmdlenargs`.
    ProcCmdLenArgs,
    /// `proc.exeline`.
    ProcExeline,
    /// `proc.env`.
    ProcEnv(Option<String>),
    /// `proc.cwd`.
    ProcCwd,
    /// `proc.loginshellid`.
    ProcLoginShellId,
    /// `proc.tty`.
    ProcTty,
    /// `proc.pid`.
    ProcPid,
    /// `proc.ppid`.
    ProcPPid,
    /// `proc.vpid`.
    ProcVPid,
    /// `proc.pvpid`.
    ProcPVPid,
    /// `proc.sid`.
    ProcSid,
    /// `proc.sname`.
    ProcSName,
    /// `proc.sid.exe`, `proc.sid.exepath`.
    ProcSidExe(bool),
    /// `proc.vpgid`.
    ProcVpgid,
    /// `proc.vpgid.name`.
    ProcVpgidName,
    /// `proc.vpgid.exe`, `proc.vpgid.exepath`.
    ProcVpgidExe(bool),
    /// `proc.duration`.
    ProcDuration,
    /// `proc.ppid.duration`.
    ProcPPidDuration,
    /// `proc.pid.ts`.
    ProcPidTs,
    /// `proc.ppid.ts`.
    ProcPPidTs,
    /// `proc.is_exe_writable`.
    ProcIsExeWritable,
    /// `proc.is_exe_upper_layer`.
    ProcIsExeUpperLayer,
    /// `proc.is_exe_lower_layer`.
    ProcIsExeLowerLayer,
    /// `proc.is_exe_from_memfd`.
    ProcIsExeFromMemfd,
    /// `proc.is_sid_leader`.
    ProcIsSidLeader,
    /// `proc.is_vpgid_leader`.
    ProcIsVpgidLeader,
    /// `proc.exe_ino`, `proc.exe_ino.ctime`, `proc.exe_ino.mtime`, `proc.exe_ino.ctime_duration_proc_start`, `proc.exe_ino.ctime_duration_pidns_start`.
    ProcExeIno(u8),
    /// `proc.pidns_init_start_ts`.
    ProcPidnsInitStartTs,
    /// `thread.cap_inheritable`, `thread.cap_permitted`, `thread.cap_effective`.
    ThreadCap(u8),
    /// `proc.fdopencount`.
    ProcFdOpenCount,
    /// `proc.fdlimit`.
    ProcFdLimit,
    /// `proc.fdusage`.
    ProcFdUsage,
    /// `proc.vmsize`, `proc.vmrss`, `proc.vmswap`.
    ProcVm(u8),
    /// `thread.pfmajor`, `thread.pfminor`.
    ThreadPf(u8),
    /// `thread.tid`.
    ThreadTid,
    /// `thread.ismain`.
    ThreadIsMain,
    /// `thread.vtid`.
    ThreadVtid,
    /// `thread.nametid`.
    ThreadNameTid,
    /// `thread.exectime`, `thread.totexectime`.
    ThreadExecTime,
    /// `thread.cgroups`.
    ThreadCgroups,
    /// `thread.cgroup`.
    ThreadCgroup(String),
    /// `proc.nthreads`.
    ProcNThreads,
    /// `proc.nchilds`.
    ProcNChilds,
    /// `thread.vmsize`, `thread.vmrss`, `thread.vmsize.b`, `thread.vmrss.b`.
    ThreadVm(u8),
    /// `proc.stdin.type`, `proc.stdout.type`, `proc.stderr.type`, `proc.stdin.name`, `proc.stdout.name`, `proc.stderr.name`.
    ProcStd(u8, bool),
    /// `proc.is_container_healthcheck`, `proc.is_container_liveness_probe`, `proc.is_container_readiness_probe`.
    ProcIsHealthProbe(Category),
    /// `proc.aexe`, `proc.aexepath`, `proc.aname`, `proc.acmdline`, `proc.apid`.
    Ancestor(AncOf, Anc),
    /// `user.uid`.
    UserUid,
    /// `user.name`.
    UserName,
    /// `user.homedir`.
    UserHomedir,
    /// `user.shell`.
    UserShell,
    /// `user.loginuid`.
    UserLoginUid,
    /// `user.loginname`.
    UserLoginName,
    /// `group.gid`.
    GroupGid,
    /// `group.name`.
    GroupName,
    /// `fd.num`.
    FdNum,
    /// `fd.type`.
    FdType,
    /// `fd.typechar`.
    FdTypeChar,
    /// `fd.name`.
    FdName,
    /// `fd.nameraw`.
    FdNameRaw,
    /// `fd.directory`.
    FdDirectory,
    /// `fd.filename`.
    FdFilename,
    /// `fd.containername`.
    FdContainerName,
    /// `fd.containerdirectory`.
    FdContainerDirectory,
    /// `fd.ip` (both endpoints).
    FdIp,
    /// `fd.port` (both endpoints).
    FdPort,
    /// `fd.proto` (the endpoints' ports, as libsinsp compares them).
    FdProto,
    /// `fd.net` (both endpoints).
    FdNet,
    /// `fd.cip`, `fd.cnet`.
    FdCip,
    /// `fd.sip`, `fd.snet`.
    FdSip,
    /// `fd.lip`, `fd.lnet`.
    FdLip,
    /// `fd.rip`, `fd.rnet`.
    FdRip,
    /// `fd.cport`.
    FdCport,
    /// `fd.sport`.
    FdSport,
    /// `fd.lport`.
    FdLport,
    /// `fd.rport`.
    FdRport,
    /// `fd.cproto`.
    FdCproto,
    /// `fd.sproto`.
    FdSproto,
    /// `fd.lproto`.
    FdLproto,
    /// `fd.rproto`.
    FdRproto,
    /// `fd.l4proto`.
    FdL4proto,
    /// `fd.sockfamily`.
    FdSockFamily,
    /// `fd.is_server`.
    FdIsServer,
    /// `fd.uid`.
    FdUid,
    /// `fd.connected`.
    FdConnected,
    /// `fd.name_changed`.
    FdNameChanged,
    /// `fd.dev`, `fd.dev.major`, `fd.dev.minor`.
    FdDev(u8),
    /// `fd.ino`.
    FdIno,
    /// `fs.path.name`, `fs.path.nameraw`, `fs.path.source`, `fs.path.sourceraw`, `fs.path.target`, `fs.path.targetraw`.
    FsPath(u8, bool),
    /// `container.id`.
    ContainerId,
    /// `container.full_id`.
    ContainerFullId,
    /// `container.name`.
    ContainerName,
    /// `container.image`.
    ContainerImage,
    /// `container.image.id`.
    ContainerImageId,
    /// `container.image.repository`.
    ContainerImageRepository,
    /// `container.image.tag`.
    ContainerImageTag,
    /// `container.image.digest`.
    ContainerImageDigest,
    /// `container.type`.
    ContainerType,
    /// `container.privileged`.
    ContainerPrivileged,
    /// `container.mounts`.
    ContainerMounts,
    /// `container.mount`.
    ContainerMount(String),
    /// `container.mount.source`, `container.mount.dest`, `container.mount.mode`, `container.mount.rdwr`, `container.mount.propagation`.
    ContainerMountAttr(u8, String),
    /// `container.healthcheck`, `container.liveness_probe`, `container.readiness_probe`.
    ContainerProbe(u8),
    /// `container.ip`.
    ContainerIp,
    /// `container.label`.
    ContainerLabel(String),
    /// `container.labels`.
    ContainerLabels,
    /// `container.start_ts`.
    ContainerStartTs,
    /// `container.duration`.
    ContainerDuration,
    /// `k8s.pod.name`.
    K8sPodName,
    /// `k8s.ns.name`.
    K8sNsName,
    /// `k8s.pod.id`, `k8s.pod.uid`.
    K8sPodId,
    /// `k8s.pod.label`.
    K8sPodLabel(String),
    /// `k8s.pod.labels`.
    K8sPodLabels,
    /// `util.cnt`.
    UtilCnt,
    /// A field falcoc does not extract: always missing.
    /// `evt.arg`, `evt.rawarg`.
    Unsupported,
}

fn index_arg(a: &FieldArg) -> Option<i64> {
    match a {
        FieldArg::Index(i) => Some(*i),
        FieldArg::Plugin { index: Some(i), .. } => Some(*i as i64),
        FieldArg::Plugin { text, .. } => text.parse().ok(),
        _ => None,
    }
}

fn key_arg(a: &FieldArg) -> String {
    match a {
        FieldArg::Key(k) => k.clone(),
        FieldArg::Index(i) => i.to_string(),
        FieldArg::Plugin { text, .. } => text.clone(),
        FieldArg::Cgroup(s) => s.clone(),
        _ => String::new(),
    }
}

impl Field {
    /// Resolves a field of the registry (with its argument and comparison mode).
    pub fn resolve(rf: &ResolvedField, mode: FieldMode) -> Field {
        use Field as F;
        let arg = &rf.arg;
        let anc = |of: AncOf| match index_arg(arg) {
            Some(i) => F::Ancestor(of, Anc::Index(i)),
            None => F::Ancestor(of, Anc::All),
        };
        match rf.field.name {
            "evt.num" => F::EvtNum,
            "evt.time" | "evt.outputtime" => F::EvtTime,
            "evt.time.s" => F::EvtTimeS,
            "evt.time.iso8601" => F::EvtTimeIso8601,
            "evt.datetime" => F::EvtDatetime,
            "evt.datetime.s" => F::EvtDatetimeS,
            "evt.rawtime" => F::EvtRawTime,
            "evt.rawtime.s" => F::EvtRawTimeS,
            "evt.rawtime.ns" => F::EvtRawTimeNs,
            "evt.reltime" => F::EvtRelTime,
            "evt.reltime.s" => F::EvtRelTimeS,
            "evt.reltime.ns" => F::EvtRelTimeNs,
            "evt.source" => F::EvtSource,
            "evt.is_async" => F::EvtIsAsync,
            "evt.hostname" => F::EvtHostname,
            "evt.latency" => F::EvtLatency(0),
            "evt.latency.s" => F::EvtLatency(1),
            "evt.latency.ns" => F::EvtLatency(2),
            "evt.latency.human" => F::EvtLatencyHuman,
            "evt.deltatime" => F::EvtDeltaTime(0),
            "evt.deltatime.s" => F::EvtDeltaTime(1),
            "evt.deltatime.ns" => F::EvtDeltaTime(2),
            "evt.dir" => F::EvtDir,
            "evt.type" => F::EvtType,
            "evt.type.is" => match arg {
                FieldArg::EventType { id, by_name } => F::EvtTypeIs(*id, *by_name),
                _ => F::Unsupported,
            },
            "syscall.type" => F::SyscallType,
            "evt.category" => F::EvtCategory,
            "evt.cpu" => F::EvtCpu,
            "evt.args" | "evt.info" => F::EvtArgs,
            "evt.arg" => match arg {
                FieldArg::Index(i) => F::EvtArgIndex(*i),
                FieldArg::EventParam(n) => F::EvtArgName(n.to_string()),
                _ => F::Unsupported,
            },
            "evt.rawarg" => match arg {
                FieldArg::EventParam(n) => F::EvtRawArg(n.to_string()),
                _ => F::Unsupported,
            },
            "evt.buffer" => F::EvtBuffer,
            "evt.buflen" => F::EvtBuflen(0),
            "evt.buflen.in" => F::EvtBuflen(1),
            "evt.buflen.out" => F::EvtBuflen(2),
            "evt.buflen.file" => F::EvtBuflen(3),
            "evt.buflen.file.in" => F::EvtBuflen(4),
            "evt.buflen.file.out" => F::EvtBuflen(5),
            "evt.buflen.net" => F::EvtBuflen(6),
            "evt.buflen.net.in" => F::EvtBuflen(7),
            "evt.buflen.net.out" => F::EvtBuflen(8),
            "evt.res" => F::EvtRes,
            "evt.rawres" => F::EvtRawRes,
            "evt.failed" => F::EvtFailed,
            "evt.is_io" => F::EvtIsIo(0),
            "evt.is_io_read" => F::EvtIsIo(1),
            "evt.is_io_write" => F::EvtIsIo(2),
            "evt.io_dir" => F::EvtIoDir,
            "evt.is_wait" => F::EvtIsWait,
            "evt.wait_latency" => F::EvtWaitLatency,
            "evt.is_syslog" => F::EvtIsSyslog,
            "evt.count" => F::EvtCount,
            "evt.count.error" => F::EvtCountError(0),
            "evt.count.error.file" => F::EvtCountError(1),
            "evt.count.error.net" => F::EvtCountError(2),
            "evt.count.error.memory" => F::EvtCountError(3),
            "evt.count.error.other" => F::EvtCountError(4),
            "evt.count.exit" => F::EvtCountExit,
            "evt.count.procinfo" => F::EvtCountProcinfo,
            "evt.count.threadinfo" => F::EvtCountThreadinfo,
            "evt.around" => F::EvtRawTime,
            "evt.abspath" => match arg {
                FieldArg::Suffix("src") => F::EvtAbspath(1),
                FieldArg::Suffix("dst") => F::EvtAbspath(2),
                _ => F::EvtAbspath(0),
            },
            "evt.is_open_read" => F::EvtIsOpen(0),
            "evt.is_open_write" => F::EvtIsOpen(1),
            "evt.is_open_exec" => F::EvtIsOpen(2),
            "evt.is_open_create" => F::EvtIsOpen(3),
            "proc.exe" => F::ProcExe,
            "proc.pexe" => F::ProcPExe,
            "proc.aexe" => anc(AncOf::Exe),
            "proc.exepath" => F::ProcExePath,
            "proc.pexepath" => F::ProcPExePath,
            "proc.aexepath" => anc(AncOf::ExePath),
            "proc.name" => F::ProcName,
            "proc.pname" => F::ProcPName,
            "proc.aname" => anc(AncOf::Name),
            "proc.args" => match index_arg(arg) {
                Some(i) => F::ProcArgsIndex(i),
                None => F::ProcArgs,
            },
            "proc.cmdline" => F::ProcCmdline,
            "proc.pcmdline" => F::ProcPCmdline,
            "proc.acmdline" => anc(AncOf::Cmdline),
            "proc.cmdnargs" => F::ProcCmdNArgs,
            "proc.cmdlenargs" => F::ProcCmdLenArgs,
            "proc.exeline" => F::ProcExeline,
            "proc.env" => match arg {
                FieldArg::None => F::ProcEnv(None),
                a => F::ProcEnv(Some(key_arg(a))),
            },
            "proc.cwd" => F::ProcCwd,
            "proc.loginshellid" => F::ProcLoginShellId,
            "proc.tty" => F::ProcTty,
            "proc.pid" => F::ProcPid,
            "proc.ppid" => F::ProcPPid,
            "proc.apid" => anc(AncOf::Pid),
            "proc.vpid" => F::ProcVPid,
            "proc.pvpid" => F::ProcPVPid,
            "proc.sid" => F::ProcSid,
            "proc.sname" => F::ProcSName,
            "proc.sid.exe" => F::ProcSidExe(false),
            "proc.sid.exepath" => F::ProcSidExe(true),
            "proc.vpgid" => F::ProcVpgid,
            "proc.vpgid.name" => F::ProcVpgidName,
            "proc.vpgid.exe" => F::ProcVpgidExe(false),
            "proc.vpgid.exepath" => F::ProcVpgidExe(true),
            "proc.duration" => F::ProcDuration,
            "proc.ppid.duration" => F::ProcPPidDuration,
            "proc.pid.ts" => F::ProcPidTs,
            "proc.ppid.ts" => F::ProcPPidTs,
            "proc.is_exe_writable" => F::ProcIsExeWritable,
            "proc.is_exe_upper_layer" => F::ProcIsExeUpperLayer,
            "proc.is_exe_lower_layer" => F::ProcIsExeLowerLayer,
            "proc.is_exe_from_memfd" => F::ProcIsExeFromMemfd,
            "proc.is_sid_leader" => F::ProcIsSidLeader,
            "proc.is_vpgid_leader" => F::ProcIsVpgidLeader,
            "proc.exe_ino" => F::ProcExeIno(0),
            "proc.exe_ino.ctime" => F::ProcExeIno(1),
            "proc.exe_ino.mtime" => F::ProcExeIno(2),
            "proc.exe_ino.ctime_duration_proc_start" => F::ProcExeIno(3),
            "proc.exe_ino.ctime_duration_pidns_start" => F::ProcExeIno(4),
            "proc.pidns_init_start_ts" => F::ProcPidnsInitStartTs,
            "thread.cap_inheritable" => F::ThreadCap(0),
            "thread.cap_permitted" => F::ThreadCap(1),
            "thread.cap_effective" => F::ThreadCap(2),
            "proc.fdopencount" => F::ProcFdOpenCount,
            "proc.fdlimit" => F::ProcFdLimit,
            "proc.fdusage" => F::ProcFdUsage,
            "proc.vmsize" => F::ProcVm(0),
            "proc.vmrss" => F::ProcVm(1),
            "proc.vmswap" => F::ProcVm(2),
            "thread.pfmajor" => F::ThreadPf(0),
            "thread.pfminor" => F::ThreadPf(1),
            "thread.tid" => F::ThreadTid,
            "thread.ismain" => F::ThreadIsMain,
            "thread.vtid" => F::ThreadVtid,
            "thread.nametid" => F::ThreadNameTid,
            "thread.exectime" | "thread.totexectime" => F::ThreadExecTime,
            "thread.cgroups" => F::ThreadCgroups,
            "thread.cgroup" => F::ThreadCgroup(key_arg(arg)),
            "proc.nthreads" => F::ProcNThreads,
            "proc.nchilds" => F::ProcNChilds,
            "thread.vmsize" => F::ThreadVm(0),
            "thread.vmrss" => F::ThreadVm(1),
            "thread.vmsize.b" => F::ThreadVm(2),
            "thread.vmrss.b" => F::ThreadVm(3),
            "proc.stdin.type" => F::ProcStd(0, false),
            "proc.stdout.type" => F::ProcStd(1, false),
            "proc.stderr.type" => F::ProcStd(2, false),
            "proc.stdin.name" => F::ProcStd(0, true),
            "proc.stdout.name" => F::ProcStd(1, true),
            "proc.stderr.name" => F::ProcStd(2, true),
            "proc.is_container_healthcheck" => F::ProcIsHealthProbe(Category::Healthcheck),
            "proc.is_container_liveness_probe" => F::ProcIsHealthProbe(Category::LivenessProbe),
            "proc.is_container_readiness_probe" => F::ProcIsHealthProbe(Category::ReadinessProbe),
            "user.uid" => F::UserUid,
            "user.name" => F::UserName,
            "user.homedir" => F::UserHomedir,
            "user.shell" => F::UserShell,
            "user.loginuid" => F::UserLoginUid,
            "user.loginname" => F::UserLoginName,
            "group.gid" => F::GroupGid,
            "group.name" => F::GroupName,
            "fd.num" => F::FdNum,
            "fd.type" => F::FdType,
            "fd.typechar" => F::FdTypeChar,
            "fd.name" => F::FdName,
            "fd.nameraw" => F::FdNameRaw,
            "fd.directory" => F::FdDirectory,
            "fd.filename" => F::FdFilename,
            "fd.containername" => F::FdContainerName,
            "fd.containerdirectory" => F::FdContainerDirectory,
            "fd.ip" if mode == FieldMode::Endpoints => F::FdIp,
            "fd.port" if mode == FieldMode::Endpoints => F::FdPort,
            "fd.proto" if mode == FieldMode::Endpoints => F::FdProto,
            "fd.net" if mode == FieldMode::Endpoints => F::FdNet,
            "fd.cip" | "fd.cnet" => F::FdCip,
            "fd.sip" | "fd.snet" => F::FdSip,
            "fd.lip" | "fd.lnet" => F::FdLip,
            "fd.rip" | "fd.rnet" => F::FdRip,
            "fd.cport" => F::FdCport,
            "fd.sport" => F::FdSport,
            "fd.lport" => F::FdLport,
            "fd.rport" => F::FdRport,
            "fd.cproto" => F::FdCproto,
            "fd.sproto" => F::FdSproto,
            "fd.lproto" => F::FdLproto,
            "fd.rproto" => F::FdRproto,
            "fd.l4proto" => F::FdL4proto,
            "fd.sockfamily" => F::FdSockFamily,
            "fd.is_server" => F::FdIsServer,
            "fd.uid" => F::FdUid,
            "fd.connected" => F::FdConnected,
            "fd.name_changed" => F::FdNameChanged,
            "fd.dev" => F::FdDev(0),
            "fd.dev.major" => F::FdDev(1),
            "fd.dev.minor" => F::FdDev(2),
            "fd.ino" => F::FdIno,
            "fs.path.name" => F::FsPath(0, false),
            "fs.path.nameraw" => F::FsPath(0, true),
            "fs.path.source" => F::FsPath(1, false),
            "fs.path.sourceraw" => F::FsPath(1, true),
            "fs.path.target" => F::FsPath(2, false),
            "fs.path.targetraw" => F::FsPath(2, true),
            "container.id" => F::ContainerId,
            "container.full_id" => F::ContainerFullId,
            "container.name" => F::ContainerName,
            "container.image" => F::ContainerImage,
            "container.image.id" => F::ContainerImageId,
            "container.image.repository" => F::ContainerImageRepository,
            "container.image.tag" => F::ContainerImageTag,
            "container.image.digest" => F::ContainerImageDigest,
            "container.type" => F::ContainerType,
            "container.privileged" => F::ContainerPrivileged,
            "container.mounts" => F::ContainerMounts,
            "container.mount" => F::ContainerMount(key_arg(arg)),
            "container.mount.source" => F::ContainerMountAttr(0, key_arg(arg)),
            "container.mount.dest" => F::ContainerMountAttr(1, key_arg(arg)),
            "container.mount.mode" => F::ContainerMountAttr(2, key_arg(arg)),
            "container.mount.rdwr" => F::ContainerMountAttr(3, key_arg(arg)),
            "container.mount.propagation" => F::ContainerMountAttr(4, key_arg(arg)),
            "container.healthcheck" => F::ContainerProbe(0),
            "container.liveness_probe" => F::ContainerProbe(1),
            "container.readiness_probe" => F::ContainerProbe(2),
            "container.ip" => F::ContainerIp,
            "container.label" => F::ContainerLabel(key_arg(arg)),
            "container.labels" => F::ContainerLabels,
            "container.start_ts" => F::ContainerStartTs,
            "container.duration" => F::ContainerDuration,
            "k8s.pod.name" => F::K8sPodName,
            "k8s.ns.name" => F::K8sNsName,
            "k8s.pod.id" | "k8s.pod.uid" => F::K8sPodId,
            "k8s.pod.label" => F::K8sPodLabel(key_arg(arg)),
            "k8s.pod.labels" => F::K8sPodLabels,
            "util.cnt" => F::UtilCnt,
            _ => F::Unsupported,
        }
    }
}

/// The fields of a rule set's [`Tables`], resolved once.
#[derive(Debug, Clone, Default)]
pub struct FieldPlan {
    fields: Vec<Field>,
}

impl FieldPlan {
    /// Resolves every field of `tables`.
    pub fn new(tables: &Tables) -> FieldPlan {
        FieldPlan {
            fields: tables
                .fields
                .iter()
                .map(|d| Field::resolve(&d.field, d.mode))
                .collect(),
        }
    }

    /// The field with id `id`.
    pub fn get(&self, id: FieldId) -> Option<&Field> {
        self.fields.get(id.0 as usize)
    }
}

/// The Linux capability names, by bit (`thread.cap_*`).
const CAPS: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Field extraction for one event: implements [`FieldSource`] for the VM and renders
/// fields as text ([`display`](Self::display)) and JSON ([`json`](Self::json)).
pub struct Extractor<'a, 'e> {
    state: &'a mut State,
    evt: &'a EventRef<'e>,
    plan: Option<&'a FieldPlan>,
    opts: ExtractOptions,
    scratch: Values,
}

impl std::fmt::Debug for Extractor<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("event", &self.evt.num)
            .finish_non_exhaustive()
    }
}

impl<'a, 'e> Extractor<'a, 'e> {
    /// An extractor for `evt`, which [`State::process`] has just processed.
    pub fn new(state: &'a mut State, evt: &'a EventRef<'e>, opts: ExtractOptions) -> Self {
        Extractor {
            state,
            evt,
            plan: None,
            opts,
            scratch: Values::new(),
        }
    }

    /// Uses the pre-resolved fields of a rule set (faster [`FieldSource::extract`]).
    pub fn with_plan(mut self, plan: &'a FieldPlan) -> Self {
        self.plan = Some(plan);
        self
    }

    /// The state.
    pub fn state(&mut self) -> &mut State {
        self.state
    }

    /// The event.
    pub fn event(&self) -> &EventRef<'e> {
        self.evt
    }

    fn desc(&self) -> Option<&'static evtable::EventDesc> {
        evtable::event(self.evt.code)
    }

    fn eflags(&self) -> u32 {
        let flags = self.desc().map_or(0, |d| d.flags);
        if self.fd_param_022().is_some() {
            flags | EF_USES_FD
        } else {
            flags
        }
    }

    /// libs 0.22 ([`LibsVersion::Falco042`]): the fd parameter of an exit event the 0.22
    /// table flags `EF_USES_FD` and the 2022 table does not (`unlinkat`'s dirfd…), when
    /// the event carries it. Such an event's fd is that one (`m_lastevent_fd`).
    fn fd_param_022(&self) -> Option<i64> {
        if self.opts.libs != LibsVersion::Falco042 {
            return None;
        }
        let i = evtable::fd_location_022(self.evt.code)?;
        let p = falcoc_compiler::events::event(self.evt.code)?
            .params
            .get(i)?;
        if p.ty != FieldType::Fd {
            return None;
        }
        let raw = self.evt.param(i)?.raw();
        (raw.len() == 8).then(|| crate::state::parse_int(raw))
    }

    fn is_exit(&self) -> bool {
        self.desc()
            .is_some_and(|d| d.direction == falcoc_compiler::events::Direction::Exit)
    }

    fn thread_ref(&self) -> Option<ThreadRef> {
        self.state.event_thread_ref(self.evt.tid)
    }

    fn thread(&self) -> Option<&Thread> {
        self.state.thread_of(self.thread_ref()?)
    }

    /// The main thread of the event's thread (libsinsp `get_main_thread`).
    fn main_ref(&mut self) -> Option<ThreadRef> {
        match self.thread_ref()? {
            ThreadRef::ContainerEvent => Some(ThreadRef::ContainerEvent),
            ThreadRef::Table(tid) => self.state.main_thread(tid).map(ThreadRef::Table),
        }
    }

    fn th(&self, r: ThreadRef) -> Option<&Thread> {
        self.state.thread_of(r)
    }

    /// The parent (by ptid) of a thread, if in the table.
    fn parent_of(&self, r: ThreadRef) -> Option<ThreadRef> {
        let p = self.th(r)?.ptid;
        self.state.thread(p).map(|_| ThreadRef::Table(p))
    }

    /// The parent of the event's thread itself (`proc.pname` uses the thread's ptid).
    fn parent(&self) -> Option<&Thread> {
        let p = self.thread()?.ptid;
        self.state.thread(p)
    }

    /// `get_param_value_raw(name)` on the 2022 parameter names.
    fn param_by_name(&self, name: &str) -> Option<&'a [u8]> {
        let i = self.desc()?.param_index(name)?;
        self.evt.param(i).map(|p| p.raw())
    }

    fn param_text(&mut self, i: usize) -> Option<ParamText> {
        let opts = self.opts.render;
        render::param_text(self.state, self.evt, i, &opts)
    }

    /// `extract_fd`: the thread and fd of an fd event (the fd may be unknown).
    fn fd_ctx(&mut self) -> Option<(i64, Option<i64>)> {
        if self.eflags() & (EF_CREATES_FD | EF_USES_FD | evtable::EF_DESTROYS_FD) == 0 {
            return None;
        }
        let ThreadRef::Table(tid) = self.thread_ref()? else {
            return None;
        };
        let mut fdn = self.state.current().fd;
        if let Some(l) = self.fd_param_022().filter(|_| fdn.is_none()) {
            self.state.thread(tid)?;
            return Some((tid, self.state.fd(tid, l).map(|_| l)));
        }
        if fdn.is_none() {
            let l = self.state.thread(tid)?.lastevent_fd;
            if l != -1 && self.state.fd(tid, l).is_some() {
                fdn = Some(l);
            }
        }
        Some((tid, fdn))
    }

    /// `extract_fdname_from_creator`: the name of a failed fd-creating exit event.
    fn fdname_from_creator(&mut self) -> Option<String> {
        if !self.is_exit() {
            return None;
        }
        match self.evt.code {
            3 | 27 | 247 | 57 | 249 | 59 | 23 => self.param_text(1).map(ParamText::best),
            103 => None,
            307 | 327 => self.state.openat_failed_path(self.evt),
            _ => Some(String::new()),
        }
    }

    fn is_local_v4(&self, a: [u8; 4]) -> bool {
        self.state.is_local_v4(a, self.thread())
    }

    fn is_local_v6(&self, a: [u8; 16]) -> bool {
        self.state.is_local_v6(a, self.thread())
    }

    /// Extracts `field` into `out`. `display`: the rendering for outputs (unindexed
    /// ancestors missing, buffers as text).
    pub fn get(&mut self, field: &Field, display: bool, out: &mut Values) -> bool {
        use Field as F;
        let evt = self.evt;
        let ts = evt.ts;
        match field {
            F::EvtNum => out.push_u64(evt.num),
            F::EvtTime => out.push_str(&time_text(ts, self.opts.timezone, false, true)),
            F::EvtTimeS => out.push_str(&time_text(ts, self.opts.timezone, false, false)),
            F::EvtDatetime => out.push_str(&time_text(ts, self.opts.timezone, true, true)),
            F::EvtDatetimeS => out.push_str(&time_text(ts, self.opts.timezone, true, false)),
            F::EvtTimeIso8601 => out.push_str(&falcoc_engine::time::iso8601_time(ts)),
            F::EvtRawTime => out.push_u64(ts),
            F::EvtRawTimeS => out.push_u64(ts / 1_000_000_000),
            F::EvtRawTimeNs => out.push_u64(ts % 1_000_000_000),
            F::EvtRelTime | F::EvtRelTimeS | F::EvtRelTimeNs => {
                let rel = ts.wrapping_sub(self.state.first_event_ts());
                out.push_u64(match field {
                    F::EvtRelTime => rel,
                    F::EvtRelTimeS => rel / 1_000_000_000,
                    _ => rel % 1_000_000_000,
                });
            }
            F::EvtSource => out.push_str("syscall"),
            F::EvtIsAsync => out.push_bool(false),
            F::EvtHostname => match self.state.machine() {
                Some(m) => out.push_str(&m.hostname),
                None => return false,
            },
            F::EvtLatency(part) => {
                let internal = self
                    .desc()
                    .is_some_and(|d| d.category & evtable::EC_INTERNAL != 0);
                let lat = match self.thread() {
                    Some(_) if internal => return false,
                    Some(t) => t.latency,
                    None => 0,
                };
                out.push_u64(match part {
                    0 => lat,
                    1 => lat / 1_000_000_000,
                    _ => lat % 1_000_000_000,
                });
            }
            F::EvtLatencyHuman => {
                let lat = self.thread().map_or(0, |t| t.latency);
                out.push_str(&human_time(lat));
            }
            F::EvtDeltaTime(_) => out.push_u64(0),
            F::EvtDir => out.push_str(if self.is_exit() { "<" } else { ">" }),
            F::EvtType => out.push_str(self.type_name()),
            F::EvtTypeIs(id, by_name) => {
                let code = evt.code as u32;
                let is = code == *id || (*by_name && code == id + 1);
                out.push_u64(is as u64);
            }
            F::SyscallType => {
                let d = self.desc();
                let flags = d.map_or(0, |d| d.flags);
                // libsinsp tests EC_INTERNAL against the flags (a bug kept as is).
                if evt.code == 152
                    || flags & (evtable::EC_INTERNAL | evtable::EF_SKIPPARSERESET) != 0
                {
                    return false;
                }
                out.push_str(self.type_name());
            }
            F::EvtCategory => {
                let c = self.category();
                out.push_str(c);
            }
            F::EvtCpu => out.push_i64(evt.cpu as i16 as i64),
            F::EvtArgs => {
                if evt.code <= 1 {
                    out.push_str("");
                } else {
                    let mut s = String::new();
                    let n = self.desc().map_or(0, |d| d.params.len()).min(evt.nparams());
                    for i in 0..n {
                        let name = self.desc().map_or("", |d| d.params[i].name);
                        let Some(t) = self.param_text(i) else {
                            continue;
                        };
                        s.push_str(name);
                        s.push('=');
                        s.push_str(&t.raw);
                        if !t.resolved.is_empty() {
                            s.push('(');
                            s.push_str(&t.resolved);
                            s.push(')');
                        }
                        s.push(' ');
                    }
                    out.push_str(&s);
                }
            }
            F::EvtArgIndex(i) => {
                if *i < 0 || *i as usize >= evt.nparams() {
                    return false;
                }
                match self.param_text(*i as usize) {
                    Some(t) => push_cstr(out, &t.best()),
                    None => return false,
                }
            }
            F::EvtArgName(name) => {
                let Some(i) = self.desc().and_then(|d| d.param_index(name)) else {
                    return false;
                };
                if i >= evt.nparams() {
                    return false;
                }
                match self.param_text(i) {
                    Some(t) => push_cstr(out, &t.best()),
                    None => return false,
                }
            }
            F::EvtRawArg(name) => {
                let Some(raw) = self.param_by_name(name) else {
                    return false;
                };
                let ty = self
                    .desc()
                    .and_then(|d| d.param_index(name).map(|i| d.params[i].ty))
                    .unwrap_or(FieldType::Bytebuf);
                if display {
                    let opts = self.opts.render;
                    let i = self.desc().and_then(|d| d.param_index(name)).unwrap_or(0);
                    match render::param_text(self.state, evt, i, &opts) {
                        Some(t) => out.push_str(&t.raw),
                        None => return false,
                    }
                } else {
                    push_raw_param(out, ty, raw);
                }
            }
            F::EvtBuffer => {
                let Some(raw) = self.param_by_name("data") else {
                    return false;
                };
                if display {
                    out.push_str(&render::buffer_dots(raw, self.opts.render.max_buffer_len));
                } else {
                    out.push_bytes(raw);
                }
            }
            F::EvtBuflen(which) => return self.buflen(*which, out),
            F::EvtRes => {
                let (raw, name) = match self.res_param() {
                    Some(x) => x,
                    None => return false,
                };
                let v = crate::state::parse_int(raw);
                if v >= 0 {
                    out.push_str("SUCCESS");
                } else {
                    let i = self.desc().and_then(|d| d.param_index(name)).unwrap_or(0);
                    match self.param_text(i) {
                        Some(t) => out.push_str(&t.best()),
                        None => return false,
                    }
                }
            }
            F::EvtRawRes => match self.res_param() {
                Some((raw, _)) => out.push_i64(crate::state::parse_int(raw)),
                None => return false,
            },
            F::EvtFailed => {
                let failed = self
                    .res_param()
                    .is_some_and(|(raw, _)| crate::state::parse_int(raw) < 0);
                out.push_bool(failed);
            }
            F::EvtIsIo(which) => {
                let f = self.eflags();
                out.push_bool(match which {
                    0 => f & (EF_READS_FROM_FD | EF_WRITES_TO_FD) != 0,
                    1 => f & EF_READS_FROM_FD != 0,
                    _ => f & EF_WRITES_TO_FD != 0,
                });
            }
            F::EvtIoDir => {
                let f = self.eflags();
                if f & EF_WRITES_TO_FD != 0 {
                    out.push_str("write");
                } else if f & EF_READS_FROM_FD != 0 {
                    out.push_str("read");
                } else {
                    return false;
                }
            }
            F::EvtIsWait => out.push_bool(self.eflags() & EF_WAITS != 0),
            F::EvtWaitLatency => {
                if self.eflags() & EF_WAITS == 0 || !self.is_exit() {
                    return false;
                }
                out.push_u64(self.thread().map_or(0, |t| t.latency));
            }
            F::EvtIsSyslog => {
                let is = self.eflags() & EF_WRITES_TO_FD != 0
                    && self
                        .state
                        .event_fd()
                        .is_some_and(|f| f.name.contains("/dev/log"));
                out.push_bool(is);
            }
            F::EvtCount => out.push_u64(1),
            F::EvtCountError(which) => return self.count_error(*which, out),
            F::EvtCountExit => {
                if !self.is_exit() {
                    return false;
                }
                out.push_u64(1);
            }
            F::EvtCountProcinfo | F::EvtCountThreadinfo => {
                if evt.code != crate::state::PPME_PROCINFO_E {
                    return false;
                }
                if *field == F::EvtCountProcinfo
                    && !self.thread().is_some_and(Thread::is_main_thread)
                {
                    return false;
                }
                out.push_u64(1);
            }
            F::EvtAbspath(which) => return self.abspath(*which, out),
            F::EvtIsOpen(which) => out.push_bool(self.is_open(*which)),
            F::Ancestor(of, anc) => return self.ancestor(*of, *anc, display, out),
            F::UserUid
            | F::UserName
            | F::UserHomedir
            | F::UserShell
            | F::UserLoginUid
            | F::UserLoginName
            | F::GroupGid
            | F::GroupName => return self.user_field(field, out),
            F::FdNum
            | F::FdType
            | F::FdTypeChar
            | F::FdName
            | F::FdNameRaw
            | F::FdDirectory
            | F::FdFilename
            | F::FdContainerName
            | F::FdContainerDirectory
            | F::FdIp
            | F::FdPort
            | F::FdProto
            | F::FdNet
            | F::FdCip
            | F::FdSip
            | F::FdLip
            | F::FdRip
            | F::FdCport
            | F::FdSport
            | F::FdLport
            | F::FdRport
            | F::FdCproto
            | F::FdSproto
            | F::FdLproto
            | F::FdRproto
            | F::FdL4proto
            | F::FdSockFamily
            | F::FdIsServer
            | F::FdUid
            | F::FdConnected
            | F::FdNameChanged
            | F::FdDev(_)
            | F::FdIno => {
                if !display
                    || !matches!(
                        field,
                        F::FdName | F::FdContainerName | F::FdDirectory | F::FdFilename
                    )
                {
                    return self.fd_field(field, out);
                }
                // libsinsp sanitizes these names when rendering them.
                let mut v = Values::new();
                if !self.fd_field(field, &mut v) {
                    return false;
                }
                match v.first() {
                    Some(ValueRef::Bytes(b)) => {
                        let s: Vec<u8> = b
                            .iter()
                            .copied()
                            .filter(|&c| !crate::state::paths::is_invalid_char(c))
                            .collect();
                        out.push_bytes(&s);
                    }
                    Some(other) => out.push(other),
                    None => {}
                }
            }
            F::FsPath(which, raw) => return self.fs_path(*which, *raw, out),
            F::ContainerId
            | F::ContainerFullId
            | F::ContainerName
            | F::ContainerImage
            | F::ContainerImageId
            | F::ContainerImageRepository
            | F::ContainerImageTag
            | F::ContainerImageDigest
            | F::ContainerType
            | F::ContainerPrivileged
            | F::ContainerMounts
            | F::ContainerMount(_)
            | F::ContainerMountAttr(..)
            | F::ContainerProbe(_)
            | F::ContainerIp
            | F::ContainerLabel(_)
            | F::ContainerLabels
            | F::ContainerStartTs
            | F::ContainerDuration
            | F::K8sPodName
            | F::K8sNsName
            | F::K8sPodId
            | F::K8sPodLabel(_)
            | F::K8sPodLabels => return self.container_field(field, out),
            F::UtilCnt => out.push_u64(evt.num),
            F::Unsupported => return false,
            _ => return self.proc_field(field, out),
        }
        true
    }

    /// `evt.type`: the event name, or the syscall name of a generic event.
    fn type_name(&self) -> &'static str {
        if self.evt.code <= 1 {
            let id = self.evt.param(0).and_then(|p| p.as_u16()).unwrap_or(0);
            return evtable::syscall(id).1;
        }
        self.desc().map_or("NA", |d| d.name)
    }

    /// `evt.category` (`get_category`).
    fn category(&mut self) -> &'static str {
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
    fn res_param(&self) -> Option<(&'a [u8], &'static str)> {
        if let Some(r) = self.param_by_name("res") {
            return Some((r, "res"));
        }
        if self.eflags() & EF_CREATES_FD != 0 && self.is_exit() {
            return self.param_by_name("fd").map(|r| (r, "fd"));
        }
        None
    }

    fn buflen(&mut self, which: u8, out: &mut Values) -> bool {
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
        let r = crate::state::parse_int(self.evt.param(0).map_or(&[][..], |p| p.raw()));
        if r < 0 {
            return false;
        }
        out.push_u64(r as u64);
        true
    }

    fn count_error(&mut self, which: u8, out: &mut Values) -> bool {
        let err = self
            .res_param()
            .is_some_and(|(raw, _)| crate::state::parse_int(raw) < 0);
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

    fn is_open(&self, which: u8) -> bool {
        let code = self.evt.code;
        let raw = |i: usize| {
            crate::state::parse_uint(self.evt.param(i).map_or(&[][..], |p| p.raw())) as u32
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

    fn abspath(&mut self, which: u8, out: &mut Values) -> bool {
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
        let dirfd = crate::state::parse_int(dfd);
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
        let (full, _) = crate::state::paths::concatenate(base.as_bytes(), path);
        out.push_str(&full);
        true
    }

    /// `fs.path.*` (libs master `sinsp_filtercheck_fspath`): the path argument of a
    /// successful file-system syscall exit, raw or made absolute.
    fn fs_path(&mut self, which: u8, raw_form: bool, out: &mut Values) -> bool {
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
                .is_some_and(|r| crate::state::parse_int(r) != -1),
            _ => self
                .param_by_name("res")
                .is_some_and(|r| crate::state::parse_int(r) == 0),
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
                Some(r) => crate::state::parse_cstr(r).to_vec(),
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
                let Some(d) = ex.param_by_name(param).map(crate::state::parse_int) else {
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
        out.push_str(&crate::state::paths::concatenate(sdir.as_bytes(), &path).0);
        true
    }

    fn ancestor(&mut self, of: AncOf, anc: Anc, display: bool, out: &mut Values) -> bool {
        let Some(mt) = self.main_ref() else {
            return false;
        };
        let push = |t: &Thread, out: &mut Values| match of {
            AncOf::Name => out.push_str(&t.comm),
            AncOf::Pid => out.push_i64(t.pid),
            AncOf::Exe => out.push_str(&t.exe),
            AncOf::ExePath => out.push_str(&t.exepath),
            AncOf::Cmdline => out.push_str(&t.cmdline()),
        };
        match anc {
            Anc::Index(n) => {
                let mut cur = mt;
                for _ in 0..n.max(0) {
                    match self.parent_of(cur) {
                        Some(p) => cur = p,
                        None => return false,
                    }
                }
                match self.th(cur) {
                    Some(t) => push(t, out),
                    None => return false,
                }
                true
            }
            Anc::All if display => false,
            Anc::All => {
                let ThreadRef::Table(tid) = mt else {
                    // The container event's placeholder has no parent in the table.
                    return true;
                };
                for a in self.state.ancestors(tid) {
                    if let Some(t) = self.state.thread(a) {
                        push(t, out);
                    }
                }
                true
            }
        }
    }

    fn user_field(&mut self, field: &Field, out: &mut Values) -> bool {
        use Field as F;
        let Some(t) = self.thread() else {
            return false;
        };
        let (uid, gid, loginuid) = (t.uid, t.gid, t.loginuid);
        let na_users = self.opts.libs == LibsVersion::Falco042;
        match field {
            F::UserUid => out.push_u64(uid as u64),
            F::UserLoginUid => out.push_i64(if loginuid == u32::MAX {
                -1
            } else {
                loginuid as i64
            }),
            F::UserName | F::UserHomedir | F::UserShell | F::UserLoginName => {
                let id = if *field == F::UserLoginName {
                    loginuid
                } else {
                    uid
                };
                match self.state.user(id) {
                    Some(u) => out.push_str(match field {
                        F::UserHomedir => &u.homedir,
                        F::UserShell => &u.shell,
                        _ => &u.name,
                    }),
                    // libs 0.22's `get_user`/`get_loginuser`: a placeholder user.
                    None if na_users => out.push_str(match (field, id) {
                        (F::UserName | F::UserLoginName, 0) => "root",
                        (F::UserHomedir, 0) => "/root",
                        _ => "<NA>",
                    }),
                    None => return false,
                }
            }
            F::GroupGid => out.push_u64(gid as u64),
            F::GroupName => match self.state.group(gid) {
                Some(g) => out.push_str(&g.name),
                // libs 0.22's `get_group`: a placeholder group.
                None if na_users => out.push_str(if gid == 0 { "root" } else { "<NA>" }),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    fn proc_field(&mut self, field: &Field, out: &mut Values) -> bool {
        use Field as F;
        if *field == F::ThreadTid {
            out.push_i64(self.evt.tid);
            return true;
        }
        if *field == F::ThreadExecTime {
            out.push_u64(0);
            return true;
        }
        let Some(r) = self.thread_ref() else {
            return false;
        };
        let ts = self.evt.ts;
        let tid_for_main = match r {
            ThreadRef::Table(t) => Some(t),
            ThreadRef::ContainerEvent => None,
        };
        match field {
            F::ProcCwd => {
                let cwd = match tid_for_main {
                    Some(t) => self.state.process_cwd(t),
                    None => String::new(),
                };
                out.push_str(&cwd);
                return true;
            }
            F::ProcEnv(key) => {
                let env = match (tid_for_main, self.th(r)) {
                    (Some(t), _) => self.state.process_env(t),
                    (None, Some(t)) => t.env.clone(),
                    _ => return false,
                };
                match key {
                    None => out.push_str(&env.join(" ")),
                    Some(k) => out.push_str(Thread::env_value(&env, k)),
                }
                return true;
            }
            F::ProcPPid
            | F::ProcNThreads
            | F::ProcFdOpenCount
            | F::ProcFdLimit
            | F::ProcFdUsage
            | F::ProcLoginShellId => {
                let Some(mr) = self.main_ref() else {
                    return false;
                };
                match field {
                    F::ProcPPid => match self.th(mr) {
                        Some(m) => out.push_i64(m.ptid),
                        None => return false,
                    },
                    F::ProcNThreads => match self.th(mr) {
                        Some(m) => out.push_u64(m.nchilds + 1),
                        None => return false,
                    },
                    F::ProcFdOpenCount | F::ProcFdUsage => {
                        let (n, limit) = match self.th(mr) {
                            Some(m) => (m.fds.len() as u64, m.fdlimit),
                            None => return false,
                        };
                        if *field == F::ProcFdOpenCount {
                            out.push_u64(n);
                        } else if limit > 0 {
                            out.push_f64(n as f64 * 100.0 / limit as f64);
                        } else {
                            out.push_f64(0.0);
                        }
                    }
                    F::ProcFdLimit => match self.th(mr) {
                        Some(m) => out.push_i64(m.fdlimit),
                        None => return false,
                    },
                    _ => {
                        // proc.loginshellid: the oldest shell among the process and its
                        // ancestors.
                        let mut res = None;
                        let is_shell = |t: &Thread| t.comm.ends_with("sh");
                        if let Some(m) = self.th(mr) {
                            if is_shell(m) {
                                res = Some(m.pid);
                            }
                        }
                        if let ThreadRef::Table(mt) = mr {
                            for a in self.state.ancestors(mt) {
                                if let Some(t) = self.state.thread(a) {
                                    if is_shell(t) {
                                        res = Some(t.pid);
                                    }
                                }
                            }
                        }
                        match res {
                            Some(p) => out.push_i64(p),
                            None => return false,
                        }
                    }
                }
                return true;
            }
            F::ProcPName
            | F::ProcPCmdline
            | F::ProcPExe
            | F::ProcPExePath
            | F::ProcPVPid
            | F::ProcPPidDuration
            | F::ProcPPidTs => {
                let Some(p) = self.parent() else {
                    return false;
                };
                match field {
                    F::ProcPName => out.push_str(&p.comm),
                    F::ProcPCmdline => out.push_str(&p.cmdline()),
                    F::ProcPExe => out.push_str(&p.exe),
                    F::ProcPExePath => out.push_str(&p.exepath),
                    F::ProcPVPid => out.push_i64(p.vpid),
                    F::ProcPPidTs => out.push_u64(p.clone_ts),
                    _ => {
                        if p.clone_ts == 0 {
                            return false;
                        }
                        out.push_u64(ts.saturating_sub(p.clone_ts));
                    }
                }
                return true;
            }
            F::ProcSName | F::ProcSidExe(_) => {
                let Some(t) = self.th(r) else {
                    return false;
                };
                let sid = t.sid;
                let leader = match self.state.thread(sid) {
                    Some(l) => Some(l.tid),
                    None => {
                        let Some(mr) = self.main_ref() else {
                            return false;
                        };
                        let ThreadRef::Table(mt) = mr else {
                            return false;
                        };
                        let msid = self.state.thread(mt).map_or(-1, |m| m.sid);
                        let mut best = mt;
                        for a in self.state.ancestors(mt) {
                            if self.state.thread(a).map(|t| t.sid) != Some(msid) {
                                break;
                            }
                            best = a;
                        }
                        Some(best)
                    }
                };
                let Some(l) = leader.and_then(|l| self.state.thread(l)) else {
                    return false;
                };
                match field {
                    F::ProcSName => out.push_str(&l.comm),
                    F::ProcSidExe(false) => out.push_str(&l.exe),
                    _ => out.push_str(&l.exepath),
                }
                return true;
            }
            F::ProcVpgidName | F::ProcVpgidExe(_) => {
                let Some(t) = self.th(r) else {
                    return false;
                };
                let Some(l) = self.state.thread(t.vpgid) else {
                    return false;
                };
                match field {
                    F::ProcVpgidName => out.push_str(&l.comm),
                    F::ProcVpgidExe(false) => out.push_str(&l.exe),
                    _ => out.push_str(&l.exepath),
                }
                return true;
            }
            F::ProcStd(fdn, name) => {
                let ThreadRef::Table(tid) = r else {
                    return false;
                };
                let Some(f) = self.state.fd(tid, *fdn as i64) else {
                    return false;
                };
                if *name {
                    out.push_str(&f.name);
                } else {
                    match f.typestring() {
                        Some(s) => out.push_str(s),
                        None => return false,
                    }
                }
                return true;
            }
            _ => {}
        }
        let Some(t) = self.th(r) else {
            return false;
        };
        match field {
            F::ProcPid => out.push_i64(t.pid),
            F::ProcExe => out.push_str(&t.exe),
            F::ProcName => out.push_str(&t.comm),
            F::ProcExePath => out.push_str(&t.exepath),
            F::ProcArgs => out.push_str(&t.args_line()),
            F::ProcArgsIndex(i) => match usize::try_from(*i).ok().and_then(|i| t.args.get(i)) {
                Some(a) => out.push_str(a),
                None => return false,
            },
            F::ProcCmdline => out.push_str(&t.cmdline()),
            F::ProcCmdNArgs => out.push_u64(t.args.len() as u64),
            F::ProcCmdLenArgs => out.push_u64(t.args.iter().map(|a| a.len() as u64).sum()),
            F::ProcExeline => {
                let mut s = t.exe.clone();
                s.push(' ');
                s.push_str(&t.args_line());
                out.push_str(&s);
            }
            F::ProcTty => out.push_u64(t.tty as u64),
            F::ProcVPid => {
                if t.vpid == -1 {
                    return false;
                }
                out.push_i64(t.vpid);
            }
            F::ProcSid => out.push_i64(t.sid),
            F::ProcVpgid => out.push_i64(t.vpgid),
            F::ProcDuration => {
                if t.clone_ts == 0 {
                    return false;
                }
                out.push_u64(ts.saturating_sub(t.clone_ts));
            }
            F::ProcPidTs => out.push_u64(t.clone_ts),
            F::ProcIsExeWritable => out.push_bool(t.exe_writable),
            F::ProcIsExeUpperLayer => out.push_bool(t.exe_upper_layer),
            F::ProcIsExeLowerLayer => out.push_bool(t.exe_lower_layer),
            F::ProcIsExeFromMemfd => out.push_bool(t.exe_from_memfd),
            F::ProcIsSidLeader => out.push_bool(t.sid == t.vpid),
            F::ProcIsVpgidLeader => out.push_bool(t.vpgid == t.vpid),
            F::ProcExeIno(k) => match k {
                0 => out.push_i64(t.exe_ino[0] as i64),
                1 | 2 => out.push_u64(t.exe_ino[*k as usize]),
                3 => out.push_u64(t.clone_ts.saturating_sub(t.exe_ino[1])),
                _ => out.push_u64(t.exe_ino[1].saturating_sub(t.pidns_init_start_ts)),
            },
            F::ProcPidnsInitStartTs => out.push_u64(t.pidns_init_start_ts),
            F::ThreadCap(k) => {
                let v = t.caps[*k as usize];
                let names: Vec<&str> = CAPS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| v & (1u64 << i) != 0)
                    .map(|(_, n)| *n)
                    .collect();
                out.push_str(&names.join(" "));
            }
            F::ProcVm(k) => out.push_u64(t.vm[*k as usize] as u64),
            F::ThreadPf(k) => out.push_u64(t.pf[*k as usize]),
            F::ThreadIsMain => out.push_bool(t.is_main_thread()),
            F::ThreadVtid => {
                if t.vtid == -1 {
                    return false;
                }
                out.push_i64(t.vtid);
            }
            F::ThreadNameTid => out.push_str(&format!("{}{}", t.comm, self.evt.tid)),
            F::ThreadCgroups => {
                if t.cgroups.is_empty() {
                    return false;
                }
                let s: Vec<String> = t.cgroups.iter().map(|(a, b)| format!("{a}={b}")).collect();
                out.push_str(&s.join(" "));
            }
            F::ThreadCgroup(sub) => match t.cgroups.iter().find(|(s, _)| s == sub) {
                Some((_, p)) => out.push_str(p),
                None => return false,
            },
            F::ProcNChilds => out.push_u64(t.nchilds),
            F::ThreadVm(k) => {
                let main = t.is_main_thread();
                let v = if main {
                    t.vm[(*k % 2) as usize] as u64
                } else {
                    0
                };
                out.push_u64(if *k >= 2 { v * 1024 } else { v });
            }
            F::ProcIsHealthProbe(c) => out.push_bool(t.category == *c),
            _ => return false,
        }
        true
    }

    fn fd_field(&mut self, field: &Field, out: &mut Values) -> bool {
        use Field as F;
        let Some((tid, fdn)) = self.fd_ctx() else {
            return false;
        };
        let last = self.fd_param_022();
        if *field == F::FdNum {
            match self.state.thread(tid) {
                Some(t) => out.push_i64(last.unwrap_or(t.lastevent_fd)),
                None => return false,
            }
            return true;
        }
        if *field == F::FdUid {
            let l = last.unwrap_or_else(|| self.state.thread(tid).map_or(-1, |t| t.lastevent_fd));
            out.push_str(&format!("{tid}{l}"));
            return true;
        }
        let f = fdn.and_then(|n| self.state.fd(tid, n).cloned());
        // A connect exit that failed names the tuple of its parameters.
        let f = if self.evt.code == 23
            && crate::state::parse_int(self.evt.param(0).map_or(&[][..], |p| p.raw())) < 0
            && matches!(field, F::FdName | F::FdContainerName)
        {
            None
        } else {
            f
        };
        let container_id = self
            .thread()
            .map(|t| t.container_id.clone())
            .unwrap_or_default();
        let Some(f) = f else {
            return self.null_fd_field(field, &container_id, out);
        };
        let s = &f.sock;
        let ipv4 = |a: [u8; 4]| IpAddr::V4(Ipv4Addr::from(a));
        let ipv6 = |a: [u8; 16]| IpAddr::V6(Ipv6Addr::from(a));
        match field {
            F::FdName => push_cstr(out, &f.name),
            F::FdNameRaw => push_cstr(out, &f.name),
            F::FdContainerName => out.push_str(&format!("{}:{}", container_id, f.name)),
            F::FdType => match f.typestring() {
                Some(t) => out.push_str(t),
                None => return false,
            },
            F::FdTypeChar => out.push_bytes(&[f.typechar()]),
            F::FdDirectory | F::FdContainerDirectory => {
                if !(f.is_file() || f.ty == FdType::Directory) {
                    return false;
                }
                let mut d = f.name.clone();
                if f.is_file() {
                    match d.rfind('/') {
                        Some(p) if p != 0 => {
                            if p < d.len() - 1 {
                                d.truncate(p);
                            }
                        }
                        _ => d = "/".to_string(),
                    }
                }
                if *field == F::FdContainerDirectory {
                    d = format!("{container_id}:{d}");
                }
                out.push_str(&d);
            }
            F::FdFilename => {
                if !f.is_file() {
                    return false;
                }
                let n = &f.name;
                let name = match n.rfind('/') {
                    Some(p) if p < n.len() - 1 => n[p + 1..].to_string(),
                    Some(_) => n.clone(),
                    None => "/".to_string(),
                };
                out.push_str(&name);
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
                            out.push_str(&port.to_string());
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
                    _ if *field == F::FdCproto => {
                        out.push_str("");
                        return true;
                    }
                    _ => 0,
                };
                if *field == F::FdCport {
                    out.push_u64(port as u64);
                } else {
                    out.push_str(&port.to_string());
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
                if *field == F::FdSport {
                    out.push_u64(port as u64);
                } else if matches!(f.ty, FdType::Ipv4Sock | FdType::Ipv6Sock) {
                    out.push_str(&port.to_string());
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
    fn null_fd_field(&mut self, field: &Field, container_id: &str, out: &mut Values) -> bool {
        use Field as F;
        match field {
            F::FdName | F::FdNameRaw => match self.fdname_from_creator() {
                Some(n) => push_cstr(out, &n),
                None => return false,
            },
            F::FdContainerName => match self.fdname_from_creator() {
                Some(n) => out.push_str(&format!("{container_id}:{n}")),
                None => return false,
            },
            F::FdDirectory | F::FdContainerDirectory => {
                let Some(mut d) = self.fdname_from_creator() else {
                    return false;
                };
                d = crate::state::paths::sanitize(&d);
                match d.rfind('/') {
                    Some(p) if p != 0 => {
                        if p < d.len() - 1 {
                            d.truncate(p);
                        }
                    }
                    _ => d = "/".to_string(),
                }
                if *field == F::FdContainerDirectory {
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

    fn container_info(&self) -> Option<(&Thread, Option<&crate::state::Container>)> {
        let t = self.thread()?;
        let c = self.state.container(&t.container_id);
        Some((t, c))
    }

    fn container_field(&mut self, field: &Field, out: &mut Values) -> bool {
        use Field as F;
        let ts = self.evt.ts;
        let Some((t, c)) = self.container_info() else {
            return false;
        };
        let host = t.container_id.is_empty();
        match field {
            F::ContainerId => {
                out.push_str(if host { "host" } else { &t.container_id });
                return true;
            }
            F::ContainerName => {
                if host {
                    out.push_str("host");
                    return true;
                }
                return match c {
                    Some(c) if !c.name.is_empty() => {
                        out.push_str(&c.name);
                        true
                    }
                    _ => false,
                };
            }
            F::ContainerType => {
                if host {
                    out.push_str("host");
                    return true;
                }
                return match c.and_then(|c| c.type_name()) {
                    Some(n) => {
                        out.push_str(n);
                        true
                    }
                    None => false,
                };
            }
            F::ContainerImageRepository | F::ContainerImageTag if host => {
                out.push_str("");
                return true;
            }
            _ => {}
        }
        if host {
            return false;
        }
        let Some(c) = c else {
            return false;
        };
        let non_empty = |s: &str, out: &mut Values| {
            if s.is_empty() {
                false
            } else {
                out.push_str(s);
                true
            }
        };
        match field {
            F::ContainerFullId => non_empty(&c.full_id, out),
            F::ContainerImage => non_empty(&c.image, out),
            F::ContainerImageId => non_empty(&c.image_id, out),
            F::ContainerImageRepository => non_empty(&c.image_repo, out),
            F::ContainerImageTag => non_empty(&c.image_tag, out),
            F::ContainerImageDigest => non_empty(&c.image_digest, out),
            F::ContainerPrivileged => {
                out.push_bool(c.privileged);
                true
            }
            F::ContainerMounts => {
                let s: Vec<String> = c.mounts.iter().map(|m| m.render()).collect();
                out.push_str(&s.join(","));
                true
            }
            F::ContainerMount(arg) => {
                let m = match arg.parse::<usize>() {
                    Ok(i) => c.mounts.get(i),
                    Err(_) => c.mount_by_source(arg),
                };
                match m {
                    Some(m) => out.push_str(&m.render()),
                    None => out.push_str("none"),
                }
                true
            }
            F::ContainerMountAttr(k, arg) => {
                let m = match arg.parse::<usize>() {
                    Ok(i) => c.mounts.get(i),
                    Err(_) if *k == 0 => c.mount_by_dest(arg),
                    Err(_) => c.mount_by_source(arg),
                };
                let Some(m) = m else {
                    return false;
                };
                match k {
                    0 => out.push_str(&m.source),
                    1 => out.push_str(&m.dest),
                    2 => out.push_str(&m.mode),
                    3 => out.push_str(if m.rdwr { "true" } else { "false" }),
                    _ => out.push_str(&m.propagation),
                }
                true
            }
            F::ContainerProbe(k) => {
                let kind = match k {
                    0 => crate::state::container::ProbeKind::Healthcheck,
                    1 => crate::state::container::ProbeKind::Liveness,
                    _ => crate::state::container::ProbeKind::Readiness,
                };
                match c.probes.iter().find(|p| p.kind == kind) {
                    Some(p) => {
                        let mut s = p.exe.clone();
                        for a in &p.args {
                            s.push(' ');
                            s.push_str(a);
                        }
                        out.push_str(&s);
                    }
                    None => out.push_str("NONE"),
                }
                true
            }
            F::ContainerIp => {
                if c.ip == 0 {
                    return false;
                }
                out.push_str(&Ipv4Addr::from(c.ip).to_string());
                true
            }
            F::ContainerLabel(k) => match c.labels.get(k) {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            F::ContainerLabels => {
                let s: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                out.push_str(&s.join(", "));
                true
            }
            F::ContainerStartTs => {
                if c.created_time <= 0 {
                    return false;
                }
                out.push_u64(c.created_time as u64 * 1_000_000_000);
                true
            }
            F::ContainerDuration => {
                if c.created_time <= 0 {
                    return false;
                }
                out.push_u64(ts.saturating_sub(c.created_time as u64 * 1_000_000_000));
                true
            }
            F::K8sPodName => match c.labels.get("io.kubernetes.pod.name") {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            F::K8sNsName => match c.labels.get("io.kubernetes.pod.namespace") {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            F::K8sPodId => match c.labels.get("io.kubernetes.pod.uid") {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            F::K8sPodLabel(k) => {
                if !c.labels.contains_key("io.kubernetes.pod.name") {
                    return false;
                }
                match c.labels.get(k) {
                    Some(v) => {
                        out.push_str(v);
                        true
                    }
                    None => false,
                }
            }
            F::K8sPodLabels => {
                if !c.labels.contains_key("io.kubernetes.pod.name") {
                    return false;
                }
                let s: Vec<String> = c
                    .labels
                    .iter()
                    .filter(|(k, _)| !k.starts_with("io.kubernetes."))
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect();
                out.push_str(&s.join(","));
                true
            }
            _ => false,
        }
    }

    /// A field's values, extracted into the extractor's scratch buffer.
    fn extract_scratch(&mut self, field: &Field, display: bool) -> Option<Values> {
        let mut v = std::mem::take(&mut self.scratch);
        v.clear();
        if self.get(field, display, &mut v) {
            Some(v)
        } else {
            self.scratch = v;
            None
        }
    }

    /// The text form of `field` as sysdig and Falco print it in outputs; `None` when the
    /// field is missing (printed `<NA>`).
    pub fn display(&mut self, field: &ResolvedField) -> Option<String> {
        let f = Field::resolve(field, FieldMode::Plain);
        self.display_field(&f, field.ty, field.field.format)
    }

    /// [`display`](Self::display) for a resolved [`Field`] of type `ty`.
    pub fn display_field(
        &mut self,
        f: &Field,
        ty: FieldType,
        format: PrintFormat,
    ) -> Option<String> {
        let vals = self.extract_scratch(f, true)?;
        let s = render_values(&vals, ty, format);
        self.scratch = vals;
        s
    }

    /// The JSON value of `field` as Falco puts it in `output_fields`: numbers for
    /// decimal numeric fields, booleans, strings, the integer ns timestamp for
    /// `evt.time*`, arrays for list fields, `null` when missing.
    pub fn json(&mut self, field: &ResolvedField) -> Value {
        let f = Field::resolve(field, FieldMode::Plain);
        if matches!(f, Field::EvtTime | Field::EvtTimeIso8601) {
            return Value::from(self.evt.ts);
        }
        let Some(vals) = self.extract_scratch(&f, true) else {
            return Value::Null;
        };
        let v = json_values(&vals, field.ty, field.field.format, field.is_list());
        self.scratch = vals;
        v
    }

    /// Evaluates an output operand (a field or transformers over fields) into `out`.
    pub fn eval_operand(&mut self, op: &Operand, out: &mut Values) -> bool {
        transform::eval_operand(op, out, &mut |leaf, out| match &leaf.kind {
            OperandKind::Field(rf) => {
                let f = Field::resolve(rf, FieldMode::Plain);
                self.get(&f, true, out)
            }
            OperandKind::Literal(s) => {
                out.push_str(s);
                true
            }
            _ => false,
        })
    }

    /// The text of an output operand (`None` when missing).
    pub fn display_operand(&mut self, op: &Operand) -> Option<String> {
        if let OperandKind::Field(rf) = &op.kind {
            return self.display(rf);
        }
        let mut v = Values::new();
        if !self.eval_operand(op, &mut v) {
            return None;
        }
        render_values(&v, op.ty, PrintFormat::Dec)
    }
}

impl FieldSource for Extractor<'_, '_> {
    fn extract(&mut self, id: FieldId, field: &FieldDesc, out: &mut Values) -> bool {
        let plan = self.plan;
        match plan.and_then(|p| p.get(id)) {
            Some(f) => self.get(f, false, out),
            None => {
                let f = Field::resolve(&field.field, field.mode);
                self.get(&f, false, out)
            }
        }
    }
}

/// Pushes a string as libsinsp extracts it: up to the first NUL.
fn push_cstr(out: &mut Values, s: &str) {
    match s.find('\0') {
        Some(n) => out.push_str(&s[..n]),
        None => out.push_str(s),
    }
}

/// Pushes a raw parameter with its type (`evt.rawarg.NAME`).
fn push_raw_param(out: &mut Values, ty: FieldType, raw: &[u8]) {
    use FieldType as T;
    match ty {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::Errno | T::Fd | T::Pid => {
            out.push_i64(crate::state::parse_int(raw))
        }
        T::Charbuf | T::Fspath | T::FsRelPath => out.push_bytes(crate::state::parse_cstr(raw)),
        T::Bytebuf | T::Sockaddr | T::Socktuple | T::Fdlist | T::Dyn => out.push_bytes(raw),
        T::Bool => out.push_bool(crate::state::parse_uint(raw) != 0),
        T::Double => out.push_f64(f64::from_bits(crate::state::parse_uint(raw))),
        T::Ipv4Addr if raw.len() == 4 => {
            out.push_ip(IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3])))
        }
        _ => out.push_u64(crate::state::parse_uint(raw)),
    }
}

/// `tostring_nice` of a duration in ns (`evt.latency.human`).
fn human_time(ns: u64) -> String {
    let v = ns as f64;
    if ns >= 1_000_000_000 {
        format!("{:.2}s", v / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.2}ms", v / 1e6)
    } else if ns >= 1_000 {
        format!("{:.2}us", v / 1e3)
    } else {
        format!("{ns}ns")
    }
}

impl EventFields for Extractor<'_, '_> {
    fn display_operand(&mut self, operand: &Operand) -> Option<String> {
        Extractor::display_operand(self, operand)
    }

    fn json_field(&mut self, field: &ResolvedField) -> Value {
        Extractor::json(self, field)
    }
}
