//! Reports of a test run: `cargo test`-like text, JSON, and JUnit XML.
//!
//! In every format a test file that cannot run (a located error in it, rule files that
//! do not load) counts as one failed test. The text report ends with the line
//! `N passed, N failed`.

use std::fmt::Write as _;

use falcoc_lang::diagnostic::render_to_string;
use serde_json::{json, Value};

use crate::expect::DiffLine;
use crate::run::{CaseReport, FileReport};

/// Passed and failed counts over `files`.
pub fn totals(files: &[FileReport]) -> (usize, usize) {
    let mut passed = 0;
    let mut failed = 0;
    for f in files {
        if !f.errors.is_empty() {
            failed += 1;
        }
        for c in &f.cases {
            if c.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    (passed, failed)
}

fn failure_text(f: &FileReport, c: &CaseReport, out: &mut String) {
    let _ = writeln!(
        out,
        "---- {} ({}:{}:{}) ----",
        c.name, f.name, c.line, c.column
    );
    for p in &c.verdict.problems {
        let _ = writeln!(out, "{p}");
    }
    if !c.verdict.diff.is_empty() {
        out.push_str("  alerts (- expected, + actual):\n");
        for d in &c.verdict.diff {
            let _ = match d {
                DiffLine::Same(s) => writeln!(out, "    {s}"),
                DiffLine::Expected(s) => writeln!(out, "  - {s}"),
                DiffLine::Actual(s) => writeln!(out, "  + {s}"),
            };
        }
    }
    for e in &c.explanations {
        out.push_str(e);
        if !e.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push('\n');
}

/// The human report.
pub fn text(files: &[FileReport]) -> String {
    let mut out = String::new();
    let mut failures = Vec::new();
    for f in files {
        if !f.errors.is_empty() {
            let _ = writeln!(out, "test file {} ... ERROR", f.name);
            out.push_str(&render_to_string(
                std::slice::from_ref(&f.source),
                &f.errors,
            ));
            failures.push(f.name.clone());
            continue;
        }
        let _ = writeln!(
            out,
            "\nrunning {} test{} from {}",
            f.cases.len(),
            if f.cases.len() == 1 { "" } else { "s" },
            f.name
        );
        for c in &f.cases {
            let _ = writeln!(
                out,
                "test {} ... {}",
                c.name,
                if c.passed() { "ok" } else { "FAILED" }
            );
        }
    }
    let failed_cases: Vec<(&FileReport, &CaseReport)> = files
        .iter()
        .flat_map(|f| f.cases.iter().filter(|c| !c.passed()).map(move |c| (f, c)))
        .collect();
    if !failed_cases.is_empty() {
        out.push_str("\nfailures:\n\n");
        for (f, c) in &failed_cases {
            failure_text(f, c, &mut out);
            failures.push(format!("{} ({})", c.name, f.name));
        }
    }
    if !failures.is_empty() {
        out.push_str("failures:\n");
        for n in &failures {
            let _ = writeln!(out, "    {n}");
        }
    }
    let (passed, failed) = totals(files);
    let _ = writeln!(out, "\n{passed} passed, {failed} failed");
    out
}

fn case_json(f: &FileReport, c: &CaseReport) -> Value {
    let diff: Vec<Value> = c
        .verdict
        .diff
        .iter()
        .map(|d| match d {
            DiffLine::Same(s) => json!({"kind": "same", "text": s}),
            DiffLine::Expected(s) => json!({"kind": "expected", "text": s}),
            DiffLine::Actual(s) => json!({"kind": "actual", "text": s}),
        })
        .collect();
    let alerts: Vec<Value> = c
        .alerts
        .iter()
        .map(|a| {
            json!({
                "rule": a.rule,
                "priority": a.priority.name(),
                "output_fields": a.output_fields,
                "event": a.event.map(|e| e + 1),
            })
        })
        .collect();
    json!({
        "name": c.name,
        "file": f.name,
        "line": c.line,
        "column": c.column,
        "passed": c.passed(),
        "problems": c.verdict.problems,
        "diff": diff,
        "alerts": alerts,
        "explanations": c.explanations,
        "duration_ms": c.elapsed.as_secs_f64() * 1000.0,
    })
}

/// The JSON report: `{"passed", "failed", "files": [{"name", "errors", "cases": […]}]}`.
pub fn json_report(files: &[FileReport]) -> Value {
    let (passed, failed) = totals(files);
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            let errors: Vec<Value> = f
                .errors
                .iter()
                .map(|d| {
                    let (line, column) = d
                        .primary
                        .as_ref()
                        .map(|l| f.source.line_col(l.span.start as usize))
                        .unwrap_or((0, 0));
                    json!({"code": d.code, "message": d.message, "line": line, "column": column})
                })
                .collect();
            json!({
                "name": f.name,
                "errors": errors,
                "cases": f.cases.iter().map(|c| case_json(f, c)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"passed": passed, "failed": failed, "files": files})
}

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // XML 1.0 has no representation for most control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => o.push('?'),
            c => o.push(c),
        }
    }
    o
}

/// The JUnit XML report: one `<testsuite>` per test file, one `<testcase>` per case,
/// `<failure>` with the problems, diff and explanations.
pub fn junit(files: &[FileReport]) -> String {
    let (passed, failed) = totals(files);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"falcoc test\" tests=\"{}\" failures=\"{failed}\">",
        passed + failed
    );
    for f in files {
        let fails =
            f.cases.iter().filter(|c| !c.passed()).count() + usize::from(!f.errors.is_empty());
        let total = f.cases.len() + usize::from(!f.errors.is_empty());
        let time: f64 = f.cases.iter().map(|c| c.elapsed.as_secs_f64()).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{total}\" failures=\"{fails}\" time=\"{time:.6}\">",
            xml(&f.name)
        );
        if !f.errors.is_empty() {
            let text = render_to_string(std::slice::from_ref(&f.source), &f.errors);
            let _ = writeln!(
                out,
                "    <testcase name=\"(test file)\" classname=\"{}\">\n      <failure message=\"the test file has errors\">{}</failure>\n    </testcase>",
                xml(&f.name),
                xml(&text)
            );
        }
        for c in &f.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.6}\"",
                xml(&c.name),
                xml(&f.name),
                c.elapsed.as_secs_f64()
            );
            if c.passed() {
                out.push_str("/>\n");
            } else {
                let mut body = String::new();
                failure_text(f, c, &mut body);
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    xml(c.verdict.problems.first().map_or("", String::as_str)),
                    xml(&body)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
