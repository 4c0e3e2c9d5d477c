//! Parsers of the events that create and change processes: `clone`/`fork`/`vfork`/
//! `clone3` exits, `execve`/`execveat` exits, resource limits, user and group ids, and
//! container events.

use super::*;

impl State {
    pub(super) fn parse_clone_exit(&mut self, evt: &EventRef<'_>, desc: &EventDesc) {
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

    pub(super) fn parse_execve_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
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

    pub(super) fn parse_rlimit_exit(
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

    pub(super) fn parse_prlimit_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
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

    pub(super) fn parse_setid_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
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

    pub(super) fn parse_container_json(&mut self, evt: &EventRef<'_>) {
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
}

/// The items of a NUL-separated buffer (cgroups).
pub(super) fn thread_items(raw: &[u8]) -> Vec<&[u8]> {
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
