//! The syscalls the probe can trace: for each, its x86_64 number, the libscap exit event
//! it becomes (libs 0.22.2's newest version, which carries every parameter) and where
//! each of that event's parameters comes from in the probe's record. The kernel-side
//! configuration bits ([`Syscall::config`]) are derived from the same description, so
//! the probe reads exactly what the conversion needs.

use crate::record::cfg;

/// Where one parameter of the libscap event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    /// The return value.
    Ret,
    /// Argument `i`, as an integer of the parameter's width (fds and `int`s sign-extended
    /// from 32 bits).
    Arg(usize),
    /// Argument `i`, a user string (the probe copies it).
    Str(usize),
    /// Argument `i`: open flags, converted to `PPM_O_*`.
    OpenFlags(usize),
    /// Argument `i`: a file mode, kept only when the open flags in argument `flags` create
    /// a file (as the driver does).
    OpenMode { mode: usize, flags: usize },
    /// Argument `i`: clone/unshare/setns flags, converted to `PPM_CL_*`.
    CloneFlags(usize),
    /// Argument `i`: a ptrace request, converted to `PPM_PTRACE_*`.
    PtraceRequest(usize),
    /// `struct open_how` (openat2): flags, mode or resolve.
    OpenHowFlags,
    /// `struct open_how` mode.
    OpenHowMode,
    /// `struct open_how` resolve, converted to `PPM_RESOLVE_*`.
    OpenHowResolve,
    /// The user sockaddr (arg1, length arg2), converted to libscap's encoding.
    SockAddr,
    /// The socket tuple, source = local end (outbound).
    TupleOut,
    /// The socket tuple, source = remote end (inbound).
    TupleIn,
    /// One end of a fd pair (pipe, socketpair).
    FdPair(usize),
    /// An exec: the exit event's parameters are built by the exec conversion.
    Exec,
    /// A clone-family exit: built by the clone conversion.
    Clone,
    /// Not known to the probe: zero of the parameter's type (empty for buffers).
    Zero,
}

/// One traced syscall.
#[derive(Debug, Clone, Copy)]
pub struct Syscall {
    /// The x86_64 syscall number.
    pub nr: u16,
    /// The syscall's name (libscap's event name).
    pub name: &'static str,
    /// The libscap exit event code it becomes.
    pub exit_code: u16,
    /// The exit event's parameters, in the table's order.
    pub params: &'static [Src],
    /// Whether the runtime's state tracking needs it whatever the rules say (processes,
    /// fds, working directory, users).
    pub state: bool,
}

use Src::*;

macro_rules! sc {
    ($nr:expr, $name:expr, $code:expr, $state:expr, [$($p:expr),* $(,)?]) => {
        Syscall { nr: $nr, name: $name, exit_code: $code, params: &[$($p),*], state: $state }
    };
}

