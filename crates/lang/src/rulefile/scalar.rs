//! Scalars that know where every byte of their decoded value comes from.
//!
//! The YAML parser hands us a scalar's decoded value and the byte range of the whole
//! scalar in the file. To map an offset *inside the value* back to the file, this module
//! re-scans that byte range itself (the "marker pass") and decodes the scalar again,
//! recording for every run of value bytes the source bytes it came from:
//!
//! * **verbatim** runs are copied unchanged from the source (every ordinary character,
//!   the spaces between words of one line, the content of block-scalar lines), so value
//!   byte `i` of the run is source byte `src + (i - start)`;
//! * **produced** runs are made by the YAML syntax rather than copied: an escape
//!   (`\n`, `\x41`, `\u00e9`, `''`), a line break turned into `\n`, a line folded into a
//!   space. All their bytes map to the first byte of the source text that produced them
//!   (the backslash, the quote pair, the line break).
//!
//! The decoder follows the scanner of libyaml (the parser we use, see `rulefile`)
//! rule for rule: line breaks are CR LF, CR, LF, NEL, LS and PS; leading and trailing
//! white space around a line break is dropped in flow scalars; the first line break of a
//! run folds to a space and each further one is kept; escaped line breaks vanish; block
//! scalars use the explicit or auto-detected indentation, chomping and (for `>`) folding
//! of non-indented lines. The re-decoded value is then compared with the parser's value:
//! on the (never observed) mismatch the parser's value is kept and every offset maps to
//! the start of the scalar's content ([`Scalar::is_precise`] is then false).

use crate::span::Span;

/// How a scalar is written in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    /// Unquoted (`condition: a and b`), possibly over several lines.
    Plain,
    /// `'...'`, where `''` stands for `'`.
    SingleQuoted,
    /// `"..."`, with backslash escapes.
    DoubleQuoted,
    /// `|` block scalar: lines kept as written.
    Literal,
    /// `>` block scalar: lines folded into spaces.
    Folded,
}

impl ScalarStyle {
    /// True for the two block styles (`|` and `>`).
    pub fn is_block(self) -> bool {
        matches!(self, ScalarStyle::Literal | ScalarStyle::Folded)
    }
}

/// A run of value bytes and where it comes from in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    /// Offset of the run in the value.
    val: u32,
    /// Length of the run in the value.
    len: u32,
    /// Offset in the source of the first byte that produced the run.
    src: u32,
    /// Number of source bytes that produced the run.
    src_len: u32,
    /// The run is a copy of `src..src + len`.
    verbatim: bool,
}

/// The value-to-source map of a scalar, compact in the common cases.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SegMap {
    /// Empty value, or the marker pass failed.
    Empty,
    /// The whole value is a copy of the source from this offset (single-line scalars).
    Identity(u32),
    /// General case, sorted by value offset.
    Segs(Box<[Seg]>),
}

/// A scalar node: its decoded value, style, tag and position, and a map from every
/// byte of the value back to the source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    value: String,
    tag: Option<Box<str>>,
    span: Span,
    map: ValueMap,
    style: ScalarStyle,
    precise: bool,
}

/// Where each byte of a scalar's value comes from in the file: what a derived text (a
/// condition, an output) needs to point back into the source, without the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueMap {
    /// Length of the value.
    len: usize,
    /// The scalar's content span (inside quotes and block headers).
    content: Span,
    segs: SegMap,
}

impl Scalar {
    /// The decoded value (escapes resolved, lines folded, indentation removed).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The style the scalar is written in.
    pub fn style(&self) -> ScalarStyle {
        self.style
    }

    /// The YAML tag as the parser resolved it (`!!str` is `tag:yaml.org,2002:str`,
    /// `!foo` is `!foo`), if the scalar has one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The whole scalar in the source: from its first property (tag or anchor) or, without
    /// properties, its first character (opening quote, block indicator `|`/`>`, first
    /// plain character) to the end of its content (closing quote, last plain character;
    /// for a block scalar the end of its last content line or of the last line break its
    /// chomping keeps). `span().start` is where yaml-cpp puts the node's mark.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The source bytes the value is decoded from: between the quotes, the plain text, or
    /// the content lines of a block scalar (from the first content line's indentation to
    /// the end of [`Scalar::span`]).
    pub fn content_span(&self) -> Span {
        self.map.content
    }

