//! `falcoc compile --condition … --evttypes` from the outside: the event types of a
//! condition as libsinsp's analysis computes them, with `--libs` choosing whose.

use std::path::PathBuf;
use std::process::Command;

fn falcoc(args: &[&str]) -> (Option<i32>, String, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .current_dir(root)
        .args(args)
        .output()
    {
        Ok(o) => (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ),
        Err(e) => panic!("cannot run falcoc: {e}"),
    }
}

fn evttypes(condition: &str, extra: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let mut args = vec!["compile", "--condition", condition, "--evttypes"];
    args.extend_from_slice(extra);
    let (code, out, err) = falcoc(&args);
    (code, out.lines().map(str::to_string).collect(), err)
}

#[test]
fn event_types_of_conditions() {
    let (code, names, _) = evttypes("evt.type in (openat, close) and proc.name = cat", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(names, ["close", "openat"]);
    let (_, all, _) = evttypes("proc.name = cat", &[]);
    assert!(all.len() > 100, "{}", all.len());
    let (_, not_open, _) = evttypes("not evt.type = openat", &[]);
    assert_eq!(not_open.len(), all.len() - 1);
    assert!(!not_open.iter().any(|n| n == "openat"));
}

#[test]
fn evt_num_invariant_follows_the_chosen_libs() {
    // libs master: `evt.num` starts at 1, so `evt.num = 0` matches no event type.
    let (code, names, _) = evttypes("evt.type = openat and evt.num = 0", &[]);
    assert_eq!(code, Some(0));
    assert!(names.is_empty(), "{names:?}");
    let (_, names, _) = evttypes("evt.type = openat and not evt.num = 0", &[]);
    assert_eq!(names, ["openat"]);
    // libs 0.22 (Falco 0.42.1): the leaf is neutral.
    let (_, names, _) = evttypes("evt.type = openat and evt.num = 0", &["--libs", "0.22"]);
    assert_eq!(names, ["openat"]);
}

#[test]
fn constants_that_do_not_compile_still_have_event_types() {
    // `0x0` is not a number for libsinsp's `UINT64` parser: the leaf is undecided (every
    // event type), and the compile error is a warning.
    let (code, names, err) = evttypes("evt.type = openat and evt.num = 0x0", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(names, ["openat"]);
    assert!(
        err.contains("warning: the condition does not compile: 0x0 is not a valid number"),
        "{err}"
    );
    // Forms `sscanf("%lu")` reads as 0.
    for zero in ["+0", "00", "-0"] {
        let (_, names, err) = evttypes(&format!("evt.num = {zero}"), &[]);
        assert!(names.is_empty(), "{zero}: {names:?}");
        assert!(err.is_empty(), "{zero}: {err}");
    }
}

#[test]
fn analysis_errors_fail() {
    let (code, names, err) = evttypes("tolower(evt.type) = openat", &[]);
    assert_eq!(code, Some(1));
    assert!(names.is_empty());
    assert!(err.contains("event code search does not support"), "{err}");
    let (code, _, err) = evttypes("evt.type = val(proc.name)", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("right-hand field comparisons"), "{err}");
    let (code, _, _) = evttypes("evt.type = openat", &["--libs", "0.99"]);
    assert_eq!(code, Some(2));
}
