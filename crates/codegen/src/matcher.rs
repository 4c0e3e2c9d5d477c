//! Specialised value tests: a check's operator and constants compiled into the structure
//! that answers it fastest (hash sets, Aho-Corasick automata, suffix sets, compiled globs
//! and regexes, a path trie, pre-normalised numbers and addresses), and the generic
//! comparison used for field-to-field checks (libsinsp `flt_compare`).

use std::net::IpAddr;

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use falcoc_lang::condition::ast::CmpOp;
use ipnet::IpNet;
use memchr::memmem;

use super::glob::Glob;
use super::pmatch::PathSet;
use super::sets::{ByteSet, SuffixSet};
use falcoc_schema::fields::FieldType;

/// A borrowed extracted value, as the VM hands it to a [`Test`].
///
/// Strings (`CHARBUF`, `FSPATH`, `FSRELPATH`) are bytes without NUL (libsinsp compares C
/// strings); buffers are their full bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// A string or a byte buffer.
    Bytes(&'a [u8]),
    /// An unsigned integer (any width).
    U64(u64),
    /// A signed integer (any width).
    I64(i64),
    /// A double.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// An IPv4 or IPv6 address (IP and IP-network fields extract addresses).
    Ip(IpAddr),
}

/// How a numeric type compares (libsinsp `flt_cast` width and signedness).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumKind {
    /// Signed, truncated to this many bits (8, 16, 32, 64).
    Signed(u8),
    /// Unsigned, truncated to this many bits.
    Unsigned(u8),
    /// IEEE double.
    Double,
}

impl NumKind {
    /// The numeric kind of `ty`, or `None` when `ty` is not numeric.
    pub fn of(ty: FieldType) -> Option<NumKind> {
        use FieldType as T;
        Some(match ty {
            T::Int8 => NumKind::Signed(8),
            T::Int16 => NumKind::Signed(16),
            T::Int32 => NumKind::Signed(32),
            T::Int64 | T::Fd | T::Pid | T::Errno => NumKind::Signed(64),
            T::Uint8 | T::Flags8 | T::EnumFlags8 | T::SigType => NumKind::Unsigned(8),
            T::Uint16 | T::Flags16 | T::EnumFlags16 | T::Port | T::SyscallId => {
                NumKind::Unsigned(16)
            }
            T::Uint32 | T::Flags32 | T::EnumFlags32 | T::Mode | T::Uid | T::Gid | T::Bool => {
                NumKind::Unsigned(32)
            }
            T::Uint64 | T::RelTime | T::AbsTime => NumKind::Unsigned(64),
            T::Double => NumKind::Double,
            _ => return None,
        })
    }

    /// Normalises a value to this kind (truncation and sign extension as a C cast does).
    #[inline]
    pub fn norm(self, v: ValueRef<'_>) -> Option<Num> {
        if self == NumKind::Double {
            return match v {
                ValueRef::U64(u) => Some(Num::F(u as f64)),
                ValueRef::I64(i) => Some(Num::F(i as f64)),
                ValueRef::Bool(b) => Some(Num::F(b as u8 as f64)),
                ValueRef::F64(f) => Some(Num::F(f)),
                _ => None,
            };
        }
        let raw: u64 = match v {
            ValueRef::U64(u) => u,
            ValueRef::I64(i) => i as u64,
            ValueRef::Bool(b) => b as u64,
            ValueRef::F64(f) => {
                return Some(match self {
                    NumKind::Double => Num::F(f),
                    NumKind::Signed(_) => self.from_raw(f as i64 as u64),
                    NumKind::Unsigned(_) => self.from_raw(f as u64),
                })
            }
            _ => return None,
        };
        Some(self.from_raw(raw))
    }

