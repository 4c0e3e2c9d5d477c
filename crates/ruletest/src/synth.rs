//! Hand-written events → what a capture would hold: the metadata (thread table with
//! each process's ancestry, fd tables, users), container events, and libscap events in
//! the newest encodings, so a case goes through the same [`State`] and engine as a
//! replayed capture.
//!
//! * Each distinct process description (with its ancestry) becomes a thread of the
//!   process list; equal descriptions are the same process (pids are assigned from 100
//!   unless given). A process in a container gets a docker cgroup
//!   (`/docker/<64 hex>`) and the container a container JSON event before the events,
//!   as a capture starts with them.
//! * A process whose first event is an exec (`execve`, `execveat`) runs its parent's
//!   image before it (it is a fork of its parent), as in a capture.
//! * An exit event is preceded by its enter event (parameters of the same name taken
//!   from the exit), as libsinsp pairs them; `evt.dir: >` gives the enter event alone.
//! * Parameters not given default from the process (`exe`, `args`, `pid`, `comm`,
//!   `cwd`, `tty`, `env`, `cgroups`, `uid`…), from the event's `fd` (`fd`, `tuple`), a
//!   new fd number for calls that create one (`res`), `AT_FDCWD` for `dirfd`, `O_RDONLY`
//!   for open flags; anything else is zero or empty.
//!
//! [`State`]: falcoc_state::State

use falcoc_scap::{
    Event, FdDetails, FdInfo, FdList, FdType, MachineInfo, Metadata, ProcessInfo, UserInfo,
    UserList,
};
use falcoc_schema::events::{event, Direction, EventInfo};
use falcoc_schema::fields::FieldType;
use falcoc_state::{evtable, PPME_CONTAINER_JSON_2_E};
use serde_json::json;

use crate::model::{ContainerSpec, EventSpec, FdKind, FdSpec, ProcessSpec};
use crate::params;

/// The time of the first synthesized event (2024-01-15 10:00:00 UTC); events are 1 µs
/// apart.
pub const BASE_TS: u64 = 1_705_312_800_000_000_000;

/// The first pid assigned to a process without `pid`.
pub const FIRST_PID: i64 = 100;

/// The host name of the synthesized machine.
pub const HOSTNAME: &str = "falcoc-test";

/// The events of a case, ready for a state and an engine.
#[derive(Debug)]
pub struct Synthesized {
    /// The capture metadata: machine, users, processes, fds.
    pub metadata: Metadata,
    /// Container events, then each spec's events (enter, exit).
    pub events: Vec<Event>,
    /// For each event, the index of the [`EventSpec`] it comes from (`None` for the
    /// container events).
    pub origin: Vec<Option<usize>>,
}

#[derive(Default)]
struct Procs {
    /// Known processes: the description and its pid.
    known: Vec<(ProcessSpec, i64)>,
    next_pid: i64,
    infos: Vec<ProcessInfo>,
    fds: Vec<FdList>,
    containers: Vec<ContainerSpec>,
    users: Vec<UserInfo>,
}

/// The full (64-digit) id of a container id as written.
pub fn full_container_id(id: &str) -> String {
    let mut s = id.to_string();
    while s.len() < 64 {
        s.push('0');
    }
    s
}

fn exepath(p: &ProcessSpec) -> String {
    p.exepath
        .clone()
        .unwrap_or_else(|| format!("/usr/bin/{}", p.name))
}

fn cgroups(p: &ProcessSpec) -> Vec<String> {
    match &p.container {
        Some(c) => ["cpuset", "cpu", "memory"]
            .iter()
            .map(|s| format!("{s}=/docker/{}", full_container_id(&c.id)))
            .collect(),
        None => ["cpuset", "cpu", "memory"]
            .iter()
            .map(|s| format!("{s}=/user.slice"))
            .collect(),
    }
}

