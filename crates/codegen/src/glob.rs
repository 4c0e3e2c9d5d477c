//! `glob`/`iglob` patterns: glibc `fnmatch(3)` in the C locale with no flags (`glob`) or
//! with `FNM_CASEFOLD` only (`iglob`), which is what libsinsp's `glob_match` calls.
//!
//! Semantics (byte-wise): `*` matches any sequence, `/` and a leading `.` included; `?`
//! matches one byte; `[…]` is a bracket expression (`!` or `^` negates, a `]` right after
//! the opening bracket is literal, `a-z` ranges by byte value, `[:alpha:]`-style classes,
//! `\` escapes); an unterminated `[` is a literal `[`; `\` escapes the next byte and a
//! trailing `\` never matches; an unknown class name never matches. `{a,b}` is *not*
//! special (unlike `globset`, which is why this matcher exists).

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A literal byte (already folded for `iglob`).
    Byte(u8),
    /// `?`.
    Any,
    /// `*` (consecutive stars collapse into one).
    Star,
    /// A bracket expression: 256-bit membership table (already negated and folded).
    Class(Box<[u64; 4]>),
}

/// A compiled `fnmatch` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    toks: Vec<Tok>,
    fold: bool,
    /// The pattern can never match (trailing `\`, unknown class name).
    never: bool,
}

const CLASSES: [&str; 12] = [
    "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space",
    "upper", "xdigit",
];

fn in_class(name: &str, c: u8) -> bool {
    match name {
        "alnum" => c.is_ascii_alphanumeric(),
        "alpha" => c.is_ascii_alphabetic(),
        "blank" => c == b' ' || c == b'\t',
        "cntrl" => c.is_ascii_control(),
        "digit" => c.is_ascii_digit(),
        "graph" => c.is_ascii_graphic(),
        "lower" => c.is_ascii_lowercase(),
        "print" => c.is_ascii_graphic() || c == b' ',
        "punct" => c.is_ascii_punctuation(),
        "space" => matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        "upper" => c.is_ascii_uppercase(),
        "xdigit" => c.is_ascii_hexdigit(),
        _ => false,
    }
}

fn set(bits: &mut [u64; 4], c: u8) {
    bits[(c >> 6) as usize] |= 1u64 << (c & 63);
}

fn has(bits: &[u64; 4], c: u8) -> bool {
    bits[(c >> 6) as usize] & (1u64 << (c & 63)) != 0
}

fn fold(c: u8, on: bool) -> u8 {
    if on {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// Parses a bracket expression starting after `[` at `p[i]`. Returns the table and the
/// index after the closing `]`, `Err(true)` when an invalid class name makes the whole
/// pattern fail, or `Err(false)` when the bracket is unterminated (a literal `[`).
fn bracket(p: &[u8], mut i: usize, fold_case: bool) -> Result<([u64; 4], usize), bool> {
    let mut bits = [0u64; 4];
    let negate = matches!(p.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c0) = p.get(i) else {
            return Err(false);
        };
        if c0 == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        // Character class `[:name:]` (also `[=c=]`, `[.c.]` for single bytes).
        if c0 == b'[' && matches!(p.get(i + 1), Some(b':') | Some(b'=') | Some(b'.')) {
            let delim = p[i + 1];
            let start = i + 2;
            let end =
                (start..p.len().saturating_sub(1)).find(|&j| p[j] == delim && p[j + 1] == b']');
            let name_ok =
                |e: usize| delim != b':' || p[start..e].iter().all(u8::is_ascii_lowercase);
            if let Some(end) = end.filter(|&e| name_ok(e)) {
                let inner = &p[start..end];
                match delim {
                    b':' => {
                        let name = std::str::from_utf8(inner).unwrap_or("");
                        if !CLASSES.contains(&name) {
                            return Err(true);
                        }
                        for c in 0..=255u8 {
                            if in_class(name, c) {
                                set(&mut bits, fold(c, fold_case));
                                if fold_case {
                                    set(&mut bits, c.to_ascii_uppercase());
                                }
                            }
                        }
                    }
                    _ => {
                        if inner.len() != 1 {
                            return Err(true);
                        }
                        set(&mut bits, fold(inner[0], fold_case));
                    }
                }
                i = end + 2;
                continue;
            }
        }
        // A single byte, possibly escaped, possibly the start of a range.
        let (lo, next) = match c0 {
            b'\\' => match p.get(i + 1) {
                Some(&e) => (e, i + 2),
                None => return Err(true),
            },
            c => (c, i + 1),
        };
        i = next;
        if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|&c| c != b']') {
            let (hi, next) = match p[i + 1] {
                b'\\' => match p.get(i + 2) {
                    Some(&e) => (e, i + 3),
                    None => return Err(true),
                },
                c => (c, i + 2),
            };
            i = next;
            let (lo, hi) = (fold(lo, fold_case), fold(hi, fold_case));
            if lo <= hi {
                for c in lo..=hi {
                    set(&mut bits, c);
                }
            }
        } else {
            set(&mut bits, fold(lo, fold_case));
        }
    }
    if negate {
        for w in bits.iter_mut() {
            *w = !*w;
        }
    }
    Ok((bits, i))
}

