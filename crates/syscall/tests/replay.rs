//! Capture replays against Falco 0.42.1's alerts (`shared/golden/replay`).
//!
//! For every capture of `shared/captures` with a golden replay directory and each of the
//! three variants (falco_rules 5.0.0 as shipped; all rules enabled; falco + incubating +
//! sandbox rules, all enabled, `rule_matching: all`), the rules and options are taken
//! from the variant's `.run.json` argv (`-r` files, `-o` options; the configuration is
//! the shipped `falco.yaml`'s `append_output: [{suggested_output: true}]` with the
//! container plugin), the capture is replayed through the state and the engine, and the
//! alerts are compared with Falco's, in order: same count, and per alert the same `rule`,
//! `priority`, `time`, `tags`, `source` and `output_fields`; the `output` texts are
//! compared too and counted.
//!
//! `synth_1m.scap.gz` is replayed only by the `#[ignore]`d test `synth_1m` (run it in
//! release: `cargo test --release -p falcoc-syscall --test replay -- --ignored`).
//!
//! Status: see [`KNOWN`] and docs/compat.md, "Replay".

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use falcoc_compiler::load::{load, Input, LoadOptions};
use falcoc_config::Config;
use falcoc_engine::{EngineOptions, SHIPPED_CONFIG};
use falcoc_outputs::{json_alert, FormatOptions};
use falcoc_scap::Reader;
use falcoc_schema::fields::PluginProfile;
use falcoc_syscall::{replay, SyscallEngine, SyscallOptions};
use serde_json::Value;

/// The variants of `shared/golden/replay`.
const VARIANTS: [&str; 3] = [
    "falco_rules-5.0.0.default",
    "falco_rules-5.0.0.all-enabled",
    "falco+incubating+sandbox-5.0.x.all-enabled.match-all",
];

/// A capture/variant whose alerts differ from Falco's on purpose or by a known gap.
#[allow(dead_code)]
struct Known {
    capture: &'static str,
    variant: &'static str,
    /// Our number of alerts.
    alerts: usize,
    /// Alerts (by position) whose compared keys differ.
    differ: usize,
    /// `output` texts that differ.
    outputs: usize,
    /// Why (see docs/compat.md, "Replay").
    #[allow(dead_code)]
    why: &'static str,
}

/// None: every capture/variant matches Falco 0.42.1 exactly. (The engine follows libs 0.22
/// where it differs from the 2022 libsinsp of `falcoc events` — `LibsVersion::Falco042`:
/// `user.name` `"<NA>"` of an unknown uid, `fd.name` `""` of an `unlinkat` exit, a second
/// UDP `connect` updating the tuple.)
const KNOWN: [Known; 0] = [];

/// The folder that holds `shared/` (paths in the golden argv are relative to it).
fn root() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    d.join("shared/golden/replay").is_dir().then_some(d)
}

/// The configuration of the golden runs: the shipped `falco.yaml` settings that matter
/// for alerts, then the argv's `-o` options (except the replay engine and JSON output).
fn config_of(argv: &[String]) -> Config {
    let (mut config, _) =
        Config::from_yaml("falco.yaml", SHIPPED_CONFIG).unwrap_or_else(|e| panic!("config: {e:?}"));
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if a == "-o" {
            let Some(opt) = it.next() else { break };
            if opt.starts_with("engine.") || opt.starts_with("json_output") {
                continue;
            }
            config
                .apply_override(opt)
                .unwrap_or_else(|e| panic!("-o {opt}: {e:?}"));
        }
    }
    config
}

/// The `-r` files of an argv.
fn rule_files(argv: &[String]) -> Vec<String> {
    argv.windows(2)
        .filter(|w| w[0] == "-r")
        .map(|w| w[1].clone())
        .collect()
}

/// One variant's rules and options, ready to build engines.
struct Setup {
    rules: Vec<falcoc_compiler::compile::CompiledRule>,
    options: EngineOptions,
}

fn setup(root: &Path, run: &Value) -> Setup {
    let argv: Vec<String> = run["argv"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let files = rule_files(&argv);
    let contents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(root.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f.clone(), bytes)
        })
        .collect();
    let inputs: Vec<Input> = contents
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let loaded = load(
        &inputs,
        &LoadOptions {
            profile: PluginProfile::container_only(),
            ..LoadOptions::default()
        },
    );
    assert!(!loaded.has_errors(), "{files:?} do not load");
    let config = config_of(&argv);
    let mut options = EngineOptions::from_config(&config);
    options.hostname = run["env"]["FALCO_HOSTNAME"]
        .as_str()
        .unwrap_or("oracle")
        .to_string();
    Setup {
        rules: loaded.rules,
        options,
    }
}

