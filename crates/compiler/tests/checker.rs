//! Data-driven tests of the condition checker and the output compiler:
//! * the `compile`, `warnings` and `details` vectors of
//!   `../shared/corpus/condition-vectors/manifest.json` (mock fields `c.*` come from a mock
//!   resolver defined here, as libsinsp's own compiler tests do);
//! * every golden validation of `../shared/golden/validate/plugins-all` (Falco 0.42.1 on
//!   the rule files under `../shared/corpus/rules`, single files and multi-file
//!   combinations), loaded with the real loader (`load::load`, Falco mode, the case's
//!   plugins): the same errors and warnings (code, item, message) per file, and for the
//!   cases Falco described (`falco -L`), the same rules with the same condition fields
//!   and operators, compiled output and output fields, macros, lists and exception names.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use falcoc_compiler::check::{
    check_condition, check_condition_with, condition_details, falco_warnings, FieldResolver,
};
use falcoc_compiler::collector::Collection;
use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::lists;
use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
use falcoc_compiler::macros::{MacroDef, MacroTable, Viewer};
use falcoc_compiler::output::{compile_output, compile_rule_output};
use falcoc_compiler::result::{Code, LoadMessage};
use falcoc_lang::condition::ast::ExprKind;
use falcoc_lang::condition::parse;
use falcoc_schema::fields::{
    ClassKind, FieldArg, FieldClass, FieldError, FieldFlags, FieldInfo, FieldType, PluginProfile,
    PrintFormat, ResolvedField,
};
use serde_json::Value as Json;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn manifest() -> Option<Json> {
    let p = shared().join("corpus/condition-vectors/manifest.json");
    match std::fs::read_to_string(&p) {
        Ok(t) => serde_json::from_str(&t).ok(),
        Err(_) => {
            eprintln!("note: {} not found; vector tests skipped", p.display());
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mock fields (libsinsp test/filter_compiler.ut.cpp `mock_compiler_filter_check`)
// ---------------------------------------------------------------------------------------

const MOCK_NAMES: [&str; 5] = [
    "c.true",
    "c.false",
    "c.buffer",
    "c.doublequote",
    "c.singlequote",
];

static MOCK_CLASS: LazyLock<&'static FieldClass> = LazyLock::new(|| {
    let fields = MOCK_NAMES
        .iter()
        .map(|n| FieldInfo {
            name: n,
            ty: if *n == "c.buffer" {
                FieldType::Bytebuf
            } else {
                FieldType::Charbuf
            },
            flags: FieldFlags::NONE,
            format: PrintFormat::Na,
            display: String::new(),
            description: String::new(),
            since: None,
            deprecated_since: None,
        })
        .collect();
    Box::leak(Box::new(FieldClass {
        name: "mock",
        kind: ClassKind::Plugin,
        fields,
    }))
});

/// Mock fields first (exact names only), then the real ones.
struct Mock {
    real: PluginProfile,
    with_mock: bool,
}

impl FieldResolver for Mock {
    fn lookup(
        &self,
        source: &str,
        name: &str,
        arg: Option<&str>,
    ) -> Result<ResolvedField, FieldError> {
        let full = match arg {
            Some(a) if !a.is_empty() => format!("{name}[{a}]"),
            _ => name.to_string(),
        };
        if self.with_mock {
            if let Some(f) = MOCK_CLASS.field(&full) {
                return Ok(ResolvedField {
                    name: full,
                    field: f,
                    class: *MOCK_CLASS,
                    plugin: None,
                    ty: f.ty,
                    arg: FieldArg::None,
                });
            }
        }
        self.real.lookup(source, name, arg)
    }

    fn async_event_names(&self, source: &str) -> Vec<&'static str> {
        self.real.async_event_names(source)
    }
}

// ---------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------

