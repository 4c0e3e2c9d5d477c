//! The span-keeping rules-file reader.
//!
//! [`read_rules_file`] takes a file name and its bytes (no I/O) and returns a
//! [`ReadResult`]: the file's top-level items ([`Item`]: a rule, macro, list, version
//! requirement or unknown item) in file order, each holding its YAML mapping as a tree of
//! [`Node`]s that know their byte [`Span`]s — down to every byte *inside* a scalar: for a
//! condition written as a folded `>` block, a double-quoted string with escapes or a
//! multi-line plain scalar, [`Scalar::source_offset`] maps an offset in the decoded
//! condition back to the exact byte of the file. It does so with a "marker pass": the
//! reader re-scans each scalar's source itself, decoding it again while recording which
//! source bytes produce which value bytes, and checks that it gets the parser's value.
//! [`ReadResult::mark`] turns a byte offset into the yaml-cpp mark Falco prints, and
//! [`ReadResult::line_col`] into a 1-based line/column for our own diagnostics.
//!
//! # Shape (rules-file.md §1)
//!
//! Documents (`---`) are read in order and null/empty documents are skipped. A non-null
//! document must be a sequence: a scalar is `LOAD_ERR_YAML_VALIDATE` "Rules content is not
//! yaml", a mapping "Rules content is not yaml array of objects". Null elements (`- ~`, a
//! lone `-`) are skipped; other non-mapping elements are "Unexpected element type. Each
//! element should be a yaml associative array.". An item's kind is the first key present
//! in the order `required_engine_version`, `required_plugin_versions`, `list`, `macro`,
//! `rule` (so an item with both `macro` and `rule` is a macro); an item with none of them
//! is [`ItemKind::Unknown`] (the compiler warns `LOAD_UNKNOWN_ITEM`). Duplicate keys are
//! kept; lookups return the first, as in yaml-cpp (see [`Mapping`]).
//!
//! # Errors
//!
//! Like Falco, the reader stops at the first error: `items` holds the items before it.
//! A YAML syntax error (`LOAD_ERR_YAML_PARSE`, message `error at line L, column C: ...`
//! with yaml-cpp's 1-based line and byte column, and yaml-cpp's wording such as `illegal
//! map value` where libyaml's problem has a clear counterpart; Falco prefixes
//! `yaml-cpp: `; positions of syntax errors may differ from yaml-cpp's) is always
//! `diagnostics[0]`, because yaml-cpp parses the whole stream before Falco looks at any
//! item: a Falco-compatible loader reports only [`ReadResult::error`]. Items of the
//! documents before a syntax error, and the complete items of a sequence cut short by it,
//! are still returned. Invalid UTF-8 (the message gives the offset of the first bad
//! byte), NUL and other control characters, too-deep nesting and runaway aliases are
//! `LOAD_ERR_YAML_PARSE` errors too. No input makes the reader panic; labels use file
//! index 0 (see [`ReadResult::set_file_index`]).
//!
//! # Bounds
//!
//! Time and memory are linear in the input (a 50 MB rules file takes about 2 s of CPU and
//! under 1 GB of memory in a release build; real rule files are below 1 MB). Nesting is
//! limited to [`MAX_DEPTH`] = 500 levels (yaml-cpp's own limit), so `[[[[...` cannot
//! overflow any stack; alias expansion copies at most
//! [`MAX_ALIAS_EXPANSION_NODES`] nodes and [`MAX_ALIAS_EXPANSION_BYTES`] scalar bytes per
//! file; files must be smaller than 4 GiB (spans are `u32`).
//!
//! # The YAML parser: `libyaml-safer`
//!
//! We need an event parser with byte positions whose grammar accepts what yaml-cpp
//! accepts. `saphyr-parser` 0.3.4 and `yaml-rust2` 0.13.1 (the two YAML 1.2 event
//! parsers with markers) both reject 18 of the 87 real rule files of the corpus — every
//! falcosecurity `falco_rules.yaml` up to 1.0.1, the sandbox rules up to 6.1.0 — with
//! "invalid indentation" on a flow sequence whose closing `]` sits at the key's
//! indentation, and also reject `desc:<TAB>x` and under-indented continuation lines of
//! quoted scalars; yaml-cpp takes all of them. `libyaml-safer` 0.3.0, a safe-Rust port of
//! libyaml (the parser behind PyYAML's and Ruby's C loaders), reads every corpus file
//! (TAB after a comma in a flow sequence, bare `=`, lone `-`, no final newline included),
//! reports byte offsets and start/end marks per event (a block scalar starts at its
//! `|`/`>` indicator, exactly where yaml-cpp puts the node's mark), has no dependencies,
//! and its event loop keeps its state on the heap. Its known rough edges are handled
//! here: a file that does not end with a line break gets one appended for the parser
//! (the port panics on a block scalar ending at EOF; offsets are unchanged and the
//! scalar's value is taken without that extra `\n`, as yaml-cpp reads it), and any other
//! panic of the parser is caught and reported as a YAML error. libyaml also rejects a TAB
//! in the leading white space of a blank or comment-only line, which yaml-cpp skips; on
//! that error the file is parsed once more with those TABs read as spaces (unless that
//! would change a block scalar's value). Scalar values are
//! re-decoded from the source by our own marker pass and cross-checked against the
//! parser's.
//!
//! Known differences from yaml-cpp (all rare in rule files): control characters other
//! than TAB/LF/CR (and DEL, C1 controls except NEL) are rejected as YAML 1.1 requires;
//! implicit keys longer than 1024 characters are rejected; NEL, LS and PS count as line
//! breaks inside scalars (YAML 1.1); `<<` merge keys are ordinary keys (as in yaml-cpp);
//! an alias to a node that contains it is an error (yaml-cpp builds a cyclic node).