    /// The value-to-source map of this scalar (cheap to copy for single-line scalars).
    pub fn value_map(&self) -> ValueMap {
        self.map.clone()
    }

    /// False if the marker pass could not reproduce the parser's value; then every
    /// offset maps to `content_span().start`. Never observed on real files.
    pub fn is_precise(&self) -> bool {
        self.precise
    }

    /// The byte offset in the file of byte `value_offset` of [`Scalar::value`]; see
    /// [`ValueMap::source_offset`].
    pub fn source_offset(&self, value_offset: usize) -> usize {
        self.map.source_offset(value_offset)
    }

    /// The source span of the value bytes `range`; see [`ValueMap::source_span`].
    pub fn source_span(&self, range: std::ops::Range<usize>) -> Span {
        self.map.source_span(range)
    }

    /// True if byte `value_offset` of the value is a copy of a source byte; see
    /// [`ValueMap::is_verbatim`].
    pub fn is_verbatim(&self, value_offset: usize) -> bool {
        self.map.is_verbatim(value_offset)
    }

    /// Builds a scalar from a parser event and the source.
    ///
    /// * `text`: the whole file; `start..end`: the event's byte range (properties
    ///   included; for block scalars from the properties or indicator to after the
    ///   trailing line breaks);
    /// * `parent_indent`: libyaml's block indentation at the scalar (column of the
    ///   innermost enclosing block collection, -1 at top level), needed for explicit
    ///   indentation indicators;
    /// * `parsed`: the parser's decoded value, the reference the marker pass must match;
    /// * `synthetic_eol`: the parser saw a `\n` appended to a file that did not end with a
    ///   line break (a block scalar running to the end of such a file then has one `\n`
    ///   more in `parsed` than yaml-cpp gives; the marker pass' value wins).
    pub(crate) fn from_event(
        text: &str,
        (start, end): (usize, usize),
        style: ScalarStyle,
        tag: Option<String>,
        parent_indent: i64,
        parsed: String,
        synthetic_eol: bool,
    ) -> Scalar {
        let end = end.clamp(start, text.len());
        // The marker pass checks each piece it decodes against the parser's value as it
        // goes (so it builds no second copy), and agrees when it produced all of it, or
        // all but the line break libyaml adds at the end of a text without one.
        if let Some(d) = decode(text, &parsed, start, end, style, parent_indent) {
            let same = d.len == parsed.len()
                || (synthetic_eol
                    && d.at_eof
                    && parsed.len() == d.len + 1
                    && parsed.ends_with('\n'));
            if same && u32::try_from(text.len()).is_ok() {
                let segs = match (d.first, d.rest.is_empty()) {
                    (None, _) => SegMap::Empty,
                    (Some(one), true)
                        if one.verbatim && one.val == 0 && one.len as usize == d.len =>
                    {
                        SegMap::Identity(one.src)
                    }
                    (Some(one), _) => {
                        let mut all = Vec::with_capacity(1 + d.rest.len());
                        all.push(one);
                        all.extend(d.rest);
                        SegMap::Segs(all.into_boxed_slice())
                    }
                };
                let mut value = parsed;
                value.truncate(d.len);
                return Scalar {
                    map: ValueMap {
                        len: value.len(),
                        content: d.content,
                        segs,
                    },
                    value,
                    style,
                    tag: tag.map(String::into_boxed_str),
                    span: Span::new(start, d.span_end.max(start)),
                    precise: true,
                };
            }
        }
        let content_start = skip_properties(text.as_bytes(), start, end);
        Scalar {
            map: ValueMap {
                len: parsed.len(),
                content: Span::new(content_start, end),
                segs: SegMap::Empty,
            },
            value: parsed,
            style,
            tag: tag.map(String::into_boxed_str),
            span: Span::new(start, end),
            precise: false,
        }
    }
}