/// Falco's alerts of a variant (`.jsonl` or `.jsonl.gz`), parsed.
fn golden_alerts(dir: &Path, variant: &str) -> Vec<Value> {
    let plain = dir.join(format!("{variant}.alerts.jsonl"));
    let reader: Box<dyn Read> = if plain.is_file() {
        Box::new(std::fs::File::open(&plain).unwrap_or_else(|e| panic!("{e}")))
    } else {
        let gz = dir.join(format!("{variant}.alerts.jsonl.gz"));
        let f = std::fs::File::open(&gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display()));
        Box::new(flate2::read::GzDecoder::new(f))
    };
    BufReader::new(reader)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("golden line: {e}")))
        .collect()
}

/// The result of one capture/variant.
#[derive(Debug, Default)]
struct Outcome {
    ours: usize,
    theirs: usize,
    /// Alerts (by position) whose rule, priority, time, tags, source and output_fields
    /// are all equal.
    same: usize,
    /// `output` texts equal.
    same_output: usize,
    /// Descriptions of the first differences.
    misses: Vec<String>,
    /// Differences by rule and key: count and an example.
    reasons: std::collections::BTreeMap<String, (usize, String)>,
    events: u64,
    seconds: f64,
}

const COMPARED: [&str; 6] = [
    "rule",
    "priority",
    "time",
    "tags",
    "source",
    "output_fields",
];

fn compare(ours: &[Value], theirs: &[Value], out: &mut Outcome) {
    out.ours = ours.len();
    out.theirs = theirs.len();
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let mut diffs = Vec::new();
        for k in COMPARED {
            if a[k] != b[k] {
                if k == "output_fields" {
                    let (fa, fb) = (&a[k], &b[k]);
                    let mut keys: Vec<&String> = fa
                        .as_object()
                        .into_iter()
                        .chain(fb.as_object())
                        .flat_map(|m| m.keys())
                        .collect();
                    keys.sort();
                    keys.dedup();
                    for key in keys {
                        if fa.get(key) != fb.get(key) {
                            let example = format!(
                                "ours {} falco {}",
                                fa.get(key).map_or("(absent)".into(), Value::to_string),
                                fb.get(key).map_or("(absent)".into(), Value::to_string)
                            );
                            let r = out
                                .reasons
                                .entry(format!("{}: output_fields.{key}", b["rule"]))
                                .or_insert((0, example));
                            r.0 += 1;
                            diffs.push(format!(
                                "output_fields.{key}: ours {} falco {}",
                                fa.get(key).map_or("(absent)".into(), Value::to_string),
                                fb.get(key).map_or("(absent)".into(), Value::to_string)
                            ));
                        }
                    }
                } else {
                    let r = out
                        .reasons
                        .entry(format!("{}: {k}", b["rule"]))
                        .or_insert((0, format!("ours {} falco {}", a[k], b[k])));
                    r.0 += 1;
                    diffs.push(format!("{k}: ours {} falco {}", a[k], b[k]));
                }
            }
        }
        if diffs.is_empty() {
            out.same += 1;
        } else if out.misses.len() < 20 {
            out.misses.push(format!(
                "#{i} {} @ {}: {}",
                b["rule"],
                b["time"],
                diffs.join("; ")
            ));
        }
        if a["output"] == b["output"] {
            out.same_output += 1;
        } else if out.misses.len() < 20 && a["rule"] == b["rule"] {
            out.misses.push(format!(
                "#{i} output text:\n      ours  {}\n      falco {}",
                a["output"], b["output"]
            ));
        }
    }
    if ours.len() != theirs.len() {
        let count = |v: &[Value]| {
            let mut m = std::collections::BTreeMap::<String, usize>::new();
            for a in v {
                *m.entry(a["rule"].as_str().unwrap_or("").to_string())
                    .or_default() += 1;
            }
            m
        };
        let n = ours.len().min(theirs.len());
        for a in ours.iter().skip(n).take(3) {
            out.misses
                .push(format!("extra alert of ours: {}", a["output"]));
        }
        for b in theirs.iter().skip(n).take(3) {
            out.misses.push(format!("missing alert: {}", b["output"]));
        }
        out.misses.push(format!(
            "count: ours {} falco {}; by rule ours {:?} falco {:?}",
            ours.len(),
            theirs.len(),
            count(ours),
            count(theirs)
        ));
    }
}

/// Replays `capture` with `setup` and compares with the golden alerts of `variant`.
fn run_one(root: &Path, capture: &str, variant: &str, setup: &Setup) -> Outcome {
    let dir = root.join("shared/golden/replay").join(capture);
    let theirs = golden_alerts(&dir, variant);
    let mut engine = SyscallEngine::new(
        setup.rules.clone(),
        setup.options.clone(),
        SyscallOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let path = root.join("shared/captures").join(capture);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = Reader::new(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fmt = FormatOptions {
        json_output: true,
        ..FormatOptions::default()
    };
    let mut ours = Vec::new();
    let start = Instant::now();
    let summary = replay(&mut engine, &mut reader, Default::default(), |a| {
        let line = json_alert(&a, &fmt);
        ours.push(serde_json::from_str::<Value>(&line).unwrap_or(Value::Null));
    });
    let mut out = Outcome {
        events: summary.events,
        seconds: start.elapsed().as_secs_f64(),
        ..Outcome::default()
    };
    assert!(summary.error.is_none(), "{capture}: {:?}", summary.error);
    compare(&ours, &theirs, &mut out);
    out
}

fn run_json(dir: &Path, variant: &str) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join(format!("{variant}.run.json"))).ok()?;
    serde_json::from_str(&text).ok()
}

