//! The condition checker: libsinsp's compile step (conditions.md §1 step 7) over a
//! macro-expanded AST, producing the checked [`ir`](crate::ir) or Falco's exact error.
//!
//! For every check, in libsinsp's visiting order (left to right, depth first):
//! 1. the left side is resolved for the rule's source (`filter_check called with
//!    nonexistent field X`, class-specific argument errors) and its transformers are
//!    applied innermost first, each checked against the current type (§10);
//! 2. the operator is checked against the transformed type and list-ness (§12,
//!    `filter error: …`);
//! 3. the right side is either a second extraction (§7: `pmatch`/`regex` refused, IPNET
//!    left sides refused, no-RHS fields on either side refused, identical types required)
//!    or constants, each first inspected for libsinsp's compiler warnings (§15.3) and then
//!    parsed with the left side's type (§11, `unknown event type X` for `evt.type`…).
//!
//! Falco 0.42.1 (libs 0.22.2) is the reference: invalid regexes are accepted (they never
//! match), and the regex simplification hint *is* emitted. The Falco ≥ 0.44 additions the
//! parser accepts (modifiers, `join`/`concat`/`getopt`, `[arg]` after a transformer,
//! literal and list transformer arguments) are checked as libs 0.25 does.
//!
//! Falco's own warning pass (`filter_warning_resolver`, §15.4: `LOAD_UNSAFE_NA_CHECK`,
//! deprecated fields) is [`falco_warnings`]; [`check_condition`] runs it first, as Falco
//! does, and reports its warnings before the compiler's.

use std::collections::BTreeSet;

use falcoc_lang::condition::ast::{
    self, CmpOp, Comparison, Expr, ExprKind, Modifier, TransformArg, TransformerKind,
};
use falcoc_lang::Span;

use crate::ir::{
    Check, CheckOp, Cond, CondKind, Operand, OperandKind, Rhs, TransformerArity, Value,
};
use crate::result::Code;
use falcoc_schema::fields::{
    check_operator, parse_constant, parse_hex_bytes, string_to_rawval, Constant, FieldError,
    FieldFlags, FieldType, PluginProfile, ResolvedField, MAX_VALUE_STORAGE,
};

/// Resolves field references for the checker. [`PluginProfile`] is the real resolver;
/// tests plug in mock field classes through this trait.
pub trait FieldResolver {
    /// Resolves `name` with its optional bracket argument for `source`, with Falco's
    /// error messages (see [`PluginProfile::lookup`]).
    fn lookup(
        &self,
        source: &str,
        name: &str,
        arg: Option<&str>,
    ) -> Result<ResolvedField, FieldError>;

    /// The asynchronous event names valid as `evt.type` values for `source`.
    fn async_event_names(&self, source: &str) -> Vec<&'static str>;
}

impl FieldResolver for PluginProfile {
    fn lookup(
        &self,
        source: &str,
        name: &str,
        arg: Option<&str>,
    ) -> Result<ResolvedField, FieldError> {
        PluginProfile::lookup(self, source, name, arg)
    }

    fn async_event_names(&self, source: &str) -> Vec<&'static str> {
        PluginProfile::async_event_names(self, source)
    }
}

/// A warning found while checking a condition (or compiling an output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckWarning {
    /// Falco's code: `LOAD_COMPILE_CONDITION` (libsinsp compiler warnings),
    /// `LOAD_UNSAFE_NA_CHECK`, or `LOAD_DEPRECATED_ITEM`.
    pub code: Code,
    /// Falco's message (empty for `LOAD_UNSAFE_NA_CHECK`).
    pub message: String,
    /// Where: for compiler warnings the right-hand value or list (libsinsp's position),
    /// for deprecated fields the first use of the field, otherwise the whole condition.
    pub span: Span,
    /// For deprecated-field warnings, the field (Falco's JSON `deprecated_field`).
    pub deprecated_field: Option<String>,
}

/// Why a condition does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    /// Falco's message, verbatim (e.g. `filter_check called with nonexistent field
    /// proc.nme`, `filter error: 'contains' operator not supported list filters`).
    pub message: String,
    /// Whether `skip-if-unknown-filter: true` downgrades the error to a
    /// `LOAD_UNKNOWN_FILTER` warning (see [`is_unknown_filter_error`]).
    pub unknown_filter: bool,
    /// libsinsp's compile position: the node being compiled when the error was raised
    /// (the innermost field of an operand, the value or list being parsed, …).
    pub span: Span,
    /// The warnings of Falco's warning pass ([`falco_warnings`]), which Falco reports even
    /// though compilation then fails.
    pub warnings: Vec<CheckWarning>,
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CheckError {}

