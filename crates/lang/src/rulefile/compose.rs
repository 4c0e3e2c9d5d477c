//! From parser events to span-keeping documents.
//!
//! The tree is built with an explicit stack (no recursion over the input), nesting is
//! bounded by [`MAX_DEPTH`], aliases are expanded into copies under the budgets
//! [`MAX_ALIAS_EXPANSION_NODES`] / [`MAX_ALIAS_EXPANSION_BYTES`], and parser panics (the
//! port has a few reachable ones, e.g. a tag directly followed by `,` in a flow
//! collection) are caught and reported as YAML errors.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use libyaml_safer::{EventData, MappingStyle, Parser, SequenceStyle};

use super::node::{Entry, Mapping, Node, Null, Sequence};
use super::position::LineIndex;
use super::scalar::{Scalar, ScalarStyle};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Deepest allowed nesting of nodes: the root of a document is at depth 1, its items at
/// depth 2, and so on. The same bound as yaml-cpp 0.8's `DepthGuard<500>` (Falco fails
/// such a file too). A deeper node is a located `LOAD_ERR_YAML_PARSE` error.
pub const MAX_DEPTH: usize = 500;

/// Most nodes that alias expansion may copy in one file (billion-laughs guard).
pub const MAX_ALIAS_EXPANSION_NODES: usize = 1_000_000;

/// Most scalar bytes that alias expansion may copy in one file (billion-laughs guard).
pub const MAX_ALIAS_EXPANSION_BYTES: usize = 64 << 20;

/// The diagnostic code of every YAML-level error.
pub(crate) const YAML_PARSE: &str = "LOAD_ERR_YAML_PARSE";

/// One YAML document of the stream.
#[derive(Debug)]
pub(crate) struct Document {
    /// The root node (null for an empty document).
    pub root: Node,
    /// False when a syntax error cut the document short; `root` then holds what was
    /// complete before the error (for a sequence root: its complete items).
    pub complete: bool,
}

/// All documents read before the end of the stream or the first error.
#[derive(Debug, Default)]
pub(crate) struct Composed {
    pub documents: Vec<Document>,
    pub error: Option<Diagnostic>,
}

/// Size of a subtree, for alias budgets and depth checks.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    nodes: usize,
    bytes: usize,
    height: usize,
}

impl Stats {
    fn leaf(bytes: usize) -> Stats {
        Stats {
            nodes: 1,
            bytes,
            height: 1,
        }
    }
}

enum Body {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        key: Option<Node>,
    },
}

struct Frame {
    body: Body,
    start: usize,
    last_end: usize,
    tag: Option<String>,
    flow: bool,
    anchor: Option<String>,
    /// libyaml's block indentation of this collection (column of its first key / `-`).
    indent: i64,
    /// Accumulated stats of the children.
    children: Stats,
}

struct Composer<'t> {
    text: &'t str,
    index: &'t LineIndex,
    bom: usize,
    synthetic_eol: bool,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<String, (Node, Stats)>,
    expanded_nodes: usize,
    expanded_bytes: usize,
    out: Composed,
    last_offset: usize,
    error_offset: Option<usize>,
    all_precise: bool,
}

/// yaml-cpp's wording (`ErrorMsg` in yaml-cpp's `exceptions.h`) for the libyaml problems
/// that have a clear counterpart, so that the common syntax errors read as in Falco.
fn yaml_cpp_wording(libyaml_problem: &str) -> Option<&'static str> {
    Some(match libyaml_problem {
        "mapping values are not allowed in this context" => "illegal map value",
        "block sequence entries are not allowed in this context" => "illegal block entry",
        "found character that cannot start any token" => "unknown token",
        "found unexpected end of stream" => "illegal EOF in scalar",
        "found unexpected document indicator" => "illegal document indicator in scalar",
        "found a tab character where an indentation space is expected" => {
            "illegal tab when looking for indentation"
        }
        "found an indentation indicator equal to 0" => {
            "cannot set zero indentation for a block scalar"
        }
        "did not find expected ',' or ']'" => "end of sequence flow not found",
        "did not find expected ',' or '}'" => "end of map flow not found",
        "did not find expected '-' indicator" => "end of sequence not found",
        "did not find expected key" => "end of map not found",
        "did not find expected hexdecimal number" => {
            "bad character found while scanning hex number"
        }
        _ => return None,
    })
}

