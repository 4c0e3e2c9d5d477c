//! Field-name parsing per class, ported from libsinsp's `parse_field_name` overrides
//! (libs 0.22.2): the generic longest-prefix match, the syscall event class (`evt.arg`,
//! `evt.rawarg`, `evt.around`, `evt.abspath`, `evt.type.is`), the thread class (ancestor
//! indexes, `proc.env[…]`, `thread.cgroup.X`), the fd class (`fd.types[N]`) and plugin
//! fields (index/key arguments).

use falcoc_lang::condition::ast::CmpOp;

use super::constant::{
    parse_constant, parse_d32, parse_d64, parse_hex_bytes, parse_u32, parse_u64,
};
use super::types::{check_operator, FieldFlags, FieldType};
use super::{ClassKind, Constant, FieldClass, FieldError, FieldInfo, PluginInfo};
use crate::events;

/// The argument a resolved field carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldArg {
    /// No argument (for ancestor fields: "any ancestor"; for `proc.env`: all variables).
    None,
    /// A numeric index: `proc.aname[N]`, `proc.args[N]`, `evt.arg[N]`, `fd.types[N]`, and
    /// an all-digit `proc.env[N]`/`proc.aenv[N]`.
    Index(i64),
    /// A key: `proc.env[NAME]`, `proc.aenv[NAME]`.
    Key(String),
    /// A plugin field argument: the text, and its value when it is a valid index and the
    /// field accepts indexes.
    Plugin {
        /// The argument text.
        text: String,
        /// The index, when parsed as one.
        index: Option<u64>,
    },
    /// `evt.arg.NAME` / `evt.rawarg.NAME`: the matched event parameter name.
    EventParam(&'static str),
    /// `evt.type.is.X`: an event code given by number (`by_name == false`), or the first
    /// event code with that name.
    EventType {
        /// Event code.
        id: u32,
        /// Whether it was given by name.
        by_name: bool,
    },
    /// `evt.around[T]`: the timestamp.
    Around(u64),
    /// `evt.abspath.src` / `evt.abspath.dst`.
    Suffix(&'static str),
    /// `thread.cgroup.SUBSYS`: the subsystem.
    Cgroup(String),
}

/// A field reference resolved for a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedField {
    /// The looked-up text, `name` or `name[arg]` (as Falco prints it in messages).
    pub name: String,
    /// The field's table entry.
    pub field: &'static FieldInfo,
    /// Its class.
    pub class: &'static FieldClass,
    /// The plugin that provides it, for plugin fields.
    pub plugin: Option<&'static PluginInfo>,
    /// The effective type: the declared type, except `evt.rawarg.NAME` which has the type
    /// of the parameter `NAME`.
    pub ty: FieldType,
    /// The parsed argument.
    pub arg: FieldArg,
}

/// Result of one class's name parsing (libsinsp's returned length and state).
pub(super) struct Parsed {
    pub consumed: usize,
    field: &'static FieldInfo,
    arg: FieldArg,
    ty: Option<FieldType>,
}

impl Parsed {
    pub(super) fn finish(
        self,
        name: String,
        class: &'static FieldClass,
        plugin: Option<&'static PluginInfo>,
    ) -> ResolvedField {
        ResolvedField {
            name,
            field: self.field,
            class,
            plugin,
            ty: self.ty.unwrap_or(self.field.ty),
            arg: self.arg,
        }
    }
}

const ANCESTOR_FIELDS: [&str; 6] = [
    "proc.aname",
    "proc.apid",
    "proc.aexe",
    "proc.aexepath",
    "proc.acmdline",
    "proc.aenv",
];

