//! Data-driven tests of the condition checker and the output compiler:
//! * the `compile`, `warnings` and `details` vectors of
//!   `../shared/corpus/condition-vectors/manifest.json` (mock fields `c.*` come from a mock
//!   resolver defined here, as libsinsp's own compiler tests do);
//! * every rule of every rule file under `../shared/corpus/rules` that Falco 0.42.1
//!   validated (`../shared/golden/validate/plugins-all/summary.tsv`): with lists and
//!   macros expanded in a simple way here, each rule's output and condition compile for
//!   its source, with exactly the per-rule warnings Falco printed; for the files Falco
//!   rejected with `LOAD_ERR_COMPILE_CONDITION` / `LOAD_ERR_COMPILE_OUTPUT`, the failing
//!   rule gives Falco's message and the rules before it compile.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::LazyLock;

use falcoc_compiler::check::{
    check_condition, check_condition_with, condition_details, falco_warnings, CheckWarning,
    FieldResolver,
};
use falcoc_compiler::exceptions::{self, Exception, ExceptionValue, Strings};
use falcoc_compiler::fields::{
    ClassKind, FieldArg, FieldClass, FieldError, FieldFlags, FieldInfo, FieldType, PluginProfile,
    PrintFormat, ResolvedField,
};
use falcoc_compiler::lists;
use falcoc_compiler::macros::{MacroDef, MacroTable, Viewer};
use falcoc_compiler::output::compile_rule_output;
use falcoc_compiler::result::Code;
use falcoc_lang::condition::parse;
use serde::Deserialize as _;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

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
/// `append_output.suggested_output: true` (the golden validation runs).
const SUGGESTED_OUTPUT: &str = "container_id=%container.id container_name=%container.name \
     container_image_repository=%container.image.repository \
     container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name \
     k8s_ns_name=%k8s.ns.name";

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get<'a>(m: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    m.as_mapping()?.get(key)
}

fn get_str(m: &Yaml, key: &str) -> Option<String> {
    get(m, key).and_then(scalar)
}

/// `append: true`, or `override: {key: append}` → Some(true); `override: {key: replace}`
/// → Some(false); a plain definition → None.
fn update_of(item: &Yaml, key: &str) -> Option<bool> {
    if get(item, "append").and_then(Yaml::as_bool) == Some(true) {
        return Some(true);
    }
    match get(item, "override")
        .and_then(|o| get_str(o, key))
        .as_deref()
    {
        Some("append") => Some(true),
        Some("replace") => Some(false),
        _ => None,
    }
}

fn strings(v: &Yaml) -> Option<Strings> {
    match v {
        Yaml::Sequence(s) => Some(Strings::Many(s.iter().filter_map(scalar).collect())),
        other => scalar(other).map(Strings::One),
    }
}

fn exception_value(v: &Yaml) -> ExceptionValue {
    match v {
        Yaml::Sequence(s) => ExceptionValue::List(s.iter().map(exception_value).collect()),
        other => ExceptionValue::Scalar(scalar(other).unwrap_or_default()),
    }
}

