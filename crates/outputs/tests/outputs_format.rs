//! Alert formatting against Falco 0.42.1's golden alerts (text and JSON lines read back
//! and formatted again byte for byte).

use falcoc_engine::time::parse_json_time;
use falcoc_outputs::{json_alert, parse_json_alert, text_line};
use serde_json::Value;

mod support;
use support::*;

/// Every golden alert (34 474 lines of Falco 0.42.1 JSON): parse into an [`Alert`],
/// format again, byte-identical to Falco's compact JSON. The golden files were written
/// with Python's separators; `compact` undoes only that.
#[test]
fn golden_replay_alerts_round_trip() {
    let lines = golden_alert_lines();
    if lines.is_empty() {
        eprintln!("skipped: ../shared/golden/replay not found");
        return;
    }
    let mut n = 0;
    for (file, line) in &lines {
        let falco = compact(line);
        let (alert, layout) =
            parse_json_alert(&falco).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(alert.hostname, "oracle");
        let mut opts = layout.options();
        assert_eq!(json_alert(&alert, &opts), falco, "{}", file.display());
        // The `output` property is the text line (TZ=UTC in the golden runs).
        let v: Value = serde_json::from_str(&falco).unwrap();
        opts.json_output = false;
        assert_eq!(
            Some(text_line(&alert, &opts).as_str()),
            v["output"].as_str()
        );
        // Tags sorted, `evt.time` the integer time, `time` with nanoseconds and Z.
        assert_eq!(v["output_fields"]["evt.time"].as_u64(), Some(alert.time_ns));
        assert_eq!(
            parse_json_time(v["time"].as_str().unwrap()),
            Some(alert.time_ns)
        );
        n += 1;
    }
    assert!(n >= 34_000, "only {n} golden alerts");
}

/// The loader-case replays include runs with `json_include_output_property=false` and
/// `json_include_tags_property=false`: the same round trip (the alerts are stored as JSON
/// values there, so Falco's bytes are re-created with sorted keys, as nlohmann prints).
#[test]
fn golden_loader_case_alerts_round_trip() {
    let root = shared().join("loader-cases");
    let mut stack = vec![root];
    let mut n = 0;
    let mut layouts = std::collections::BTreeSet::new();
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let Some(alerts) = v.pointer("/replay/alerts").and_then(Value::as_array) else {
                continue;
            };
            for a in alerts {
                let falco = serde_json::to_string(a).unwrap();
                let (alert, layout) = parse_json_alert(&falco).unwrap();
                assert_eq!(
                    json_alert(&alert, &layout.options()),
                    falco,
                    "{}",
                    p.display()
                );
                layouts.insert((layout.output, layout.tags));
                n += 1;
            }
        }
    }
    if n == 0 {
        eprintln!("skipped: ../shared/golden/loader-cases not found");
        return;
    }
    assert!(n >= 100, "{n}");
    assert_eq!(
        layouts.len(),
        4,
        "all four output/tags combinations: {layouts:?}"
    );
}