impl ValueMap {
    fn seg_at(&self, value_offset: usize) -> Option<Seg> {
        let i = u32::try_from(value_offset).ok()?;
        let seg = match &self.segs {
            SegMap::Empty => return None,
            SegMap::Identity(src) => {
                let len = u32::try_from(self.len).ok()?;
                Seg {
                    val: 0,
                    len,
                    src: *src,
                    src_len: len,
                    verbatim: true,
                }
            }
            SegMap::Segs(segs) => {
                let idx = segs.partition_point(|s| s.val <= i);
                *segs.get(idx.checked_sub(1)?)?
            }
        };
        (i < seg.val + seg.len).then_some(seg)
    }

    /// The byte offset in the file of byte `value_offset` of the value.
    ///
    /// For a verbatim byte this is the very byte it was copied from; for a byte produced by
    /// an escape, a folded line or a normalised line break it is the first byte of that
    /// escape (the `\`), quote pair or line break. `value_offset >= value().len()` maps to
    /// the end of the content (e.g. the closing quote).
    pub fn source_offset(&self, value_offset: usize) -> usize {
        if value_offset >= self.len {
            return self.content.end as usize;
        }
        match self.seg_at(value_offset) {
            Some(seg) if seg.verbatim => (seg.src + (value_offset as u32 - seg.val)) as usize,
            Some(seg) => seg.src as usize,
            None => self.content.start as usize,
        }
    }

    /// The source span of the value bytes `range` (byte offsets into the value): from the
    /// source of its first byte to the end of the source of its last byte. An empty range
    /// gives an empty span at [`ValueMap::source_offset`] of its start.
    pub fn source_span(&self, range: std::ops::Range<usize>) -> Span {
        let start = self.source_offset(range.start);
        if range.end <= range.start {
            return Span::new(start, start);
        }
        let last = range.end - 1;
        let end = if last >= self.len {
            self.content.end as usize
        } else {
            match self.seg_at(last) {
                Some(seg) if seg.verbatim => (seg.src + (last as u32 - seg.val) + 1) as usize,
                Some(seg) => (seg.src + seg.src_len) as usize,
                None => self.content.end as usize,
            }
        };
        Span::new(start, end.max(start))
    }

    /// True if byte `value_offset` of the value is a copy of the source byte at
    /// [`ValueMap::source_offset`] (false for bytes produced by escapes, folding or line
    /// break normalisation, and for offsets past the end).
    pub fn is_verbatim(&self, value_offset: usize) -> bool {
        self.seg_at(value_offset).is_some_and(|s| s.verbatim)
    }
}

/// Result of the marker pass.
struct Decoded {
    /// Length of the decoded value (a prefix of the parser's value).
    len: usize,
    /// The first segment, kept apart so that a one-segment scalar allocates nothing.
    first: Option<Seg>,
    /// The segments after the first.
    rest: Vec<Seg>,
    content: Span,
    span_end: usize,
    /// The scalar runs to the end of a text that does not end with a line break.
    at_eof: bool,
}

/// A line break in the source and what it reads as.
#[derive(Debug, Clone, Copy)]
struct Brk {
    pos: usize,
    len: usize,
    /// `"\n"` for CR LF, CR, LF and NEL; the character itself for LS and PS.
    text: &'static str,
}

impl Brk {
    fn is_newline(self) -> bool {
        self.text == "\n"
    }
}

/// The line break at `p`, if any (libyaml's `IS_BREAK` / `READ_LINE`).
fn break_at(b: &[u8], p: usize) -> Option<Brk> {
    let (len, text) = match b.get(p..)? {
        [b'\r', b'\n', ..] => (2, "\n"),
        [b'\r', ..] | [b'\n', ..] => (1, "\n"),
        [0xC2, 0x85, ..] => (2, "\n"),
        [0xE2, 0x80, 0xA8, ..] => (3, "\u{2028}"),
        [0xE2, 0x80, 0xA9, ..] => (3, "\u{2029}"),
        _ => return None,
    };
    Some(Brk { pos: p, len, text })
}

fn is_blank(b: &[u8], p: usize) -> bool {
    matches!(b.get(p), Some(b' ' | b'\t'))
}

/// Length of the UTF-8 character starting at `p` (1 for a stray continuation byte).
fn char_len(b: &[u8], p: usize) -> usize {
    match b.get(p) {
        Some(&c) if c >= 0xF0 => 4,
        Some(&c) if c >= 0xE0 => 3,
        Some(&c) if c >= 0xC0 => 2,
        _ => 1,
    }
}

