//! `regex` constants: libsinsp compiles them with RE2 in POSIX mode (`RE2::POSIX`:
//! `posix_syntax`, no Perl extensions) and matches anchored at both ends. This module
//! parses a pattern with RE2's POSIX-mode rules and re-emits it in the syntax of the
//! `regex` crate, or reports it invalid — Falco 0.42.1 accepts an invalid regex and the
//! check never matches.
//!
//! RE2 POSIX mode, as implemented here: no `(?…)` groups or flags, no `\d \s \w \b \A \z
//! \C \Q…\E \pN` (invalid escapes), no lazy quantifiers (a `?` after a repetition repeats
//! again, and stacked repetitions such as `a**` are allowed), `^`/`$` match at line
//! boundaries (`one_line` is off), `.` does not match `\n`, `{` that does not start a
//! valid `{n}`, `{n,}` or `{n,m}` (no leading zeros, counts ≤ 1000) is a literal; inside
//! classes `-` must be first or last, `[:name:]` must be a known POSIX class, ranges must
//! be ordered; escapes are RE2's (`\n \r \t \a \f \v`, octal `\0`, `\1`–`\7` followed by
//! another octal digit, `\xHH`, `\x{H…}`, and any escaped ASCII punctuation).

use std::fmt::Write as _;

/// RE2's repetition limit (`kMaxRepeat`).
const MAX_REPEAT: u32 = 1000;

const POSIX_CLASSES: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Pieces of one group level.
#[derive(Default)]
struct Level {
    /// Alternatives already closed, each the concatenation of its atoms.
    alts: Vec<String>,
    /// Atoms of the current alternative.
    atoms: Vec<String>,
}

impl Level {
    fn finish(mut self) -> String {
        self.alts.push(self.atoms.concat());
        self.alts.join("|")
    }
}