impl ResolvedField {
    /// The field name without argument (e.g. `proc.aname`).
    pub fn field_name(&self) -> &'static str {
        self.field.name
    }

    /// Whether the field is list-valued.
    pub fn is_list(&self) -> bool {
        self.field.is_list()
    }

    /// The field's flags.
    pub fn flags(&self) -> FieldFlags {
        self.field.flags
    }

    /// `evt.type` (of the syscall event class).
    pub fn is_evt_type(&self) -> bool {
        self.class.kind == ClassKind::SyscallEvent && self.field.name == "evt.type"
    }

    /// `syscall.type`.
    pub fn is_syscall_type(&self) -> bool {
        self.class.kind == ClassKind::SyscallEvent && self.field.name == "syscall.type"
    }

    /// `evt.rawarg.NAME`.
    pub fn is_rawarg(&self) -> bool {
        self.class.kind == ClassKind::SyscallEvent && self.field.name == "evt.rawarg"
    }

    /// An ancestor field without index (`proc.aname`, `proc.apid`, `proc.aexe`,
    /// `proc.aexepath`, `proc.acmdline`, `proc.aenv`): compared on every ancestor in turn.
    pub fn is_unindexed_ancestor(&self) -> bool {
        self.class.kind == ClassKind::Thread
            && ANCESTOR_FIELDS.contains(&self.field.name)
            && self.arg == FieldArg::None
    }

    /// The type × operator check (conditions.md §12) for this field without transformers.
    /// The error lacks the `filter error: ` prefix.
    pub fn check_operator(&self, op: CmpOp, with_modifier: bool) -> Result<(), String> {
        check_operator(self.ty, self.is_list(), op, with_modifier)
    }

    /// Whether the field may be used in an output: `X is filter only and cannot be used
    /// as a display field` for filter-only fields.
    pub fn check_display(&self) -> Result<(), String> {
        if self.field.is_filter_only() {
            return Err(format!(
                "{} is filter only and cannot be used as a display field",
                self.name
            ));
        }
        Ok(())
    }

    /// Parses a right-hand constant of a check on this field (without transformers), as
    /// libsinsp's field class does: hex decoding for `bcontains`/`bstartswith`, conversion
    /// by the field's type (the parameter's type for `evt.rawarg`), then the class's own
    /// validation (`unknown event type X` for `evt.type`; `evt.around` needs `=`).
    /// `async_names`: asynchronous event names of the loaded plugins (valid `evt.type`s).
    pub fn parse_value(
        &self,
        op: CmpOp,
        text: &str,
        async_names: &[&str],
    ) -> Result<Constant, String> {
        self.parse_value_as(self.ty, op, text, async_names)
    }

    /// Like [`parse_value`](Self::parse_value) for a field whose value went through
    /// transformers ending in type `ty` (the class's validation still applies, e.g.
    /// `tolower(evt.type) = OPEN` fails with `unknown event type OPEN`).
    pub fn parse_value_as(
        &self,
        ty: FieldType,
        op: CmpOp,
        text: &str,
        async_names: &[&str],
    ) -> Result<Constant, String> {
        let bytes_op = matches!(op, CmpOp::BContains | CmpOp::BStartsWith);
        let constant = if bytes_op {
            let bytes = parse_hex_bytes(text)?;
            if self.is_rawarg() || ty != FieldType::Bytebuf {
                let s = String::from_utf8_lossy(&bytes).into_owned();
                super::string_to_rawval(ty, &s)?
            } else if bytes.len() >= super::MAX_VALUE_STORAGE {
                return Err("filter parameter too long (byte buf)".to_string());
            } else {
                Constant::Bytes(bytes)
            }
        } else if self.is_rawarg() {
            super::string_to_rawval(ty, text)?
        } else {
            parse_constant(ty, text)?
        };
        if self.is_evt_type() {
            let end = text.find('\0').unwrap_or(text.len());
            events::validate_event_type(&text[..end], async_names)?;
        } else if self.class.kind == ClassKind::SyscallEvent && self.field.name == "evt.around" {
            if !matches!(op, CmpOp::Eq | CmpOp::EqEq) {
                return Err("evt.around supports only '=' comparison operator".to_string());
            }
            parse_u64(text)?;
        }
        Ok(constant)
    }
}

fn starts(val: &str, prefix: &str) -> bool {
    val.as_bytes().starts_with(prefix.as_bytes())
}

