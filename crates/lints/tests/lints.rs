//! falcoc's lints (`falcoc_lints`): every fixture of `fixtures/lints` gives
//! exactly the findings its `# expect:` comments list, suppression comments and
//! `--allow all` work, and the real rule files of `../shared/corpus/rules` lint without
//! panics.
//!
//! Fixture expectations are YAML comments, one per finding, in any order:
//!
//! ```yaml
//! # expect: FC005 12:7 duplicate list item 'bash' in list `shells`
//! ```
//!
//! (code, 1-based line:column of the finding's span start, exact message). Fixtures are
//! loaded in the every-problem mode with every known plugin, and linted with every lint
//! enabled at least as a warning.

use falcoc_compiler::load::{auto_profile, load, Input, LoadOptions, Loaded, Mode};
use falcoc_lints::{self as lints, Finding, Level, LintConfig};
use falcoc_schema::fields::PluginProfile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lints")
}

fn load_one(name: &str, text: &[u8], profile: PluginProfile) -> Loaded {
    load(
        &[Input { name, bytes: text }],
        &LoadOptions {
            profile,
            mode: Mode::AllProblems,
            ..LoadOptions::default()
        },
    )
}

/// Every lint on (those off by default as warnings).
fn everything() -> LintConfig {
    let mut c = LintConfig::new();
    for r in lints::registry() {
        if r.default == Level::Allow {
            c.set(r.code, Level::Warn).expect("known code");
        }
    }
    c
}

/// (code, line, column, message) of each finding.
fn located(loaded: &Loaded, findings: &[Finding]) -> Vec<(String, usize, usize, String)> {
    let mut v: Vec<_> = findings
        .iter()
        .map(|f| {
            let (l, c) = loaded.files[f.file].line_col(f.span.start as usize);
            (f.code.to_string(), l, c, f.message.clone())
        })
        .collect();
    v.sort();
    v
}

fn expectations(text: &str) -> Vec<(String, usize, usize, String)> {
    let mut v = Vec::new();
    for line in text.lines() {
        let Some(i) = line.find("# expect: ") else {
            continue;
        };
        let rest = &line[i + "# expect: ".len()..];
        let mut parts = rest.splitn(3, ' ');
        let code = parts.next().unwrap_or_default().to_string();
        let pos = parts.next().unwrap_or_default();
        let message = parts.next().unwrap_or_default().trim_end().to_string();
        let (l, c) = pos.split_once(':').expect("line:col");
        v.push((
            code,
            l.parse().expect("line"),
            c.parse().expect("column"),
            message,
        ));
    }
    v.sort();
    v
}

