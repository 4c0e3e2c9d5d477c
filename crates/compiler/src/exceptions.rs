//! Rule exceptions and their rewrite into the condition text (rules-file.md §6).

use crate::lists::quote_item;

/// A string or a list of strings (`fields:` and `comps:` take either form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strings {
    /// A single scalar.
    One(String),
    /// A sequence of scalars.
    Many(Vec<String>),
}

/// One element of an exception's `values`: a scalar or a sequence (nested once more for
/// the tuples of list-field exceptions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionValue {
    /// A scalar.
    Scalar(String),
    /// A sequence.
    List(Vec<ExceptionValue>),
}

/// One entry of a rule's `exceptions:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// `name:` (required, non-empty).
    pub name: String,
    /// `fields:`; `None` when absent.
    pub fields: Option<Strings>,
    /// `comps:`; `None` when absent (defaults: `=` per field, or `in` for a single field).
    pub comps: Option<Strings>,
    /// `values:`; empty when absent.
    pub values: Vec<ExceptionValue>,
}

/// The comparison operators accepted in `comps`, blanks around them ignored: the operators
/// of conditions.md §6, and (Falco 0.44, which falcoc follows here as for conditions) an
/// operator with a modifier such as `startswith oneof`. Falco 0.42.1 rejects the latter.
pub fn is_supported_comp(op: &str) -> bool {
    let op = op.trim();
    const OPS: &[&str] = &[
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "glob",
        "iglob",
        "regex",
        "in",
        "intersects",
        "pmatch",
        "exists",
    ];
    OPS.contains(&op) || modifier_op(op)
}

fn modifier_op(op: &str) -> bool {
    const WITH_MODIFIER: &[&str] = &[
        "=",
        "==",
        "!=",
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "glob",
        "iglob",
        "regex",
    ];
    match op.rsplit_once(' ') {
        Some((base, m)) => {
            WITH_MODIFIER.contains(&base.trim()) && matches!(m, "oneof" | "anyof" | "allof")
        }
        None => false,
    }
}

/// Operators whose right side is a list: `in`, `intersects`, `pmatch`, and operators with
/// a modifier.
pub fn is_list_comp(op: &str) -> bool {
    let op = op.trim();
    matches!(op, "in" | "intersects" | "pmatch") || modifier_op(op)
}

fn paren_item(item: String) -> String {
    if item.starts_with('(') {
        item
    } else {
        format!("({item})")
    }
}

fn tuple_element(v: &ExceptionValue, comp: &str) -> String {
    match v {
        ExceptionValue::List(items) => {
            let parts: Vec<String> = items.iter().map(scalar_text).collect();
            format!("({})", parts.join(", "))
        }
        ExceptionValue::Scalar(s) if is_list_comp(comp) => paren_item(quote_item(s)),
        ExceptionValue::Scalar(s) => quote_item(s),
    }
}