impl Procs {
    /// The pid of `p`, registering it (and its ancestors) on first sight.
    fn pid_of(&mut self, p: &ProcessSpec) -> i64 {
        if let Some((_, pid)) = self.known.iter().find(|(k, _)| k == p) {
            return *pid;
        }
        let ptid = match &p.parent {
            Some(parent) => self.pid_of(parent),
            None => 0,
        };
        let pid = match p.pid {
            Some(pid) => pid,
            None => {
                while self.known.iter().any(|(_, q)| *q == self.next_pid)
                    || self.known.iter().any(|(k, _)| k.pid == Some(self.next_pid))
                {
                    self.next_pid += 1;
                }
                let pid = self.next_pid;
                self.next_pid += 1;
                pid
            }
        };
        self.known.push((p.clone(), pid));
        let mut info = ProcessInfo::empty(9);
        info.tid = pid;
        info.pid = pid;
        info.ptid = ptid;
        info.vtid = pid;
        info.vpid = pid;
        info.sid = p.sid.unwrap_or(pid);
        info.vpgid = pid;
        info.pgid = pid;
        info.comm = p.name.clone();
        info.exe = p.exe.clone().unwrap_or_else(|| p.name.clone());
        info.exepath = exepath(p);
        info.args = p.args.clone();
        info.cwd = p.cwd.clone().unwrap_or_else(|| "/".to_string());
        info.fdlimit = 1024;
        info.uid = p.uid;
        info.gid = p.gid;
        info.env = p.env.clone();
        info.cgroups = cgroups(p);
        info.root = "/".to_string();
        info.tty = p.tty;
        info.loginuid = p.loginuid.map_or(u32::MAX, |l| l as u32);
        self.infos.push(info);
        if !p.fds.is_empty() {
            self.fds.push(FdList {
                version: 2,
                tid: pid,
                fds: p.fds.iter().map(fd_info).collect(),
            });
        }
        if let Some(c) = &p.container {
            match self.containers.iter_mut().find(|k| k.id == c.id) {
                Some(k) => *k = c.clone(),
                None => self.containers.push(c.clone()),
            }
        }
        let user = p
            .user
            .clone()
            .or_else(|| (p.uid == 0).then(|| "root".to_string()));
        if let Some(name) = user {
            if !self.users.iter().any(|u| u.uid == p.uid) {
                self.users.push(UserInfo {
                    uid: p.uid,
                    gid: p.gid,
                    name: name.clone(),
                    homedir: if p.uid == 0 {
                        "/root".to_string()
                    } else {
                        format!("/home/{name}")
                    },
                    shell: "/bin/bash".to_string(),
                });
            }
        }
        pid
    }

    /// Adds `fd` to the fd table of `pid` (before the events), unless that number is
    /// already taken.
    fn add_fd(&mut self, pid: i64, fd: &FdSpec) {
        let info = fd_info(fd);
        match self.fds.iter_mut().find(|l| l.tid == pid) {
            Some(l) => {
                if !l.fds.iter().any(|f| f.fd == fd.num) {
                    l.fds.push(info);
                }
            }
            None => self.fds.push(FdList {
                version: 2,
                tid: pid,
                fds: vec![info],
            }),
        }
    }

    fn next_fd(&self, pid: i64, taken: &[(i64, i64)]) -> i64 {
        let used: Vec<i64> = self
            .fds
            .iter()
            .filter(|l| l.tid == pid)
            .flat_map(|l| l.fds.iter().map(|f| f.fd))
            .chain(taken.iter().filter(|(p, _)| *p == pid).map(|(_, f)| *f))
            .collect();
        (3..).find(|n| !used.contains(n)).unwrap_or(3)
    }
}

fn fd_info(fd: &FdSpec) -> FdInfo {
    let (ty, details) = match &fd.kind {
        FdKind::File { name, flags } => (
            FdType::File,
            FdDetails::File {
                open_flags: *flags,
                name: name.clone(),
                dev: 0,
            },
        ),
        FdKind::Directory { name } => (FdType::Directory, FdDetails::Named { name: name.clone() }),
        FdKind::Unix { name } => (
            FdType::UnixSock,
            FdDetails::Unix {
                source: 0,
                dest: 0,
                name: name.clone(),
            },
        ),
        FdKind::Ipv4 {
            sip,
            sport,
            dip,
            dport,
            proto,
        } => (
            FdType::Ipv4Sock,
            FdDetails::Ipv4Socket {
                sip: *sip,
                dip: *dip,
                sport: *sport,
                dport: *dport,
                l4proto: *proto,
            },
        ),
    };
    FdInfo {
        fd: fd.num,
        ino: 0,
        ty,
        details,
    }
}

