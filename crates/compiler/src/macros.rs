//! Macro resolution: splicing macro bodies into conditions (conditions.md §14.1).
//!
//! A macro reference is a bare identifier in a condition. It is replaced by a copy of the
//! macro's resolved body, so a macro always behaves as if parenthesised. Visibility follows
//! Falco: a macro body may use only macros first defined before that macro's latest
//! (re)definition; rule conditions see every macro.

use falcoc_lang::condition::ast::{Expr, ExprKind};
use std::collections::HashSet;

/// How deep macros may nest inside each other. Real rule sets use fewer than ten levels;
/// the bound keeps expansion (and everything that walks the result) within the stack.
pub const MAX_MACRO_DEPTH: usize = 200;

/// How deep an expanded condition may nest (boolean nodes). Walkers of the result recurse,
/// so this bounds their stack use whatever the macros look like.
pub const MAX_EXPANDED_DEPTH: usize = 1000;

/// How many nodes one expanded condition may have.
pub const MAX_EXPANDED_NODES: usize = 2_000_000;

/// A macro as the resolver sees it.
#[derive(Debug, Clone)]
pub struct MacroDef {
    /// The parsed body, or `None` when it did not parse (references to it then fail
    /// elsewhere; here it expands to nothing and is reported as undefined).
    pub body: Option<Expr>,
    /// Order of first definition (smaller = earlier).
    pub first_defined: usize,
    /// Order of the latest (re)definition or append.
    pub last_defined: usize,
}

/// Why a condition could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `Undefined macro 'X' used in filter.` (Falco's message), with the name.
    Undefined(String),
    /// A macro refers to itself, directly or through others (`reference loop in macro
    /// 'X'`); the path ends with the macro met twice.
    Cycle(Vec<String>),
    /// Nesting or size bound exceeded.
    TooLarge(String),
}

impl ExpandError {
    /// The message shown to the user.
    pub fn message(&self) -> String {
        match self {
            ExpandError::Undefined(n) => format!("Undefined macro '{n}' used in filter."),
            ExpandError::Cycle(path) => format!(
                "reference loop in macro '{}'",
                path.last().map(String::as_str).unwrap_or_default()
            ),
            ExpandError::TooLarge(m) => m.clone(),
        }
    }
}

/// All macros of a load, by name.
#[derive(Debug, Default, Clone)]
pub struct MacroTable {
    defs: rustc_hash::FxHashMap<String, MacroDef>,
}

/// One macro reference an expansion resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lookup {
    /// The macro whose body holds the reference (`None`: the expanded condition itself).
    pub within: Option<String>,
    /// The name referred to.
    pub name: String,
}

/// Who is asking: a rule (sees every macro) or a macro (sees earlier ones).
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    /// A rule condition.
    Rule,
    /// A macro body, with that macro's `last_defined`.
    Macro(usize),
}

impl MacroTable {
    /// Adds or replaces a macro.
    pub fn insert(&mut self, name: impl Into<String>, def: MacroDef) {
        self.defs.insert(name.into(), def);
    }

    /// Keeps only the macros whose names satisfy `keep`.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.defs.retain(|n, _| keep(n));
    }

    /// Sets the definition orders of a macro (nothing if it is absent).
    pub fn set_order(&mut self, name: &str, first_defined: usize, last_defined: usize) {
        if let Some(d) = self.defs.get_mut(name) {
            d.first_defined = first_defined;
            d.last_defined = last_defined;
        }
    }

    /// Looks a macro up.
    pub fn get(&self, name: &str) -> Option<&MacroDef> {
        self.defs.get(name)
    }

    fn visible(&self, name: &str, viewer: Viewer) -> Option<&MacroDef> {
        let d = self.defs.get(name)?;
        match viewer {
            Viewer::Rule => Some(d),
            Viewer::Macro(last) if d.first_defined < last => Some(d),
            Viewer::Macro(_) => None,
        }
    }

    /// Expands every macro reference in `e`, recording the names used (transitively) in
    /// `used`. Reports the first undefined macro in pre-order, as Falco does.
    pub fn expand(
        &self,
        e: &Expr,
        viewer: Viewer,
        used: &mut HashSet<String>,
    ) -> Result<Expr, ExpandError> {
        self.expand_tracked(e, viewer, used, &mut Vec::new())
    }

    /// [`MacroTable::expand`], also recording in `looked_up` every macro reference it
    /// resolved (defined, visible or not): the result depends on this table only through
    /// what those lookups found.
    pub fn expand_tracked(
        &self,
        e: &Expr,
        viewer: Viewer,
        used: &mut HashSet<String>,
        looked_up: &mut Vec<Lookup>,
    ) -> Result<Expr, ExpandError> {
        let mut walk = Walk {
            used,
            looked_up,
            path: Vec::new(),
            budget: MAX_EXPANDED_NODES,
        };
        self.expand_in(e, viewer, &mut walk, 0)
    }

    fn expand_in(
        &self,
        e: &Expr,
        viewer: Viewer,
        w: &mut Walk<'_>,
        depth: usize,
    ) -> Result<Expr, ExpandError> {
        if depth > MAX_EXPANDED_DEPTH {
            return Err(ExpandError::TooLarge(format!(
                "condition nests more than {MAX_EXPANDED_DEPTH} levels deep after macro expansion"
            )));
        }
        if w.budget == 0 {
            return Err(ExpandError::TooLarge(format!(
                "condition expands to more than {MAX_EXPANDED_NODES} nodes"
            )));
        }
        w.budget -= 1;
        let kind = match &e.kind {
            ExprKind::And(c) => ExprKind::And(self.expand_all(c, viewer, w, depth + 1)?),
            ExprKind::Or(c) => ExprKind::Or(self.expand_all(c, viewer, w, depth + 1)?),
            ExprKind::Not(c) => ExprKind::Not(Box::new(self.expand_in(c, viewer, w, depth + 1)?)),
            ExprKind::Macro(name) => {
                w.looked_up.push(Lookup {
                    within: w.path.last().cloned(),
                    name: name.clone(),
                });
                let Some(def) = self.visible(name, viewer) else {
                    return Err(ExpandError::Undefined(name.clone()));
                };
                let Some(body) = &def.body else {
                    return Err(ExpandError::Undefined(name.clone()));
                };
                if w.path.iter().any(|p| p == name) {
                    let mut cycle = w.path.clone();
                    cycle.push(name.clone());
                    return Err(ExpandError::Cycle(cycle));
                }
                if w.path.len() >= MAX_MACRO_DEPTH {
                    return Err(ExpandError::TooLarge(format!(
                        "macros nest more than {MAX_MACRO_DEPTH} levels deep"
                    )));
                }
                w.used.insert(name.clone());
                w.path.push(name.clone());
                let inner = self.expand_in(body, Viewer::Macro(def.last_defined), w, depth + 1);
                w.path.pop();
                // Spliced nodes point at the reference, so positions stay in the text
                // being compiled.
                let mut inner = inner?;
                respan(&mut inner, e.span);
                return Ok(inner);
            }
            other => other.clone(),
        };
        Ok(Expr { kind, span: e.span })
    }

    fn expand_all(
        &self,
        c: &[Expr],
        viewer: Viewer,
        w: &mut Walk<'_>,
        depth: usize,
    ) -> Result<Vec<Expr>, ExpandError> {
        c.iter()
            .map(|x| self.expand_in(x, viewer, w, depth))
            .collect()
    }
}

