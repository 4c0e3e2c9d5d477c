//! A `serde` deserializer over the configuration document ([`Value`]).
//!
//! Scalars are converted the way yaml-cpp's `node.as<T>()` does for Falco, not by the
//! YAML core schema: the target type decides (`json_output: yes` is `true`, `"true"` in
//! quotes is also `true`, `8765` read as a string is `"8765"`). A scalar where a sequence
//! is expected is a one-item sequence (`yaml_helper::get_sequence`), and a null value
//! counts as absent (Falco's `get_scalar` falls back to the default for it).
//!
//! Every error carries the path (`file_output.enabled`) and location of the innermost
//! node it concerns. Keys that the target struct does not have are skipped and reported
//! as warnings ([`UNKNOWN_KEY`]) at the key.

use super::value::{path_to_string, Loc, PathPart, Value};
use falcoc_lang::Diagnostic;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;

/// Code of unknown-key warnings.
pub(crate) const UNKNOWN_KEY: &str = "CONFIG_UNKNOWN_KEY";

/// A decoding error: message, and the path and location of the node it is about.
#[derive(Debug, Clone)]
pub(crate) struct DeError {
    pub msg: String,
    pub path: Option<Vec<PathPart>>,
    pub loc: Option<Loc>,
}

impl DeError {
    fn at(mut self, path: &[PathPart], loc: Loc) -> DeError {
        if self.path.is_none() {
            self.path = Some(path.to_vec());
        }
        if self.loc.is_none() {
            self.loc = Some(loc);
        }
        self
    }

    /// `path: message`.
    pub fn message(&self) -> String {
        match &self.path {
            Some(p) if !p.is_empty() => format!("{}: {}", path_to_string(p), self.msg),
            _ => self.msg.clone(),
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            msg: msg.to_string(),
            path: None,
            loc: None,
        }
    }
}

/// Code of warnings about values Falco ignores (a mapping where a list is expected).
pub(crate) const IGNORED_VALUE: &str = "CONFIG_IGNORED_VALUE";

/// A warning found while decoding.
pub(crate) struct Warning {
    pub code: &'static str,
    pub path: Vec<PathPart>,
    pub loc: Loc,
    pub message: String,
}

/// Shared state of one decoding run: the warnings found on the way.
#[derive(Default)]
pub(crate) struct Ctx {
    pub warnings: RefCell<Vec<Warning>>,
}

/// The deserializer of one node.
pub(crate) struct De<'a> {
    pub v: &'a Value,
    pub ctx: &'a Ctx,
    pub path: Vec<PathPart>,
}

impl<'a> De<'a> {
    fn err(&self, msg: impl Into<String>) -> DeError {
        DeError {
            msg: msg.into(),
            path: Some(self.path.clone()),
            loc: Some(self.v.loc()),
        }
    }

    fn scalar(&self, expected: &str) -> Result<&'a str, DeError> {
        match self.v {
            Value::Scalar { text, .. } => Ok(text),
            other => Err(self.err(format!(
                "expected {expected}, found a {}",
                other.kind_name()
            ))),
        }
    }

    fn int<T: TryFrom<i128>>(&self, what: &str) -> Result<T, DeError> {
        let s = self.scalar(what)?;
        parse_int(s)
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| self.err(format!("expected {what}, found `{s}`")))
    }

    fn float(&self) -> Result<f64, DeError> {
        let s = self.scalar("a number")?;
        parse_float(s).ok_or_else(|| self.err(format!("expected a number, found `{s}`")))
    }
}

/// yaml-cpp's boolean spellings (`true`/`yes`/`on`/`y`, in lower, upper or capitalised
/// case).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    let cased = |w: &str| {
        let mut cap = w.to_string();
        if let Some(f) = cap.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        s == w || s == w.to_ascii_uppercase() || s == cap
    };
    if ["y", "yes", "true", "on"].iter().any(|w| cased(w)) {
        Some(true)
    } else if ["n", "no", "false", "off"].iter().any(|w| cased(w)) {
        Some(false)
    } else {
        None
    }
}

/// An integer: decimal with an optional sign, `0x` hex or `0o` octal.
pub(crate) fn parse_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = body.strip_prefix("0o") {
        (8, o)
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -n } else { n })
}