/// The end of the run of characters from `p` (before `end`) that are neither blank nor a
/// line break, and, with `stop_quoted`, none of `'`, `"` and `\\`. Only the ASCII
/// specials and the lead bytes of NEL, LS and PS (0xC2, 0xE2) need a closer look, so
/// the scan goes byte by byte and stays on character boundaries.
fn ordinary_run(b: &[u8], mut p: usize, end: usize, stop_quoted: bool) -> usize {
    let end = end.min(b.len());
    while p < end {
        match b[p] {
            b' ' | b'\t' | b'\r' | b'\n' => break,
            b'\'' | b'"' | b'\\' if stop_quoted => break,
            0xC2 | 0xE2 if break_at(b, p).is_some() => break,
            _ => p += 1,
        }
    }
    p
}

/// Skips node properties (tag `!…`, anchor `&…`) and the white space, comments and line
/// breaks after them; returns the offset of the scalar's first character.
fn skip_properties(b: &[u8], mut p: usize, end: usize) -> usize {
    while p < end {
        match b[p] {
            b'!' | b'&' => {
                while p < end && !is_blank(b, p) && break_at(b, p).is_none() {
                    p += 1;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => p += 1,
            b'#' => {
                while p < end && break_at(b, p).is_none() {
                    p += 1;
                }
            }
            _ => match break_at(b, p) {
                Some(brk) => p += brk.len,
                None => break,
            },
        }
    }
    p
}

/// Follows the decoded value against the parser's and builds its segment map.
struct Out<'a> {
    src: &'a str,
    /// The parser's value: every decoded piece must continue it.
    expected: &'a str,
    /// Bytes of `expected` decoded so far.
    len: usize,
    first: Option<Seg>,
    rest: Vec<Seg>,
}

impl<'a> Out<'a> {
    /// An empty value for a scalar of `src` that the parser read as `expected`.
    fn new(src: &'a str, expected: &'a str) -> Out<'a> {
        Out {
            src,
            expected,
            len: 0,
            first: None,
            rest: Vec::new(),
        }
    }

    /// Appends `piece` to the value; `None` if the parser's value does not go on so.
    fn append(&mut self, piece: &str) -> Option<()> {
        let end = self.len.checked_add(piece.len())?;
        if self.expected.as_bytes().get(self.len..end)? != piece.as_bytes() {
            return None;
        }
        self.len = end;
        Some(())
    }

    fn last_seg(&self) -> Option<&Seg> {
        self.rest.last().or(self.first.as_ref())
    }

    fn last_seg_mut(&mut self) -> Option<&mut Seg> {
        match self.rest.last_mut() {
            Some(last) => Some(last),
            None => self.first.as_mut(),
        }
    }

    fn push_seg(&mut self, seg: Seg) {
        if self.first.is_none() {
            self.first = Some(seg);
        } else {
            self.rest.push(seg);
        }
    }

    /// The result, with the spans the caller computed.
    fn finish(self, content: Span, span_end: usize, at_eof: bool) -> Decoded {
        Decoded {
            len: self.len,
            first: self.first,
            rest: self.rest,
            content,
            span_end,
            at_eof,
        }
    }

    /// Copies `src[start..end]` into the value.
    fn verbatim(&mut self, start: usize, end: usize) -> Option<()> {
        if start >= end {
            return Some(());
        }
        let piece = self.src.get(start..end)?;
        let val = u32::try_from(self.len).ok()?;
        let n = u32::try_from(end - start).ok()?;
        let src = u32::try_from(start).ok()?;
        self.append(piece)?;
        if let Some(last) = self.last_seg_mut() {
            if last.verbatim && last.val + last.len == val && last.src + last.src_len == src {
                last.len += n;
                last.src_len += n;
                return Some(());
            }
        }
        self.push_seg(Seg {
            val,
            len: n,
            src,
            src_len: n,
            verbatim: true,
        });
        Some(())
    }

    /// Appends `text`, produced by the `src_len` source bytes at `src`.
    fn produced(&mut self, text: &str, src: usize, src_len: usize) -> Option<()> {
        if text.is_empty() {
            return Some(());
        }
        let seg = Seg {
            val: u32::try_from(self.len).ok()?,
            len: u32::try_from(text.len()).ok()?,
            src: u32::try_from(src).ok()?,
            src_len: u32::try_from(src_len).ok()?,
            verbatim: false,
        };
        self.append(text)?;
        self.push_seg(seg);
        Some(())
    }

    fn brk(&mut self, brk: Brk) -> Option<()> {
        self.produced(brk.text, brk.pos, brk.len)
    }

    /// Joins the line-break run of a flow or plain scalar (libyaml's folding rule): the
    /// first break becomes a space if no further break follows, otherwise it is dropped
    /// and every further break is kept; an LS/PS first break is kept as is.
    fn fold(&mut self, leading: Option<Brk>, trailing: &mut Vec<Brk>) -> Option<()> {
        match leading {
            // A single line break folds into a space; before more breaks it vanishes.
            Some(l) if l.is_newline() && trailing.is_empty() => self.produced(" ", l.pos, l.len)?,
            Some(l) if l.is_newline() => {}
            Some(l) => self.brk(l)?,
            None => {}
        }
        for t in trailing.drain(..) {
            self.brk(t)?;
        }
        Some(())
    }
}

