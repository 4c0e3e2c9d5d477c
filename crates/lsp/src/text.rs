//! Positions: byte offsets in a document and LSP positions (0-based line, UTF-16 column),
//! both ways, and the edits `textDocument/didChange` sends.

use lsp_types::{Position, Range};

/// The line starts of a text, to convert byte offsets to LSP positions and back.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset of the first byte of every line (`0` first).
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`: lines end at `\n` (a `\r` before it belongs to the line's end).
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The LSP position of byte `offset` of `text` (clamped to the text; an offset inside
    /// a character counts as that character's start).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column: usize = text
            .get(start..offset)
            .unwrap_or_default()
            .chars()
            .map(char::len_utf16)
            .sum();
        Position::new(to_u32(line), to_u32(column))
    }

    /// The LSP range of bytes `start..end` of `text`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }

    /// The byte offset of LSP position `pos` in `text`: a line past the end is the end of
    /// the text, a column past the line's end is the line's end (before its line break),
    /// a column inside a surrogate pair is the character's start.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .copied()
            .unwrap_or(text.len());
        let line = text.get(start..end).unwrap_or_default();
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units + c.len_utf16() > pos.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The largest character boundary of `text` at or before `offset`.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Applies one `didChange` content change to `text`: a whole new text (no range), or a
/// replacement of `range` (positions clamped as [`LineIndex::offset`] does).
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str) {
    match range {
        None => {
            text.clear();
            text.push_str(new_text);
        }
        Some(r) => {
            let index = LineIndex::new(text);
            let start = index.offset(text, r.start);
            let end = index.offset(text, r.end).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        // `é` is 2 bytes / 1 unit, `𝄞` is 4 bytes / 2 units.
        let text = "a: é𝄞x\nsecond\r\nthird";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(text, x), Position::new(0, 6));
        assert_eq!(idx.offset(text, Position::new(0, 6)), x);
        // Inside the surrogate pair: the character's start.
        let clef = text.find('𝄞').unwrap();
        assert_eq!(idx.offset(text, Position::new(0, 5)), clef);
        // Past the line's end: before `\r\n`.
        assert_eq!(
            idx.offset(text, Position::new(1, 99)),
            text.find("\r\n").unwrap()
        );
        assert_eq!(idx.position(text, text.len()), Position::new(2, 5));
        assert_eq!(idx.offset(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn incremental_changes_apply_at_utf16_positions() {
        let mut text = "x: 𝄞ab\n".to_string();
        apply_change(
            &mut text,
            Some(Range::new(Position::new(0, 5), Position::new(0, 6))),
            "Z",
        );
        assert_eq!(text, "x: 𝄞Zb\n");
        apply_change(&mut text, None, "new");
        assert_eq!(text, "new");
    }
}
