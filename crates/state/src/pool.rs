//! Buffers of removed fds and threads kept for new ones, so that the state allocates
//! nothing per event once its pools are warm: an fd closed and another opened reuse one
//! name buffer, a thread that exits gives its strings, lists and fd table to the next
//! clone.

use super::fd::{Fd, SockInfo};
use super::thread::{env_entries, nul_separated, FdTable, Thread};
use falcoc_scap::FdType;

/// At most this many spare fds, strings and lists are kept (so that memory follows the
/// live state, not its peak forever).
const MAX_SPARE: usize = 4096;

/// The pools. See the [module documentation](self).
#[derive(Debug, Default)]
pub(crate) struct Pool {
    fds: Vec<Fd>,
    strings: Vec<String>,
    lists: Vec<Vec<String>>,
    pairs: Vec<Vec<(String, String)>>,
    tables: Vec<FdTable>,
}

impl Pool {
    /// An fd of type `ty` with everything else empty ([`Fd::new`]), in a spare buffer.
    pub(crate) fn fd(&mut self, ty: FdType) -> Fd {
        match self.fds.pop() {
            Some(mut f) => {
                let Fd {
                    ty: t,
                    open_flags,
                    name,
                    flags,
                    sock,
                    dev,
                    ino,
                } = &mut f;
                *t = ty;
                *open_flags = 0;
                name.clear();
                *flags = 0;
                *sock = SockInfo::default();
                *dev = 0;
                *ino = 0;
                f
            }
            None => Fd::new(ty),
        }
    }

    /// A copy of `src` in a spare buffer.
    pub(crate) fn fd_copy(&mut self, src: &Fd) -> Fd {
        let mut f = self.fd(src.ty);
        f.copy_from(src);
        f
    }

    /// Keeps the buffers of a removed fd.
    pub(crate) fn put_fd(&mut self, f: Fd) {
        if self.fds.len() < MAX_SPARE {
            self.fds.push(f);
        }
    }

    /// An empty string with a spare buffer.
    pub(crate) fn string(&mut self) -> String {
        self.strings.pop().unwrap_or_default()
    }

    /// A copy of `s` in a spare buffer.
    pub(crate) fn string_from(&mut self, s: &str) -> String {
        let mut out = self.string();
        out.push_str(s);
        out
    }

    /// Keeps the buffer of a string no longer used.
    pub(crate) fn put_string(&mut self, mut s: String) {
        if s.capacity() > 0 && self.strings.len() < MAX_SPARE {
            s.clear();
            self.strings.push(s);
        }
    }

    /// Empties `v`, keeping its strings.
    pub(crate) fn clear_list(&mut self, v: &mut Vec<String>) {
        for s in v.drain(..) {
            self.put_string(s);
        }
    }

    /// Replaces `v`'s items with copies of `src`'s, in spare buffers.
    pub(crate) fn copy_list(&mut self, v: &mut Vec<String>, src: &[String]) {
        self.clear_list(v);
        for s in src {
            let s = self.string_from(s);
            v.push(s);
        }
    }

    /// Replaces `v`'s items with the NUL-separated strings of `raw` ([`nul_separated`]:
    /// libsinsp's `set_args` loop), in spare buffers.
    pub(crate) fn fill_list(&mut self, v: &mut Vec<String>, raw: &[u8]) {
        self.fill_from(v, nul_separated(raw));
    }

    /// Replaces `v`'s items with the environment variables of `raw` ([`env_entries`]:
    /// libsinsp's `set_env` loop), in spare buffers.
    pub(crate) fn fill_env(&mut self, v: &mut Vec<String>, raw: &[u8]) {
        self.fill_from(v, env_entries(raw));
    }

    /// Replaces `v`'s items with `items` (lossy UTF-8), in spare buffers.
    fn fill_from<'a>(&mut self, v: &mut Vec<String>, items: impl Iterator<Item = &'a [u8]>) {
        self.clear_list(v);
        for item in items {
            let mut s = self.string();
            push_lossy(&mut s, item);
            v.push(s);
        }
    }

    /// Empties the cgroup list `v`, keeping its strings.
    pub(crate) fn clear_pairs(&mut self, v: &mut Vec<(String, String)>) {
        for (a, b) in v.drain(..) {
            self.put_string(a);
            self.put_string(b);
        }
    }

    /// A thread initialised like [`Thread::blank`], in spare buffers.
    pub(crate) fn thread(&mut self, tid: i64) -> Thread {
        let mut t = Thread::blank(tid);
        t.comm = self.string();
        t.exe = self.string();
        t.exepath = self.string();
        t.cwd = self.string();
        t.root = self.string();
        t.container_id = self.string();
        t.args = self.lists.pop().unwrap_or_default();
        t.env = self.lists.pop().unwrap_or_default();
        t.cgroups = self.pairs.pop().unwrap_or_default();
        t.fds = self.tables.pop().unwrap_or_default();
        t
    }

    /// Keeps the buffers of a removed thread (its stored enter event is the caller's).
    pub(crate) fn put_thread(&mut self, mut t: Thread) {
        for s in [
            std::mem::take(&mut t.comm),
            std::mem::take(&mut t.exe),
            std::mem::take(&mut t.exepath),
            std::mem::take(&mut t.cwd),
            std::mem::take(&mut t.root),
            std::mem::take(&mut t.container_id),
        ] {
            self.put_string(s);
        }
        for mut list in [std::mem::take(&mut t.args), std::mem::take(&mut t.env)] {
            self.clear_list(&mut list);
            if list.capacity() > 0 && self.lists.len() < MAX_SPARE {
                self.lists.push(list);
            }
        }
        let mut pairs = std::mem::take(&mut t.cgroups);
        self.clear_pairs(&mut pairs);
        if pairs.capacity() > 0 && self.pairs.len() < MAX_SPARE {
            self.pairs.push(pairs);
        }
        let mut table = std::mem::take(&mut t.fds);
        for (_, f) in table.drain() {
            self.put_fd(f);
        }
        if table.capacity() > 0 && self.tables.len() < MAX_SPARE {
            self.tables.push(table);
        }
    }
}

/// Appends `b` to `out`, invalid UTF-8 replaced as by [`String::from_utf8_lossy`].
pub(crate) fn push_lossy(out: &mut String, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(b)),
    }
}