fn lit(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' || c == ' ' {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

/// Parses RE2's escape at `s[i] == '\\'`; returns the character and the next index.
fn escape(s: &[char], i: usize) -> Option<(char, usize)> {
    let c = *s.get(i + 1)?;
    let mut j = i + 2;
    let code: u32 = match c {
        '1'..='7' | '0' => {
            if c != '0' && !s.get(j).is_some_and(|d| ('0'..='7').contains(d)) {
                return None;
            }
            let mut code = c as u32 - '0' as u32;
            for _ in 0..2 {
                match s.get(j) {
                    Some(d) if ('0'..='7').contains(d) => {
                        code = code * 8 + (*d as u32 - '0' as u32);
                        j += 1;
                    }
                    _ => break,
                }
            }
            code
        }
        'x' => {
            let c1 = *s.get(j)?;
            j += 1;
            if c1 == '{' {
                let mut code: u32 = 0;
                let mut n = 0;
                loop {
                    let d = *s.get(j)?;
                    j += 1;
                    if d == '}' {
                        break;
                    }
                    code = code.checked_mul(16)? + d.to_digit(16)?;
                    if code > 0x10FFFF {
                        return None;
                    }
                    n += 1;
                }
                if n == 0 {
                    return None;
                }
                code
            } else {
                let c2 = *s.get(j)?;
                j += 1;
                c1.to_digit(16)? * 16 + c2.to_digit(16)?
            }
        }
        'n' => 10,
        'r' => 13,
        't' => 9,
        'a' => 7,
        'f' => 12,
        'v' => 11,
        c if (c as u32) < 0x80 && !c.is_ascii_alphanumeric() => c as u32,
        _ => return None,
    };
    Some((char::from_u32(code)?, j))
}

/// Parses a class starting at `s[i] == '['`; returns its `regex` syntax and the next index.
fn class(s: &[char], mut i: usize) -> Option<(String, usize)> {
    i += 1;
    let mut out = String::from("[");
    if s.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    let mut any = false;
    loop {
        let c = *s.get(i)?;
        if c == ']' && !first {
            i += 1;
            break;
        }
        if c == '-' && !first && s.get(i + 1) != Some(&']') {
            return None;
        }
        first = false;
        if c == '[' && s.get(i + 1) == Some(&':') {
            // `[:name:]`, when a closing `:]` exists.
            let close =
                (i + 2..s.len().saturating_sub(1)).find(|&j| s[j] == ':' && s[j + 1] == ']');
            if let Some(close) = close {
                let name: String = s[i + 2..close].iter().collect();
                let bare = name.strip_prefix('^').unwrap_or(&name);
                if !POSIX_CLASSES.contains(&bare) {
                    return None;
                }
                let _ = write!(out, "[:{name}:]");
                any = true;
                i = close + 2;
                continue;
            }
        }
        let (lo, next) = if c == '\\' { escape(s, i)? } else { (c, i + 1) };
        i = next;
        let mut hi = lo;
        if s.get(i) == Some(&'-') && s.get(i + 1).is_some_and(|&n| n != ']') {
            let (h, next) = if s[i + 1] == '\\' {
                escape(s, i + 1)?
            } else {
                (s[i + 1], i + 2)
            };
            if h < lo {
                return None;
            }
            hi = h;
            i = next;
        }
        lit(&mut out, lo);
        if hi != lo {
            out.push('-');
            lit(&mut out, hi);
        }
        any = true;
    }
    if !any {
        return None;
    }
    out.push(']');
    Some((out, i))
}

/// `{n}`, `{n,}`, `{n,m}` at `s[i] == '{'` (RE2 `MaybeParseRepetition`): the operator text
/// for `regex` and the next index; `None` when it is not a repetition (a literal `{`).
fn repetition(s: &[char], i: usize) -> Option<(u32, Option<u32>, usize)> {
    fn int(s: &[char], mut i: usize) -> Option<(u32, usize)> {
        let start = i;
        let mut n: u32 = 0;
        while let Some(d) = s.get(i).and_then(|c| c.to_digit(10)) {
            if i > start && s[start] == '0' {
                return None;
            }
            if n >= 100_000_000 {
                return None;
            }
            n = n * 10 + d;
            i += 1;
        }
        (i > start).then_some((n, i))
    }
    let (lo, mut j) = int(s, i + 1)?;
    let hi = if s.get(j) == Some(&',') {
        j += 1;
        if s.get(j) == Some(&'}') {
            None
        } else {
            let (h, k) = int(s, j)?;
            j = k;
            Some(h)
        }
    } else {
        Some(lo)
    };
    (s.get(j) == Some(&'}')).then_some((lo, hi, j + 1))
}

/// Translates an RE2 POSIX-mode pattern into an anchored `regex`-crate pattern, or `None`
/// when RE2 would reject it.
pub fn translate(pattern: &str) -> Option<String> {
    let s: Vec<char> = pattern.chars().collect();
    let mut stack: Vec<Level> = vec![Level::default()];
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let top = stack.last_mut()?;
        match c {
            '(' => {
                stack.push(Level::default());
                i += 1;
            }
            ')' => {
                if stack.len() < 2 {
                    return None;
                }
                let inner = stack.pop()?.finish();
                stack.last_mut()?.atoms.push(format!("({inner})"));
                i += 1;
            }
            '|' => {
                let atoms = std::mem::take(&mut top.atoms);
                top.alts.push(atoms.concat());
                i += 1;
            }
            '^' => {
                top.atoms.push("(?m:^)".to_string());
                i += 1;
            }
            '$' => {
                top.atoms.push("(?m:$)".to_string());
                i += 1;
            }
            '.' => {
                top.atoms.push(".".to_string());
                i += 1;
            }
            '[' => {
                let (cls, next) = class(&s, i)?;
                top.atoms.push(cls);
                i = next;
            }
            '*' | '+' | '?' | '{' => {
                let (op, next) = if c == '{' {
                    match repetition(&s, i) {
                        Some((lo, hi, next)) => {
                            if lo > MAX_REPEAT || hi.is_some_and(|h| h > MAX_REPEAT || h < lo) {
                                return None;
                            }
                            let op = match hi {
                                None => format!("{{{lo},}}"),
                                Some(h) if h == lo => format!("{{{lo}}}"),
                                Some(h) => format!("{{{lo},{h}}}"),
                            };
                            (op, next)
                        }
                        None => {
                            // Not a repetition: a literal `{`.
                            let mut l = String::new();
                            lit(&mut l, '{');
                            top.atoms.push(l);
                            i += 1;
                            continue;
                        }
                    }
                } else {
                    (c.to_string(), i + 1)
                };
                let prev = top.atoms.pop()?;
                top.atoms.push(format!("(?:{prev}){op}"));
                i = next;
            }
            '\\' => {
                let (ch, next) = escape(&s, i)?;
                let mut l = String::new();
                lit(&mut l, ch);
                top.atoms.push(l);
                i = next;
            }
            c => {
                let mut l = String::new();
                lit(&mut l, c);
                top.atoms.push(l);
                i += 1;
            }
        }
    }
    if stack.len() != 1 {
        return None;
    }
    let body = stack.pop()?.finish();
    Some(format!("\\A(?:{body})\\z"))
}