impl Glob {
    /// Compiles `pattern`; `fold` selects `iglob` (ASCII case folding).
    pub fn new(pattern: &[u8], fold_case: bool) -> Glob {
        let mut toks = Vec::new();
        let mut never = false;
        let mut i = 0;
        while i < pattern.len() {
            let c = pattern[i];
            match c {
                b'*' => {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    toks.push(Tok::Any);
                    i += 1;
                }
                b'\\' => match pattern.get(i + 1) {
                    Some(&e) => {
                        toks.push(Tok::Byte(fold(e, fold_case)));
                        i += 2;
                    }
                    None => {
                        never = true;
                        i += 1;
                    }
                },
                b'[' => match bracket(pattern, i + 1, fold_case) {
                    Ok((bits, next)) => {
                        toks.push(Tok::Class(Box::new(bits)));
                        i = next;
                    }
                    Err(true) => {
                        never = true;
                        i += 1;
                    }
                    Err(false) => {
                        toks.push(Tok::Byte(b'['));
                        i += 1;
                    }
                },
                c => {
                    toks.push(Tok::Byte(fold(c, fold_case)));
                    i += 1;
                }
            }
        }
        Glob {
            toks,
            fold: fold_case,
            never,
        }
    }

    /// The literal bytes when the pattern has no wildcard at all (then it is equality).
    pub fn literal(&self) -> Option<Vec<u8>> {
        if self.never || self.fold {
            return None;
        }
        self.toks
            .iter()
            .map(|t| match t {
                Tok::Byte(b) => Some(*b),
                _ => None,
            })
            .collect()
    }

    fn tok_matches(&self, t: &Tok, c: u8) -> bool {
        let c = fold(c, self.fold);
        match t {
            Tok::Byte(b) => *b == c,
            Tok::Any => true,
            Tok::Class(bits) => has(bits, c),
            Tok::Star => false,
        }
    }

    /// Whether `s` matches the whole pattern.
    pub fn matches(&self, s: &[u8]) -> bool {
        if self.never {
            return false;
        }
        // Classic linear-backtracking wildcard match: every token but `*` consumes
        // exactly one byte, so only the last star needs to be retried.
        let (mut pi, mut si) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        let toks = &self.toks;
        while si < s.len() {
            match toks.get(pi) {
                Some(Tok::Star) => {
                    star = Some((pi, si));
                    pi += 1;
                }
                Some(t) if self.tok_matches(t, s[si]) => {
                    pi += 1;
                    si += 1;
                }
                _ => match star {
                    Some((sp, ss)) => {
                        pi = sp + 1;
                        si = ss + 1;
                        star = Some((sp, ss + 1));
                    }
                    None => return false,
                },
            }
        }
        toks[pi..].iter().all(|t| *t == Tok::Star)
    }
}

/// Whether `pattern` has a glob wildcard (`?`, `*` or `[`), as libsinsp's `pmatch`
/// decides which path components are globs.
pub fn has_wildcard(pattern: &[u8]) -> bool {
    pattern.iter().any(|c| matches!(c, b'?' | b'*' | b'['))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, s: &str) -> bool {
        Glob::new(p.as_bytes(), false).matches(s.as_bytes())
    }

    #[test]
    fn fnmatch_basics() {
        assert!(g("*", ""));
        assert!(g("*", "/a/b"));
        assert!(g("/usr/*", "/usr/bin/ls"), "star matches slash");
        assert!(g("*.txt", ".hidden.txt"), "leading dot not special");
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("", ""));
        assert!(!g("", "a"));
        assert!(g("a*b*c", "aXXbYYc"));
        assert!(!g("a*b*c", "aXXbYY"));
        assert!(g("*a*a*a*", "aaaa"));
        assert!(!g("*a*a*a*a*a", "aaaa"));
    }

    #[test]
    fn brackets() {
        assert!(g("[abc]x", "bx"));
        assert!(!g("[!abc]x", "bx"));
        assert!(g("[^abc]x", "dx"));
        assert!(g("[]]", "]"));
        assert!(g("[!]]", "a"));
        assert!(g("[a-c]", "b"));
        assert!(g("[a-]", "-"));
        assert!(g("[[:digit:]]*", "7up"));
        assert!(!g("[[:digit:]]*", "up"));
        assert!(!g("[[:nosuch:]]", "a"), "unknown class never matches");
        assert!(g("[abc", "[abc"), "unterminated bracket is literal");
        assert!(g("a[", "a["));
        assert!(g("[\\]]", "]"));
    }

    #[test]
    fn escapes_and_braces() {
        assert!(g("\\*", "*"));
        assert!(!g("\\*", "a"));
        assert!(!g("a\\", "a\\"), "trailing backslash never matches");
        assert!(g("{a,b}", "{a,b}"), "braces are literal");
        assert!(!g("{a,b}", "a"));
    }

    #[test]
    fn case_folding() {
        let ig = |p: &str, s: &str| Glob::new(p.as_bytes(), true).matches(s.as_bytes());
        assert!(ig("MY*", "myexe"));
        assert!(ig("*EXE", "myexe"));
        assert!(ig("[A-Z]x", "qX"));
        assert!(!g("MY*", "myexe"));
    }

    #[test]
    fn literal_detection() {
        assert_eq!(Glob::new(b"abc", false).literal(), Some(b"abc".to_vec()));
        assert_eq!(Glob::new(b"a\\*c", false).literal(), Some(b"a*c".to_vec()));
        assert_eq!(Glob::new(b"a*c", false).literal(), None);
    }
}