    /// Interprets raw bits (a parsed constant) as this kind.
    #[inline]
    pub fn from_raw(self, raw: u64) -> Num {
        match self {
            NumKind::Signed(64) => Num::I(raw as i64),
            NumKind::Signed(bits) => {
                let sh = 64 - bits as u32;
                Num::I(((raw << sh) as i64) >> sh)
            }
            NumKind::Unsigned(64) => Num::U(raw),
            NumKind::Unsigned(bits) => Num::U(raw & ((1u64 << bits) - 1)),
            NumKind::Double => Num::F(f64::from_bits(raw)),
        }
    }
}

/// A normalised number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub enum Num {
    /// Signed.
    I(i64),
    /// Unsigned.
    U(u64),
    /// Double.
    F(f64),
}

impl Num {
    /// A total-order key for set lookups (bit equality, as libsinsp's `memcmp`).
    #[inline]
    pub fn key(self) -> u64 {
        match self {
            Num::I(i) => (i as u64) ^ (1 << 63),
            Num::U(u) => u,
            Num::F(f) => f.to_bits(),
        }
    }
}

/// An ordering operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ord6 {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl Ord6 {
    /// The ordering operator of `op`, if it is one (`in`/`intersects` count as `=`).
    pub fn of(op: CmpOp) -> Option<Ord6> {
        Some(match op {
            CmpOp::Eq | CmpOp::EqEq | CmpOp::In | CmpOp::Intersects => Ord6::Eq,
            CmpOp::Ne => Ord6::Ne,
            CmpOp::Lt => Ord6::Lt,
            CmpOp::Le => Ord6::Le,
            CmpOp::Gt => Ord6::Gt,
            CmpOp::Ge => Ord6::Ge,
            _ => return None,
        })
    }

    #[inline]
    fn apply<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
        match self {
            Ord6::Eq => a == b,
            Ord6::Ne => a != b,
            Ord6::Lt => a < b,
            Ord6::Le => a <= b,
            Ord6::Gt => a > b,
            Ord6::Ge => a >= b,
        }
    }
}

/// How the results of per-constant tests combine under a modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quant {
    /// `oneof`: exactly one.
    One,
    /// `anyof`: at least one.
    Any,
    /// `allof`: every one.
    All,
}

/// A compiled test of one extracted value against a check's constants.
#[derive(Debug, Clone)]
pub enum Test {
    /// Always this result (e.g. `in ()`, operators libsinsp cannot compare for the type).
    Const(bool),
    /// Byte equality (strings and buffers).
    Eq(Box<[u8]>),
    /// Byte inequality.
    Ne(Box<[u8]>),
    /// `<`, `<=`, `>`, `>=` on strings (`strcmp`: unsigned bytes).
    StrOrd(Ord6, Box<[u8]>),
    /// Membership (`in`, `intersects`, `= anyof`, merged `=` alternatives).
    In(ByteSet),
    /// Non-membership (`!= allof`).
    NotIn(ByteSet),
    /// Substring (`contains`, `bcontains`).
    Contains(memmem::Finder<'static>),
    /// Some pattern occurs (`contains anyof`, `icontains`, merged `contains`).
    ContainsAny(AhoCorasick),
    /// Prefix.
    StartsWith(Box<[u8]>),
    /// Some pattern is a prefix (anchored automaton).
    StartsWithAny(AhoCorasick),
    /// Suffix.
    EndsWith(Box<[u8]>),
    /// Some pattern is a suffix.
    EndsWithAny(SuffixSet),
    /// `glob` / `iglob`.
    Glob(Glob),
    /// Some glob matches.
    GlobAny(Box<[Glob]>),
    /// `regex` (full match); `None` for an invalid pattern, which never matches.
    Regex(Option<regex::Regex>),
    /// `pmatch`.
    PMatch(PathSet),
    /// A numeric comparison.
    Num(NumKind, Ord6, Num),
    /// Numeric membership: sorted keys ([`Num::key`]).
    NumIn(NumKind, Box<[u64]>),
    /// Numeric non-membership.
    NumNotIn(NumKind, Box<[u64]>),
    /// Address comparison (`=` or `!=`); a family mismatch is unequal.
    Ip(Ord6, IpAddr),
    /// Address membership.
    IpIn(Box<[IpAddr]>),
    /// Address non-membership.
    IpNotIn(Box<[IpAddr]>),
    /// Some network contains the address (`=`, `in` on network types).
    NetIn(Box<[IpNet]>),
    /// No network contains the address (`!=`).
    NetNotIn(Box<[IpNet]>),
    /// `evt.around[T] = D` on the event timestamp: `ts - D <= T <= ts + D` (ns, wrapping).
    Around {
        /// The timestamp `T`.
        t: u64,
        /// `D` in ns.
        delta: u64,
    },
    /// Per-constant tests combined by a modifier (an empty list is false).
    Count(Quant, Box<[Test]>),
}

fn bytes(v: ValueRef<'_>) -> Option<&[u8]> {
    match v {
        ValueRef::Bytes(b) => Some(b),
        _ => None,
    }
}

fn ip(v: ValueRef<'_>) -> Option<IpAddr> {
    match v {
        ValueRef::Ip(a) => Some(a),
        _ => None,
    }
}

impl Test {
    /// Builds a test of "contains one of `pats`" (ASCII case-insensitive when `icase`).
    pub fn contains_any(pats: &[&[u8]], icase: bool) -> Option<Test> {
        AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(icase)
            .build(pats)
            .ok()
            .map(Test::ContainsAny)
    }