fn container_event(c: &ContainerSpec, num: u64, ts: u64) -> Option<Event> {
    let (repo, tag) = match c.image.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
        _ => (c.image.clone(), String::new()),
    };
    let labels: serde_json::Map<String, serde_json::Value> = c
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let short: String = c.id.chars().take(12).collect();
    let mut body = json!({
        "id": short,
        "full_id": full_container_id(&c.id),
        "type": 0,
        "name": if c.name.is_empty() { format!("container-{short}") } else { c.name.clone() },
        "image": c.image,
        "imagerepo": repo,
        "imagetag": tag,
        "imageid": "",
        "imagedigest": "",
        "privileged": c.privileged,
        "is_pod_sandbox": false,
        "lookup_state": 1,
        "created_time": (BASE_TS / 1_000_000_000) as i64,
        "labels": labels,
        "Mounts": [],
    });
    if let Some(ip) = &c.ip {
        body["ip"] = json!(ip);
    }
    let text = json!({ "container": body }).to_string();
    let param = params::cstr(&text);
    Event::from_params(PPME_CONTAINER_JSON_2_E, num, ts, -1, &[param.as_slice()])
}

/// The default of parameter `name` (type `ty`) of event `info` for process `p`.
#[allow(clippy::too_many_arguments)]
fn default_param(
    info: &EventInfo,
    idx: usize,
    name: &str,
    ty: FieldType,
    p: &ProcessSpec,
    pid: i64,
    ptid: i64,
    fd: Option<&FdSpec>,
    new_fd: i64,
) -> Vec<u8> {
    let creates = evtable::event(info.code).is_some_and(|d| d.has(evtable::EF_CREATES_FD));
    let s = |v: &str| params::cstr(v);
    if creates && idx == 0 && info.direction == Direction::Exit {
        return params::int(ty, new_fd);
    }
    match name {
        "fd" | "oldfd" => params::int(ty, fd.map_or(new_fd, |f| f.num)),
        "exe" => s(p.exe.as_deref().unwrap_or(&p.name)),
        "filename" => s(&exepath(p)),
        "trusted_exepath" => s(&exepath(p)),
        "args" => params::str_list(p.args.iter().map(String::as_str)),
        "env" => params::str_list(p.env.iter().map(String::as_str)),
        "cgroups" => {
            let c = cgroups(p);
            params::str_list(c.iter().map(String::as_str))
        }
        "comm" => s(&p.name),
        "cwd" => s(p.cwd.as_deref().unwrap_or("/")),
        "tid" | "pid" | "vtid" | "vpid" | "pgid" => params::int(ty, pid),
        "ptid" => params::int(ty, ptid),
        "fdlimit" => params::int(ty, 1024),
        "tty" => params::int(ty, p.tty as i64),
        "loginuid" => params::int(ty, p.loginuid.unwrap_or(-1)),
        "uid" | "euid" | "ruid" | "suid" => params::int(ty, p.uid as i64),
        "gid" | "egid" | "rgid" | "sgid" => params::int(ty, p.gid as i64),
        "dirfd" => params::int(ty, -100),
        "flags" if info.name.starts_with("open") => params::int(ty, 1),
        "tuple" => match fd.map(|f| &f.kind) {
            Some(FdKind::Ipv4 {
                sip,
                sport,
                dip,
                dport,
                ..
            }) => params::socktuple(&format!("{sip}:{sport}->{dip}:{dport}")).unwrap_or_default(),
            _ => Vec::new(),
        },
        "addr" => match fd.map(|f| &f.kind) {
            Some(FdKind::Ipv4 { dip, dport, .. }) => {
                params::sockaddr(&format!("{dip}:{dport}")).unwrap_or_default()
            }
            _ => Vec::new(),
        },
        _ => match ty {
            FieldType::Charbuf | FieldType::Fspath | FieldType::FsRelPath => s(""),
            _ => params::int(ty, 0),
        },
    }
}