/// Every syscall the probe can trace (x86_64 numbers; libs 0.22.2 event codes).
pub const SYSCALLS: &[Syscall] = &[
    sc!(
        2,
        "open",
        3,
        true,
        [
            Ret,
            Str(0),
            OpenFlags(1),
            OpenMode { mode: 2, flags: 1 },
            Zero,
            Zero
        ]
    ),
    sc!(
        257,
        "openat",
        307,
        true,
        [
            Ret,
            Arg(0),
            Str(1),
            OpenFlags(2),
            OpenMode { mode: 3, flags: 2 },
            Zero,
            Zero
        ]
    ),
    sc!(
        437,
        "openat2",
        327,
        true,
        [
            Ret,
            Arg(0),
            Str(1),
            OpenHowFlags,
            OpenHowMode,
            OpenHowResolve,
            Zero,
            Zero
        ]
    ),
    sc!(
        85,
        "creat",
        59,
        true,
        [Ret, Str(0), Arg(1), Zero, Zero, Zero]
    ),
    sc!(3, "close", 5, true, [Ret, Arg(0)]),
    sc!(59, "execve", 293, true, [Exec]),
    sc!(322, "execveat", 331, true, [Exec]),
    sc!(56, "clone", 223, true, [Clone]),
    sc!(435, "clone3", 335, true, [Clone]),
    sc!(57, "fork", 225, true, [Clone]),
    sc!(58, "vfork", 227, true, [Clone]),
    sc!(41, "socket", 19, true, [Ret, Arg(0), Arg(1), Arg(2)]),
    sc!(42, "connect", 23, true, [Ret, TupleOut, Arg(0), SockAddr]),
    sc!(49, "bind", 21, true, [Ret, SockAddr, Arg(0)]),
    sc!(50, "listen", 25, false, [Ret, Arg(0), Arg(1)]),
    sc!(43, "accept", 249, true, [Ret, TupleIn, Zero, Zero, Zero]),
    sc!(
        288,
        "accept4",
        389,
        true,
        [Ret, TupleIn, Zero, Zero, Zero, Arg(3)]
    ),
    sc!(
        44,
        "sendto",
        31,
        false,
        [Ret, Zero, Arg(0), Arg(2), TupleOut]
    ),
    sc!(
        46,
        "sendmsg",
        49,
        false,
        [Ret, Zero, Arg(0), Zero, TupleOut]
    ),
    sc!(
        45,
        "recvfrom",
        35,
        false,
        [Ret, Zero, TupleIn, Arg(0), Arg(2)]
    ),
    sc!(
        47,
        "recvmsg",
        53,
        false,
        [Ret, Zero, Zero, TupleIn, Zero, Arg(0)]
    ),
    sc!(32, "dup", 367, true, [Ret, Arg(0)]),
    sc!(33, "dup2", 363, true, [Ret, Arg(0), Arg(1)]),
    sc!(292, "dup3", 365, true, [Ret, Arg(0), Arg(1), OpenFlags(2)]),
    sc!(22, "pipe", 61, true, [Ret, FdPair(0), FdPair(1), Zero]),
    sc!(
        293,
        "pipe2",
        393,
        true,
        [Ret, FdPair(0), FdPair(1), Zero, OpenFlags(1)]
    ),
    sc!(
        53,
        "socketpair",
        43,
        true,
        [
            Ret,
            FdPair(0),
            FdPair(1),
            Zero,
            Zero,
            Arg(0),
            Arg(1),
            Arg(2)
        ]
    ),
    sc!(80, "chdir", 95, true, [Ret, Str(0)]),
    sc!(81, "fchdir", 97, true, [Ret, Arg(0)]),
    sc!(105, "setuid", 199, true, [Ret, Arg(0)]),
    sc!(106, "setgid", 201, true, [Ret, Arg(0)]),
    sc!(117, "setresuid", 193, true, [Ret, Arg(0), Arg(1), Arg(2)]),
    sc!(119, "setresgid", 195, true, [Ret, Arg(0), Arg(1), Arg(2)]),
    sc!(87, "unlink", 301, false, [Ret, Str(0)]),
    sc!(263, "unlinkat", 303, false, [Ret, Arg(0), Str(1), Arg(2)]),
    sc!(84, "rmdir", 279, false, [Ret, Str(0)]),
    sc!(83, "mkdir", 277, false, [Ret, Str(0), Arg(1)]),
    sc!(258, "mkdirat", 305, false, [Ret, Arg(0), Str(1), Arg(2)]),
    sc!(82, "rename", 175, false, [Ret, Str(0), Str(1)]),
    sc!(
        264,
        "renameat",
        177,
        false,
        [Ret, Arg(0), Str(1), Arg(2), Str(3)]
    ),
    sc!(
        316,
        "renameat2",
        319,
        false,
        [Ret, Arg(0), Str(1), Arg(2), Str(3), Arg(4)]
    ),
    sc!(86, "link", 309, false, [Ret, Str(0), Str(1)]),
    sc!(
        265,
        "linkat",
        311,
        false,
        [Ret, Arg(0), Str(1), Arg(2), Str(3), Arg(4)]
    ),
    sc!(88, "symlink", 179, false, [Ret, Str(0), Str(1)]),
    sc!(266, "symlinkat", 181, false, [Ret, Str(0), Arg(1), Str(2)]),
    sc!(90, "chmod", 315, false, [Ret, Str(0), Arg(1)]),
    sc!(91, "fchmod", 317, false, [Ret, Arg(0), Arg(1)]),
    sc!(268, "fchmodat", 313, false, [Ret, Arg(0), Str(1), Arg(2)]),
    sc!(
        101,
        "ptrace",
        169,
        false,
        [Ret, Zero, Zero, PtraceRequest(0), Arg(1)]
    ),
    sc!(323, "userfaultfd", 321, false, [Ret, Arg(0)]),
    sc!(272, "unshare", 285, false, [Ret, CloneFlags(0)]),
    sc!(308, "setns", 241, false, [Ret, Arg(0), CloneFlags(1)]),
    sc!(175, "init_module", 411, false, [Ret, Zero, Arg(1), Str(2)]),
    sc!(
        313,
        "finit_module",
        413,
        false,
        [Ret, Arg(0), Str(1), Arg(2)]
    ),
    sc!(321, "bpf", 369, false, [Ret, Arg(0)]),
];

