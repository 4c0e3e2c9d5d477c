//! The probe's record format, mirroring `bpf/record.h`: a 128-byte header (time, return
//! value, the six syscall arguments, the task's ids, terminal and command name) followed
//! by up to four variable pieces whose lengths the header gives.

use thiserror::Error;

/// Bits of a `syscall_cfg` entry (`CFG_*` in `bpf/record.h`).
pub mod cfg {
    /// Trace the syscall: one record at its exit.
    pub const SEND: u32 = 1 << 0;
    /// Argument `i` is a user string (bits 1..=6).
    pub const fn str_arg(i: usize) -> u32 {
        1 << (1 + i)
    }
    /// arg1 is a user sockaddr, arg2 its length.
    pub const SOCKADDR: u32 = 1 << 7;
    /// The socket tuple of the fd in arg0.
    pub const TUPLE_ARG0: u32 = 1 << 8;
    /// The socket tuple of the fd returned.
    pub const TUPLE_RET: u32 = 1 << 9;
    /// execve/execveat: on success the filename and argv of the new image; on failure
    /// the filename argument.
    pub const EXEC: u32 = 1 << 10;
    /// Clone family: the child's return is sent too.
    pub const CLONE: u32 = 1 << 11;
    /// clone3: arg0 points to `struct clone_args`; the record's arg0 holds its flags.
    pub const CLONE_ARGS: u32 = 1 << 12;
    /// openat2: arg2 points to `struct open_how` (flags, mode, resolve).
    pub const OPEN_HOW: u32 = 1 << 13;
    /// pipe/pipe2: arg0 points to `int[2]`.
    pub const FDPAIR_ARG0: u32 = 1 << 14;
    /// socketpair: arg3 points to `int[2]`.
    pub const FDPAIR_ARG3: u32 = 1 << 15;
}

/// The size of the fixed header.
pub const HEADER_LEN: usize = 128;
/// Syscall numbers the probe's configuration array covers.
pub const MAX_SYSCALLS: usize = 512;

/// What a record reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A syscall's exit.
    Syscall,
    /// A thread exited; `args[0]` is its exit code.
    ProcExit,
    /// The child's return from a clone-family syscall.
    Child,
}

/// Which variable piece (`PIECE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// First string argument (exec: the filename).
    Str0 = 0,
    /// Second string argument (exec: argv, NUL-separated).
    Str1 = 1,
    /// sockaddr, `open_how` or `int[2]`.
    Blob = 2,
    /// The socket tuple.
    Tuple = 3,
}

/// A record the kernel side wrote that does not follow the format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    /// Fewer bytes than the header.
    #[error("probe record of {0} bytes is shorter than its {HEADER_LEN}-byte header")]
    Short(usize),
    /// Unknown kind.
    #[error("probe record of unknown kind {0}")]
    Kind(u16),
    /// The pieces' lengths exceed the record.
    #[error("probe record pieces need {need} bytes but the record holds {have}")]
    Pieces {
        /// Bytes the lengths add up to.
        need: usize,
        /// Bytes after the header.
        have: usize,
    },
}

/// One record, borrowed from the ring buffer.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// `CLOCK_BOOTTIME` nanoseconds.
    pub ts_boot: u64,
    /// The return value (0 for a thread exit).
    pub ret: i64,
    /// The six syscall arguments, from the registers at the exit (clone3: `args[0]` is its
    /// flags; a successful exec: zeros, the new image has reset them).
    pub args: [u64; 6],
    /// Thread id.
    pub tid: u32,
    /// Process id (thread group).
    pub pid: u32,
    /// The parent process's id.
    pub ppid: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Login user id (`u32::MAX` when unset).
    pub loginuid: u32,
    /// Controlling terminal major number (0: none).
    pub tty_major: u32,
    /// Controlling terminal minor number.
    pub tty_minor: u32,
    /// Syscall number (x86_64).
    pub id: u16,
    /// What the record reports.
    pub kind: Kind,
    /// Command name, up to its NUL.
    pub comm: &'a [u8],
    pieces: [&'a [u8]; 4],
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

impl<'a> Record<'a> {
    /// Decodes a record.
    pub fn parse(b: &'a [u8]) -> Result<Record<'a>, RecordError> {
        if b.len() < HEADER_LEN {
            return Err(RecordError::Short(b.len()));
        }
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = u64_at(b, 16 + 8 * i);
        }
        let kind = match u16_at(b, 98) {
            1 => Kind::Syscall,
            2 => Kind::ProcExit,
            3 => Kind::Child,
            k => return Err(RecordError::Kind(k)),
        };
        let lens = [
            u16_at(b, 100) as usize,
            u16_at(b, 102) as usize,
            u16_at(b, 104) as usize,
            u16_at(b, 106) as usize,
        ];
        let rest = &b[HEADER_LEN..];
        let need: usize = lens.iter().sum();
        if need > rest.len() {
            return Err(RecordError::Pieces {
                need,
                have: rest.len(),
            });
        }
        let mut pieces: [&[u8]; 4] = [&[]; 4];
        let mut at = 0;
        for (p, len) in pieces.iter_mut().zip(lens) {
            *p = &rest[at..at + len];
            at += len;
        }
        let comm = &b[108..124];
        let comm = &comm[..comm.iter().position(|&c| c == 0).unwrap_or(comm.len())];
        Ok(Record {
            ts_boot: u64_at(b, 0),
            ret: u64_at(b, 8) as i64,
            args,
            tid: u32_at(b, 64),
            pid: u32_at(b, 68),
            ppid: u32_at(b, 72),
            uid: u32_at(b, 76),
            gid: u32_at(b, 80),
            loginuid: u32_at(b, 84),
            tty_major: u32_at(b, 88),
            tty_minor: u32_at(b, 92),
            id: u16_at(b, 96),
            kind,
            comm,
            pieces,
        })
    }

    /// A variable piece (empty when the kernel did not write it).
    pub fn piece(&self, p: Piece) -> &'a [u8] {
        self.pieces[p as usize]
    }

    /// A string piece without its terminating NUL.
    pub fn str_piece(&self, p: Piece) -> &'a [u8] {
        let s = self.piece(p);
        s.strip_suffix(&[0]).unwrap_or(s)
    }

    /// Argument `i` as the C `int` the kernel saw (fds, flags).
    pub fn arg_i32(&self, i: usize) -> i64 {
        self.args[i] as u32 as i32 as i64
    }
}

