//! The AST in the JSON shape of the corpus condition vectors (`kind: ast`), which
//! `falcoc parse --json` prints.

use super::ast::*;
use serde_json::{json, Map, Value as Json};

/// Converts an expression to the vector format: `{"and":[…]}`, `{"or":[…]}`, `{"not":x}`,
/// `{"identifier":n}`, `{"unary":{"op","left"}}`, `{"binary":{"op","left","right"}}`.
pub fn to_json(e: &Expr) -> Json {
    match &e.kind {
        ExprKind::And(c) => json!({ "and": c.iter().map(to_json).collect::<Vec<_>>() }),
        ExprKind::Or(c) => json!({ "or": c.iter().map(to_json).collect::<Vec<_>>() }),
        ExprKind::Not(c) => json!({ "not": to_json(c) }),
        ExprKind::Macro(n) => json!({ "identifier": n }),
        ExprKind::Exists(o) => json!({ "unary": { "op": "exists", "left": operand(o) } }),
        ExprKind::Compare(c) => {
            let op = match c.modifier {
                Some(m) => format!("{} {}", c.op.as_str(), m.as_str()),
                None => c.op.as_str().to_string(),
            };
            let right = match &c.right {
                Rhs::Value(v) | Rhs::ListRef(v) => json!({ "value": v.text }),
                Rhs::List(l) => {
                    json!({ "list": l.items.iter().map(|v| v.text.clone()).collect::<Vec<_>>() })
                }
                Rhs::Operand(o) => operand(o),
            };
            json!({ "binary": { "op": op, "left": operand(&c.left), "right": right } })
        }
    }
}

fn operand(o: &Operand) -> Json {
    let mut m = Map::new();
    match &o.kind {
        OperandKind::Field(f) => {
            m.insert("field".into(), json!(f.name));
            if let Some(a) = &f.arg {
                m.insert("arg".into(), json!(a));
            }
        }
        OperandKind::Transform(t) => {
            m.insert("transformer".into(), json!(t.kind.as_str()));
            m.insert(
                "values".into(),
                Json::Array(t.args.iter().map(transform_arg).collect()),
            );
            if let Some(a) = &t.arg {
                m.insert("arg".into(), json!(a));
            }
        }
    }
    Json::Object(m)
}

fn transform_arg(a: &TransformArg) -> Json {
    match a {
        TransformArg::Operand(o) => operand(o),
        TransformArg::Value(v) => json!({ "value": v.text }),
        TransformArg::List(items, _) => {
            json!({ "transformer_list": items.iter().map(transform_arg).collect::<Vec<_>>() })
        }
    }
}