fn decode(
    text: &str,
    expected: &str,
    start: usize,
    end: usize,
    style: ScalarStyle,
    indent: i64,
) -> Option<Decoded> {
    let b = text.as_bytes();
    let p0 = skip_properties(b, start, end);
    match style {
        ScalarStyle::Plain => decode_plain(text, expected, p0, end),
        ScalarStyle::SingleQuoted => decode_quoted(text, expected, p0, end, true),
        ScalarStyle::DoubleQuoted => decode_quoted(text, expected, p0, end, false),
        ScalarStyle::Literal => decode_block(text, expected, p0, true, indent),
        ScalarStyle::Folded => decode_block(text, expected, p0, false, indent),
    }
}

/// Plain scalar: `p0..end` is exactly the scalar (libyaml ends it after its last
/// non-blank character).
fn decode_plain(text: &str, expected: &str, p0: usize, end: usize) -> Option<Decoded> {
    let b = text.as_bytes();
    let mut out = Out::new(text, expected);
    let mut p = p0;
    let mut leading_blanks = false;
    let mut ws: Option<(usize, usize)> = None;
    let mut leading: Option<Brk> = None;
    let mut trailing: Vec<Brk> = Vec::new();
    while p < end {
        if is_blank(b, p) {
            if !leading_blanks {
                ws = Some((ws.map_or(p, |w| w.0), p + 1));
            }
            p += 1;
        } else if let Some(brk) = break_at(b, p) {
            if leading_blanks {
                trailing.push(brk);
            } else {
                ws = None;
                leading = Some(brk);
                leading_blanks = true;
            }
            p += brk.len;
        } else {
            if leading_blanks {
                out.fold(leading.take(), &mut trailing)?;
                leading_blanks = false;
            } else if let Some((s, e)) = ws.take() {
                out.verbatim(s, e)?;
            }
            // The run of characters up to the next blank or line break, copied at once.
            let run = p;
            p = ordinary_run(b, p + char_len(b, p), end, false);
            out.verbatim(run, p)?;
        }
    }
    if p != end {
        return None;
    }
    Some(out.finish(Span::new(p0, end), end, false))
}

/// Decodes the escape sequence at `p` (a backslash not followed by a line break).
/// Returns the produced text and the length of the escape in the source.
fn escape(text: &str, p: usize) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let c = *b.get(p + 1)?;
    let simple = match c {
        b'0' => Some('\0'),
        b'a' => Some('\x07'),
        b'b' => Some('\x08'),
        b't' | b'\t' => Some('\t'),
        b'n' => Some('\n'),
        b'v' => Some('\x0B'),
        b'f' => Some('\x0C'),
        b'r' => Some('\r'),
        b'e' => Some('\x1B'),
        b' ' => Some(' '),
        b'"' => Some('"'),
        b'/' => Some('/'),
        b'\\' => Some('\\'),
        b'N' => Some('\u{85}'),
        b'_' => Some('\u{a0}'),
        b'L' => Some('\u{2028}'),
        b'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        return Some((ch.to_string(), 2));
    }
    let digits = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        _ => return None,
    };
    let hex = text.get(p + 2..p + 2 + digits)?;
    if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
        return None;
    }
    let code = u32::from_str_radix(hex, 16).ok()?;
    Some((char::from_u32(code)?.to_string(), 2 + digits))
}