/// Builds a record in the kernel's layout (for tests and fuzzing of the conversion).
#[derive(Debug, Clone, Default)]
pub struct RecordBuilder {
    /// Header fields, as in [`Record`].
    pub ts_boot: u64,
    /// Return value.
    pub ret: i64,
    /// Arguments.
    pub args: [u64; 6],
    /// Thread id.
    pub tid: u32,
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Login uid.
    pub loginuid: u32,
    /// Terminal major.
    pub tty_major: u32,
    /// Terminal minor.
    pub tty_minor: u32,
    /// Syscall number.
    pub id: u16,
    /// Kind code (1 syscall, 2 thread exit, 3 clone child).
    pub kind: u16,
    /// Command name (up to 15 bytes are kept).
    pub comm: Vec<u8>,
    /// The four pieces.
    pub pieces: [Vec<u8>; 4],
}

impl RecordBuilder {
    /// The record's bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN);
        b.extend_from_slice(&self.ts_boot.to_le_bytes());
        b.extend_from_slice(&self.ret.to_le_bytes());
        for a in self.args {
            b.extend_from_slice(&a.to_le_bytes());
        }
        for v in [
            self.tid,
            self.pid,
            self.ppid,
            self.uid,
            self.gid,
            self.loginuid,
            self.tty_major,
            self.tty_minor,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&self.id.to_le_bytes());
        b.extend_from_slice(&self.kind.to_le_bytes());
        for p in &self.pieces {
            b.extend_from_slice(&(p.len().min(u16::MAX as usize) as u16).to_le_bytes());
        }
        let mut comm = [0u8; 16];
        let n = self.comm.len().min(15);
        comm[..n].copy_from_slice(&self.comm[..n]);
        b.extend_from_slice(&comm);
        b.extend_from_slice(&[0u8; 4]);
        for p in &self.pieces {
            b.extend_from_slice(&p[..p.len().min(u16::MAX as usize)]);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let r = RecordBuilder {
            ts_boot: 7,
            ret: -2,
            args: [1, 2, 3, 4, 5, u64::MAX],
            tid: 10,
            pid: 9,
            ppid: 8,
            uid: 1000,
            gid: 100,
            loginuid: u32::MAX,
            tty_major: 136,
            tty_minor: 3,
            id: 257,
            kind: 1,
            comm: b"cat".to_vec(),
            pieces: [b"/etc/shadow\0".to_vec(), vec![], vec![1, 2], vec![]],
        }
        .build();
        let p = Record::parse(&r).unwrap();
        assert_eq!(
            (p.ts_boot, p.ret, p.tid, p.pid, p.ppid, p.uid, p.gid),
            (7, -2, 10, 9, 8, 1000, 100)
        );
        assert_eq!(
            (p.tty_major, p.tty_minor, p.id, p.kind),
            (136, 3, 257, Kind::Syscall)
        );
        assert_eq!(p.comm, b"cat");
        assert_eq!(p.str_piece(Piece::Str0), b"/etc/shadow");
        assert_eq!(p.piece(Piece::Blob), &[1, 2]);
        assert_eq!(p.arg_i32(5), -1);
    }

    #[test]
    fn bad_records_are_errors() {
        assert_eq!(Record::parse(&[0; 10]).unwrap_err(), RecordError::Short(10));
        let mut b = RecordBuilder {
            kind: 9,
            ..Default::default()
        };
        assert_eq!(Record::parse(&b.build()).unwrap_err(), RecordError::Kind(9));
        b.kind = 1;
        let mut bytes = b.build();
        bytes[100] = 50; // piece 0 claims 50 bytes that are not there
        assert_eq!(
            Record::parse(&bytes).unwrap_err(),
            RecordError::Pieces { need: 50, have: 0 }
        );
    }
}