impl Syscall {
    /// The probe's configuration bits for this syscall (see `bpf/record.h`).
    pub fn config(&self) -> u32 {
        let mut bits = cfg::SEND;
        for p in self.params {
            bits |= match *p {
                Str(i) => cfg::str_arg(i),
                SockAddr => cfg::SOCKADDR,
                TupleOut | TupleIn if self.nr == 43 || self.nr == 288 => cfg::TUPLE_RET,
                TupleOut | TupleIn => cfg::TUPLE_ARG0,
                OpenHowFlags | OpenHowMode | OpenHowResolve => cfg::OPEN_HOW,
                FdPair(_) if self.nr == 53 => cfg::FDPAIR_ARG3,
                FdPair(_) => cfg::FDPAIR_ARG0,
                Exec if self.nr == 322 => cfg::EXEC | cfg::str_arg(1),
                Exec => cfg::EXEC | cfg::str_arg(0),
                Clone if self.nr == 435 => cfg::CLONE | cfg::CLONE_ARGS,
                Clone => cfg::CLONE,
                _ => 0,
            };
        }
        bits
    }

    /// The record piece holding string argument `arg` (strings fill pieces 0 and 1 in
    /// argument order).
    pub fn str_piece(&self, arg: usize) -> usize {
        self.params
            .iter()
            .filter_map(|p| match p {
                Str(i) if *i < arg => Some(()),
                _ => None,
            })
            .count()
    }
}

/// The table entry of syscall number `nr`.
pub fn by_nr(nr: u16) -> Option<&'static Syscall> {
    SYSCALLS.iter().find(|s| s.nr == nr)
}

/// The table entry whose exit event is `code`.
pub fn by_exit_code(code: u16) -> Option<&'static Syscall> {
    SYSCALLS.iter().find(|s| s.exit_code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use falcoc_schema::events::{event, Direction};

    /// Every entry names an exit event of its syscall, with one source per parameter
    /// (or a whole-event builder), and at most two string arguments (the probe's pieces).
    #[test]
    fn table_matches_the_event_table() {
        for s in SYSCALLS {
            let info = event(s.exit_code).unwrap_or_else(|| panic!("{} has no event", s.name));
            assert_eq!(info.name, s.name, "{}", s.name);
            assert_eq!(info.direction, Direction::Exit, "{}", s.name);
            if !matches!(s.params, [Exec] | [Clone]) {
                assert_eq!(info.params.len(), s.params.len(), "{}", s.name);
            }
            let strings = s.params.iter().filter(|p| matches!(p, Str(_))).count();
            assert!(strings <= 2, "{}", s.name);
            assert!((s.nr as usize) < crate::record::MAX_SYSCALLS);
        }
        let mut nrs: Vec<u16> = SYSCALLS.iter().map(|s| s.nr).collect();
        nrs.sort_unstable();
        nrs.dedup();
        assert_eq!(nrs.len(), SYSCALLS.len(), "duplicate syscall numbers");
    }

    #[test]
    fn configuration_bits() {
        let openat = by_nr(257).unwrap();
        assert_eq!(openat.config(), cfg::SEND | cfg::str_arg(1));
        let renameat = by_nr(264).unwrap();
        assert_eq!(renameat.str_piece(1), 0);
        assert_eq!(renameat.str_piece(3), 1);
        assert_eq!(by_nr(288).unwrap().config(), cfg::SEND | cfg::TUPLE_RET);
        assert_eq!(
            by_nr(42).unwrap().config(),
            cfg::SEND | cfg::TUPLE_ARG0 | cfg::SOCKADDR
        );
        assert_eq!(
            by_nr(322).unwrap().config(),
            cfg::SEND | cfg::EXEC | cfg::str_arg(1)
        );
    }
}