/// A checked condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The checked IR.
    pub cond: Cond,
    /// Falco's warning pass first (`LOAD_UNSAFE_NA_CHECK`, `LOAD_DEPRECATED_ITEM`), then
    /// libsinsp's compiler warnings (`LOAD_COMPILE_CONDITION`) in visiting order.
    pub warnings: Vec<CheckWarning>,
    /// Every field used (`name`, or `name[arg]`), sorted and de-duplicated: `falco -L`
    /// `condition_fields`.
    pub fields: Vec<String>,
    /// Every operator used as written (`=`, `==`, `in`, `exists`…), sorted and
    /// de-duplicated: `falco -L` `condition_operators`.
    pub operators: Vec<String>,
}

/// Falco's test for errors that `skip-if-unknown-filter` turns into warnings
/// (`err_is_unknown_type_or_field`): the message mentions `nonexistent field`,
/// `invalid formatting token` or `unknown event type`.
pub fn is_unknown_filter_error(message: &str) -> bool {
    message.contains("nonexistent field")
        || message.contains("invalid formatting token")
        || message.contains("unknown event type")
}

/// The fields Falco 0.42.1 warns about as deprecated (`LOAD_DEPRECATED_ITEM`), with the
/// description it uses as the message of condition warnings.
pub const DEPRECATED_FIELDS: [(&str, &str); 1] = [(
    "evt.dir",
    "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and \
     'evt.dir = >' always evaluates to false. The rule expression can be simplified by \
     removing the condition on 'evt.dir'",
)];

/// The transformer names libsinsp 0.22.2 lists for the "misused as a const string value"
/// warning (`supported_field_transformers(true)`).
const WARNING_TRANSFORMERS: [&str; 6] = ["val", "tolower", "toupper", "b64", "basename", "len"];

/// Checks a macro-expanded condition for `source` with the plugin `profile`
/// (conditions.md §1 step 6 and 7). See the module documentation.
pub fn check_condition(
    expr: &Expr,
    source: &str,
    profile: &PluginProfile,
) -> Result<Checked, CheckError> {
    check_condition_with(expr, source, profile)
}

/// [`check_condition`] with any [`FieldResolver`].
pub fn check_condition_with(
    expr: &Expr,
    source: &str,
    resolver: &dyn FieldResolver,
) -> Result<Checked, CheckError> {
    let mut warnings = falco_warnings(expr);
    let mut checker = Checker {
        source,
        resolver,
        async_names: resolver.async_event_names(source),
        pos: expr.span,
        warnings: Vec::new(),
    };
    let cond = match checker.expr(expr) {
        Ok(c) => c,
        Err(message) => {
            return Err(CheckError {
                unknown_filter: is_unknown_filter_error(&message),
                message,
                span: checker.pos,
                warnings,
            })
        }
    };
    warnings.append(&mut checker.warnings);
    let details = condition_details(expr);
    Ok(Checked {
        cond,
        warnings,
        fields: details.fields,
        operators: details.operators,
    })
}

/// What `falco -L` lists about a condition (Falco's `filter_details_resolver`, the part
/// that needs no macro or list table).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConditionDetails {
    /// Fields (`name` or `name[arg]`), sorted, de-duplicated.
    pub fields: Vec<String>,
    /// Operators as written, sorted, de-duplicated.
    pub operators: Vec<String>,
}

/// The fields and operators of a condition, as Falco's details resolver collects them:
/// every field of every check (left and right side, inside transformers), every operator.
pub fn condition_details(expr: &Expr) -> ConditionDetails {
    let mut fields = BTreeSet::new();
    let mut operators = BTreeSet::new();
    expr.walk(&mut |e| match &e.kind {
        ExprKind::Exists(o) => {
            operand_fields(o, &mut fields);
            operators.insert("exists".to_string());
        }
        ExprKind::Compare(c) => {
            operand_fields(&c.left, &mut fields);
            operators.insert(op_string(c.op, c.modifier));
            if let ast::Rhs::Operand(o) = &c.right {
                operand_fields(o, &mut fields);
            }
        }
        _ => {}
    });
    ConditionDetails {
        fields: fields.into_iter().collect(),
        operators: operators.into_iter().collect(),
    }
}

fn op_string(op: CmpOp, modifier: Option<Modifier>) -> String {
    match modifier {
        None => op.as_str().to_string(),
        Some(m) => format!("{} {}", op.as_str(), m.as_str()),
    }
}