    /// Builds a test of "starts with one of `pats`".
    pub fn starts_with_any(pats: &[&[u8]]) -> Option<Test> {
        AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Anchored)
            .build(pats)
            .ok()
            .map(Test::StartsWithAny)
    }

    /// Whether `v` passes the test. A value of the wrong kind fails.
    #[inline]
    pub fn matches(&self, v: ValueRef<'_>) -> bool {
        match self {
            Test::Const(b) => *b,
            Test::Eq(c) => bytes(v).is_some_and(|b| b == &**c),
            Test::Ne(c) => bytes(v).is_some_and(|b| b != &**c),
            Test::StrOrd(op, c) => bytes(v).is_some_and(|b| op.apply(b, &**c)),
            Test::In(s) => bytes(v).is_some_and(|b| s.contains(b)),
            Test::NotIn(s) => bytes(v).is_some_and(|b| !s.contains(b)),
            Test::Contains(f) => bytes(v).is_some_and(|b| f.find(b).is_some()),
            Test::ContainsAny(ac) => bytes(v).is_some_and(|b| ac.is_match(b)),
            Test::StartsWith(c) => bytes(v).is_some_and(|b| b.starts_with(c)),
            Test::StartsWithAny(ac) => {
                bytes(v).is_some_and(|b| ac.is_match(Input::new(b).anchored(Anchored::Yes)))
            }
            Test::EndsWith(c) => bytes(v).is_some_and(|b| b.ends_with(c)),
            Test::EndsWithAny(s) => bytes(v).is_some_and(|b| s.matches(b)),
            Test::Glob(g) => bytes(v).is_some_and(|b| g.matches(b)),
            Test::GlobAny(gs) => bytes(v).is_some_and(|b| gs.iter().any(|g| g.matches(b))),
            Test::Regex(re) => match (re, bytes(v)) {
                (Some(re), Some(b)) => re.is_match(&String::from_utf8_lossy(b)),
                _ => false,
            },
            Test::PMatch(p) => bytes(v).is_some_and(|b| p.matches(b)),
            Test::Num(kind, op, c) => kind.norm(v).is_some_and(|n| op.apply(&n, c)),
            Test::NumIn(kind, keys) => kind
                .norm(v)
                .is_some_and(|n| keys.binary_search(&n.key()).is_ok()),
            Test::NumNotIn(kind, keys) => kind
                .norm(v)
                .is_some_and(|n| keys.binary_search(&n.key()).is_err()),
            Test::Ip(op, c) => ip(v).is_some_and(|a| match op {
                Ord6::Ne => a != *c,
                _ => a == *c,
            }),
            Test::IpIn(s) => ip(v).is_some_and(|a| s.contains(&a)),
            Test::IpNotIn(s) => ip(v).is_some_and(|a| !s.contains(&a)),
            Test::NetIn(s) => ip(v).is_some_and(|a| s.iter().any(|n| n.contains(&a))),
            Test::NetNotIn(s) => ip(v).is_some_and(|a| !s.iter().any(|n| n.contains(&a))),
            Test::Around { t, delta } => match v {
                ValueRef::U64(ts) => *t >= ts.wrapping_sub(*delta) && *t <= ts.wrapping_add(*delta),
                _ => false,
            },
            Test::Count(q, tests) => {
                if tests.is_empty() {
                    return false;
                }
                match q {
                    Quant::Any => tests.iter().any(|t| t.matches(v)),
                    Quant::All => tests.iter().all(|t| t.matches(v)),
                    Quant::One => {
                        let mut n = 0;
                        for t in tests.iter() {
                            if t.matches(v) {
                                n += 1;
                                if n > 1 {
                                    return false;
                                }
                            }
                        }
                        n == 1
                    }
                }
            }
        }
    }
}

