//! The reference captures of `shared/captures` against sysdig 0.29's answers
//! (`shared/captures/expected`): for every capture with expected files, every filter of
//! `filters.tsv` must match exactly the events of `<capture>.matches.tsv`, and the 25 fields
//! of `<capture>.fields.tsv` must render as sysdig prints them.
//!
//! Status (see docs/compat.md, "Captures"): every filter matches on every capture
//! (16 captures × 68 filters). Fields: all 25 match on every event except `proc.tty` and
//! `user.loginuid` on `libs-sample.scap` (36 and 269 events): that capture was written by
//! libs ≥ 0.10, whose process list entries carry two fields in the middle
//! (`pidns_init_start_ts`, `tty`); sysdig 0.29's reader predates them and reads the login
//! uid from the wrong offset (-420151296) and tty 0, while falcoc reads them as current
//! libscap does (1000, 34817). These are listed in `KNOWN_FIELD_DIFFS` below.
//!
//! Each capture is read once; each filter has its own VM and all are evaluated on every
//! shown event, after the `%evt.num` rendering, as sysdig does. The public conformance tool
//! (`shared/tools/conformance --suite captures`) checks the same through the CLI.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use falcoc_compiler::collector::Collection;
use falcoc_scap::{Reader, ReaderOptions};
use falcoc_schema::fields::PluginProfile;
use falcoc_state::{State, StateOptions};
use falcoc_syscall::extract::{ExtractOptions, Extractor};
use falcoc_syscall::filter::{Filter, Format, SYSDIG_EVENT_LIMIT};

fn captures_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures");
    d.join("expected").is_dir().then_some(d)
}