/// yaml-cpp's `IsNullString`.
fn is_null_string(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// Parses `text` (the whole file; `index` built from it) into documents.
///
/// libyaml rejects a TAB in the leading white space of a blank or comment-only line
/// ("found character that cannot start any token"); yaml-cpp skips it. On that error the
/// text is parsed once more with the leading TABs of all blank and comment-only lines
/// read as spaces (same length, so no offset moves). Such a line can only matter inside a
/// block scalar; there the marker pass, which always reads the original text, would then
/// disagree with the parser, and the original error is kept instead.
pub(crate) fn compose(text: &str, index: &LineIndex) -> Composed {
    let first = compose_with(text, text.as_bytes(), index);
    let Some(at) = first.error_offset else {
        return first.out;
    };
    if text.as_bytes().get(at) != Some(&b'\t') || !in_blank_or_comment_line(text, at) {
        return first.out;
    }
    let patched = blank_line_tabs_to_spaces(text);
    let second = compose_with(text, &patched, index);
    if second.all_precise {
        second.out
    } else {
        first.out
    }
}

/// True if the line holding byte `at` is white space, optionally followed by a comment,
/// and `at` is in its leading white space.
fn in_blank_or_comment_line(text: &str, at: usize) -> bool {
    let b = text.as_bytes();
    let start = b[..at]
        .iter()
        .rposition(|&c| c == b'\n' || c == b'\r')
        .map_or(0, |i| i + 1);
    let end = b[at..]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .map_or(b.len(), |i| at + i);
    let line = &b[start..end];
    let ws = line
        .iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    start + ws > at && (ws == line.len() || line[ws] == b'#')
}

/// `text` with the TABs in the leading white space of blank and comment-only lines
/// replaced by spaces.
fn blank_line_tabs_to_spaces(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    let mut start = 0;
    while start < out.len() {
        let end = out[start..]
            .iter()
            .position(|&c| c == b'\n' || c == b'\r')
            .map_or(out.len(), |i| start + i);
        let ws = out[start..end]
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        if start + ws == end || out[start + ws] == b'#' {
            for c in &mut out[start..start + ws] {
                *c = b' ';
            }
        }
        start = end + 1;
    }
    out
}

/// One parse of `input` (the parser's view of `text`: same length, maybe patched).
struct Pass {
    out: Composed,
    /// Offset of a parser (not composer) error.
    error_offset: Option<usize>,
    /// Every scalar's marker pass reproduced the parser's value.
    all_precise: bool,
}

fn compose_with(text: &str, input: &[u8], index: &LineIndex) -> Pass {
    // libyaml-safer panics on a block scalar that runs into the end of input without a
    // line break; appending one changes no offset of the text.
    let ends_with_break = input.ends_with(b"\n") || input.ends_with(b"\r");
    let mut owned;
    let mut input: &[u8] = if ends_with_break {
        input
    } else {
        owned = Vec::with_capacity(input.len() + 1);
        owned.extend_from_slice(input);
        owned.push(b'\n');
        &owned
    };
    let mut parser = Parser::new();
    parser.set_input_string(&mut input);
    let mut c = Composer {
        text,
        index,
        bom: index.bom_len(),
        synthetic_eol: !ends_with_break,
        stack: Vec::new(),
        root: None,
        anchors: HashMap::new(),
        expanded_nodes: 0,
        expanded_bytes: 0,
        out: Composed::default(),
        last_offset: 0,
        error_offset: None,
        all_precise: true,
    };
    loop {
        let event = match catch_unwind(AssertUnwindSafe(|| parser.parse())) {
            Ok(Ok(event)) => event,
            Ok(Err(e)) => {
                c.error_offset = Some(
                    e.problem_mark()
                        .map_or(c.last_offset, |m| c.offset(m.index)),
                );
                let diag = c.parser_error(&e);
                c.fail(diag);
                break;
            }
            Err(_) => {
                let at = c.last_offset;
                let diag = c.error_at(
                    at,
                    "the YAML parser failed on this input (internal error)".to_string(),
                );
                c.fail(diag);
                break;
            }
        };
        let start = c.offset(event.start_mark.index);
        let end = c.offset(event.end_mark.index).max(start);
        c.last_offset = end;
        let step = match event.data {
            EventData::StreamEnd => break,
            EventData::StreamStart { .. } | EventData::DocumentStart { .. } => Ok(()),
            EventData::DocumentEnd { .. } => {
                // Anchors are local to their document.
                c.anchors.clear();
                let root = c.root.take().unwrap_or(Node::Null(Null {
                    span: Span::new(start, start),
                }));
                c.out.documents.push(Document {
                    root,
                    complete: true,
                });
                Ok(())
            }
            EventData::Alias { anchor } => c.alias(&anchor, start),
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => c.scalar(anchor, tag, value, style, start, end),
            EventData::SequenceStart {
                anchor, tag, style, ..
            } => c.open(
                Body::Seq(Vec::new()),
                anchor,
                tag,
                style == SequenceStyle::Flow,
                start,
                event.end_mark.column,
            ),
            EventData::MappingStart {
                anchor, tag, style, ..
            } => c.open(
                Body::Map {
                    entries: Vec::new(),
                    key: None,
                },
                anchor,
                tag,
                style == MappingStyle::Flow,
                start,
                event.end_mark.column,
            ),
            EventData::SequenceEnd | EventData::MappingEnd => {
                c.close(end);
                Ok(())
            }
        };
        if let Err(diag) = step {
            c.fail(*diag);
            break;
        }
    }
    Pass {
        out: c.out,
        error_offset: c.error_offset,
        all_precise: c.all_precise,
    }
}

impl Composer<'_> {
    fn offset(&self, index: u64) -> usize {
        usize::try_from(index)
            .unwrap_or(usize::MAX)
            .saturating_add(self.bom)
            .min(self.text.len())
    }

    /// A `LOAD_ERR_YAML_PARSE` error at byte `at`, message in yaml-cpp's format
    /// (`error at line L, column C: ...`, 1-based, byte columns).
    fn error_at(&self, at: usize, problem: String) -> Diagnostic {
        let m = self.index.mark(at);
        let mut end = (at + 1).min(self.text.len());
        while end < self.text.len() && !self.text.is_char_boundary(end) {
            end += 1;
        }
        Diagnostic::error(
            YAML_PARSE,
            format!(
                "error at line {}, column {}: {}",
                m.line + 1,
                m.column + 1,
                problem
            ),
        )
        .with_primary(0, Span::new(at, end.max(at)), "")
    }

    fn parser_error(&self, e: &libyaml_safer::Error) -> Diagnostic {
        let at = e
            .problem_mark()
            .map_or(self.last_offset, |m| self.offset(m.index));
        let problem = e.problem();
        let mut diag = match yaml_cpp_wording(problem) {
            Some(msg) => self
                .error_at(at, msg.to_string())
                .with_note(format!("libyaml: {problem}")),
            None => self.error_at(at, problem.to_string()),
        };
        if let (Some(context), Some(mark)) = (e.context(), e.context_mark()) {
            let c = self.offset(mark.index);
            let (line, col) = self.index.line_col(self.text, c);
            diag = diag
                .with_secondary(0, Span::new(c, c), context)
                .with_note(format!("{context} (line {line}, column {col})"));
        }
        diag
    }

    /// Records the first error and keeps what was complete before it.
    fn fail(&mut self, diag: Diagnostic) {
        self.out.error = Some(diag);
        let partial = match (self.root.take(), self.stack.drain(..).next()) {
            (Some(root), _) => Some(root),
            (
                None,
                Some(Frame {
                    body: Body::Seq(items),
                    start,
                    last_end,
                    tag,
                    flow,
                    ..
                }),
            ) => Some(Node::Sequence(Sequence {
                span: Span::new(start, last_end.max(start)),
                tag,
                flow,
                items,
            })),
            _ => None,
        };
        if let Some(root) = partial {
            self.out.documents.push(Document {
                root,
                complete: false,
            });
        }
    }

    fn check_depth(&self, height: usize, at: usize) -> Result<(), Box<Diagnostic>> {
        if self.stack.len() + height > MAX_DEPTH {
            return Err(Box::new(self.error_at(
                at,
                format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
            )));
        }
        Ok(())
    }

    /// Adds a finished node to its parent (or makes it the document root).
    fn push(&mut self, node: Node, stats: Stats) {
        let end = node.span().end as usize;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(frame) => {
                frame.last_end = frame.last_end.max(end);
                frame.children.nodes += stats.nodes;
                frame.children.bytes += stats.bytes;
                frame.children.height = frame.children.height.max(stats.height);
                match &mut frame.body {
                    Body::Seq(items) => items.push(node),
                    Body::Map { entries, key } => match key.take() {
                        Some(k) => entries.push(Entry {
                            key: k,
                            value: node,
                        }),
                        None => *key = Some(node),
                    },
                }
            }
        }
    }

    fn register(&mut self, anchor: Option<String>, node: &Node, stats: Stats) {
        if let Some(name) = anchor {
            self.anchors.insert(name, (node.clone(), stats));
        }
    }

    fn parent_indent(&self) -> i64 {
        self.stack
            .iter()
            .rev()
            .find(|f| !f.flow)
            .map_or(-1, |f| f.indent)
    }

    fn scalar(
        &mut self,
        anchor: Option<String>,
        tag: Option<String>,
        value: String,
        style: libyaml_safer::ScalarStyle,
        start: usize,
        end: usize,
    ) -> Result<(), Box<Diagnostic>> {
        self.check_depth(1, start)?;
        let style = match style {
            libyaml_safer::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            libyaml_safer::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            libyaml_safer::ScalarStyle::Literal => ScalarStyle::Literal,
            libyaml_safer::ScalarStyle::Folded => ScalarStyle::Folded,
            _ => ScalarStyle::Plain,
        };
        let stats = Stats::leaf(value.len());
        let node = if style == ScalarStyle::Plain && tag.is_none() && is_null_string(&value) {
            Node::Null(Null {
                span: Span::new(start, end),
            })
        } else {
            let s = Scalar::from_event(
                self.text,
                (start, end),
                style,
                tag,
                self.parent_indent(),
                value,
                self.synthetic_eol,
            );
            self.all_precise &= s.is_precise();
            Node::Scalar(s)
        };
        self.register(anchor, &node, stats);
        self.push(node, stats);
        Ok(())
    }

    fn alias(&mut self, name: &str, start: usize) -> Result<(), Box<Diagnostic>> {
        if self.stack.iter().any(|f| f.anchor.as_deref() == Some(name)) {
            return Err(Box::new(self.error_at(
                start,
                format!("alias '*{name}' refers to a node that contains it"),
            )));
        }
        let Some((node, stats)) = self.anchors.get(name) else {
            return Err(Box::new(self.error_at(
                start,
                format!("the referenced anchor is not defined: {name}"),
            )));
        };
        let (node, stats) = (node.clone(), *stats);
        self.check_depth(stats.height, start)?;
        self.expanded_nodes = self.expanded_nodes.saturating_add(stats.nodes);
        self.expanded_bytes = self.expanded_bytes.saturating_add(stats.bytes);
        if self.expanded_nodes > MAX_ALIAS_EXPANSION_NODES
            || self.expanded_bytes > MAX_ALIAS_EXPANSION_BYTES
        {
            return Err(Box::new(self.error_at(
                start,
                format!(
                    "alias expansion exceeds the limit of {MAX_ALIAS_EXPANSION_NODES} nodes / \
                     {MAX_ALIAS_EXPANSION_BYTES} bytes"
                ),
            )));
        }
        self.push(node, stats);
        Ok(())
    }

    fn open(
        &mut self,
        body: Body,
        anchor: Option<String>,
        tag: Option<String>,
        flow: bool,
        start: usize,
        indent_column: u64,
    ) -> Result<(), Box<Diagnostic>> {
        self.check_depth(1, start)?;
        self.stack.push(Frame {
            body,
            start,
            last_end: start,
            tag,
            flow,
            anchor,
            indent: i64::try_from(indent_column).unwrap_or(i64::MAX),
            children: Stats::default(),
        });
        Ok(())
    }

    fn close(&mut self, end: usize) {
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        let end = if frame.flow { end } else { frame.last_end };
        let span = Span::new(frame.start, end.max(frame.start));
        // Collections are small and many; give back the growth slack.
        match &mut frame.body {
            Body::Seq(items) => items.shrink_to_fit(),
            Body::Map { entries, .. } => entries.shrink_to_fit(),
        }
        let node = match frame.body {
            Body::Seq(items) => Node::Sequence(Sequence {
                span,
                tag: frame.tag,
                flow: frame.flow,
                items,
            }),
            Body::Map { entries, .. } => Node::Mapping(Mapping {
                span,
                tag: frame.tag,
                flow: frame.flow,
                entries,
            }),
        };
        let stats = Stats {
            nodes: frame.children.nodes + 1,
            bytes: frame.children.bytes,
            height: frame.children.height + 1,
        };
        self.register(frame.anchor, &node, stats);
        self.push(node, stats);
    }
}
