//! A small JSON document model for audit events: the payload is parsed once into a flat
//! arena of nodes that point back into the text (strings are decoded only when they
//! contain escapes, numbers keep their written text), so field extraction walks the tree
//! without allocating and renders non-string values as compact JSON, as the k8saudit
//! plugin does (written number text, keys in document order).
//!
//! The parser follows RFC 8259 strictly (no comments, no trailing commas, no leading
//! zeros, no control characters in strings, valid `\u` escapes and surrogate pairs) and
//! bounds nesting at [`MAX_DEPTH`]; every error carries the byte offset.

use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 256;

/// A byte range of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

/// The kind of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number (its text is the node's span).
    Number,
    /// A string (the span is inside the quotes; `escaped` when it holds a `\`).
    String {
        /// Whether the raw text holds escapes that must be decoded.
        escaped: bool,
    },
    /// An array: `len` children from `first` in the child list.
    Array {
        /// Index of the first child in the child list.
        first: u32,
        /// Number of children.
        len: u32,
    },
    /// An object: `len` members from `first` in the child and key lists.
    Object {
        /// Index of the first member in the child/key lists.
        first: u32,
        /// Number of members.
        len: u32,
    },
}

#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    span: Span,
}

/// A node of a [`Doc`].
pub type NodeId = u32;

/// A parsed JSON text.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    text: String,
    nodes: Vec<Node>,
    /// Children of arrays and objects, each container's contiguous.
    kids: Vec<NodeId>,
    /// For object members, the key (a string span and whether it is escaped); unused
    /// entries (array children) hold an empty span.
    keys: Vec<(Span, bool)>,
}

/// A syntax error with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub message: &'static str,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for JsonError {}

impl Doc {
    /// Parses `text` (one JSON value, surrounded by optional whitespace).
    pub fn parse(text: String) -> Result<Doc, JsonError> {
        if text.len() >= u32::MAX as usize {
            return Err(JsonError {
                offset: 0,
                message: "document larger than 4 GiB",
            });
        }
        let mut p = Parser {
            b: text.as_bytes(),
            i: 0,
            nodes: Vec::new(),
            kids: Vec::new(),
            keys: Vec::new(),
            stack: Vec::new(),
        };
        p.ws();
        p.value(0)?;
        p.ws();
        if p.i != p.b.len() {
            return Err(p.err("trailing characters after the JSON value"));
        }
        let (nodes, kids, keys) = (p.nodes, p.kids, p.keys);
        Ok(Doc {
            text,
            nodes,
            kids,
            keys,
        })
    }

    /// The root node.
    pub fn root(&self) -> NodeId {
        0
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The kind of `n` (`Null` for an id out of range).
    pub fn kind(&self, n: NodeId) -> Kind {
        self.nodes.get(n as usize).map_or(Kind::Null, |x| x.kind)
    }

    fn raw(&self, s: Span) -> &str {
        self.text
            .get(s.start as usize..s.end as usize)
            .unwrap_or("")
    }

    /// The member `key` of object `n`.
    pub fn get(&self, n: NodeId, key: &str) -> Option<NodeId> {
        let Kind::Object { first, len } = self.kind(n) else {
            return None;
        };
        let (f, l) = (first as usize, len as usize);
        let keys = self.keys.get(f..f + l)?;
        let kids = self.kids.get(f..f + l)?;
        keys.iter().zip(kids).find_map(|(&(span, escaped), &kid)| {
            let raw = self.raw(span);
            let same = if escaped {
                unescape(raw) == key
            } else {
                raw == key
            };
            same.then_some(kid)
        })
    }

    /// Follows a path of object keys from `n`.
    pub fn path(&self, n: NodeId, keys: &[&str]) -> Option<NodeId> {
        keys.iter().try_fold(n, |at, k| self.get(at, k))
    }

    /// The elements of array `n` (`None` when `n` is not an array).
    pub fn array(&self, n: NodeId) -> Option<&[NodeId]> {
        let Kind::Array { first, len } = self.kind(n) else {
            return None;
        };
        self.kids.get(first as usize..(first + len) as usize)
    }

    /// The members of object `n` as (key, value) pairs.
    pub fn members(&self, n: NodeId) -> Vec<(Cow<'_, str>, NodeId)> {
        let Kind::Object { first, len } = self.kind(n) else {
            return Vec::new();
        };
        let (f, l) = (first as usize, len as usize);
        let keys = self.keys.get(f..f + l).unwrap_or_default();
        let kids = self.kids.get(f..f + l).unwrap_or_default();
        keys.iter()
            .zip(kids)
            .map(|(&(span, escaped), &kid)| {
                let raw = self.raw(span);
                let k = if escaped {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                (k, kid)
            })
            .collect()
    }

    /// The decoded text of string node `n` (`None` for other kinds).
    pub fn str(&self, n: NodeId) -> Option<Cow<'_, str>> {
        let node = self.nodes.get(n as usize)?;
        match node.kind {
            Kind::String { escaped: false } => Some(Cow::Borrowed(self.raw(node.span))),
            Kind::String { escaped: true } => Some(Cow::Owned(unescape(self.raw(node.span)))),
            _ => None,
        }
    }

    /// The k8saudit plugin's string form of a value: a string's text, anything else as
    /// compact JSON.
    pub fn text_of(&self, n: NodeId) -> Cow<'_, str> {
        if let Some(s) = self.str(n) {
            return s;
        }
        let mut out = String::new();
        self.write_compact(n, &mut out);
        Cow::Owned(out)
    }