/// libsinsp's generic `parse_field_name`: the longest field name that is a prefix.
fn base(class: &'static FieldClass, val: &str) -> Option<Parsed> {
    let mut best: Option<&'static FieldInfo> = None;
    let v = val.as_bytes();
    for f in &class.fields {
        let n = f.name.as_bytes();
        // Most names of a class are not prefixes: rule them out on the length and the
        // first byte before comparing.
        if n.len() > v.len() || n.first().is_some_and(|b| Some(b) != v.first()) {
            continue;
        }
        if best.is_some_and(|b| f.name.len() <= b.name.len()) {
            continue;
        }
        if starts(val, f.name) {
            best = Some(f);
        }
    }
    best.map(|field| Parsed {
        consumed: field.name.len(),
        field,
        arg: FieldArg::None,
        ty: None,
    })
}

fn field_named(class: &'static FieldClass, name: &str) -> Result<&'static FieldInfo, FieldError> {
    class
        .fields
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| FieldError::invalid(format!("missing field table entry {name}")))
}

/// Parses `val` (the field token plus any `[arg]`) in `class`. `Ok(None)` means the class
/// does not know the name at all (libsinsp's `-1`): the next class is tried.
pub(super) fn parse_in_class(
    class: &'static FieldClass,
    val: &str,
) -> Result<Option<Parsed>, FieldError> {
    match class.kind {
        ClassKind::SyscallEvent => parse_event(class, val),
        ClassKind::Thread => parse_thread(class, val),
        ClassKind::Fd => parse_fd(class, val),
        ClassKind::Plugin => parse_plugin(class, val),
        _ => Ok(base(class, val)),
    }
}

/// Position of the first `]` in `val` as libsinsp computes a parsed length from it: `None`
/// stands for `npos`, which wraps the returned length to 0.
fn close_bracket(val: &str, from: usize) -> Option<usize> {
    val.get(from..)?.find(']').map(|i| i + from)
}

/// The text between `[` (at `open`) and `close` (or the end).
fn bracket_text(val: &str, open: usize, close: Option<usize>) -> &str {
    let start = (open + 1).min(val.len());
    let end = close.unwrap_or(val.len()).max(start);
    val.get(start..end).unwrap_or("")
}

fn parse_event(class: &'static FieldClass, val: &str) -> Result<Option<Parsed>, FieldError> {
    if starts(val, "evt.arg") && !starts(val, "evt.args") {
        return event_arg(class, "evt.arg", val).map(Some);
    }
    if starts(val, "evt.rawarg") {
        return event_arg(class, "evt.rawarg", val).map(Some);
    }
    if starts(val, "evt.around") {
        return event_arg(class, "evt.around", val).map(Some);
    }
    if starts(val, "evt.latency") {
        return Ok(base(class, val));
    }
    if starts(val, "evt.abspath") {
        let field = field_named(class, "evt.abspath")?;
        let (consumed, arg) = if starts(val, "evt.abspath.src") {
            (15, FieldArg::Suffix("src"))
        } else if starts(val, "evt.abspath.dst") {
            (15, FieldArg::Suffix("dst"))
        } else {
            (11, FieldArg::None)
        };
        return Ok(Some(Parsed {
            consumed,
            field,
            arg,
            ty: None,
        }));
    }
    if starts(val, "evt.type.is") {
        let field = field_named(class, "evt.type.is")?;
        let n = "evt.type.is".len();
        if val.as_bytes().get(n) != Some(&b'.') {
            return Err(FieldError::invalid(format!("filter syntax error: {val}")));
        }
        let itype = &val[n + 1..];
        let (consumed, arg) = if let Ok(id) = parse_u32(itype) {
            (val.len(), FieldArg::EventType { id, by_name: false })
        } else if let Some(e) = events::events().iter().find(|e| e.name == itype) {
            (
                val.len(),
                FieldArg::EventType {
                    id: e.code as u32,
                    by_name: true,
                },
            )
        } else {
            (0, FieldArg::None)
        };
        return Ok(Some(Parsed {
            consumed,
            field,
            arg,
            ty: None,
        }));
    }
    Ok(base(class, val))
}

