//! Constant sets: a fast non-cryptographic hasher (the constants are fixed at compile
//! time, so collision flooding cannot grow a bucket), byte-string sets with a length
//! pre-filter (as libsinsp's `m_val_storages_min_size`/`max_size`), and suffix sets for
//! `endswith anyof`.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// An Fx-style multiplicative hasher (as in rustc), 8 bytes at a time.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The `BuildHasher` of [`FxHasher`].
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// Below this many elements a set is scanned linearly.
const LINEAR_MAX: usize = 4;

/// A set of byte strings (string or buffer constants).
#[derive(Debug, Clone)]
pub struct ByteSet {
    small: Vec<Box<[u8]>>,
    big: HashSet<Box<[u8]>, FxBuild>,
    min_len: usize,
    max_len: usize,
}

impl ByteSet {
    /// Builds the set.
    pub fn new<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> ByteSet {
        let mut small: Vec<Box<[u8]>> = Vec::new();
        let mut big: HashSet<Box<[u8]>, FxBuild> = HashSet::default();
        for i in items {
            big.insert(i.into());
        }
        let min_len = big.iter().map(|b| b.len()).min().unwrap_or(usize::MAX);
        let max_len = big.iter().map(|b| b.len()).max().unwrap_or(0);
        if big.len() <= LINEAR_MAX {
            small = big.drain().collect();
        }
        ByteSet {
            small,
            big,
            min_len,
            max_len,
        }
    }

    /// Number of distinct elements.
    pub fn len(&self) -> usize {
        self.small.len() + self.big.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Membership.
    #[inline]
    pub fn contains(&self, v: &[u8]) -> bool {
        if v.len() < self.min_len || v.len() > self.max_len {
            return false;
        }
        if self.big.is_empty() {
            self.small.iter().any(|s| **s == *v)
        } else {
            self.big.contains(v)
        }
    }
}

/// A set of suffixes (`endswith anyof`): one hash lookup per distinct suffix length.
#[derive(Debug, Clone)]
pub struct SuffixSet {
    lens: Box<[usize]>,
    set: ByteSet,
}

impl SuffixSet {
    /// Builds the set.
    pub fn new<'a>(items: impl IntoIterator<Item = &'a [u8]> + Clone) -> SuffixSet {
        let mut lens: Vec<usize> = items.clone().into_iter().map(<[u8]>::len).collect();
        lens.sort_unstable();
        lens.dedup();
        SuffixSet {
            lens: lens.into(),
            set: ByteSet::new(items),
        }
    }

    /// Whether `v` ends with one of the suffixes.
    #[inline]
    pub fn matches(&self, v: &[u8]) -> bool {
        self.lens
            .iter()
            .take_while(|&&l| l <= v.len())
            .any(|&l| self.set.contains(&v[v.len() - l..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sets() {
        let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let s = ByteSet::new(words.iter().map(|w| w.as_bytes()));
        assert!(s.contains(b"w42"));
        assert!(!s.contains(b"w100"));
        assert!(!s.contains(b""));
        let small = ByteSet::new([&b"a"[..], b"bc"]);
        assert!(small.contains(b"bc") && !small.contains(b"b"));
        let empty = ByteSet::new(std::iter::empty());
        assert!(empty.is_empty() && !empty.contains(b""));
        let with_empty = ByteSet::new([&b""[..]]);
        assert!(with_empty.contains(b""));
    }

    #[test]
    fn suffixes() {
        let s = SuffixSet::new([&b".so"[..], b".tar.gz", b"x"]);
        assert!(s.matches(b"lib.so"));
        assert!(s.matches(b"a.tar.gz"));
        assert!(s.matches(b"x"));
        assert!(!s.matches(b"so"));
        let e = SuffixSet::new([&b""[..]]);
        assert!(e.matches(b"anything"));
    }
}