fn operand_fields(o: &ast::Operand, out: &mut BTreeSet<String>) {
    match &o.kind {
        ast::OperandKind::Field(f) => {
            out.insert(match f.arg.as_deref() {
                Some(a) if !a.is_empty() => format!("{}[{a}]", f.name),
                _ => f.name.clone(),
            });
        }
        ast::OperandKind::Transform(t) => transform_arg_fields(&t.args, out),
    }
}

fn transform_arg_fields(args: &[TransformArg], out: &mut BTreeSet<String>) {
    for a in args {
        match a {
            TransformArg::Operand(o) => operand_fields(o, out),
            TransformArg::Value(_) => {}
            TransformArg::List(items, _) => transform_arg_fields(items, out),
        }
    }
}

/// Falco's warning pass over a (macro-expanded) condition (`filter_warning_resolver`,
/// Falco 0.42.1), which needs no field resolution:
/// * `LOAD_UNSAFE_NA_CHECK` (empty message, at most one): a check whose left field starts
///   with `ka.` or `jevt.`, with operator `=`, `==`, `!=`, `in`, `intersects` or `pmatch`,
///   compared with the literal `<NA>` (alone or in a list);
/// * `LOAD_DEPRECATED_ITEM`, one per deprecated field used ([`DEPRECATED_FIELDS`]:
///   `evt.dir`), message = the field's description. Right-hand sides are only visited
///   for the unsafe-field checks above, as in Falco.
pub fn falco_warnings(expr: &Expr) -> Vec<CheckWarning> {
    let mut v = WarnVisitor::default();
    expr.walk(&mut |e| match &e.kind {
        ExprKind::Exists(o) => v.operand(o),
        ExprKind::Compare(c) => v.compare(c),
        _ => {}
    });
    let mut out = Vec::new();
    if v.unsafe_na {
        out.push(CheckWarning {
            code: Code::LoadUnsafeNaCheck,
            message: String::new(),
            span: expr.span,
            deprecated_field: None,
        });
    }
    for (i, (name, desc)) in DEPRECATED_FIELDS.iter().enumerate() {
        if let Some(span) = v.deprecated[i] {
            out.push(CheckWarning {
                code: Code::LoadDeprecatedItem,
                message: desc.to_string(),
                span,
                deprecated_field: Some(name.to_string()),
            });
        }
    }
    out
}

#[derive(Default)]
struct WarnVisitor {
    last_unsafe: bool,
    unsafe_na: bool,
    deprecated: [Option<Span>; DEPRECATED_FIELDS.len()],
}

const NO_VALUE: &str = "<NA>";

impl WarnVisitor {
    fn compare(&mut self, c: &Comparison) {
        self.last_unsafe = false;
        self.operand(&c.left);
        let equality = c.modifier.is_none()
            && matches!(
                c.op,
                CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne | CmpOp::In | CmpOp::Intersects | CmpOp::PMatch
            );
        if self.last_unsafe && equality {
            match &c.right {
                ast::Rhs::Value(v) | ast::Rhs::ListRef(v) => {
                    if v.text == NO_VALUE {
                        self.unsafe_na = true;
                    }
                }
                ast::Rhs::List(l) => {
                    if l.items.iter().any(|v| v.text == NO_VALUE) {
                        self.unsafe_na = true;
                    }
                }
                ast::Rhs::Operand(o) => self.operand(o),
            }
        }
    }

    fn operand(&mut self, o: &ast::Operand) {
        match &o.kind {
            ast::OperandKind::Field(f) => {
                self.last_unsafe = f.name.starts_with("ka.") || f.name.starts_with("jevt.");
                if let Some(i) = DEPRECATED_FIELDS.iter().position(|(n, _)| *n == f.name) {
                    self.deprecated[i].get_or_insert(o.span);
                }
            }
            ast::OperandKind::Transform(t) => self.transform_args(&t.args),
        }
    }

    fn transform_args(&mut self, args: &[TransformArg]) {
        for a in args {
            match a {
                TransformArg::Operand(o) => self.operand(o),
                TransformArg::Value(_) => {}
                TransformArg::List(items, _) => self.transform_args(items),
            }
        }
    }
}

