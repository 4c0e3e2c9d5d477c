//! The error type of the capture reader.

use std::fmt;

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScapErrorKind {
    /// The input ends inside a block, a block header, a field or a compressed stream.
    Truncated,
    /// A length, count, magic number or field value is inconsistent.
    Corrupt,
    /// A well-formed input this reader does not handle (a newer major version, a
    /// big-endian capture).
    Unsupported,
    /// The underlying reader failed (other than by ending early).
    Io,
}

impl ScapErrorKind {
    /// A short lower-case name (`truncated`, `corrupt`, `unsupported`, `i/o`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScapErrorKind::Truncated => "truncated",
            ScapErrorKind::Corrupt => "corrupt",
            ScapErrorKind::Unsupported => "unsupported",
            ScapErrorKind::Io => "i/o",
        }
    }
}

/// An error reading a capture: a kind, a message, and the byte offset in the
/// *uncompressed* stream where the problem was found (for gzip input this is not an offset
/// in the file on disk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScapError {
    offset: u64,
    kind: ScapErrorKind,
    message: String,
}

impl ScapError {
    /// A new error at `offset`.
    pub fn new(kind: ScapErrorKind, offset: u64, message: impl Into<String>) -> Self {
        ScapError {
            offset,
            kind,
            message: message.into(),
        }
    }

    /// Byte offset in the uncompressed stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The kind of error.
    pub fn kind(&self) -> ScapErrorKind {
        self.kind
    }

    /// The message, without the offset.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ScapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} capture at byte {}: {}",
            self.kind.as_str(),
            self.offset,
            self.message
        )
    }
}

impl std::error::Error for ScapError {}

/// A decoding problem inside one block body: the offset is relative to the start of the
/// body (the byte after the 8-byte block header); the reader turns it into a
/// [`ScapError`] with an absolute offset. The body was read completely, so a field running
/// past its end is corruption (an inconsistent length), not truncation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub at: usize,
    pub kind: ScapErrorKind,
    pub msg: String,
}

impl DecodeError {
    pub(crate) fn corrupt(at: usize, msg: impl Into<String>) -> Self {
        DecodeError {
            at,
            kind: ScapErrorKind::Corrupt,
            msg: msg.into(),
        }
    }

    /// The error at an absolute position, given the absolute offset of byte 0 of the body.
    pub(crate) fn at_base(self, base: u64) -> ScapError {
        ScapError::new(self.kind, base.saturating_add(self.at as u64), self.msg)
    }
}
