//! Records in the kernel's layout → converter → the runtime's state: the process tree the
//! state builds from them, as libsinsp would from the driver's events.

use falcoc_probe_ebpf::record::RecordBuilder;
use falcoc_probe_ebpf::{Converter, ProcFs};
use falcoc_scap::{Event, ProcessInfo};
use falcoc_state::{LibsVersion, State, StateOptions};

const CLONE3: u16 = 435;
const EXECVE: u16 = 59;
const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;

fn state_with(procs: &[(i64, i64, i64, &str)]) -> State {
    let mut state = State::new(StateOptions {
        libs: LibsVersion::Falco042,
        ..StateOptions::default()
    });
    for &(tid, pid, ptid, comm) in procs {
        let mut p = ProcessInfo::empty(9);
        (p.tid, p.pid, p.ptid) = (tid, pid, ptid);
        p.comm = comm.to_string();
        p.exe = comm.to_string();
        state.add_process(&p, None);
    }
    state
}

/// A converter whose `/proc` is empty (lookups find nothing).
fn converter() -> Converter {
    let empty = std::env::temp_dir().join("falcoc-empty-proc");
    let _ = std::fs::create_dir_all(&empty);
    Converter::new(0, ProcFs::new(&empty, &empty))
}

fn feed(conv: &mut Converter, state: &mut State, rec: RecordBuilder) {
    let mut out: Vec<Event> = Vec::new();
    conv.convert(&rec.build(), state, &mut out);
    assert!(!out.is_empty(), "record not converted: {rec:?}");
    for e in &out {
        state.process(&e.as_event_ref());
    }
}

fn rec(id: u16, kind: u16, tid: u32, pid: u32, ppid: u32, ret: i64, comm: &str) -> RecordBuilder {
    RecordBuilder {
        id,
        kind,
        tid,
        pid,
        ppid,
        ret,
        comm: comm.as_bytes().to_vec(),
        loginuid: u32::MAX,
        ..RecordBuilder::default()
    }
}

/// posix_spawn: a vfork child returns from clone3 first, tries the PATH (failed execs),
/// the parent wakes once the exec has released its memory, then the exec's exit comes.
/// The child must end up as the new program, child of the spawning process.
#[test]
fn vfork_child_execs_after_the_parent_returns() {
    let mut state = state_with(&[(100, 100, 1, "tester"), (101, 100, 1, "worker")]);
    let mut conv = converter();
    let mut child = rec(CLONE3, 3, 200, 200, 100, 0, "worker");
    child.args[0] = CLONE_VM | CLONE_VFORK;
    feed(&mut conv, &mut state, child);
    let mut failed = rec(EXECVE, 1, 200, 200, 100, -2, "worker");
    failed.pieces[0] = b"/nope/script\0".to_vec();
    feed(&mut conv, &mut state, failed);
    let mut parent = rec(CLONE3, 1, 101, 100, 1, 200, "worker");
    parent.args[0] = CLONE_VM | CLONE_VFORK;
    feed(&mut conv, &mut state, parent);
    let mut exec = rec(EXECVE, 1, 200, 200, 100, 0, "script");
    exec.pieces[0] = b"/usr/bin/script\0".to_vec();
    exec.pieces[1] = b"script\0-q\0".to_vec();
    feed(&mut conv, &mut state, exec);
    let t = state.thread(200).expect("child known");
    assert_eq!(t.comm, "script");
    assert_eq!(t.args, ["-q"]);
    assert_eq!(state.parent(200).map(|p| p.comm.as_str()), Some("tester"));
}

/// The same when the spawning process is not in the state yet (it started after the
/// scan and its own clone was missed): the child still exists after its clone returns.
#[test]
fn vfork_child_of_an_unknown_process() {
    let mut state = state_with(&[(1, 1, 0, "init")]);
    let mut conv = converter();
    let mut child = rec(CLONE3, 3, 200, 200, 100, 0, "worker");
    child.args[0] = CLONE_VM | CLONE_VFORK;
    feed(&mut conv, &mut state, child);
    assert!(
        state.thread(200).is_some(),
        "child created by its clone return"
    );
}
