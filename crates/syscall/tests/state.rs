//! The state engine on the synthetic captures: facts of the modelled host, bounded memory
//! over a long capture, and the throughput of state tracking + rule evaluation.
//!
//! Figures for the report: `cargo test --release -p falcoc-syscall --test state --
//! --nocapture` prints events/s for synth_1m (state only, one simple filter, and the
//! rules of falco_rules 5.1.0 indexed by event type) and the table sizes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use falcoc_codegen::RuleSetProgram;
use falcoc_compiler::collector::Collection;
use falcoc_compiler::load::{load, Input, LoadOptions};
use falcoc_engine::vm::Vm;
use falcoc_scap::{FdType, Reader, ReaderOptions};
use falcoc_schema::events::PPM_EVENT_MAX;
use falcoc_schema::fields::PluginProfile;
use falcoc_state::{State, StateOptions};
use falcoc_syscall::extract::{ExtractOptions, Extractor, Field, FieldPlan};
use falcoc_syscall::filter::{Filter, SYSDIG_EVENT_LIMIT};

fn capture(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/captures")
        .join(name);
    p.exists().then_some(p)
}

fn open(path: &Path) -> Reader<'static> {
    let f = std::fs::File::open(path).unwrap();
    Reader::with_options(
        f,
        ReaderOptions {
            event_code_limit: SYSDIG_EVENT_LIMIT,
            ..ReaderOptions::default()
        },
    )
    .unwrap()
}

/// Runs `per_event` on every processed event; returns the state and the event count.
fn replay(
    path: &Path,
    mut per_event: impl FnMut(&mut State, &falcoc_scap::EventRef<'_>),
) -> (State, u64) {
    let mut reader = open(path);
    let mut state = State::new(StateOptions::default());
    state.set_metadata(reader.read_metadata().unwrap().clone());
    let mut n = 0;
    while let Some(evt) = reader.next_event_ref() {
        let evt = evt.unwrap();
        n += 1;
        state.process(&evt);
        per_event(&mut state, &evt);
    }
    (state, n)
}

#[test]
fn synth_small_host_model() {
    let Some(path) = capture("synth_small.scap") else {
        return;
    };
    let (mut state, n) = replay(&path, |_, _| {});
    assert_eq!(n, 5011);
    // The container of the initial container event, with its metadata.
    let c = state.container("3ad7b26ded6d").expect("container");
    assert_eq!(c.name, "web-frontend");
    assert_eq!(c.image, "nginx:1.25");
    assert_eq!(c.mounts.len(), 1);
    // Long-lived processes of the process list are still there.
    let sshd = state.thread(2100).expect("sshd");
    assert_eq!(sshd.comm, "sshd");
    let bash = state.thread(2150).expect("alice's shell");
    assert_eq!((bash.uid, bash.loginuid, bash.ptid), (1000, 1000, 2100));
    assert_eq!(state.process_cwd(2150), "/home/alice/");
    // nginx in the container: vpid 1 and the container id from its cgroups.
    let in_container: Vec<_> = state
        .threads()
        .filter(|t| t.container_id == "3ad7b26ded6d")
        .map(|t| (t.comm.clone(), t.vpid))
        .collect();
    assert!(
        in_container.iter().any(|(c, v)| c == "nginx" && *v == 1),
        "{in_container:?}"
    );
    // The nginx master listens on :80 and :443 (server sockets of the fd list).
    let fds = state.fd_table(880).expect("nginx master fds");
    let mut listening: Vec<String> = fds
        .values()
        .filter(|f| f.ty == FdType::Ipv4ServSock)
        .map(|f| f.name.clone())
        .collect();
    listening.sort();
    assert_eq!(listening, vec!["0.0.0.0:443", "0.0.0.0:80"]);
    // Every scenario process has exited: nothing started at 3000+ is left.
    let leftovers: Vec<i64> = state
        .threads()
        .map(|t| t.tid)
        .filter(|&t| t >= 3000)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(state.stats().unknown_threads, 0);
}

#[test]
fn memory_stays_bounded_on_synth_1m() {
    let Some(path) = capture("synth_1m.scap.gz") else {
        return;
    };
    let mut max_threads = 0usize;
    let mut max_fds = 0usize;
    let mut i = 0u64;
    let (state, n) = replay(&path, |s, _| {
        i += 1;
        if i % 4096 == 0 {
            max_threads = max_threads.max(s.thread_count());
            max_fds = max_fds.max(s.fd_count());
        }
    });
    let st = state.stats().clone();
    eprintln!(
        "synth_1m: {n} events; threads at the end {} (max {max_threads}), fds at the end {} (max {max_fds}); \
         threads added {} removed {}, fds added {} removed {}",
        state.thread_count(),
        state.fd_count(),
        st.threads_added,
        st.threads_removed,
        st.fds_added,
        st.fds_removed
    );
    assert_eq!(n, 1_000_053);
    // Tens of thousands of processes come and go; the tables stay at the size of the
    // modelled host.
    assert!(st.threads_added > 5_000, "{st:?}");
    assert!(state.thread_count() < 100, "{}", state.thread_count());
    assert!(max_threads < 200, "{max_threads}");
    assert!(state.fd_count() < 500, "{}", state.fd_count());
    assert!(max_fds < 1_000, "{max_fds}");
}

fn falco_rules() -> Option<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/corpus/rules/falcosecurity-rules/falco-rules-5.1.0/falco_rules.yaml",
    );
    std::fs::read(p).ok()
}