/// The comparison families of §12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `CHARBUF`, `FSPATH`, `FSRELPATH`.
    Str,
    /// `BYTEBUF`.
    Buf,
    /// Numbers and `BOOL`.
    Num(NumKind),
    /// Addresses (`IPV4ADDR`, `IPV6ADDR`, `IPADDR`).
    Addr,
    /// Networks (`IPV4NET`, `IPV6NET`, `IPNET`): an address compared with CIDRs.
    Net,
    /// Types libsinsp cannot compare (`SOCKADDR`, `FDLIST`, `L4PROTO`…): only `exists`.
    Other,
}

impl Family {
    /// The family of `ty`.
    pub fn of(ty: FieldType) -> Family {
        use FieldType as T;
        match ty {
            T::Charbuf | T::Fspath | T::FsRelPath => Family::Str,
            T::Bytebuf => Family::Buf,
            T::Ipv4Addr | T::Ipv6Addr | T::IpAddr => Family::Addr,
            T::Ipv4Net | T::Ipv6Net | T::IpNet => Family::Net,
            t => NumKind::of(t).map_or(Family::Other, Family::Num),
        }
    }
}

fn ascii_icontains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// libsinsp `flt_compare` of two extracted values (field-to-field checks): `a op b` for a
/// left side of type family `fam`. `in`/`intersects` compare for equality; `pmatch` and
/// `regex` are refused by the compiler for right-hand fields and are false here.
pub fn compare(op: CmpOp, fam: Family, a: ValueRef<'_>, b: ValueRef<'_>) -> bool {
    match fam {
        Family::Str | Family::Buf => {
            let (Some(x), Some(y)) = (bytes(a), bytes(b)) else {
                return false;
            };
            match op {
                CmpOp::Contains | CmpOp::BContains => memmem::find(x, y).is_some(),
                CmpOp::IContains => ascii_icontains(x, y),
                CmpOp::StartsWith | CmpOp::BStartsWith => x.starts_with(y),
                CmpOp::EndsWith => x.ends_with(y),
                CmpOp::Glob => Glob::new(y, false).matches(x),
                CmpOp::IGlob => Glob::new(y, true).matches(x),
                CmpOp::PMatch | CmpOp::Regex => false,
                op => match Ord6::of(op) {
                    Some(o @ (Ord6::Eq | Ord6::Ne)) => o.apply(x, y),
                    Some(o) => fam == Family::Str && o.apply(x, y),
                    None => false,
                },
            }
        }
        Family::Num(kind) => match (kind.norm(a), kind.norm(b), Ord6::of(op)) {
            (Some(x), Some(y), Some(o)) => o.apply(&x, &y),
            _ => false,
        },
        Family::Addr => match (ip(a), ip(b), Ord6::of(op)) {
            (Some(x), Some(y), Some(Ord6::Eq)) => x == y,
            (Some(x), Some(y), Some(Ord6::Ne)) => x != y,
            _ => false,
        },
        Family::Net | Family::Other => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_truncate_like_c() {
        assert_eq!(NumKind::Signed(8).from_raw(0xff), Num::I(-1));
        assert_eq!(NumKind::Unsigned(16).from_raw(0x1_0001), Num::U(1));
        assert_eq!(
            NumKind::Signed(16).norm(ValueRef::I64(-500)),
            Some(Num::I(-500))
        );
        let t = Test::Num(NumKind::Signed(64), Ord6::Lt, Num::I(-1));
        assert!(t.matches(ValueRef::I64(-22)));
        assert!(!t.matches(ValueRef::Bytes(b"x")));
        let mut keys: Vec<u64> = [-1i64, 5, 7].iter().map(|i| Num::I(*i).key()).collect();
        keys.sort_unstable();
        let t = Test::NumIn(NumKind::Signed(64), keys.into());
        assert!(t.matches(ValueRef::I64(-1)));
        assert!(t.matches(ValueRef::U64(u64::MAX)));
        assert!(!t.matches(ValueRef::I64(6)));
    }

    #[test]
    fn string_sets() {
        let t = Test::contains_any(&[b"MY", b"zz"], true).unwrap_or(Test::Const(false));
        assert!(t.matches(ValueRef::Bytes(b"myexe")));
        let t = Test::starts_with_any(&[b"/etc", b"/usr"]).unwrap_or(Test::Const(false));
        assert!(t.matches(ValueRef::Bytes(b"/usr/bin")));
        assert!(!t.matches(ValueRef::Bytes(b"/bin/usr")));
        let t = Test::Count(
            Quant::One,
            vec![Test::Eq((*b"a").into()), Test::Eq((*b"a").into())].into(),
        );
        assert!(
            !t.matches(ValueRef::Bytes(b"a")),
            "duplicates count for oneof"
        );
        assert!(!Test::Count(Quant::All, Box::new([])).matches(ValueRef::Bytes(b"")));
    }

    #[test]
    fn networks() {
        let n: IpNet = "142.251.0.0/8".parse().unwrap_or_else(|_| IpNet::default());
        let t = Test::NetIn(vec![n].into());
        assert!(t.matches(ValueRef::Ip(
            "142.1.2.3".parse().unwrap_or(IpAddr::from([0; 4]))
        )));
        assert!(!t.matches(ValueRef::Ip("::1".parse().unwrap_or(IpAddr::from([0; 4])))));
        let t = Test::Ip(Ord6::Ne, IpAddr::from([127, 0, 0, 1]));
        assert!(t.matches(ValueRef::Ip("::1".parse().unwrap_or(IpAddr::from([0; 4])))));
    }

    #[test]
    fn dynamic_compare() {
        let s = |x: &'static [u8]| ValueRef::Bytes(x);
        assert!(compare(CmpOp::Eq, Family::Str, s(b"a"), s(b"a")));
        assert!(compare(CmpOp::Lt, Family::Str, s(b"a"), s(b"b")));
        assert!(!compare(CmpOp::Lt, Family::Buf, s(b"a"), s(b"b")));
        assert!(compare(CmpOp::Glob, Family::Str, s(b"abc"), s(b"a*")));
        assert!(compare(CmpOp::IContains, Family::Str, s(b"ABC"), s(b"bc")));
        let n = Family::Num(NumKind::Unsigned(64));
        assert!(compare(CmpOp::Ge, n, ValueRef::U64(3), ValueRef::U64(3)));
    }
}