fn open(path: &Path) -> Reader<'static> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opts = ReaderOptions {
        event_code_limit: SYSDIG_EVENT_LIMIT,
        ..ReaderOptions::default()
    };
    Reader::with_options(f, opts).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(capture, field)` pairs whose rendering differs from sysdig's on purpose, with the
/// number of events concerned.
const KNOWN_FIELD_DIFFS: [(&str, &str, usize); 2] = [
    ("libs-sample.scap", "proc.tty", 36),
    ("libs-sample.scap", "user.loginuid", 269),
];

/// Fields that must match on every event of every capture.
const CORE_FIELDS: [&str; 23] = [
    "evt.num",
    "evt.type",
    "evt.dir",
    "evt.rawres",
    "thread.tid",
    "proc.pid",
    "proc.ppid",
    "proc.vpid",
    "proc.name",
    "proc.pname",
    "proc.exepath",
    "proc.cmdline",
    "user.uid",
    "user.name",
    "fd.num",
    "fd.typechar",
    "fd.name",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
    "fd.l4proto",
    "container.id",
];

fn expected_captures(dir: &Path, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("expected"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.strip_suffix(suffix).map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn read_tsv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn filters_match_sysdig() {
    let Some(dir) = captures_dir() else {
        eprintln!("shared/captures not found: skipped");
        return;
    };
    let profile = PluginProfile::container_only();
    let rules = Collection::default();
    let filters: Vec<(String, String)> = read_tsv(&dir.join("expected/filters.tsv"))
        .into_iter()
        .filter(|r| r.len() == 2)
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert!(filters.len() >= 68);
    let format = Format::compile("%evt.num", &profile).unwrap();
    let mut passed = 0usize;
    let mut total = 0usize;
    let mut misses = Vec::new();
    for cap in expected_captures(&dir, ".matches.tsv") {
        let want: BTreeMap<String, BTreeSet<u64>> =
            read_tsv(&dir.join(format!("expected/{cap}.matches.tsv")))
                .into_iter()
                .map(|r| {
                    let nums = r.get(1).map_or(BTreeSet::new(), |s| {
                        s.split_whitespace()
                            .filter_map(|n| n.parse().ok())
                            .collect()
                    });
                    (r[0].clone(), nums)
                })
                .collect();
        let mut compiled: Vec<(String, Filter)> = filters
            .iter()
            .filter(|(id, _)| want.contains_key(id))
            .map(|(id, text)| {
                let f = Filter::compile(text, &rules, &profile)
                    .unwrap_or_else(|e| panic!("{id}: {text}: {e}"));
                (id.clone(), f)
            })
            .collect();
        let mut got: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        let mut reader = open(&dir.join(&cap));
        let mut state = State::new(StateOptions::default());
        state.set_metadata(reader.read_metadata().unwrap().clone());
        let opts = ExtractOptions::default();
        while let Some(evt) = reader.next_event_ref() {
            let evt = evt.unwrap_or_else(|e| panic!("{cap}: {e}"));
            if !state.process(&evt).visible {
                continue;
            }
            let shown = format
                .render(&mut Extractor::new(&mut state, &evt, opts))
                .is_some();
            if !shown {
                continue;
            }
            for (id, f) in &mut compiled {
                if f.matches(&mut state, &evt, opts) {
                    got.entry(id.clone()).or_default().insert(evt.num);
                }
            }
        }
        let mut cap_passed = 0;
        for (id, w) in &want {
            let g = got.remove(id).unwrap_or_default();
            total += 1;
            if &g == w {
                passed += 1;
                cap_passed += 1;
            } else {
                let missing: Vec<_> = w.difference(&g).take(5).collect();
                let extra: Vec<_> = g.difference(w).take(5).collect();
                misses.push(format!("{cap} {id}: missing {missing:?} extra {extra:?}"));
            }
        }
        eprintln!("{cap}: {cap_passed}/{} filters", want.len());
    }
    eprintln!("captures: {passed}/{total} (capture, filter) pairs match");
    assert!(misses.is_empty(), "mismatches:\n{}", misses.join("\n"));
}

#[test]
fn fields_render_like_sysdig() {
    let Some(dir) = captures_dir() else {
        eprintln!("shared/captures not found: skipped");
        return;
    };
    let profile = PluginProfile::container_only();
    let mut per_field: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut diffs: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut examples = Vec::new();
    for cap in expected_captures(&dir, ".fields.tsv") {
        let rows = read_tsv(&dir.join(format!("expected/{cap}.fields.tsv")));
        let Some((header, rows)) = rows.split_first() else {
            continue;
        };
        let expected: BTreeMap<u64, &Vec<String>> = rows
            .iter()
            .filter_map(|r| Some((r.first()?.parse().ok()?, r)))
            .collect();
        let fmt = format!(
            "*{}",
            header
                .iter()
                .map(|h| format!("%{h}"))
                .collect::<Vec<_>>()
                .join("\t")
        );
        let format = Format::compile(&fmt, &profile).unwrap();
        let mut reader = open(&dir.join(&cap));
        let mut state = State::new(StateOptions::default());
        state.set_metadata(reader.read_metadata().unwrap().clone());
        let mut seen = 0usize;
        while let Some(evt) = reader.next_event_ref() {
            let evt = evt.unwrap_or_else(|e| panic!("{cap}: {e}"));
            if !state.process(&evt).visible {
                continue;
            }
            let line = format
                .render(&mut Extractor::new(
                    &mut state,
                    &evt,
                    ExtractOptions::default(),
                ))
                .unwrap_or_default();
            let Some(want) = expected.get(&evt.num) else {
                panic!("{cap}: event {} shown but not in the reference", evt.num);
            };
            seen += 1;
            let got: Vec<&str> = line.split('\t').collect();
            for (i, h) in header.iter().enumerate() {
                let e = per_field.entry(h.clone()).or_default();
                e.1 += 1;
                if got.get(i).copied() == want.get(i).map(String::as_str) {
                    e.0 += 1;
                } else {
                    *diffs.entry((cap.clone(), h.clone())).or_default() += 1;
                    if examples.len() < 20 {
                        examples.push(format!(
                            "{cap} #{} {h}: sysdig {:?} falcoc {:?}",
                            evt.num,
                            want.get(i),
                            got.get(i)
                        ));
                    }
                }
            }
        }
        assert_eq!(seen, expected.len(), "{cap}: shown events differ");
    }
    for (f, (ok, n)) in &per_field {
        eprintln!(
            "{f:16} {ok}/{n} ({:.2}%)",
            100.0 * *ok as f64 / (*n).max(1) as f64
        );
    }
    for f in CORE_FIELDS {
        let (ok, n) = per_field.get(f).copied().unwrap_or_default();
        assert_eq!(ok, n, "core field {f} differs:\n{}", examples.join("\n"));
    }
    let known: BTreeMap<(String, String), usize> = KNOWN_FIELD_DIFFS
        .iter()
        .map(|(c, f, n)| ((c.to_string(), f.to_string()), *n))
        .collect();
    assert_eq!(
        diffs,
        known,
        "unexpected field differences:\n{}",
        examples.join("\n")
    );
}

#[test]
fn capture_with_shb_options_reads_like_its_twin() {
    // libs-curl_google_comments.scap has the same events as libs-curl_google.scap but a
    // section header with options, which sysdig 0.29 could not read: falcoc must print
    // the same events.
    let Some(dir) = captures_dir() else {
        return;
    };
    let profile = PluginProfile::container_only();
    let format = Format::compile("*%evt.num %evt.type %proc.name %fd.name", &profile).unwrap();
    let render = |name: &str| -> Vec<String> {
        let mut reader = open(&dir.join(name));
        let mut state = State::new(StateOptions::default());
        state.set_metadata(reader.read_metadata().unwrap().clone());
        let mut out = Vec::new();
        while let Some(evt) = reader.next_event_ref() {
            let evt = evt.unwrap();
            if state.process(&evt).visible {
                if let Some(l) = format.render(&mut Extractor::new(
                    &mut state,
                    &evt,
                    ExtractOptions::default(),
                )) {
                    out.push(l);
                }
            }
        }
        out
    };
    let a = render("libs-curl_google.scap");
    let b = render("libs-curl_google_comments.scap");
    assert_eq!(a.len(), 1221);
    assert_eq!(a, b);
}

#[test]
fn display_and_json_forms() {
    let Some(dir) = captures_dir() else {
        return;
    };
    use falcoc_schema::fields::lookup;
    use serde_json::json;
    let field = |name: &str| {
        let (n, arg) = match name.split_once('[') {
            Some((n, a)) => (n, Some(a.trim_end_matches(']'))),
            None => (name, None),
        };
        lookup("syscall", n, arg).unwrap_or_else(|e| panic!("{name}: {e:?}"))
    };
    let mut reader = open(&dir.join("synth_attack.scap"));
    let mut state = State::new(StateOptions::default());
    state.set_metadata(reader.read_metadata().unwrap().clone());
    let mut checked = false;
    while let Some(evt) = reader.next_event_ref() {
        let evt = evt.unwrap();
        state.process(&evt);
        if evt.num != 161 {
            continue;
        }
        // The reverse shell's connect exit: bash (child of an nginx worker's sh) to
        // 203.0.113.66:4444.
        let mut ex = Extractor::new(&mut state, &evt, ExtractOptions::default());
        let cases: [(&str, Option<&str>, serde_json::Value); 9] = [
            ("proc.name", Some("bash"), json!("bash")),
            ("proc.pid", Some("3031"), json!(3031)),
            ("user.loginuid", Some("-1"), json!(-1)),
            ("fd.sip", Some("203.0.113.66"), json!("203.0.113.66")),
            ("fd.sport", Some("4444"), json!(4444)),
            ("proc.aname[2]", Some("nginx"), json!("nginx")),
            ("evt.arg.flags", None, serde_json::Value::Null),
            ("evt.is_open_read", Some("false"), json!(false)),
            (
                "fd.name",
                Some("10.0.0.5:40003->203.0.113.66:4444"),
                json!("10.0.0.5:40003->203.0.113.66:4444"),
            ),
        ];
        for (name, text, js) in cases {
            let f = field(name);
            assert_eq!(ex.display(&f).as_deref(), text, "{name}");
            assert_eq!(ex.json(&f), js, "{name}");
        }
        // evt.time: local time of day in text, the ns timestamp in JSON.
        let t = field("evt.time");
        assert_eq!(ex.display(&t).as_deref(), Some("10:00:00.001502652"));
        assert_eq!(ex.json(&t), json!(evt.ts));
        // Unindexed ancestors are missing in outputs.
        assert_eq!(ex.display(&field("proc.aname")), None);
        checked = true;
        break;
    }
    assert!(checked);
}

#[test]
fn shown_and_internal_event_counts() {
    // shared/captures/README.md, tables 1 and 2: events sysdig prints without and with
    // `-D`, and the last event number.
    let Some(dir) = captures_dir() else {
        return;
    };
    let table: [(&str, u64, u64, u64); 17] = [
        ("falco-cat_write.scap", 85, 345, 345),
        ("falco-connect_localhost.scap", 8, 374, 374),
        ("falco-empty.scap", 0, 143, 143),
        ("falco-open-multiple-files.scap", 86, 1269, 1272),
        ("falco-ping_sendto.scap", 20, 1526, 1526),
        ("falco-syscall.scap", 12, 368, 368),
        ("falco-psp_privileged.scap", 1, 2059, 2059),
        ("falco-psp_run_as_user_0_container.scap", 3796, 4141, 4143),
        ("falco-psp_run_as_user_65534_container.scap", 2, 240, 241),
        ("falco-psp_write_tmp_test.scap", 2, 228, 229),
        ("libs-curl_google.scap", 1221, 1536, 1536),
        ("libs-single_ipv6_conn.scap", 28, 1728, 1728),
        ("libs-test_ipv6_client.scap", 68, 326, 326),
        ("libs-sample.scap", 402, 477, 477),
        ("synth_small.scap", 5010, 5010, 5011),
        ("synth_attack.scap", 20014, 20014, 20015),
        ("synth_100k.scap.gz", 100_008, 100_008, 100_009),
    ];
    for (cap, shown, with_internal, last) in table {
        let mut reader = open(&dir.join(cap));
        let mut state = State::new(StateOptions::default());
        state.set_metadata(reader.read_metadata().unwrap().clone());
        let (mut s, mut d, mut l) = (0, 0, 0);
        while let Some(evt) = reader.next_event_ref() {
            let evt = evt.unwrap();
            let p = state.process(&evt);
            l = evt.num;
            if p.visible {
                s += 1;
            }
            if !p.filtered_out {
                d += 1;
            }
        }
        assert_eq!((s, d, l), (shown, with_internal, last), "{cap}");
    }
}
