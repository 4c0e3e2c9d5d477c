//! Expectations against the alerts a case raised: counts, priorities, `output_fields`,
//! silent rules; and the expected-vs-actual diff a failing case prints.

use serde_json::Value;

use crate::model::{Case, Expect};
use crate::run::SeenAlert;

/// One line of the alert diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// Expected and seen.
    Same(String),
    /// Expected, not seen.
    Expected(String),
    /// Seen, not expected.
    Actual(String),
}

/// What checking a case gives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Every unmet expectation (empty: the case passed).
    pub problems: Vec<String>,
    /// Expected vs actual alerts, per rule named by the case (and other rules that fired).
    pub diff: Vec<DiffLine>,
}

/// Whether an actual `output_fields` value matches the expected one: equal JSON, or an
/// expected string equal to the text of a number or boolean; `null` also matches a
/// missing field.
pub fn value_matches(expected: &Value, actual: Option<&Value>) -> bool {
    match (expected, actual) {
        (Value::Null, None | Some(Value::Null)) => true,
        (_, None) => false,
        (e, Some(a)) if e == a => true,
        (Value::String(s), Some(Value::Number(n))) => *s == n.to_string(),
        (Value::String(s), Some(Value::Bool(b))) => *s == b.to_string(),
        (Value::Number(n), Some(Value::String(s))) => *s == n.to_string(),
        (Value::Number(e), Some(Value::Number(a))) => e.as_f64() == a.as_f64(),
        _ => false,
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(missing)".to_string(),
        Some(v) => v.to_string(),
    }
}

fn describe_expect(e: &Expect) -> String {
    let mut s = format!(
        "{} ×{}",
        e.rule.value,
        e.count.map_or("≥1".to_string(), |c| c.to_string())
    );
    if let Some(p) = e.priority {
        s.push_str(&format!(" priority={}", p.name()));
    }
    for (k, v) in &e.output_fields {
        s.push_str(&format!(" {k}={v}"));
    }
    s
}

fn describe_actual(rule: &str, got: &[&SeenAlert], e: Option<&Expect>) -> String {
    let mut s = format!("{rule} ×{}", got.len());
    if let Some(first) = got.first() {
        if e.is_none_or(|e| e.priority.is_some()) {
            s.push_str(&format!(" priority={}", first.priority.name()));
        }
        if let Some(e) = e {
            // The fields the expectation names, from the first alert that differs (or
            // the first alert).
            let shown = got
                .iter()
                .find(|a| {
                    e.output_fields
                        .iter()
                        .any(|(k, v)| !value_matches(v, a.output_fields.get(k)))
                })
                .unwrap_or(first);
            for (k, _) in &e.output_fields {
                s.push_str(&format!(" {k}={}", show(shown.output_fields.get(k))));
            }
        }
    }
    s
}

/// Checks `case`'s expectations against `alerts`. `known` are the loaded rule names;
/// `runs(rule)` says whether the rule belongs to the case's event source (a rule of
/// another source can never fire, so naming it is an error).
pub fn check_case(
    case: &Case,
    alerts: &[SeenAlert],
    known: &[&str],
    runs: &dyn Fn(&str) -> bool,
) -> Verdict {
    let mut v = Verdict::default();
    let of = |rule: &str| -> Vec<&SeenAlert> { alerts.iter().filter(|a| a.rule == rule).collect() };
    for e in &case.expect {
        let rule = e.rule.value.as_str();
        if !known.contains(&rule) {
            v.problems.push(format!("no loaded rule is named `{rule}`"));
            v.diff.push(DiffLine::Expected(describe_expect(e)));
            continue;
        }
        if !runs(rule) {
            v.problems.push(format!(
                "rule `{rule}` is not of the case's event source ({})",
                case.input.source()
            ));
        }
        let got = of(rule);
        let mut ok = true;
        match e.count {
            Some(n) if got.len() as u64 != n => {
                v.problems.push(format!(
                    "`{rule}`: expected {n} alert(s), got {}",
                    got.len()
                ));
                ok = false;
            }
            None if got.is_empty() => {
                v.problems
                    .push(format!("`{rule}`: expected an alert, got none"));
                ok = false;
            }
            _ => {}
        }
        if let Some(p) = e.priority {
            if let Some(a) = got.iter().find(|a| a.priority != p) {
                v.problems.push(format!(
                    "`{rule}`: expected priority {}, got {}",
                    p.name(),
                    a.priority.name()
                ));
                ok = false;
            }
        }
        for (k, want) in &e.output_fields {
            if let Some(a) = got
                .iter()
                .find(|a| !value_matches(want, a.output_fields.get(k)))
            {
                v.problems.push(format!(
                    "`{rule}`: output field {k}: expected {want}, got {}",
                    show(a.output_fields.get(k))
                ));
                ok = false;
            }
        }
        if ok {
            v.diff.push(DiffLine::Same(describe_expect(e)));
        } else {
            v.diff.push(DiffLine::Expected(describe_expect(e)));
            v.diff
                .push(DiffLine::Actual(describe_actual(rule, &got, Some(e))));
        }
    }
    for r in &case.no_alert {
        let rule = r.value.as_str();
        if !known.contains(&rule) {
            v.problems.push(format!("no loaded rule is named `{rule}`"));
            v.diff.push(DiffLine::Expected(format!("{rule} ×0")));
            continue;
        }
        let got = of(rule);
        if got.is_empty() {
            v.diff.push(DiffLine::Same(format!("{rule} ×0")));
        } else {
            v.problems
                .push(format!("`{rule}`: expected no alert, got {}", got.len()));
            v.diff.push(DiffLine::Expected(format!("{rule} ×0")));
            v.diff
                .push(DiffLine::Actual(describe_actual(rule, &got, None)));
        }
    }
    // Other rules that fired (not a failure; shown for context).
    let mut others: Vec<&str> = Vec::new();
    for a in alerts {
        let named = case.expect.iter().any(|e| e.rule.value == a.rule)
            || case.no_alert.iter().any(|r| r.value == a.rule);
        if !named && !others.contains(&a.rule.as_str()) {
            others.push(&a.rule);
        }
    }
    if !v.problems.is_empty() {
        for r in others {
            v.diff.push(DiffLine::Actual(format!(
                "{} (not named by the case)",
                describe_actual(r, &of(r), None)
            )));
        }
    }
    v
}
