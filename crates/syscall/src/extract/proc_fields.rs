//! The `proc.*`, `thread.*`, `user.*` and `group.*` fields: the event's thread, its
//! parent and ancestors, and the capture's users and groups.

use super::*;

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

impl<'a, 'e> Extractor<'a, 'e> {
    pub(super) fn ancestor(
        &mut self,
        of: AncOf,
        anc: Anc,
        display: bool,
        out: &mut Values,
    ) -> bool {
        let Some(mt) = self.main_ref() else {
            return false;
        };
        let push = |t: &Thread, out: &mut Values| match of {
            AncOf::Name => out.push_str(&t.comm),
            AncOf::Pid => out.push_i64(t.pid),
            AncOf::Exe => out.push_str(&t.exe),
            AncOf::ExePath => out.push_str(&t.exepath),
            AncOf::Cmdline => push_cmdline(t, out),
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
                let st = &*self.state;
                st.for_each_ancestor(tid, |a| {
                    if let Some(t) = st.thread(a) {
                        push(t, out);
                    }
                });
                true
            }
        }
    }

    pub(super) fn user_field(&mut self, field: &Field, out: &mut Values) -> bool {
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
                let id = if matches!(field, F::UserLoginName) {
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

    pub(super) fn proc_field(&mut self, field: &Field, out: &mut Values) -> bool {
        use Field as F;
        if matches!(field, F::ThreadTid) {
            out.push_i64(self.evt.tid);
            return true;
        }
        if matches!(field, F::ThreadExecTime) {
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
                if let Some(t) = tid_for_main {
                    out.push_str(self.state.process_cwd_ref(t));
                } else {
                    out.push_str("");
                }
                return true;
            }
            F::ProcEnv(key) => {
                let env: &[String] = match tid_for_main {
                    Some(t) => self.state.process_env_ref(t),
                    None => match self.state.thread_of(r) {
                        Some(t) => &t.env,
                        None => return false,
                    },
                };
                match key {
                    None => out.push_concat(joined(env)),
                    Some(k) => out.push_str(Thread::env_value(env, k)),
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
                        if matches!(field, F::ProcFdOpenCount) {
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
                            let st = &*self.state;
                            st.for_each_ancestor(mt, |a| {
                                if let Some(t) = st.thread(a) {
                                    if is_shell(t) {
                                        res = Some(t.pid);
                                    }
                                }
                            });
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
                    F::ProcPCmdline => push_cmdline(p, out),
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
            F::ProcArgs => out.push_concat(joined(&t.args)),
            F::ProcArgsIndex(i) => match usize::try_from(*i).ok().and_then(|i| t.args.get(i)) {
                Some(a) => out.push_str(a),
                None => return false,
            },
            F::ProcCmdline => push_cmdline(t, out),
            F::ProcCmdNArgs => out.push_u64(t.args.len() as u64),
            F::ProcCmdLenArgs => out.push_u64(t.args.iter().map(|a| a.len() as u64).sum()),
            F::ProcExeline => {
                out.push_concat([t.exe.as_str(), " "].into_iter().chain(joined(&t.args)))
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
}

/// The items of `list` with a blank between each two (`proc.args`).
fn joined(list: &[String]) -> impl Iterator<Item = &str> {
    list.iter()
        .enumerate()
        .flat_map(|(i, a)| [if i == 0 { "" } else { " " }, a.as_str()])
}

/// `populate_cmdline` (comm, then each argument after a blank) as one value, without an
/// intermediate string ([`Thread::cmdline`]).
fn push_cmdline(t: &Thread, out: &mut Values) {
    out.push_concat(
        std::iter::once(t.comm.as_str()).chain(t.args.iter().flat_map(|a| [" ", a.as_str()])),
    );
}