/// Single- or double-quoted scalar starting with its quote at `q`; `end` is just past the
/// closing quote.
fn decode_quoted(
    text: &str,
    expected: &str,
    q: usize,
    end: usize,
    single: bool,
) -> Option<Decoded> {
    let b = text.as_bytes();
    let quote = if single { b'\'' } else { b'"' };
    if b.get(q) != Some(&quote) {
        return None;
    }
    let mut out = Out::new(text, expected);
    let mut p = q + 1;
    let mut leading: Option<Brk> = None;
    let mut trailing: Vec<Brk> = Vec::new();
    loop {
        if p >= b.len() {
            return None;
        }
        let mut leading_blanks = false;
        // Non-blank characters.
        while p < b.len() && !is_blank(b, p) && break_at(b, p).is_none() {
            if single && b[p] == b'\'' && b.get(p + 1) == Some(&b'\'') {
                out.produced("'", p, 2)?;
                p += 2;
            } else if b[p] == quote {
                break;
            } else if !single && b[p] == b'\\' {
                if let Some(brk) = break_at(b, p + 1) {
                    // Escaped line break: produces nothing.
                    p += 1 + brk.len;
                    leading_blanks = true;
                    break;
                }
                let (s, n) = escape(text, p)?;
                out.produced(&s, p, n)?;
                p += n;
            } else {
                // The run of ordinary characters up to the next quote, backslash, blank
                // or line break, copied at once.
                let run = p;
                p = ordinary_run(b, p + char_len(b, p), b.len(), true);
                out.verbatim(run, p)?;
            }
        }
        if b.get(p) == Some(&quote) {
            break;
        }
        // Blanks and line breaks.
        let mut ws: Option<(usize, usize)> = None;
        loop {
            if is_blank(b, p) {
                if !leading_blanks {
                    ws = Some((ws.map_or(p, |w| w.0), p + 1));
                }
                p += 1;
            } else if let Some(brk) = break_at(b, p) {
                if leading_blanks {
                    trailing.push(brk);
                } else {
                    ws = None;
                    leading = Some(brk);
                    leading_blanks = true;
                }
                p += brk.len;
            } else {
                break;
            }
        }
        if leading_blanks {
            out.fold(leading.take(), &mut trailing)?;
        } else if let Some((s, e)) = ws {
            out.verbatim(s, e)?;
        }
    }
    if p + 1 != end {
        return None;
    }
    Some(out.finish(Span::new(q + 1, p), end, false))
}