#[test]
fn compile_vectors() {
    let Some(m) = manifest() else { return };
    let mut checked = 0;
    let mut parse_rejects = 0;
    let mut skipped = 0;
    let mut failures = Vec::new();
    for v in m["vectors"].as_array().into_iter().flatten() {
        if v["kind"] != "compile" {
            continue;
        }
        let id = v["id"].as_str().unwrap_or("?");
        let input = v["input"].as_str().unwrap_or_default();
        let accept = v["expect"] == "accept";
        let unreleased = v["since_libs"]
            .as_str()
            .is_some_and(|s| s.starts_with("unreleased"));
        let expr = match parse(input) {
            Ok(e) => e,
            Err(e) => {
                if unreleased {
                    // libs master syntax (`\xHH`) that no Falco release parses.
                    skipped += 1;
                } else if accept {
                    failures.push(format!("{id}: {input:?} does not parse: {e}"));
                } else {
                    parse_rejects += 1;
                }
                continue;
            }
        };
        checked += 1;
        let resolver = Mock {
            real: PluginProfile::all(),
            with_mock: v["fields"].as_str().is_some_and(|f| f.contains("mock")),
        };
        match check_condition_with(&expr, "syscall", &resolver) {
            Ok(c) => {
                if !accept {
                    failures.push(format!("{id}: {input:?} accepted"));
                    continue;
                }
                if let Some(n) = v["compile_warnings"].as_u64() {
                    let got = c
                        .warnings
                        .iter()
                        .filter(|w| w.code == Code::LoadCompileCondition)
                        .count();
                    if got as u64 != n {
                        failures.push(format!(
                            "{id}: {input:?}: {got} compile warnings, expected {n}: {:?}",
                            c.warnings
                        ));
                    }
                }
            }
            Err(e) => {
                if accept {
                    failures.push(format!("{id}: {input:?} rejected: {}", e.message));
                } else if let Some(msg) = v["message"].as_str() {
                    if e.message != msg {
                        failures.push(format!(
                            "{id}: {input:?}: message {:?}, expected {msg:?}",
                            e.message
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "compile vectors: {checked} checked, {parse_rejects} rejected by the parser, \
         {skipped} skipped (libs master syntax), {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 200);
}

#[test]
fn warning_vectors() {
    let Some(m) = manifest() else { return };
    let mut n = 0;
    for v in m["vectors"].as_array().into_iter().flatten() {
        if v["kind"] != "warnings" {
            continue;
        }
        n += 1;
        let input = v["input"].as_str().unwrap_or_default();
        let expr = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let w = falco_warnings(&expr);
        if v["warns"] == true {
            let code = v["warning_code"].as_str().unwrap_or_default();
            assert!(
                w.iter().any(|w| w.code.as_str() == code),
                "{input}: expected {code}, got {w:?}"
            );
        } else {
            assert!(w.is_empty(), "{input}: unexpected {w:?}");
        }
    }
    eprintln!("warning vectors: {n} checked");
    assert!(n >= 10);
}

#[test]
fn details_vectors() {
    let Some(m) = manifest() else { return };
    let mut n = 0;
    for v in m["vectors"].as_array().into_iter().flatten() {
        if v["kind"] != "details" {
            continue;
        }
        n += 1;
        let input = v["input"].as_str().unwrap_or_default();
        let expr = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        let d = condition_details(&expr);
        let set = |j: &Json| -> Vec<String> {
            let mut v: Vec<String> = j
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            v.sort();
            v
        };
        assert_eq!(d.fields, set(&v["details"]["fields"]), "{input}");
        assert_eq!(d.operators, set(&v["details"]["operators"]), "{input}");
    }
    assert!(n >= 1);
}

// ---------------------------------------------------------------------------------------
// Real rule files
// ---------------------------------------------------------------------------------------

/// What the container plugin appends to syscall rule outputs with Falco's default
/// `append_output.suggested_output: true` (the golden validation runs; the loader leaves
/// it out).
const SUGGESTED_OUTPUT: &str = "container_id=%container.id container_name=%container.name \
     container_image_repository=%container.image.repository \
     container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name \
     k8s_ns_name=%k8s.ns.name";

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Loads a `{"$ref": "describe/<sha>.json.gz"}` describe document (`Null` if absent).
fn describe_doc(r: &Json) -> Json {
    let Some(rel) = r["$ref"].as_str() else {
        return Json::Null;
    };
    let Ok(f) = std::fs::File::open(shared().join("golden").join(rel)) else {
        return Json::Null;
    };
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(f), &mut text).is_err() {
        return Json::Null;
    }
    serde_json::from_str(&text).unwrap_or(Json::Null)
}

/// The `falco -L` details of a rule compared here.
#[derive(Debug, PartialEq)]
struct Details {
    /// `condition_fields`, `condition_operators` (sorted sets).
    fields: Vec<String>,
    operators: Vec<String>,
    /// `output_compiled`, `output_fields` (in order).
    output: String,
    output_fields: Vec<String>,
    /// `macros`, `lists`, `exception_names` (sorted sets).
    macros: Vec<String>,
    lists: Vec<String>,
    exception_names: Vec<String>,
}

fn strs(v: &Json) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn golden_details(det: &Json) -> Details {
    Details {
        fields: sorted(strs(&det["condition_fields"])),
        operators: sorted(strs(&det["condition_operators"])),
        output: det["output_compiled"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        output_fields: strs(&det["output_fields"]),
        macros: sorted(strs(&det["macros"])),
        lists: sorted(strs(&det["lists"])),
        exception_names: sorted(strs(&det["exception_names"])),
    }
}

/// The macros a rule's condition refers to itself (`falco -L` does not list the macros
/// of macros): the macro references of its condition as written.
fn direct_macros(r: &CompiledRule) -> Vec<String> {
    let mut out = Vec::new();
    match parse(&r.condition) {
        Ok(e) => e.walk(&mut |e| {
            if let ExprKind::Macro(m) = &e.kind {
                if r.macros.contains(m) {
                    out.push(m.clone());
                }
            }
        }),
        Err(e) => out.push(format!("<{}: {}>", r.condition, e.message)),
    }
    sorted(out)
}

/// Ours, with the suggested output (`suggested`: its compiled field names) appended to
/// syscall rules as Falco does.
fn our_details(r: &CompiledRule, suggested: &[String]) -> Details {
    let mut output = r.output.text.clone();
    let mut output_fields = r.output.compiled.field_names();
    if r.source == "syscall" {
        output = format!("{output} {SUGGESTED_OUTPUT}");
        output_fields.extend(suggested.iter().cloned());
    }
    Details {
        fields: r.checked.fields.clone(),
        operators: r.checked.operators.clone(),
        output,
        output_fields,
        macros: direct_macros(r),
        lists: sorted(r.lists.iter().cloned().collect()),
        exception_names: sorted(r.exceptions.iter().map(|e| e.name.clone()).collect()),
    }
}

/// A load message: (code, item type, item name, message), the item being the first
/// location under the file.
type MsgKey = (String, String, String, String);

fn golden_messages(list: &Json) -> Vec<MsgKey> {
    let mut v: Vec<MsgKey> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let loc = &m["context"]["locations"][1];
            let s = |v: &Json| v.as_str().unwrap_or_default().to_string();
            (
                s(&m["code"]),
                s(&loc["item_type"]),
                s(&loc["item_name"]),
                s(&m["message"]),
            )
        })
        .collect();
    v.sort();
    v
}

/// Falco's output errors on syscall rules quote the text with the suggested output the
/// loader leaves out: the message expected of the loader, after checking that the output
/// compiler gives Falco's own message once the suggested output is appended.
fn without_suggested(
    k: &mut MsgKey,
    c: &Collection,
    profile: &PluginProfile,
    failures: &mut Vec<String>,
    case: &str,
) -> bool {
    let suffix = format!(" {SUGGESTED_OUTPUT}");
    if k.0 != "LOAD_ERR_COMPILE_OUTPUT" || k.1 != "rule" || !k.3.ends_with(&suffix) {
        return false;
    }
    let Some(r) = c.rule(&k.2).filter(|r| r.source == "syscall") else {
        return false;
    };
    let full = format!("{}{suffix}", r.def.output.text);
    match compile_rule_output(&full, &r.source, profile) {
        Err(e) if e.message == k.3 => {}
        other => failures.push(format!(
            "{case}: rule {:?}: output with the suggested output gives {other:?}, Falco {:?}",
            k.2, k.3
        )),
    }
    k.3.truncate(k.3.len() - suffix.len());
    true
}

fn our_messages(list: &[LoadMessage]) -> Vec<MsgKey> {
    let mut v: Vec<MsgKey> = list
        .iter()
        .map(|m| {
            let loc = m.locations.get(1);
            (
                m.code.as_str().to_string(),
                loc.map(|l| l.item_type.clone()).unwrap_or_default(),
                loc.map(|l| l.item_name.clone()).unwrap_or_default(),
                m.message.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The differences between two sorted message lists (at most 6).
fn message_diff(want: &[MsgKey], got: &[MsgKey]) -> String {
    let mut count: BTreeMap<&MsgKey, i32> = BTreeMap::new();
    for k in want {
        *count.entry(k).or_default() += 1;
    }
    for k in got {
        *count.entry(k).or_default() -= 1;
    }
    count
        .iter()
        .filter(|(_, n)| **n != 0)
        .take(6)
        .map(|(k, n)| format!("{}{k:?}", if *n > 0 { "missing " } else { "extra " }))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Macros on their own: does each compile for some source of `profile`, with the lists
/// and macros of the collection? (Falco never compiles macros alone; this is information
/// only.) Returns (compiling, total).
fn standalone_macros(c: &Collection, profile: &PluginProfile, case: &str) -> (usize, usize) {
    // Lists as the compiler builds them: the items of earlier lists inlined, quoted,
    // substituted in definition order.
    let mut raw: HashMap<&str, Vec<String>> = HashMap::new();
    let mut texts = Vec::new();
    for l in &c.lists {
        let mut items = Vec::new();
        for it in &l.items {
            match raw.get(it.as_str()) {
                Some(earlier) => items.extend(earlier.iter().cloned()),
                None => items.push(it.clone()),
            }
        }
        let quoted: Vec<String> = items.iter().map(|i| lists::quote_item(i)).collect();
        texts.push((l.name.as_str(), lists::join_items(&quoted)));
        raw.insert(&l.name, items);
    }
    let substitute = |cond: &str| {
        let mut c = cond.to_string();
        for (name, text) in &texts {
            if let Some(n) = lists::substitute(&c, name, text) {
                c = n;
            }
        }
        c
    };
    let mut table = MacroTable::default();
    for m in &c.macros {
        table.insert(
            m.name.clone(),
            MacroDef {
                body: parse(&substitute(&m.condition.text)).ok(),
                first_defined: m.first_defined,
                last_defined: m.last_defined,
            },
        );
    }
    let mut ok = 0;
    for m in &c.macros {
        let Some(Some(body)) = table.get(&m.name).map(|d| d.body.clone()) else {
            continue;
        };
        let Ok(expr) = table.expand(&body, Viewer::Macro(m.last_defined), &mut HashSet::new())
        else {
            continue;
        };
        if profile
            .sources()
            .iter()
            .any(|s| check_condition(&expr, s, profile).is_ok())
        {
            ok += 1;
        } else if std::env::var("CHECKER_DEBUG").is_ok() {
            let e = check_condition(&expr, "syscall", profile).err();
            eprintln!("macro {} in {case}: {:?}", m.name, e.map(|e| e.message));
        }
    }
    (ok, c.macros.len())
}

/// Every golden validation of `../shared/golden/validate/plugins-all` (single files and
/// multi-file combinations), loaded with the real loader in Falco mode and the case's
/// plugins: every error and warning has Falco's code, item and message; the compiled
/// rules are exactly those `falco -L` described, with its per-rule details.
#[test]
fn corpus_rule_files() {
    let dir = shared().join("golden/validate/plugins-all");
    let mut cases = Vec::new();
    json_files(&dir, &mut cases);
    cases.sort();
    if cases.is_empty() {
        eprintln!("note: {} not found; corpus test skipped", dir.display());
        return;
    }
    let root = shared().join("..");
    let mut files = 0;
    let mut validations = 0;
    let mut described_cases = 0;
    let mut rules_compiled = 0;
    let mut rules_unknown_source = 0;
    let mut details_matched = 0;
    let mut rule_warnings_matched = 0;
    let mut warnings_matched = 0;
    let mut errors_matched = 0;
    let mut suggested_errors = 0;
    let (mut macros_ok, mut macros_total) = (0, 0);
    let mut failures = Vec::new();
    for path in cases {
        let case = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Ok(doc) = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Json>(&t).map_err(|e| e.to_string()))
        else {
            failures.push(format!("{case}: unreadable"));
            continue;
        };
        let Some(golden_results) = doc["json_mode"]["result"]["falco_load_results"].as_array()
        else {
            // Falco printed no JSON: a fatal error outside the load results.
            continue;
        };
        let names = strs(&doc["files"]);
        let contents: Vec<Vec<u8>> = names
            .iter()
            .map(|n| std::fs::read(root.join(n)).unwrap_or_default())
            .collect();
        let inputs: Vec<Input> = names
            .iter()
            .zip(&contents)
            .map(|(n, b)| Input { name: n, bytes: b })
            .collect();
        let profile = common::golden_profile(doc["profile"].as_str().unwrap_or("all"));
        let suggested = compile_output(SUGGESTED_OUTPUT, "syscall", &profile)
            .expect("suggested output compiles")
            .field_names();
        let loaded = load(
            &inputs,
            &LoadOptions {
                profile: profile.clone(),
                mode: Mode::Falco,
                ..LoadOptions::default()
            },
        );
        validations += 1;
        files += names.len();
        rules_compiled += loaded.rules.len();
        rules_unknown_source += loaded
            .collection
            .rules
            .iter()
            .filter(|r| !profile.has_source(&r.source))
            .count();
        let (ok, total) = standalone_macros(&loaded.collection, &profile, &case);
        macros_ok += ok;
        macros_total += total;

        // Errors and warnings, per file.
        if loaded.results.len() != golden_results.len() {
            failures.push(format!(
                "{case}: {} results, Falco {}",
                loaded.results.len(),
                golden_results.len()
            ));
        }
        for (ours, g) in loaded.results.iter().zip(golden_results) {
            for (kind, list) in [("errors", &ours.errors), ("warnings", &ours.warnings)] {
                let mut want = golden_messages(&g[kind]);
                for k in &mut want {
                    if without_suggested(k, &loaded.collection, &profile, &mut failures, &case) {
                        suggested_errors += 1;
                    }
                }
                want.sort();
                let got = our_messages(list);
                if want == got {
                    if kind == "errors" {
                        errors_matched += got.len();
                    } else {
                        warnings_matched += got.len();
                        rule_warnings_matched += got.iter().filter(|k| k.1 == "rule").count();
                    }
                } else {
                    failures.push(format!(
                        "{case} [{}] {kind}: {}",
                        ours.name,
                        message_diff(&want, &got)
                    ));
                }
            }
        }

        // `falco -L`: the same rules, with the same details.
        let describe = describe_doc(&doc["describe"]["falco_describe_results"]);
        let Some(described) = describe["rules"].as_array() else {
            continue;
        };
        described_cases += 1;
        let want_names: Vec<&str> = described
            .iter()
            .filter_map(|r| r["info"]["name"].as_str())
            .collect();
        let got_names: Vec<&str> = loaded.rules.iter().map(|r| r.name.as_str()).collect();
        if want_names != got_names {
            failures.push(format!(
                "{case}: rules {got_names:?}, Falco described {want_names:?}"
            ));
        }
        for d in described {
            let name = d["info"]["name"].as_str().unwrap_or_default();
            let Some(r) = loaded.rules.iter().find(|r| r.name == name) else {
                continue;
            };
            let want = golden_details(&d["details"]);
            let got = our_details(r, &suggested);
            if want == got {
                details_matched += 1;
            } else {
                let mut diff = Vec::new();
                macro_rules! cmp {
                    ($($f:ident),*) => {$(
                        if want.$f != got.$f {
                            diff.push(format!(
                                "{}: {:?}, Falco {:?}",
                                stringify!($f),
                                got.$f,
                                want.$f
                            ));
                        }
                    )*};
                }
                cmp!(
                    fields,
                    operators,
                    output,
                    output_fields,
                    macros,
                    lists,
                    exception_names
                );
                failures.push(format!("{case}: rule {name:?}: {}", diff.join("; ")));
            }
        }
    }
    eprintln!(
        "corpus: {validations} validations ({files} files, {described_cases} described), \
         {rules_compiled} rules compiled, {rules_unknown_source} rules of unknown sources \
         skipped, {details_matched} rules' -L details matched, {warnings_matched} warnings \
         matched ({rule_warnings_matched} on rules), {errors_matched} errors reproduced \
         ({suggested_errors} in outputs with the suggested output); macros compiling \
         standalone for some source: {macros_ok}/{macros_total}; {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(validations > 50);
}

/// Golden loader cases are left to the loader's own tests; this only checks the two
/// compiler warnings Falco printed there are the ones we produce for the same checks.
#[test]
fn golden_compile_warnings() {
    let profile = PluginProfile::all();
    for (cond, msg) in [
        (
            "evt.type = open and proc.name = proc.pname",
            "'proc.pname' may be a valid field misused as a const string value",
        ),
        (
            "evt.type = open and proc.name in (\"toupper( proc.pname)\")",
            "'toupper( proc.pname)' may be a valid field transformer misused as a const string value",
        ),
    ] {
        let e = parse(cond).unwrap_or_else(|e| panic!("{e}"));
        let c = check_condition(&e, "syscall", &profile).unwrap_or_else(|e| panic!("{e}"));
        let w: Vec<&str> = c.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(w, vec![msg]);
    }
}
