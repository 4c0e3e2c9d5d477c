//! The rule files of `falco.yaml` (`rules_files`, and the older `rules_file`) in
//! `falcoc replay -c` and `falcoc lint -c`: files and directories in order, a directory's
//! `*.yaml`/`*.yml` files in name order, `-r` replacing the list, and Falco's error for a
//! file that cannot be read.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "falcoc-rules-files-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn falcoc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run falcoc")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const CAPTURE: &str = "examples/captures/web-01-attack.scap.gz";

/// The rules of each alert `replay --json` printed.
fn alert_rules(out: &Output) -> Vec<String> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|a| a["rule"].as_str().map(str::to_string))
        .collect()
}

/// A rule set spread over a file and a directory whose files only load in name order
/// (`20-` appends to what `10-` defines, and `10-` overrides a rule of the base file);
/// the directory also holds files Falco does not load: a non-YAML name, a subdirectory,
/// and a name whose first `.yaml` does not end it.
fn spread_rules(dir: &TempDir) -> (PathBuf, PathBuf) {
    let demo =
        std::fs::read_to_string(root().join("examples/rules/demo_rules.yaml")).expect("demo rules");
    let base = dir.write("base.yaml", &demo);
    dir.write(
        "rules.d/20-append.yaml",
        "- macro: quiet_port\n  condition: or fd.sport = 1\n  override:\n    condition: append\n",
    );
    dir.write(
        "rules.d/10-define.yaml",
        "- macro: quiet_port\n  condition: fd.sport = 0\n\
         - rule: Outbound connection to suspicious port\n  enabled: false\n",
    );
    let broken = "- rule: [this is not a rule\n";
    dir.write("rules.d/notes.txt", broken);
    dir.write("rules.d/sub/inner.yaml", broken);
    dir.write("rules.d/x.yaml.bak.yml.yaml", broken);
    (base, dir.0.join("rules.d"))
}

fn config(dir: &TempDir, key: &str, entries: &[&Path]) -> PathBuf {
    let mut yaml = format!("{key}:\n");
    for e in entries {
        yaml.push_str(&format!("  - {}\n", e.display()));
    }
    yaml.push_str("json_output: true\nstdout_output:\n  enabled: true\n");
    dir.write("falco.yaml", &yaml)
}

#[test]
fn replay_loads_rules_files_in_order() {
    let dir = TempDir::new("replay");
    let (base, rules_d) = spread_rules(&dir);
    for key in ["rules_files", "rules_file"] {
        let cfg = config(&dir, key, &[&base, &rules_d]);
        let cfg = cfg.to_string_lossy();
        let out = falcoc(&["replay", "-c", cfg.as_ref(), CAPTURE]);
        assert_eq!(out.status.code(), Some(0), "{key}: {}", text(&out.stderr));
        let rules = alert_rules(&out);
        // The directory's override disabled the outbound-connection rule.
        assert_eq!(rules.len(), 10, "{key}: {rules:?}");
        assert!(
            !rules.iter().any(|r| r.starts_with("Outbound")),
            "{rules:?}"
        );
    }
    // -r replaces the configuration's list.
    let cfg = config(&dir, "rules_files", &[&base, &rules_d]);
    let cfg = cfg.to_string_lossy();
    let out = falcoc(&[
        "replay",
        "-c",
        cfg.as_ref(),
        "-r",
        "examples/rules/demo_rules.yaml",
        CAPTURE,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(alert_rules(&out).len(), 11);
    // In the other order the override comes before the rule it overrides.
    let cfg = config(&dir, "rules_files", &[&rules_d, &base]);
    let cfg = cfg.to_string_lossy();
    let out = falcoc(&["replay", "-c", cfg.as_ref(), CAPTURE]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

#[test]
fn lint_loads_rules_files_in_order() {
    let dir = TempDir::new("lint");
    let (base, rules_d) = spread_rules(&dir);
    let cfg = config(&dir, "rules_files", &[&base, &rules_d]);
    let cfg = cfg.to_string_lossy();
    let out = falcoc(&["lint", "--format", "json", "-c", cfg.as_ref()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let names: Vec<String> = doc["falco_load_results"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let want: Vec<String> = [
        base.clone(),
        rules_d.join("10-define.yaml"),
        rules_d.join("20-append.yaml"),
    ]
    .iter()
    .map(|p| p.display().to_string())
    .collect();
    assert_eq!(names, want);
    // The skipped name is reported (Falco skips it silently).
    let err = text(&out.stderr);
    assert!(err.contains("x.yaml.bak.yml.yaml is not loaded"), "{err}");
    assert!(!err.contains("notes.txt"), "{err}");
    // -r replaces the list; a directory given to -r is read the same way.
    let d = rules_d.to_string_lossy();
    let out = falcoc(&["lint", "-c", cfg.as_ref(), "-r", d.as_ref()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("2 file(s) checked"), "{err}");
    // Without -c, -r alone.
    let out = falcoc(&["lint", "-r", "examples/rules/demo_rules.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Positional files and -r do not mix.
    let out = falcoc(&["lint", "-r", "a.yaml", "b.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_rule_file_is_falcos_fatal_error() {
    let dir = TempDir::new("missing");
    let missing = dir.0.join("missing.yaml");
    let cfg = config(&dir, "rules_files", &[&missing]);
    let cfg = cfg.to_string_lossy();
    let want = format!(
        "error: Could not open file {} for reading",
        missing.display()
    );
    for args in [
        vec!["replay", "-c", cfg.as_ref(), CAPTURE],
        vec!["lint", "-c", cfg.as_ref()],
    ] {
        let out = falcoc(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&want), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = falcoc(&["lint", "no/such/rules.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Could not open file no/such/rules.yaml for reading"));
    // An empty list is Falco's message (a usage error here).
    let cfg = dir.write("empty.yaml", "rules_files: []\n");
    let cfg = cfg.to_string_lossy();
    for args in [
        vec!["replay", "-c", cfg.as_ref(), CAPTURE],
        vec!["lint", "-c", cfg.as_ref()],
    ] {
        let out = falcoc(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("You must specify at least one rules file/directory via -r or a rules_file entry in falco.yaml"),
            "{args:?}: {err}"
        );
    }
}