/// Builds the events of `specs`.
pub fn synthesize(specs: &[EventSpec]) -> Synthesized {
    let mut procs = Procs {
        next_pid: FIRST_PID,
        ..Procs::default()
    };
    // Register every process first, so pids do not depend on event order.
    let pids: Vec<i64> = specs.iter().map(|s| procs.pid_of(&s.process)).collect();
    // A process whose first event is an exec runs its parent's image until then (a
    // fork of the parent), as in a capture: the exec's exit event gives it its own.
    let mut seen: Vec<i64> = Vec::new();
    for (s, &pid) in specs.iter().zip(&pids) {
        if seen.contains(&pid) {
            continue;
        }
        seen.push(pid);
        let exec = matches!(s.evt_type.as_str(), "execve" | "execveat") && !s.enter_only;
        if let (true, Some(parent)) = (exec, &s.process.parent) {
            if let Some(info) = procs.infos.iter_mut().find(|p| p.tid == pid) {
                info.comm = parent.name.clone();
                info.exe = parent.exe.clone().unwrap_or_else(|| parent.name.clone());
                info.exepath = exepath(parent);
                info.args = parent.args.clone();
            }
        }
    }
    for (s, &pid) in specs.iter().zip(&pids) {
        if let Some(fd) = &s.fd {
            procs.add_fd(pid, fd);
        }
    }
    let mut events = Vec::new();
    let mut origin = Vec::new();
    let mut num = 1u64;
    let mut ts = BASE_TS;
    for c in &procs.containers {
        if let Some(e) = container_event(c, num, ts) {
            events.push(e);
            origin.push(None);
            num += 1;
        }
    }
    let mut opened: Vec<(i64, i64)> = Vec::new();
    for (i, (spec, &pid)) in specs.iter().zip(&pids).enumerate() {
        ts += 1000;
        let Some(info) = event(spec.code) else {
            continue;
        };
        let ptid = procs
            .infos
            .iter()
            .find(|p| p.tid == pid)
            .map_or(0, |p| p.ptid);
        let new_fd = procs.next_fd(pid, &opened);
        let mut values: Vec<Vec<u8>> = info
            .params
            .iter()
            .enumerate()
            .map(|(k, p)| {
                default_param(
                    info,
                    k,
                    p.name,
                    p.ty,
                    &spec.process,
                    pid,
                    ptid,
                    spec.fd.as_ref(),
                    new_fd,
                )
            })
            .collect();
        for (k, v) in &spec.args {
            if let Some(slot) = values.get_mut(*k) {
                *slot = v.clone();
            }
        }
        if !spec.enter_only {
            // The enter event, its parameters by name from the exit's.
            if let Some(enter) = event(spec.code.wrapping_sub(1)) {
                let enter_values: Vec<Vec<u8>> = enter
                    .params
                    .iter()
                    .enumerate()
                    .map(|(k, ep)| {
                        let found = info.params.iter().position(|xp| xp.name == ep.name);
                        match found {
                            Some(x) if ep.ty.fixed_width() == info.params[x].ty.fixed_width() => {
                                values[x].clone()
                            }
                            _ => default_param(
                                enter,
                                k,
                                ep.name,
                                ep.ty,
                                &spec.process,
                                pid,
                                ptid,
                                spec.fd.as_ref(),
                                new_fd,
                            ),
                        }
                    })
                    .collect();
                let refs: Vec<&[u8]> = enter_values.iter().map(Vec::as_slice).collect();
                if let Some(e) = Event::from_params(enter.code, num, ts - 500, pid, &refs) {
                    events.push(e);
                    origin.push(Some(i));
                    num += 1;
                }
            }
        }
        let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
        if let Some(e) = Event::from_params(spec.code, num, ts, pid, &refs) {
            if evtable::event(spec.code).is_some_and(|d| d.has(evtable::EF_CREATES_FD)) {
                if let Some(fd) = e.return_value() {
                    opened.push((pid, fd));
                }
            }
            events.push(e);
            origin.push(Some(i));
            num += 1;
        }
    }
    let metadata = Metadata {
        machine: Some(MachineInfo {
            num_cpus: 2,
            memory_size_bytes: 4 << 30,
            max_pid: 4_194_304,
            hostname: HOSTNAME.to_string(),
            boot_ts_epoch: BASE_TS - 3_600_000_000_000,
            flags: 0,
            reserved: [0; 2],
        }),
        processes: procs.infos,
        fds: procs.fds,
        users: Some(UserList {
            users: procs.users,
            groups: Vec::new(),
        }),
        ..Metadata::default()
    };
    Synthesized {
        metadata,
        events,
        origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Input, TestFile};
    use crate::reader::read_test_file;

    fn specs(yaml: &str) -> Vec<EventSpec> {
        let text =
            format!("rules: [x.yaml]\ntests:\n  - name: t\n    no_alert: [r]\n    events:\n{yaml}");
        let r = read_test_file("t.yaml", text.as_bytes());
        let f: TestFile = r.file.unwrap_or_else(|| panic!("{:?}", r.diagnostics));
        match f.cases.into_iter().next().map(|c| c.input) {
            Some(Input::Events(e)) => e,
            _ => panic!("no events"),
        }
    }

    #[test]
    fn equal_descriptions_are_one_process_with_its_ancestry() {
        let s = specs(
            "      - {evt.type: openat, process: &p {name: cat, parent: {name: bash, pid: 7}}, args: {name: /a}}\n      - {evt.type: openat, process: *p, args: {name: /b}}\n      - {evt.type: openat, process: {name: cat}, args: {name: /c}}\n",
        );
        let syn = synthesize(&s);
        let procs: Vec<(i64, i64, &str)> = syn
            .metadata
            .processes
            .iter()
            .map(|p| (p.pid, p.ptid, p.comm.as_str()))
            .collect();
        assert_eq!(procs, [(7, 0, "bash"), (100, 7, "cat"), (101, 0, "cat")]);
        // enter + exit per event; the second open of the same process gets fd 4.
        assert_eq!(syn.events.len(), 6);
        assert_eq!(
            syn.origin,
            [Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)]
        );
        let fds: Vec<Option<i64>> = syn
            .events
            .iter()
            .skip(1)
            .step_by(2)
            .map(|e| e.return_value())
            .collect();
        assert_eq!(fds, [Some(3), Some(4), Some(3)]);
    }

    #[test]
    fn exec_runs_the_parent_image_first_and_containers_lead() {
        let s = specs(
            "      - {evt.type: execve, process: {name: bash, tty: 34816, parent: {name: runc}, container: {id: 3ad7b26ded6d, image: \"nginx:1.25\"}}}\n",
        );
        let syn = synthesize(&s);
        let child = syn
            .metadata
            .processes
            .iter()
            .find(|p| p.pid == 101)
            .expect("child");
        assert_eq!(child.comm, "runc");
        assert_eq!(
            child.cgroups[0],
            format!("cpuset=/docker/3ad7b26ded6d{}", "0".repeat(52))
        );
        assert_eq!(syn.events[0].code, PPME_CONTAINER_JSON_2_E);
        assert_eq!(syn.origin[0], None);
        let exit = syn.events.last().expect("exit");
        assert_eq!(exit.name(), "execve");
        let comm = exit
            .param_by_name("comm")
            .and_then(|p| p.as_str().map(str::to_string));
        assert_eq!(comm.as_deref(), Some("bash"));
        let tty = exit.param_by_name("tty").and_then(|p| p.as_int());
        assert_eq!(tty, Some(34816));
    }
}