/// Compiles a Falco `regex` constant: RE2 POSIX syntax, full match. `None` when the
/// pattern is invalid (the check then never matches, as in Falco 0.42.1).
pub fn compile(pattern: &str) -> Option<regex::Regex> {
    let translated = translate(pattern)?;
    regex::RegexBuilder::new(&translated)
        .size_limit(8 << 20)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> Option<bool> {
        compile(p).map(|r| r.is_match(s))
    }

    #[test]
    fn full_match() {
        assert_eq!(m("ba.*", "bash"), Some(true));
        assert_eq!(m("ba.*", "xbash"), Some(false));
        assert_eq!(m("yscal.*", "syscall"), Some(false));
        assert_eq!(m("syscal.*", "syscall"), Some(true));
        assert_eq!(m("^[s]{1}ysca[l]{2}$", "syscall"), Some(true));
        assert_eq!(m("^[A-Z]+$", "SYSCALL"), Some(true));
        assert_eq!(m("a|b", "b"), Some(true));
        assert_eq!(m("(a|b)c", "bc"), Some(true));
        assert_eq!(m("", ""), Some(true));
    }

    #[test]
    fn posix_only() {
        for bad in [
            "[a-",
            "(?i)abc",
            "\\d+",
            "\\w",
            "\\bx",
            "a\\",
            "(a",
            "a)",
            "*a",
            "a|*",
            "\\pL",
            "[[:nope:]]",
            "[b-a]",
            "[a-b-c]",
            "\\1",
            "x{1001}",
            "x{3,2}",
            "\\Qa\\E",
            "(?:a)",
        ] {
            assert!(compile(bad).is_none(), "{bad} should be invalid");
        }
        // Accepted in POSIX mode (some differ from Perl syntax).
        assert_eq!(m("a**", "aaa"), Some(true));
        assert_eq!(m("a*?", "aa"), Some(true));
        assert_eq!(m("x{", "x{"), Some(true));
        assert_eq!(m("x{,2}", "x{,2}"), Some(true));
        assert_eq!(m("x{02}", "x{02}"), Some(true));
        assert_eq!(m("[]a]+", "]a"), Some(true));
        assert_eq!(m("[a-]+", "-a"), Some(true));
        assert_eq!(m("[[:digit:]]+", "42"), Some(true));
        assert_eq!(m("[^a]", "\n"), Some(true));
        assert_eq!(m("\\.\\-\\_", ".-_"), Some(true));
        assert_eq!(m("\\x41\\x{42}\\101", "ABA"), Some(true));
        assert_eq!(m("\\012", "\n"), Some(true));
        assert_eq!(m("^*a", "a"), Some(true));
    }

    #[test]
    fn lines_and_dots() {
        assert_eq!(m("a.b", "a\nb"), Some(false));
        assert_eq!(m("a$\n^b", "a\nb"), Some(true));
    }
}