/// Block scalar whose indicator (`|` or `>`) is at `h`. `parent` is libyaml's block
/// indentation at the scalar.
fn decode_block(
    text: &str,
    expected: &str,
    h: usize,
    literal: bool,
    parent: i64,
) -> Option<Decoded> {
    let b = text.as_bytes();
    let indicator = if literal { b'|' } else { b'>' };
    if b.get(h) != Some(&indicator) {
        return None;
    }
    let mut p = h + 1;
    // Header: chomping and indentation indicators, in either order.
    let mut chomping = 0i8;
    let mut increment = 0i64;
    let chomp = |c: Option<&u8>| match c {
        Some(b'+') => Some(1i8),
        Some(b'-') => Some(-1i8),
        _ => None,
    };
    let digit = |c: Option<&u8>| match c {
        Some(d @ b'0'..=b'9') => Some(i64::from(d - b'0')),
        _ => None,
    };
    if let Some(c) = chomp(b.get(p)) {
        chomping = c;
        p += 1;
        if let Some(d) = digit(b.get(p)) {
            if d == 0 {
                return None;
            }
            increment = d;
            p += 1;
        }
    } else if let Some(d) = digit(b.get(p)) {
        if d == 0 {
            return None;
        }
        increment = d;
        p += 1;
        if let Some(c) = chomp(b.get(p)) {
            chomping = c;
            p += 1;
        }
    }
    while is_blank(b, p) {
        p += 1;
    }
    if b.get(p) == Some(&b'#') {
        while p < b.len() && break_at(b, p).is_none() {
            p += 1;
        }
    }
    let header_end = p;
    match break_at(b, p) {
        Some(brk) => p += brk.len,
        None if p >= b.len() => {}
        None => return None,
    }

    let mut indent: i64 = if increment > 0 {
        if parent >= 0 {
            parent + increment
        } else {
            increment
        }
    } else {
        0
    };
    let mut out = Out::new(text, expected);
    let mut trailing: Vec<Brk> = Vec::new();
    let mut leading: Option<Brk> = None;
    let mut leading_blank = false;
    let mut col: i64 = 0;
    let mut content_start: Option<usize> = None;
    let mut content_end = header_end;

    // libyaml's `scan_block_scalar_breaks`: indentation and empty lines.
    let breaks = |p: &mut usize, col: &mut i64, indent: &mut i64, trailing: &mut Vec<Brk>| {
        let mut max_indent = 0i64;
        loop {
            while (*indent == 0 || *col < *indent) && b.get(*p) == Some(&b' ') {
                *p += 1;
                *col += 1;
            }
            max_indent = max_indent.max(*col);
            if (*indent == 0 || *col < *indent) && b.get(*p) == Some(&b'\t') {
                return None;
            }
            match break_at(b, *p) {
                Some(brk) => {
                    trailing.push(brk);
                    *p += brk.len;
                    *col = 0;
                }
                None => break,
            }
        }
        if *indent == 0 {
            *indent = max_indent.max(parent + 1).max(1);
        }
        Some(())
    };

    breaks(&mut p, &mut col, &mut indent, &mut trailing)?;
    while col == indent && p < b.len() {
        let trailing_blank = is_blank(b, p);
        let folds = !literal && !leading_blank && !trailing_blank;
        match leading.take() {
            Some(l) if folds && l.is_newline() && trailing.is_empty() => {
                out.produced(" ", l.pos, l.len)?
            }
            Some(l) if folds && l.is_newline() => {}
            Some(l) => out.brk(l)?,
            None => {}
        }
        for t in trailing.drain(..) {
            out.brk(t)?;
        }
        leading_blank = is_blank(b, p);
        let line_start = p;
        // Blanks are content here: scan to the line break.
        while p < b.len() {
            p = ordinary_run(b, p, b.len(), false);
            if p < b.len() && is_blank(b, p) {
                p += 1;
            } else {
                break;
            }
        }
        content_start.get_or_insert(line_start - col as usize);
        out.verbatim(line_start, p)?;
        content_end = p;
        if let Some(brk) = break_at(b, p) {
            leading = Some(brk);
            p += brk.len;
        }
        col = 0;
        breaks(&mut p, &mut col, &mut indent, &mut trailing)?;
    }
    if chomping != -1 {
        if let Some(l) = leading {
            out.brk(l)?;
        }
    }
    if chomping == 1 {
        for t in trailing.drain(..) {
            out.brk(t)?;
        }
    }
    let at_eof = p >= b.len() && !text.ends_with(['\n', '\r']);
    let cs = content_start.unwrap_or(header_end);
    // Kept line breaks belong to the scalar too.
    let used_end = out.last_seg().map_or(0, |s| (s.src + s.src_len) as usize);
    let end = content_end.max(used_end).max(cs);
    Some(out.finish(Span::new(cs, end), end, at_eof))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes the scalar whose source is all of `src`, against the expected value.
    fn check(src: &str, style: ScalarStyle, parent: i64, expected: &str) -> Scalar {
        let s = Scalar::from_event(
            src,
            (0, src.len()),
            style,
            None,
            parent,
            expected.to_string(),
            false,
        );
        assert!(
            s.is_precise(),
            "not precise: {src:?} -> expected {expected:?}"
        );
        assert_eq!(s.value(), expected);
        for i in 0..expected.len() {
            if s.is_verbatim(i) {
                assert_eq!(
                    src.as_bytes()[s.source_offset(i)],
                    expected.as_bytes()[i],
                    "{src:?} at value offset {i}"
                );
            }
        }
        s
    }

    #[test]
    fn plain_folding() {
        let s = check("a  b\n   c\n\n  d", ScalarStyle::Plain, 0, "a  b c\nd");
        assert_eq!(s.source_offset(0), 0);
        assert_eq!(s.source_offset(3), 3);
        assert_eq!(s.source_offset(4), 4); // folded space -> the line break
        assert!(!s.is_verbatim(4));
        assert_eq!(s.source_offset(5), 8); // c
        assert_eq!(s.source_offset(7), 13); // d
    }

    #[test]
    fn single_quoted() {
        let s = check("'it''s  a\n  b'", ScalarStyle::SingleQuoted, 0, "it's  a b");
        assert_eq!(s.source_offset(2), 3);
        assert_eq!(s.source_offset(3), 5);
        assert_eq!(s.content_span(), Span::new(1, 13));
        assert_eq!(s.source_offset(s.value().len()), 13);
    }

    #[test]
    fn double_quoted_escapes() {
        let s = check(
            r#""a\"b\\c\n\t\x41\u00e9\U0001F600 d""#,
            ScalarStyle::DoubleQuoted,
            0,
            "a\"b\\c\n\tAé\u{1F600} d",
        );
        assert_eq!(s.source_offset(1), 2); // \"
        assert_eq!(s.source_offset(2), 4); // b
        let e = s.value().find('é').unwrap_or(0);
        assert_eq!(s.source_offset(e), 16);
        assert_eq!(s.source_offset(e + 1), 16);
        assert_eq!(s.source_span(e..e + 2), Span::new(16, 22));
    }

    #[test]
    fn double_quoted_line_folding_and_escaped_breaks() {
        check("\"a  \n  b\"", ScalarStyle::DoubleQuoted, 0, "a b");
        check("\"a\n\n  b\"", ScalarStyle::DoubleQuoted, 0, "a\nb");
        check("\"a  \\\n   b\"", ScalarStyle::DoubleQuoted, 0, "a  b");
        check("\"a\\\n\n  b\"", ScalarStyle::DoubleQuoted, 0, "a\nb");
        check("\"a\\ \n b\"", ScalarStyle::DoubleQuoted, 0, "a  b");
        check("\"a\r\n b\"", ScalarStyle::DoubleQuoted, 0, "a b");
    }

    #[test]
    fn literal_chomping_and_indentation() {
        check("|\n  a\n   b\n\n", ScalarStyle::Literal, 0, "a\n b\n");
        check("|-\n  a\n   b\n\n", ScalarStyle::Literal, 0, "a\n b");
        check("|+\n  a\n   b\n\n", ScalarStyle::Literal, 0, "a\n b\n\n");
        // Explicit indentation: parent 0 + 2.
        check("|2\n    a\n   b\n", ScalarStyle::Literal, 0, "  a\n b\n");
        check("|1-\n  a\n", ScalarStyle::Literal, -1, " a");
        // Leading empty lines and a comment in the header.
        let s = check("| # c |\n\n  x y\n", ScalarStyle::Literal, 0, "\nx y\n");
        assert_eq!(s.source_offset(1), 11);
    }

    #[test]
    fn folded_more_indented_lines() {
        check(
            ">\n  a\n  b\n\n  c\n   d\n  e\n",
            ScalarStyle::Folded,
            0,
            "a b\nc\n d\ne\n",
        );
        check(">-\n  a \n  b\n", ScalarStyle::Folded, 0, "a  b");
    }

    #[test]
    fn properties_are_skipped() {
        let src = "!!str &x \"v\"";
        let s = Scalar::from_event(
            src,
            (0, src.len()),
            ScalarStyle::DoubleQuoted,
            Some("tag:yaml.org,2002:str".into()),
            0,
            "v".into(),
            false,
        );
        assert!(s.is_precise());
        assert_eq!(s.source_offset(0), 10);
        assert_eq!(s.span(), Span::new(0, 12));
    }

    #[test]
    fn mismatch_falls_back() {
        let s = Scalar::from_event(
            "abc",
            (0, 3),
            ScalarStyle::Plain,
            None,
            0,
            "xyz".into(),
            false,
        );
        assert!(!s.is_precise());
        assert_eq!(s.value(), "xyz");
        assert_eq!(s.source_offset(1), 0);
    }
}
