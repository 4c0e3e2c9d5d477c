//! Byte spans and line/column positions.

/// A half-open byte range `start..end` into one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: clamp_u32(start),
            end: clamp_u32(end),
        }
    }

    /// The span as a `usize` range, for slicing.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Moves the span by `delta` bytes.
    pub fn shifted(self, delta: usize) -> Span {
        Span::new(self.start as usize + delta, self.end as usize + delta)
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

fn clamp_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A 1-based line and column as the libsinsp condition parser counts them: every byte
/// advances the column, and each `\r` or `\n` starts a new line (so `\r\n` counts twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParserPos {
    /// 0-based byte offset.
    pub idx: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl ParserPos {
    /// Computes the libsinsp-style position of byte `idx` in `text`.
    pub fn of(text: &str, idx: usize) -> ParserPos {
        let idx = idx.min(text.len());
        let mut line = 1u32;
        let mut col = 1u32;
        for &b in &text.as_bytes()[..idx] {
            if b == b'\n' || b == b'\r' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        ParserPos {
            idx: clamp_u32(idx),
            line,
            col,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_counts_as_two_lines() {
        let p = ParserPos::of("a\r\nb", 3);
        assert_eq!((p.line, p.col), (3, 1));
    }

    #[test]
    fn columns_are_bytes() {
        let p = ParserPos::of("é x", 3);
        assert_eq!((p.line, p.col), (1, 4));
    }
}
