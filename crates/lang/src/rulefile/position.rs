//! Line index of a rules file: 1-based line/column for our diagnostics and yaml-cpp
//! marks (0-based line and column, byte offset) for Falco-compatible output.

/// A position as yaml-cpp (and therefore Falco's load results) reports it.
///
/// All three numbers are 0-based. yaml-cpp feeds UTF-8 input to its scanner byte by
/// byte (`Stream::StreamInUtf8` queues every byte and `Stream::get` bumps the column per
/// byte), so `column` counts **bytes** since the start of the line, not characters; a
/// line starts after each `\n` (a `\r` before it is an ordinary column). A UTF-8 byte
/// order mark at the start of the file is consumed before yaml-cpp starts counting, so
/// `offset` (and the column on the first line) exclude it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mark {
    /// 0-based line.
    pub line: usize,
    /// 0-based column, in bytes.
    pub column: usize,
    /// 0-based byte offset (not counting a leading byte order mark).
    pub offset: usize,
}

/// Start offsets of the lines of a text, for O(log n) position queries.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineIndex {
    /// Byte offset of the first byte of every line (`0` and one past each `\n`).
    starts: Vec<usize>,
    /// Length of a leading UTF-8 byte order mark (0 or 3).
    bom: usize,
    /// Length of the text.
    len: usize,
}

impl LineIndex {
    /// Indexes `text`.
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            starts,
            bom: if text.starts_with('\u{feff}') { 3 } else { 0 },
            len: text.len(),
        }
    }

    /// Length of the leading byte order mark (0 or 3).
    pub(crate) fn bom_len(&self) -> usize {
        self.bom
    }

    /// 0-based line of byte `offset` (clamped to the text).
    fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// The yaml-cpp mark of byte `offset` (clamped to the text).
    pub(crate) fn mark(&self, offset: usize) -> Mark {
        let offset = offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.starts.get(line).copied().unwrap_or(0).max(self.bom);
        Mark {
            line,
            column: offset.saturating_sub(start),
            offset: offset.saturating_sub(self.bom),
        }
    }

    /// 1-based line and 1-based column in characters of byte `offset` in `text` (the
    /// text this index was built from), like [`crate::SourceFile::line_col`].
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let col = text.get(start..offset).map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;

    #[test]
    fn marks_are_zero_based_bytes() {
        let text = "- macro: é\n  condition: x\n";
        let idx = LineIndex::new(text);
        assert_eq!(
            idx.mark(2),
            Mark {
                line: 0,
                column: 2,
                offset: 2
            }
        );
        let c = text.find("condition").unwrap_or(0);
        assert_eq!(
            idx.mark(c),
            Mark {
                line: 1,
                column: 2,
                offset: c
            }
        );
        let x = text.rfind('x').unwrap_or(0);
        assert_eq!(idx.mark(x).column, 13);
        // Past the end: clamped.
        assert_eq!(idx.mark(1000).offset, text.len());
    }

    #[test]
    fn bom_is_not_counted() {
        let text = "\u{feff}- rule: a\n- rule: b\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.bom_len(), 3);
        let m = idx.mark(5);
        assert_eq!((m.line, m.column, m.offset), (0, 2, 2));
        let second = text.rfind("rule").unwrap_or(0);
        let m = idx.mark(second);
        assert_eq!((m.line, m.column, m.offset), (1, 2, second - 3));
    }

    #[test]
    fn crlf_carriage_return_is_a_column() {
        let text = "a\r\nb";
        let idx = LineIndex::new(text);
        assert_eq!(idx.mark(1).column, 1);
        assert_eq!(idx.mark(2).column, 2);
        assert_eq!((idx.mark(3).line, idx.mark(3).column), (1, 0));
    }

    #[test]
    fn line_col_matches_source_file() {
        let text = "ab\né x\n\nlast";
        let idx = LineIndex::new(text);
        let sf = SourceFile::new("f", text);
        for off in 0..=text.len() + 2 {
            assert_eq!(idx.line_col(text, off), sf.line_col(off), "offset {off}");
        }
    }
}