fn scalar_text(v: &ExceptionValue) -> String {
    match v {
        ExceptionValue::Scalar(s) => quote_item(s),
        ExceptionValue::List(items) => {
            let parts: Vec<String> = items.iter().map(scalar_text).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The ` and not …` clause text of one exception, or `None` when it has no values.
pub fn clause(e: &Exception) -> Result<Option<String>, String> {
    if e.values.is_empty() {
        return Ok(None);
    }
    match &e.fields {
        None => Err("Rule exception item must have fields property with a list of fields".into()),
        Some(Strings::One(field)) => {
            let comp = match &e.comps {
                Some(Strings::One(c)) => c.trim().to_string(),
                _ => "in".to_string(),
            };
            let mut items = Vec::with_capacity(e.values.len());
            for v in &e.values {
                match v {
                    ExceptionValue::Scalar(s) => items.push(quote_item(s)),
                    ExceptionValue::List(_) => {
                        return Err("Expected values array to contain a list of strings".into())
                    }
                }
            }
            Ok(Some(format!("({field} {comp} ({}))", items.join(", "))))
        }
        Some(Strings::Many(fields)) => {
            let comps: Vec<String> = match &e.comps {
                Some(Strings::Many(c)) => c.iter().map(|s| s.trim().to_string()).collect(),
                Some(Strings::One(c)) => vec![c.trim().to_string()],
                None => vec!["=".to_string(); fields.len()],
            };
            let mut tuples = Vec::with_capacity(e.values.len());
            for v in &e.values {
                let ExceptionValue::List(tuple) = v else {
                    return Err("Fields and values lists must have equal length".into());
                };
                if tuple.len() != fields.len() {
                    return Err("Fields and values lists must have equal length".into());
                }
                let mut t = String::from("(");
                for (j, (f, val)) in fields.iter().zip(tuple).enumerate() {
                    if j > 0 {
                        t.push_str(" and ");
                    }
                    let comp = comps.get(j).map(String::as_str).unwrap_or("=");
                    t.push_str(&format!(" {f} {comp} {}", tuple_element(val, comp)));
                }
                t.push(')');
                tuples.push(t);
            }
            Ok(Some(format!("({})", tuples.join(" or "))))
        }
    }
}

/// Rewrites `condition` with the rule's exceptions: `(C) and not X1 and not X2 …`.
/// With no exceptions the condition is returned unchanged.
pub fn rewrite(condition: &str, exceptions: &[Exception]) -> Result<String, String> {
    if exceptions.is_empty() {
        return Ok(condition.to_string());
    }
    let mut out = format!("({condition})");
    for e in exceptions {
        if let Some(x) = clause(e)? {
            out.push_str(" and not ");
            out.push_str(&x);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> ExceptionValue {
        ExceptionValue::Scalar(v.into())
    }

    #[test]
    fn list_fields() {
        let e = Exception {
            name: "x".into(),
            fields: Some(Strings::Many(vec!["proc.name".into(), "fd.name".into()])),
            comps: Some(Strings::Many(vec!["=".into(), "startswith".into()])),
            values: vec![
                ExceptionValue::List(vec![s("a b"), s("/tmp")]),
                ExceptionValue::List(vec![s("c"), s("/x y")]),
            ],
        };
        assert_eq!(
            rewrite("spawned", &[e]).unwrap_or_default(),
            "(spawned) and not (( proc.name = \"a b\" and  fd.name startswith /tmp) or \
             ( proc.name = c and  fd.name startswith \"/x y\"))"
        );
    }

    #[test]
    fn single_field() {
        let e = Exception {
            name: "x".into(),
            fields: Some(Strings::One("proc.name".into())),
            comps: None,
            values: vec![s("a"), s("b c")],
        };
        assert_eq!(
            rewrite("c", &[e]).unwrap_or_default(),
            "(c) and not (proc.name in (a, \"b c\"))"
        );
    }

    #[test]
    fn no_values_no_clause() {
        let e = Exception {
            name: "x".into(),
            fields: Some(Strings::One("proc.name".into())),
            comps: None,
            values: vec![],
        };
        assert_eq!(rewrite("c", &[e]).unwrap_or_default(), "(c)");
    }

    #[test]
    fn arity_mismatch() {
        let e = Exception {
            name: "x".into(),
            fields: Some(Strings::Many(vec!["a.b".into(), "c.d".into()])),
            comps: None,
            values: vec![ExceptionValue::List(vec![s("1")])],
        };
        assert_eq!(
            rewrite("c", &[e]).unwrap_err(),
            "Fields and values lists must have equal length"
        );
    }

    #[test]
    fn modifiers_are_list_comps() {
        assert!(is_list_comp("startswith oneof"));
        assert!(is_supported_comp(" startswith oneof "));
        assert!(is_supported_comp(" in "));
        assert!(!is_supported_comp("in oneof"));
        assert!(!is_supported_comp(">= oneof"));
        assert!(!is_supported_comp("oneof"));
        assert!(!is_supported_comp("between"));
    }
}