#[test]
fn fixtures_give_the_expected_findings() {
    let dir = fixtures_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/lints")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    let mut codes_covered = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p).expect("fixture");
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let loaded = load_one(name, text.as_bytes(), PluginProfile::all());
        let findings = lints::run(&loaded, &everything());
        if std::env::var_os("FALCOC_LINT_VERBOSE").is_some() {
            for f in &findings {
                let (l, c) = loaded.files[f.file].line_col(f.span.start as usize);
                println!("{name}:{l}:{c}: {} {} {:?}", f.code, f.message, f.notes);
            }
        }
        let got = located(&loaded, &findings);
        let want = expectations(&text);
        codes_covered.extend(want.iter().map(|w| w.0.clone()));
        if got != want {
            let show = |v: &[(String, usize, usize, String)]| {
                v.iter()
                    .map(|(c, l, col, m)| format!("  # expect: {c} {l}:{col} {m}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            failures.push(format!(
                "{name}:\n got:\n{}\n want:\n{}",
                show(&got),
                show(&want)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for r in lints::registry() {
        assert!(
            codes_covered.contains(r.code),
            "no fixture expects a finding of {}",
            r.code
        );
    }
}

const SUPPRESSED: &str = r#"
- list: shells
  items: [bash, sh, bash]   # falcoc: allow(FC005)

# falcoc: allow(duplicate-list-items)
# (a comment block above the item)
- list: more_shells
  items: [zsh, zsh]

- list: still_more
  # falcoc: allow(fc005, FC004)
  items:
    - ksh
    - ksh

- list: reported
  items: [csh, csh]

- macro: never
  condition: evt.type = open and evt.type = close # falcoc: allow(all)
"#;

#[test]
fn suppression_comments() {
    let loaded = load_one("s.yaml", SUPPRESSED.as_bytes(), PluginProfile::all());
    let got = located(&loaded, &lints::run(&loaded, &LintConfig::new()));
    let codes: Vec<(&str, usize)> = got.iter().map(|(c, l, _, _)| (c.as_str(), *l)).collect();
    // Only the unsuppressed duplicate (and FC004 is silenced by `all`).
    assert_eq!(codes, [("FC005", 17)], "{got:?}");
}

#[test]
fn allow_all_silences_everything() {
    let dir = fixtures_dir();
    let config = LintConfig::new()
        .with("all", Level::Allow)
        .expect("all is a valid key");
    for e in std::fs::read_dir(&dir).expect("fixtures/lints").flatten() {
        let p = e.path();
        let Ok(text) = std::fs::read(&p) else {
            continue;
        };
        let loaded = load_one("f.yaml", &text, PluginProfile::all());
        assert!(lints::run(&loaded, &config).is_empty(), "{}", p.display());
    }
    // Later overrides win.
    let config = LintConfig::new()
        .with("all", Level::Allow)
        .and_then(|c| c.with("duplicate-list-items", Level::Deny))
        .expect("valid keys");
    let loaded = load_one(
        "s.yaml",
        b"- list: l\n  items: [a, a]\n",
        PluginProfile::all(),
    );
    let got = lints::run(&loaded, &config);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].code, got[0].level), ("FC005", Level::Deny));
    assert!(LintConfig::new().with("FC999", Level::Warn).is_err());
}

#[test]
fn registry_is_well_formed() {
    let reg = lints::registry();
    for (i, r) in reg.iter().enumerate() {
        assert_eq!(r.code, format!("FC{:03}", i + 1));
        assert!(r.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
        assert!(!r.summary.is_empty() && r.doc.len() > 80, "{}", r.code);
        assert_eq!(lints::lookup(r.name).map(|x| x.code), Some(r.code));
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml")
            && p.file_name().is_some_and(|n| n != "manifest.yaml")
        {
            out.push(p);
        }
    }
}

#[test]
fn corpus_lints_without_panics() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/rules");
    if !root.is_dir() {
        eprintln!("skipped: {} not found", root.display());
        return;
    }
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut fc008_upstream = Vec::new();
    let verbose = std::env::var_os("FALCOC_LINT_VERBOSE").is_some();
    for p in &files {
        let Ok(bytes) = std::fs::read(p) else {
            continue;
        };
        let name = p.strip_prefix(&root).unwrap_or(p).display().to_string();
        let inputs = [Input {
            name: &name,
            bytes: &bytes,
        }];
        let loaded = load_one(&name, &bytes, auto_profile(&inputs));
        let findings = lints::run(&loaded, &everything());
        for f in &findings {
            *counts.entry(f.code).or_default() += 1;
            if f.code == "FC008" && name.starts_with("falcosecurity-rules/") {
                fc008_upstream.push(format!("{name}: {}", f.message));
            }
            if verbose {
                let (l, c) = loaded.files[f.file].line_col(f.span.start as usize);
                println!("{name}:{l}:{c}: {} {} {:?}", f.code, f.message, f.notes);
            }
        }
    }
    println!("{} corpus files linted; findings per code:", files.len());
    for r in lints::registry() {
        println!(
            "  {} {:<26} {}",
            r.code,
            r.name,
            counts.get(r.code).copied().unwrap_or(0)
        );
    }
    assert!(fc008_upstream.is_empty(), "{fc008_upstream:#?}");
}