mod compose;
mod node;
mod position;
mod scalar;

pub use compose::{MAX_ALIAS_EXPANSION_BYTES, MAX_ALIAS_EXPANSION_NODES, MAX_DEPTH};
pub use node::{Entry, Mapping, Node, Null, Sequence};
pub use position::Mark;
pub use scalar::{Scalar, ScalarStyle, ValueMap};

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::span::Span;
use compose::YAML_PARSE;
use position::LineIndex;

/// Code of shape errors (rules-file.md §1).
const YAML_VALIDATE: &str = "LOAD_ERR_YAML_VALIDATE";

/// The kind of a top-level item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// `- required_engine_version: ...`
    RequiredEngineVersion,
    /// `- required_plugin_versions: [...]`
    RequiredPluginVersions,
    /// `- list: ...`
    List,
    /// `- macro: ...`
    Macro,
    /// `- rule: ...`
    Rule,
    /// A mapping without any of the keys above (Falco: `LOAD_UNKNOWN_ITEM`).
    Unknown,
}

impl ItemKind {
    /// The kinds with a key, in the order Falco tests for them.
    pub const KEYED: [ItemKind; 5] = [
        ItemKind::RequiredEngineVersion,
        ItemKind::RequiredPluginVersions,
        ItemKind::List,
        ItemKind::Macro,
        ItemKind::Rule,
    ];

    /// The key that makes an item of this kind (`None` for [`ItemKind::Unknown`]).
    pub fn key(self) -> Option<&'static str> {
        Some(match self {
            ItemKind::RequiredEngineVersion => "required_engine_version",
            ItemKind::RequiredPluginVersions => "required_plugin_versions",
            ItemKind::List => "list",
            ItemKind::Macro => "macro",
            ItemKind::Rule => "rule",
            ItemKind::Unknown => return None,
        })
    }
}

/// One top-level item of a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What the item is, from its first kind key.
    pub kind: ItemKind,
    /// The span of the kind key (the `rule` of `- rule: x`); for an unknown item, of its
    /// first key (or of the mapping if it is empty). Falco's item position.
    pub key_span: Span,
    /// The item's mapping.
    pub map: Mapping,
    /// 0-based index of the YAML document holding the item.
    pub document: usize,
    /// 0-based index of the item in its document's sequence (null elements counted).
    pub index: usize,
}

