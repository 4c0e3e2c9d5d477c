//! What the live tests (`run_live.rs`, `capture_live.rs`) share: the binary, the check
//! that this machine can run the probe, temporary directories, and reading a child's
//! output line by line without blocking the test.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Mutex, MutexGuard};

/// The `falcoc` binary under test.
pub fn falcoc() -> &'static str {
    env!("CARGO_BIN_EXE_falcoc")
}

/// Whether this machine can run the probe (root or CAP_BPF + CAP_PERFMON, kernel BTF).
/// When it cannot, the test is skipped with a message — except under CI (`CI=true`),
/// where it fails.
pub fn ebpf_available() -> bool {
    let missing = falcoc_probe_ebpf::missing_requirements();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but the eBPF probe cannot run here: {}",
            missing.join("; ")
        );
    }
    eprintln!(
        "skipped: the eBPF probe cannot run here: {}",
        missing.join("; ")
    );
    false
}

/// A fresh directory for one test (`tag` names it; the pid keeps runs apart).
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("falcoc-live-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The lines of `stream` (a child's stdout or stderr), read on a thread of their own.
pub fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// Held for the whole of a live test: the tests of one binary run one at a time, so no
/// sensor traces another test's sensor and bursts (each sensor traces every process but
/// its own).
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
