//! `falcoc replay` on the bundled example: the alerts the demo promises.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn bundled_example_raises_the_expected_alerts() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .current_dir(&root)
        .args([
            "replay",
            "--json",
            "-r",
            "examples/rules/demo_rules.yaml",
            "examples/captures/web-01-attack.scap.gz",
        ])
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run falcoc: {e}"),
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let count = |rule: &str| alerts.iter().filter(|a| a["rule"] == rule).count();
    assert_eq!(alerts.len(), 11);
    assert_eq!(count("Terminal shell in container"), 6);
    assert_eq!(count("Read sensitive file untrusted"), 4);
    assert_eq!(count("Outbound connection to suspicious port"), 1);
    let conn = alerts
        .iter()
        .find(|a| a["rule"] == "Outbound connection to suspicious port")
        .map(|a| a["output_fields"]["fd.name"].clone());
    assert!(
        conn.and_then(|v| v.as_str().map(|s| s.contains("203.0.113.66:4444")))
            .unwrap_or(false),
        "the reverse shell's connection"
    );
}