/// The state of one expansion: macros used, names looked up, the macros being expanded
/// (for loops) and the node budget left.
struct Walk<'a> {
    used: &'a mut HashSet<String>,
    looked_up: &'a mut Vec<Lookup>,
    path: Vec<String>,
    budget: usize,
}

/// Sets the span of `e` and of everything below it to `span`.
fn respan(e: &mut Expr, span: falcoc_lang::Span) {
    use falcoc_lang::condition::ast::{Operand, OperandKind, Rhs, TransformArg};
    fn operand(o: &mut Operand, span: falcoc_lang::Span) {
        o.span = span;
        if let OperandKind::Transform(t) = &mut o.kind {
            for a in &mut t.args {
                arg(a, span);
            }
        }
    }
    fn arg(a: &mut TransformArg, span: falcoc_lang::Span) {
        match a {
            TransformArg::Operand(o) => operand(o, span),
            TransformArg::Value(v) => v.span = span,
            TransformArg::List(items, s) => {
                *s = span;
                for i in items {
                    arg(i, span);
                }
            }
        }
    }
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        x.span = span;
        match &mut x.kind {
            ExprKind::And(c) | ExprKind::Or(c) => stack.extend(c.iter_mut()),
            ExprKind::Not(c) => stack.push(c),
            ExprKind::Exists(o) => operand(o, span),
            ExprKind::Compare(c) => {
                operand(&mut c.left, span);
                match &mut c.right {
                    Rhs::Value(v) | Rhs::ListRef(v) => v.span = span,
                    Rhs::List(l) => {
                        l.span = span;
                        for v in &mut l.items {
                            v.span = span;
                        }
                    }
                    Rhs::Operand(o) => operand(o, span),
                }
            }
            ExprKind::Macro(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falcoc_lang::condition::{parse, print::as_string};

    fn def(text: &str, first: usize, last: usize) -> MacroDef {
        MacroDef {
            body: parse(text).ok(),
            first_defined: first,
            last_defined: last,
        }
    }

    #[test]
    fn splices_as_a_group() {
        let mut t = MacroTable::default();
        t.insert("m", def("a.b = 1 or c.d = 2", 0, 0));
        let e = parse("x.y exists and m").unwrap_or_else(|e| panic!("{e}"));
        let mut used = HashSet::new();
        let out = t
            .expand(&e, Viewer::Rule, &mut used)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(as_string(&out), "(x.y exists and (a.b = 1 or c.d = 2))");
        assert!(used.contains("m"));
    }

    #[test]
    fn macros_see_only_earlier_macros() {
        let mut t = MacroTable::default();
        t.insert("early", def("later", 0, 0));
        t.insert("later", def("a.b exists", 1, 1));
        let e = parse("early").unwrap_or_else(|e| panic!("{e}"));
        let err = t.expand(&e, Viewer::Rule, &mut HashSet::new()).unwrap_err();
        assert_eq!(err.message(), "Undefined macro 'later' used in filter.");
    }

    #[test]
    fn cycles_are_reported() {
        let mut t = MacroTable::default();
        t.insert("a", def("b", 0, 3));
        t.insert("b", def("a", 1, 2));
        let e = parse("a").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            t.expand(&e, Viewer::Rule, &mut HashSet::new()),
            Err(ExpandError::Cycle(_))
        ));
    }

    #[test]
    fn exponential_expansion_is_bounded() {
        let mut t = MacroTable::default();
        t.insert("m0", def("a.b exists", 0, 0));
        for i in 1..40 {
            let body = format!("m{} and m{}", i - 1, i - 1);
            t.insert(format!("m{i}"), def(&body, i, i));
        }
        let e = parse("m39").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            t.expand(&e, Viewer::Rule, &mut HashSet::new()),
            Err(ExpandError::TooLarge(_))
        ));
    }
}