/// libsinsp's numeric `cmpop` code, printed by some messages
/// (`operator '13' doesn't support right-hand side fields`).
fn cmpop_code(op: CmpOp) -> u8 {
    match op {
        CmpOp::Eq | CmpOp::EqEq => 1,
        CmpOp::Ne => 2,
        CmpOp::Lt => 3,
        CmpOp::Le => 4,
        CmpOp::Gt => 5,
        CmpOp::Ge => 6,
        CmpOp::Contains => 7,
        CmpOp::In => 8,
        CmpOp::IContains => 10,
        CmpOp::StartsWith => 11,
        CmpOp::Glob => 12,
        CmpOp::PMatch => 13,
        CmpOp::EndsWith => 14,
        CmpOp::Intersects => 15,
        CmpOp::BContains => 16,
        CmpOp::BStartsWith => 17,
        CmpOp::IGlob => 18,
        CmpOp::Regex => 19,
    }
}

/// The type a single-argument transformer produces from `(ty, is_list)`, or `None` when
/// it does not accept that type (libsinsp `transform_type`).
pub fn transform_type(
    kind: TransformerKind,
    ty: FieldType,
    is_list: bool,
) -> Option<(FieldType, bool)> {
    use FieldType as T;
    match kind {
        TransformerKind::Val => Some((ty, is_list)),
        TransformerKind::ToLower | TransformerKind::ToUpper | TransformerKind::Basename => {
            matches!(ty, T::Charbuf | T::Fspath | T::FsRelPath).then_some((ty, is_list))
        }
        TransformerKind::B64 => matches!(ty, T::Charbuf | T::Bytebuf).then_some((ty, is_list)),
        TransformerKind::Len => {
            if is_list {
                Some((T::Uint64, false))
            } else {
                matches!(ty, T::Charbuf | T::Bytebuf | T::Fspath | T::FsRelPath)
                    .then_some((T::Uint64, false))
            }
        }
        TransformerKind::Join | TransformerKind::Concat | TransformerKind::Getopt => None,
    }
}

/// Whether libsinsp's compiler hints that a `regex` constant could use a simpler operator
/// (`check_warnings_regex_value`): no regex metacharacter except a leading `^`, a trailing
/// `$`, and a leading or trailing `.*`, `.+`, `.?`.
pub fn regex_is_simple(v: &str) -> bool {
    const SPECIAL: &[u8] = b".+*?^$()[]{}|\\";
    const OCCURRENCE: &[u8] = b"+*?";
    let b = v.as_bytes();
    let len = b.len();
    let mut i = 0;
    while i < len {
        let c = b[i];
        if (i == 0 && c == b'^') || (i == len - 1 && c == b'$') {
            i += 1;
            continue;
        }
        let at_edge = (i == 0 && len > 1) || (len >= 2 && i == len - 2);
        if at_edge && c == b'.' && b.get(i + 1).is_some_and(|n| OCCURRENCE.contains(n)) {
            i += 2;
            continue;
        }
        // `strchr` also finds the terminator: a NUL byte counts as special.
        if c == 0 || SPECIAL.contains(&c) {
            return false;
        }
        i += 1;
    }
    true
}

/// The message of the regex simplification hint.
fn regex_hint_message(v: &str) -> String {
    format!(
        "regex check with '{v}' may be optimized with simpler operators such as '=', \
         'contains', 'startswith', 'endswith'"
    )
}

/// C `isspace` in the "C" locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

struct Checker<'a> {
    source: &'a str,
    resolver: &'a dyn FieldResolver,
    async_names: Vec<&'static str>,
    /// libsinsp's `m_pos`: the node being compiled.
    pos: Span,
    warnings: Vec<CheckWarning>,
}