impl Item {
    fn new(map: Mapping, document: usize, index: usize) -> Item {
        for kind in ItemKind::KEYED {
            if let Some(entry) = kind.key().and_then(|k| map.get_entry(k)) {
                return Item {
                    kind,
                    key_span: entry.key.span(),
                    map,
                    document,
                    index,
                };
            }
        }
        let key_span = map.entries.first().map_or(map.span, |e| e.key.span());
        Item {
            kind: ItemKind::Unknown,
            key_span,
            map,
            document,
            index,
        }
    }

    /// The value of the item's first `key` entry (`item["condition"]`).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.map.get(key)
    }

    /// The item's first entry with key `key`.
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.map.get_entry(key)
    }

    /// The value of the kind key (the rule/macro/list name, the engine version, the
    /// plugin requirement sequence); `None` for unknown items.
    pub fn name(&self) -> Option<&Node> {
        self.kind.key().and_then(|k| self.map.get(k))
    }

    /// The kind key's value as text, when it is a scalar.
    pub fn name_str(&self) -> Option<&str> {
        self.name().and_then(Node::as_str)
    }

    /// The span of the whole item mapping.
    pub fn span(&self) -> Span {
        self.map.span
    }
}

/// What [`read_rules_file`] found.
#[derive(Debug, Clone)]
pub struct ReadResult {
    /// The file name as given.
    pub name: String,
    /// The file's text (invalid UTF-8 replaced by U+FFFD; offsets up to the first
    /// invalid byte are those of the input).
    pub text: String,
    /// The items, in file order, up to the first error.
    pub items: Vec<Item>,
    /// Errors (at most a YAML error followed by a shape error; see the module docs).
    pub diagnostics: Vec<Diagnostic>,
    /// Number of YAML documents read (null ones included).
    pub documents: usize,
    index: LineIndex,
}

impl ReadResult {
    fn new(name: &str, text: String) -> ReadResult {
        ReadResult {
            name: name.to_string(),
            index: LineIndex::new(&text),
            text,
            items: Vec::new(),
            diagnostics: Vec::new(),
            documents: 0,
        }
    }

    /// The yaml-cpp mark (0-based line, 0-based byte column, byte offset) of byte
    /// `offset`, as Falco reports positions.
    pub fn mark(&self, offset: usize) -> Mark {
        self.index.mark(offset)
    }

    /// 1-based line and 1-based column (in characters) of byte `offset`, like
    /// [`SourceFile::line_col`] but in O(log n).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.index.line_col(&self.text, offset)
    }

    /// The file as a [`SourceFile`] for rendering diagnostics.
    pub fn source_file(&self) -> SourceFile {
        SourceFile::new(self.name.clone(), self.text.clone())
    }

    /// True if reading failed somewhere (then `items` stops before the error).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The one error Falco reports for this file, if any.
    pub fn error(&self) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| d.is_error())
    }

    /// Points every diagnostic label at file `file` of the caller's file list (the reader
    /// uses 0).
    pub fn set_file_index(&mut self, file: usize) {
        for d in &mut self.diagnostics {
            for l in d.primary.iter_mut().chain(d.secondary.iter_mut()) {
                l.file = file;
            }
        }
    }
}

/// True for the characters YAML 1.1 allows in a stream (libyaml's reader check).
fn is_yaml_printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
        | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

/// The first character YAML does not allow, with its offset.
fn first_forbidden_char(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if !(b == b'\t' || b == b'\n' || b == b'\r' || (0x20..0x7f).contains(&b)) {
                return Some((i, char::from(b)));
            }
            i += 1;
        } else {
            let c = text.get(i..).and_then(|s| s.chars().next())?;
            if !is_yaml_printable(c) {
                return Some((i, c));
            }
            i += c.len_utf8();
        }
    }
    None
}

/// Parses any YAML text (not only a rules file) into the root nodes of its complete
/// documents, in order (empty documents are null nodes), and the first YAML error if
/// any, with the same tree, bounds and positions as [`read_rules_file`]. The text is
/// not checked for control characters (libyaml rejects them with an unlocated error).
pub fn parse_yaml(text: &str) -> (Vec<Node>, Option<Diagnostic>) {
    let index = LineIndex::new(text);
    let composed = compose::compose(text, &index);
    let docs = composed
        .documents
        .into_iter()
        .filter(|d| d.complete)
        .map(|d| d.root)
        .collect();
    (docs, composed.error)
}

