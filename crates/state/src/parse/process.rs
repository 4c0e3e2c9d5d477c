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
        let mut t = self.pool.thread(childtid);
        t.ptid = tid;
        let exe = cstr(evt.raw(1));
        let comm = if idx(desc, "comm").is_some() {
            cstr(p("comm"))
        } else {
            exe
        };
        if valid_parent {
            if let Some(pt) = self.threads.get(&tid) {
                // comm, exe and the arguments are the event's (set below).
                t.exepath.push_str(&pt.exepath);
                t.exe_writable = pt.exe_writable;
                t.root.push_str(&pt.root);
                t.sid = pt.sid;
                t.vpgid = pt.vpgid;
                t.tty = pt.tty;
                t.loginuid = pt.loginuid;
                if flags & thread::CL_CLONE_THREAD == 0 {
                    self.pool.copy_list(&mut t.env, &pt.env);
                }
            }
        } else {
            self.remove_thread(tid, true);
            tid_collision = true;
            if !self.get_thread(tid, true) {
                self.pool.put_thread(t);
                return;
            }
            // Offline there is no /proc: the parent is a placeholder again; use the event.
            if let Some(pt) = self.threads.get_mut(&tid) {
                pt.comm.clear();
                push_lossy(&mut pt.comm, comm);
                pt.exe.clear();
                push_lossy(&mut pt.exe, exe);
                pt.exepath.clear();
                self.pool.fill_list(&mut pt.args, evt.raw(2));
            }
        }
        t.pid = int(evt.raw(4));
        t.flags = flags;
        if flags & thread::CL_CLONE_THREAD == 0 {
            t.pid = childtid;
            if let Some(owner) = self.fd_owner(tid) {
                if let Some(pt) = self.threads.get(&owner) {
                    t.fds.reserve(pt.fds.len());
                    for (&n, f) in &pt.fds {
                        let mut c = self.pool.fd_copy(f);
                        c.flags |= fd::FLAG_IS_CLONED;
                        t.fds.insert(n, c);
                    }
                    self.stats.fds_added += t.fds.len() as u64;
                }
            }
            t.cwd.clear();
            self.cwd_into(tid, &mut t.cwd);
        }
        if is_inverted {
            t.flags |= thread::CL_CLONE_INVERTED;
        }
        t.exe.clear();
        push_lossy(&mut t.exe, exe);
        t.comm.clear();
        push_lossy(&mut t.comm, comm);
        self.pool.fill_list(&mut t.args, evt.raw(2));
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
            State::set_cgroups_pooled(&mut self.pool, &mut t, thread_items(p("cgroups")));
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
        let exe = cstr(evt.raw(1));
        let comm = if old_style { exe } else { cstr(evt.raw(13)) };
        let nparams = evt.count();
        // The executable path goes to the scratch buffer (taken out meanwhile).
        let mut exepath = std::mem::take(&mut self.scratch);
        exepath.clear();
        let mut has_exepath = false;
        match (code, enter) {
            (289 | 293, Some(e)) => {
                let f = e.raw(0);
                has_exepath = true;
                if cstr(f).starts_with(b"<NA>") {
                    exepath.push_str("<NA>");
                } else {
                    let cwd = self.threads.get(&tid).map_or("", |t| t.cwd.as_str());
                    concatenate_into(cwd, f, &mut exepath);
                }
            }
            (331, Some(e)) => {
                let dirfd = int(e.raw(0));
                let path = e.raw(1);
                has_exepath = true;
                if cstr(path).starts_with(b"<NA>") {
                    exepath.push_str("<NA>");
                } else {
                    let flags = uint(e.raw(2)) as u32;
                    let sdir = self.dirfd_base(tid, path, dirfd);
                    if flags & PPM_EXVAT_AT_EMPTY_PATH != 0 && cstr(path).is_empty() {
                        let mut v = sdir.as_bytes().to_vec();
                        v.push(0);
                        concatenate_into(&sdir, &v, &mut exepath);
                    } else {
                        concatenate_into(&sdir, path, &mut exepath);
                    }
                }
            }
            _ => {}
        }
        let mut resolve = false;
        {
            let Some(t) = self.threads.get_mut(&tid) else {
                self.scratch = exepath;
                return;
            };
            let pool = &mut self.pool;
            t.exe.clear();
            push_lossy(&mut t.exe, exe);
            t.comm.clear();
            push_lossy(&mut t.comm, comm);
            pool.fill_list(&mut t.args, evt.raw(2));
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
                173 => pool.fill_env(&mut t.env, evt.raw(13)),
                215 => pool.fill_env(&mut t.env, evt.raw(14)),
                231 | 283 | 289 | 293 | 331 => {
                    pool.fill_env(&mut t.env, evt.raw(15));
                    State::set_cgroups_pooled(pool, t, thread_items(evt.raw(14)));
                    resolve = true;
                }
                _ => {}
            }
            if matches!(code, 283 | 289 | 293 | 331) {
                t.tty = uint(evt.raw(16)) as u32;
            }
            if has_exepath {
                t.exepath.clear();
                t.exepath.push_str(&exepath);
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
        self.scratch = exepath;
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
pub(super) fn thread_items(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut off = 0;
    std::iter::from_fn(move || {
        let rest = raw.get(off..).filter(|r| !r.is_empty())?;
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        off += end + 1;
        Some(&rest[..end])
    })
}