/// A boolean node being built bottom-up.
enum Frame<'e> {
    Enter(&'e Expr),
    Exit(&'e Expr, usize),
}

impl Checker<'_> {
    /// Compiles the boolean structure with an explicit stack (spliced macros can nest
    /// deeply), visiting checks left to right as libsinsp does.
    fn expr(&mut self, root: &Expr) -> Result<Cond, String> {
        let mut stack = vec![Frame::Enter(root)];
        let mut out: Vec<Cond> = Vec::new();
        while let Some(frame) = stack.pop() {
            match frame {
                Frame::Enter(e) => match &e.kind {
                    ExprKind::And(c) | ExprKind::Or(c) => {
                        self.pos = e.span;
                        stack.push(Frame::Exit(e, c.len()));
                        stack.extend(c.iter().rev().map(Frame::Enter));
                    }
                    ExprKind::Not(c) => {
                        self.pos = e.span;
                        stack.push(Frame::Exit(e, 1));
                        stack.push(Frame::Enter(c));
                    }
                    ExprKind::Macro(name) => {
                        self.pos = e.span;
                        return Err(format!("filter error: unexpected identifier '{name}'"));
                    }
                    ExprKind::Exists(o) => {
                        self.pos = e.span;
                        let left = self.operand(o)?;
                        out.push(Cond {
                            kind: CondKind::Check(Box::new(Check {
                                left,
                                op: CheckOp::Exists,
                                right: Rhs::None,
                                span: e.span,
                            })),
                            span: e.span,
                        });
                    }
                    ExprKind::Compare(c) => {
                        let check = self.compare(c, e.span)?;
                        out.push(Cond {
                            kind: CondKind::Check(Box::new(check)),
                            span: e.span,
                        });
                    }
                },
                Frame::Exit(e, n) => {
                    let children = out.split_off(out.len().saturating_sub(n));
                    let kind = match &e.kind {
                        ExprKind::And(_) => CondKind::And(children),
                        ExprKind::Or(_) => CondKind::Or(children),
                        _ => match children.into_iter().next() {
                            Some(c) => CondKind::Not(Box::new(c)),
                            None => return Err("filter error: empty 'not' expression".into()),
                        },
                    };
                    out.push(Cond { kind, span: e.span });
                }
            }
        }
        out.pop()
            .ok_or_else(|| "filter error: empty condition".to_string())
    }

    fn compare(&mut self, c: &Comparison, span: Span) -> Result<Check, String> {
        self.pos = span;
        let left = self.operand(&c.left)?;
        check_operator(left.ty, left.is_list, c.op, c.modifier.is_some())
            .map_err(|e| format!("filter error: {e}"))?;
        let right = match &c.right {
            ast::Rhs::Value(v) | ast::Rhs::ListRef(v) => {
                Rhs::Values(self.values(&left, c.op, std::slice::from_ref(v), v.span)?)
            }
            ast::Rhs::List(l) => Rhs::Values(self.values(&left, c.op, &l.items, l.span)?),
            ast::Rhs::Operand(o) => {
                let right = self.operand(o)?;
                rhs_field(&left, c.op, &right)?;
                Rhs::Operand(right)
            }
        };
        Ok(Check {
            left,
            op: CheckOp::Compare {
                op: c.op,
                modifier: c.modifier,
            },
            right,
            span,
        })
    }

    /// Inspects (warnings) and parses each constant in order, as libsinsp does.
    fn values(
        &mut self,
        left: &Operand,
        op: CmpOp,
        items: &[ast::Value],
        rhs_span: Span,
    ) -> Result<Vec<Value>, String> {
        self.pos = rhs_span;
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            self.value_warnings(op, rhs_span, &v.text);
            let constant = self.parse_value(left, op, &v.text)?;
            out.push(Value {
                text: v.text.clone(),
                constant,
                span: v.span,
            });
        }
        Ok(out)
    }

    fn parse_value(&self, left: &Operand, op: CmpOp, text: &str) -> Result<Constant, String> {
        if let Some(f) = left.base_field() {
            return f.parse_value_as(left.ty, op, text, &self.async_names);
        }
        // Internal extractions (multi-argument transformers) have no class-specific
        // validation: only the conversion by type.
        if matches!(op, CmpOp::BContains | CmpOp::BStartsWith) {
            let bytes = parse_hex_bytes(text)?;
            if left.ty != FieldType::Bytebuf {
                return string_to_rawval(left.ty, &String::from_utf8_lossy(&bytes));
            }
            if bytes.len() >= MAX_VALUE_STORAGE {
                return Err("filter parameter too long (byte buf)".to_string());
            }
            return Ok(Constant::Bytes(bytes));
        }
        parse_constant(left.ty, text)
    }

    /// libsinsp `check_value_and_add_warnings`.
    fn value_warnings(&mut self, op: CmpOp, span: Span, v: &str) {
        // Most values have no blanks: no copy then.
        let nospaces: std::borrow::Cow<'_, str> = if v.chars().any(is_c_space) {
            v.chars()
                .filter(|c| !is_c_space(*c))
                .collect::<String>()
                .into()
        } else {
            v.into()
        };
        let mut push = |message: String| {
            self.warnings.push(CheckWarning {
                code: Code::LoadCompileCondition,
                message,
                span,
                deprecated_field: None,
            })
        };
        if op == CmpOp::Regex && regex_is_simple(v) {
            push(regex_hint_message(v));
        }
        // Every field name has a dot and starts with a letter: skip the lookup otherwise
        // (large lists of plain values are common).
        let may_be_field = nospaces.contains('.')
            && nospaces
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphabetic);
        if may_be_field && self.resolver.lookup(self.source, &nospaces, None).is_ok() {
            push(format!(
                "'{v}' may be a valid field misused as a const string value"
            ));
        }
        for t in WARNING_TRANSFORMERS {
            let b = nospaces.as_bytes();
            if b.len() >= t.len() + 2
                && b.starts_with(t.as_bytes())
                && b[t.len()] == b'('
                && b.last() == Some(&b')')
            {
                push(format!(
                    "'{v}' may be a valid field transformer misused as a const string value"
                ));
            }
        }
    }

    fn operand(&mut self, o: &ast::Operand) -> Result<Operand, String> {
        match &o.kind {
            ast::OperandKind::Field(f) => {
                self.pos = o.span;
                let rf = self
                    .resolver
                    .lookup(self.source, &f.name, f.arg.as_deref())
                    .map_err(|e| e.message)?;
                Ok(Operand {
                    ty: rf.ty,
                    is_list: rf.is_list(),
                    kind: OperandKind::Field(rf),
                    span: o.span,
                })
            }
            ast::OperandKind::Transform(t) => self.transform(t, o.span),
        }
    }

    fn transform_arg(&mut self, a: &TransformArg) -> Result<Operand, String> {
        match a {
            TransformArg::Operand(o) => self.operand(o),
            TransformArg::Value(v) => {
                self.pos = v.span;
                Ok(Operand {
                    kind: OperandKind::Literal(v.text.clone()),
                    ty: FieldType::Charbuf,
                    is_list: false,
                    span: v.span,
                })
            }
            TransformArg::List(items, span) => {
                self.pos = *span;
                let mut elems = Vec::with_capacity(items.len());
                for i in items {
                    elems.push(self.transform_arg(i)?);
                }
                Ok(Operand {
                    kind: OperandKind::List(elems),
                    ty: FieldType::Charbuf,
                    is_list: true,
                    span: *span,
                })
            }
        }
    }

    /// libsinsp's field-transformer compilation (0.22.2 for the single-argument ones,
    /// 0.25 for the rest).
    fn transform(&mut self, t: &ast::Transform, span: Span) -> Result<Operand, String> {
        self.pos = span;
        let name = t.kind.as_str();
        let mut args = Vec::with_capacity(t.args.len());
        for a in &t.args {
            args.push(self.transform_arg(a)?);
        }
        if t.kind == TransformerKind::Val {
            if t.arg.is_some() {
                return Err(
                    "filter error: transformer 'val' does not support field arguments".into(),
                );
            }
            return args
                .into_iter()
                .next()
                .ok_or_else(|| "filter error: found null child node on 'val' transformer".into());
        }
        if args.len() == 1 {
            if t.arg.is_some() {
                return Err(format!(
                    "filter error: transformer '{name}' does not support field arguments"
                ));
            }
            if !t.kind.is_single_arg() {
                return Err(format!("unknown field transfomer '{name}'"));
            }
            let inner = args.remove(0);
            return apply_transformer(t.kind, inner, span);
        }
        let is_list = multi_value_result(t.kind, &args, t.arg.as_deref())?;
        Ok(Operand {
            kind: OperandKind::Transform {
                kind: t.kind,
                args,
                arg: t.arg.clone(),
            },
            ty: FieldType::Charbuf,
            is_list,
            span,
        })
    }
}

