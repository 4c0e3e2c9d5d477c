//! Derived texts and where their pieces came from.
//!
//! Conditions and outputs are assembled from several YAML scalars (definition + appends,
//! exception clauses) and then rewritten (list substitution). A [`SourcedText`] keeps, for
//! each byte range of the text, the scalar it was copied from, so that an offset found by
//! the parser can be mapped back to an exact place in a rules file.

/// Where a piece of text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Copied from scalar number `scalar` of the loader's scalar store, starting at byte
    /// `value_offset` of that scalar's decoded value.
    Scalar {
        /// Index into the scalar store.
        scalar: usize,
        /// Offset in the scalar's decoded value of the piece's first byte.
        value_offset: usize,
    },
    /// Made up by the loader (e.g. `" and not "` of an exception rewrite, or a substituted
    /// list); points at the scalar whose text it stands for.
    Synthetic {
        /// Index into the scalar store.
        scalar: usize,
        /// Offset in that scalar's value the made-up text stands for.
        value_offset: usize,
    },
}

/// A piece: `len` bytes at `start` of the text, copied from `origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Start in the derived text.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// Where it came from.
    pub origin: Origin,
}

/// A text with the origin of each of its byte ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourcedText {
    /// The text.
    pub text: String,
    /// Pieces, in order, covering the text (possibly with gaps for text of unknown origin).
    pub pieces: Vec<Piece>,
}

impl SourcedText {
    /// A text copied whole from scalar `scalar`.
    pub fn from_scalar(text: impl Into<String>, scalar: usize) -> SourcedText {
        let text = text.into();
        let len = text.len();
        SourcedText {
            text,
            pieces: vec![Piece {
                start: 0,
                len,
                origin: Origin::Scalar {
                    scalar,
                    value_offset: 0,
                },
            }],
        }
    }

    /// The part `range` of a scalar's value (e.g. after trimming), keeping its origin.
    pub fn from_scalar_part(
        value: &str,
        range: std::ops::Range<usize>,
        scalar: usize,
    ) -> SourcedText {
        let text = value.get(range.clone()).unwrap_or_default().to_string();
        let len = text.len();
        SourcedText {
            text,
            pieces: vec![Piece {
                start: 0,
                len,
                origin: Origin::Scalar {
                    scalar,
                    value_offset: range.start,
                },
            }],
        }
    }

    /// A text with no known origin.
    pub fn plain(text: impl Into<String>) -> SourcedText {
        SourcedText {
            text: text.into(),
            pieces: Vec::new(),
        }
    }

    /// Appends made-up text that stands for `at` (or has no origin).
    pub fn push_synthetic(&mut self, s: &str, at: Option<(usize, usize)>) {
        let start = self.text.len();
        self.text.push_str(s);
        if let Some((scalar, value_offset)) = at {
            self.pieces.push(Piece {
                start,
                len: s.len(),
                origin: Origin::Synthetic {
                    scalar,
                    value_offset,
                },
            });
        }
    }

    /// Appends another sourced text.
    pub fn push_text(&mut self, other: &SourcedText) {
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.pieces.extend(other.pieces.iter().map(|p| Piece {
            start: p.start + base,
            ..*p
        }));
    }

    /// Where byte `offset` of the text came from: `(scalar, value_offset)`. Offsets past
    /// the end map to the end of the last piece.
    pub fn origin_of(&self, offset: usize) -> Option<(usize, usize)> {
        let piece = self
            .pieces
            .iter()
            .rev()
            .find(|p| p.start <= offset)
            .or(self.pieces.first())?;
        let within = offset.saturating_sub(piece.start).min(piece.len);
        Some(match piece.origin {
            Origin::Scalar {
                scalar,
                value_offset,
            } => (scalar, value_offset + within),
            Origin::Synthetic {
                scalar,
                value_offset,
            } => (scalar, value_offset),
        })
    }

    /// Applies Falco's list substitution of `name` by `replacement`, keeping origins: text
    /// that replaced a name points at the name it replaced. Returns whether it was used.
    pub fn substitute_list(&mut self, name: &str, replacement: &str) -> bool {
        let Some((text, edits)) =
            crate::lists::substitute_with_edits(&self.text, name, replacement)
        else {
            return false;
        };
        let mut pieces = Vec::new();
        // Rebuild pieces by walking the edits (old range → new range), in order.
        let mut old_pos = 0usize;
        let mut new_pos = 0usize;
        for e in &edits {
            // Unchanged stretch [old_pos, e.old_start) moves to new_pos.
            self.copy_origins(old_pos, e.old_start, new_pos, &mut pieces);
            new_pos += e.old_start - old_pos;
            if let Some((scalar, value_offset)) = self.origin_of(e.name_start) {
                pieces.push(Piece {
                    start: new_pos,
                    len: e.new_len,
                    origin: Origin::Synthetic {
                        scalar,
                        value_offset,
                    },
                });
            }
            new_pos += e.new_len;
            old_pos = e.old_end;
        }
        self.copy_origins(old_pos, self.text.len(), new_pos, &mut pieces);
        self.text = text;
        self.pieces = pieces;
        true
    }

    fn copy_origins(&self, from: usize, to: usize, new_start: usize, out: &mut Vec<Piece>) {
        for p in &self.pieces {
            let s = p.start.max(from);
            let e = (p.start + p.len).min(to);
            if s >= e {
                continue;
            }
            let shift = s - p.start;
            let origin = match p.origin {
                Origin::Scalar {
                    scalar,
                    value_offset,
                } => Origin::Scalar {
                    scalar,
                    value_offset: value_offset + shift,
                },
                o => o,
            };
            out.push(Piece {
                start: new_start + (s - from),
                len: e - s,
                origin,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenation_keeps_origins() {
        let mut t = SourcedText::from_scalar("a.b = 1", 0);
        t.push_synthetic(" ", None);
        t.push_text(&SourcedText::from_scalar("or c.d = 2", 1));
        assert_eq!(t.text, "a.b = 1 or c.d = 2");
        assert_eq!(t.origin_of(2), Some((0, 2)));
        assert_eq!(t.origin_of(11), Some((1, 3)));
    }

    #[test]
    fn substitution_maps_back() {
        let mut t = SourcedText::from_scalar("proc.name in (shells) and x.y = z", 7);
        assert!(t.substitute_list("shells", "bash, sh"));
        assert_eq!(t.text, "proc.name in ( bash, sh ) and x.y = z");
        // Inside the substituted items: the list name.
        assert_eq!(t.origin_of(16), Some((7, 14)));
        // After it: shifted back.
        let z = t.text.rfind('z').unwrap_or(0);
        assert_eq!(t.origin_of(z), Some((7, 32)));
    }
}
