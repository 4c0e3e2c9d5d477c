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

/// `rewind_to_parent_path`: drops the last component written so far.
fn rewind(out: &mut Vec<u8>) {
    if out.len() <= 1 {
        return;
    }
    let mut t = out.len() - 1;
    while t >= 1 && out[t - 1] != b'/' {
        t -= 1;
    }
    out.truncate(t);
}

/// `copy_and_sanitize_path`: appends `path` (up to its first NUL) to `out`, where
/// everything already in `out` is the base the path may walk back into.
fn copy_and_sanitize(out: &mut Vec<u8>, path: &[u8]) {
    let at = |i: usize| path.get(i).copied().unwrap_or(0);
    let mut pc = 0usize;
    loop {
        let c = at(pc);
        if c == 0 {
            if out.len() > 1 && out.last() == Some(&b'/') {
                out.pop();
            }
            return;
        }
        if is_invalid_char(c) {
            out.push(b'.');
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
                out.extend_from_slice(b"..");
            }
            pc += 2;
        } else if c == b'.' && c1 == b'/' {
            pc += 2;
        } else if c == b'.' {
            if c1 != 0 {
                out.push(b'.');
            }
            pc += 1;
        } else if c == b'/' {
            if out.last() != Some(&b'/') {
                out.push(b'/');
            }
            pc += 1;
        } else {
            out.push(c);
            pc += 1;
        }
    }
}

/// `concatenate_paths(base, path)`. `path` is the raw parameter (its length, NUL
/// included, counts for the size limit as in libsinsp); an empty `path` is treated as
/// absolute. Returns the result and whether `path` was relative.
pub fn concatenate(base: &[u8], path: &[u8]) -> (String, bool) {
    let mut out = String::new();
    let relative = concatenate_into(base, path, &mut out);
    (out, relative)
}

/// [`concatenate`] into `out` (replacing its contents, reusing its buffer); returns
/// whether `path` was relative.
pub fn concatenate_into(base: &[u8], path: &[u8], out: &mut String) -> bool {
    out.clear();
    if MAX_PATH < base.len() + path.len() + 1 {
        out.push_str(PATH_TOO_LONG);
        return false;
    }
    let mut v = std::mem::take(out).into_bytes();
    v.reserve(base.len() + path.len());
    let relative = !path.is_empty() && path[0] != b'/';
    if relative {
        v.extend_from_slice(base);
    }
    copy_and_sanitize(&mut v, path);
    // Every byte written is printable ASCII (invalid ones became '.'), except those of
    // `base`, which come from earlier (already sanitised) state.
    *out = match String::from_utf8(v) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    relative
}

/// [`concatenate`] for text paths (the NUL libsinsp counts is added).
pub fn join(base: &str, path: &str) -> String {
    let mut raw = Vec::with_capacity(path.len() + 1);
    raw.extend_from_slice(path.as_bytes());
    raw.push(0);
    concatenate(base.as_bytes(), &raw).0
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
        assert_eq!(concatenate(b"/x/", b"").0, "");
        assert_eq!(join("/", &"a".repeat(2000)), PATH_TOO_LONG);
    }
}