/// A floating-point number (also `.inf`, `-.inf`, `.nan`).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    if s.is_empty() || s.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    s.parse().ok()
}

macro_rules! int_method {
    ($method:ident, $visit:ident, $t:ty, $what:expr) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let n: $t = self.int($what)?;
            visitor.$visit(n)
        }
    };
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.v {
            Value::Null(_) => visitor.visit_unit(),
            Value::Scalar { text, plain, .. } => {
                if *plain {
                    if let Some(n) = parse_int(text) {
                        if let Ok(i) = i64::try_from(n) {
                            return visitor.visit_i64(i);
                        }
                        if let Ok(u) = u64::try_from(n) {
                            return visitor.visit_u64(u);
                        }
                    }
                    if let Some(b) = match text.as_str() {
                        "true" | "True" | "TRUE" => Some(true),
                        "false" | "False" | "FALSE" => Some(false),
                        _ => None,
                    } {
                        return visitor.visit_bool(b);
                    }
                    if let Some(f) = parse_float(text).filter(|f| f.is_finite()) {
                        return visitor.visit_f64(f);
                    }
                }
                visitor.visit_str(text)
            }
            Value::Seq { .. } => self.deserialize_seq(visitor),
            Value::Map { .. } => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar("a boolean")?;
        match parse_bool(s) {
            Some(b) => visitor.visit_bool(b),
            None => Err(self.err(format!("expected a boolean (true or false), found `{s}`"))),
        }
    }

    int_method!(deserialize_i8, visit_i8, i8, "an integer (-128 to 127)");
    int_method!(
        deserialize_i16,
        visit_i16,
        i16,
        "an integer (-32768 to 32767)"
    );
    int_method!(deserialize_i32, visit_i32, i32, "a 32-bit integer");
    int_method!(deserialize_i64, visit_i64, i64, "a 64-bit integer");
    int_method!(deserialize_u8, visit_u8, u8, "an integer from 0 to 255");
    int_method!(
        deserialize_u16,
        visit_u16,
        u16,
        "an integer from 0 to 65535"
    );
    int_method!(
        deserialize_u32,
        visit_u32,
        u32,
        "an unsigned 32-bit integer"
    );
    int_method!(
        deserialize_u64,
        visit_u64,
        u64,
        "an unsigned 64-bit integer"
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let f = self.float()?;
        visitor.visit_f32(f as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let f = self.float()?;
        visitor.visit_f64(f)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar("a string")?;
        visitor.visit_str(s)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.v {
            Value::Null(_) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.v {
            Value::Null(_) => visitor.visit_seq(Items {
                items: &[],
                next: 0,
                ctx: self.ctx,
                path: self.path,
            }),
            Value::Seq { items, .. } => visitor.visit_seq(Items {
                items,
                next: 0,
                ctx: self.ctx,
                path: self.path,
            }),
            Value::Scalar { .. } => visitor.visit_seq(Items {
                items: std::slice::from_ref(self.v),
                next: 0,
                ctx: self.ctx,
                path: self.path,
            }),
            Value::Map { .. } => {
                // yaml_helper::get_sequence reads nothing from a mapping (this is what
                // `-o append_output.suggested_output=false` leaves behind).
                self.ctx.warnings.borrow_mut().push(Warning {
                    code: IGNORED_VALUE,
                    path: self.path.clone(),
                    loc: self.v.loc(),
                    message: "a mapping where a sequence is expected is ignored (as Falco does)"
                        .to_string(),
                });
                visitor.visit_seq(Items {
                    items: &[],
                    next: 0,
                    ctx: self.ctx,
                    path: self.path,
                })
            }
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.v {
            Value::Map { entries, .. } => visitor.visit_map(Entries {
                entries,
                next: 0,
                fields: None,
                ctx: self.ctx,
                path: self.path,
                pending: None,
            }),
            Value::Null(_) => visitor.visit_map(Entries {
                entries: &[],
                next: 0,
                fields: None,
                ctx: self.ctx,
                path: self.path,
                pending: None,
            }),
            other => Err(self.err(format!("expected a mapping, found a {}", other.kind_name()))),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.v {
            Value::Map { entries, .. } => visitor.visit_map(Entries {
                entries,
                next: 0,
                fields: Some(fields),
                ctx: self.ctx,
                path: self.path,
                pending: None,
            }),
            Value::Null(_) => visitor.visit_map(Entries {
                entries: &[],
                next: 0,
                fields: Some(fields),
                ctx: self.ctx,
                path: self.path,
                pending: None,
            }),
            other => Err(self.err(format!("expected a mapping, found a {}", other.kind_name()))),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let s = self.scalar("a name")?;
        let path = self.path.clone();
        let loc = self.v.loc();
        let d: de::value::StrDeserializer<'_, DeError> = s.into_deserializer();
        visitor.visit_enum(d).map_err(|e| e.at(&path, loc))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

/// Sequence access over items.
struct Items<'a> {
    items: &'a [Value],
    next: usize,
    ctx: &'a Ctx,
    path: Vec<PathPart>,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(v) = self.items.get(self.next) else {
            return Ok(None);
        };
        let mut path = self.path.clone();
        path.push(PathPart::Index(self.next));
        self.next += 1;
        let loc = v.loc();
        seed.deserialize(De {
            v,
            ctx: self.ctx,
            path: path.clone(),
        })
        .map(Some)
        .map_err(|e| e.at(&path, loc))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

/// Mapping access over entries; for structs, unknown keys are skipped with a warning and
/// null values are skipped (the field keeps its default).
struct Entries<'a> {
    entries: &'a [super::value::Entry],
    next: usize,
    fields: Option<&'static [&'static str]>,
    ctx: &'a Ctx,
    path: Vec<PathPart>,
    pending: Option<&'a super::value::Entry>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        while let Some(e) = self.entries.get(self.next) {
            self.next += 1;
            if let Some(fields) = self.fields {
                if !fields.contains(&e.key.as_str()) {
                    let mut path = self.path.clone();
                    path.push(PathPart::Key(e.key.clone()));
                    let p = path_to_string(&path);
                    let message = if p == e.key {
                        format!("unknown configuration key `{}`", e.key)
                    } else {
                        format!("unknown configuration key `{}` (at `{p}`)", e.key)
                    };
                    self.ctx.warnings.borrow_mut().push(Warning {
                        code: UNKNOWN_KEY,
                        path,
                        loc: e.key_loc,
                        message,
                    });
                    continue;
                }
                if matches!(e.value, Value::Null(_)) {
                    continue;
                }
            }
            self.pending = Some(e);
            let key: de::value::StrDeserializer<'_, DeError> = e.key.as_str().into_deserializer();
            let mut path = self.path.clone();
            path.push(PathPart::Key(e.key.clone()));
            return seed
                .deserialize(key)
                .map(Some)
                .map_err(|err| err.at(&path, e.key_loc));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(e) = self.pending.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        let mut path = self.path.clone();
        path.push(PathPart::Key(e.key.clone()));
        let loc = e.value.loc();
        seed.deserialize(De {
            v: &e.value,
            ctx: self.ctx,
            path: path.clone(),
        })
        .map_err(|err| err.at(&path, loc))
    }
}

/// Turns an error into a diagnostic (file index 0, or a note naming the `-o` option).
pub(crate) fn to_diagnostic(
    code: &'static str,
    severity_error: bool,
    message: String,
    loc: Option<Loc>,
    overrides: &[String],
) -> Diagnostic {
    let mut d = if severity_error {
        Diagnostic::error(code, message)
    } else {
        Diagnostic::warning(code, message)
    };
    match loc {
        Some(Loc::File(span)) => d = d.with_primary(0, span, ""),
        Some(Loc::Override(i)) => {
            if let Some(o) = overrides.get(i) {
                d = d.with_note(format!("set by the option `-o {o}`"));
            }
        }
        None => {}
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_cpp_bools() {
        for t in ["true", "True", "TRUE", "yes", "Yes", "on", "ON", "y", "Y"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "No", "OFF", "n"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for x in ["tRue", "1", "", "yess"] {
            assert_eq!(parse_bool(x), None, "{x}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_float("0.03333"), Some(0.03333));
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float("abc"), None);
        assert_eq!(parse_float("inf"), None);
    }
}