    /// Node `n` as compact JSON.
    pub fn compact(&self, n: NodeId) -> String {
        let mut out = String::new();
        self.write_compact(n, &mut out);
        out
    }

    fn write_compact(&self, n: NodeId, out: &mut String) {
        let Some(node) = self.nodes.get(n as usize) else {
            out.push_str("null");
            return;
        };
        match node.kind {
            Kind::Null => out.push_str("null"),
            Kind::Bool(true) => out.push_str("true"),
            Kind::Bool(false) => out.push_str("false"),
            Kind::Number => out.push_str(self.raw(node.span)),
            Kind::String { escaped } => {
                if escaped {
                    write_quoted(&unescape(self.raw(node.span)), out);
                } else {
                    write_quoted(self.raw(node.span), out);
                }
            }
            Kind::Array { .. } => {
                out.push('[');
                for (i, &k) in self.array(n).unwrap_or_default().iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write_compact(k, out);
                }
                out.push(']');
            }
            Kind::Object { .. } => {
                out.push('{');
                for (i, (k, v)) in self.members(n).into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_quoted(&k, out);
                    out.push(':');
                    self.write_compact(v, out);
                }
                out.push('}');
            }
        }
    }
}

/// Writes `s` as a JSON string literal.
fn write_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Decodes the escapes of a string body the parser has validated.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex = |it: &mut std::str::Chars<'_>| -> u32 {
                    let h: String = it.by_ref().take(4).collect();
                    u32::from_str_radix(&h, 16).unwrap_or(0xfffd)
                };
                let hi = hex(&mut it);
                let cp = if (0xd800..0xdc00).contains(&hi) {
                    // The parser checked that a low surrogate escape follows.
                    it.next();
                    it.next();
                    let lo = hex(&mut it);
                    0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff)
                } else {
                    hi
                };
                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    nodes: Vec<Node>,
    kids: Vec<NodeId>,
    keys: Vec<(Span, bool)>,
    /// Children (and keys) of the containers being parsed.
    stack: Vec<(NodeId, Span, bool)>,
}

