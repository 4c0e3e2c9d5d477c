//! The syscall fields as extraction sees them: every field of the compiler's registry
//! resolved once to a [`Field`] variant with its argument.

use super::*;

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
    /// `fd.cip.name`, `fd.sip.name`, `fd.lip.name`, `fd.rip.name` (0 to 3): the host
    /// name of the address, from the state's host name table.
    FdIpName(u8),
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
    /// `k8s.pod.sandbox_id` (`false`) and `k8s.pod.full_sandbox_id` (`true`).
    K8sPodSandboxId(bool),
    /// `k8s.pod.ip`.
    K8sPodIp,
    /// `container.host_network` (0), `container.host_pid` (1), `container.host_ipc` (2).
    ContainerHostNs(u8),
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
            "fd.cip.name" => F::FdIpName(0),
            "fd.sip.name" => F::FdIpName(1),
            "fd.lip.name" => F::FdIpName(2),
            "fd.rip.name" => F::FdIpName(3),
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
            "k8s.pod.sandbox_id" => F::K8sPodSandboxId(false),
            "k8s.pod.full_sandbox_id" => F::K8sPodSandboxId(true),
            "k8s.pod.ip" => F::K8sPodIp,
            "container.host_network" => F::ContainerHostNs(0),
            "container.host_pid" => F::ContainerHostNs(1),
            "container.host_ipc" => F::ContainerHostNs(2),
            "util.cnt" => F::UtilCnt,
            _ => F::Unsupported,
        }
    }
}