#[test]
#[cfg_attr(debug_assertions, ignore = "a timing: run with --release")]
fn throughput_synth_1m() {
    let (Some(path), Some(rules)) = (capture("synth_1m.scap.gz"), falco_rules()) else {
        return;
    };
    let opts = ExtractOptions::default();

    // 1. State tracking alone.
    let t = Instant::now();
    let (_, n) = replay(&path, |_, _| {});
    let state_only = n as f64 / t.elapsed().as_secs_f64();

    // 2. One simple filter on every shown event.
    let profile = PluginProfile::container_only();
    let mut filter = Filter::compile(
        "evt.type=openat and fd.name startswith /etc",
        &Collection::default(),
        &profile,
    )
    .unwrap();
    let mut matched = 0u64;
    let t = Instant::now();
    replay(&path, |s, e| {
        if filter.matches(s, e, opts) {
            matched += 1;
        }
    });
    let simple = n as f64 / t.elapsed().as_secs_f64();

    // 3. The rules of falco_rules 5.1.0, indexed by event type as Falco does.
    let loaded = load(
        &[Input {
            name: "falco_rules.yaml",
            bytes: &rules,
        }],
        &LoadOptions {
            profile: PluginProfile::container_only(),
            ..LoadOptions::default()
        },
    );
    assert!(!loaded.has_errors());
    let enabled: Vec<_> = loaded.rules.iter().filter(|r| r.enabled).collect();
    let program = RuleSetProgram::new(enabled.iter().copied());
    let plan = FieldPlan::new(&program.tables);
    let mut by_code: Vec<Vec<usize>> = vec![Vec::new(); PPM_EVENT_MAX];
    for (i, r) in program.rules.iter().enumerate() {
        for (code, v) in by_code.iter_mut().enumerate() {
            if r.event_codes
                .as_ref()
                .is_none_or(|s| s.contains(code as u16))
            {
                v.push(i);
            }
        }
    }
    let mut vm = Vm::new(&program.tables);
    let mut alerts = 0u64;
    let t = Instant::now();
    replay(&path, |s, e| {
        let Some(rules) = by_code.get(e.code as usize) else {
            return;
        };
        if rules.is_empty() {
            return;
        }
        vm.next_event();
        let mut ex = Extractor::new(s, e, opts).with_plan(&plan);
        for &i in rules {
            if vm.eval(&program.tables, &program.rules[i].code, &mut ex) {
                alerts += 1;
            }
        }
    });
    let ruleset = n as f64 / t.elapsed().as_secs_f64();
    eprintln!(
        "synth_1m throughput: state only {:.0} ev/s; + simple filter {:.0} ev/s ({matched} matches); \
         + {} falco_rules 5.1.0 rules {:.0} ev/s ({alerts} alerts)",
        state_only,
        simple,
        program.rules.len(),
        ruleset
    );
    assert!(matched > 0);
    assert!(alerts > 0);
}

/// Every syscall-source field of the registry (container plugin included), resolved with
/// a sample argument where it needs one.
fn all_fields() -> Vec<falcoc_schema::fields::ResolvedField> {
    let profile = PluginProfile::container_only();
    let mut out = Vec::new();
    for name in profile.field_names("syscall") {
        for arg in [None, Some("1"), Some("HOME"), Some("/etc*")] {
            if let Ok(f) = profile.lookup("syscall", name, arg) {
                out.push(f);
                break;
            }
        }
    }
    for name in [
        "evt.arg.fd",
        "evt.arg.name",
        "evt.rawarg.res",
        "evt.rawarg.flags",
        "evt.type.is.open",
        "thread.cgroup.cpu",
        "evt.abspath.src",
    ] {
        out.push(profile.lookup("syscall", name, None).unwrap());
    }
    out
}

