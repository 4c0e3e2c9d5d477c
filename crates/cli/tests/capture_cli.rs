//! `falcoc capture` without the probe: a capture made by the runtime's writer replays
//! through `falcoc events` (plain and gzip) as through sysdig (when installed), and the command's usage errors (exit 2)
//! come before any probe is loaded.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use falcoc_scap::{self as scap, Event, Metadata, ProcessInfo};

fn falcoc() -> &'static str {
    env!("CARGO_BIN_EXE_falcoc")
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("falcoc-capture-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// `cat /etc/shadow` (tid 4242, cwd /root) opening the file: openat enter and exit.
fn write_cat_capture(path: &Path) {
    let mut cat = ProcessInfo::empty(9);
    cat.tid = 4242;
    cat.pid = 4242;
    cat.ptid = 1;
    cat.comm = "cat".into();
    cat.exe = "cat".into();
    cat.exepath = "/usr/bin/cat".into();
    cat.args = vec!["/etc/shadow".into()];
    cat.cwd = "/root/".into();
    let meta = Metadata {
        processes: vec![cat],
        ..Metadata::default()
    };
    let dirfd = (-100i64).to_le_bytes();
    let name = b"/etc/shadow\0";
    let flags = 1u32.to_le_bytes(); // PPM_O_RDONLY
    let mode = 0u32.to_le_bytes();
    let enter = Event::from_params(
        306,
        1,
        1_700_000_000_000_000_000,
        4242,
        &[&dirfd, name, &flags, &mode],
    )
    .expect("openat enter");
    let exit = Event::from_params(
        307,
        2,
        1_700_000_000_000_001_000,
        4242,
        &[
            &3i64.to_le_bytes(),
            &dirfd,
            name,
            &flags,
            &mode,
            &0u32.to_le_bytes(),
            &7u64.to_le_bytes(),
        ],
    )
    .expect("openat exit");
    let mut w = scap::create(path).expect("create capture");
    w.write_metadata(&meta).expect("metadata");
    w.write_event(&enter.as_event_ref()).expect("enter");
    w.write_event(&exit.as_event_ref()).expect("exit");
    w.close().expect("close");
}

fn events(path: &Path) -> Output {
    Command::new(falcoc())
        .args(["events", "-r"])
        .arg(path)
        .args([
            "-p",
            "%evt.num %proc.name %fd.name %evt.dir",
            "evt.type=openat and fd.name=/etc/shadow",
        ])
        .output()
        .expect("falcoc events runs")
}

#[test]
fn written_capture_replays_through_falcoc_events() {
    let dir = temp_dir("replay");
    for name in ["cat.scap", "cat.scap.gz"] {
        let path = dir.join(name);
        write_cat_capture(&path);
        let out = events(&path);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The exit event resolves fd 3 to the path (the enter event has no fd yet).
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "2 cat /etc/shadow <\n",
            "{name}"
        );
        // The reference reads it the same way, when installed.
        if let Ok(out) = Command::new("sysdig")
            .arg("-r")
            .arg(&path)
            .args([
                "-p",
                "%evt.num %proc.name %fd.name %evt.dir",
                "evt.type=openat and fd.name=/etc/shadow",
            ])
            .output()
        {
            assert!(
                out.status.success(),
                "sysdig -r {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "2 cat /etc/shadow <\n",
                "sysdig, {name}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

fn capture(args: &[&str]) -> Output {
    Command::new(falcoc())
        .arg("capture")
        .args(args)
        .output()
        .expect("falcoc capture runs")
}

#[test]
fn unwritable_file_is_a_usage_error() {
    let out = capture(&["-w", "/nonexistent-dir/x.scap", "--duration", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot write /nonexistent-dir/x.scap"),
        "{err}"
    );
}

#[test]
fn unreadable_rules_are_falcos_fatal_error() {
    let dir = temp_dir("rules");
    let file = dir.join("x.scap");
    let file = file.to_str().expect("utf-8 temp path");
    let out = capture(&["-w", file, "-r", "/nonexistent-rules.yaml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Could not open file /nonexistent-rules.yaml for reading"),
        "{err}"
    );
    assert!(!Path::new(file).exists(), "left a file");
}

#[test]
fn bad_arguments_are_usage_errors() {
    let dir = temp_dir("usage");
    let file = dir.join("x.scap");
    let file = file.to_str().expect("utf-8 temp path");
    for args in [
        vec!["-w", file, "--duration", "-1"],
        vec!["-w", file, "--ring-buffer-kb", "0"],
        vec!["--duration", "1"],
    ] {
        let out = capture(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!Path::new(file).exists(), "{args:?} left a file");
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}