/// libsinsp `sinsp_filter_check_event::extract_arg` for `evt.arg`, `evt.rawarg`,
/// `evt.around`.
fn event_arg(class: &'static FieldClass, fld: &str, val: &str) -> Result<Parsed, FieldError> {
    let field = field_named(class, fld)?;
    let n = fld.len();
    let rawarg = fld == "evt.rawarg";
    let around = fld == "evt.around";
    match val.as_bytes().get(n) {
        Some(b'[') => {
            if rawarg {
                return Err(FieldError::invalid(
                    "evt.arg fields must be expressed explicitly".to_string(),
                ));
            }
            let close = close_bracket(val, 0);
            let numstr = bracket_text(val, n, close);
            let arg = if around {
                FieldArg::Around(parse_u64(numstr).map_err(FieldError::invalid)?)
            } else {
                FieldArg::Index(parse_d32(numstr).map_err(FieldError::invalid)? as i64)
            };
            Ok(Parsed {
                consumed: close.map_or(0, |c| c + 1),
                field,
                arg,
                ty: None,
            })
        }
        Some(b'.') => {
            if around {
                return Err(FieldError::invalid(
                    "wrong syntax for evt.around".to_string(),
                ));
            }
            let rest = &val[n + 1..];
            let Some(p) = events::find_longest_matching_param(rest) else {
                return Err(FieldError::invalid(format!(
                    "unknown event argument {rest}"
                )));
            };
            Ok(Parsed {
                consumed: n + 1 + p.name.len(),
                field,
                arg: FieldArg::EventParam(p.name),
                ty: rawarg.then_some(p.ty),
            })
        }
        _ => Err(FieldError::invalid(format!("filter syntax error: {val}"))),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ThreadArg {
    Index,
    Env,
}

const THREAD_ARG_FIELDS: [(&str, ThreadArg); 9] = [
    ("proc.apid", ThreadArg::Index),
    ("proc.aname", ThreadArg::Index),
    ("proc.aexepath", ThreadArg::Index),
    ("proc.aexe", ThreadArg::Index),
    ("proc.acmdline", ThreadArg::Index),
    ("proc.aargs", ThreadArg::Index),
    ("proc.env", ThreadArg::Env),
    ("proc.args", ThreadArg::Index),
    ("proc.aenv", ThreadArg::Env),
];

/// libsinsp `sinsp_filter_check_thread::extract_arg` for the bracket fields; `None` where
/// libsinsp throws (the caller then falls back to the bare field name).
fn thread_bracket(fld: &str, val: &str, kind: ThreadArg) -> Option<(usize, FieldArg)> {
    let n = fld.len();
    if val.as_bytes().get(n) != Some(&b'[') {
        return None;
    }
    let close = match kind {
        ThreadArg::Index => close_bracket(val, 0)?,
        ThreadArg::Env => close_bracket(val, n)?,
    };
    let text = bracket_text(val, n, Some(close));
    let arg = match kind {
        ThreadArg::Index => FieldArg::Index(parse_d32(text).ok()? as i64),
        ThreadArg::Env => {
            if !text.is_empty() && text.bytes().all(|c| c.is_ascii_digit()) {
                FieldArg::Index(parse_d32(text).ok()? as i64)
            } else {
                FieldArg::Key(text.to_string())
            }
        }
    };
    Some((close + 1, arg))
}

fn parse_thread(class: &'static FieldClass, val: &str) -> Result<Option<Parsed>, FieldError> {
    if starts(val, "arg") {
        return Err(FieldError::invalid(
            "filter error: proc.arg filter not implemented yet".to_string(),
        ));
    }
    for (fld, kind) in THREAD_ARG_FIELDS {
        if starts(val, fld) {
            let field = field_named(class, fld)?;
            let (consumed, arg) =
                thread_bracket(fld, val, kind).unwrap_or((fld.len(), FieldArg::None));
            return Ok(Some(Parsed {
                consumed,
                field,
                arg,
                ty: None,
            }));
        }
    }
    if starts(val, "thread.cgroup") && !starts(val, "thread.cgroups") {
        let field = field_named(class, "thread.cgroup")?;
        let n = "thread.cgroup".len();
        if val.as_bytes().get(n) != Some(&b'.') {
            return Err(FieldError::invalid(format!("filter syntax error: {val}")));
        }
        let end = val.as_bytes()[n + 1..]
            .iter()
            .position(|c| !(c.is_ascii_alphabetic() || *c == b'_'))
            .map_or(val.len(), |p| n + 1 + p);
        return Ok(Some(Parsed {
            consumed: end,
            field,
            arg: FieldArg::Cgroup(val[n + 1..end].to_string()),
            ty: None,
        }));
    }
    Ok(base(class, val))
}

fn parse_fd(class: &'static FieldClass, val: &str) -> Result<Option<Parsed>, FieldError> {
    if starts(val, "fd.types") {
        let field = field_named(class, "fd.types")?;
        let n = "fd.types".len();
        let mut consumed = 0;
        let mut arg = FieldArg::None;
        if val.as_bytes().get(n) == Some(&b'[') {
            let close = close_bracket(val, 0);
            let numstr = bracket_text(val, n, close);
            arg = FieldArg::Index(parse_d64(numstr).map_err(FieldError::invalid)?);
            consumed = close.map_or(0, |c| c + 1);
        }
        if consumed == 0 {
            consumed = n;
            arg = FieldArg::None;
        }
        return Ok(Some(Parsed {
            consumed,
            field,
            arg,
            ty: None,
        }));
    }
    Ok(base(class, val))
}

/// libsinsp `sinsp_filter_check_plugin::parse_field_name`.
fn parse_plugin(class: &'static FieldClass, val: &str) -> Result<Option<Parsed>, FieldError> {
    let Some(found) = base(class, val) else {
        return Ok(None);
    };
    let field = found.field;
    let res = found.consumed;
    let cut = val.split(' ').next().unwrap_or("");
    let v = cut.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let mut consumed = res;
    let mut arg = FieldArg::None;
    let flags = field.flags;
    if let Some(arg_pos) = v.find('[') {
        if res != arg_pos {
            return Ok(None);
        }
        let argstart = arg_pos + 1;
        if argstart >= v.len() {
            return Err(FieldError::invalid(format!(
                "filter '{v}': {} terminates with incomplete argument brackets",
                field.name
            )));
        }
        let rest = &v[argstart..];
        let Some(arg_len) = rest.find(']') else {
            return Err(FieldError::invalid(format!(
                "filter '{v}': {} has unbalanced argument brackets",
                field.name
            )));
        };
        let text = &rest[..arg_len];
        if !(flags.contains(FieldFlags::ARG_ALLOWED) || flags.contains(FieldFlags::ARG_REQUIRED)) {
            return Err(FieldError::invalid(format!(
                "filter '{v}': {} does not allow nor require an argument but one is provided: {text}",
                field.name
            )));
        }
        let mut index = None;
        if flags.contains(FieldFlags::ARG_INDEX) {
            match plugin_index(text) {
                Ok(i) => index = Some(i),
                Err(msg) => {
                    if !flags.contains(FieldFlags::ARG_KEY) {
                        return Err(FieldError::invalid(format!(
                            "filter {v} {}{msg}{text}",
                            field.name
                        )));
                    }
                }
            }
        }
        arg = FieldArg::Plugin {
            text: text.to_string(),
            index,
        };
        consumed = arg_pos + arg_len + 2;
    } else if flags.contains(FieldFlags::ARG_REQUIRED) {
        return Err(FieldError::invalid(format!(
            "filter '{v}': {} requires an argument but none provided",
            field.name
        )));
    }
    Ok(Some(Parsed {
        consumed,
        field,
        arg,
        ty: None,
    }))
}

/// libsinsp `extract_arg_index`: digits only, no leading zero, fits 64 bits.
fn plugin_index(text: &str) -> Result<u64, &'static str> {
    let mut msg = "";
    let mut valid = true;
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        valid = false;
        msg = " has an invalid index argument starting with 0: ";
    }
    if !text.bytes().all(|c| c.is_ascii_digit()) {
        valid = false;
        msg = " has an invalid index argument not composed only by digits: ";
    }
    if valid {
        match text.parse::<u64>() {
            Ok(i) => return Ok(i),
            Err(_) => msg = " has an invalid index argument not representable on 64 bit: ",
        }
    }
    Err(msg)
}