#[test]
fn mutated_captures_never_panic() {
    let Some(path) = capture("synth_small.scap") else {
        return;
    };
    let original = std::fs::read(path).unwrap();
    let fields = all_fields();
    assert!(fields.len() > 250, "{}", fields.len());
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..6 {
        let mut data = original.clone();
        // Mutate event blocks (EV_V2) without breaking their framing: parameter values,
        // thread ids and event types (so parameters meet layouts they were not written
        // for). The state engine and the extraction must cope without panicking.
        let mut pos = 0usize;
        while pos + 12 <= data.len() {
            let word = |at: usize| {
                u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
            };
            let (ty, len) = (word(pos), word(pos + 4) as usize);
            if len < 12 || pos + len > data.len() {
                break;
            }
            if ty == 0x216 && len > 8 + 2 + 26 + 4 && next() % 4 == 0 {
                let body = pos + 8;
                let nparams = word(body + 24) as usize;
                let values = body + 2 + 26 + 2 * nparams;
                let end = pos + len - 4;
                match next() % 8 {
                    0 => {
                        // another event type
                        let t = (next() % 336) as u16;
                        data[body + 22..body + 24].copy_from_slice(&t.to_le_bytes());
                    }
                    1 => {
                        // another thread
                        data[body + 10] ^= next() as u8;
                    }
                    _ => {
                        for _ in 0..(1 + round) {
                            if values < end {
                                let i = values + (next() as usize) % (end - values);
                                data[i] ^= (next() as u8) | 1;
                            }
                        }
                    }
                }
            }
            pos += len;
        }
        let mut reader =
            Reader::with_options(std::io::Cursor::new(data), ReaderOptions::default()).unwrap();
        let Ok(meta) = reader.read_metadata() else {
            continue;
        };
        let mut state = State::new(StateOptions::default());
        state.set_metadata(meta.clone());
        let mut k = 0u64;
        while let Some(evt) = reader.next_event_ref() {
            let Ok(evt) = evt else {
                break;
            };
            state.process(&evt);
            k += 1;
            if k % 5 != 0 {
                continue;
            }
            let mut ex = Extractor::new(&mut state, &evt, ExtractOptions::default());
            for f in &fields {
                let _ = ex.display(f);
                let _ = ex.json(f);
            }
        }
        eprintln!("round {round}: {k} events");
    }
}

#[test]
fn fields_of_the_upstream_rules_are_extracted() {
    // Every field the newest falco, incubating and sandbox rules use in conditions and
    // outputs resolves to an extraction (none is silently always-missing), except the
    // DNS-name fields, which need a resolver.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/rules/falcosecurity-rules");
    let files = [
        "falco-rules-5.1.0/falco_rules.yaml",
        "falco-incubating-rules-6.0.1/falco-incubating_rules.yaml",
        "falco-sandbox-rules-6.1.0/falco-sandbox_rules.yaml",
    ];
    let profile = PluginProfile::container_only();
    let mut unsupported = std::collections::BTreeSet::new();
    let mut seen = 0;
    for f in files {
        let Ok(bytes) = std::fs::read(root.join(f)) else {
            return;
        };
        let loaded = load(
            &[Input {
                name: f,
                bytes: &bytes,
            }],
            &LoadOptions {
                profile: profile.clone(),
                ..LoadOptions::default()
            },
        );
        let program = RuleSetProgram::new(loaded.rules.iter());
        for d in &program.tables.fields {
            seen += 1;
            if Field::resolve(&d.field, d.mode) == Field::Unsupported {
                unsupported.insert(d.field.name.clone());
            }
        }
        for r in &loaded.rules {
            for p in &r.output.compiled.pieces {
                if let falcoc_compiler::output::OutputPiece::Field { operand, .. } = p {
                    if let Some(rf) = operand.base_field() {
                        seen += 1;
                        if Field::resolve(rf, falcoc_codegen::FieldMode::Plain)
                            == Field::Unsupported
                        {
                            unsupported.insert(rf.name.clone());
                        }
                    }
                }
            }
        }
    }
    assert!(seen > 100, "{seen}");
    let allowed = ["fd.cip.name", "fd.sip.name", "fd.lip.name", "fd.rip.name"];
    unsupported.retain(|n| !allowed.contains(&n.as_str()));
    assert!(unsupported.is_empty(), "{unsupported:?}");
}
