//! Path arithmetic as libsinsp does it (`sinsp_utils::concatenate_paths`): a relative path
//! is appended to a base directory, `.`/`..` components are folded, repeated `/` collapse,
//! a trailing `/` is dropped and unprintable bytes become `.`.

/// libscap's `SCAP_MAX_PATH_SIZE`.
pub const MAX_PATH: usize = 1024;

/// What `concatenate_paths` writes when the result would not fit.
pub const PATH_TOO_LONG: &str = "/PATH_TOO_LONG";

/// libsinsp's `g_invalidchar`: bytes that are not printable ASCII.
pub fn is_invalid_char(c: u8) -> bool {
    !(0x20..=0x7e).contains(&c)
}

/// Removes the bytes [`is_invalid_char`] rejects (libsinsp `sanitize_string`).
pub fn sanitize(s: &str) -> String {
    s.bytes()
        .filter(|&c| !is_invalid_char(c))
        .map(char::from)
        .collect()
}

/// [`sanitized`] appended to `out` (no intermediate string).
pub fn push_sanitized(out: &mut String, b: &[u8]) {
    let b = crate::parse_cstr(b);
    out.extend(
        b.iter()
            .copied()
            .filter(|&c| !is_invalid_char(c))
            .map(char::from),
    );
}

/// A string up to its NUL, with the bytes libsinsp's `sanitize_string` removes dropped.
pub fn sanitized(b: &[u8]) -> String {
    let b = crate::parse_cstr(b);
    b.iter()
        .copied()
        .filter(|&c| !is_invalid_char(c))
        .map(char::from)
        .collect()
}

/// `rewind_to_parent_path`: drops the last component written so far. It cuts just after
/// a `/` (or to nothing), so `out` stays valid UTF-8.
fn rewind(out: &mut String) {
    let b = out.as_bytes();
    if b.len() <= 1 {
        return;
    }
    let mut t = b.len() - 1;
    while t >= 1 && b[t - 1] != b'/' {
        t -= 1;
    }
    out.truncate(t);
}

/// `copy_and_sanitize_path`: appends `path` (up to its first NUL) to `out`, where
/// everything already in `out` is the base the path may walk back into. Only printable
/// ASCII is appended (other bytes become `.`).
fn copy_and_sanitize(out: &mut String, path: &[u8]) {
    let at = |i: usize| path.get(i).copied().unwrap_or(0);
    let mut pc = 0usize;
    loop {
        let c = at(pc);
        if c == 0 {
            if out.len() > 1 && out.ends_with('/') {
                out.pop();
            }
            return;
        }
        if is_invalid_char(c) {
            out.push('.');
            pc += 1;
            continue;
        }
        let (c1, c2) = (at(pc + 1), at(pc + 2));
        if c == b'.' && c1 == b'.' && c2 == b'/' {
            rewind(out);
            pc += 3;
        } else if c == b'.' && c1 == b'.' {
            if c2 == 0 {
                rewind(out);
            } else {
                out.push_str("..");
            }
            pc += 2;
        } else if c == b'.' && c1 == b'/' {
            pc += 2;
        } else if c == b'.' {
            if c1 != 0 {
                out.push('.');
            }
            pc += 1;
        } else if c == b'/' {
            if !out.ends_with('/') {
                out.push('/');
            }
            pc += 1;
        } else {
            out.push(char::from(c));
            pc += 1;
        }
    }
}

/// `concatenate_paths(base, path)`. `path` is the raw parameter (its length, NUL
/// included, counts for the size limit as in libsinsp); an empty `path` is treated as
/// absolute. Returns the result and whether `path` was relative.
pub fn concatenate(base: &str, path: &[u8]) -> (String, bool) {
    let mut out = String::new();
    let relative = concatenate_into(base, path, &mut out);
    (out, relative)
}

/// [`concatenate`] into `out` (replacing its contents, reusing its buffer); returns
/// whether `path` was relative.
pub fn concatenate_into(base: &str, path: &[u8], out: &mut String) -> bool {
    out.clear();
    if MAX_PATH < base.len() + path.len() + 1 {
        out.push_str(PATH_TOO_LONG);
        return false;
    }
    out.reserve(base.len() + path.len());
    let relative = !path.is_empty() && path[0] != b'/';
    if relative {
        out.push_str(base);
    }
    copy_and_sanitize(out, path);
    relative
}

/// [`concatenate`] for text paths (the NUL libsinsp counts is added).
pub fn join(base: &str, path: &str) -> String {
    let mut raw = Vec::with_capacity(path.len() + 1);
    raw.extend_from_slice(path.as_bytes());
    raw.push(0);
    concatenate(base, &raw).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_libsinsp() {
        assert_eq!(join("/home/alice/", "notes.txt"), "/home/alice/notes.txt");
        assert_eq!(join("/home/alice/", "/etc/passwd"), "/etc/passwd");
        assert_eq!(join("/home/alice/", "../bob/./x"), "/home/bob/x");
        assert_eq!(join("/home/alice/", "a//b/"), "/home/alice/a/b");
        assert_eq!(join("/", ".."), "/");
        assert_eq!(join("/tmp/", ""), "/tmp");
        assert_eq!(join("/tmp/", "..x"), "/tmp/..x");
        assert_eq!(join("/tmp/", "a\u{1}b"), "/tmp/a.b");
        assert_eq!(concatenate("/x/", b"").0, "");
        // A base walked back into keeps its non-ASCII text whole.
        assert_eq!(join("/h\u{e9}/d\u{e9}j\u{e0}/", "../x"), "/h\u{e9}/x");
        assert_eq!(join("/\u{e9}t\u{e9}/", ".."), "/");
        assert_eq!(join("/", &"a".repeat(2000)), PATH_TOO_LONG);
    }
}
