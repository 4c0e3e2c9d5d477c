//! Renderers of load results: falcoc's located diagnostics (human), Falco's JSON
//! (`falco_load_results`), SARIF 2.1.0 and GitHub workflow annotations.

use falcoc_compiler::result::{FileResult, LoadMessage};
use falcoc_lang::diagnostic::{self, Diagnostic, Severity, SourceFile};
use serde_json::{json, Value};

/// Every message of every file, errors first within a file.
fn messages(results: &[FileResult]) -> impl Iterator<Item = &LoadMessage> {
    results
        .iter()
        .flat_map(|r| r.errors.iter().chain(r.warnings.iter()))
}

fn severity(m: &LoadMessage) -> Severity {
    if m.code.is_error() {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// The named items of a message's context, outermost first, e.g. `rule 'Read shadow'` or
/// `rule 'X', exception 'known'`.
fn item_of(m: &LoadMessage) -> Option<String> {
    let named: Vec<String> = m
        .locations
        .iter()
        .filter(|l| {
            !l.item_name.is_empty()
                && !matches!(
                    l.item_type.as_str(),
                    "value for" | "condition expression" | "overrides"
                )
        })
        .map(|l| format!("{} '{}'", l.item_type, l.item_name))
        .collect();
    (!named.is_empty()).then(|| named.join(", "))
}

/// Converts a load message to a located diagnostic.
pub fn to_diagnostic(m: &LoadMessage) -> Diagnostic {
    let mut d = Diagnostic::new(severity(m), m.code.as_str(), m.message.clone());
    if let Some((file, span)) = m.span {
        d = d.with_primary(file, span, "");
    }
    if let Some(item) = item_of(m) {
        d = d.with_note(format!("in {item}"));
    }
    d
}

/// Every diagnostic to show: Falco's messages, then falcoc's lints.
fn all_diagnostics(results: &[FileResult], lints: &[Diagnostic]) -> Vec<Diagnostic> {
    messages(results)
        .map(to_diagnostic)
        .chain(lints.iter().cloned())
        .collect()
}

/// Human output: codespan-reporting diagnostics.
pub fn human(
    results: &[FileResult],
    lints: &[Diagnostic],
    files: &[SourceFile],
    color: bool,
) -> String {
    let diags = all_diagnostics(results, lints);
    if color {
        use codespan_reporting::term::termcolor::{Ansi, WriteColor};
        let mut out = Ansi::new(Vec::new());
        let _ = diagnostic::render(&mut out, files, &diags);
        let _ = out.reset();
        String::from_utf8_lossy(&out.into_inner()).into_owned()
    } else {
        diagnostic::render_to_string(files, &diags)
    }
}

fn message_json(m: &LoadMessage) -> Value {
    let locations: Vec<Value> = m
        .locations
        .iter()
        .map(|l| {
            json!({
                "item_name": l.item_name,
                "item_type": l.item_type,
                "position": {
                    "column": l.position.column,
                    "line": l.position.line,
                    "name": l.position.name,
                    "offset": l.position.offset,
                }
            })
        })
        .collect();
    let mut v = json!({
        "code": m.code.as_str(),
        "codedesc": m.code.codedesc(),
        "context": { "locations": locations, "snippet": m.snippet },
        "message": m.message,
    });
    if let (Some(f), Some(obj)) = (&m.deprecated_field, v.as_object_mut()) {
        obj.insert("deprecated_field".into(), json!(f));
    }
    v
}

/// Falco's `-V` JSON: `{"falco_load_results": [...]}` with keys in alphabetical order.
pub fn falco_json(results: &[FileResult]) -> Value {
    let per_file: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "errors": r.errors.iter().map(message_json).collect::<Vec<_>>(),
                "name": r.name,
                "successful": r.successful(),
                "warnings": r.warnings.iter().map(message_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "falco_load_results": per_file })
}

fn region(files: &[SourceFile], d: &Diagnostic) -> Option<(String, Value)> {
    let l = d.primary.as_ref()?;
    let f = files.get(l.file)?;
    let (sl, sc) = f.line_col(l.span.start as usize);
    let (el, ec) = f.line_col(l.span.end.max(l.span.start) as usize);
    Some((
        f.name.clone(),
        json!({ "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec }),
    ))
}

/// The short description of a code: Falco's short name, or the lint's summary.
fn code_description(code: &str) -> Option<&'static str> {
    if let Some(c) = falcoc_compiler::result::Code::ALL
        .iter()
        .find(|c| c.as_str() == code)
    {
        return Some(c.short_name());
    }
    falcoc_lints::lookup(code).map(|r| r.summary)
}

/// SARIF 2.1.0, one run, one result per diagnostic.
pub fn sarif(results: &[FileResult], lints: &[Diagnostic], files: &[SourceFile]) -> Value {
    let diags = all_diagnostics(results, lints);
    let mut rule_ids: Vec<&'static str> = diags.iter().map(|d| d.code).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| json!({ "id": id, "shortDescription": { "text": code_description(id).unwrap_or(id) } }))
        .collect();
    let out: Vec<Value> = diags
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let mut r = json!({
                "ruleId": d.code,
                "level": level,
                "message": { "text": d.message },
            });
            if let (Some((name, reg)), Some(obj)) = (region(files, d), r.as_object_mut()) {
                obj.insert(
                    "locations".into(),
                    json!([{ "physicalLocation": { "artifactLocation": { "uri": name }, "region": reg } }]),
                );
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "falcoc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": out,
        }]
    })
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands (`::error file=…,line=…::message`).
pub fn github(results: &[FileResult], lints: &[Diagnostic], files: &[SourceFile]) -> String {
    let mut out = String::new();
    for d in all_diagnostics(results, lints) {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(l) = &d.primary {
            if let Some(f) = files.get(l.file) {
                let (sl, sc) = f.line_col(l.span.start as usize);
                let (el, ec) = f.line_col(l.span.end.max(l.span.start) as usize);
                props.push(format!("file={}", escape_property(&f.name)));
                props.push(format!("line={sl},col={sc},endLine={el},endColumn={ec}"));
            }
        }
        props.push(format!("title={}", escape_property(d.code)));
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            escape_data(&d.message)
        ));
    }
    out
}
