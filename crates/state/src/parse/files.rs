//! Parsers of the events that open, duplicate and close files and pipes, and change
//! the working directory (`open*`, `creat`, `pipe*`, `eventfd`, `dup*`, `fcntl`,
//! `close`, `chdir`/`fchdir`).

use super::*;

impl State {
    /// `parse_dirfd`: the directory a relative path of an `*at` call is relative to.
    pub(super) fn dirfd_base(&mut self, tid: i64, name: &[u8], dirfd: i64) -> String {
        let mut out = String::new();
        self.dirfd_base_into(tid, name, dirfd, &mut out);
        out
    }

    /// [`dirfd_base`](Self::dirfd_base) into `out` (replaced).
    pub(super) fn dirfd_base_into(&mut self, tid: i64, name: &[u8], dirfd: i64, out: &mut String) {
        out.clear();
        if name.first() == Some(&b'/') {
            out.push('.');
        } else if dirfd == PPM_AT_FDCWD {
            self.cwd_into(tid, out);
        } else {
            match self.fd(tid, dirfd) {
                None => out.push_str("<UNKNOWN>"),
                Some(f) => {
                    out.push_str(&f.name);
                    out.push('/');
                    self.cur.fd = Some(dirfd);
                }
            }
        }
    }

    pub(super) fn parse_open_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let code = evt.code;
        let fd = int(evt.raw(0));
        // The base directory goes to the scratch buffer (taken out while the parsers run).
        let mut base = std::mem::take(&mut self.scratch);
        let (name, flags, dev): (&[u8], u32, u32) = match code {
            3 | 59 => {
                let mut name = evt.raw(1);
                let mut flags = if code == 3 {
                    uint(evt.raw(2)) as u32
                } else {
                    0
                };
                let dev_idx = if code == 3 { 4 } else { 3 };
                let dev = if evt.count() > dev_idx {
                    uint(evt.raw(dev_idx)) as u32
                } else {
                    0
                };
                let min = if code == 3 { 2 } else { 1 };
                if let Some(e) = enter.filter(|e| e.count() >= min) {
                    let en = e.raw(0);
                    if !en.is_empty() && cstr(en) != b"(NULL)" {
                        name = en;
                        flags = if code == 3 { uint(e.raw(1)) as u32 } else { 0 };
                    }
                }
                base.clear();
                self.cwd_into(tid, &mut base);
                (name, flags, dev)
            }
            103 => {
                let Some(e) = enter else {
                    // libsinsp reads the (missing) enter event anyway; without it the
                    // path is unknown.
                    self.scratch = base;
                    return;
                };
                let name = e.raw(1);
                let flags = uint(e.raw(2)) as u32;
                let dirfd = int(e.raw(0));
                self.dirfd_base_into(tid, name, dirfd, &mut base);
                (name, flags, 0)
            }
            _ => {
                let mut name = evt.raw(2);
                let mut flags = uint(evt.raw(3)) as u32;
                let mut dirfd = int(evt.raw(1));
                let dev = if code == 307 && evt.count() > 5 {
                    uint(evt.raw(5)) as u32
                } else {
                    0
                };
                if let Some(e) = enter.filter(|e| e.count() >= 3) {
                    let en = e.raw(1);
                    if !en.is_empty() && cstr(en) != b"(NULL)" {
                        name = en;
                        flags = uint(e.raw(2)) as u32;
                        dirfd = int(e.raw(0));
                    }
                }
                self.dirfd_base_into(tid, name, dirfd, &mut base);
                (name, flags, dev)
            }
        };
        if fd >= 0 {
            let mut f = self.pool.fd(if flags & PPM_O_DIRECTORY != 0 {
                FdType::Directory
            } else {
                FdType::FileV2
            });
            concatenate_into(&base, name, &mut f.name);
            f.open_flags = flags;
            f.dev = dev;
            self.add_fd(tid, fd, f, false);
        }
        self.scratch = base;
    }

    /// The full path of an open-family exit event whose fd was not created (libsinsp
    /// `extract_fdname_from_creator` for `openat`, and the fd name of opens).
    pub fn openat_failed_path(&mut self, evt: &EventRef<'_>) -> Option<String> {
        let mut out = String::new();
        self.openat_failed_path_into(evt, &mut out).then_some(out)
    }

    /// [`openat_failed_path`](Self::openat_failed_path) into `out` (replaced, its buffer
    /// reused); false when there is none.
    pub fn openat_failed_path_into(&mut self, evt: &EventRef<'_>, out: &mut String) -> bool {
        let Some(tid) = self.evt_tid() else {
            out.clear();
            return false;
        };
        let name = evt.raw(2);
        let dirfd = int(evt.raw(1));
        let mut base = std::mem::take(&mut self.scratch);
        self.dirfd_base_into(tid, name, dirfd, &mut base);
        concatenate_into(&base, name, out);
        self.scratch = base;
        true
    }

    pub(super) fn set_cwd(&mut self, tid: i64, path: &[u8]) {
        let Some(m) = self.main_thread(tid) else {
            return;
        };
        let Some(t) = self.thread_mut(m) else {
            return;
        };
        let (mut cwd, _) = concatenate(&t.cwd, path);
        if !cwd.ends_with('/') {
            cwd.push('/');
        }
        t.cwd = cwd;
    }

    pub(super) fn parse_pipe_exit(&mut self, evt: &EventRef<'_>) {
        if int(evt.raw(0)) < 0 {
            return;
        }
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let (fd1, fd2, ino) = (int(evt.raw(1)), int(evt.raw(2)), uint(evt.raw(3)));
        for fdn in [fd1, fd2] {
            let mut f = self.pool.fd(FdType::Fifo);
            f.ino = ino;
            self.add_fd(tid, fdn, f, false);
        }
    }

    pub(super) fn add_simple_fd(&mut self, evt: &EventRef<'_>, ty: FdType) {
        let fdn = int(evt.raw(0));
        let Some(tid) = self.evt_tid() else {
            return;
        };
        if fdn >= 0 {
            let f = self.pool.fd(ty);
            self.add_fd(tid, fdn, f, false);
        }
    }

    pub(super) fn parse_close_exit(&mut self, evt: &EventRef<'_>) {
        let ret = int(evt.raw(0));
        let (Some(tid), Some(fdn)) = (self.evt_tid(), self.cur.fd) else {
            return;
        };
        if ret >= 0 {
            let canceled = self.fd_mut(tid, fdn).is_some_and(|f| {
                let c = f.flags & fd::FLAG_CLOSE_CANCELED != 0;
                f.flags &= !fd::FLAG_CLOSE_CANCELED;
                c
            });
            if canceled {
                if self.has_fd(tid, CANCELED_FD) {
                    self.schedule_fd_removal(tid, CANCELED_FD);
                }
            } else {
                let lfd = self.threads.get(&tid).map_or(-1, |t| t.lastevent_fd);
                self.schedule_fd_removal(tid, lfd);
            }
        } else if let Some(f) = self.fd_mut(tid, fdn) {
            f.flags &= !fd::FLAG_CLOSE_IN_PROGRESS;
        }
    }

    pub(super) fn parse_dup_exit(&mut self, evt: &EventRef<'_>) {
        let Some(tid) = self.evt_tid() else {
            return;
        };
        let ret = int(evt.raw(0));
        if ret < 0 {
            return;
        }
        if let Some(t) = self.thread_mut(tid) {
            if ret == 0 {
                t.flags |= thread::CL_PIPE_DST;
            }
            if ret == 1 {
                t.flags |= thread::CL_PIPE_SRC;
            }
        }
        // The copy takes pooled buffers (no new strings once the pool has some).
        let mut copy = self.pool.fd(FdType::Unknown);
        match self.event_fd() {
            Some(src) => copy.copy_from(src),
            None => {
                self.pool.put_fd(copy);
                return;
            }
        }
        self.add_fd(tid, ret, copy, true);
    }

    pub(super) fn parse_fcntl_exit(&mut self, evt: &EventRef<'_>, enter: Option<&StoredEvent>) {
        if enter.is_none() {
            return;
        }
        let ret = int(evt.raw(0));
        let Some(tid) = self.evt_tid() else {
            return;
        };
        if ret < 0 {
            return;
        }
        // The copy takes pooled buffers (no new strings once the pool has some).
        let mut copy = self.pool.fd(FdType::Unknown);
        match self.event_fd() {
            Some(src) => copy.copy_from(src),
            None => {
                self.pool.put_fd(copy);
                return;
            }
        }
        self.add_fd(tid, ret, copy, true);
    }

    /// The resolved text of a path parameter (for `chroot`).
    pub(super) fn render_path_param(&mut self, evt: &EventRef<'_>, i: usize) -> String {
        let raw = evt.raw(i);
        let Some(tid) = self.evt_tid() else {
            return text(raw);
        };
        if raw.is_empty() || cstr(raw).starts_with(b"<NA>") {
            return text(raw);
        }
        let cwd = self.cwd(tid);
        if cwd.len() + raw.len() >= MAX_PATH {
            return text(raw);
        }
        concatenate(&cwd, raw).0
    }
}