/// Applies a single-argument transformer to an extraction, as libsinsp's
/// `add_transformer` does: fields flagged no-transformer refuse it (`field 'X' does not
/// support transformers`), then the transformer must accept the current type
/// (`can't add field transformer: type 'T' is not supported by 'tr' transformer applied on
/// field 'X'`). Used for conditions and outputs alike.
pub fn apply_transformer(
    kind: TransformerKind,
    inner: Operand,
    span: Span,
) -> Result<Operand, String> {
    let orig = inner.original_info();
    if orig.flags.contains(FieldFlags::NO_TRANSFORMER) {
        return Err(format!(
            "field '{}' does not support transformers",
            orig.name
        ));
    }
    let Some((ty, is_list)) = transform_type(kind, inner.ty, inner.is_list) else {
        return Err(format!(
            "can't add field transformer: type '{}' is not supported by '{}' transformer \
             applied on {}field '{}'",
            inner.ty.libsinsp_name(),
            kind.as_str(),
            if inner.is_list { "list " } else { "" },
            orig.name
        ));
    };
    Ok(Operand {
        kind: OperandKind::Transform {
            kind,
            args: vec![inner],
            arg: None,
        },
        ty,
        is_list,
        span,
    })
}

/// libs 0.25 multi-value transformer validation: argument count and (original) types,
/// then the `[arg]`. Returns whether the result is a list.
fn multi_value_result(
    kind: TransformerKind,
    args: &[Operand],
    arg: Option<&str>,
) -> Result<bool, String> {
    let types: Vec<(FieldType, bool)> = args
        .iter()
        .map(|a| {
            let i = a.original_info();
            (i.ty, i.is_list)
        })
        .collect();
    match kind {
        TransformerKind::Join => {
            if types.len() != 2 {
                return Err("join() requires exactly 2 arguments: separator and list".into());
            }
            if types[0].1 {
                return Err(
                    "join() first argument (separator) must be a single value, not a list".into(),
                );
            }
            if !types[1].1 {
                return Err("join() second argument must be a list".into());
            }
            if arg.is_some() {
                return Err("transformer 'join' does not support field arguments".into());
            }
            Ok(false)
        }
        TransformerKind::Concat => {
            if types.len() < 2 {
                return Err("concat() requires at least 2 arguments".into());
            }
            if types.iter().any(|(t, l)| *t != FieldType::Charbuf || *l) {
                return Err("concat() arguments must be strings".into());
            }
            if arg.is_some() {
                return Err("transformer 'concat' does not support field arguments".into());
            }
            Ok(false)
        }
        TransformerKind::Getopt => {
            if types.len() != 2 {
                return Err(
                    "getopt() requires exactly 2 arguments: args list and optstring".into(),
                );
            }
            if !types[0].1 {
                return Err("getopt() first argument must be a list".into());
            }
            if types[1].1 {
                return Err("getopt() second argument (optstring) must be a single value".into());
            }
            if types[0].0 != FieldType::Charbuf || types[1].0 != FieldType::Charbuf {
                return Err("getopt() arguments must be strings".into());
            }
            match arg {
                None => Ok(true),
                Some(a) if a.len() == 1 => Ok(false),
                Some(_) => Err("getopt() field argument must be a single option character".into()),
            }
        }
        _ => Err("unknown multivalue transformer".into()),
    }
}