impl Parser<'_> {
    fn err(&self, message: &'static str) -> JsonError {
        JsonError {
            offset: self.i,
            message,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            kind,
            span: Span {
                start: start as u32,
                end: end as u32,
            },
        });
        id
    }

    fn value(&mut self, depth: usize) -> Result<NodeId, JsonError> {
        match self.b.get(self.i) {
            None => Err(self.err("unexpected end of input, expected a value")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let (span, escaped) = self.string()?;
                Ok(self.push(
                    Kind::String { escaped },
                    span.start as usize,
                    span.end as usize,
                ))
            }
            Some(b't') => self.literal("true", Kind::Bool(true)),
            Some(b'f') => self.literal("false", Kind::Bool(false)),
            Some(b'n') => self.literal("null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<NodeId, JsonError> {
        let start = self.i;
        if self.b.get(start..start + word.len()) != Some(word.as_bytes()) {
            return Err(self.err("invalid literal"));
        }
        self.i += word.len();
        Ok(self.push(kind, start, self.i))
    }

    fn digits(&mut self) -> usize {
        let s = self.i;
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
        self.i - s
    }

    fn number(&mut self) -> Result<NodeId, JsonError> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number: digits expected in the exponent"));
            }
        }
        Ok(self.push(Kind::Number, start, self.i))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.err("invalid \\u escape"))?;
        let v = h
            .iter()
            .fold(0u32, |a, &c| a * 16 + (c as char).to_digit(16).unwrap_or(0));
        self.i += 4;
        Ok(v)
    }

    /// A string at `self.i` (the opening quote): its body span and whether it has escapes.
    fn string(&mut self) -> Result<(Span, bool), JsonError> {
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            // Fast scan to the next quote, backslash or control character.
            let rest = self.b.get(self.i..).unwrap_or_default();
            let n = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(rest.len());
            self.i += n;
            match self.b.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    let span = Span {
                        start: start as u32,
                        end: self.i as u32,
                    };
                    self.i += 1;
                    return Ok((span, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    self.i += 1;
                    match self.b.get(self.i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            if (0xd800..0xdc00).contains(&hi) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(self.err("unpaired surrogate in \\u escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return Err(self.err("unpaired surrogate in \\u escape"));
                                }
                            } else if (0xdc00..0xe000).contains(&hi) {
                                return Err(self.err("unpaired surrogate in \\u escape"));
                            }
                        }
                        _ => return Err(self.err("invalid escape in string")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    fn finish_container(&mut self, mark: usize) -> (u32, u32) {
        let first = self.kids.len() as u32;
        let members = self.stack.drain(mark..);
        let mut len = 0u32;
        for (kid, key, esc) in members {
            self.kids.push(kid);
            self.keys.push((key, esc));
            len += 1;
        }
        (first, len)
    }

    fn array(&mut self, depth: usize) -> Result<NodeId, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        let start = self.i;
        self.i += 1;
        let id = self.push(Kind::Null, start, start);
        let mark = self.stack.len();
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                let v = self.value(depth)?;
                self.stack.push((v, Span { start: 0, end: 0 }, false));
                self.ws();
                match self.b.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ']'")),
                }
            }
        }
        let (first, len) = self.finish_container(mark);
        if let Some(n) = self.nodes.get_mut(id as usize) {
            n.kind = Kind::Array { first, len };
            n.span.end = self.i as u32;
        }
        Ok(id)
    }

    fn object(&mut self, depth: usize) -> Result<NodeId, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        let start = self.i;
        self.i += 1;
        let id = self.push(Kind::Null, start, start);
        let mark = self.stack.len();
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.b.get(self.i) != Some(&b'"') {
                    return Err(self.err("expected a string key"));
                }
                let (key, esc) = self.string()?;
                self.ws();
                if self.b.get(self.i) != Some(&b':') {
                    return Err(self.err("expected ':'"));
                }
                self.i += 1;
                self.ws();
                let v = self.value(depth)?;
                self.stack.push((v, key, esc));
                self.ws();
                match self.b.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or '}'")),
                }
            }
        }
        let (first, len) = self.finish_container(mark);
        if let Some(n) = self.nodes.get_mut(id as usize) {
            n.kind = Kind::Object { first, len };
            n.span.end = self.i as u32;
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Doc {
        Doc::parse(s.to_string()).expect("valid JSON")
    }

    #[test]
    fn walks_and_renders_compact() {
        let d = doc(r#" { "a" : [1, 2.50, {"b\u00e9":"x\"y"}], "c": true, "n": null } "#);
        let a = d.get(d.root(), "a").expect("a");
        assert_eq!(d.array(a).map(<[_]>::len), Some(3));
        assert_eq!(d.compact(a), r#"[1,2.50,{"bé":"x\"y"}]"#);
        let third = d.array(a).and_then(|v| v.get(2).copied()).expect("elem");
        assert_eq!(
            d.get(third, "bé").map(|n| d.text_of(n).into_owned()),
            Some("x\"y".into())
        );
        assert_eq!(
            d.path(d.root(), &["c"]).map(|n| d.text_of(n).into_owned()),
            Some("true".into())
        );
        assert_eq!(d.get(d.root(), "missing"), None);
        assert_eq!(d.get(a, "0"), None);
    }

    #[test]
    fn surrogate_pairs_decode() {
        let d = doc(r#"["\ud83d\ude00"]"#);
        let e = d
            .array(d.root())
            .and_then(|v| v.first().copied())
            .expect("elem");
        assert_eq!(d.str(e).as_deref(), Some("😀"));
    }

    #[test]
    fn rejects_bad_json_with_offsets() {
        for (text, offset) in [
            ("", 0),
            ("{", 1),
            ("[1,]", 3),
            ("01", 1),
            ("{\"a\" 1}", 5),
            ("\"a\u{1}\"", 2),
            ("[\"\\ud800\"]", 8),
            ("nul", 0),
            ("{} x", 3),
        ] {
            let e = Doc::parse(text.to_string()).expect_err(text);
            assert_eq!(e.offset, offset, "{text}: {e}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(Doc::parse(deep).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Doc::parse(ok).is_ok());
    }
}