fn exceptions_of(v: &Yaml) -> Vec<Exception> {
    v.as_sequence()
        .into_iter()
        .flatten()
        .map(|e| Exception {
            name: get_str(e, "name").unwrap_or_default(),
            fields: get(e, "fields").and_then(strings),
            comps: get(e, "comps").and_then(strings),
            values: get(e, "values")
                .and_then(Yaml::as_sequence)
                .map(|s| s.iter().map(exception_value).collect())
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Default)]
struct Rule {
    name: String,
    source: String,
    condition: String,
    output: String,
    exceptions: Vec<Exception>,
    skip_unknown: bool,
}

#[derive(Default)]
struct Loaded {
    lists: Vec<(String, Vec<String>)>,
    macros: Vec<(String, String, usize, usize)>,
    rules: Vec<Rule>,
}

/// A simple collector: definitions, `append: true` and `override` for the keys that
/// matter here.
fn load(text: &str) -> Loaded {
    let mut l = Loaded::default();
    let mut stamp = 0usize;
    for doc in serde_yaml::Deserializer::from_str(text) {
        let Ok(doc) = Yaml::deserialize(doc) else {
            continue;
        };
        for item in doc.as_sequence().into_iter().flatten() {
            stamp += 1;
            if let Some(name) = get_str(item, "list") {
                let items: Vec<String> = get(item, "items")
                    .and_then(Yaml::as_sequence)
                    .map(|s| s.iter().filter_map(scalar).collect())
                    .unwrap_or_default();
                match (
                    l.lists.iter_mut().find(|x| x.0 == name),
                    update_of(item, "items"),
                ) {
                    (Some(x), Some(true)) => x.1.extend(items),
                    (Some(x), _) => x.1 = items,
                    (None, _) => l.lists.push((name, items)),
                }
            } else if let Some(name) = get_str(item, "macro") {
                let cond = get_str(item, "condition").unwrap_or_default();
                match (
                    l.macros.iter_mut().find(|x| x.0 == name),
                    update_of(item, "condition"),
                ) {
                    (Some(x), Some(true)) => {
                        x.1 = format!("{} {cond}", x.1);
                        x.3 = stamp;
                    }
                    (Some(x), _) => {
                        x.1 = cond;
                        x.3 = stamp;
                    }
                    (None, _) => l.macros.push((name, cond, stamp, stamp)),
                }
            } else if let Some(name) = get_str(item, "rule") {
                let pos = l.rules.iter().position(|r| r.name == name);
                let is_override = get(item, "override").is_some();
                let legacy_append = get(item, "append").and_then(Yaml::as_bool) == Some(true);
                match pos {
                    Some(i) if legacy_append || is_override => {
                        let r = &mut l.rules[i];
                        if let Some(c) = get_str(item, "condition") {
                            match update_of(item, "condition") {
                                Some(false) => r.condition = c,
                                _ => r.condition = format!("{} {c}", r.condition),
                            }
                        }
                        if let Some(o) = get_str(item, "output") {
                            match update_of(item, "output") {
                                Some(true) => r.output = format!("{} {}", r.output, o.trim()),
                                _ => r.output = o.trim().to_string(),
                            }
                        }
                        if let Some(e) = get(item, "exceptions") {
                            let new = exceptions_of(e);
                            if update_of(item, "exceptions") == Some(false) {
                                r.exceptions = new;
                            } else {
                                for n in new {
                                    match r.exceptions.iter_mut().find(|x| x.name == n.name) {
                                        Some(x) => x.values.extend(n.values),
                                        None => r.exceptions.push(n),
                                    }
                                }
                            }
                        }
                    }
                    _ => {
                        let Some(condition) = get_str(item, "condition") else {
                            continue; // enable-only item
                        };
                        let r = Rule {
                            name: name.clone(),
                            source: get_str(item, "source").unwrap_or_else(|| "syscall".into()),
                            condition,
                            output: get_str(item, "output")
                                .unwrap_or_default()
                                .trim()
                                .to_string(),
                            exceptions: get(item, "exceptions")
                                .map(exceptions_of)
                                .unwrap_or_default(),
                            skip_unknown: get(item, "skip-if-unknown-filter")
                                .and_then(Yaml::as_bool)
                                .unwrap_or(false),
                        };
                        match pos {
                            Some(i) => l.rules[i] = r,
                            None => l.rules.push(r),
                        }
                    }
                }
            }
        }
    }
    l
}

/// The lists' replacement texts: items quoted, with one level of inlining of lists
/// defined earlier (their raw items), joined with `, `.
fn list_texts(l: &Loaded) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, (name, items)) in l.lists.iter().enumerate() {
        let mut flat = Vec::new();
        for it in items {
            match l.lists[..i].iter().find(|x| &x.0 == it) {
                Some((_, inner)) => flat.extend(inner.iter().map(|s| lists::quote_item(s))),
                None => flat.push(lists::quote_item(it)),
            }
        }
        out.push((name.clone(), lists::join_items(&flat)));
    }
    out
}