fn byte_error(at: usize, message: String) -> Diagnostic {
    Diagnostic::error(YAML_PARSE, message).with_primary(0, Span::new(at, at + 1), "")
}

/// Reads a rules file: `name` is only recorded; `bytes` is the file's content.
///
/// Never panics and never fails: problems are reported in
/// [`ReadResult::diagnostics`] (see the module docs for what is checked).
pub fn read_rules_file(name: &str, bytes: &[u8]) -> ReadResult {
    if u32::try_from(bytes.len()).is_err() {
        let mut r = ReadResult::new(name, String::new());
        r.diagnostics.push(Diagnostic::error(
            YAML_PARSE,
            format!(
                "file too large: {} bytes (at most {} are supported)",
                bytes.len(),
                u32::MAX
            ),
        ));
        return r;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(e) => {
            let at = e.valid_up_to();
            let mut r = ReadResult::new(name, String::from_utf8_lossy(bytes).into_owned());
            r.diagnostics.push(byte_error(
                at,
                format!("invalid UTF-8 at byte offset {at}: rules files must be UTF-8"),
            ));
            return r;
        }
    };
    let mut r = ReadResult::new(name, text);
    if let Some((at, c)) = first_forbidden_char(&r.text) {
        let what = if c == '\0' {
            "NUL byte".to_string()
        } else {
            format!("control character U+{:04X}", u32::from(c))
        };
        r.diagnostics.push(
            byte_error(
                at,
                format!("{what} at byte offset {at} is not allowed in a YAML file"),
            )
            .with_note("the file does not look like text"),
        );
        return r;
    }

    let composed = compose::compose(&r.text, &r.index);
    r.documents = composed.documents.len();
    if let Some(e) = composed.error {
        r.diagnostics.push(e);
    }
    'docs: for (di, doc) in composed.documents.into_iter().enumerate() {
        let seq = match doc.root {
            Node::Null(_) => continue,
            Node::Sequence(seq) => seq,
            _ if !doc.complete => break,
            Node::Scalar(s) => {
                r.diagnostics.push(
                    Diagnostic::error(YAML_VALIDATE, "Rules content is not yaml").with_primary(
                        0,
                        s.span(),
                        "a scalar, not a sequence of items",
                    ),
                );
                break;
            }
            Node::Mapping(m) => {
                r.diagnostics.push(
                    Diagnostic::error(YAML_VALIDATE, "Rules content is not yaml array of objects")
                        .with_primary(0, m.span, "a mapping, not a sequence of items"),
                );
                break;
            }
        };
        for (ei, element) in seq.items.into_iter().enumerate() {
            match element {
                Node::Null(_) => {}
                Node::Mapping(m) => r.items.push(Item::new(m, di, ei)),
                other => {
                    r.diagnostics.push(
                        Diagnostic::error(
                            YAML_VALIDATE,
                            "Unexpected element type. Each element should be a yaml associative array.",
                        )
                        .with_primary(0, other.span(), format!("a {}", other.kind_name())),
                    );
                    break 'docs;
                }
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_chars() {
        assert_eq!(first_forbidden_char("ab\tc\r\n"), None);
        assert_eq!(first_forbidden_char("ab\0"), Some((2, '\0')));
        assert_eq!(first_forbidden_char("é\u{7f}"), Some((2, '\u{7f}')));
        assert_eq!(first_forbidden_char("é\u{9f}"), Some((2, '\u{9f}')));
        assert_eq!(first_forbidden_char("\u{feff}x\u{85}"), None);
    }

    #[test]
    fn item_kinds() {
        let r = read_rules_file(
            "t.yaml",
            b"- rule: r\n  macro: m\n- list: l\n  items: []\n- foo: 1\n- required_engine_version: 8\n",
        );
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let kinds: Vec<_> = r.items.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                ItemKind::Macro,
                ItemKind::List,
                ItemKind::Unknown,
                ItemKind::RequiredEngineVersion
            ]
        );
        assert_eq!(r.items[0].name_str(), Some("m"));
        assert_eq!(&r.text[r.items[0].key_span.range()], "macro");
        assert_eq!(&r.text[r.items[2].key_span.range()], "foo");
    }
}
