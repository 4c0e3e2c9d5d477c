//! A bounds-checked little-endian reader over a byte slice (no I/O).

use super::error::DecodeError;

/// Reads little-endian integers and length-prefixed strings from a slice. Every read is
/// checked; positions in errors are relative to `base` + the slice start, so a cursor over
/// a sub-slice of a block body still reports body offsets.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data`, whose byte 0 is at body offset `base`.
    pub(crate) fn new(data: &'a [u8], base: usize) -> Self {
        Cursor { data, pos: 0, base }
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Body offset of the next byte.
    pub(crate) fn abs(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Takes `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::corrupt(
                self.abs(),
                format!(
                    "{what} needs {n} bytes but only {} remain",
                    self.remaining()
                ),
            ));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize, what: &str) -> Result<(), DecodeError> {
        self.bytes(n, what).map(|_| ())
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], DecodeError> {
        let s = self.bytes(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn i64(&mut self, what: &str) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn ipv4(&mut self, what: &str) -> Result<std::net::Ipv4Addr, DecodeError> {
        Ok(std::net::Ipv4Addr::from(self.array::<4>(what)?))
    }

    pub(crate) fn ipv6(&mut self, what: &str) -> Result<std::net::Ipv6Addr, DecodeError> {
        Ok(std::net::Ipv6Addr::from(self.array::<16>(what)?))
    }

    /// A string stored as `u16 length` + bytes (no NUL on disk).
    pub(crate) fn lstr(&mut self, what: &str) -> Result<&'a [u8], DecodeError> {
        let n = self.u16(what)? as usize;
        self.bytes(n, what)
    }
}

/// The bytes up to the first NUL (all of them if there is none): how libscap's C strings
/// read a buffer.
pub(crate) fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// A C-string-like field as a `String` (up to the first NUL, invalid UTF-8 replaced).
pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(until_nul(b)).into_owned()
}

/// A NUL-separated list (`args`, `env`, `cgroups`): one item per NUL-terminated segment;
/// a missing final NUL still ends the last item; an empty buffer is an empty list.
pub(crate) fn split_nul(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    let empty = b.is_empty();
    b.split(|&c| c == 0).filter(move |_| !empty)
}

/// [`split_nul`] into `String`s (invalid UTF-8 replaced).
pub(crate) fn lossy_list(b: &[u8]) -> Vec<String> {
    split_nul(b)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}