fn substitute_lists(cond: &str, lists: &[(String, String)]) -> String {
    let mut c = cond.to_string();
    for (name, text) in lists {
        if let Some(n) = lists::substitute(&c, name, text) {
            c = n;
        }
    }
    c
}

/// Falco's per-rule warnings worth comparing: (code, message).
type WarnKey = (String, String);

fn keys(ws: &[CheckWarning]) -> Vec<WarnKey> {
    let mut v: Vec<WarnKey> = ws
        .iter()
        .map(|w| (w.code.as_str().to_string(), w.message.clone()))
        .collect();
    v.sort();
    v
}

struct Golden {
    exit_code: i64,
    /// The compile error, with its rule.
    error: Option<(String, String, String)>,
    /// Per rule: the condition/output warnings Falco printed.
    rule_warnings: BTreeMap<String, Vec<WarnKey>>,
}

fn golden(case: &str, exit_code: i64) -> Option<Golden> {
    let p = shared().join(format!("golden/validate/plugins-all/{case}.json"));
    let j: Json = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
    let mut g = Golden {
        exit_code,
        error: None,
        rule_warnings: BTreeMap::new(),
    };
    let rule_of = |e: &Json| -> Option<String> {
        e["context"]["locations"]
            .as_array()?
            .iter()
            .find(|l| l["item_type"] == "rule")
            .and_then(|l| l["item_name"].as_str().map(str::to_string))
    };
    for fr in j["json_mode"]["result"]["falco_load_results"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for e in fr["errors"].as_array().into_iter().flatten() {
            let code = e["code"].as_str().unwrap_or_default();
            if matches!(
                code,
                "LOAD_ERR_COMPILE_CONDITION" | "LOAD_ERR_COMPILE_OUTPUT"
            ) {
                g.error = Some((
                    code.to_string(),
                    rule_of(e).unwrap_or_default(),
                    e["message"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
        for w in fr["warnings"].as_array().into_iter().flatten() {
            let code = w["code"].as_str().unwrap_or_default();
            let msg = w["message"].as_str().unwrap_or_default();
            let relevant = match code {
                "LOAD_COMPILE_CONDITION" | "LOAD_UNSAFE_NA_CHECK" => true,
                "LOAD_DEPRECATED_ITEM" => {
                    w.get("deprecated_field").is_some() || msg.starts_with("%container.info")
                }
                _ => false,
            };
            if let (true, Some(rule)) = (relevant, rule_of(w)) {
                g.rule_warnings
                    .entry(rule)
                    .or_default()
                    .push((code.to_string(), msg.to_string()));
            }
        }
    }
    for v in g.rule_warnings.values_mut() {
        v.sort();
    }
    Some(g)
}

fn profile_named(name: &str) -> PluginProfile {
    const ALL: [&str; 10] = [
        "container",
        "k8saudit",
        "cloudtrail",
        "gcpaudit",
        "github",
        "okta",
        "json",
        "dummy",
        "dummy_c",
        "dummy_rs",
    ];
    match name.strip_prefix("all-") {
        Some(variant) => {
            let names: Vec<&str> = ALL
                .iter()
                .map(|n| if *n == "k8saudit" { variant } else { n })
                .collect();
            PluginProfile::from_names(&names).unwrap_or_else(|_| PluginProfile::all())
        }
        None => PluginProfile::all(),
    }
}

/// What we compiled for a rule: warnings in Falco's per-rule order, and the `-L` details.
#[derive(Debug, Default)]
struct RuleResult {
    warnings: Vec<CheckWarning>,
    /// `condition_fields`, `condition_operators` (sorted sets).
    fields: Vec<String>,
    operators: Vec<String>,
    /// `output_compiled`, `output_fields`.
    output: String,
    output_fields: Vec<String>,
    /// Dropped by `skip-if-unknown-filter`.
    skipped: bool,
}

/// The outcome of one rule: the first error (output first, as Falco compiles it) with its
/// code, or what was compiled.
fn compile_rule(
    r: &Rule,
    lists: &[(String, String)],
    macros: &MacroTable,
    profile: &PluginProfile,
) -> Result<RuleResult, (String, String)> {
    let mut res = RuleResult::default();
    let output = if r.source == "syscall" {
        format!("{} {SUGGESTED_OUTPUT}", r.output)
    } else {
        r.output.clone()
    };
    match compile_rule_output(&output, &r.source, profile) {
        Ok(o) => {
            res.warnings.extend(o.warnings);
            res.output_fields = o.compiled.field_names();
            res.output = o.text;
        }
        Err(e) => {
            if r.skip_unknown && e.unknown_filter {
                res.skipped = true;
                return Ok(res);
            }
            return Err(("LOAD_ERR_COMPILE_OUTPUT".into(), e.message));
        }
    }
    let cond = exceptions::rewrite(&r.condition, &r.exceptions)
        .map_err(|e| ("LOAD_ERR_VALIDATE".to_string(), e))?;
    let cond = substitute_lists(&cond, lists);
    let expr = parse(&cond).map_err(|e| ("LOAD_ERR_COMPILE_CONDITION".to_string(), e.message))?;
    let expr = macros
        .expand(&expr, Viewer::Rule, &mut HashSet::new())
        .map_err(|e| ("LOAD_ERR_VALIDATE".to_string(), e.message()))?;
    match check_condition(&expr, &r.source, profile) {
        Ok(c) => {
            res.warnings.extend(c.warnings);
            res.fields = c.fields;
            res.operators = c.operators;
        }
        Err(e) => {
            if r.skip_unknown && e.unknown_filter {
                res.warnings.extend(e.warnings);
                res.skipped = true;
                return Ok(res);
            }
            return Err(("LOAD_ERR_COMPILE_CONDITION".into(), e.message));
        }
    }
    Ok(res)
}

/// `falco -L` details per rule name: condition fields and operators (sorted), output
/// text and output fields.
type Described = BTreeMap<String, (Vec<String>, Vec<String>, String, Vec<String>)>;

fn describe(case: &str) -> Option<Described> {
    let p = shared().join(format!("golden/validate/plugins-all/{case}.json"));
    let j: Json = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
    let r = j["describe"]["falco_describe_results"]["$ref"].as_str()?;
    let gz = std::fs::File::open(shared().join("golden").join(r)).ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz), &mut text).ok()?;
    let d: Json = serde_json::from_str(&text).ok()?;
    let strs = |v: &Json| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let mut out = Described::new();
    for rule in d["rules"].as_array().into_iter().flatten() {
        let det = &rule["details"];
        let mut fields = strs(&det["condition_fields"]);
        fields.sort();
        let mut ops = strs(&det["condition_operators"]);
        ops.sort();
        out.insert(
            rule["info"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            (
                fields,
                ops,
                det["output_compiled"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                strs(&det["output_fields"]),
            ),
        );
    }
    Some(out)
}

#[test]
fn corpus_rule_files() {
    let summary = shared().join("golden/validate/plugins-all/summary.tsv");
    let Ok(tsv) = std::fs::read_to_string(&summary) else {
        eprintln!("note: {} not found; corpus test skipped", summary.display());
        return;
    };
    let root = shared().join("..");
    let (mut files, mut rules_ok, mut rules_skipped, mut macros_ok, mut macros_total) =
        (0, 0, 0, 0, 0);
    let mut errors_matched = 0;
    let mut warnings_matched = 0;
    let mut details_matched = 0;
    let mut failures = Vec::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 8 || cols[0].contains("multi-file") || cols[0] != cols[1] {
            continue;
        }
        let case = cols[0];
        let exit_code: i64 = cols[3].parse().unwrap_or(-1);
        let error_codes = cols[7];
        let compile_error = error_codes.contains("LOAD_ERR_COMPILE_CONDITION")
            || error_codes.contains("LOAD_ERR_COMPILE_OUTPUT");
        if exit_code != 0 && !compile_error {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(case)) else {
            continue;
        };
        let Some(g) = golden(case, exit_code) else {
            continue;
        };
        files += 1;
        let profile = profile_named(cols[2]);
        let described = if exit_code == 0 { describe(case) } else { None };
        let loaded = load(&text);
        let lists = list_texts(&loaded);
        let mut table = MacroTable::default();
        for (name, cond, first, last) in &loaded.macros {
            table.insert(
                name.clone(),
                MacroDef {
                    body: parse(&substitute_lists(cond, &lists)).ok(),
                    first_defined: *first,
                    last_defined: *last,
                },
            );
        }
        // Macros on their own: do they compile for some source? (Falco never compiles
        // macros alone; this is information only.)
        for (name, _, _, last) in &loaded.macros {
            macros_total += 1;
            let Some(Some(body)) = table.get(name).map(|d| d.body.clone()) else {
                continue;
            };
            let Ok(expr) = table.expand(&body, Viewer::Macro(*last), &mut HashSet::new()) else {
                continue;
            };
            if profile
                .sources()
                .iter()
                .any(|s| check_condition(&expr, s, &profile).is_ok())
            {
                macros_ok += 1;
            } else if std::env::var("CHECKER_DEBUG").is_ok() {
                let e = check_condition(&expr, "syscall", &profile).err();
                eprintln!("macro {name} in {case}: {:?}", e.map(|e| e.message));
            }
        }
        for r in &loaded.rules {
            if !profile.has_source(&r.source) {
                rules_skipped += 1;
                continue;
            }
            let got = compile_rule(r, &lists, &table, &profile);
            if let Some((code, rule, msg)) = &g.error {
                if rule == &r.name {
                    match got {
                        Err((c, m)) if &c == code && &m == msg => errors_matched += 1,
                        other => failures.push(format!(
                            "{case}: rule {:?}: expected {code} {msg:?}, got {other:?}",
                            r.name
                        )),
                    }
                    break;
                }
            }
            match got {
                Ok(res) => {
                    rules_ok += 1;
                    if let Some(d) = described.as_ref().and_then(|d| d.get(&r.name)) {
                        if res.skipped {
                            failures.push(format!("{case}: rule {:?} skipped", r.name));
                        } else if (&res.fields, &res.operators, &res.output, &res.output_fields)
                            == (&d.0, &d.1, &d.2, &d.3)
                        {
                            details_matched += 1;
                        } else {
                            failures.push(format!(
                                "{case}: rule {:?}: details {:?}, Falco {d:?}",
                                r.name,
                                (&res.fields, &res.operators, &res.output, &res.output_fields)
                            ));
                        }
                    }
                    let mine = keys(&res.warnings);
                    let theirs = g.rule_warnings.get(&r.name).cloned().unwrap_or_default();
                    if mine == theirs {
                        warnings_matched += mine.len();
                    } else {
                        failures.push(format!(
                            "{case}: rule {:?}: warnings {mine:?}, Falco {theirs:?}",
                            r.name
                        ));
                    }
                }
                Err((code, msg)) => failures.push(format!(
                    "{case}: rule {:?} ({}): {code} {msg}",
                    r.name, r.source
                )),
            }
        }
        let _ = g.exit_code;
    }
    eprintln!(
        "corpus: {files} files, {rules_ok} rules compiled with Falco's warnings, \
         {rules_skipped} rules of unknown sources skipped, {warnings_matched} rule warnings \
         matched, {details_matched} rules' -L details matched, {errors_matched} Falco compile errors reproduced; macros compiling standalone for some source: \
         {macros_ok}/{macros_total}; {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(files > 50);
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
