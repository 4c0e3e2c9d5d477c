//! Why a rule matched an event or not: the rule's macro- and list-expanded condition as
//! a tree, each node with its value on the event and each check with the field values
//! it read.
//!
//! Every node is evaluated (no short-circuit), so the tree shows all values; the nodes
//! the engine's short-circuit evaluation never reaches are marked. Each check is
//! compiled alone ([`compile_cond`]) and run by the same [`Vm`] as the engine over the
//! event's [`FieldSource`], wrapped to record every field it extracts, so a check's
//! value here is the engine's. The *culprit* of a non-match is the first false child of
//! each false `and`, followed down to a check (or to a `not` whose operand held, or to
//! an `or` none of whose alternatives held).

use std::fmt::Write as _;

use falcoc_codegen::{compile_cond, FieldDesc, FieldId};
use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::ir::{Check, Cond, CondKind, Operand, OperandKind, Rhs};
use falcoc_engine::values::render_values;
use falcoc_engine::vm::{FieldSource, Values, Vm};
use falcoc_lang::condition::escape::{escape_str, needs_quotes};

/// At most this many constants of a list are printed (the rest are counted).
pub const MAX_LIST_ITEMS: usize = 6;

/// A rule's condition evaluated on one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The rule.
    pub rule: String,
    /// The tree.
    pub root: Node,
}

impl Explanation {
    /// Whether the condition holds.
    pub fn matched(&self) -> bool {
        self.root.value
    }

    /// The check (or `not`/`or` node) that made the condition false, if it is false.
    pub fn culprit(&self) -> Option<&Node> {
        fn walk(n: &Node) -> &Node {
            match &n.kind {
                Kind::And => n.children.iter().find(|c| !c.value).map_or(n, walk),
                _ => n,
            }
        }
        (!self.root.value).then(|| walk(&self.root))
    }
}

/// One node of an [`Explanation`].
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    /// Its value on the event.
    pub value: bool,
    /// Whether the engine's short-circuit evaluation reaches it.
    pub reached: bool,
    /// For a check: every field it read, with the values (`None`: missing).
    pub fields: Vec<(String, Option<String>)>,
    /// The children (`and`, `or`, `not`).
    pub children: Vec<Node>,
}

/// The kinds of [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// All children.
    And,
    /// Some child.
    Or,
    /// The negation of the child.
    Not,
    /// A constant.
    Const,
    /// A check, printed (`proc.name in (bash, sh)`).
    Check(String),
}

/// Records every field extracted through it.
struct Recorder<'s, S: FieldSource + ?Sized> {
    inner: &'s mut S,
    reads: Vec<(String, Option<String>)>,
}

impl<S: FieldSource + ?Sized> FieldSource for Recorder<'_, S> {
    fn extract(&mut self, id: FieldId, field: &FieldDesc, out: &mut Values) -> bool {
        let ok = self.inner.extract(id, field, out);
        let text = if ok {
            render_values(out, field.field.ty, field.field.field.format)
        } else {
            None
        };
        let name = field.name().to_string();
        if !self.reads.iter().any(|(n, _)| *n == name) {
            self.reads.push((name, text));
        }
        ok
    }
}

/// Explains `rule` on the current event of `src` (the state must have processed the
/// event, as for the engine).
pub fn explain<S: FieldSource + ?Sized>(rule: &CompiledRule, src: &mut S) -> Explanation {
    Explanation {
        rule: rule.name.clone(),
        root: node(&rule.checked.cond, src, true),
    }
}

fn node<S: FieldSource + ?Sized>(c: &Cond, src: &mut S, reached: bool) -> Node {
    let mut children = Vec::new();
    let (kind, value) = match &c.kind {
        CondKind::And(v) => {
            let mut reach = reached;
            for x in v {
                let n = node(x, src, reach);
                reach &= n.value;
                children.push(n);
            }
            (Kind::And, children.iter().all(|n| n.value))
        }
        CondKind::Or(v) => {
            let mut reach = reached;
            for x in v {
                let n = node(x, src, reach);
                reach &= !n.value;
                children.push(n);
            }
            (Kind::Or, children.iter().any(|n| n.value))
        }
        CondKind::Not(x) => {
            let n = node(x, src, reached);
            let v = !n.value;
            children.push(n);
            (Kind::Not, v)
        }
        CondKind::Const(b) => (Kind::Const, *b),
        CondKind::Check(chk) => {
            let program = compile_cond(c);
            let mut vm = Vm::new(&program.tables);
            vm.next_event();
            let mut rec = Recorder {
                inner: src,
                reads: Vec::new(),
            };
            let v = vm.eval_program(&program, &mut rec);
            return Node {
                kind: Kind::Check(print_check(chk)),
                value: v,
                reached,
                fields: rec.reads,
                children,
            };
        }
    };
    Node {
        kind,
        value,
        reached,
        fields: Vec::new(),
        children,
    }
}