/// Every capture with a golden directory, except those in `exclude`.
fn captures(root: &Path, exclude: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("shared/golden/replay"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| root.join("shared/captures").join(n).is_file())
                .filter(|n| !exclude.contains(&n.as_str()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Replays every capture (but `exclude`) with `variant`, prints the table and checks it
/// against [`KNOWN`].
fn check_variant(variant: &str, only: Option<&str>, exclude: &[&str]) {
    let Some(root) = root() else {
        eprintln!("shared/golden/replay not found: skipped");
        return;
    };
    let caps = match only {
        Some(c) => vec![c.to_string()],
        None => captures(&root, exclude),
    };
    let mut setup_cache: Option<Setup> = None;
    let mut failures = Vec::new();
    let mut report = format!("variant {variant}\n");
    for cap in &caps {
        let dir = root.join("shared/golden/replay").join(cap);
        let Some(run) = run_json(&dir, variant) else {
            continue;
        };
        let s = setup_cache.get_or_insert_with(|| setup(&root, &run));
        let o = run_one(&root, cap, variant, s);
        report.push_str(&format!(
            "  {cap:45} events {:>8}  alerts ours {:>6} falco {:>6}  same {:>6}  output text {:>6}  ({:.2} s)\n",
            o.events, o.ours, o.theirs, o.same, o.same_output, o.seconds
        ));
        for (r, (n, ex)) in &o.reasons {
            report.push_str(&format!("    {n:>6} × {r} (e.g. {ex})\n"));
        }
        if std::env::var_os("REPLAY_VERBOSE").is_some() {
            for m in &o.misses {
                report.push_str(&format!("    {m}\n"));
            }
        } else if o.ours != o.theirs {
            if let Some(m) = o.misses.last() {
                report.push_str(&format!("    {m}\n"));
            }
        }
        let known = KNOWN
            .iter()
            .find(|k| k.capture == cap && k.variant == variant);
        let (alerts, differ, outputs) =
            known.map_or((o.theirs, 0, 0), |k| (k.alerts, k.differ, k.outputs));
        let bad_alerts = o.theirs.max(o.ours) - o.same;
        let bad_outputs = o.theirs.max(o.ours) - o.same_output;
        let count_ok = o.ours == alerts || o.ours == o.theirs;
        if !count_ok || bad_alerts > differ || bad_outputs > outputs {
            failures.push(format!(
                "{cap}: {} alerts (expected {alerts}), {bad_alerts} differ (expected {differ}), \
                 {bad_outputs} output texts differ (expected {outputs})",
                o.ours
            ));
        } else if known.is_some() && (bad_alerts < differ || bad_outputs < outputs) {
            report.push_str("    better than KNOWN: update the table\n");
        }
    }
    eprintln!("{report}");
    assert!(failures.is_empty(), "{variant}:\n{}", failures.join("\n"));
}

const BIG: [&str; 1] = ["synth_1m.scap.gz"];

#[test]
fn default_rules() {
    check_variant(VARIANTS[0], None, &BIG);
}

#[test]
fn all_enabled() {
    check_variant(VARIANTS[1], None, &BIG);
}

#[test]
fn incubating_sandbox_match_all() {
    check_variant(VARIANTS[2], None, &BIG);
}

/// The 1M-event capture, every variant (slow in a debug build).
#[test]
#[ignore]
fn synth_1m() {
    for v in VARIANTS {
        check_variant(v, Some(BIG[0]), &[]);
    }
}

/// A damaged capture: the events before the damage are replayed, then the error with its
/// byte offset is reported.
#[test]
fn corrupt_capture() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad/captures");
    let rules = br#"
- rule: Any open
  desc: any open
  condition: evt.type = openat
  output: "open %fd.name"
  priority: INFO
"#;
    let loaded = load(
        &[Input {
            name: "r.yaml",
            bytes: rules,
        }],
        &LoadOptions::default(),
    );
    for (name, offset) in [("truncated.scap", 5003), ("absurd_block_length.scap", 32)] {
        let mut engine = SyscallEngine::new(
            loaded.rules.clone(),
            EngineOptions::default(),
            SyscallOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let file = std::fs::File::open(fixtures.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let mut reader = Reader::new(file).unwrap_or_else(|e| panic!("{e}"));
        let summary = replay(&mut engine, &mut reader, Default::default(), |_| {});
        let err = summary.error.unwrap_or_else(|| panic!("{name}: no error"));
        assert_eq!(err.offset(), offset, "{name}: {err}");
    }
}