/// libsinsp `add_filter_value(rhs_check)`: the right-hand field rules (conditions.md §7).
fn rhs_field(left: &Operand, op: CmpOp, right: &Operand) -> Result<(), String> {
    if matches!(op, CmpOp::PMatch | CmpOp::Regex) {
        return Err(format!(
            "operator '{}' doesn't support right-hand side fields",
            cmpop_code(op)
        ));
    }
    if matches!(
        left.ty,
        FieldType::IpNet | FieldType::Ipv4Net | FieldType::Ipv6Net
    ) {
        return Err("field type 'IPNET' doesn't support right-hand side fields".into());
    }
    if left.original_info().flags.contains(FieldFlags::NO_RHS) {
        return Err(format!(
            "field '{}' doesn't support right-hand side fields",
            left.transformed_name()
        ));
    }
    if right.original_info().flags.contains(FieldFlags::NO_RHS) {
        return Err(format!(
            "field '{}' can't be used as a right-hand side field",
            right.transformed_name()
        ));
    }
    if left.ty != right.ty || left.is_list != right.is_list {
        let list = |l: bool| if l { " (list)" } else { "" };
        return Err(format!(
            "field '{}' has type '{}{}' while the right-hand side field '{}' has incompatible \
             type '{}{}'",
            left.transformed_name(),
            left.ty.libsinsp_name(),
            list(left.is_list),
            right.transformed_name(),
            right.ty.libsinsp_name(),
            list(right.is_list)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use falcoc_lang::condition::parse;

    fn check(src: &str) -> Result<Checked, CheckError> {
        let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        check_condition(&e, "syscall", &PluginProfile::all())
    }

    fn err(src: &str) -> String {
        match check(src) {
            Ok(_) => panic!("{src} should fail"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn unknown_field() {
        let e = check("proc.nme = x").unwrap_err();
        assert_eq!(
            e.message,
            "filter_check called with nonexistent field proc.nme"
        );
        assert!(e.unknown_filter);
        assert_eq!(e.span, Span::new(0, 8));
    }

    #[test]
    fn operator_errors() {
        assert_eq!(
            err("proc.pid contains 1"),
            "filter error: 'contains' operator not supported for numeric filters"
        );
        assert_eq!(err("evt.type = OPEN"), "unknown event type OPEN");
        assert!(check("evt.type = OPEN").unwrap_err().unknown_filter);
        assert_eq!(err("evt.num > 0x10"), "0x10 is not a valid number");
    }

    #[test]
    fn transformers() {
        assert_eq!(
            err("tolower(proc.pid) = 1"),
            "can't add field transformer: type 'INT64' is not supported by 'tolower' \
             transformer applied on field 'proc.pid'"
        );
        assert_eq!(
            err("toupper(evt.rawarg.res) = -1"),
            "field 'evt.rawarg' does not support transformers"
        );
        let c = check("len(proc.name) > 3").unwrap_or_else(|e| panic!("{e}"));
        let mut n = 0;
        c.cond.for_each_check(&mut |chk| {
            assert_eq!(chk.left.ty, FieldType::Uint64);
            n += 1;
        });
        assert_eq!(n, 1);
    }

    #[test]
    fn rhs_fields() {
        assert!(check("proc.name = val(proc.pname)").is_ok());
        assert_eq!(
            err("proc.name = val(proc.pid)"),
            "field 'proc.name' has type 'CHARBUF' while the right-hand side field 'proc.pid' \
             has incompatible type 'INT64'"
        );
        assert_eq!(
            err("proc.name regex val(proc.pname)"),
            "operator '19' doesn't support right-hand side fields"
        );
        assert_eq!(
            err("proc.aname = val(proc.pname)"),
            "field 'proc.aname' doesn't support right-hand side fields"
        );
        assert_eq!(
            err("evt.buflen.in = val(evt.around[1404996934793590564])"),
            "field 'evt.around' can't be used as a right-hand side field"
        );
    }

    #[test]
    fn compiler_warnings() {
        let c = check("proc.name = proc.pname").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(
            c.warnings[0].message,
            "'proc.pname' may be a valid field misused as a const string value"
        );
        let c = check("proc.name in ('toupper( proc.pname)')").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.warnings[0].message,
            "'toupper( proc.pname)' may be a valid field transformer misused as a const string value"
        );
        let c = check("proc.name regex '^sh.*'").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.warnings.len(), 1);
        assert!(check("proc.name regex '[a-'").is_ok());
    }

    #[test]
    fn falco_pass() {
        let e = parse("evt.dir = < and ka.x in (a, <NA>)").unwrap_or_else(|e| panic!("{e}"));
        let w = falco_warnings(&e);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].code, Code::LoadUnsafeNaCheck);
        assert_eq!(w[1].code, Code::LoadDeprecatedItem);
        assert_eq!(w[1].deprecated_field.as_deref(), Some("evt.dir"));
    }

    #[test]
    fn details() {
        let c = check("evt.type = open and (proc.name == val(proc.pname) or proc.aname[2] exists)")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.fields,
            vec!["evt.type", "proc.aname[2]", "proc.name", "proc.pname"]
        );
        assert_eq!(c.operators, vec!["=", "==", "exists"]);
    }

    #[test]
    fn leftover_macro() {
        assert_eq!(
            err("evt.type = open and my_macro"),
            "filter error: unexpected identifier 'my_macro'"
        );
    }

    #[test]
    fn falco_044_transformers() {
        assert!(check("getopt((\"-t\", \"x\"), \"t:\")[t] = x").is_ok());
        assert!(check("concat(proc.name, \"-\", proc.pname) = a-b").is_ok());
        assert!(check("len(getopt((\"-t\", \"x\"), \"t:\")) > 1").is_ok());
        assert_eq!(
            err("getopt(proc.args, \"t:\")[t] = x"),
            "getopt() first argument must be a list"
        );
        assert_eq!(
            err("getopt((\"-t\", \"x\"), \"t:\")[tt] = x"),
            "getopt() field argument must be a single option character"
        );
        assert_eq!(
            err("concat(proc.name, proc.pid) = x"),
            "concat() arguments must be strings"
        );
        assert_eq!(
            err("toupper(fd.name)[x] = foo"),
            "filter error: transformer 'toupper' does not support field arguments"
        );
        assert!(check("fd.ip != allof (127.0.0.1)").is_ok());
        assert_eq!(
            err("fd.ip contains anyof (127.0.0.1)"),
            "filter error: 'contains' with modifier not supported for ip address and network filters"
        );
    }

    #[test]
    fn regex_hint_cases() {
        for s in [
            "syscall",
            "^syscall$",
            ".*syscall",
            "syscall.+",
            ".?syscall.?",
            "",
        ] {
            assert!(regex_is_simple(s), "{s}");
        }
        for s in ["syscall.{1}", "syscall\\.*", "s.*l", "syscal[l]?"] {
            assert!(!regex_is_simple(s), "{s}");
        }
    }
}