fn print_operand(o: &Operand) -> String {
    match &o.kind {
        OperandKind::Field(f) => f.name.clone(),
        OperandKind::Transform { kind, args, arg } => {
            let a: Vec<String> = args.iter().map(print_operand).collect();
            let mut s = format!("{}({})", kind.as_str(), a.join(", "));
            if let Some(x) = arg {
                let _ = write!(s, "[{x}]");
            }
            s
        }
        OperandKind::Literal(l) => format!("\"{}\"", escape_str(l)),
        OperandKind::List(items) => {
            let a: Vec<String> = items.iter().map(print_operand).collect();
            format!("({})", a.join(", "))
        }
    }
}

fn quote(s: &str) -> String {
    if needs_quotes(s) {
        format!("\"{}\"", escape_str(s))
    } else {
        s.to_string()
    }
}

/// A check as text: `left op right`, lists of more than [`MAX_LIST_ITEMS`] shortened.
pub fn print_check(c: &Check) -> String {
    let left = print_operand(&c.left);
    let op = c.op.as_string();
    match &c.right {
        Rhs::None => format!("{left} {op}"),
        Rhs::Operand(o) => format!("{left} {op} {}", print_operand(o)),
        Rhs::Values(vals) => {
            let list_op = matches!(op.split(' ').next(), Some("in" | "intersects" | "pmatch"));
            if list_op || vals.len() != 1 {
                let shown: Vec<String> = vals
                    .iter()
                    .take(MAX_LIST_ITEMS)
                    .map(|v| quote(&v.text))
                    .collect();
                let more = vals.len().saturating_sub(MAX_LIST_ITEMS);
                let tail = if more > 0 {
                    format!(", … {more} more")
                } else {
                    String::new()
                };
                format!("{left} {op} ({}{tail})", shown.join(", "))
            } else {
                format!("{left} {op} {}", quote(&vals[0].text))
            }
        }
    }
}

/// The explanation as an indented tree: `✓`/`✗` per node, the field values read by each
/// check, `(not reached)` for nodes the engine skips, and a closing line naming the
/// failing clause.
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rule `{}`: {}",
        e.rule,
        if e.matched() {
            "matches"
        } else {
            "does not match"
        }
    );
    let culprit = e.culprit().map(|c| c as *const Node);
    render_node(&e.root, 1, culprit, &mut out);
    if let Some(c) = e.culprit() {
        let what = match &c.kind {
            Kind::Check(t) => t.clone(),
            Kind::Not => format!(
                "not {}",
                c.children
                    .first()
                    .map(|x| match &x.kind {
                        Kind::Check(t) => t.clone(),
                        _ => "(…)".to_string(),
                    })
                    .unwrap_or_default()
            ),
            Kind::Or => "(… or …): no alternative holds".to_string(),
            _ => "false".to_string(),
        };
        let _ = write!(out, "  first failing clause: {what}");
        let fields = collect_fields(c);
        if !fields.is_empty() {
            let _ = write!(out, "  [{}]", fields.join(", "));
        }
        out.push('\n');
    }
    out
}

fn collect_fields(n: &Node) -> Vec<String> {
    let mut out: Vec<String> = n
        .fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("<NA>")))
        .collect();
    for c in &n.children {
        for f in collect_fields(c) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

fn render_node(n: &Node, depth: usize, culprit: Option<*const Node>, out: &mut String) {
    let pad = "  ".repeat(depth);
    let mark = if n.value { "✓" } else { "✗" };
    let label = match &n.kind {
        Kind::And => "and".to_string(),
        Kind::Or => "or".to_string(),
        Kind::Not => "not".to_string(),
        Kind::Const => n.value.to_string(),
        Kind::Check(t) => t.clone(),
    };
    let _ = write!(out, "{pad}{mark} {label}");
    if !n.fields.is_empty() {
        let f: Vec<String> = n
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("<NA>")))
            .collect();
        let _ = write!(out, "    [{}]", f.join(", "));
    }
    if !n.reached {
        out.push_str("    (not reached)");
    }
    if culprit == Some(n as *const Node) {
        out.push_str("    ← fails here");
    }
    out.push('\n');
    for c in &n.children {
        render_node(c, depth + 1, culprit, out);
    }
}
